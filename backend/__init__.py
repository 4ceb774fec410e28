"""Faregate reservation and inventory server: API, services, models, migrations and CLI."""
