"""When a validator device needs an operator's attention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.models import Device
from backend.services.device_health import health_of

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def device(**state: object) -> Device:
    defaults: dict[str, object] = {
        "id": "gate-1",
        "role": "gate_entry",
        "created_at": NOW - timedelta(days=9),
        "provisioned_at": NOW - timedelta(days=8),
        "last_sync_at": NOW - timedelta(seconds=40),
        "clock_skew_ms": 120,
        "backlog": 0,
        "bundle_version": 7,
    }
    return Device(**{**defaults, **state})


def test_a_device_syncing_normally_needs_nothing() -> None:
    health = health_of(device(), newest_bundle=7, now=NOW)
    assert health.state == "active"
    assert health.problems == ()
    assert not health.needs_attention


def test_each_problem_is_named() -> None:
    late = device(
        last_sync_at=NOW - timedelta(hours=3),
        clock_skew_ms=-7300,
        backlog=2500,
        bundle_version=5,
    )
    health = health_of(late, newest_bundle=7, now=NOW)
    assert health.problems == (
        "no sync for 3 h",
        "clock 7.3 s behind",
        "2,500 taps waiting",
        "older rule bundle",
    )
    assert health.needs_attention


def test_new_and_revoked_devices_are_not_flagged() -> None:
    assert health_of(device(provisioned_at=None), newest_bundle=7, now=NOW).state == "new"
    revoked = health_of(device(revoked_at=NOW, last_sync_at=None), newest_bundle=7, now=NOW)
    assert revoked.state == "revoked"
    assert not revoked.needs_attention


def test_a_provisioned_device_that_never_synced_is_flagged() -> None:
    health = health_of(device(last_sync_at=None, bundle_version=None), newest_bundle=7, now=NOW)
    assert health.problems == ("never synced",)
