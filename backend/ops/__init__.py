"""Operators' tooling that runs beside the server, never inside it: local PostgreSQL clusters
for drills and tests. The web app and the job runner import nothing from here."""
