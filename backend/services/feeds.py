"""Import, list and publish GTFS feed versions.

An import validates and loads in one pass inside one transaction. A feed with ERROR notices
is rolled back and kept only as a *draft* (its report, no data), which cannot be published;
any failure part-way (a lost connection, an interrupt) leaves nothing behind. Publishing
switches the single ``active_feed`` row, so readers see the old version or the new one,
never a mix. Older versions stay, for the bookings that reference them.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.db import Database, Executor, core
from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import GTFS_TABLES, ActiveFeed, FeedNotice, FeedVersion
from backend.services.feed_bulk import BulkLoadError
from backend.services.feed_writers import ProgressCallback, RowWriter, writer_for
from gtfs.notices import Report
from gtfs.validator import validate_feed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    """What an import produced: the stored version, its full report, and whether it is live."""

    version: FeedVersion
    report: Report
    published: bool


class Upload(Protocol):
    """An uploaded file that can be saved to a path (werkzeug's ``FileStorage``)."""

    def save(self, dst: str | os.PathLike[str]) -> None:
        """Write the upload to ``dst``."""


def import_upload(
    database: Database,
    upload: Upload,
    *,
    filename: str,
    now: datetime,
    created_by: int | None,
    publish: bool = False,
) -> ImportResult:
    """Validate and load an uploaded GTFS zip (the API's and the console's) as a new version;
    ``filename`` is kept without any folder the client sent."""
    with tempfile.TemporaryDirectory(prefix="faregate-feed-") as folder:
        path = Path(folder) / "feed.zip"
        upload.save(path)
        return import_feed(
            database,
            path,
            filename=Path(filename).name,
            now=now,
            today=now.date(),
            created_by=created_by,
            publish=publish,
        )


def import_feed(
    database: Database,
    path: Path,
    *,
    filename: str,
    now: datetime,
    today: date,
    created_by: int | None = None,
    publish: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Validate and load the feed at ``path`` as a new version (a draft if it has errors)."""
    digest, size = _fingerprint(path)
    origin: dict[str, object] = {
        "filename": filename,
        "sha256": digest,
        "size_bytes": size,
        "created_at": now,
        "created_by": created_by,
    }
    load = functools.partial(
        _load, database, path, origin, today=today, now=now, publish=publish, progress=progress
    )
    try:
        return load(bulk=True)
    except BulkLoadError as exc:
        log.warning("bulk copy refused (%s); loading %s row by row", exc, filename)
        return load(bulk=False)


def _load(
    database: Database,
    path: Path,
    origin: dict[str, object],
    *,
    today: date,
    now: datetime,
    publish: bool,
    progress: ProgressCallback | None,
    bulk: bool,
) -> ImportResult:
    writer: RowWriter | None = None
    try:
        with database.sessions() as session:
            version = FeedVersion(status="loaded", row_counts={}, **origin, **_counts(Report()))
            session.add(version)
            session.flush()
            writer = writer_for(session.connection(), version.id, progress, path if bulk else None)
            try:
                report = validate_feed(path, today=today, sink=writer)
                if report.has_errors:
                    writer.abort(FeedDiscardedError())
                else:
                    writer.close()
            except BaseException as error:
                writer.abort(error)
                raise
            if report.has_errors:
                session.rollback()
                draft = FeedVersion(status="draft", row_counts={}, **origin, **_counts(report))
                session.add(draft)
                session.flush()
                _add_notices(session, draft.id, report)
                session.commit()
                return ImportResult(draft, report, published=False)
            _record_report(session, version, report, writer.row_counts)
            version.feed_label = _feed_label(session, version.id)
            if publish:
                _activate(session, version, now)
            session.commit()
            return ImportResult(version, report, publish)
    finally:
        if writer is not None:
            writer.release()


class FeedDiscardedError(Exception):
    """Why a load in progress is abandoned: the feed has ERROR notices."""


def _record_report(
    session: Session, version: FeedVersion, report: Report, row_counts: dict[str, int]
) -> None:
    for key, value in _counts(report).items():
        setattr(version, key, value)
    version.row_counts = dict(row_counts)
    _add_notices(session, version.id, report)


def _counts(report: Report) -> dict[str, object]:
    summary = report.summary()
    return {
        "error_count": report.error_count,
        "warning_count": report.warning_count,
        "info_count": report.info_count,
        "notice_counts": summary["by_code"],
    }


def _add_notices(session: Session, version_id: int, report: Report) -> None:
    session.add_all(
        FeedNotice(
            feed_version_id=version_id,
            code=notice.code,
            severity=notice.severity.value,
            file=notice.file,
            row=notice.row,
            field=notice.field,
            value=notice.value,
            detail=notice.detail,
        )
        for notice in report.notices
    )


def _feed_label(session: Session, version_id: int) -> str | None:
    feed_info = GTFS_TABLES["feed_info"]
    label = session.scalar(
        select(feed_info.c.feed_version).where(feed_info.c.feed_version_id == version_id).limit(1)
    )
    return str(label) if label else None


def publish(session: Session, version_id: int, *, now: datetime) -> FeedVersion:
    """Make ``version_id`` the active feed; refused for drafts."""
    version = session.get(FeedVersion, version_id)
    if version is None:
        raise NotFoundError("feed_not_found", f"no feed version {version_id}")
    if version.status != "loaded":
        raise ConflictError(
            "feed_has_errors",
            f"feed version {version_id} has {version.error_count} error(s) and cannot be published",
        )
    _activate(session, version, now)
    session.commit()
    return version


def _activate(session: Session, version: FeedVersion, now: datetime) -> None:
    pointer = session.get(ActiveFeed, 1, with_for_update=True)
    if pointer is None:
        session.add(ActiveFeed(id=1, feed_version_id=version.id, published_at=now))
    else:
        pointer.feed_version_id = version.id
        pointer.published_at = now
    if version.published_at is None:
        version.published_at = now


_ACTIVE_VERSION = select(ActiveFeed.__table__.c.feed_version_id).where(
    ActiveFeed.__table__.c.id == 1
)


def active_version_id(session: Executor) -> int | None:
    """The id of the published feed version, or None before the first publication."""
    # Every reservation asks this: one statement built once, run without the ORM.
    version: int | None = core(session).scalar(_ACTIVE_VERSION)
    return version


def list_versions(session: Session) -> list[FeedVersion]:
    """Every feed version, newest first."""
    return list(session.scalars(select(FeedVersion).order_by(FeedVersion.id.desc())))


def get_version(session: Session, version_id: int) -> FeedVersion:
    """One feed version."""
    version = session.get(FeedVersion, version_id)
    if version is None:
        raise NotFoundError("feed_not_found", f"no feed version {version_id}")
    return version


def notices(
    session: Session, version_id: int, *, limit: int = 100, offset: int = 0
) -> tuple[list[FeedNotice], int]:
    """A page of a version's stored notices (ERROR first) and how many are stored."""
    get_version(session, version_id)
    where = FeedNotice.feed_version_id == version_id
    total = session.scalar(select(func.count()).select_from(FeedNotice).where(where)) or 0
    rank = case({"ERROR": 0, "WARNING": 1}, value=FeedNotice.severity, else_=2)
    page = session.scalars(
        select(FeedNotice).where(where).order_by(rank, FeedNotice.id).limit(limit).offset(offset)
    )
    return list(page), total


def _fingerprint(path: Path) -> tuple[str, int]:
    try:
        return _digest(path)
    except OSError as exc:
        raise ServiceError("feed_unreadable", f"cannot read {path}: {exc.strerror}") from exc


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    if path.is_dir():
        for member in sorted(path.iterdir()):
            if member.is_file():
                data = member.read_bytes()
                digest.update(member.name.encode() + b"\0" + data)
                size += len(data)
        return digest.hexdigest(), size
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
