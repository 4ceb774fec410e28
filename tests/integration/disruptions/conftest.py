"""Disruption tests run in the traveler pages' world: the eight-seat minibus on every trip and
the sample feed running around today."""

from tests.integration.traveler.conftest import inventory, settings, travel_day

__all__ = ["inventory", "settings", "travel_day"]
