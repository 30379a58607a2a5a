"""Hostile JWTs at the served VNeID's token endpoint (private_key_jwt, RFC 7523): huge or
malformed headers, alg confusion, an unknown kid, a replayed assertion. Each is 401
``invalid_client`` (T-1) naming the problem; a good assertion gets past client
authentication (to the code check, ``invalid_grant``)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from harness.serve import ServedProviders
from mock_providers.vneid.client_auth import ASSERTION_TYPE, MAX_ASSERTION_LENGTH

CLIENT_ID = "hostile-jwt-rp"
REDIRECT = "https://rp.example.test/cb"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="module")
def key(served: ServedProviders) -> ECKey:
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": "rp-key"})
    httpx.post(
        f"{served.vneid_url}/_harness/clients",
        timeout=10,
        json={
            "client_id": CLIENT_ID,
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.as_dict(private=False)]},
        },
    ).raise_for_status()
    return key


@pytest.fixture
def token(served: ServedProviders) -> Iterator[Any]:
    with httpx.Client(base_url=served.vneid_url, timeout=10) as http:

        def post(assertion: str) -> httpx.Response:
            return http.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": "no-such-code",
                    "redirect_uri": REDIRECT,
                    "code_verifier": "v" * 43,
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": assertion,
                },
            )

        yield post


def claims(served: ServedProviders, jti: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": f"{served.vneid_url}/token",
        "iat": now,
        "exp": now + 60,
        "jti": jti,
    }


def signed(served: ServedProviders, key: ECKey, jti: str, **header: Any) -> str:
    return jwt.encode(
        {"alg": "ES256", "kid": "rp-key", **header}, claims(served, jti), key, algorithms=["ES256"]
    )


def refused(response: httpx.Response, says: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert (body["error"], body["clause"]) == ("invalid_client", "T-1")
    assert says in body["error_description"], body
    assert response.headers["www-authenticate"].startswith("Basic")


def test_a_good_assertion_passes_client_authentication(served, key, token) -> None:
    r = token(signed(served, key, "good"))
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_a_replayed_assertion_is_refused(served, key, token) -> None:
    assertion = signed(served, key, "replayed")
    assert token(assertion).json()["error"] == "invalid_grant"
    refused(token(assertion), "jti was already used")


def test_a_huge_header_is_refused(served, key, token) -> None:
    _, payload, signature = signed(served, key, "huge").split(".")
    head = b64(json.dumps({"alg": "ES256", "kid": "rp-key", "x": "a" * 20_000}).encode())
    assertion = f"{head}.{payload}.{signature}"
    assert len(assertion) > MAX_ASSERTION_LENGTH
    refused(token(assertion), f"at most {MAX_ASSERTION_LENGTH}")


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("!!!not-base64!!!", "not a compact JWS"),
        (b64(b"not json"), "not a compact JWS"),
        (b64(b'["alg", "ES256"]'), "does not verify"),  # not an object
        (b64(b'{"kid": "rp-key"}'), "not a compact JWS"),  # no alg
        (b64(b'{"alg": "ES256", "alg": "none"}'), "does not verify"),  # alg given twice
        (b64(json.dumps({"alg": "ES256", "crit": ["x"], "x": 1}).encode()), "does not verify"),
    ],
)
def test_malformed_headers_are_refused(served, key, token, header: str, says: str) -> None:
    good = signed(served, key, f"malformed-{header[:8]}")
    _, payload, signature = good.split(".")
    refused(token(f"{header}.{payload}.{signature}"), says)


def test_alg_none_is_refused(served, key, token) -> None:
    payload = b64(json.dumps(claims(served, "none")).encode())
    head = b64(b'{"alg": "none"}')
    refused(token(f"{head}.{payload}."), "does not verify")


def test_hmac_with_the_public_key_is_refused(served, key, token) -> None:
    """alg confusion: HS256 keyed with the registered public key's bytes."""
    import hashlib
    import hmac

    public = json.dumps(key.as_dict(private=False), sort_keys=True).encode()
    head = b64(json.dumps({"alg": "HS256", "kid": "rp-key"}).encode())
    payload = b64(json.dumps(claims(served, "hs256")).encode())
    mac = hmac.new(public, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    refused(token(f"{head}.{payload}.{b64(mac)}"), "does not verify")


def test_an_unknown_kid_is_refused(served, key, token) -> None:
    refused(token(signed(served, key, "kid", kid="not-registered")), "does not verify")


def test_another_key_is_refused(served, key, token) -> None:
    other = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": "rp-key"})
    refused(token(signed(served, other, "other-key")), "does not verify")
