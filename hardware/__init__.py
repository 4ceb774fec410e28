"""Reader and actuator drivers for validators: NFC, serial scanners, gates and displays."""
