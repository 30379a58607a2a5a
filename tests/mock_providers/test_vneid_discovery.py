"""T-4 discovery, T-3 JWKS, and the route table's 404/405 answers."""

from __future__ import annotations

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from harness.embedded import SyncASGITransport
from harness.protocol import DEFAULT_PROFILE, SeededEntropy
from mock_providers.vneid import VNeIDProvider, VNeIDSettings
from mock_providers.vneid.id_token import id_token_header, mint_jwt

pytestmark = pytest.mark.clause("T-4")


def test_discovery_lists_endpoints_and_t4_fields(vneid_http, vneid_provider):
    doc = vneid_http.get("/.well-known/openid-configuration").json()
    issuer = vneid_provider.issuer
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert doc["jwks_uri"] == f"{issuer}/jwks"
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code"]
    assert doc["subject_types_supported"] == ["pairwise"]
    assert doc["id_token_signing_alg_values_supported"] == ["ES256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["acr_values_supported"] == ["urn:vneid:loa:1", "urn:vneid:loa:2"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert "openid" in doc["scopes_supported"]
    assert {"personal_id", "name", "birthdate", "gender", "acr"} <= set(doc["claims_supported"])
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert doc["vneid_app_link_template"] == "vneid://authorize?{query}"
    assert doc["vneid_app_link_https_template"] == "https://vneid.test/authorize?{query}"
    assert doc["vneid_app_minimum_version"] == "2.1.0"
    assert doc["vneid_app_api"] == {
        "sessions": f"{issuer}/api/app/v1/sessions",
        "authorizations": f"{issuer}/api/app/v1/authorizations",
    }


@pytest.mark.clause("V-6")
def test_minimum_version_and_addresses_come_from_settings():
    """V-6: "Minimum versions are configuration, not constants in code"."""
    profile = DEFAULT_PROFILE.evolve(vneid_min_version="3.0.1")
    provider = VNeIDProvider(VNeIDSettings(issuer="https://op.example", profile=profile))
    with httpx.Client(transport=SyncASGITransport(provider.app), base_url=provider.issuer) as http:
        doc = http.get("/.well-known/openid-configuration").json()
    assert doc["vneid_app_minimum_version"] == "3.0.1"
    assert doc["token_endpoint"] == "https://op.example/token"


@pytest.mark.clause("T-3")
def test_jwks_verifies_a_token_signed_by_the_provider_key(vneid_http, vneid_provider):
    jwks = vneid_http.get("/jwks").json()
    assert jwks == vneid_provider.jwks()
    (key,) = jwks["keys"]
    assert key["kty"] == "EC"
    assert key["crv"] == "P-256"
    assert key["alg"] == "ES256"
    assert key["kid"]
    assert "d" not in key
    token = mint_jwt(
        {"hello": "world"}, vneid_provider.signing_key, id_token_header(vneid_provider.signing_key)
    )
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["ES256"])
    assert decoded.header["kid"] == key["kid"]
    assert decoded.claims == {"hello": "world"}


@pytest.mark.clause("T-3")
def test_seeded_entropy_gives_the_same_key_every_run():
    a = VNeIDProvider(entropy=SeededEntropy("replay"))
    b = VNeIDProvider(entropy=SeededEntropy("replay"))
    c = VNeIDProvider(entropy=SeededEntropy("other"))
    assert a.jwks() == b.jwks() != c.jwks()


def test_unknown_path_is_not_found(vneid_http):
    r = vneid_http.get("/nowhere")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize("path", ["/token/", "/authorize/", "/_harness/personas/"])
def test_a_trailing_slash_is_not_found_not_redirected(vneid_http, path):
    """Starlette's default answered ``POST /token/`` 307 to ``/token`` on the origin of the
    ``Host`` header, where the client would send its secret again (an error review)."""
    r = vneid_http.post(path, headers={"Host": "evil.example"}, data={"client_secret": "s3cret"})
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    assert "location" not in r.headers


def test_wrong_method_is_method_not_allowed(vneid_http):
    r = vneid_http.post("/jwks")
    assert (r.status_code, r.json()["error"]) == (405, "method_not_allowed")
    r = vneid_http.get("/token")
    assert (r.status_code, r.json()["error"]) == (405, "method_not_allowed")


def test_issuer_must_be_a_plain_http_url():
    with pytest.raises(ValueError, match="issuer"):
        VNeIDSettings(issuer="id.vneid.test")
    assert VNeIDSettings(issuer="http://127.0.0.1:8080/").issuer == "http://127.0.0.1:8080"
