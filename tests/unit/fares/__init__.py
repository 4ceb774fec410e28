"""Unit tests of the fares package: fare engine, caps, money, credentials and bundles."""
