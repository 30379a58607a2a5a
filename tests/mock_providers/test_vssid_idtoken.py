"""ID-token validation (R-5…R-11, T-3, T-5): each fault refused with its own code and clause
(R-12), before userinfo is called and without a session; the positive cases accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc.jwk import ECKey

from harness.protocol import ACR_LEVEL1, ACR_LEVEL2
from mock_providers.vssid.idtoken import CLAIM_CHECKS, ClaimContext, check_claims
from tests.mock_providers.vssid_fixtures import (
    CLIENT_ID,
    DROP,
    ISSUER,
    PERSONAL_ID,
    START,
    SUB,
    VssIDWorld,
    assert_error,
    b64url,
    world_fixture,
)

NOW = int(START)


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


def _refused(world: VssIDWorld, status: int, error: str, clause: str) -> dict[str, Any]:
    response = world.login()
    body = assert_error(response, status, error, clause)
    if status == 401:  # RFC 9110 §15.5.2; not Bearer: the request carried no token
        assert response.headers["www-authenticate"] == 'VNeID realm="VssID"'

    assert world.fake.calls_to("/userinfo") == []
    assert len(world.provider.sessions) == 0
    return body


def _accepted(world: VssIDWorld) -> None:
    response = world.login()
    assert response.status_code == 200, response.text
    assert world.provider.sessions.get(response.json()["session_token"]) is not None


# -- the signature ----------------------------------------------------------------------


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("mode", ["none", "hs256_public_key", "wrong_key", "tampered"])
def test_unsigned_or_badly_signed_tokens_are_refused(world: VssIDWorld, mode: str) -> None:
    world.fake.sign_mode = mode  # type: ignore[assignment]
    _refused(world, 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("id_token", ["abc", "a.b.c", "e30.e30.", "€.€.€", "x" * 20000])
def test_malformed_id_token(world: VssIDWorld, id_token: str) -> None:
    world.fake.token_patch = {"id_token": id_token}
    _refused(world, 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
def test_alg_is_refused_before_any_key_is_fetched(world: VssIDWorld) -> None:
    world.fake.sign_mode = "none"
    _refused(world, 401, "id_token_invalid", "R-5")
    assert world.fake.calls_to("/jwks") == []


@pytest.mark.clause("R-5")
def test_rotated_key_is_found_after_one_jwks_refetch(world: VssIDWorld) -> None:
    _accepted(world)
    assert len(world.fake.calls_to("/jwks")) == 1
    world.fake.rotate_key("key-2")
    _accepted(world)
    assert len(world.fake.calls_to("/jwks")) == 2
    _accepted(world)  # the refreshed JWKS is cached
    assert len(world.fake.calls_to("/jwks")) == 2


@pytest.mark.clause("R-5")
def test_unknown_kid_is_refused_after_one_refetch(world: VssIDWorld) -> None:
    world.fake.header_patch = {"kid": "not-published"}
    body = _refused(world, 401, "id_token_invalid", "R-5")
    assert "not-published" in body["error_description"]
    assert len(world.fake.calls_to("/jwks")) == 2


@pytest.mark.clause("R-5")
def test_kid_absent_with_one_key_is_accepted(world: VssIDWorld) -> None:
    world.fake.header_patch = {"kid": DROP}
    _accepted(world)


@pytest.mark.clause("R-5")
def test_kid_absent_with_several_keys_tries_each(world: VssIDWorld) -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "other"}, private=True)
    world.fake.published = [other, world.fake.key]
    world.fake.header_patch = {"kid": DROP}
    _accepted(world)


@pytest.mark.clause("R-5")
def test_non_string_kid_is_refused(world: VssIDWorld) -> None:
    header = b64url(json.dumps({"alg": "ES256", "kid": 7}).encode())
    world.fake.token_patch = {"id_token": f"{header}.{b64url(b'{}')}.{b64url(bytes(64))}"}
    body = _refused(world, 401, "id_token_invalid", "R-5")
    assert "kid" in body["error_description"]


# -- R-6 … R-11, T-3: the claims -------------------------------------------------------------

REFUSED_CLAIMS = [
    ({"iss": "http://evil.test"}, "R-6"),
    ({"iss": DROP}, "R-6"),
    ({"aud": "someone-else"}, "R-7"),
    ({"aud": DROP}, "R-7"),
    ({"aud": []}, "R-7"),
    ({"aud": 5}, "R-7"),
    ({"aud": ["someone-else", 3]}, "R-7"),
    ({"aud": [CLIENT_ID, "untrusted"]}, "R-7"),
    ({"aud": [CLIENT_ID, "untrusted"], "azp": "untrusted"}, "R-7"),
    # OpenID Connect Core 3.1.3.7 item 3: an audience the client does not trust is refused,
    # even when azp names the client
    ({"aud": [CLIENT_ID, "untrusted"], "azp": CLIENT_ID}, "R-7"),
    ({"azp": "someone-else"}, "R-7"),
    ({"exp": NOW - 61}, "R-8"),
    ({"exp": NOW - 60}, "R-8"),
    ({"exp": DROP}, "R-8"),
    ({"exp": "tomorrow"}, "R-8"),
    ({"exp": True}, "R-8"),
    ({"exp": 10**400}, "R-8"),  # no float holds it: refused, not an OverflowError (a 500)
    ({"exp": float("nan")}, "R-8"),
    ({"exp": float("inf")}, "R-8"),
    ({"iat": -(10**400)}, "R-8"),
    ({"iat": float("nan")}, "R-8"),
    ({"iat": NOW + 61}, "R-8"),
    ({"iat": DROP}, "R-8"),
    ({"iat": None}, "R-8"),
    ({"nonce": "another-nonce"}, "R-9"),
    ({"nonce": DROP}, "R-9"),
    ({"nonce": 12}, "R-9"),
    ({"nonce": "\ud800"}, "R-9"),  # a lone surrogate escape: was a 500 (UnicodeEncodeError)
    ({"sub": DROP}, "T-3"),
    ({"sub": ""}, "T-3"),
    ({"sub": 42}, "T-3"),
]


@pytest.mark.clause("R-6", "R-7", "R-8", "R-9", "R-12", "T-3")
@pytest.mark.parametrize(
    ("patch", "clause"),
    REFUSED_CLAIMS,
    ids=[f"{c}-{next(iter(p))}-{i}" for i, (p, c) in enumerate(REFUSED_CLAIMS)],
)
def test_faulty_claims_are_refused(world: VssIDWorld, patch: dict[str, Any], clause: str) -> None:
    world.fake.claims_patch = patch
    _refused(world, 401, "id_token_invalid", clause)


@pytest.mark.clause("R-10", "P-2")
@pytest.mark.parametrize("acr", [ACR_LEVEL1, DROP, "urn:vneid:loa:3", 2])
def test_level_1_token_is_refused(world: VssIDWorld, acr: object) -> None:
    world.fake.claims_patch = {"acr": acr}
    _refused(world, 403, "identity_level_insufficient", "R-10")


@pytest.mark.clause("R-7", "R-8")
@pytest.mark.parametrize(
    "patch",
    [
        {"aud": [CLIENT_ID]},
        {"aud": [CLIENT_ID, CLIENT_ID], "azp": CLIENT_ID},
        {"azp": CLIENT_ID},
        {"exp": NOW - 30},
        {"exp": NOW - 59},
        {"iat": NOW + 30},
        {"iat": NOW - 3600, "exp": NOW + 1},
        {"exp": NOW + 600.5, "iat": NOW - 0.5},
    ],
    ids=str,
)
def test_acceptable_claims(world: VssIDWorld, patch: dict[str, Any]) -> None:
    world.fake.claims_patch = patch
    _accepted(world)


@pytest.mark.clause("R-11", "R-12")
@pytest.mark.parametrize(
    "personal_id",
    [
        "12345",  # not 12 digits
        "000090012345",  # province 000
        "097090012345",  # province above 096
        "001490012345",  # century/sex digit above 3
        "001790012345",
        1090012345,  # not a string
        DROP,
    ],
    ids=lambda value: "missing" if value is DROP else str(value),
)
def test_malformed_personal_id_maps_to_no_account(world: VssIDWorld, personal_id: object) -> None:
    """R-11: "personal_id is well-formed (§1) and maps to a VssID account; else
    vssid_account_not_found" (citing R-11, not the P-1 of a well-formed id without one)."""
    world.fake.claims_patch = {"personal_id": personal_id}
    body = _refused(world, 404, "vssid_account_not_found", "R-11")
    assert "personal_id" in body["error_description"]


@pytest.mark.clause("P-1", "R-11")
def test_well_formed_personal_id_without_an_account(world: VssIDWorld) -> None:
    world.fake.claims_patch = {"personal_id": "079300000001"}
    _refused(world, 404, "vssid_account_not_found", "P-1")


# -- T-5: userinfo ---------------------------------------------------------------------------


@pytest.mark.clause("T-5")
@pytest.mark.parametrize(
    "patch", [{"sub": "sub-9999"}, {"sub": DROP}, {"sub": None}, {"personal_id": "079300000001"}]
)
def test_userinfo_for_another_person_is_refused(world: VssIDWorld, patch: dict[str, Any]) -> None:
    world.fake.userinfo_patch = patch
    assert_error(world.login(), 401, "id_token_invalid", "T-5")
    assert len(world.fake.calls_to("/userinfo")) == 1
    assert len(world.provider.sessions) == 0


@pytest.mark.clause("T-5")
def test_a_userinfo_sub_of_a_lone_surrogate_is_refused_not_a_500(world: VssIDWorld) -> None:
    """JSON's ``"\\ud800"`` is a str that cannot be encoded: comparing it was a 500."""
    world.fake.raw["/userinfo"] = (200, f'{{"sub": "\\ud800", "personal_id": "{PERSONAL_ID}"}}')
    assert_error(world.login(), 401, "id_token_invalid", "T-5")
    assert len(world.provider.sessions) == 0


@pytest.mark.clause("T-5")
def test_userinfo_can_be_skipped() -> None:
    with VssIDWorld(fetch_userinfo=False) as world:
        world.fake.userinfo_patch = {"sub": "sub-9999"}
        _accepted(world)
        assert world.fake.calls_to("/userinfo") == []


# -- the pure checks -------------------------------------------------------------------------


def _claims(**patch: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": SUB,
        "exp": NOW + 600,
        "iat": NOW,
        "nonce": "n-1",
        "acr": ACR_LEVEL2,
        "personal_id": PERSONAL_ID,
    }
    return {k: v for k, v in {**base, **patch}.items() if v is not DROP}


CTX = ClaimContext(issuer=ISSUER, client_id=CLIENT_ID, nonce="n-1", now=NOW, skew=60)


@pytest.mark.clause("R-12")
def test_checks_are_named_once_and_cite_real_clauses() -> None:
    from harness.protocol import clause

    names = [c.name for c in CLAIM_CHECKS]
    assert len(names) == len(set(names))
    for check in CLAIM_CHECKS:
        clause(check.clause)
        assert check.run.__doc__
        assert check.clause in check.run.__doc__


@pytest.mark.clause("R-8")
def test_skew_boundaries() -> None:
    check_claims(_claims(exp=NOW - 59.999), CTX)
    check_claims(_claims(iat=NOW + 60), CTX)
    with pytest.raises(Exception, match="expired"):
        check_claims(_claims(exp=NOW - 60), CTX)
    with pytest.raises(Exception, match="future"):
        check_claims(_claims(iat=NOW + 60.001), CTX)


@pytest.mark.clause("R-12")
def test_the_first_failing_check_is_reported() -> None:
    from harness.protocol import ProtocolError

    with pytest.raises(ProtocolError) as info:
        check_claims(_claims(iss="x", nonce="y", acr=ACR_LEVEL1), CTX)
    assert (info.value.code, info.value.clause, info.value.status) == (
        "id_token_invalid",
        "R-6",
        401,
    )
    identity = check_claims(_claims(name="Trần Thị B"), CTX)
    assert (identity.sub, identity.personal_id, identity.name) == (SUB, PERSONAL_ID, "Trần Thị B")
