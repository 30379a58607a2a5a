"""S-5 in what the mock providers answer: a URL a user configured with its ``user:password@``
or a secret query parameter (a client's ``jwks_uri``, VssID's issuer) is no more shown by the
test-control API or quoted in an error than a client secret is (an S-5 sweep found all
three: the request logs were redacted, the answers were not)."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from harness.embedded import SyncASGITransport
from harness.errors import ConfigError
from harness.serve import check_public_host
from harness.targets import Target, VNeIDHandle, VssIDHandle
from tests.mock_providers.vssid_fixtures import ISSUER, VssIDWorld

JWKS_URI = "http://user:JWKSPASS21@127.0.0.1:1/jwks?code=JQCODE102"


def test_a_jwks_uri_is_shown_without_its_password_or_secret_parameters(vneid_http) -> None:
    r = vneid_http.post(
        "/_harness/clients",
        json={
            "client_id": "rp-uri",
            "redirect_uris": ["https://rp.test/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": JWKS_URI,
        },
    )
    assert r.status_code in (200, 201), r.text
    listed = vneid_http.get("/_harness/clients").text
    for text in (r.text, listed):
        assert "JWKSPASS21" not in text
        assert "JQCODE102" not in text
        assert "user:%5BREDACTED%5D@127.0.0.1:1/jwks" in text


def test_a_token_error_quoting_the_jwks_uri_keeps_its_secrets(
    vneid_flow, vneid_provider, vneid_http
) -> None:
    """Anyone calling /token with the client's id got the URL back, password and all."""
    vneid_http.post(
        "/_harness/clients",
        json={
            "client_id": "rp-uri",
            "redirect_uris": ["https://rp.test/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": JWKS_URI,
        },
    )
    vneid_provider.client_keys.transport = httpx.MockTransport(lambda request: httpx.Response(403))
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": "k1"})
    now = int(vneid_provider.clock.now())
    assertion = jwt.encode(
        {"alg": "ES256", "kid": "k1"},
        {
            "iss": "rp-uri",
            "sub": "rp-uri",
            "aud": vneid_provider.url("/token"),
            "exp": now + 60,
            "iat": now,
            "jti": "j1",
        },
        key,
        algorithms=["ES256"],
    )
    r = vneid_http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "redirect_uri": "https://rp.test/cb",
            "code_verifier": vneid_flow.verifier,
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        },
    )
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    assert "answered HTTP 403" in r.json()["error_description"]
    assert "JWKSPASS21" not in r.text
    assert "JQCODE102" not in r.text


def test_vssid_shows_and_quotes_its_issuer_without_the_password() -> None:
    with_password = ISSUER.replace("http://", "http://u:ISSPASS60@")
    with VssIDWorld(issuer=with_password) as world:
        config = world.client.get("/_harness/config")
        assert "ISSPASS60" not in config.text
        assert config.json()["issuer"] == ISSUER.replace("http://", "http://u:%5BREDACTED%5D@")
        refused = world.login()  # the fake issuer's iss is the one without the password
        assert refused.json()["error"] == "issuer_mismatch"
        assert "ISSPASS60" not in refused.text
        # a harness run's snapshot does not configure the redacted issuer back
        handle = VssIDHandle(
            "vssid", "http://vssid.test", transport=SyncASGITransport(world.provider.app)
        )
        target = Target(vneid=VNeIDHandle("vneid", ISSUER), vssid=handle)
        target.snapshot()
        assert "issuer" not in target._vssid_original
        assert world.provider.settings.issuer == with_password


def test_serve_refuses_a_public_host_with_a_password_without_showing_it() -> None:
    with pytest.raises(ConfigError) as info:
        check_public_host("u:PHPASS93@host")
    assert "PHPASS93" not in str(info.value)
    assert "'u:[REDACTED]@host'" in str(info.value)


def test_every_text_field_of_an_error_answer_is_redacted() -> None:
    """``provider_error_description`` (VNeID's own text, passed on by VssID) kept what
    ``error_description`` lost (a review)."""
    import json

    from harness.protocol import ProtocolError
    from mock_providers._http import error_response

    said = "see https://u:PWLEAK99@h/x?code=CODELEAK77 access_token=TOKLEAK55"
    answer = error_response(
        ProtocolError(
            said, code="access_denied", clause="R-3", extra={"provider_error_description": said}
        )
    )
    body = json.loads(answer.body)
    assert body["error"] == "access_denied"
    for leak in ("PWLEAK99", "CODELEAK77", "TOKLEAK55"):
        assert leak not in answer.body.decode()


def test_the_http_client_loggers_children_are_redacted_too(caplog) -> None:
    """httpcore logs on httpcore.http11, httpcore.connection, …: a filter on ``httpcore``
    alone never saw their records (a review)."""
    import logging

    from harness.http_client import redact_http_client_logs

    redact_http_client_logs()
    with caplog.at_level(logging.DEBUG):
        for name in ("httpx", "httpcore.http11", "httpcore.connection"):
            logging.getLogger(name).debug(
                "headers %s", [(b"Location", b"vssid://cb?code=LEAK1234")]
            )
    assert len(caplog.records) == 3
    assert "LEAK1234" not in caplog.text
