"""The agent's status as one JSON-ready dict, read from its store (works while it runs)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from validator_agent.errors import JournalError
from validator_agent.store import Store


def agent_status(store: Store) -> dict[str, object]:
    """Journal backlog, stored bundle, last sync, last bundle refusal and journal fault."""
    counts = store.journal_counts()
    meta = store.meta()
    bundles = store.load_bundles()
    current = bundles[0] if bundles else None
    fault = meta.get("journal_fault") or None
    refusal = meta.get("last_refusal")
    return {
        "journal": {
            "ready": counts.ready,
            "in_flight": counts.in_flight,
            "last_seq": counts.last_seq,
            "ack_watermark": int(meta.get("ack_watermark", "0")),
        },
        "bundle": None
        if current is None
        else {
            "version": current.version,
            "etag": current.etag,
            "installed_at": current.installed_at.isoformat(),
        },
        "last_sync": meta.get("last_sync"),
        "last_refusal": None if refusal is None else json.loads(refusal),
        "recorded_fault": None if fault is None else json.loads(fault),
    }


def store_health(store: Store, store_path: Path, at: datetime) -> dict[str, object]:
    """Whether the store takes a write now, as every tap needs, and the free space under it.

    The running agent keeps a journal fault in the store only while the store can still
    write, which on a full disk it cannot; so ``status`` checks for itself, with one small
    metadata write (``status_checked_at``), and reports the code of a refusal.
    """
    fault = None
    try:
        store.set_meta("status_checked_at", at.isoformat())
    except JournalError as error:
        fault = error.code
    try:
        usage = os.statvfs(store_path.parent)
    except OSError:
        free = None
    else:
        free = usage.f_bavail * usage.f_frsize
    return {"writable": fault is None, "fault": fault, "free_bytes": free}
