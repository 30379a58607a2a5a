"""Deliberately broken relying parties (--broken-rp): each skips its own check and no other."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from harness.pytest_plugin import run_profile
from harness.trace import Trace
from scenarios.scripted_issuer import DROP, ScriptedWorld, assert_refused


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned(claims: dict[str, Any]) -> str:
    """An ``alg: none`` JWS of ``claims``."""
    return f"{_b64(json.dumps({'alg': 'none'}).encode())}.{_b64(json.dumps(claims).encode())}."


@pytest.fixture
def broken(
    request: pytest.FixtureRequest, test_seed: str, adopt_trace: Callable[[Trace], Trace]
) -> Iterator[ScriptedWorld]:
    """A VssID backend of the test's own, following the run's profile, that skips the
    checks named by the test's parameter."""
    made = ScriptedWorld(
        seed=test_seed, profile=run_profile(request.config), skip_checks=frozenset(request.param)
    )
    adopt_trace(made.trace)
    yield made
    made.close()


def accepted(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["session_token"]


# (skipped check, what the scripted issuer gets wrong, the refusal a sound RP gives)
FAULTS: dict[str, tuple[dict[str, Any], dict[str, str], int, str, str]] = {
    "nonce": ({"claims_patch": {"nonce": "another-login"}}, {}, 401, "id_token_invalid", "R-9"),
    "acr": (
        {"claims_patch": {"acr": "urn:vneid:loa:1"}},
        {},
        403,
        "identity_level_insufficient",
        "R-10",
    ),
    "aud": ({"claims_patch": {"aud": "other-rp"}}, {}, 401, "id_token_invalid", "R-7"),
    "expiry": ({"claims_patch": {"exp": 1_000_000_000}}, {}, 401, "id_token_invalid", "R-8"),
    "iss": ({"claims_patch": {"iss": "http://evil.test"}}, {}, 401, "id_token_invalid", "R-6"),
    "state": ({}, {"state": "forged-state"}, 400, "state_mismatch", "R-1"),
    "userinfo": ({"userinfo_patch": {"sub": "someone-else"}}, {}, 401, "id_token_invalid", "T-5"),
}


@pytest.mark.clause("R-12", "R-1", "R-2", "R-6", "R-7", "R-8", "R-9", "R-10", "T-5")
@pytest.mark.parametrize("broken", [[name] for name in FAULTS], indirect=True, ids=list(FAULTS))
def test_a_broken_relying_party_accepts_what_its_skipped_check_would_refuse(
    broken: ScriptedWorld,
) -> None:
    name = next(iter(broken.provider.settings.skip_checks))
    issuer_faults, callback_params, *_ = FAULTS[name]
    for attribute, value in issuer_faults.items():
        setattr(broken.issuer, attribute, value)
    accepted(broken.login(**callback_params))


PAIRS = [(skipped, other) for skipped in FAULTS for other in FAULTS if other != skipped]


@pytest.mark.clause("R-12", "R-1", "R-6", "R-7", "R-8", "R-9", "R-10", "T-5")
@pytest.mark.parametrize(
    ("broken", "other"),
    [([s], o) for s, o in PAIRS],
    indirect=["broken"],
    ids=[f"{s}-skipped-{o}-checked" for s, o in PAIRS],
)
def test_a_broken_relying_party_still_makes_every_other_check(
    broken: ScriptedWorld, other: str
) -> None:
    issuer_faults, callback_params, status, code, clause = FAULTS[other]
    for attribute, value in issuer_faults.items():
        setattr(broken.issuer, attribute, value)
    assert_refused(broken.login(**callback_params), status, code, clause)


@pytest.mark.clause("R-2")
@pytest.mark.parametrize("broken", [["iss"]], indirect=True)
@pytest.mark.parametrize("iss", [None, "http://evil.test"], ids=["missing", "other"])
def test_skipping_iss_also_skips_the_callbacks_iss(broken: ScriptedWorld, iss: str | None) -> None:
    accepted(broken.login(iss=iss))


@pytest.mark.clause("R-4")
@pytest.mark.parametrize(
    ("broken", "accepted_there"),
    [(["redirect_uri"], True), (["state"], False)],
    indirect=["broken"],
    ids=["redirect_uri-skipped", "state-skipped"],
)
def test_only_a_relying_party_skipping_redirect_uri_takes_a_callback_elsewhere(
    broken: ScriptedWorld, accepted_there: bool
) -> None:
    transaction_id, request = broken.start()
    broken.issuer.nonce = request.get("nonce")
    elsewhere = {**request, "redirect_uri": f"{request['redirect_uri']}/elsewhere"}
    response = broken.complete(transaction_id, broken.callback(elsewhere))
    if accepted_there:
        accepted(response)
    else:
        assert_refused(response, 400, "invalid_request", "R-4")


@pytest.mark.clause("R-8")
@pytest.mark.parametrize("broken", [["expiry"]], indirect=True)
def test_skipping_expiry_skips_iat_too(broken: ScriptedWorld) -> None:
    broken.issuer.claims_patch = {"iat": 4_000_000_000}
    accepted(broken.login())


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("broken", [["signature"]], indirect=True)
@pytest.mark.parametrize("mode", ["alg-none", "other-key", "unknown-kid"])
def test_skipping_the_signature_reads_the_claims_unverified(
    broken: ScriptedWorld, mode: str
) -> None:
    if mode == "alg-none":
        broken.issuer.id_token = lambda _: unsigned(broken.issuer.claims())
    elif mode == "other-key":
        broken.issuer.jwks = broken.issuer.public_jwks(broken.issuer.key("key-1"))
    else:
        broken.issuer.header_patch = {"kid": "unknown"}
    accepted(broken.login())
    assert broken.issuer.calls_to("/jwks") == [], "a RP that skips R-5 never needs the JWKS"


@pytest.mark.clause("R-5", "T-3")
@pytest.mark.parametrize("broken", [["signature"]], indirect=True)
@pytest.mark.parametrize(
    ("token", "clause"),
    [
        ("only.two", "R-5"),
        ("a.b.c.d", "R-5"),
        ("e30.A.sig", "R-5"),
        (f"e30.{_b64(b'[1, 2]')}.sig", "T-3"),
        (f"e30.{_b64(b'not json')}.sig", "T-3"),
    ],
    ids=["two-parts", "four-parts", "payload-not-base64", "payload-array", "payload-not-json"],
)
def test_a_relying_party_skipping_the_signature_still_needs_a_jws_of_claims(
    broken: ScriptedWorld, token: str, clause: str
) -> None:
    broken.issuer.id_token = lambda _: token
    assert_refused(broken.login(), 401, "id_token_invalid", clause)


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("broken", [["signature"]], indirect=True)
def test_a_relying_party_skipping_the_signature_reads_payloads_of_any_length(
    broken: ScriptedWorld,
) -> None:
    """base64url without padding (RFC 7515 §2): every payload length decodes."""
    for filler in range(12):
        broken.issuer.claims_patch = {"filler": "x" * filler}
        accepted(broken.login())


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("broken", [["signature"]], indirect=True)
@pytest.mark.parametrize(("length", "ok"), [(16 * 1024, True), (16 * 1024 + 1, False)])
def test_a_relying_party_skipping_the_signature_still_caps_the_token(
    broken: ScriptedWorld, length: int, ok: bool
) -> None:
    broken.issuer.length = length
    if ok:
        accepted(broken.login())
    else:
        assert_refused(broken.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("T-3")
@pytest.mark.parametrize(
    "broken", [["signature", "nonce", "acr", "aud", "expiry", "iss", "state"]], indirect=True
)
def test_sub_and_personal_id_are_checked_by_every_relying_party(broken: ScriptedWorld) -> None:
    broken.issuer.claims_patch = {"sub": DROP}
    assert_refused(broken.login(), 401, "id_token_invalid", "T-3")
