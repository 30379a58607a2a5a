"""Deliberately broken relying parties (``VssIDSettings.skip_checks``, test only).

Each name of ``SKIPPABLE_CHECKS`` leaves out one check where it lives, so that a conformance
plan can be shown to catch it: with the skip the bad token or callback is accepted, without
it refused on its clause; every other check still runs; an unknown name is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from harness.protocol import ACR_LEVEL1, ProtocolError
from mock_providers import vssid
from mock_providers.vssid import SKIPPABLE_CHECKS, AccountRecord, VssIDProvider, VssIDSettings
from mock_providers.vssid.idtoken import CLAIM_CHECKS
from tests.mock_providers.vssid_fixtures import (
    CLIENT_ID,
    DROP,
    START,
    VssIDWorld,
    assert_error,
)

NOW = int(START)
FOREIGN = "https://idp.untrusted.example"
FORGED_PERSONAL_ID = "079300000001"  # what the fake's "tampered" mode puts in the payload
MakeWorld = Callable[..., VssIDWorld]


@dataclass(frozen=True)
class Breakage:
    """One bad answer from the issuer, and how a correct relying party refuses it."""

    name: str
    skip: str
    """The check whose skip lets it through."""
    status: int
    error: str
    clause: str
    apply: Callable[[VssIDWorld], dict[str, Any]]
    """Sets up the fake issuer; returns the callback overrides for :meth:`VssIDWorld.login`."""


def _claims(**patch: Any) -> Callable[[VssIDWorld], dict[str, Any]]:
    def apply(world: VssIDWorld) -> dict[str, Any]:
        world.fake.claims_patch.update(patch)
        return {}

    return apply


def _callback(**params: str | None) -> Callable[[VssIDWorld], dict[str, Any]]:
    def apply(world: VssIDWorld) -> dict[str, Any]:
        return dict(params)

    return apply


def _signed(mode: str, **header: Any) -> Callable[[VssIDWorld], dict[str, Any]]:
    def apply(world: VssIDWorld) -> dict[str, Any]:
        world.fake.sign_mode = mode  # type: ignore[assignment]
        world.fake.header_patch.update(header)
        return {}

    return apply


def _userinfo(**patch: Any) -> Callable[[VssIDWorld], dict[str, Any]]:
    def apply(world: VssIDWorld) -> dict[str, Any]:
        world.fake.userinfo_patch.update(patch)
        return {}

    return apply


def _delivered_to(uri: str) -> Callable[[VssIDWorld], dict[str, Any]]:
    def apply(world: VssIDWorld) -> dict[str, Any]:
        world.fake.deliver_to = uri
        return {}

    return apply


BAD_ID_TOKEN = (401, "id_token_invalid")
BREAKAGES = [
    Breakage("nonce_altered", "nonce", *BAD_ID_TOKEN, "R-9", _claims(nonce="another-nonce")),
    Breakage("nonce_missing", "nonce", *BAD_ID_TOKEN, "R-9", _claims(nonce=DROP)),
    Breakage("state_altered", "state", 400, "state_mismatch", "R-1", _callback(state="forged")),
    Breakage("state_missing", "state", 400, "state_mismatch", "R-1", _callback(state=None)),
    Breakage("callback_iss_foreign", "iss", 400, "issuer_mismatch", "R-2", _callback(iss=FOREIGN)),
    Breakage("callback_iss_missing", "iss", 400, "issuer_mismatch", "R-2", _callback(iss=None)),
    Breakage("id_token_iss_foreign", "iss", *BAD_ID_TOKEN, "R-6", _claims(iss=FOREIGN)),
    Breakage("id_token_iss_missing", "iss", *BAD_ID_TOKEN, "R-6", _claims(iss=DROP)),
    Breakage(
        "acr_level1", "acr", 403, "identity_level_insufficient", "R-10", _claims(acr=ACR_LEVEL1)
    ),
    Breakage("acr_missing", "acr", 403, "identity_level_insufficient", "R-10", _claims(acr=DROP)),
    Breakage("alg_none", "signature", *BAD_ID_TOKEN, "R-5", _signed("none")),
    Breakage("hs256_public_key", "signature", *BAD_ID_TOKEN, "R-5", _signed("hs256_public_key")),
    Breakage("wrong_key", "signature", *BAD_ID_TOKEN, "R-5", _signed("wrong_key")),
    Breakage("kid_unknown", "signature", *BAD_ID_TOKEN, "R-5", _signed("es256", kid="no-such-key")),
    Breakage("aud_other_client", "aud", *BAD_ID_TOKEN, "R-7", _claims(aud="untrusted-rp")),
    Breakage(
        "aud_extra_without_azp",
        "aud",
        *BAD_ID_TOKEN,
        "R-7",
        _claims(aud=[CLIENT_ID, "https://untrusted.example"]),
    ),
    Breakage(
        "aud_extra_with_azp",
        "aud",
        *BAD_ID_TOKEN,
        "R-7",
        _claims(aud=[CLIENT_ID, "https://untrusted.example"], azp=CLIENT_ID),
    ),
    Breakage("azp_other_client", "aud", *BAD_ID_TOKEN, "R-7", _claims(azp="untrusted-rp")),
    Breakage("aud_missing", "aud", *BAD_ID_TOKEN, "R-7", _claims(aud=DROP)),
    Breakage("expired", "expiry", *BAD_ID_TOKEN, "R-8", _claims(exp=NOW - 120, iat=NOW - 720)),
    Breakage("exp_missing", "expiry", *BAD_ID_TOKEN, "R-8", _claims(exp=DROP)),
    Breakage("iat_future", "expiry", *BAD_ID_TOKEN, "R-8", _claims(iat=NOW + 120, exp=NOW + 720)),
    Breakage("iat_missing", "expiry", *BAD_ID_TOKEN, "R-8", _claims(iat=DROP)),
    Breakage(
        "callback_elsewhere",
        "redirect_uri",
        400,
        "invalid_request",
        "R-4",
        _delivered_to("vssid://auth/vneid/callback/elsewhere"),
    ),
    Breakage("userinfo_other_sub", "userinfo", *BAD_ID_TOKEN, "T-5", _userinfo(sub="someone-else")),
]
"""Bad answers a skipped check lets through; ``replay`` and ``transaction_expiry`` are about
the transaction, not an answer: tests of their own below."""
IDS = [b.name for b in BREAKAGES]
TRANSACTION_SKIPS = {"replay", "transaction_expiry"}
CLAUSES = sorted({b.clause for b in BREAKAGES})


@pytest.fixture
def make_world() -> Iterator[MakeWorld]:
    """``make_world(**settings)``: a :class:`VssIDWorld`, closed after the test."""
    worlds: list[VssIDWorld] = []

    def make(**settings: Any) -> VssIDWorld:
        worlds.append(VssIDWorld(**settings))
        return worlds[-1]

    yield make
    for world in worlds:
        world.close()


def _login(
    make_world: MakeWorld, breakage: Breakage, *skips: str
) -> tuple[VssIDWorld, httpx.Response]:
    world = make_world(skip_checks=frozenset(skips))
    response = world.login(**breakage.apply(world))
    return world, response


def _assert_logged_in(world: VssIDWorld, response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert world.provider.sessions.get(response.json()["session_token"]) is not None


# -- the constant and the setting --------------------------------------------------------------
def test_the_skippable_checks_are_exactly_these() -> None:
    assert SKIPPABLE_CHECKS == (
        "nonce",
        "state",
        "iss",
        "acr",
        "signature",
        "aud",
        "expiry",
        "replay",
        "transaction_expiry",
        "redirect_uri",
        "userinfo",
    )
    assert vssid.settings.SKIPPABLE_CHECKS is SKIPPABLE_CHECKS
    assert {b.skip for b in BREAKAGES} == set(SKIPPABLE_CHECKS) - TRANSACTION_SKIPS


def test_every_skippable_claim_check_names_a_skippable_check() -> None:
    skip_as = {c.name: c.skip_as for c in CLAIM_CHECKS}
    assert skip_as == {
        "iss": "iss",
        "aud": "aud",
        "exp": "expiry",
        "iat": "expiry",
        "nonce": "nonce",
        "sub": None,
        "acr": "acr",
        "personal_id": None,
    }


def test_no_check_is_skipped_by_default() -> None:
    assert VssIDSettings().skip_checks == frozenset()
    assert VssIDSettings().public_json()["skip_checks"] == []


@pytest.mark.parametrize(
    "given",
    [frozenset({"nonce", "aud"}), {"aud", "nonce"}, ["nonce", "aud", "nonce"], ("aud", "nonce")],
)
def test_skip_checks_takes_any_collection_of_names(given: Any) -> None:
    settings = VssIDSettings(skip_checks=given)
    assert settings.skip_checks == frozenset({"nonce", "aud"})
    assert isinstance(settings.skip_checks, frozenset)
    assert settings.public_json()["skip_checks"] == ["aud", "nonce"]
    assert settings.evolve(client_id="other").skip_checks == frozenset({"nonce", "aud"})


@pytest.mark.clause("R-12")
@pytest.mark.parametrize(
    "given",
    [{"nonce", "signatures"}, ["exp"], {"R-9"}, {""}, [5]],
    ids=["set-with-a-typo", "list", "clause-id", "empty-name", "not-a-str"],
)
def test_an_unknown_check_name_is_refused_naming_the_known_ones(given: Any) -> None:
    with pytest.raises(ProtocolError) as info:
        VssIDSettings(skip_checks=given)
    error = info.value
    assert (error.code, error.status, error.clause) == ("invalid_request", 400, "R-12")
    assert "'skip_checks'" in error.description
    assert "unknown check" in error.description
    assert ", ".join(SKIPPABLE_CHECKS) in error.description
    with pytest.raises(ProtocolError):
        VssIDSettings().evolve(skip_checks=given)


@pytest.mark.parametrize("given", ["nonce", b"nonce", None, 5, {"nonce": True}], ids=repr)
def test_skip_checks_must_be_a_collection_not_one_string(given: Any) -> None:
    with pytest.raises(ProtocolError, match="'skip_checks' must be a set of check names"):
        VssIDSettings(skip_checks=given)


def test_configure_keeps_the_skips() -> None:
    provider = VssIDProvider(VssIDSettings(skip_checks=frozenset({"nonce"})))
    assert provider.configure(client_id="other").skip_checks == frozenset({"nonce"})


# -- each skip, where its check lives ----------------------------------------------------------
@pytest.mark.clause(*CLAUSES)
@pytest.mark.parametrize("breakage", BREAKAGES, ids=IDS)
def test_without_the_skip_the_breakage_is_refused(
    make_world: MakeWorld, breakage: Breakage
) -> None:
    world, response = _login(make_world, breakage)
    assert_error(response, breakage.status, breakage.error, breakage.clause)
    assert len(world.provider.sessions) == 0


@pytest.mark.clause(*CLAUSES)
@pytest.mark.parametrize("breakage", BREAKAGES, ids=IDS)
def test_with_the_skip_the_breakage_is_accepted(make_world: MakeWorld, breakage: Breakage) -> None:
    world, response = _login(make_world, breakage, breakage.skip)
    _assert_logged_in(world, response)


@pytest.mark.clause(*CLAUSES)
@pytest.mark.parametrize("breakage", BREAKAGES, ids=IDS)
def test_every_other_skip_still_refuses_the_breakage(
    make_world: MakeWorld, breakage: Breakage
) -> None:
    others = [s for s in SKIPPABLE_CHECKS if s != breakage.skip]
    world, response = _login(make_world, breakage, *others)
    assert_error(response, breakage.status, breakage.error, breakage.clause)
    assert len(world.provider.sessions) == 0


def test_all_skips_together_still_check_sub_and_personal_id(make_world: MakeWorld) -> None:
    """What is not skippable keeps running (T-3, R-11)."""
    world = make_world(skip_checks=frozenset(SKIPPABLE_CHECKS))
    world.fake.claims_patch["sub"] = DROP
    assert_error(world.login(), 401, "id_token_invalid", "T-3")
    world.fake.claims_patch.clear()
    world.fake.claims_patch["personal_id"] = "12345"
    assert_error(world.login(), 404, "vssid_account_not_found", "R-11")
    world.fake.claims_patch.clear()
    _assert_logged_in(world, world.login())


@pytest.mark.clause("R-1")
@pytest.mark.parametrize("skips", [(), ("replay",)], ids=["correct", "replay-skipped"])
def test_a_completed_transaction_completes_again_only_without_the_replay_check(
    make_world: MakeWorld, skips: tuple[str, ...]
) -> None:
    world = make_world(skip_checks=frozenset(skips))
    started = world.start()
    callback = world.fake.approve(started["authorize_url"])
    _assert_logged_in(world, world.complete(started["transaction_id"], callback))
    tokens_asked = len([c for c in world.fake.calls if c.path == "/token"])
    again = world.complete(started["transaction_id"], callback)
    asked_again = len([c for c in world.fake.calls if c.path == "/token"]) > tokens_asked
    if skips:  # the broken relying party tries the code again
        assert asked_again
        assert again.json().get("error") != "transaction_already_used"
    else:
        assert_error(again, 409, "transaction_already_used", "R-1")
        assert not asked_again


@pytest.mark.clause("R-1")
@pytest.mark.parametrize("skips", [(), ("transaction_expiry",)], ids=["correct", "expiry-skipped"])
def test_a_transaction_outlives_ten_minutes_only_without_the_expiry_check(
    make_world: MakeWorld, skips: tuple[str, ...]
) -> None:
    world = make_world(skip_checks=frozenset(skips))
    started = world.start()
    callback = world.fake.approve(started["authorize_url"])
    world.clock.advance(world.settings.profile.transaction_ttl + 1)
    response = world.complete(started["transaction_id"], callback)
    if skips:
        _assert_logged_in(world, response)
    else:
        assert_error(response, 410, "transaction_expired", "R-1")


def test_skipping_iss_accepts_a_mixed_up_callback_and_id_token_together(
    make_world: MakeWorld,
) -> None:
    world = make_world(skip_checks=frozenset({"iss"}))
    world.fake.claims_patch["iss"] = FOREIGN
    _assert_logged_in(world, world.login(iss=FOREIGN))


def test_skipping_the_signature_believes_a_tampered_payload_and_fetches_no_jwks(
    make_world: MakeWorld,
) -> None:
    """The broken RP logs in whoever the forged payload names: why R-5 matters (userinfo off,
    since T-5 would otherwise notice the payload disagrees with the issuer)."""
    world = make_world(skip_checks=frozenset({"signature"}), fetch_userinfo=False)
    world.provider.add_account(AccountRecord("0999999999", FORGED_PERSONAL_ID, "Trần Thị Bình"))
    world.fake.sign_mode = "tampered"
    response = world.login()
    _assert_logged_in(world, response)
    assert response.json()["bhxh_code"] == "0999999999"
    assert world.fake.calls_to("/jwks") == []
    refused = make_world(fetch_userinfo=False)
    refused.fake.sign_mode = "tampered"
    assert_error(refused.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.parametrize(
    "id_token",
    ["abc", "a.b", "a.!!!.c", "e30.WzFd.", "x" * 20000],
    ids=["one-part", "two-parts", "bad-base64", "array-payload", "huge"],
)
def test_skipping_the_signature_still_needs_a_readable_jws(
    make_world: MakeWorld, id_token: str
) -> None:
    world = make_world(skip_checks=frozenset({"signature"}))
    world.fake.token_patch["id_token"] = id_token
    response = world.login()
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "id_token_invalid"
    assert len(world.provider.sessions) == 0


def test_a_login_keeps_the_skips_it_started_with(make_world: MakeWorld) -> None:
    world = make_world(skip_checks=frozenset({"nonce"}))
    world.fake.claims_patch["nonce"] = "another-nonce"
    started = world.start()
    world.provider._settings = world.provider.settings.evolve(skip_checks=frozenset())
    callback = world.fake.approve(started["authorize_url"])
    _assert_logged_in(world, world.complete(started["transaction_id"], callback))
    assert_error(world.login(), 401, "id_token_invalid", "R-9")
