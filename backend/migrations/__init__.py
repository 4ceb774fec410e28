"""Alembic migration scripts of the Faregate schema."""
