"""Seat inventory domain: trip instances, legs, seat maps, holds and seat assignment (pure)."""
