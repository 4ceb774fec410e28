"""Path parameters that name a row by its integer key (``<id:name>``), and the bounds of the
other numbers that reach the database as keys or offsets."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

MAX_ROW_ID = 2**31 - 1  # the largest INTEGER key
MAX_BIG_ROW_ID = 2**63 - 1  # the largest BIGINT key (taps)
MAX_OFFSET = 2**63 - 1  # the largest OFFSET PostgreSQL takes


class RowIdConverter(IntegerConverter):
    """A positive integer no larger than an INTEGER key. A larger number names no row, so it
    matches no route and gets 404 ``not_found`` instead of reaching the database (where
    PostgreSQL would refuse to compare it with the key). The bounds are in the OpenAPI
    document."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)
