"""Property tests: on generated small Fares v2 feeds the engine prices or says why not."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fares.engine import FareError, price_journey
from fares.fare_tables import FareTables
from fares.journey import Journey, Leg
from gtfs.currencies import MINOR_UNITS
from tests.unit.fares.fare_feeds import at

IDS = st.sampled_from(["", "a", "b"])
NETWORKS = st.sampled_from(["", "n1", "n2"])
STOPS = ["s1", "s2", "s3", "s4"]
ROUTES = ["r1", "r2", "r3"]
CODES = {"no_fare", "unknown_route", "unknown_rider_category", "empty_journey"}


def _row(**fields: str) -> dict[str, str]:
    return dict(fields)


leg_rule = st.builds(
    lambda group, network, src, dst, tf_from, tf_to, product, priority: _row(
        leg_group_id=group,
        network_id=network,
        from_area_id=src,
        to_area_id=dst,
        from_timeframe_group_id=tf_from,
        to_timeframe_group_id=tf_to,
        fare_product_id=product,
        rule_priority=priority,
    ),
    st.sampled_from(["", "g1", "g2"]),
    NETWORKS,
    IDS,
    IDS,
    st.sampled_from(["", "peak"]),
    st.sampled_from(["", "peak"]),
    st.sampled_from(["p1", "p2", "p3"]),
    st.sampled_from(["", "0", "1", "2"]),
)
product = st.builds(
    lambda pid, amount, category, media: _row(
        fare_product_id=pid,
        amount=f"{amount / 100:.2f}",
        currency="EUR",
        rider_category_id=category,
        fare_media_id=media,
    ),
    st.sampled_from(["p1", "p2", "p3", "x1"]),
    st.integers(0, 1000),
    st.sampled_from(["", "adult", "child"]),
    st.sampled_from(["", "card", "paper"]),
)
transfer_rule = st.builds(
    lambda src, dst, count, limit, limit_type, kind, pid: _row(
        from_leg_group_id=src,
        to_leg_group_id=dst,
        transfer_count=count if src == dst else "",
        duration_limit=limit,
        duration_limit_type=limit_type if limit else "",
        fare_transfer_type=kind,
        fare_product_id=pid,
    ),
    st.sampled_from(["", "g1", "g2"]),
    st.sampled_from(["", "g1", "g2"]),
    st.sampled_from(["-1", "1", "2"]),
    st.sampled_from(["", "600", "3600"]),
    st.sampled_from(["0", "1", "2", "3"]),
    st.sampled_from(["0", "1", "2"]),
    st.sampled_from(["", "x1", "p1"]),
)


def _baseline(draw: st.DrawFn) -> list[dict[str, str]]:
    # Products every rider may buy, so that many generated journeys get a price.
    if not draw(st.booleans()):
        return []
    return [
        _row(fare_product_id=pid, amount=str(draw(st.integers(0, 9))), currency="EUR")
        for pid in ("p1", "p2", "p3", "x1")
    ]


@st.composite
def feeds(draw: st.DrawFn) -> FareTables:
    with_priority = draw(st.booleans())
    rules = draw(st.lists(leg_rule, min_size=1, max_size=6))
    if draw(st.booleans()):
        rules.append(_row(leg_group_id="g1", fare_product_id="p1", rule_priority=""))
    if not with_priority:
        rules = [{k: v for k, v in rule.items() if k != "rule_priority"} for rule in rules]
    rows = {
        "routes": [_row(route_id=route, network_id=draw(NETWORKS)) for route in ROUTES],
        "stop_areas": [
            _row(area_id=area, stop_id=stop)
            for stop in STOPS
            for area in draw(st.sets(st.sampled_from(["a", "b"]), max_size=2))
        ],
        "timeframes": [
            _row(
                timeframe_group_id="peak",
                start_time="07:00:00",
                end_time="09:00:00",
                service_id="wk",
            )
        ],
        "rider_categories": [
            _row(
                rider_category_id="adult", is_default_fare_category=draw(st.sampled_from(["", "1"]))
            ),
            _row(rider_category_id="child"),
        ],
        "fare_media": [_row(fare_media_id="card"), _row(fare_media_id="paper")],
        "fare_products": draw(st.lists(product, max_size=8)) + _baseline(draw),
        "fare_leg_rules": rules,
        "fare_transfer_rules": draw(st.lists(transfer_rule, max_size=4)),
    }
    return FareTables.from_rows(rows, MINOR_UNITS)


@st.composite
def journeys(draw: st.DrawFn) -> Journey:
    count = draw(st.sampled_from([0, 1, 1, 2, 2, 2, 3, 3, 4]))
    start = at("06:30")
    legs = []
    for _ in range(count):
        start += timedelta(minutes=draw(st.integers(0, 90)))
        ride = timedelta(minutes=draw(st.integers(0, 60)))
        legs.append(
            Leg(
                draw(st.sampled_from([*ROUTES, *ROUTES, *ROUTES, "unknown"])),
                draw(st.sampled_from(STOPS)),
                draw(st.sampled_from(STOPS)),
                start,
                start + ride,
                draw(st.sampled_from([frozenset(), frozenset({"wk"})])),
            )
        )
        start += ride
    return Journey(
        tuple(legs),
        draw(st.sampled_from([None, None, "adult", "adult", "child", "nobody"])),
        draw(st.sampled_from([None, "card", "paper"])),
    )


@settings(max_examples=300, deadline=None)
@given(feeds(), journeys())
def test_quote_adds_up_and_is_never_negative_or_fare_error(
    tables: FareTables, trip: Journey
) -> None:
    failure: FareError | None = None
    try:
        quote = price_journey(tables, trip)
    except FareError as error:
        failure = error
    if failure is not None:
        assert failure.code in CODES
        return
    parts = [fare.amount.amount for fare in quote.legs] + [t.amount.amount for t in quote.transfers]
    assert quote.total.amount == sum(parts)
    assert quote.total.amount >= 0
    assert len(quote.legs) == len(trip.legs)
    assert quote.explanation()
