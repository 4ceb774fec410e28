"""Reader and actuator drivers for validators: NFC, serial scanners, gates and displays.

``ports`` is the contract (``MediaReader`` in, ``Gate`` out). Readers: ``nfc_reader``
(nfcpy), ``serial_scanner`` (pyserial), ``keyboard_wedge``; gates: ``serial_gate`` (frames
in ``gate_frame``), ``feedback`` (log, console). ``drivers`` builds them from configuration
strings (grammar in ``device_config``); ``supervisor`` runs the readers and reports health.
"""
