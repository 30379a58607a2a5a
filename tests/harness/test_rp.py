"""The harness's own relying party (harness.rp): registration and client authentication by
each method of T-1, against an embedded VNeID mock; the endpoints it calls are the ones
discovery lists (T-4), wherever they are."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from harness.errors import ConfigError
from harness.protocol import DEFAULT_PROFILE, ManualClock
from harness.protocol.basic_auth import encode_basic
from harness.rp import ASSERTION_TYPE, TestRelyingParty
from harness.targets import Target, VNeIDHandle, embedded_target


@pytest.fixture
def providers() -> Iterator[Target]:
    target = embedded_target(seed="rp-unit-tests")
    yield target
    target.close()


def _registered(target: Target, client_id: str) -> dict[str, Any]:
    """The registration body the provider logged for ``client_id`` (§11, secrets redacted)."""
    [entry] = [
        r
        for r in target.vneid.requests(path="/_harness/clients", method="POST")
        if r["body"]["client_id"] == client_id
    ]
    body: dict[str, Any] = entry["body"]
    return body


@pytest.mark.clause("T-1")
def test_secret_clients_register_their_secret(providers: Target) -> None:
    with TestRelyingParty(providers.vneid, providers.profile).register() as rp:
        body = _registered(providers, rp.client_id)
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["client_secret"] == "[REDACTED]"
    assert "jwks" not in body


@pytest.mark.clause("T-1")
def test_basic_credentials_are_form_urlencoded_first(providers: Target) -> None:
    """RFC 6749 §2.3.1: the client id and secret are each form-urlencoded before Basic joins
    them with ':' (a client id with ':' was cut there, and refused as another client)."""
    rp = TestRelyingParty(
        providers.vneid, providers.profile, client_id="urn:bank:rp+1", client_secret="p@ss:w+rd %x"
    )
    with rp.register():
        result = rp.redeem("not-a-code", "v" * 43)
    assert (result.status, result.error) == (400, "invalid_grant"), result.body
    assert result.sent_authorization


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_token_endpoint_urls_user_info_is_not_sent_as_credentials(
    providers: Target, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """httpx sends a URL's user info as Basic credentials unless told otherwise: a token
    endpoint discovered as http://u:p@host/token would have authenticated the client as 'u'
    (and, for client_secret_post, in two ways at once)."""
    rp = TestRelyingParty(
        providers.vneid,
        providers.profile,
        client_id="plain",
        client_secret="s3cret",
        auth_method=method,
    )
    sent: list[str | None] = []
    with rp.register():
        url = httpx.URL(rp.token_endpoint).copy_with(username="u", password="URLPASS1")
        monkeypatch.setattr(TestRelyingParty, "token_endpoint", property(lambda self: str(url)))
        rp.http.event_hooks["request"].append(
            lambda request: sent.append(request.headers.get("Authorization"))
        )
        rp.redeem("not-a-code", "v" * 43)
    basic = encode_basic("plain", "s3cret")
    assert sent == ([basic] if method == "client_secret_basic" else [None])


@pytest.mark.clause("T-1")
def test_private_key_jwt_client_registers_its_public_key(providers: Target) -> None:
    rp = TestRelyingParty(
        providers.vneid, providers.profile, client_id="jwt", auth_method="private_key_jwt"
    )
    with rp.register():
        body = _registered(providers, "jwt")
        assert rp.signing_key is not None
        [key] = body["jwks"]["keys"]
        assert key["kid"] == rp.signing_key.kid
        assert "d" not in key
        assert "client_secret" not in body


def test_the_private_key_jwt_key_is_drawn_from_the_seed(providers: Target) -> None:
    """A provider failing on the client's key replays with the same seed (it was random)."""
    from harness.protocol import SeededEntropy

    def key(seed: str) -> dict[str, Any]:
        rp = TestRelyingParty(
            providers.vneid,
            providers.profile,
            client_id="jwt",
            auth_method="private_key_jwt",
            entropy=SeededEntropy(seed),
        )
        with rp.register():
            assert rp.signing_key is not None
            return rp.signing_key.as_dict(private=False)

    assert key("7/rp") == key("7/rp") != key("8/rp")


@pytest.mark.clause("T-1")
def test_client_assertion_follows_rfc_7523(providers: Target) -> None:
    with TestRelyingParty(
        providers.vneid, providers.profile, client_id="jwt", auth_method="private_key_jwt"
    ).register() as rp:
        assert rp.signing_key is not None
        keys = KeySet.import_key_set({"keys": [rp.signing_key.as_dict(private=False)]})
        first = jwt.decode(rp.client_assertion(), keys, algorithms=["ES256"])
        second = jwt.decode(
            rp.client_assertion(audience="https://other.test", jti="j-1"),
            keys,
            algorithms=["ES256"],
        )
        third = jwt.decode(rp.client_assertion(), keys, algorithms=["ES256"])
    assert first.header["kid"] == rp.signing_key.kid
    claims = first.claims
    assert claims["iss"] == claims["sub"] == "jwt"
    assert claims["aud"] == providers.vneid.discovery()["token_endpoint"]
    assert 0 < claims["exp"] - claims["iat"] <= 60
    assert claims["jti"] != third.claims["jti"]
    assert (second.claims["aud"], second.claims["jti"]) == ("https://other.test", "j-1")
    assert ASSERTION_TYPE == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.mark.clause("T-1")
def test_an_assertion_is_stamped_with_the_providers_clock() -> None:
    """The assertion's ``iat``/``exp`` came from the wall clock: against a provider on a
    frozen test clock (or one a test moved) the harness's own redemption was refused as
    issued in the future or expired (an architecture review)."""
    clock = ManualClock(1_700_000_000.0)
    target = embedded_target(seed="rp-clock", clock=clock)
    try:
        with TestRelyingParty(
            target.vneid, target.profile, client_id="jwt", auth_method="private_key_jwt"
        ).register() as rp:
            assert rp.signing_key is not None
            claims = jwt.decode(rp.client_assertion(), rp.signing_key, algorithms=["ES256"]).claims
            assert claims["iat"] == 1_700_000_000
            token = target.vneid.discovery()["token_endpoint"]
            assert claims["aud"] == token
            result = rp.redeem("no-such-code", "v" * 43)  # authenticated, then the code
            assert (result.status, result.error) == (400, "invalid_grant"), result.body
            target.vneid.set_clock(600)
            assert rp.vneid.now() == 1_700_000_600
    finally:
        target.close()


def test_a_remote_providers_time_follows_the_offset_the_harness_gave_it() -> None:
    handle = VNeIDHandle(
        "vneid",
        "http://vendor.test",
        transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"offset_seconds": 0})
        ),
    )
    before = time.time()
    handle.set_clock(-3600)
    assert before - 3600 <= handle.now() <= time.time() - 3600


def test_misuse_is_a_config_error(providers: Target) -> None:
    with TestRelyingParty(providers.vneid, providers.profile).register() as rp:
        with pytest.raises(ConfigError, match="no signing key"):
            rp.client_assertion()
        with pytest.raises(ConfigError, match="auth_method must be one of"):
            rp.redeem("code", "verifier", auth_method="tls_client_auth")
    with pytest.raises(ConfigError, match="auth_method must be one of"):
        TestRelyingParty(providers.vneid, providers.profile, auth_method="none").register()


def test_variant_is_another_registered_client_with_its_own_http_client(providers: Target) -> None:
    with TestRelyingParty(providers.vneid, providers.profile).register() as rp:
        assert rp.http is rp.http
        with rp.variant(client_id="other", auth_method="client_secret_post") as other:
            assert (other.client_id, other.auth_method) == ("other", "client_secret_post")
            assert other.redirect_uri == rp.redirect_uri
            assert other.http is not rp.http
            assert (
                _registered(providers, "other")["token_endpoint_auth_method"]
                == "client_secret_post"
            )


class _MovedEndpoints:
    """A provider whose discovery puts the token and userinfo endpoints on other paths of
    another host (OpenID Connect Discovery §3 allows any absolute URL); it records the calls."""

    DISCOVERY: ClassVar[dict[str, str]] = {
        "issuer": "http://idp.vendor.test",
        "token_endpoint": "https://api.vendor.test/oauth2/v2/token",
        "userinfo_endpoint": "https://api.vendor.test/oauth2/v2/me",
    }

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.DISCOVERY)
        if str(request.url) == self.DISCOVERY["token_endpoint"]:
            return httpx.Response(401, json={"error": "invalid_client"})
        if str(request.url) == self.DISCOVERY["userinfo_endpoint"]:
            return httpx.Response(200, json={"sub": "s-1"})
        return httpx.Response(404, json={"error": "not_found"})


@pytest.mark.clause("T-1", "T-4", "T-5")
def test_token_and_userinfo_go_to_the_endpoints_discovery_lists() -> None:
    idp = _MovedEndpoints()
    vneid = VNeIDHandle("vneid", "http://idp.vendor.test", httpx.MockTransport(idp.handle))
    with TestRelyingParty(vneid, DEFAULT_PROFILE) as rp:
        assert rp.token_endpoint == "https://api.vendor.test/oauth2/v2/token"
        basic = rp.redeem("code-1", "v" * 43)
        posted = rp.redeem("code-2", "v" * 43, auth_method="client_secret_post")
        info = rp.userinfo("at-1")
        assert rp.userinfo_endpoint == "https://api.vendor.test/oauth2/v2/me"
    assert (basic.status, basic.error, basic.sent_authorization) == (401, "invalid_client", True)
    assert (posted.status, posted.sent_authorization) == (401, False)
    assert (info.status, info.body, info.sent_authorization) == (200, {"sub": "s-1"}, True)
    calls = [(r.method, str(r.url)) for r in idp.seen]
    assert calls == [
        ("GET", "http://idp.vendor.test/.well-known/openid-configuration"),  # read once
        ("POST", "https://api.vendor.test/oauth2/v2/token"),
        ("POST", "https://api.vendor.test/oauth2/v2/token"),
        ("GET", "https://api.vendor.test/oauth2/v2/me"),
    ]
    assert idp.seen[-1].headers["authorization"] == "Bearer at-1"


def test_a_discovery_without_the_endpoint_fails_citing_t4() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issuer": "http://idp.vendor.test"})

    vneid = VNeIDHandle("vneid", "http://idp.vendor.test", httpx.MockTransport(handle))
    with TestRelyingParty(vneid, DEFAULT_PROFILE) as rp, pytest.raises(AssertionError) as caught:
        rp.userinfo("at-1")
    # what was expected and what the document holds, not "lists no userinfo_endpoint: None"
    assert str(caught.value) == (
        "T-4: expected the discovery document to list userinfo_endpoint (an absolute URL, "
        "OpenID Connect Discovery §3), observed none; it lists issuer"
    )


def test_the_embedded_mock_lists_its_own_paths(providers: Target) -> None:
    with TestRelyingParty(providers.vneid, providers.profile) as rp:
        assert rp.token_endpoint == f"{providers.vneid.base_url}/token"
        assert rp.userinfo_endpoint == f"{providers.vneid.base_url}/userinfo"
        assert (rp.userinfo(None).status, rp.userinfo(None).sent_authorization) == (401, False)


@pytest.mark.clause("T-1")
def test_empty_credentials_are_sent_as_given_not_replaced_by_the_registered_ones() -> None:
    """``redeem(client_secret="")`` (a test of a provider that must refuse an empty secret)
    sent the registered secret instead, so the provider rightly accepted it and the test
    blamed it; an empty ``client_id``, ``client_assertion``, ``audience`` or ``jti`` went the
    same way. Only ``None`` means "the registered one"."""
    idp = _MovedEndpoints()
    vneid = VNeIDHandle("vneid", "http://idp.vendor.test", httpx.MockTransport(idp.handle))
    with TestRelyingParty(vneid, DEFAULT_PROFILE, client_secret="registered") as rp:
        rp.redeem("code-1", "v" * 43, client_id="", client_secret="")
        rp.redeem("code-2", "v" * 43, auth_method="client_secret_post", client_secret="")
        rp.redeem("code-3", "v" * 43, auth_method="private_key_jwt", client_assertion="")
    basic, post, jwt_form = (
        idp.seen[1].headers["authorization"],
        httpx.QueryParams(idp.seen[2].content.decode()),
        httpx.QueryParams(idp.seen[3].content.decode()),
    )
    assert basic == encode_basic("", "")
    assert (post["client_id"], post["client_secret"]) == (rp.client_id, "")
    assert jwt_form["client_assertion"] == ""


def test_an_assertion_keeps_an_empty_audience_and_jti(providers: Target) -> None:
    with TestRelyingParty(providers.vneid, providers.profile, auth_method="private_key_jwt") as rp:
        rp.register()
        assert rp.signing_key is not None
        claims = jwt.decode(rp.client_assertion(audience="", jti=""), rp.signing_key).claims
    assert (claims["aud"], claims["jti"]) == ("", "")
