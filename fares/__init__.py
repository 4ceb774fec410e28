"""Fare engine, credentials, rule bundles and the tap decision, shared by server and agents."""
