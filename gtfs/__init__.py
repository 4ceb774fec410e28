"""GTFS reader, table schemas, validator notices and feed model (pure)."""
