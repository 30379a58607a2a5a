"""ID tokens no fault of the catalog produces, at the edges of each check (R-5…R-11, T-3, T-5)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from harness.protocol import ACR_LEVEL2, DEFAULT_PROFILE
from harness.pytest_plugin import run_profile
from harness.trace import Trace
from scenarios.scripted_issuer import (
    CLIENT_ID,
    DROP,
    ISSUER,
    PERSONAL_ID,
    START,
    SUB,
    ScriptedWorld,
    assert_refused,
)
from scenarios.support import shown

NOW = int(START)
DEFAULT_SKEW = DEFAULT_PROFILE.clock_skew
"""R-8's 60 s: the ids of the skew cases are their values under PROTOCOL.md's defaults."""


@pytest.fixture
def world(
    request: pytest.FixtureRequest, test_seed: str, adopt_trace: Callable[[Trace], Trace]
) -> Iterator[ScriptedWorld]:
    """A VssID backend of the test's own, following the run's profile (its values drawn
    from the test's seed)."""
    made = ScriptedWorld(seed=test_seed, profile=run_profile(request.config))
    adopt_trace(made.trace)
    yield made
    made.close()


def accepted(world: ScriptedWorld, **params: str | None) -> httpx.Response:
    response = world.login(**params)
    assert response.status_code == 200, response.text
    assert response.json()["session_token"]
    return response


# -- the JWS, the JWKS and the key choice -------------------------------------------------


@pytest.mark.clause("R-5")
def test_an_id_token_of_exactly_16_kib_is_read_one_more_character_is_not(
    world: ScriptedWorld,
) -> None:
    """The relying party caps what it decodes at 16 KiB; the cap itself is allowed."""
    for length, expect_ok in ((16 * 1024, True), (16 * 1024 + 1, False)):
        world.issuer.length = length
        if expect_ok:
            accepted(world)
        else:
            assert_refused(world.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("token", ["not-a-jws", "a.b", "€.€.€"])
def test_an_id_token_that_is_not_a_compact_jws_is_refused(world: ScriptedWorld, token: str) -> None:
    world.issuer.id_token = lambda _: token
    assert_refused(world.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("kid", [7, ["key-1"], None])
def test_a_kid_header_that_is_not_a_string_is_refused(
    world: ScriptedWorld, kid: int | list[str] | None
) -> None:
    world.issuer.header_patch = {"kid": kid}
    assert_refused(world.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5", "T-3")
@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", "RS256", None])
def test_any_alg_but_es256_is_refused_before_a_key_is_tried(
    world: ScriptedWorld, alg: str | None
) -> None:
    world.issuer.header_patch = {"alg": alg}
    assert_refused(world.login(), 401, "id_token_invalid", "R-5")
    assert world.issuer.calls_to("/jwks") == []


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("kid", ["key-1", None], ids=["same-kid", "no-kid"])
def test_a_signature_by_another_key_is_refused(world: ScriptedWorld, kid: str | None) -> None:
    world.issuer.signing_key = world.issuer.key(kid)
    world.issuer.jwks = world.issuer.public_jwks(world.issuer.key("key-1"))
    if kid is None:
        world.issuer.header_patch = {"kid": DROP}
    assert_refused(world.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
def test_a_critical_header_the_relying_party_does_not_know_is_refused(world: ScriptedWorld) -> None:
    """RFC 7515 §4.1.11: a JWS whose ``crit`` names an extension the recipient does not
    understand must be rejected, however well it is signed."""
    world.issuer.header_patch = {"crit": ["urn:example:unknown"], "urn:example:unknown": True}
    assert_refused(world.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
def test_a_token_without_kid_is_tried_against_every_key(world: ScriptedWorld) -> None:
    """No ``kid``: each ES256 key of the JWKS is tried in turn, the signer's last."""
    world.issuer.header_patch = {"kid": DROP}
    world.issuer.jwks = world.issuer.public_jwks(
        world.issuer.key("other-1"), world.issuer.key("other-2"), world.issuer.signing_key
    )
    accepted(world)


@pytest.mark.clause("R-5")
def test_keys_without_use_or_alg_are_usable(world: ScriptedWorld) -> None:
    """RFC 7517 §4.2/§4.4: ``use`` and ``alg`` are optional; their absence allows ES256."""
    key = world.issuer.signing_key.as_dict(private=False)
    assert "use" not in key
    assert "alg" not in key
    world.issuer.jwks = {"keys": [key]}
    accepted(world)


@pytest.mark.clause("R-5", "T-3")
@pytest.mark.parametrize(
    "member",
    [
        {"use": "sig", "alg": "ES256"},
        {"use": "sig"},
        {"alg": "ES256"},
    ],
)
def test_a_signing_key_labelled_for_es256_signatures_is_usable(
    world: ScriptedWorld, member: dict[str, str]
) -> None:
    world.issuer.jwks = {"keys": [world.issuer.signing_key.as_dict(private=False) | member]}
    accepted(world)


@pytest.mark.clause("R-5", "T-3")
@pytest.mark.parametrize(
    "member",
    [
        {"use": "enc"},
        {"use": "enc", "alg": "ES256"},
        {"alg": "ES384"},
        {"use": "sig", "alg": "RS256"},
        {"kty": "RSA"},
        {"crv": "P-384"},
        {"x": "AAAA"},
    ],
    ids=[
        "use-enc",
        "use-enc-alg-es256",
        "alg-es384",
        "alg-rs256",
        "kty-rsa",
        "crv-p384",
        "bad-point",
    ],
)
def test_a_key_not_meant_for_es256_signatures_is_never_used(
    world: ScriptedWorld, member: dict[str, str]
) -> None:
    """T-3: ES256 over P-256; a JWKS entry for encryption, another algorithm, another key
    type or curve, or a point that is not on the curve is skipped, even with the signer's
    own coordinates."""
    world.issuer.jwks = {"keys": [world.issuer.signing_key.as_dict(private=False) | member]}
    assert_refused(world.login(), 401, "id_token_invalid", "R-5")


@pytest.mark.clause("R-5")
@pytest.mark.parametrize(
    "junk",
    [
        "not-a-key",
        {"kty": "RSA", "crv": "P-256", "kid": "key-1"},
        {"kty": "EC", "crv": "P-256", "use": "enc", "kid": "key-1"},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "key-1"},
    ],
    ids=["not-an-object", "wrong-kty", "encryption-key", "bad-point"],
)
def test_an_unusable_jwks_entry_does_not_hide_the_keys_after_it(
    world: ScriptedWorld, junk: str | dict[str, str]
) -> None:
    world.issuer.jwks = {"keys": [junk, world.issuer.signing_key.as_dict(private=False)]}
    accepted(world)


@pytest.mark.clause("R-5")
@pytest.mark.parametrize("doc", [{}, {"keys": {"kty": "EC"}}, {"keys": "none"}])
def test_a_jwks_without_a_keys_array_is_the_providers_failure(
    world: ScriptedWorld, doc: dict[str, Any]
) -> None:
    world.issuer.jwks = doc
    body = assert_refused(world.login(), 502, "provider_unavailable", "R-5")
    assert not body["error_description"].endswith("None"), body


@pytest.mark.clause("R-5")
def test_the_jwks_is_fetched_once_and_reused(world: ScriptedWorld) -> None:
    """A known ``kid`` needs no re-fetch; only an unknown one forces it (key rotation)."""
    accepted(world)
    accepted(world)
    assert len(world.issuer.calls_to("/jwks")) == 1, world.issuer.calls


@pytest.mark.clause("R-5")
def test_an_unknown_kid_refetches_the_jwks_once(world: ScriptedWorld) -> None:
    accepted(world)
    world.issuer.signing_key = world.issuer.key("key-2")
    accepted(world)
    assert len(world.issuer.calls_to("/jwks")) == 2, world.issuer.calls


@pytest.mark.clause("T-3", "R-5")
@pytest.mark.parametrize("payload", [b"[1, 2]", b'"claims"', b"not json", b"null"])
def test_a_signed_payload_that_is_not_a_claims_object_is_refused(
    world: ScriptedWorld, payload: bytes
) -> None:
    world.issuer.payload = payload
    assert_refused(world.login(), 401, "id_token_invalid", "T-3")


# -- iss --------------------------------------------------------------------------------------


@pytest.mark.clause("R-6")
@pytest.mark.parametrize(
    "iss",
    ["http://id.other-vneid.test", "http://id.scripted-vneid.test/", None, 5],
    ids=["other", "trailing-slash", "null", "number"],
)
def test_an_iss_other_than_the_issuer_exactly_is_refused(
    world: ScriptedWorld, iss: str | int | None
) -> None:
    world.issuer.claims_patch = {"iss": iss}
    assert_refused(world.login(), 401, "id_token_invalid", "R-6")


# -- aud and azp ----------------------------------------------------------------------------


def for_client(claims: dict[str, Any], client_id: str) -> dict[str, Any]:
    """``claims`` written with PROTOCOL.md's default client id (:data:`CLIENT_ID`), for the
    relying party whose client id is ``client_id`` (the run's profile's)."""

    def swap(value: Any) -> Any:
        if value == CLIENT_ID:
            return client_id
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {swap(k): swap(v) for k, v in value.items()}
        return value

    return {name: swap(value) for name, value in claims.items()}


@pytest.mark.clause("R-7")
@pytest.mark.parametrize(
    "claims",
    [
        {"aud": [CLIENT_ID]},
        {"aud": [CLIENT_ID, CLIENT_ID]},
        {"aud": CLIENT_ID, "azp": CLIENT_ID},
    ],
    ids=["array-of-one", "same-twice", "azp-matching"],
)
def test_aud_arrays_containing_the_client_are_accepted(
    world: ScriptedWorld, claims: dict[str, Any]
) -> None:
    world.issuer.claims_patch = for_client(claims, world.issuer.client_id)
    accepted(world)


@pytest.mark.clause("R-7")
@pytest.mark.parametrize(
    "claims",
    [
        {"aud": [CLIENT_ID, "other-rp"]},
        # OpenID Connect Core 3.1.3.7 item 3: an audience the client does not trust, even when
        # azp names the client
        {"aud": [CLIENT_ID, "other-rp"], "azp": CLIENT_ID},
        {"aud": []},
        {"aud": [CLIENT_ID, 5]},
        {"aud": 5},
        {"aud": {CLIENT_ID: True}},
        {"aud": DROP},
        {"aud": ["other-rp"]},
        {"aud": [CLIENT_ID], "azp": "other-rp"},
        {"aud": [CLIENT_ID, 5], "azp": CLIENT_ID},
        {"aud": [CLIENT_ID, {"aud": CLIENT_ID}], "azp": CLIENT_ID},
    ],
    ids=[
        "several-without-azp",
        "several-with-azp",
        "empty-array",
        "non-string-member",
        "number",
        "object",
        "missing",
        "array-without-client",
        "azp-other",
        "non-string-member-with-azp",
        "object-member-with-azp",
    ],
)
def test_aud_not_naming_this_client_alone_or_by_azp_is_refused(
    world: ScriptedWorld, claims: dict[str, Any]
) -> None:
    world.issuer.claims_patch = for_client(claims, world.issuer.client_id)
    assert_refused(world.login(), 401, "id_token_invalid", "R-7")


# -- exp and iat, the profile's skew (60 s by default) --------------------------------------

EXP_CASES: list[tuple[Callable[[int], int], bool]] = [
    (shown("NOW+30", lambda skew: NOW + 30), True),
    (shown("NOW-skew+1", lambda skew: NOW - skew + 1), True),
    (shown("NOW-skew", lambda skew: NOW - skew), False),
    (shown("NOW-skew-1", lambda skew: NOW - skew - 1), False),
]
"""``exp`` from the profile's ``clock_skew`` (NOW + 30, NOW - 59, - 60, - 61 by default) and
whether it is accepted."""
IAT_CASES: list[tuple[Callable[[int], int], bool]] = [
    (shown("NOW+skew", lambda skew: NOW + skew), True),
    (shown("NOW+skew+1", lambda skew: NOW + skew + 1), False),
]
"""``iat`` from the profile's ``clock_skew`` (NOW + 60, + 61 by default)."""


@pytest.mark.clause("R-8")
@pytest.mark.parametrize(
    ("exp", "ok"), EXP_CASES, ids=[f"{exp(DEFAULT_SKEW)}-{ok}" for exp, ok in EXP_CASES]
)
def test_exp_allows_exactly_sixty_seconds_of_skew(
    world: ScriptedWorld, exp: Callable[[int], int], ok: bool
) -> None:
    """R-8: an ``exp`` less than the profile's ``clock_skew`` past is accepted, one the
    whole skew past is not (sixty seconds by default)."""
    world.issuer.claims_patch = {"exp": exp(world.profile.clock_skew)}
    if ok:
        accepted(world)
    else:
        assert_refused(world.login(), 401, "id_token_invalid", "R-8")


@pytest.mark.clause("R-8")
@pytest.mark.parametrize(
    ("iat", "ok"), IAT_CASES, ids=[f"{iat(DEFAULT_SKEW)}-{ok}" for iat, ok in IAT_CASES]
)
def test_iat_allows_exactly_sixty_seconds_of_skew(
    world: ScriptedWorld, iat: Callable[[int], int], ok: bool
) -> None:
    """R-8: an ``iat`` up to the profile's ``clock_skew`` ahead is accepted, a second more
    is not (sixty seconds by default)."""
    world.issuer.claims_patch = {"iat": iat(world.profile.clock_skew)}
    if ok:
        accepted(world)
    else:
        assert_refused(world.login(), 401, "id_token_invalid", "R-8")


@pytest.mark.clause("R-8", "T-3")
@pytest.mark.parametrize("claim", ["exp", "iat"])
@pytest.mark.parametrize(
    "value", [True, "1767226200", math.inf, None], ids=["bool", "string", "infinity", "null"]
)
def test_exp_and_iat_must_be_finite_numbers(
    world: ScriptedWorld, claim: str, value: bool | str | float | None
) -> None:
    world.issuer.claims_patch = {claim: value}
    assert_refused(world.login(), 401, "id_token_invalid", "R-8")


# -- R-9, T-3, R-10, R-11 --------------------------------------------------------------------------


@pytest.mark.clause("R-9")
@pytest.mark.parametrize("nonce", ["another-login-s-nonce", ""])
def test_a_nonce_of_another_login_is_refused(world: ScriptedWorld, nonce: str) -> None:
    world.issuer.claims_patch = {"nonce": nonce}
    assert_refused(world.login(), 401, "id_token_invalid", "R-9")


@pytest.mark.clause("R-9")
@pytest.mark.parametrize("nonce", [12345, ["n"], None])
def test_a_nonce_that_is_not_a_string_is_refused(
    world: ScriptedWorld, nonce: int | list[str] | None
) -> None:
    world.issuer.claims_patch = {"nonce": nonce}
    assert_refused(world.login(), 401, "id_token_invalid", "R-9")


@pytest.mark.clause("T-3")
@pytest.mark.parametrize(
    ("sub", "ok"),
    [
        ("s" * 255, True),
        ("s" * 256, False),
        ("", False),
        (12345, False),
        (None, False),
    ],
    ids=["255-chars", "256-chars", "empty", "number", "null"],
)
def test_sub_is_a_non_empty_string_of_at_most_255_characters(
    world: ScriptedWorld, sub: str | int | None, ok: bool
) -> None:
    world.issuer.claims_patch = {"sub": sub}
    world.issuer.userinfo_patch = {"sub": sub}
    if ok:
        accepted(world)
    else:
        assert_refused(world.login(), 401, "id_token_invalid", "T-3")


@pytest.mark.clause("R-10")
@pytest.mark.parametrize("acr", ["urn:vneid:loa:1", "URN:VNEID:LOA:2", 2, DROP])
def test_only_acr_level_2_is_accepted(world: ScriptedWorld, acr: object) -> None:
    world.issuer.claims_patch = {"acr": acr}
    assert_refused(world.login(), 403, "identity_level_insufficient", "R-10")


@pytest.mark.clause("R-11")
@pytest.mark.parametrize(
    "personal_id",
    [DROP, 1090012345, "00109001234", "097090012345"],
    ids=["missing", "number", "eleven-digits", "province-097"],
)
def test_a_missing_or_malformed_personal_id_names_no_account(
    world: ScriptedWorld, personal_id: object
) -> None:
    world.issuer.claims_patch = {"personal_id": personal_id}
    body = assert_refused(world.login(), 404, "vssid_account_not_found", "R-11")
    assert body["error_description"].startswith("the ID token's "), body


@pytest.mark.clause("P-1", "R-11")
def test_a_well_formed_personal_id_without_an_account_cites_p1(world: ScriptedWorld) -> None:
    other = PERSONAL_ID[:-1] + ("9" if PERSONAL_ID[-1] != "9" else "8")
    world.issuer.claims_patch = {"personal_id": other}
    world.issuer.userinfo_patch = {"personal_id": other}
    assert_refused(world.login(), 404, "vssid_account_not_found", "P-1")


@pytest.mark.clause("P-1")
def test_a_locked_vssid_account_gets_no_session(world: ScriptedWorld) -> None:
    from mock_providers.vssid import AccountRecord

    world.provider.add_account(
        AccountRecord("0123456789", PERSONAL_ID, "Nguyễn Văn An", status="locked")
    )
    assert_refused(world.login(), 423, "account_locked", "P-1")


# -- T-5: userinfo ---------------------------------------------------------------------------------


@pytest.mark.clause("T-5")
@pytest.mark.parametrize(
    "info",
    [
        {"sub": SUB + "x"},
        {"sub": None},
        {"sub": 5},
        {"personal_id": "001090012346"},
    ],
    ids=["other-sub", "no-sub", "numeric-sub", "other-personal-id"],
)
def test_userinfo_naming_another_identity_is_refused(
    world: ScriptedWorld, info: dict[str, str | int | None]
) -> None:
    world.issuer.userinfo_patch = info
    assert_refused(world.login(), 401, "id_token_invalid", "T-5")


@pytest.mark.clause("T-5")
def test_userinfo_without_personal_id_is_enough(world: ScriptedWorld) -> None:
    """OpenID Connect Core §5.3.2: only ``sub`` is required in the userinfo answer."""
    world.issuer.userinfo_patch = {"personal_id": DROP}
    accepted(world)


@pytest.mark.clause("R-12", "A-6")
def test_the_session_names_the_account_of_the_id_tokens_personal_id(world: ScriptedWorld) -> None:
    response = accepted(world)
    body = response.json()
    assert body["bhxh_code"] == "0123456789"
    me = world.http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['session_token']}"})
    assert me.json()["personal_id"] == PERSONAL_ID


# -- exact comparisons: no case folding, trimming or type coercion (R-6, R-7, R-9…R-11) ----------
# (a second fault-injection audit: a relying party comparing any of these loosely went unnoticed)


@pytest.mark.clause("R-6")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("upper-case", str.upper),
        shown("trailing-space", lambda iss: f"{iss} "),
        shown("leading-space", lambda iss: f" {iss}"),
    ],
    ids=["upper-case", "trailing-space", "leading-space"],
)
def test_iss_is_compared_exactly(world: ScriptedWorld, spoil: Callable[[str], str]) -> None:
    world.issuer.claims_patch = {"iss": spoil(ISSUER)}
    assert_refused(world.login(), 401, "id_token_invalid", "R-6")


@pytest.mark.clause("R-7")
@pytest.mark.parametrize(
    "claims",
    [
        shown("aud-superstring", lambda client: {"aud": f"{client}-other"}),
        shown("aud-prefixed", lambda client: {"aud": f"x{client}"}),
        shown("azp-upper-case", lambda client: {"aud": client, "azp": client.upper()}),
        shown("azp-number", lambda client: {"aud": client, "azp": 5}),
        shown("azp-array", lambda client: {"aud": client, "azp": [client]}),
    ],
    ids=["aud-superstring", "aud-prefixed", "azp-upper-case", "azp-number", "azp-array"],
)
def test_aud_and_azp_are_compared_exactly(
    world: ScriptedWorld, claims: Callable[[str], dict[str, Any]]
) -> None:
    """R-7, OpenID Connect Core §2: ``aud`` contains the client id itself, not a string
    holding it; ``azp``, when present, is that client id as a string."""
    world.issuer.claims_patch = claims(world.issuer.client_id)
    assert_refused(world.login(), 401, "id_token_invalid", "R-7")


@pytest.mark.clause("R-9")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("one-short", lambda nonce: nonce[:-1]),
        shown("swapcase", str.swapcase),
        shown("prefix", lambda nonce: nonce[:16]),
    ],
    ids=["one-short", "swapcase", "prefix"],
)
def test_nonce_is_compared_exactly(world: ScriptedWorld, spoil: Callable[[str], str]) -> None:
    transaction_id, request = world.start()
    assert spoil(request["nonce"]) != request["nonce"]
    world.issuer.nonce = spoil(request["nonce"])
    assert_refused(
        world.complete(transaction_id, world.callback(request)), 401, "id_token_invalid", "R-9"
    )


@pytest.mark.clause("R-10")
@pytest.mark.parametrize(
    "acr",
    [[ACR_LEVEL2], f"{ACR_LEVEL2} ", f" {ACR_LEVEL2}"],
    ids=["array", "trailing-space", "leading-space"],
)
def test_acr_is_exactly_the_level_2_string(world: ScriptedWorld, acr: object) -> None:
    world.issuer.claims_patch = {"acr": acr}
    assert_refused(world.login(), 403, "identity_level_insufficient", "R-10")


@pytest.mark.clause("R-11")
@pytest.mark.parametrize(
    "personal_id",
    [f" {PERSONAL_ID}", f"{PERSONAL_ID}\n"],
    ids=["leading-space", "trailing-newline"],
)
def test_a_personal_id_is_not_trimmed_into_an_account(
    world: ScriptedWorld, personal_id: str
) -> None:
    """§1: a ``personal_id`` is 12 digits; with a space it is no citizen's, so it names no
    account (a trimmed one logged the citizen in)."""
    world.issuer.claims_patch = {"personal_id": personal_id}
    world.issuer.userinfo_patch = {"personal_id": personal_id}
    assert_refused(world.login(), 404, "vssid_account_not_found", "R-11")
