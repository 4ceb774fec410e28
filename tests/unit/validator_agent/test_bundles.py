"""Bundle installation: only verified, newer bundles replace the one in force."""

from __future__ import annotations

from fares.bundle import BundleRefusal, RuleBundle
from fares.deny_list import DenyList
from fares.media import qr_text
from hardware.ports import Verdict
from tests.unit.fares.builders import KEY_1, TRUSTED, bundle_blob, pass_credential, signed
from tests.unit.validator_agent.conftest import RuntimeFactory
from tests.unit.validator_agent.fakes import ManualClock, RecordingGate, qr_event
from validator_agent.bundles import BundleKeeper, InstallRefusal
from validator_agent.status import agent_status
from validator_agent.store import Store


def keeper(store: Store, clock: ManualClock) -> BundleKeeper:
    return BundleKeeper(store, TRUSTED, clock)


def flipped(blob: bytes, index: int) -> bytes:
    damaged = bytearray(blob)
    damaged[index] ^= 0x01
    return bytes(damaged)


def test_verified_bundle_is_installed_and_stored(store: Store, clock: ManualClock) -> None:
    installed = keeper(store, clock).install(bundle_blob())

    assert isinstance(installed, RuleBundle)
    assert [b.version for b in store.load_bundles()] == [1]


def test_wrongly_signed_bundle_is_refused_and_the_last_good_one_stays(
    store: Store, clock: ManualClock
) -> None:
    bundles = keeper(store, clock)
    good = bundles.install(bundle_blob())
    refused = bundles.install(bundle_blob(signer=KEY_1, version=2))

    assert refused is BundleRefusal.UNKNOWN_KEY
    assert bundles.current is good
    assert bundles.last_refusal is not None
    assert bundles.last_refusal.code == "bundle_unknown_key"
    assert [b.version for b in store.load_bundles()] == [1]


def test_bundle_with_a_bad_signature_is_refused(store: Store, clock: ManualClock) -> None:
    bundles = keeper(store, clock)
    good = bundles.install(bundle_blob())
    blob = bundle_blob(version=2)

    assert bundles.install(flipped(blob, len(blob) - 1)) is BundleRefusal.BAD_SIGNATURE
    assert bundles.current is good


def test_corrupted_bundle_is_refused(store: Store, clock: ManualClock) -> None:
    bundles = keeper(store, clock)
    good = bundles.install(bundle_blob())

    assert bundles.install(bundle_blob(version=2)[:-40]) is BundleRefusal.MALFORMED
    assert bundles.install(b"") is BundleRefusal.MALFORMED
    assert bundles.current is good


def test_older_bundle_is_refused_as_stale(store: Store, clock: ManualClock) -> None:
    bundles = keeper(store, clock)
    bundles.install(bundle_blob(version=5))

    assert bundles.install(bundle_blob(version=4)) is InstallRefusal.STALE
    current = bundles.current
    assert current is not None
    assert current.version == 5


def test_same_bundle_again_is_a_no_op(store: Store, clock: ManualClock) -> None:
    bundles = keeper(store, clock)
    blob = bundle_blob()
    first = bundles.install(blob)

    assert bundles.install(blob) is first


def test_deny_list_delta_applies_to_the_list_in_force(store: Store, clock: ManualClock) -> None:
    bundles = keeper(store, clock)
    base = DenyList.of(1, ["00000000000000aa"])
    bundles.install(bundle_blob(deny=base))
    newer = DenyList.of(2, ["00000000000000aa", "00000000000000bb"])
    installed = bundles.install(bundle_blob(deny=base.delta_to(newer), version=2))

    assert isinstance(installed, RuleBundle)
    assert installed.deny_list == newer


def test_delta_without_its_base_is_refused(store: Store, clock: ManualClock) -> None:
    delta = DenyList.of(1).delta_to(DenyList.of(2, ["00000000000000bb"]))

    refused = keeper(store, clock).install(bundle_blob(deny=delta))
    assert refused is BundleRefusal.DELTA_BASE_MISMATCH


def test_revocation_in_a_new_bundle_reaches_the_gate(
    make_runtime: RuntimeFactory, gate: RecordingGate
) -> None:
    credential = pass_credential()
    runtime = make_runtime()
    runtime.install_bundle(bundle_blob(version=2, deny=DenyList.of(1, [credential.ticket_id])))
    runtime.handle(qr_event(qr_text(signed(credential))))

    assert gate.commands[0].verdict is Verdict.DENY


def test_restore_reopens_a_delta_bundle_with_its_base(store: Store, clock: ManualClock) -> None:
    base = DenyList.of(1, ["00000000000000aa"])
    newer = DenyList.of(2, ["00000000000000bb"])
    first = keeper(store, clock)
    first.install(bundle_blob(deny=base))
    first.install(bundle_blob(deny=base.delta_to(newer), version=2))

    restored = keeper(store, clock).restore()
    assert restored is not None
    assert (restored.version, restored.deny_list) == (2, newer)


def test_refusal_is_reported_in_the_stored_status(store: Store, clock: ManualClock) -> None:
    keeper(store, clock).install(b"\x00garbage")

    report = agent_status(store)
    assert report["last_refusal"] == {"code": "bundle_malformed", "at": clock.now().isoformat()}
