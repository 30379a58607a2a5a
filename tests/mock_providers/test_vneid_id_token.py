"""T-3: the ID token's signature, header and claims."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from mock_providers.vneid import ClientRecord
from mock_providers.vneid.id_token import id_token_claims

pytestmark = pytest.mark.clause("T-3")


def _id_token(flow, request=None, auth=None, **form):
    code = flow.code(request)
    r = flow.redeem(code, auth=auth, **form)
    assert r.status_code == 200, r.text
    keys = KeySet.import_key_set(flow.http.get("/jwks").json())
    return jwt.decode(r.json()["id_token"], keys, algorithms=["ES256"])


def test_header_is_es256_with_the_published_kid(vneid_flow, vneid_provider):
    token = _id_token(vneid_flow)
    assert token.header["alg"] == "ES256"
    assert token.header["kid"] == vneid_provider.jwks()["keys"][0]["kid"]


def test_all_t3_claims(vneid_flow, vneid_provider, vneid_persona, vneid_clock):
    login_time = vneid_clock.now()
    session = vneid_flow.session()
    vneid_clock.advance(30)
    code = vneid_flow.code(session=session)
    r = vneid_flow.redeem(code)
    claims = jwt.decode(
        r.json()["id_token"], KeySet.import_key_set(vneid_provider.jwks()), algorithms=["ES256"]
    ).claims
    assert claims["iss"] == vneid_provider.issuer
    assert claims["aud"] == "vssid"
    assert claims["iat"] == int(vneid_clock.now())
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert claims["auth_time"] == int(login_time)
    assert claims["nonce"] == "nonce-456"
    assert claims["acr"] == "urn:vneid:loa:2"
    assert claims["amr"] == ["pin"]
    assert claims["sub"]
    assert (claims["personal_id"], claims["name"], claims["birthdate"], claims["gender"]) == (
        vneid_persona.personal_id,
        vneid_persona.full_name,
        vneid_persona.birthdate,
        vneid_persona.gender,
    )


def test_nonce_is_omitted_when_the_request_had_none(vneid_flow):
    assert "nonce" not in _id_token(vneid_flow, vneid_flow.request(nonce=None)).claims


def test_level1_token_says_loa1(vneid_flow, vneid_level1_persona):
    """The provider issues what it was asked for; refusing it is the RP's job (R-10)."""
    vneid_flow.persona = vneid_level1_persona
    claims = _id_token(vneid_flow, vneid_flow.request(acr_values="urn:vneid:loa:1")).claims
    assert claims["acr"] == "urn:vneid:loa:1"


def test_sub_is_stable_per_person_and_client_and_pairwise(
    vneid_flow, vneid_provider, vneid_level1_persona
):
    first = _id_token(vneid_flow).claims["sub"]
    again = _id_token(vneid_flow).claims["sub"]
    assert first == again
    vneid_provider.register_client(
        ClientRecord("rp2", ("https://rp2.test/cb",), client_secret="rp2-secret")
    )
    other_client = _id_token(
        vneid_flow,
        vneid_flow.request(client_id="rp2", redirect_uri="https://rp2.test/cb"),
        auth=("rp2", "rp2-secret"),
        redirect_uri="https://rp2.test/cb",
    ).claims
    assert other_client["sub"] != first
    assert other_client["aud"] == "rp2"
    vneid_flow.persona = vneid_level1_persona
    other_person = _id_token(vneid_flow, vneid_flow.request(acr_values="urn:vneid:loa:1"))
    assert other_person.claims["sub"] != first


def test_lifetime_is_capped_at_ten_minutes(vneid_persona):
    claims = id_token_claims(
        issuer="i",
        client_id="c",
        sub="s",
        persona=vneid_persona,
        acr="urn:vneid:loa:2",
        auth_time=1000.5,
        nonce=None,
        now=2000.9,
        ttl=3600,
    )
    assert (claims["iat"], claims["exp"], claims["auth_time"]) == (2000, 2600, 1000)


def test_acr_is_the_citizens_level_not_the_requested_one(vneid_flow):
    """T-3 / P-2: ``acr`` states the level the citizen's login satisfied (OpenID Connect Core
    §2): a level-2 citizen is ``loa:2`` even when the request asked only for ``loa:1``."""
    claims = _id_token(vneid_flow, vneid_flow.request(acr_values="urn:vneid:loa:1")).claims
    assert claims["acr"] == "urn:vneid:loa:2"
