"""An OpenID Connect client that is not ours (authlib's) completes the flow against the
served VNeID over HTTP: discovery, web authorization with PKCE, token, ID token, userinfo."""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from harness.personas import PersonaFactory
from harness.serve import build_served
from tests.cli.test_cli_serve import Served, start, stop

# authlib.deprecate installs an "always" filter when first imported: import it before
# silencing, so the filter below stays in front.
importlib.import_module("authlib.deprecate")
with warnings.catch_warnings():
    # authlib 1.9 announces its move to httpx2; the client below works as it is.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client


REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    served = start()
    yield served
    stop(served)


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field in {html[:300]}"
    return match.group(1)


def _action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


@pytest.mark.clause("T-1", "T-3", "T-4", "T-5", "S-1", "A-5")
def test_authlib_client_logs_in(server: Served) -> None:
    persona = PersonaFactory("independent").new()
    with httpx.Client(base_url=server.vneid, timeout=10) as admin:
        admin.post("/_harness/personas", json=persona.to_vneid_json()).raise_for_status()
        admin.post(
            "/_harness/clients",
            json={
                "client_id": "independent",
                "client_secret": "independent-secret",
                "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": "client_secret_basic",
            },
        ).raise_for_status()
    meta = httpx.get(f"{server.vneid}/.well-known/openid-configuration", timeout=10).json()

    with (
        OAuth2Client(
            "independent",
            "independent-secret",
            scope="openid profile",
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        ) as client,
        httpx.Client(timeout=10, follow_redirects=False) as browser,
    ):
        _login(server, client, browser, meta, persona)


def _login(
    server: Served,
    client: OAuth2Client,
    browser: httpx.Client,
    meta: dict[str, str],
    persona: object,
) -> None:
    verifier = "v" * 20 + "independent-verifier-0123456789"
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=verifier,
        nonce="n-0123456789abcdef",
        acr_values="urn:vneid:loa:2",
    )

    page = browser.get(url)
    assert page.status_code == 200, page.text[:500]
    assert 'data-testid="vneid-login"' in page.text
    consent = browser.post(
        _action(page.text),
        data={
            "request_id": _field(page.text, "request_id"),
            "personal_id": persona.personal_id,
            "passcode": persona.passcode,
        },
    )
    assert consent.status_code == 200, consent.text[:500]
    assert 'data-testid="vneid-consent"' in consent.text
    redirect = browser.post(
        _action(consent.text),
        data={"request_id": _field(consent.text, "request_id"), "decision": "approve"},
    )
    assert redirect.status_code in (302, 303), redirect.text[:500]
    location = redirect.headers["location"]
    assert location.startswith(REDIRECT + "?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["state"] == state
    assert params["iss"] == meta["issuer"]

    token = client.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    keys = KeySet.import_key_set(httpx.get(meta["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["ES256"])
    jwt.JWTClaimsRegistry(exp={"essential": True}, iat={"essential": True}).validate(decoded.claims)
    claims = decoded.claims
    assert claims["iss"] == meta["issuer"]
    assert claims["aud"] in ("independent", ["independent"])
    assert claims["nonce"] == "n-0123456789abcdef"
    assert claims["personal_id"] == persona.personal_id
    assert claims["acr"] == "urn:vneid:loa:2"

    info = client.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"]
    assert info["personal_id"] == persona.personal_id

    reuse = httpx.post(
        meta["token_endpoint"],
        auth=("independent", "independent-secret"),
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    assert client.get(meta["userinfo_endpoint"]).status_code == 401, "T-2: tokens revoked"


def test_build_served_refuses_a_bad_port() -> None:
    from harness.errors import ConfigError

    with pytest.raises(ConfigError, match="outside 0-65535"):
        build_served(70000, 0)
