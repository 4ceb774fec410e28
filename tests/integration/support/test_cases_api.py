"""Support cases through the API: travelers open, look up and answer cases; support staff
work the queue. Every change is a ``case.updated`` event free of personal data; replies to
the traveler are e-mailed; refused input has a stable code and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from backend.db import Database
from backend.models import SupportCase
from backend.services import support_cases, support_queue
from backend.services.support_policy import DEFAULT_SLA, SlaPolicy
from backend.settings import Settings, SettingsError, parse_sla_hours
from fares.tap import media_fingerprint
from tests.integration.support.conftest import (
    Staff,
    case_events,
    case_notes,
    case_row,
    count_cases,
    emails,
)

UID = "04a1b2c3d4e5f6"


def open_case(client: FlaskClient, **body: object) -> dict[str, object]:
    defaults = {
        "kind": "other",
        "subject": "Lost umbrella",
        "message": "I left it on the bus.",
        "email": "Rider@Example.org",
    }
    answer = client.post("/api/v1/cases", json={**defaults, **body})
    assert answer.status_code == 201, answer.json
    assert answer.json is not None
    return answer.json


def refused(answer: object, status: int, code: str) -> None:
    assert answer.status_code == status, answer.json  # type: ignore[attr-defined]
    assert answer.json["error"]["code"] == code  # type: ignore[attr-defined]


def test_a_traveler_opens_a_case_and_gets_its_reference_by_email(
    client: FlaskClient, database: Database
) -> None:
    body = open_case(client, kind="gate_did_not_open", subject="Gate  at\nCentral")
    reference = str(body["reference"])
    assert reference.startswith("CS-")
    assert len(reference) == 9
    assert (body["status"], body["subject"]) == ("new", "Gate at Central")
    row = case_row(database, reference)
    assert (row.kind, row.priority, row.source) == ("gate_did_not_open", "high", "traveler")
    assert row.due_at - row.created_at == timedelta(hours=8)
    assert case_notes(database, reference) == [("traveler", False, "I left it on the bus.")]
    [(to, subject, text)] = emails(database)
    assert to == "Rider@Example.org"
    assert reference in subject
    assert reference in text
    [event] = case_events(database, reference)
    assert event["change"] == "opened"
    assert event["status"] == "new"
    assert "example.org" not in str(event).lower()


@pytest.mark.parametrize(
    ("kind", "priority", "hours"),
    [
        ("lost_card", "urgent", 2),
        ("gate_did_not_open", "high", 8),
        ("disruption", "high", 8),
        ("charged_twice", "normal", 24),
        ("refund", "normal", 24),
        ("other", "normal", 24),
    ],
)
def test_priority_follows_the_kind_and_the_due_time_its_sla(
    client: FlaskClient, database: Database, kind: str, priority: str, hours: int
) -> None:
    reference = str(open_case(client, kind=kind)["reference"])
    row = case_row(database, reference)
    assert row.priority == priority
    assert row.due_at - row.created_at == timedelta(hours=hours)


def test_sla_hours_come_from_the_settings() -> None:
    assert parse_sla_hours("urgent=1, high=4,normal=12,low=48") == {
        "urgent": 1,
        "high": 4,
        "normal": 12,
        "low": 48,
    }
    for bad in ("urgent=1,high=4,normal=12", "urgent=0,high=4,normal=12,low=48", "x", ""):
        assert parse_sla_hours(bad) is None
    with pytest.raises(SettingsError):
        Settings(support_sla_hours="urgent=2").replace()
    policy = SlaPolicy.from_settings(Settings(support_sla_hours="urgent=1,high=4,normal=12,low=48"))
    opened = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
    assert policy.due("urgent", opened) == opened + timedelta(hours=1)
    assert DEFAULT_SLA.due("low", opened) == opened + timedelta(hours=72)


def test_a_case_linked_to_a_card_keeps_its_fingerprint_never_its_uid(
    client: FlaskClient, database: Database
) -> None:
    body = open_case(
        client, kind="gate_did_not_open", card_technology="nfc_uid", card_uid=UID,
        travel_day="2026-06-02",
    )  # fmt: skip
    row = case_row(database, str(body["reference"]))
    assert row.media_fingerprint == media_fingerprint("nfc_uid", bytes.fromhex(UID))
    assert row.travel_day.isoformat() == "2026-06-02"  # type: ignore[union-attr]
    stored = " ".join(str(value) for value in vars(row).values()).lower()
    assert UID not in stored
    assert body["travel_day"] == "2026-06-02"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "broken"}, 400, "invalid_case_kind"),
        ({"subject": "   "}, 400, "invalid_subject"),
        ({"message": ""}, 400, "invalid_note"),
        ({"email": "not an address"}, 400, "invalid_email"),
        ({"card_technology": "nfc_uid", "card_uid": UID}, 400, "card_needs_day"),
        ({"booking_reference": "K7PQ2M9X", "card_uid": UID, "card_technology": "nfc_uid"},
         400, "too_many_links"),
        ({"booking_reference": "K7PQ2M9X"}, 404, "booking_not_found"),
        ({"card_technology": "nfc_uid", "card_uid": "xyz", "travel_day": "2026-06-02"},
         422, "validation_failed"),
        ({"kind": None}, 422, "validation_failed"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused_with_a_code_and_change_nothing(
    client: FlaskClient, database: Database, body: dict[str, object], status: int, code: str
) -> None:
    defaults = {"kind": "other", "subject": "S", "message": "M", "email": "a@example.org"}
    refused(client.post("/api/v1/cases", json={**defaults, **body}), status, code)
    assert count_cases(database) == 0
    assert case_events(database) == []
    assert emails(database) == []


def test_the_traveler_sees_their_case_only_with_its_email_and_no_internal_notes(
    client: FlaskClient, database: Database, make_staff_member: Callable[[str], Staff]
) -> None:
    reference = str(open_case(client)["reference"])
    helper = make_staff_member("support")
    for body, internal in (("checking the bus", True), ("Found it!", False)):
        answer = client.post(
            f"/api/v1/support/cases/{reference}/notes",
            json={"body": body, "internal": internal},
            headers=helper.headers,
        )
        assert answer.status_code == 201, answer.json
    shown = client.post("/api/v1/cases/lookup", json={"reference": reference.lower(),
                                                       "email": "rider@example.ORG"})  # fmt: skip
    assert shown.status_code == 200, shown.json
    assert [(note["author"], note["body"]) for note in shown.json["notes"]] == [
        ("traveler", "I left it on the bus."),
        ("staff", "Found it!"),
    ]
    assert "assignee" not in shown.json
    assert "contact_email" not in shown.json
    for wrong in ({"reference": reference, "email": "other@example.org"},
                  {"reference": "CS-ZZZZZZ", "email": "rider@example.org"}):  # fmt: skip
        refused(client.post("/api/v1/cases/lookup", json=wrong), 404, "case_not_found")
    # The reply (not the internal note) was e-mailed, after the acknowledgement.
    assert [text.split("\n")[0] for _, _, text in emails(database)][1:] == ["Found it!"]


def test_a_traveler_reply_reopens_a_resolved_case_and_a_closed_case_takes_none(
    client: FlaskClient, database: Database, make_staff_member: Callable[[str], Staff]
) -> None:
    reference = str(open_case(client)["reference"])
    helper = make_staff_member("support")
    status_url = f"/api/v1/support/cases/{reference}/status"
    assert client.post(status_url, json={"status": "resolved"}, headers=helper.headers).json[
        "resolved_at"
    ]
    reply = {"email": "rider@example.org", "message": "Not found yet, sorry"}
    answer = client.post(f"/api/v1/cases/{reference}/notes", json=reply)
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "open"
    assert case_row(database, reference).resolved_at is None
    client.post(status_url, json={"status": "closed"}, headers=helper.headers)
    notes_before = case_notes(database, reference)
    refused(client.post(f"/api/v1/cases/{reference}/notes", json=reply), 409, "case_closed")
    refused(
        client.post(f"/api/v1/cases/{reference}/notes", json={**reply, "email": "x@example.org"}),
        404,
        "case_not_found",
    )
    assert case_notes(database, reference) == notes_before
    assert case_row(database, reference).status == "closed"


def test_staff_endpoints_need_a_support_or_admin_token(
    client: FlaskClient, make_staff_member: Callable[[str], Staff]
) -> None:
    reference = str(open_case(client)["reference"])
    refused(client.get("/api/v1/support/cases"), 401, "authentication_required")
    planner = make_staff_member("planner")
    calls = [
        ("GET", "/api/v1/support/cases", None),
        ("POST", "/api/v1/support/cases", {"kind": "other", "subject": "s", "message": "m"}),
        ("GET", f"/api/v1/support/cases/{reference}", None),
        ("POST", f"/api/v1/support/cases/{reference}/assign", {"assignee_id": None}),
        ("POST", f"/api/v1/support/cases/{reference}/status", {"status": "open"}),
        ("POST", f"/api/v1/support/cases/{reference}/priority", {"priority": "low"}),
        ("POST", f"/api/v1/support/cases/{reference}/notes", {"body": "x"}),
    ]
    for method, path, body in calls:
        answer = client.open(path, method=method, json=body, headers=planner.headers)
        refused(answer, 403, "insufficient_role")
    for role in ("support", "admin"):
        member = make_staff_member(role)
        assert client.get("/api/v1/support/cases", headers=member.headers).status_code == 200


def test_assignment_opens_a_new_case_and_only_case_workers_are_assigned(
    client: FlaskClient, database: Database, make_staff_member: Callable[[str], Staff]
) -> None:
    reference = str(open_case(client)["reference"])
    helper, admin, planner = (make_staff_member(r) for r in ("support", "admin", "planner"))
    url = f"/api/v1/support/cases/{reference}/assign"
    for bad in (planner.user_id, 999_999):
        refused(
            client.post(url, json={"assignee_id": bad}, headers=helper.headers),
            400,
            "invalid_assignee",
        )
    assert case_row(database, reference).assignee_id is None
    assert [event["change"] for event in case_events(database, reference)] == ["opened"]
    answer = client.post(url, json={"assignee_id": admin.user_id}, headers=helper.headers)
    assert answer.status_code == 200, answer.json
    assert (answer.json["status"], answer.json["assignee"]) == ("open", admin.email)
    again = client.post(url, json={"assignee_id": admin.user_id}, headers=helper.headers)
    assert again.status_code == 200
    events = case_events(database, reference)
    assert [(e["change"], e["assignee_id"], e["status"]) for e in events] == [
        ("opened", None, "new"),
        ("assigned", admin.user_id, "open"),
    ]


def test_status_and_priority_changes_record_events_and_move_the_due_time(
    client: FlaskClient, database: Database, make_staff_member: Callable[[str], Staff]
) -> None:
    reference = str(open_case(client, kind="refund")["reference"])
    helper = make_staff_member("support")
    base = f"/api/v1/support/cases/{reference}"
    refused(
        client.post(f"{base}/status", json={"status": "done"}, headers=helper.headers),
        400,
        "invalid_status",
    )
    refused(
        client.post(f"{base}/priority", json={"priority": "asap"}, headers=helper.headers),
        400,
        "invalid_priority",
    )
    assert [event["change"] for event in case_events(database, reference)] == ["opened"]
    for status in ("waiting_on_traveler", "waiting_on_traveler", "resolved"):
        client.post(f"{base}/status", json={"status": status}, headers=helper.headers)
    answer = client.post(f"{base}/priority", json={"priority": "urgent"}, headers=helper.headers)
    row = case_row(database, reference)
    assert row.due_at - row.created_at == timedelta(hours=2)
    assert answer.json["priority"] == "urgent"
    changes = [(e["change"], e["status"], e["priority"]) for e in case_events(database, reference)]
    assert changes == [
        ("opened", "new", "normal"),
        ("status", "waiting_on_traveler", "normal"),
        ("status", "resolved", "normal"),
        ("priority", "resolved", "urgent"),
    ]
    refused(client.get("/api/v1/support/cases/CS-NOPE00", headers=helper.headers), 404,
            "case_not_found")  # fmt: skip


def test_staff_open_a_case_for_a_traveler_and_see_every_note(
    client: FlaskClient, database: Database, make_staff_member: Callable[[str], Staff]
) -> None:
    helper = make_staff_member("support")
    body = {
        "kind": "lost_card",
        "subject": "Called in: lost card",
        "message": "Traveler phoned; card lost at Park.",
        "contact_email": "caller@example.org",
        "card_technology": "nfc_uid",
        "card_uid": UID,
        "assignee_id": helper.user_id,
    }
    answer = client.post("/api/v1/support/cases", json=body, headers=helper.headers)
    assert answer.status_code == 201, answer.json
    case = answer.json
    assert (case["source"], case["status"], case["priority"]) == ("staff", "open", "urgent")
    assert case["media_fingerprint"] == media_fingerprint("nfc_uid", bytes.fromhex(UID))
    assert [(n["author"], n["author_email"]) for n in case["notes"]] == [("staff", helper.email)]
    refused(
        client.post(
            "/api/v1/support/cases",
            json={**body, "booking_reference": "NOPE2345", "card_uid": None},
            headers=helper.headers,
        ),
        404,
        "booking_not_found",
    )
    refused(
        client.post("/api/v1/support/cases", json={**body, "tap_id": 12345},
                    headers=helper.headers),
        404,
        "tap_not_found",
    )  # fmt: skip
    assert count_cases(database) == 1


def test_the_queue_filters_by_status_kind_priority_assignee_and_overdue(
    client: FlaskClient,
    database: Database,
    make_staff_member: Callable[[str], Staff],
    open_traveler_case: Callable[..., str],
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=4)
    old_lost = open_traveler_case("lost_card", now=long_ago)  # urgent, overdue
    old_other = open_traveler_case("other", now=long_ago)  # normal, overdue
    fresh_gate = open_traveler_case("gate_did_not_open")  # high, due in 8 h
    fresh_refund = open_traveler_case("refund")
    helper, other = make_staff_member("support"), make_staff_member("support")
    with database.sessions() as session:
        support_queue.assign(session, old_other, helper.user_id, datetime.now(UTC))
        support_queue.assign(session, fresh_gate, other.user_id, datetime.now(UTC))
        support_queue.set_status(session, fresh_refund, "resolved", datetime.now(UTC))

    def listed(**query: str) -> list[str]:
        answer = client.get("/api/v1/support/cases", query_string=query, headers=helper.headers)
        assert answer.status_code == 200, answer.json
        return [row["reference"] for row in answer.json["cases"]]

    assert listed() == [old_lost, old_other, fresh_gate, fresh_refund]  # by due time
    assert listed(status="unresolved") == [old_lost, old_other, fresh_gate]
    assert listed(status="resolved") == [fresh_refund]
    assert listed(kind="gate_did_not_open") == [fresh_gate]
    assert listed(priority="urgent") == [old_lost]
    assert listed(assignee="me") == [old_other]
    assert listed(assignee=str(other.user_id)) == [fresh_gate]
    assert listed(assignee="none") == [old_lost, fresh_refund]
    assert listed(overdue="true") == [old_lost, old_other]
    assert listed(sort="priority") == [old_lost, fresh_gate, old_other, fresh_refund]
    assert listed(sort="created", dir="desc") == [fresh_refund, fresh_gate, old_lost, old_other]
    rows = client.get("/api/v1/support/cases", headers=helper.headers).json["cases"]
    assert [row["overdue"] for row in rows] == [True, True, False, False]
    for query, code in (
        ({"status": "someday"}, "invalid_status"),
        ({"kind": "meh"}, "invalid_case_kind"),
        ({"priority": "asap"}, "invalid_priority"),
        ({"sort": "colour"}, "invalid_sort"),
    ):
        answer = client.get("/api/v1/support/cases", query_string=query, headers=helper.headers)
        refused(answer, 400, code)
    answer = client.get(
        "/api/v1/support/cases", query_string={"assignee": "everyone"}, headers=helper.headers
    )
    refused(answer, 422, "validation_failed")


def test_services_reject_unknown_values_before_writing(
    database: Database, open_traveler_case: Callable[..., str]
) -> None:
    reference = open_traveler_case()
    with database.sessions() as session:
        case = session.scalar(select(SupportCase).where(SupportCase.reference == reference))
        assert case is not None
        now = datetime.now(UTC)
        assert support_cases.change_status(session, case, "new", now) is False
        with pytest.raises(Exception, match="priority"):
            support_cases.change_priority(session, case, "none", sla=DEFAULT_SLA, now=now)
        session.rollback()
    assert [event["change"] for event in case_events(database, reference)] == ["opened"]
