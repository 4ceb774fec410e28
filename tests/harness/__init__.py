"""Test support: real databases (PostgreSQL and SQLite) and staff helpers."""
