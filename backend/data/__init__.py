"""Data shipped with the server: the bundled sample GTFS feed."""
