"""T-5: userinfo returns the same identity claims as the ID token; RFC 6750 errors."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

pytestmark = pytest.mark.clause("T-5")


def _tokens(flow):
    r = flow.redeem(flow.code())
    assert r.status_code == 200, r.text
    return r.json()


def _error(r):
    body = r.json()
    return r.status_code, body["error"], body["clause"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_userinfo_matches_the_id_token(vneid_flow, vneid_http, vneid_provider, method):
    tokens = _tokens(vneid_flow)
    r = vneid_http.request(
        method, "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert r.status_code == 200, r.text
    claims = jwt.decode(
        tokens["id_token"], KeySet.import_key_set(vneid_provider.jwks()), algorithms=["ES256"]
    ).claims
    info = r.json()
    assert set(info) == {"sub", "personal_id", "name", "birthdate", "gender"}
    assert all(info[k] == claims[k] for k in info)


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [(None, "Bearer"), ("Basic abc", "Bearer"), ("Bearer unknown", 'Bearer error="invalid_token"')],
)
def test_missing_or_unknown_token_is_invalid_token(vneid_http, authorization, challenge):
    """RFC 6750 §3.1: no credentials, or another scheme, gets a challenge without an error
    code; an unknown token, invalid_token."""
    headers = {"Authorization": authorization} if authorization else {}
    r = vneid_http.get("/userinfo", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    assert r.headers["www-authenticate"] == challenge


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer a b"])
def test_a_bearer_header_without_a_token_is_invalid_request(vneid_http, authorization):
    """RFC 6750 §3: the answer to a request without a usable token carries a challenge;
    this 400 had none (an error review)."""
    r = vneid_http.get("/userinfo", headers={"Authorization": authorization})
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_request"'


def test_expired_access_token_is_invalid_token(vneid_flow, vneid_http, vneid_provider):
    access = _tokens(vneid_flow)["access_token"]
    vneid_provider.clock.offset = vneid_provider.profile.access_token_ttl + 1
    r = vneid_http.get("/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert _error(r) == (401, "invalid_token", "T-5")


@pytest.mark.parametrize("change", ["locked", "removed"])
def test_the_token_of_a_citizen_locked_or_removed_since_is_revoked(
    vneid_flow, vneid_http, vneid_provider, vneid_persona, change
):
    """Userinfo kept answering for a citizen locked after the token was issued (an RFC
    review); a locked citizen's app session already ended (A-5)."""
    import dataclasses

    access = _tokens(vneid_flow)["access_token"]
    if change == "locked":
        vneid_provider.add_persona(dataclasses.replace(vneid_persona, status="locked"))
    else:
        vneid_provider.remove_persona(vneid_persona.personal_id)
    headers = {"Authorization": f"Bearer {access}"}
    r = vneid_http.get("/userinfo", headers=headers)
    assert _error(r) == (401, "invalid_token", "T-5")
    assert f"account was {change} since it was issued" in r.json()["error_description"]
    assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    vneid_provider.add_persona(vneid_persona)  # active again: the token stays revoked
    assert _error(vneid_http.get("/userinfo", headers=headers)) == (401, "invalid_token", "T-5")


@pytest.mark.parametrize("change", ["locked", "removed"])
def test_a_code_of_a_citizen_locked_or_removed_since_the_consent_is_void(
    vneid_flow, vneid_provider, vneid_persona, change
):
    """It redeemed (200, an ID token), and userinfo then refused the token just issued (a
    review of the change above)."""
    import dataclasses

    code = vneid_flow.code()
    if change == "locked":
        vneid_provider.add_persona(dataclasses.replace(vneid_persona, status="locked"))
    else:
        vneid_provider.remove_persona(vneid_persona.personal_id)
    r = vneid_flow.redeem(code)
    assert _error(r) == (400, "invalid_grant", "A-4")
    assert f"account was {change} since the consent" in r.json()["error_description"]
    assert len(vneid_provider.grants.access_tokens) == 0
