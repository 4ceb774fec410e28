"""``faregate gtfs``: validate, import, list and publish GTFS feeds."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

import click
from tqdm import tqdm

from backend.cli.context import CliContext, pass_context
from backend.clock import utc_now
from backend.services import feeds, sample_feed
from gtfs.summary import render_text
from gtfs.validator import validate_feed

FEED_PATH = click.Path(exists=True, path_type=Path)


@click.group("gtfs")
def gtfs_group() -> None:
    """GTFS timetables and fares."""


@gtfs_group.command("validate")
@click.argument("feed", type=FEED_PATH)
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def validate(feed: Path, as_json: bool) -> None:
    """Validate FEED (a zip or a folder); exit 1 when it has any ERROR."""
    report = validate_feed(feed, today=utc_now().date())
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report))
    if report.has_errors:
        raise click.exceptions.Exit(1)


@gtfs_group.command("import")
@click.argument("feed", type=FEED_PATH)
@click.option("--publish", is_flag=True, help="Make it the active feed when it has no ERROR.")
@pass_context
def import_(ctx: CliContext, feed: Path, publish: bool) -> None:
    """Validate and load FEED as a new feed version (a draft when it has ERRORs)."""
    result = _import(ctx, feed, publish=publish)
    version = result.version
    click.echo(render_text(result.report, examples=1), err=True)
    if version.status == "draft":
        click.echo(
            f"feed version {version.id} stored as a draft: {version.error_count} error(s); "
            "it cannot be published",
            err=True,
        )
        raise click.exceptions.Exit(1)
    state = "published" if result.published else "loaded (not published)"
    total = sum(version.row_counts.values())
    click.echo(f"feed version {version.id} {state}: {total} rows")


@gtfs_group.command("publish")
@click.argument("version_id", type=int)
@pass_context
def publish(ctx: CliContext, version_id: int) -> None:
    """Make feed version VERSION_ID the active one."""
    with ctx.session() as session:
        feeds.publish(session, version_id, now=utc_now())
    click.echo(f"feed version {version_id} is now active")


@gtfs_group.command("list")
@pass_context
def list_versions(ctx: CliContext) -> None:
    """List feed versions (id, status, active, errors, warnings, file)."""
    with ctx.session() as session:
        active = feeds.active_version_id(session)
        for version in feeds.list_versions(session):
            marker = "active" if version.id == active else ""
            click.echo(
                f"{version.id}\t{version.status}\t{marker}\t{version.error_count} errors\t"
                f"{version.warning_count} warnings\t{version.filename}"
            )


@gtfs_group.command("load-sample")
@click.option(
    "--original-dates",
    is_flag=True,
    help="Keep the sample's own calendar (2007 to 2010) instead of running from yesterday.",
)
@pass_context
def load_sample(ctx: CliContext, original_dates: bool) -> None:
    """Import and publish the bundled sample feed, only into a database with no feed yet.

    Its services are dated to run for a year from yesterday, so that its trips can be booked
    today; --original-dates loads it as published.
    """
    with ctx.session() as session:
        if feeds.list_versions(session):
            click.echo("feeds already present; sample feed not loaded")
            return
    if original_dates:
        result = _import(ctx, sample_feed.SAMPLE_FEED, publish=True)
        dated = "with its own dates (2007 to 2010)"
    else:
        first_day = utc_now().date() - timedelta(days=1)
        with tempfile.TemporaryDirectory(prefix="faregate-sample-") as folder:
            feed = sample_feed.running_from(Path(folder), first_day)
            result = _import(ctx, feed, publish=True)
        dated = f"running from {first_day:%Y-%m-%d} for a year"
    click.echo(f"sample feed loaded and published as feed version {result.version.id}, {dated}")


def _import(ctx: CliContext, feed: Path, *, publish: bool) -> feeds.ImportResult:
    """Import ``feed`` now, with a progress line when stderr is a terminal."""
    now = utc_now()
    bar_format = "{desc}: {n_fmt}{unit} [{elapsed}, {rate_fmt}]"
    with tqdm(
        unit=" rows", unit_scale=True, disable=None, leave=False, bar_format=bar_format
    ) as bar:

        def progress(table: str, rows: int) -> None:
            bar.set_description_str(table, refresh=False)
            bar.update(rows)

        return feeds.import_feed(
            ctx.database,
            feed,
            filename=feed.name,
            now=now,
            today=now.date(),
            publish=publish,
            progress=progress,
        )
