"""A feed version's validation report for people: its stored notices, sorted by any column.

The counts per code are complete (``FeedVersion.notice_counts``); the notices themselves are
the sample the import stored (``backend.services.feeds``), shown a page at a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backend.models import FeedNotice
from backend.services.feeds import get_version

SEVERITY_RANK = case({"ERROR": 0, "WARNING": 1}, value=FeedNotice.severity, else_=2)
SORT_COLUMNS: dict[str, Any] = {
    "severity": SEVERITY_RANK,
    "code": FeedNotice.code,
    "file": FeedNotice.file,
    "row": FeedNotice.row,
    "field": FeedNotice.field,
    "value": FeedNotice.value,
}
DEFAULT_SORT = "severity"


def notice_page(
    session: Session,
    version_id: int,
    *,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[FeedNotice], int]:
    """A page of the version's stored notices ordered by ``sort``, and how many are stored.

    An unknown ``sort`` orders by severity; ties keep the order the validator found them in.
    """
    get_version(session, version_id)
    column = SORT_COLUMNS.get(sort, SEVERITY_RANK)
    order = column.desc() if descending else column.asc()
    where = FeedNotice.feed_version_id == version_id
    total = session.scalar(select(func.count()).select_from(FeedNotice).where(where)) or 0
    page = session.scalars(
        select(FeedNotice)
        .where(where)
        .order_by(order.nulls_last() if not descending else order.nulls_first(), FeedNotice.id)
        .limit(limit)
        .offset(offset)
    )
    return list(page), total
