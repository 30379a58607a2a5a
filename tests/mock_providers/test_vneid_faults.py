"""Relying-party faults (§11 ``/_harness/faults``, CONFORMANCE-CATALOG.md "Relying-party
faults"): each fault's precise effect on the token, redirect or userinfo it spoils, its
consumption, per-client isolation, the control API's validation and the key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from typing import Any

import httpx
import pytest
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import KeySet, OctKey

from harness.embedded import SyncASGITransport
from harness.protocol import (
    ACR_LEVEL1,
    DEFAULT_PROFILE,
    LinkForm,
    ProtocolError,
    SeededEntropy,
    parse_callback,
)
from harness.protocol import parse_personal_id as parse_pid
from mock_providers.vneid import ClientRecord, VNeIDProvider, VNeIDSettings
from mock_providers.vneid.faults import (
    BAD_CENTURY_DIGIT,
    BAD_PROVINCE,
    BEYOND_SKEW,
    FAULTS,
    FOREIGN_ISSUER,
    ID_TOKEN_CLAIMS,
    MAX_FAULT_TIMES,
    R8_MAX_SKEW,
    UNTRUSTED_AUDIENCE,
    ArmedFaults,
    Fault,
    FaultContext,
    FaultRegistry,
    hs256_secret,
)

NONCE, STATE = "nonce-456", "state-123"
RP2 = ClientRecord("rp2", ("https://rp2.test/cb",), client_secret="rp2-secret")

# name → (clause, stage): the catalog the brief and CONFORMANCE-CATALOG.md ask for.
EXPECTED = {
    "id_token_nonce_invalid": ("R-9", "id_token_claims"),
    "id_token_nonce_missing": ("R-9", "id_token_claims"),
    "id_token_iss_invalid": ("R-6", "id_token_claims"),
    "id_token_aud_invalid": ("R-7", "id_token_claims"),
    "id_token_aud_extra_untrusted": ("R-7", "id_token_claims"),
    "id_token_aud_extra_with_azp": ("R-7", "id_token_claims"),
    "id_token_azp_invalid": ("R-7", "id_token_claims"),
    "id_token_sub_missing": ("T-3", "id_token_claims"),
    "id_token_iat_missing": ("R-8", "id_token_claims"),
    "id_token_exp_missing": ("R-8", "id_token_claims"),
    "id_token_expired": ("R-8", "id_token_claims"),
    "id_token_iat_future": ("R-8", "id_token_claims"),
    "id_token_acr_level1": ("R-10", "id_token_claims"),
    "id_token_acr_missing": ("R-10", "id_token_claims"),
    "id_token_personal_id_malformed": ("R-11", "id_token_claims"),
    "id_token_personal_id_bad_province": ("R-11", "id_token_claims"),
    "id_token_personal_id_bad_century": ("R-11", "id_token_claims"),
    "id_token_kid_unknown": ("R-5", "id_token_header"),
    "id_token_sig_none": ("R-5", "id_token_jws"),
    "id_token_sig_invalid": ("R-5", "id_token_jws"),
    "id_token_sig_hs256_pubkey": ("R-5", "id_token_jws"),
    "authz_response_state_invalid": ("R-1", "authz_response"),
    "authz_response_iss_invalid": ("R-2", "authz_response"),
    "authz_response_iss_missing": ("R-2", "authz_response"),
    "userinfo_sub_mismatch": ("T-5", "userinfo"),
    "userinfo_personal_id_mismatch": ("T-5", "userinfo"),
    "signing_key_rotated": ("R-5", "signing_key"),
    # variations: a correct relying party must accept these (CONFORMANCE-CATALOG.md, positive)
    "id_token_aud_array": ("R-7", "id_token_claims"),
    "id_token_kid_absent": ("R-5", "id_token_header"),
    "token_type_lowercase": ("T-1", "token_response"),
}
VARIATIONS = {
    "id_token_aud_array",
    "id_token_kid_absent",
    "token_type_lowercase",
    "signing_key_rotated",
}


# -- helpers ---------------------------------------------------------------------------------
def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Header, payload and signature of a compact JWS, unverified."""
    header, payload, signature = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(payload)), _unb64(signature)


def _jwks(http: httpx.Client) -> KeySet:
    return KeySet.import_key_set(http.get("/jwks").json())


def _verify(token: str, http: httpx.Client) -> dict[str, Any]:
    """The claims of an ES256 token that verifies against the published JWKS (R-5)."""
    return jwt.decode(token, _jwks(http), algorithms=["ES256"]).claims


def _arm(
    http: httpx.Client, fault: str, times: int | None = None, client_id: str = "vssid"
) -> httpx.Response:
    body: dict[str, Any] = {"client_id": client_id, "fault": fault}
    if times is not None:
        body["times"] = times
    return http.post("/_harness/faults", json=body)


def _tokens(flow, *, client: ClientRecord | None = None) -> dict[str, Any]:
    """Authorize and redeem (as ``vssid`` or ``client``); the token response."""
    if client is None:
        r = flow.redeem(flow.code())
    else:
        uri = client.redirect_uris[0]
        code = flow.code(flow.request(client_id=client.client_id, redirect_uri=uri))
        r = flow.redeem(code, auth=(client.client_id, client.client_secret), redirect_uri=uri)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _id_token(flow, **kw: Any) -> str:
    return str(_tokens(flow, **kw)["id_token"])


def _armed(http: httpx.Client) -> list[dict[str, Any]]:
    return list(http.get("/_harness/faults").json()["faults"])


def _error(r: httpx.Response) -> tuple[int, str, str]:
    body = r.json()
    return r.status_code, body["error"], body["clause"]


@pytest.fixture
def clean_claims(vneid_flow, vneid_http) -> dict[str, Any]:
    """The claims of an unfaulted ID token for the same citizen, client and instant."""
    return _verify(_id_token(vneid_flow), vneid_http)


# -- the catalog -----------------------------------------------------------------------------
def test_catalog_holds_exactly_the_rp_faults_with_their_clauses_and_stages():
    assert {f.name: (f.clause, f.stage.name) for f in FAULTS} == EXPECTED
    assert all(f.description for f in FAULTS)


def test_variations_are_marked_as_to_accept_and_every_other_entry_as_a_fault(vneid_http):
    assert {f.name for f in FAULTS if f.kind == "variation"} == VARIATIONS
    assert {f.kind for f in FAULTS if f.name not in VARIATIONS} == {"fault"}
    assert all("must accept" in f.description for f in FAULTS if f.kind == "variation")
    catalog = vneid_http.get("/_harness/faults").json()["catalog"]
    assert {f["name"] for f in catalog if f["kind"] == "variation"} == VARIATIONS
    assert Fault("x", "R-9", "d", ID_TOKEN_CLAIMS, lambda c, ctx: c).kind == "fault"


def test_registering_a_name_twice_is_an_error():
    registry = FaultRegistry()
    fault = Fault("x", "R-9", "d", ID_TOKEN_CLAIMS, lambda claims, ctx: claims)
    registry.register(fault)
    with pytest.raises(ValueError, match="'x' is already registered"):
        registry.register(fault)
    with pytest.raises(ValueError, match="already registered"):
        FAULTS.add("id_token_nonce_invalid", "R-9", ID_TOKEN_CLAIMS, "again")(
            lambda claims, ctx: claims
        )


@pytest.mark.parametrize(
    "fault", [f for f in FAULTS if f.stage.name == "id_token_claims"], ids=lambda f: f.name
)
def test_claim_transforms_are_pure(fault, vneid_provider):
    claims = {
        "iss": "i",
        "sub": "s",
        "aud": "vssid",
        "exp": 1600,
        "iat": 1000,
        "auth_time": 990,
        "nonce": NONCE,
        "acr": "urn:vneid:loa:2",
        "personal_id": "001099012345",
    }
    frozen = json.dumps(claims, sort_keys=True)
    ctx = FaultContext(
        issuer="i",
        client_id="vssid",
        now=1000.0,
        signing_key=vneid_provider.signing_key,
        entropy=vneid_provider.entropy,
    )
    first, second = fault.transform(claims, ctx), fault.transform(claims, ctx)
    assert json.dumps(claims, sort_keys=True) == frozen
    assert first == second != claims


# -- ID-token claims -------------------------------------------------------------------------
def _changed(claims: dict[str, Any], clean: dict[str, Any]) -> set[str]:
    return {k for k in claims.keys() | clean.keys() if claims.get(k) != clean.get(k)}


@pytest.mark.clause("R-9")
def test_nonce_invalid(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_nonce_invalid")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"nonce"}
    assert claims["nonce"] != NONCE
    assert len(claims["nonce"]) == len(NONCE)
    assert claims["nonce"][:-1] == NONCE[:-1]


@pytest.mark.clause("R-9")
def test_nonce_invalid_sets_a_nonce_the_request_did_not_send(vneid_flow, vneid_http):
    _arm(vneid_http, "id_token_nonce_invalid")
    code = vneid_flow.code(vneid_flow.request(nonce=None))
    claims = _verify(vneid_flow.redeem(code).json()["id_token"], vneid_http)
    assert claims["nonce"]


@pytest.mark.clause("R-9")
def test_nonce_missing(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_nonce_missing")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"nonce"}
    assert "nonce" not in claims


@pytest.mark.clause("R-6")
def test_iss_invalid(vneid_flow, vneid_http, vneid_provider, clean_claims):
    _arm(vneid_http, "id_token_iss_invalid")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"iss"}
    assert claims["iss"] == FOREIGN_ISSUER != vneid_provider.issuer
    assert claims["iss"].startswith("https://")


@pytest.mark.clause("R-7")
def test_aud_invalid(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_aud_invalid")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"aud"}
    assert isinstance(claims["aud"], str)
    assert claims["aud"] not in ("vssid", "")


@pytest.mark.clause("R-7")
def test_aud_extra_untrusted_without_azp(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_aud_extra_untrusted")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"aud"}
    assert claims["aud"] == ["vssid", UNTRUSTED_AUDIENCE]
    assert "azp" not in claims


@pytest.mark.clause("R-7")
def test_aud_extra_untrusted_with_azp(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_aud_extra_with_azp")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) - {"azp"} == {"aud"}
    assert claims["aud"] == ["vssid", UNTRUSTED_AUDIENCE]
    assert claims["azp"] == "vssid"


@pytest.mark.clause("R-7")
def test_azp_invalid(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_azp_invalid")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"azp"}
    assert claims["aud"] == clean_claims["aud"]
    assert isinstance(claims["azp"], str)
    assert claims["azp"] not in ("vssid", "")


@pytest.mark.clause("T-3")
def test_sub_missing(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_sub_missing")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"sub"}
    assert "sub" not in claims


@pytest.mark.clause("R-8")
def test_iat_missing(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_iat_missing")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"iat"}
    assert "iat" not in claims


@pytest.mark.clause("R-8")
def test_exp_missing(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_exp_missing")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"exp"}
    assert "exp" not in claims


# R-8 bounds the skew at 60 s: the time faults keep beyond it even where the provider's own
# profile is lax, so that a relying party configured with a wider skew is caught too.
PROFILE_SKEWS = pytest.mark.parametrize(
    "vneid_provider",
    [DEFAULT_PROFILE, DEFAULT_PROFILE.evolve(clock_skew=600)],
    indirect=True,
    ids=["profile-skew-60", "profile-skew-600"],
)


@pytest.mark.clause("R-8")
@PROFILE_SKEWS
def test_expired_is_past_beyond_the_skew(vneid_flow, vneid_http, vneid_provider, clean_claims):
    _arm(vneid_http, "id_token_expired")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    now = int(vneid_provider.clock.now())
    assert R8_MAX_SKEW == 60
    assert _changed(claims, clean_claims) <= {"exp", "iat", "auth_time"}
    assert claims["exp"] == now - R8_MAX_SKEW - BEYOND_SKEW
    assert now - claims["exp"] < 90, "a relying party allowing 90 s of skew must be caught"
    assert claims["exp"] < now - R8_MAX_SKEW
    assert claims["iat"] < claims["exp"]
    assert claims["exp"] - claims["iat"] == clean_claims["exp"] - clean_claims["iat"]
    assert claims["auth_time"] <= claims["iat"]


@pytest.mark.clause("R-8")
@PROFILE_SKEWS
def test_iat_future_is_beyond_the_skew(vneid_flow, vneid_http, vneid_provider, clean_claims):
    _arm(vneid_http, "id_token_iat_future")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    now = int(vneid_provider.clock.now())
    assert _changed(claims, clean_claims) == {"exp", "iat"}
    assert claims["iat"] == now + R8_MAX_SKEW + BEYOND_SKEW
    assert claims["iat"] - now < 90, "a relying party allowing 90 s of skew must be caught"
    assert claims["iat"] > now + R8_MAX_SKEW
    assert claims["exp"] - claims["iat"] == clean_claims["exp"] - clean_claims["iat"]


@pytest.mark.clause("R-10")
def test_acr_level1(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_acr_level1")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"acr"}
    assert claims["acr"] == ACR_LEVEL1 == "urn:vneid:loa:1"


@pytest.mark.clause("R-11")
def test_personal_id_malformed(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_personal_id_malformed")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"personal_id"}
    assert claims["personal_id"] == "12345"
    with pytest.raises(ProtocolError):
        parse_pid(claims["personal_id"])


@pytest.mark.clause("R-10")
def test_acr_missing(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_acr_missing")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"acr"}
    assert "acr" not in claims


@pytest.mark.clause("R-11")
@pytest.mark.parametrize(
    ("fault", "start", "digits", "rule"),
    [
        ("id_token_personal_id_bad_province", 0, BAD_PROVINCE, "province"),
        ("id_token_personal_id_bad_century", 3, BAD_CENTURY_DIGIT, "century"),
    ],
)
def test_personal_id_well_shaped_but_out_of_range(
    vneid_flow, vneid_http, clean_claims, fault, start, digits, rule
):
    """12 digits that break one rule of §1 each: a check of the length alone misses them."""
    _arm(vneid_http, fault)
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"personal_id"}
    faulty, clean = claims["personal_id"], clean_claims["personal_id"]
    end = start + len(digits)
    assert len(faulty) == 12
    assert faulty.isdigit()
    assert faulty[start:end] == digits != clean[start:end]
    assert faulty[:start] + faulty[end:] == clean[:start] + clean[end:]
    with pytest.raises(ProtocolError, match=rule):
        parse_pid(faulty)


# -- variations (to accept) ------------------------------------------------------------------
@pytest.mark.clause("R-7")
def test_aud_array_is_the_client_id_alone_in_an_array(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_aud_array")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"aud"}
    assert claims["aud"] == ["vssid"] == [clean_claims["aud"]]
    assert "azp" not in claims
    assert _armed(vneid_http) == []
    assert _verify(_id_token(vneid_flow), vneid_http)["aud"] == "vssid"


@pytest.mark.clause("R-7")
def test_aud_array_names_the_client_it_is_issued_to(vneid_flow, vneid_http, vneid_provider):
    vneid_provider.register_client(RP2)
    _arm(vneid_http, "id_token_aud_array", client_id="rp2")
    claims = _verify(_id_token(vneid_flow, client=RP2), vneid_http)
    assert claims["aud"] == ["rp2"]


@pytest.mark.clause("T-1")
def test_token_type_lowercase_changes_only_the_token_type(vneid_flow, vneid_http):
    clean = _tokens(vneid_flow)
    _arm(vneid_http, "token_type_lowercase")
    assert [f["stage"] for f in _armed(vneid_http)] == ["token_response"]
    tokens = _tokens(vneid_flow)
    assert (clean["token_type"], tokens["token_type"]) == ("Bearer", "bearer")
    assert tokens.keys() == clean.keys()
    assert {
        k: v for k, v in tokens.items() if k not in ("access_token", "id_token", "token_type")
    } == {k: v for k, v in clean.items() if k not in ("access_token", "id_token", "token_type")}
    assert _verify(tokens["id_token"], vneid_http)["aud"] == "vssid"
    info = vneid_http.get(
        "/userinfo", headers={"Authorization": f"bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200, info.text  # the access token is as good as ever
    assert _armed(vneid_http) == []
    assert _tokens(vneid_flow)["token_type"] == "Bearer"


@pytest.mark.clause("T-1")
def test_token_type_lowercase_waits_for_a_successful_token_response(vneid_flow, vneid_http):
    _arm(vneid_http, "token_type_lowercase")
    r = vneid_flow.redeem(vneid_flow.code(), code_verifier="x" * 43)
    assert r.status_code == 400
    assert "token_type" not in r.json()
    assert [f["remaining"] for f in _armed(vneid_http)] == [1]
    assert _tokens(vneid_flow)["token_type"] == "bearer"


def test_faults_of_one_stage_compose(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_nonce_missing")
    _arm(vneid_http, "id_token_iss_invalid")
    claims = _verify(_id_token(vneid_flow), vneid_http)
    assert _changed(claims, clean_claims) == {"nonce", "iss"}
    assert _armed(vneid_http) == []


# -- ID-token signature and header -----------------------------------------------------------
@pytest.mark.clause("R-5")
def test_sig_none_is_an_unsigned_jws(vneid_flow, vneid_http, clean_claims):
    _arm(vneid_http, "id_token_sig_none")
    token = _id_token(vneid_flow)
    header, claims, signature = _parts(token)
    assert header == {"alg": "none", "typ": "JWT"}
    assert token.endswith(".")
    assert signature == b""
    assert claims == clean_claims
    with pytest.raises(JoseError):
        _verify(token, vneid_http)
    with pytest.warns(SecurityWarning):
        unsigned = jws.deserialize_compact(token, None, algorithms=["none"])
    assert json.loads(unsigned.payload) == clean_claims


@pytest.mark.clause("R-5")
def test_sig_invalid_is_a_valid_token_with_one_byte_flipped(vneid_flow, vneid_http, vneid_provider):
    _arm(vneid_http, "id_token_sig_invalid")
    token = _id_token(vneid_flow)
    header, _, signature = _parts(token)
    assert header == {"alg": "ES256", "typ": "JWT", "kid": vneid_provider.signing_key.kid}
    assert len(signature) == 64
    with pytest.raises(BadSignatureError):
        _verify(token, vneid_http)
    restored = bytearray(signature)
    restored[len(restored) // 2] ^= 0x01
    head, payload, _ = token.split(".")
    assert _verify(f"{head}.{payload}.{_b64(bytes(restored))}", vneid_http)


@pytest.mark.clause("R-5")
def test_sig_hs256_is_keyed_with_the_public_key(
    vneid_flow, vneid_http, vneid_provider, clean_claims
):
    _arm(vneid_http, "id_token_sig_hs256_pubkey")
    token = _id_token(vneid_flow)
    header, claims, signature = _parts(token)
    key = vneid_provider.signing_key
    assert header == {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    assert claims == clean_claims
    pem = key.as_pem(private=False)
    assert hs256_secret(key) == pem
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    signing_input = token.rsplit(".", 1)[0].encode()
    assert hmac.compare_digest(signature, hmac.new(pem, signing_input, hashlib.sha256).digest())
    # joserfc refuses a PEM as an oct key on import; build the key around the raw bytes.
    confused = OctKey(pem, pem)
    assert jws.deserialize_compact(token, confused, algorithms=["HS256"]).payload
    with pytest.raises(JoseError):
        _verify(token, vneid_http)
    with pytest.raises(JoseError):
        jwt.decode(token, _jwks(vneid_http), algorithms=["HS256"])


@pytest.mark.clause("R-5")
def test_kid_unknown_is_signed_by_the_right_key(
    vneid_flow, vneid_http, vneid_provider, clean_claims
):
    _arm(vneid_http, "id_token_kid_unknown")
    token = _id_token(vneid_flow)
    header, _, _ = _parts(token)
    published = {k["kid"] for k in vneid_http.get("/jwks").json()["keys"]}
    assert header["alg"] == "ES256"
    assert header["kid"]
    assert header["kid"] not in published
    with pytest.raises(JoseError):
        _verify(token, vneid_http)
    right_key = jwt.decode(token, vneid_provider.signing_key, algorithms=["ES256"])
    assert right_key.claims == clean_claims


@pytest.mark.clause("R-5")
def test_kid_absent_is_a_valid_token_without_kid_from_a_one_key_jwks(
    vneid_flow, vneid_http, vneid_provider, clean_claims
):
    _arm(vneid_http, "id_token_kid_absent")
    token = _id_token(vneid_flow)
    header, _, _ = _parts(token)
    assert header == {"alg": "ES256", "typ": "JWT"}
    assert len(vneid_http.get("/jwks").json()["keys"]) == 1
    right_key = jwt.decode(token, vneid_provider.signing_key, algorithms=["ES256"])
    assert right_key.claims == clean_claims


@pytest.mark.clause("R-5")
def test_kid_absent_after_a_rotation_withdraws_the_retired_key(
    vneid_flow, vneid_http, vneid_provider
):
    """A key rotated out by an earlier test stays published; a token without kid must come
    from a one-key JWKS, so the retired key is withdrawn before it is signed."""
    vneid_provider.rotate_signing_key()
    assert len(vneid_http.get("/jwks").json()["keys"]) == 2
    _arm(vneid_http, "id_token_kid_absent")
    token = _id_token(vneid_flow)
    assert "kid" not in _parts(token)[0]
    keys = vneid_http.get("/jwks").json()["keys"]
    assert [k["kid"] for k in keys] == [vneid_provider.signing_key.kid]
    jwt.decode(token, vneid_provider.signing_key, algorithms=["ES256"])


# -- the authorization response --------------------------------------------------------------
@pytest.mark.clause("R-1")
def test_state_invalid_in_the_approve_redirect(vneid_flow, vneid_http, vneid_provider):
    _arm(vneid_http, "authz_response_state_invalid")
    cb = vneid_flow.callback()
    assert cb.state != STATE
    assert len(cb.state) == len(STATE)
    assert cb.state[:-1] == STATE[:-1]
    assert cb.code
    assert cb.iss == vneid_provider.issuer
    assert vneid_flow.redeem(cb.code).status_code == 200


@pytest.mark.clause("R-2")
def test_iss_invalid_in_the_redirect(vneid_flow, vneid_http, vneid_provider):
    _arm(vneid_http, "authz_response_iss_invalid")
    cb = vneid_flow.callback(form=LinkForm.CLAIMED_HTTPS)
    assert cb.iss == FOREIGN_ISSUER != vneid_provider.issuer
    assert (cb.state, bool(cb.code)) == (STATE, True)
    assert list(cb.params) == ["code", "state", "iss"]


@pytest.mark.clause("R-2")
def test_iss_missing_from_the_redirect(vneid_flow, vneid_http):
    _arm(vneid_http, "authz_response_iss_missing")
    cb = vneid_flow.callback()
    assert "iss" not in cb.params
    assert (cb.state, bool(cb.code)) == (STATE, True)


@pytest.mark.clause("R-2")
def test_authz_faults_also_spoil_error_redirects(vneid_flow, vneid_http):
    _arm(vneid_http, "authz_response_iss_invalid")
    cb = vneid_flow.callback(decision="deny")
    assert (cb.error, cb.iss) == ("access_denied", FOREIGN_ISSUER)


@pytest.mark.clause("R-2")
def test_authz_faults_apply_to_the_web_flow(vneid_flow, vneid_http):
    _arm(vneid_http, "authz_response_iss_missing")
    page = vneid_http.get(vneid_flow.request().to_url(vneid_flow.provider.url("/authorize")))

    def post(page: httpx.Response, **data: str) -> httpx.Response:
        action = html.unescape(re.search(r'<form method="post" action="([^"]*)"', page.text)[1])
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        return vneid_http.post(action, data={**hidden, **data})

    consent = post(
        page, personal_id=vneid_flow.persona.personal_id, passcode=vneid_flow.persona.passcode
    )
    done = post(consent, decision="approve")
    cb = parse_callback(done.headers["location"])
    assert cb.code
    assert "iss" not in cb.params


# -- userinfo --------------------------------------------------------------------------------
@pytest.mark.clause("T-5")
def test_userinfo_sub_mismatch(vneid_flow, vneid_http):
    tokens = _tokens(vneid_flow)
    claims = _verify(tokens["id_token"], vneid_http)
    _arm(vneid_http, "userinfo_sub_mismatch")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = vneid_http.get("/userinfo", headers=bearer).json()
    assert info["sub"] != claims["sub"]
    assert len(info["sub"]) == len(claims["sub"])
    assert {k: v for k, v in info.items() if k != "sub"} == {
        k: claims[k] for k in ("personal_id", "name", "birthdate", "gender")
    }
    assert vneid_http.get("/userinfo", headers=bearer).json()["sub"] == claims["sub"]


@pytest.mark.clause("T-5")
def test_userinfo_personal_id_mismatch(vneid_flow, vneid_http):
    tokens = _tokens(vneid_flow)
    claims = _verify(tokens["id_token"], vneid_http)
    _arm(vneid_http, "userinfo_personal_id_mismatch")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = vneid_http.get("/userinfo", headers=bearer).json()
    assert info["personal_id"] != claims["personal_id"]
    assert info["personal_id"][:-1] == claims["personal_id"][:-1]
    assert parse_pid(info["personal_id"])  # another person, but a well-formed id
    assert {k: v for k, v in info.items() if k != "personal_id"} == {
        k: claims[k] for k in ("sub", "name", "birthdate", "gender")
    }
    assert (
        vneid_http.get("/userinfo", headers=bearer).json()["personal_id"] == claims["personal_id"]
    )


# -- key rotation ----------------------------------------------------------------------------
@pytest.mark.clause("R-5")
def test_signing_key_rotated(vneid_flow, vneid_http, vneid_provider):
    old_kid = vneid_provider.signing_key.kid
    cached = _jwks(vneid_http)  # what an RP fetched before the rotation
    assert [k["kid"] for k in vneid_http.get("/jwks").json()["keys"]] == [old_kid]
    _arm(vneid_http, "signing_key_rotated")
    token = _id_token(vneid_flow)
    header, _, _ = _parts(token)
    new_kid = header["kid"]
    assert new_kid != old_kid
    assert new_kid == vneid_provider.signing_key.kid
    jwks = vneid_http.get("/jwks").json()["keys"]
    assert [k["kid"] for k in jwks] == [new_kid, old_kid]
    assert all("d" not in k for k in jwks)
    with pytest.raises(JoseError):  # the cached JWKS does not know the kid ...
        jwt.decode(token, cached, algorithms=["ES256"])
    assert _verify(token, vneid_http)["aud"] == "vssid"  # ... a re-fetched one does
    # Consumed: later tokens are signed with the new key, no further rotation.
    assert _armed(vneid_http) == []
    assert _parts(_id_token(vneid_flow))[0]["kid"] == new_kid
    assert len(vneid_http.get("/jwks").json()["keys"]) == 2


@pytest.mark.clause("R-5")
def test_rotation_twice_keeps_only_the_previous_key(vneid_flow, vneid_http, vneid_provider):
    first = vneid_provider.signing_key.kid
    _arm(vneid_http, "signing_key_rotated", times=2)
    second = _parts(_id_token(vneid_flow))[0]["kid"]
    third = _parts(_id_token(vneid_flow))[0]["kid"]
    assert len({first, second, third}) == 3
    assert [k["kid"] for k in vneid_http.get("/jwks").json()["keys"]] == [third, second]


def test_rotation_is_replayable_from_the_seed(vneid_provider):
    twin = VNeIDProvider(VNeIDSettings(), entropy=SeededEntropy("vneid-unit-tests"))
    assert twin.signing_key.kid == vneid_provider.signing_key.kid
    assert twin.rotate_signing_key().kid == vneid_provider.rotate_signing_key().kid


# -- consumption -----------------------------------------------------------------------------
def test_times_n_is_consumed_after_n_uses(vneid_flow, vneid_http):
    r = _arm(vneid_http, "id_token_nonce_missing", times=2)
    assert r.json() == {"client_id": "vssid", "fault": "id_token_nonce_missing", "remaining": 2}
    assert "nonce" not in _verify(_id_token(vneid_flow), vneid_http)
    assert [f["remaining"] for f in _armed(vneid_http)] == [1]
    assert "nonce" not in _verify(_id_token(vneid_flow), vneid_http)
    assert _armed(vneid_http) == []
    assert _verify(_id_token(vneid_flow), vneid_http)["nonce"] == NONCE


def test_a_fault_waits_for_its_stage(vneid_flow, vneid_http):
    _arm(vneid_http, "id_token_acr_level1")
    code = vneid_flow.code()  # the authorization response is not the fault's stage
    assert vneid_flow.redeem(code, code_verifier="x" * 43).status_code == 400  # no token
    assert [f["remaining"] for f in _armed(vneid_http)] == [1]
    _arm(vneid_http, "userinfo_sub_mismatch")
    claims = _verify(vneid_flow.redeem(vneid_flow.code()).json()["id_token"], vneid_http)
    assert claims["acr"] == ACR_LEVEL1
    assert [f["fault"] for f in _armed(vneid_http)] == ["userinfo_sub_mismatch"]


def test_arming_again_adds_to_what_remains(vneid_provider):
    assert vneid_provider.arm_fault("vssid", "id_token_sub_missing", 2)["remaining"] == 2
    assert vneid_provider.arm_fault("vssid", "id_token_sub_missing", 3)["remaining"] == 5
    big = vneid_provider.arm_fault("vssid", "id_token_sub_missing", MAX_FAULT_TIMES)
    assert big["remaining"] == MAX_FAULT_TIMES


# -- per-client isolation --------------------------------------------------------------------
def test_a_fault_armed_for_one_client_does_not_touch_another(
    vneid_flow, vneid_http, vneid_provider
):
    vneid_provider.register_client(RP2)
    _arm(vneid_http, "id_token_iss_invalid", client_id="rp2")
    _arm(vneid_http, "authz_response_iss_missing", client_id="rp2")
    _arm(vneid_http, "signing_key_rotated", client_id="rp2")
    original_kid = vneid_provider.signing_key.kid
    cb = vneid_flow.callback()
    assert cb.iss == vneid_provider.issuer
    token = vneid_flow.redeem(cb.code).json()["id_token"]
    assert _parts(token)[0]["kid"] == original_kid
    assert _verify(token, vneid_http)["iss"] == vneid_provider.issuer
    assert {f["fault"] for f in _armed(vneid_http)} == {
        "id_token_iss_invalid",
        "authz_response_iss_missing",
        "signing_key_rotated",
    }
    rp2_cb = vneid_flow.callback(
        vneid_flow.request(client_id="rp2", redirect_uri=RP2.redirect_uris[0])
    )
    assert "iss" not in rp2_cb.params
    r = vneid_flow.redeem(
        rp2_cb.code, auth=("rp2", "rp2-secret"), redirect_uri=RP2.redirect_uris[0]
    )
    rp2_claims = _verify(r.json()["id_token"], vneid_http)
    assert (rp2_claims["aud"], rp2_claims["iss"]) == ("rp2", FOREIGN_ISSUER)
    assert _armed(vneid_http) == []


def test_delete_clears_one_client_or_all(vneid_http, vneid_provider):
    vneid_provider.register_client(RP2)
    _arm(vneid_http, "id_token_sub_missing")
    _arm(vneid_http, "id_token_iat_missing")
    _arm(vneid_http, "id_token_sub_missing", client_id="rp2")
    r = vneid_http.delete("/_harness/faults", params={"client_id": "rp2"})
    assert r.json() == {"cleared": 1}
    assert {(f["client_id"], f["fault"]) for f in _armed(vneid_http)} == {
        ("vssid", "id_token_sub_missing"),
        ("vssid", "id_token_iat_missing"),
    }
    _arm(vneid_http, "id_token_sub_missing", client_id="rp2")
    assert vneid_http.delete("/_harness/faults").json() == {"cleared": 3}
    assert _armed(vneid_http) == []


# -- the control API -------------------------------------------------------------------------
def test_get_lists_armed_faults_and_the_catalog(vneid_http):
    _arm(vneid_http, "id_token_sig_none", times=3)
    body = vneid_http.get("/_harness/faults").json()
    assert body["faults"] == [
        {
            "client_id": "vssid",
            "fault": "id_token_sig_none",
            "remaining": 3,
            "clause": "R-5",
            "stage": "id_token_jws",
        }
    ]
    assert {f["name"]: (f["clause"], f["stage"]) for f in body["catalog"]} == EXPECTED


def test_default_times_is_one(vneid_http):
    assert _arm(vneid_http, "id_token_sub_missing").json()["remaining"] == 1


def test_unknown_fault_is_invalid_request_listing_the_names(vneid_http):
    r = _arm(vneid_http, "id_token_everything_wrong")
    assert _error(r) == (400, "invalid_request", "R-12")
    description = r.json()["error_description"]
    assert "id_token_everything_wrong" in description
    assert all(name in description for name in EXPECTED)
    assert _armed(vneid_http) == []


def test_unknown_client_is_not_found(vneid_http):
    assert _error(_arm(vneid_http, "id_token_sub_missing", client_id="nobody"))[:2] == (
        404,
        "not_found",
    )
    r = vneid_http.delete("/_harness/faults", params={"client_id": "nobody"})
    assert _error(r)[:2] == (404, "not_found")


@pytest.mark.parametrize("times", ["2", 0, -1, True, 1.5, None, MAX_FAULT_TIMES + 1, [1]])
def test_bad_times_is_invalid_request(vneid_http, times):
    r = vneid_http.post(
        "/_harness/faults",
        json={"client_id": "vssid", "fault": "id_token_sub_missing", "times": times},
    )
    assert _error(r)[:2] == (400, "invalid_request")
    assert "'times'" in r.json()["error_description"]
    assert _armed(vneid_http) == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"fault": "id_token_sub_missing"}, "client_id"),
        ({"client_id": "vssid"}, "fault"),
        ({"client_id": "vssid", "fault": 5}, "fault"),
        ({"client_id": 5, "fault": "id_token_sub_missing"}, "client_id"),
        ({"client_id": "vssid", "fault": "id_token_sub_missing", "time": 2}, "time"),
    ],
)
def test_malformed_bodies_name_the_field(vneid_http, body, named):
    r = vneid_http.post("/_harness/faults", json=body)
    assert _error(r)[:2] == (400, "invalid_request")
    assert named in r.json()["error_description"]


def test_body_must_be_a_json_object(vneid_http):
    r = vneid_http.post("/_harness/faults", json=["id_token_sub_missing"])
    assert _error(r)[:2] == (400, "invalid_request")


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_faults_api_refuses_callers_off_loopback(vneid_provider, method):
    transport = SyncASGITransport(vneid_provider.app, client=("203.0.113.5", 1234))
    with httpx.Client(transport=transport, base_url=vneid_provider.issuer) as http:
        vneid_provider.arm_fault("vssid", "id_token_iat_missing")
        kwargs: dict[str, Any] = {}
        if method == "POST":
            kwargs["json"] = {"client_id": "vssid", "fault": "id_token_sub_missing"}
        r = http.request(method, "/_harness/faults", **kwargs)
    assert _error(r) == (403, "forbidden", "S-6")
    assert [f["fault"] for f in vneid_provider.armed_faults()] == ["id_token_iat_missing"]


@pytest.mark.clause("S-6")
def test_faults_api_with_the_admin_token_from_anywhere():
    provider = VNeIDProvider(VNeIDSettings(admin_token="tok"))
    transport = SyncASGITransport(provider.app, client=("203.0.113.5", 1234))
    with httpx.Client(transport=transport, base_url=provider.issuer) as http:
        body = {"client_id": "vssid", "fault": "id_token_sig_none"}
        assert _error(http.post("/_harness/faults", json=body))[0] == 403
        r = http.post("/_harness/faults", json=body, headers={"X-Harness-Admin-Token": "tok"})
    assert r.status_code == 200
    assert provider.armed_faults()[0]["fault"] == "id_token_sig_none"


# -- the Python API --------------------------------------------------------------------------
def test_python_api_mirrors_the_control_api(vneid_provider):
    vneid_provider.register_client(RP2)
    assert vneid_provider.arm_fault("rp2", "id_token_expired") == {
        "client_id": "rp2",
        "fault": "id_token_expired",
        "remaining": 1,
    }
    vneid_provider.arm_fault("vssid", "userinfo_sub_mismatch", times=4)
    assert vneid_provider.armed_faults() == [
        {
            "client_id": "rp2",
            "fault": "id_token_expired",
            "remaining": 1,
            "clause": "R-8",
            "stage": "id_token_claims",
        },
        {
            "client_id": "vssid",
            "fault": "userinfo_sub_mismatch",
            "remaining": 4,
            "clause": "T-5",
            "stage": "userinfo",
        },
    ]
    assert vneid_provider.clear_faults("vssid") == 1
    assert vneid_provider.clear_faults() == 1
    assert vneid_provider.armed_faults() == []
    with pytest.raises(ProtocolError) as unknown_fault:
        vneid_provider.arm_fault("vssid", "nope")
    assert unknown_fault.value.code == "invalid_request"
    with pytest.raises(ProtocolError) as unknown_client:
        vneid_provider.arm_fault("nobody", "id_token_expired")
    assert (unknown_client.value.code, unknown_client.value.status) == ("not_found", 404)
    with pytest.raises(ProtocolError):
        vneid_provider.arm_fault("vssid", "id_token_expired", times=0)


def test_armed_faults_store_is_per_client_and_consumed_by_take():
    armed = ArmedFaults()
    armed.arm("a", "id_token_nonce_missing", 1)
    assert armed.take("b", ID_TOKEN_CLAIMS) == []
    assert [f.name for f in armed.take("a", ID_TOKEN_CLAIMS)] == ["id_token_nonce_missing"]
    assert armed.take("a", ID_TOKEN_CLAIMS) == []
    assert armed.armed() == []
