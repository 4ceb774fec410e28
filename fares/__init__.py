"""Fare engine, ticket credentials, rule bundles and the tap decision, shared by server and agents."""
