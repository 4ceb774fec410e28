"""``faregate travelers``: export or erase a traveler's personal data, by contact e-mail.

Both commands act for an operator, so both are recorded in the audit log (``via`` cli), with
the address's hash: the staff member named by ``--staff`` when given (it must be an existing
staff account), else an unnamed operator, and as client address the local user and host the
command ran as. The outcome is recorded as the API would answer it (200, 404 ...).
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import socket
import sys

import click

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import accounts, audit, personal_data, personal_erasure, personal_export
from backend.services.audit import Actor, AuditEntry


@click.group("travelers")
def travelers_group() -> None:
    """A traveler's personal data: export and erasure."""


@travelers_group.command("export")
@click.argument("email")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the JSON document to this file (default: standard output).",
)
@click.option("--staff", "staff_email", help="The staff member asking (for the audit log).")
@pass_context
def export(ctx: CliContext, email: str, output: str | None, staff_email: str | None) -> None:
    """Export everything stored about the traveler with contact EMAIL, as JSON."""
    entry = _entry(ctx, "traveler.export", email, staff_email)
    try:
        with ctx.session() as session:
            document = personal_export.export(session, email, utc_now())
    except ServiceError as refused:
        audit.record(ctx.database, _ended(entry, refused.status))
        raise
    audit.record(ctx.database, entry)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
        click.echo(f"exported {len(document['bookings'])} booking(s) to {output}", err=True)
    else:
        sys.stdout.write(text)


@travelers_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
@click.option("--staff", "staff_email", help="The staff member asking (for the audit log).")
@pass_context
def erase(ctx: CliContext, email: str, yes: bool, staff_email: str | None) -> None:
    """Erase the personal data of the traveler with contact EMAIL (bookings stay, anonymized)."""
    entry = _entry(ctx, personal_erasure.ERASE_ACTION, email, staff_email)
    if not yes and not click.confirm(f"Erase the personal data of {email}? This cannot be undone"):
        audit.record(ctx.database, _ended(entry, 422))
        raise ServiceError("confirmation_required", "not confirmed: nothing was erased", status=422)
    try:
        done = personal_erasure.erase(ctx.database, email, now=utc_now(), recorded_as=entry)
    except ServiceError as refused:
        audit.record(ctx.database, _ended(entry, refused.status))
        raise
    if done.already_erased:
        click.echo(f"already erased (audit hash {done.email_hash[:16]}); nothing changed")
        return
    click.echo(
        f"erased: {done.bookings} booking(s) {' '.join(done.references)}, "
        f"{done.passengers} passenger(s), {done.tickets} ticket(s), "
        f"{done.support_cases} case(s) with {done.case_notes} note(s), "
        f"{done.messages} e-mail(s), {done.stored_responses} stored answer(s), "
        f"{done.accounts} traveler account(s) "
        f"(audit hash {done.email_hash[:16]})"
    )


def _entry(ctx: CliContext, action: str, email: str, staff_email: str | None) -> AuditEntry:
    """The audit row of this command, as if it succeeded."""
    actor = Actor("cli")
    if staff_email:
        with ctx.session() as session:
            user = accounts.find_user(session, staff_email)
            actor = Actor("cli", user.id, user.email, user.role)
    return AuditEntry(
        actor,
        action,
        200,
        utc_now(),
        target={"email_sha256": personal_data.email_hash(email)},
        client_address=_where(),
    )


def _ended(entry: AuditEntry, status: int) -> AuditEntry:
    return dataclasses.replace(entry, status=status, occurred_at=utc_now())


def _where() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:64]
