"""Help: travelers open a support case, find it again, read the answers and reply.

``/help`` is the form that opens a case (what happened, a subject and message, the e-mail to
answer, and optionally the booking it is about, checked against the booking's e-mail as when
finding a booking). ``/help/cases`` finds a case by its reference and e-mail address;
``/help/cases/<reference>`` shows it with the notes meant for the traveler and a reply form
(a reply to a resolved case reopens it; a closed case takes none).

Like bookings, the browser that opened or found a case remembers its reference in its signed
session cookie, so the case page can be reloaded without asking for the e-mail again. Card
UIDs are not asked for here (travelers rarely know them); apps that read the card use
``POST /api/v1/cases``.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from backend import db
from backend.clock import utc_now
from backend.errors import NotFoundError, ServiceError
from backend.models.support import CASE_KINDS
from backend.rate_limits import LimitGroup, limited
from backend.services import support_requests
from backend.services.support_cases import find_case
from backend.services.support_policy import KIND_LABELS, MAX_NOTE, MAX_SUBJECT, SlaPolicy
from backend.web.traveler.context import UNLOCKED_CASES, refusal_page, unlock, unlocked
from backend.web.traveler.forms import EMAIL, MAX_EMAIL, REFERENCE, Errors

bp = Blueprint("traveler_help", __name__)
bp.register_error_handler(ServiceError, refusal_page)

UNLOCKED = UNLOCKED_CASES


def _kinds() -> list[tuple[str, str]]:
    return [(kind, KIND_LABELS[kind]) for kind in CASE_KINDS]


@bp.get("/help")
def help_form() -> str:
    """The form that opens a case."""
    reference = "".join(request.args.get("booking", "").split()).upper()[:12]
    form = {"kind": "", "subject": "", "message": "", "email": "", "booking": reference}
    return render_template("traveler/help.html", form=form, errors={}, kinds=_kinds())


@bp.post("/help")
@limited(LimitGroup.SUPPORT)
def open_case() -> Response | str:
    """Open the case; the form again, with a message per field, when something is wrong."""
    form, errors = _read_case_form()
    if not errors:
        try:
            case = support_requests.open_for_traveler(
                db.session(),
                support_requests.TravelerCase(
                    kind=form["kind"],
                    subject=form["subject"],
                    message=form["message"],
                    email=form["email"],
                    booking_reference=form["booking"] or None,
                ),
                sla=SlaPolicy.from_settings(current_app.config["FAREGATE_SETTINGS"]),
                now=utc_now(),
            )
        except NotFoundError:
            db.session().rollback()
            errors["booking"] = (
                "No booking matches that reference and e-mail address. Check both, or leave "
                "the booking reference empty."
            )
    if errors:
        return render_template("traveler/help.html", form=form, errors=errors, kinds=_kinds())
    unlock(UNLOCKED, case.reference)
    flash(
        f"Your case {case.reference} is opened. We have sent its reference to your e-mail address.",
        "success",
    )
    return redirect(url_for("traveler_help.case_page", reference=case.reference), code=303)


@bp.get("/help/cases")
def find_form() -> str:
    """Find a case by its reference and e-mail address."""
    reference = request.args.get("reference", "").strip().upper()[:12]
    return render_template("traveler/help_find.html", reference=reference, email="", errors={})


@bp.post("/help/cases")
@limited(LimitGroup.LOOKUPS)
def find() -> Response | str:
    """Open the case the reference and e-mail name."""
    reference = request.form.get("reference", "").strip().upper()[:12]
    email = request.form.get("email", "").strip()[:MAX_EMAIL]
    errors: Errors = {}
    if not reference:
        errors["reference"] = "Enter your case reference."
    if not email:
        errors["email"] = "Enter the e-mail address you gave when you opened the case."
    if not errors:
        try:
            support_requests.case_for_traveler(db.session(), reference, email)
        except NotFoundError:
            errors["reference"] = (
                "No case matches that reference and e-mail address. Check both and try again."
            )
    if errors:
        return render_template(
            "traveler/help_find.html", reference=reference, email=email, errors=errors
        )
    unlock(UNLOCKED, reference)
    return redirect(url_for("traveler_help.case_page", reference=reference), code=303)


@bp.get("/help/cases/<reference>")
def case_page(reference: str) -> Response | str:
    """The case, the notes meant for the traveler, and the reply form."""
    return _case_page(reference, message="", errors={})


@bp.post("/help/cases/<reference>/reply")
@limited(LimitGroup.SUPPORT)
def reply(reference: str) -> Response | str:
    """Add the traveler's reply (reopening a resolved case)."""
    reference = reference.upper()
    if not unlocked(UNLOCKED, reference):
        return redirect(url_for("traveler_help.find_form", reference=reference))
    message = request.form.get("message", "").strip()
    errors: Errors = {}
    if not message:
        errors["message"] = "Write your message."
    elif len(message) > MAX_NOTE:
        errors["message"] = f"Keep your message under {MAX_NOTE} characters."
    if errors:
        return _case_page(reference, message=message, errors=errors)
    found = find_case(db.session(), reference)
    try:
        support_requests.reply_as_traveler(
            db.session(), reference, found.contact_email or "", message, utc_now()
        )
    except ServiceError as refused:
        db.session().rollback()
        return _case_page(reference, message=message, errors={"message": refused.message})
    flash("Your reply is added. We will answer by e-mail.", "success")
    return redirect(url_for("traveler_help.case_page", reference=reference), code=303)


def _case_page(reference: str, *, message: str, errors: Errors) -> Response | str:
    reference = reference.upper()
    if not unlocked(UNLOCKED, reference):
        return redirect(url_for("traveler_help.find_form", reference=reference))
    found = find_case(db.session(), reference)
    view = support_requests.traveler_view(db.session(), found, utc_now())
    return render_template("traveler/help_case.html", case=view, message=message, errors=errors)


def _read_case_form() -> tuple[dict[str, str], Errors]:
    form = {
        "kind": request.form.get("kind", ""),
        "subject": " ".join(request.form.get("subject", "").split())[:MAX_SUBJECT],
        "message": request.form.get("message", "").strip()[:MAX_NOTE],
        "email": request.form.get("email", "").strip()[:MAX_EMAIL],
        "booking": "".join(request.form.get("booking", "").split()).upper()[:12],
    }
    errors: Errors = {}
    if form["kind"] not in CASE_KINDS:
        errors["kind"] = "Choose what happened."
    if not form["subject"]:
        errors["subject"] = "Give your problem a short title."
    if not form["message"]:
        errors["message"] = "Tell us what happened."
    if not form["email"]:
        errors["email"] = "Enter an e-mail address, so that we can answer you."
    elif not EMAIL.fullmatch(form["email"]) or any(c in form["email"] for c in ',;<>"'):
        errors["email"] = "Enter an e-mail address like name@example.com."
    if form["booking"] and not REFERENCE.fullmatch(form["booking"]):
        errors["booking"] = "A booking reference has 8 letters and digits, like K7PQ2M9X."
    return form, errors
