"""``faregate keys``: create, rotate and list the keys that sign tickets and rule bundles."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.services.signing_keys import init_keyring, load_keyring, rotate_keyring


@click.group("keys")
def keys_group() -> None:
    """Manage the server's signing keys (the keyring of the signing_keys_file setting)."""


@keys_group.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing when the keyring exists.")
@pass_context
def init(ctx: CliContext, if_missing: bool) -> None:
    """Create the keyring with a first key."""
    path = Path(ctx.settings.signing_keys_file)
    if if_missing and path.exists():
        click.echo(f"keyring {path} already exists")
        return
    key = init_keyring(path, utc_now()).keys[-1]
    click.echo(f"keyring {path} created with key {key.kid}")


@keys_group.command("rotate")
@pass_context
def rotate(ctx: CliContext) -> None:
    """Sign from now on with a new key; tickets signed before stay valid."""
    path = Path(ctx.settings.signing_keys_file)
    key = rotate_keyring(path, utc_now()).keys[-1]
    click.echo(f"new signing key {key.kid}; earlier keys keep verifying what they signed")


@keys_group.command("list")
@pass_context
def list_keys(ctx: CliContext) -> None:
    """List the keys: id and the period of issue times each covers."""
    now = utc_now()
    keyring = load_keyring(Path(ctx.settings.signing_keys_file))
    current = keyring.current(now).kid
    published = {key.kid for key in keyring.key_set(now)}
    for key in keyring.keys:
        state = "signing" if key.kid == current else "trusted" if key.kid in published else "old"
        click.echo(f"{key.kid}\t{_iso(key.valid_from)}\t{_iso(key.valid_until)}\t{state}")


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@keys_group.command("public")
@pass_context
def public_keys(ctx: CliContext) -> None:
    """Print the public keys validators must trust, one JSON object per line (an agent's
    keys_file)."""
    for key in load_keyring(Path(ctx.settings.signing_keys_file)).key_set(utc_now()):
        click.echo(key.to_json())
