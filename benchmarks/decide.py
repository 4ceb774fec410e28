"""Tap decision benchmark: ``fares.decide`` against the floor of bare Ed25519 verification.

In one run, pinned to one CPU core where the OS allows it, it
  (a) builds and opens a realistic rule bundle: 3 credential keys (rotation), 500 products,
      10,000 deny-list entries (ticket ids and card fingerprints), manifests of 200
      reserved trips of 20 stops and 50 seats, and the day's vehicle assignments;
  (b) issues a mix of presented media as QR texts: reserved-seat single trips tapped on
      their bus (45 %), period passes tapped at an entry gate (35 %), revoked tickets
      (10 %) and tampered ones (10 %, one flipped byte);
  (c) measures, in ROUNDS alternating rounds after a warm-up, the floor (bare
      ``Ed25519PublicKey.verify`` calls per second over the payloads and signatures of the
      mix's correctly signed credentials: credential-sized payloads, varied as the taps
      are) and ``decide()`` decisions per second over DECISIONS taps of the mix; the
      figures are the medians, and ``ratio`` the median of the rounds' ratios;
  (d) times each of DECISIONS more ``decide()`` calls with ``perf_counter_ns`` and reports
      the 99th percentile in microseconds.
It also reports the QR text length of a single-trip reserved-seat ticket with realistic
GTFS ids (trip RUSH042 on 2008-06-02, seat 12A, BEATTY_AIRPORT to BULLFROG).
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fares.bundle import RuleBundle, build_bundle, open_bundle
from fares.credentials import Credential, Reservation, decode_unverified, issue
from fares.decide import decide
from fares.deny_list import DenyList
from fares.keys import KeySet, SigningKey, epoch_seconds
from fares.media import parse_qr_text, qr_text
from fares.rules import DeviceRole, Product, ProductKind, TripManifest
from fares.tap import (
    InMemoryHistory,
    MediaKind,
    PresentedMedia,
    TapContext,
    media_fingerprint,
)

DECISIONS = 20_000
WARM_UP = 2_000
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SERVICE_DAY = "2026-06-01"
rng = random.Random(42)  # noqa: S311 - reproducible test data, not secrets
ROUNDS = 3


def pin_to_one_core() -> str:
    """Pin the process to one CPU so floor and decisions share it."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def credential_keys() -> list[SigningKey]:
    """Three rotated keys; the last is current."""
    day = timedelta(days=1)
    return [
        SigningKey.generate(kid, NOW - (4 - kid) * 30 * day, NOW - (3 - kid) * 30 * day + day)
        for kid in (1, 2, 3)
    ]


def products() -> list[Product]:
    """500 products: reserved singles, zone passes and single rides."""
    made = [Product("res_single", "Reserved single", ProductKind.RESERVED, 86400)]
    for i in range(499):
        kind = (ProductKind.PERIOD, ProductKind.SINGLE, ProductKind.RESERVED)[i % 3]
        made.append(Product(f"prod_{i:03d}", f"Product {i}", kind, 86400,
                            frozenset({f"zone_{i % 7}", "zone_a"}), frozenset({"metro"}),
                            frozenset(), frozenset({"adult", "senior"})))  # fmt: skip
    return made


def trip_ids() -> list[str]:
    """200 reserved trip instances."""
    return [f"RUSH{i:03d}@{SERVICE_DAY}" for i in range(200)]


def reserved_ticket(key: SigningKey, trip: str, stops: list[str]) -> tuple[Credential, str]:
    """A reserved-seat single trip; returns the credential and its seat."""
    board = rng.randrange(0, 18)
    alight = rng.randrange(board + 1, 20)
    seat = f"{rng.randrange(1, 14)}{'ABCD'[rng.randrange(4)]}"
    issued = epoch_seconds(NOW) - 3600
    credential = Credential(key.kid, secrets.token_hex(8), "res_single", "adult", issued,
                            issued, issued + 2 * 86400,
                            Reservation(trip, seat, stops[board], stops[alight]))  # fmt: skip
    return credential, seat


def pass_ticket(key: SigningKey) -> Credential:
    """A 120-day period pass in zone_a, issued early in its key's period."""
    issued = key.valid_from + 3600
    product = f"prod_{3 * rng.randrange(166):03d}"
    return Credential(key.kid, secrets.token_hex(8), product, "adult", issued, issued,
                      issued + 120 * 86400)  # fmt: skip


Tap = tuple[PresentedMedia, TapContext]


def taps(keys: list[SigningKey]) -> tuple[list[Tap], list[TripManifest], list[str]]:
    """The presented mix, the manifests it implies, and the revoked ticket ids."""
    stops = {trip: [f"STOP_{trip[4:7]}_{n:02d}_BEATTY_AIRPORT" for n in range(20)]
             for trip in trip_ids()}  # fmt: skip
    seats: dict[str, dict[str, str | None]] = {trip: {} for trip in stops}
    revoked: list[str] = []
    mix: list[Tap] = []
    at = NOW + timedelta(minutes=5)
    gate = TapContext(at, "gate-1", DeviceRole.GATE_ENTRY, "CENTRAL", frozenset({"zone_a"}))
    for i in range(1000):
        slot = i % 20
        if slot < 9:
            trip = rng.choice(trip_ids())
            credential, seat = reserved_ticket(keys[2], trip, stops[trip])
            seats[trip][credential.ticket_id] = seat
            res = credential.reservation
            assert res is not None
            context = TapContext(at, "bus-1", DeviceRole.BUS, res.board_stop_id, frozenset(),
                                 "metro", "R1", trip)  # fmt: skip
            mix.append((PresentedMedia(MediaKind.QR_TEXT, qr_text(issue(credential, keys[2]))),
                        context))  # fmt: skip
            continue
        key = keys[1 + (slot % 2)]
        credential = pass_ticket(key)
        blob = issue(credential, key)
        if slot >= 18:
            revoked.append(credential.ticket_id)
        elif slot >= 16:
            tampered = bytearray(blob)
            tampered[rng.randrange(len(blob))] ^= 1 << rng.randrange(8)
            blob = bytes(tampered)
        mix.append((PresentedMedia(MediaKind.QR_TEXT, qr_text(blob)), gate))
    manifests = [TripManifest(t, tuple(stops[t]), seats[t]) for t in stops]
    return mix, manifests, revoked


def build(
    server: SigningKey, keys: list[SigningKey], manifests: list[TripManifest], revoked: list[str]
) -> bytes:
    """The signed bundle blob."""
    deny_tickets = revoked + [secrets.token_hex(8) for _ in range(9_000 - len(revoked))]
    deny_media = [media_fingerprint("iso14443a", secrets.token_bytes(7)) for _ in range(1_000)]
    return build_bundle(
        signing_key=server, version=1, issued_at=NOW, valid_until=NOW + timedelta(days=7),
        keys=[k.public_key() for k in keys], products=products(),
        deny=DenyList.of(1, deny_tickets, deny_media),
        passback_s={DeviceRole.GATE_ENTRY: 600, DeviceRole.BUS: 300}, clock_skew_s=60,
        manifests=manifests, vehicle_trips={f"bus-{i}": [t] for i, t in enumerate(trip_ids())},
    )  # fmt: skip


Signed = tuple[Ed25519PublicKey, bytes, bytes]


def signed_payloads(mix: list[Tap], keys: list[SigningKey]) -> list[Signed]:
    """(verifier, signature, payload) of every correctly signed credential in the mix.

    The floor verifies these same varied messages, as the decisions must, rather than one
    message over and over.
    """
    verifiers = {k.kid: Ed25519PublicKey.from_public_bytes(k.public_key().raw) for k in keys}
    triples = []
    for media, _ in mix:
        blob = parse_qr_text(media.payload)
        credential = decode_unverified(blob) if isinstance(blob, bytes) else None
        if isinstance(blob, bytes) and isinstance(credential, Credential):
            triple = (verifiers[credential.kid], blob[-64:], blob[:-64])
            if _verifies(triple):
                triples.append(triple)
    return triples


def _verifies(triple: Signed) -> bool:
    try:
        triple[0].verify(triple[1], triple[2])
    except InvalidSignature:
        return False
    return True


def floor_verify_per_s(triples: list[Signed]) -> float:
    """Bare Ed25519 verifications per second over credential payloads and signatures."""
    count = len(triples)
    start = time.perf_counter()
    for i in range(DECISIONS):
        verifier, signature, payload = triples[i % count]
        verifier.verify(signature, payload)
    return DECISIONS / (time.perf_counter() - start)


def decisions_per_s(mix: list[Tap], bundle: RuleBundle, history: InMemoryHistory) -> float:
    """Decisions per second through ``decide`` over the mix."""
    count = len(mix)
    start = time.perf_counter()
    for i in range(DECISIONS):
        media, context = mix[i % count]
        decide(media, context, bundle, history)
    return DECISIONS / (time.perf_counter() - start)


def p99_us(mix: list[Tap], bundle: RuleBundle, history: InMemoryHistory) -> float:
    """The 99th percentile of single-decision latency in microseconds."""
    count = len(mix)
    clock = time.perf_counter_ns
    samples = []
    for i in range(DECISIONS):
        media, context = mix[i % count]
        begin = clock()
        decide(media, context, bundle, history)
        samples.append(clock() - begin)
    return statistics.quantiles(samples, n=100)[98] / 1000


def realistic_reserved_blob(key: SigningKey) -> bytes:
    """A single-trip reserved-seat ticket with long-ish GTFS ids."""
    issued = epoch_seconds(NOW) - 3600
    credential = Credential(key.kid, secrets.token_hex(8), "res_single", "adult", issued,
                            issued, issued + 2 * 86400,
                            Reservation("RUSH042@2008-06-02", "12A", "BEATTY_AIRPORT",
                                        "BULLFROG"))  # fmt: skip
    return issue(credential, key)


def main() -> None:
    """Run the benchmark and print its figures."""
    print(pin_to_one_core(), flush=True)
    keys = credential_keys()
    mix, manifests, revoked = taps(keys)
    server = SigningKey.generate(100, NOW - timedelta(days=10), NOW + timedelta(days=365))
    blob = build(server, keys, manifests, revoked)
    start = time.perf_counter()
    bundle = open_bundle(blob, KeySet([server.public_key()]), NOW)
    assert isinstance(bundle, RuleBundle), bundle
    print(f"bundle: {len(blob)} bytes, opened in {(time.perf_counter() - start) * 1e3:.0f} ms",
          flush=True)  # fmt: skip
    history = InMemoryHistory()
    outcomes: dict[str, int] = {}
    for media, context in mix:
        decision = decide(media, context, bundle, history)
        code = "allowed" if decision.reason is None else decision.reason.value
        outcomes[code] = outcomes.get(code, 0) + 1
    print(f"mix of {len(mix)} taps: {outcomes}", flush=True)
    triples = signed_payloads(mix, keys)
    for i in range(WARM_UP):
        decide(*mix[i % len(mix)], bundle, history)
    # Floor and decisions alternate over several rounds and the medians are kept, so that a
    # shared machine whose speed drifts during the run skews neither side of the ratio.
    floors, rates, ratios = [], [], []
    for round_number in range(1, ROUNDS + 1):
        floors.append(floor_verify_per_s(triples))
        rates.append(decisions_per_s(mix, bundle, history))
        ratios.append(rates[-1] / floors[-1])
        print(f"round {round_number}: floor {floors[-1]:,.0f} verifications/s, "
              f"decide {rates[-1]:,.0f} decisions/s", flush=True)  # fmt: skip
    p99 = p99_us(mix, bundle, history)
    print(f"decide latency over {DECISIONS} calls: p99 {p99:.0f} us", flush=True)
    qr_chars = len(qr_text(realistic_reserved_blob(keys[2])))
    print(f"reserved-seat single trip QR text: {qr_chars} characters", flush=True)
    print(json.dumps({"decisions_per_s": round(statistics.median(rates)),
                      "verify_per_s": round(statistics.median(floors)),
                      "ratio": round(statistics.median(ratios), 3), "p99_us": round(p99, 1),
                      "qr_chars": qr_chars}))  # fmt: skip


if __name__ == "__main__":
    main()
