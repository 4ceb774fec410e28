"""The console's Cases pages: the queue with its filters, sorting and overdue highlighting,
and a case's page where support staff assign, change status and priority, and write notes.
Refused forms show their code and change nothing."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from backend.db import Database
from tests.integration.support.conftest import case_events, case_notes, case_row, emails
from tests.integration.web.console_session import ConsoleSession, make_staff


def signed_in(client: FlaskClient, database: Database, email: str, role: str) -> ConsoleSession:
    make_staff(database, email, role)
    console = ConsoleSession(client)
    console.sign_in_fully(email)
    return console


def text(answer: object) -> str:
    return html.unescape(answer.get_data(as_text=True))  # type: ignore[attr-defined]


def test_the_queue_filters_sorts_and_highlights_overdue_cases(
    client: FlaskClient, database: Database, open_traveler_case: Callable[..., str]
) -> None:
    late = open_traveler_case(
        "lost_card", subject="Card lost", now=datetime.now(UTC) - timedelta(hours=3)
    )
    fresh = open_traveler_case("gate_did_not_open", subject="Gate stuck")
    console = signed_in(client, database, "help@example.org", "support")
    queue = console.get("/console/cases")
    assert queue.status_code == 200
    page = text(queue)
    assert '<a href="/console/cases" aria-current="page">Cases</a>' in page
    assert page.index(late) < page.index(fresh)  # soonest due first
    assert page.count("row-overdue") == 1
    assert "Overdue" in page
    assert 'aria-sort="ascending"' in page
    assert "sort=priority" in page
    assert '<label for="q-status"' in page
    overdue_only = text(console.get("/console/cases?overdue=1"))
    assert late in overdue_only
    assert fresh not in overdue_only
    by_kind = text(console.get("/console/cases?kind=gate_did_not_open"))
    assert fresh in by_kind
    assert late not in by_kind
    newest_first = text(console.get("/console/cases?sort=created&dir=desc&status=all"))
    assert newest_first.index(fresh) < newest_first.index(late)
    mine = text(console.get("/console/cases?assignee=me"))
    assert "No case matches these filters." in mine
    bad = console.get("/console/cases?status=someday")
    assert bad.status_code == 200
    assert "invalid_status" in text(bad)


def test_support_assigns_to_themselves_and_changes_status_and_priority(
    client: FlaskClient, database: Database, open_traveler_case: Callable[..., str]
) -> None:
    reference = open_traveler_case("refund")
    make_staff(database, "planner@example.org", "planner")
    console = signed_in(client, database, "help@example.org", "support")
    page = f"/console/cases/{reference}"
    assert "Assign to me" in text(console.get(page))
    answer = console.submit(page, f"{page}/assign", {"assignee": "me"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == page
    row = case_row(database, reference)
    assert row.status == "open"
    assert row.assignee_id is not None
    shown = text(console.get(page))
    assert "Assignment saved." in shown
    assert "Assign to me" not in shown
    console.submit(page, f"{page}/status", {"status": "waiting_on_traveler"})
    console.submit(page, f"{page}/priority", {"priority": "urgent"})
    row = case_row(database, reference)
    assert (row.status, row.priority) == ("waiting_on_traveler", "urgent")
    assert row.due_at - row.created_at == timedelta(hours=2)
    changes = [event["change"] for event in case_events(database, reference)]
    assert changes == ["opened", "assigned", "status", "priority"]


def test_refused_forms_show_their_code_and_change_nothing(
    client: FlaskClient, database: Database, open_traveler_case: Callable[..., str]
) -> None:
    reference = open_traveler_case()
    console = signed_in(client, database, "help@example.org", "support")
    page = f"/console/cases/{reference}"
    before = case_row(database, reference)
    for action, data, code in (
        ("status", {"status": "finished"}, "invalid_status"),
        ("priority", {"priority": "asap"}, "invalid_priority"),
        ("assign", {"assignee": "12345"}, "invalid_assignee"),
        ("assign", {"assignee": "someone"}, "invalid_assignee"),
        ("notes", {"body": "   ", "visibility": "traveler"}, "invalid_note"),
        ("check", {}, "not_charged_twice"),
    ):
        answer = console.submit(page, f"{page}/{action}", data)
        assert answer.status_code == 200, action
        assert code in text(answer), action
    after = case_row(database, reference)
    assert (after.status, after.priority, after.assignee_id, after.due_at) == (
        before.status,
        before.priority,
        before.assignee_id,
        before.due_at,
    )
    assert [event["change"] for event in case_events(database, reference)] == ["opened"]
    missing = console.get("/console/cases/CS-NOPE00")
    assert missing.status_code == 404
    assert "case_not_found" in text(missing)


def test_internal_notes_stay_inside_and_replies_are_emailed(
    client: FlaskClient, database: Database, open_traveler_case: Callable[..., str]
) -> None:
    reference = open_traveler_case(email="rider@example.org")
    console = signed_in(client, database, "help@example.org", "support")
    page = f"/console/cases/{reference}"
    console.submit(page, f"{page}/notes", {"body": "Called the depot.", "visibility": "internal"})
    console.submit(page, f"{page}/notes", {"body": "We found it.", "visibility": "traveler"})
    assert case_notes(database, reference)[1:] == [
        ("staff", True, "Called the depot."),
        ("staff", False, "We found it."),
    ]
    sent = emails(database)
    assert len(sent) == 2
    assert sent[-1][0] == "rider@example.org"
    assert sent[-1][2].startswith("We found it.")
    shown = text(console.get(page))
    assert "Internal" in shown
    assert "Sent to traveler" in shown
    assert "help@example.org" in shown
    assert case_row(database, reference).status == "open"


def test_planners_do_not_see_cases(
    client: FlaskClient, database: Database, open_traveler_case: Callable[..., str]
) -> None:
    reference = open_traveler_case()
    console = signed_in(client, database, "plan@example.org", "planner")
    assert ">Cases<" not in text(console.get("/console/trips"))
    refused = console.get(f"/console/cases/{reference}")
    assert refused.status_code == 403
    assert "insufficient_role" in text(refused)
