"""The RF targets (bit rate and type) an nfcpy reader can poll, as nfcpy names them."""

from __future__ import annotations

# 106A: ISO 14443-A (Type 2, Type 4A, MIFARE Classic); 106B: ISO 14443-B (Type 4B);
# 212F/424F: FeliCa (Type 3). 212A/424A/212B/424B are the faster A/B bit rates.
RF_TARGETS = frozenset({"106A", "212A", "424A", "106B", "212B", "424B", "212F", "424F"})
