"""Support cases in the console: the queue and a case's page, for support staff and admins.

The queue (``/console/cases``) filters by status (unresolved by default), kind, priority,
assignee (anyone, me, unassigned or a named staff member) and overdue, sorts by any column
header, and shows each case's SLA due time, overdue ones highlighted. A case's page
(``/console/cases/<reference>``) shows its links, refunds and notes, and has forms to assign
it (to me, or to another case worker), change its status and priority, add an internal note
or reply to the traveler (e-mailed), and run the charged-twice check again. Planners are
refused: cases hold travelers' personal data and are support's work.

A refused form (an empty note, an unknown status) answers with the case page again, its
message and code beside the forms, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, render_template, request
from werkzeug.wrappers import Response

from backend import db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.models.support import CASE_KINDS, CASE_PRIORITIES, CASE_STATUSES
from backend.services import support_queue as queue
from backend.services.support_cases import find_case
from backend.services.support_policy import KIND_LABELS, STATUS_LABELS, SlaPolicy
from backend.services.support_policy import case_workers as list_case_workers
from backend.web.console.blueprint import bp
from backend.web.console.guard import current_staff, page, redirect_to

SORTABLE = tuple(queue.SORTS)


def _sla() -> SlaPolicy:
    return SlaPolicy.from_settings(current_app.config["FAREGATE_SETTINGS"])


def _labels() -> dict[str, Any]:
    return {
        "kinds": [(kind, KIND_LABELS[kind]) for kind in CASE_KINDS],
        "statuses": [(status, STATUS_LABELS[status]) for status in CASE_STATUSES],
        "priorities": list(CASE_PRIORITIES),
        "kind_labels": KIND_LABELS,
        "status_labels": STATUS_LABELS,
    }


@bp.get("/cases", endpoint="cases")
@page(Role.SUPPORT)
def cases_page() -> str:
    """The queue: filters, sortable columns, SLA due times."""
    session, now = db.session(), utc_now()
    args = request.args
    status = args.get("status", "unresolved")
    assignee = args.get("assignee", "")
    sort = args.get("sort", "due")
    wanted = queue.CaseFilter(
        status=None if status == "all" else status,
        kind=args.get("kind") or None,
        priority=args.get("priority") or None,
        assignee=_assignee_filter(assignee),
        unassigned=assignee == "none",
        overdue=args.get("overdue") == "1",
        sort=sort if sort in SORTABLE else "due",
        descending=args.get("dir") == "desc",
        page=_whole(args.get("page", "1")),
    )
    error = None
    try:
        found = queue.list_cases(session, wanted, now)
    except ServiceError as refused:
        error = refused
        found = queue.list_cases(session, queue.CaseFilter(status="unresolved"), now)
    names = queue.staff_names(session, {case.assignee_id for case in found.cases})
    return render_template(
        "console/cases.html",
        title="Cases",
        rows=[queue.case_summary(case, names, now) for case in found.cases],
        total=found.total,
        page_number=found.page,
        pages=found.pages,
        filters={
            "status": status,
            "kind": wanted.kind or "",
            "priority": wanted.priority or "",
            "assignee": assignee,
            "overdue": wanted.overdue,
        },
        sort=wanted.sort,
        descending=wanted.descending,
        workers=list_case_workers(session),
        error=error,
        **_labels(),
    )


@bp.get("/cases/<reference>", endpoint="case")
@page(Role.SUPPORT)
def case_page(reference: str) -> str:
    """One case: its facts, refunds, notes and the forms that work it."""
    return _case_page(reference)


@bp.post("/cases/<reference>/assign")
@page(Role.SUPPORT)
def assign_case(reference: str) -> Response | str:
    """Assign the case to me, to another case worker, or to nobody."""
    choice = request.form.get("assignee", "").strip()
    assignee = current_staff().user_id if choice == "me" else _assignee_id(choice)
    return _act(
        reference,
        lambda: queue.assign(db.session(), reference, assignee, utc_now()),
        "Assignment saved.",
    )


@bp.post("/cases/<reference>/status")
@page(Role.SUPPORT)
def case_status(reference: str) -> Response | str:
    """Change the case's status."""
    status = request.form.get("status", "")
    return _act(
        reference,
        lambda: queue.set_status(db.session(), reference, status, utc_now()),
        "Status saved.",
    )


@bp.post("/cases/<reference>/priority")
@page(Role.SUPPORT)
def case_priority(reference: str) -> Response | str:
    """Change the case's priority (and so its due time)."""
    priority = request.form.get("priority", "")
    return _act(
        reference,
        lambda: queue.set_priority(db.session(), reference, priority, sla=_sla(), now=utc_now()),
        "Priority saved; the due time follows it.",
    )


@bp.post("/cases/<reference>/notes")
@page(Role.SUPPORT)
def case_note(reference: str) -> Response | str:
    """Add an internal note, or reply to the traveler (e-mailed to them)."""
    body = request.form.get("body", "")
    visibility = request.form.get("visibility", "internal")
    if visibility not in ("internal", "traveler"):
        visibility = "internal"
    return _act(
        reference,
        lambda: queue.add_staff_note(
            db.session(),
            reference,
            body,
            internal=visibility == "internal",
            author_id=current_staff().user_id,
            now=utc_now(),
        ),
        "Reply sent to the traveler." if visibility == "traveler" else "Internal note added.",
        form={"body": body, "visibility": visibility},
    )


@bp.post("/cases/<reference>/check")
@page(Role.SUPPORT)
def check_case_charges(reference: str) -> Response | str:
    """Run the charged-twice check again (e.g. once the travel day is reconciled)."""
    outcome: list[bool] = []

    def run() -> None:
        outcome.append(queue.check_charges_again(db.session(), reference, utc_now()))

    answer = _act(reference, run, "")
    if outcome:
        flash(
            "A duplicate charge was found: refunded and closed."
            if outcome[0]
            else "No duplicate charge found; see the internal note.",
            "success" if outcome[0] else "info",
        )
    return answer


def _act(
    reference: str, action: Any, done: str, form: dict[str, str] | None = None
) -> Response | str:
    find_case(db.session(), reference)  # 404 before anything else
    try:
        action()
    except ServiceError as refused:
        db.session().rollback()
        return _case_page(reference, error=refused, form=form)
    if done:
        flash(done, "success")
    return redirect_to("console.case", reference=reference.strip().upper())


def _case_page(
    reference: str, error: ServiceError | None = None, form: dict[str, str] | None = None
) -> str:
    session, now = db.session(), utc_now()
    found = find_case(session, reference)
    return render_template(
        "console/case.html",
        title=f"Case {found.reference}",
        case=queue.staff_view(session, found, now),
        workers=list_case_workers(session),
        error=error,
        form=form or {},
        **_labels(),
    )


def _assignee_filter(choice: str) -> int | None:
    if choice == "me":
        return current_staff().user_id
    return int(choice) if choice.isdigit() and len(choice) < 10 else None


def _assignee_id(choice: str) -> int | None:
    if not choice:
        return None
    if not choice.isdigit() or len(choice) >= 10:
        return -1  # nobody has it: refused as invalid_assignee
    return int(choice)


def _whole(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else 1
