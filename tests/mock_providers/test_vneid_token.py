"""The token endpoint: client authentication (T-1), single use and lifetime of codes (T-2),
PKCE (S-1, S-4), and the code's bindings (T-1)."""

from __future__ import annotations

import base64
import threading
from urllib.parse import quote_plus

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey

from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
from mock_providers.vneid import ClientRecord
from mock_providers.vneid.client_keys import (
    KEY_CACHE_SECONDS,
    MAX_JWKS_BYTES,
    REFETCH_GAP_SECONDS,
)

pytestmark = pytest.mark.clause("T-1")
SECRET = DEFAULT_VSSID_CLIENT_SECRET
VNEID_CALLBACK = "vssid://auth/vneid/callback"


def _error(r):
    body = r.json()
    return r.status_code, body["error"], body["clause"]


def test_client_secret_basic_redeems_a_code(vneid_flow, vneid_provider):
    r = vneid_flow.redeem(vneid_flow.code())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == vneid_provider.profile.access_token_ttl
    assert body["scope"] == "openid profile"
    assert body["access_token"]
    assert body["id_token"].count(".") == 2
    assert r.headers["cache-control"] == "no-store"


def test_client_secret_post(vneid_flow, vneid_provider, vneid_http):
    vneid_provider.register_client(
        ClientRecord("rp-post", ("https://rp.test/cb",), "client_secret_post", "post-secret")
    )
    code = vneid_flow.code(
        vneid_flow.request(client_id="rp-post", redirect_uri="https://rp.test/cb")
    )
    r = vneid_http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://rp.test/cb",
            "code_verifier": vneid_flow.verifier,
            "client_id": "rp-post",
            "client_secret": "post-secret",
        },
    )
    assert r.status_code == 200, r.text


def test_basic_credentials_are_form_url_decoded(vneid_flow, vneid_provider):
    """RFC 6749 §2.3.1: id and secret are form-url-encoded before base64."""
    vneid_provider.register_client(
        ClientRecord("rp:1 &~", ("https://rp.test/cb",), client_secret="s:e c+r%t")
    )
    code = vneid_flow.code(
        vneid_flow.request(client_id="rp:1 &~", redirect_uri="https://rp.test/cb")
    )
    raw = f"{quote_plus('rp:1 &~')}:{quote_plus('s:e c+r%t')}".encode()
    r = vneid_flow.http.post(
        "/token",
        headers={"Authorization": "Basic " + base64.b64encode(raw).decode()},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "https://rp.test/cb",
            "code_verifier": vneid_flow.verifier,
        },
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("auth", "extra"),
    [
        (("vssid", "wrong"), {}),  # wrong secret
        (("nobody", SECRET), {}),  # unknown client
        (None, {"client_id": "vssid", "client_secret": SECRET}),  # registered basic, used post
        (("vssid", SECRET), {"client_id": "other"}),  # body names another client
    ],
)
def test_client_authentication_failures_are_invalid_client(vneid_flow, vneid_http, auth, extra):
    code = vneid_flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "vssid://auth/vneid/callback",
        "code_verifier": vneid_flow.verifier,
        **extra,
    }
    r = vneid_http.post("/token", data=data, auth=auth)
    assert _error(r) == (401, "invalid_client", "T-1")
    # RFC 6749 §5.2 (the scheme the client used or may use), RFC 7617 §2 (realm required)
    assert r.headers["www-authenticate"] == 'Basic realm="VNeID token endpoint", charset="UTF-8"'
    # the code survives a failed client authentication
    assert vneid_flow.redeem(code).status_code == 200


@pytest.mark.parametrize(
    "extra",
    [{"client_secret": SECRET}, {"client_assertion": "not-a-jws"}, {"client_assertion_type": "x"}],
)
def test_two_authentication_methods_at_once_are_invalid_request(vneid_flow, vneid_http, extra):
    """RFC 6749 §5.2: invalid_request for a request that "utilizes more than one mechanism
    for authenticating the client", whatever the second one holds (an assertion that is not a
    JWS included); the code survives."""
    code = vneid_flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "vssid://auth/vneid/callback",
        "code_verifier": vneid_flow.verifier,
        **extra,
    }
    r = vneid_http.post("/token", data=data, auth=("vssid", SECRET))
    assert _error(r) == (400, "invalid_request", "T-1")
    assert "more than one client authentication method" in r.json()["error_description"]
    assert vneid_flow.redeem(code).status_code == 200


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()])
def test_malformed_basic_header_is_invalid_client(vneid_flow, vneid_http, header):
    r = vneid_http.post(
        "/token",
        headers={"Authorization": header},
        data={"grant_type": "authorization_code", "code": "x"},
    )
    assert _error(r) == (401, "invalid_client", "T-1")


def test_no_client_authentication_is_invalid_client(vneid_http):
    r = vneid_http.post("/token", data={"grant_type": "authorization_code", "code": "x"})
    assert _error(r) == (401, "invalid_client", "T-1")


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"grant_type": None}, (400, "invalid_request", "T-1")),
        ({"grant_type": "client_credentials"}, (400, "unsupported_grant_type", "T-1")),
        ({"code": None}, (400, "invalid_request", "T-1")),
        ({"redirect_uri": None}, (400, "invalid_request", "T-1")),
        ({"code_verifier": None}, (400, "invalid_request", "S-1")),
        ({"code_verifier": "x" * 42}, (400, "invalid_grant", "S-1")),
        ({"code_verifier": "x" * 129}, (400, "invalid_grant", "S-1")),
        ({"code_verifier": "a" * 43}, (400, "invalid_grant", "S-4")),
        ({"redirect_uri": "https://vssid.test/auth/vneid/callback"}, (400, "invalid_grant", "T-1")),
        ({"code": "not-a-code"}, (400, "invalid_grant", "T-2")),
    ],
)
def test_token_request_errors(vneid_flow, form, expected):
    r = vneid_flow.redeem(vneid_flow.code(), **form)
    assert _error(r) == expected


@pytest.mark.clause("T-2")
def test_second_redemption_fails_and_revokes_the_first_access_token(vneid_flow, vneid_http):
    code = vneid_flow.code()
    first = vneid_flow.redeem(code)
    assert first.status_code == 200
    access = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert vneid_http.get("/userinfo", headers=access).status_code == 200
    assert _error(vneid_flow.redeem(code)) == (400, "invalid_grant", "T-2")
    r = vneid_http.get("/userinfo", headers=access)
    assert _error(r) == (401, "invalid_token", "T-5")


@pytest.mark.clause("T-2")
def test_code_expires_after_60_seconds(vneid_flow, vneid_provider):
    code = vneid_flow.code()
    vneid_provider.clock.offset = 61
    r = vneid_flow.redeem(code)
    assert _error(r) == (400, "invalid_grant", "T-2")
    assert "expired" in r.json()["error_description"]


@pytest.mark.clause("T-2")
def test_code_is_still_good_just_before_60_seconds(vneid_flow, vneid_provider):
    code = vneid_flow.code()
    vneid_provider.clock.offset = 59
    assert vneid_flow.redeem(code).status_code == 200


@pytest.mark.clause("S-4")
def test_wrong_verifier_does_not_burn_the_code(vneid_flow):
    """S-4: an intercepted code is useless without the verifier; the client can still redeem."""
    code = vneid_flow.code()
    assert _error(vneid_flow.redeem(code, code_verifier="b" * 64)) == (400, "invalid_grant", "S-4")
    assert vneid_flow.redeem(code).status_code == 200


def test_code_issued_to_another_client_is_invalid_grant(vneid_flow, vneid_provider):
    vneid_provider.register_client(
        ClientRecord("rp2", ("https://rp2.test/cb",), client_secret="rp2-secret")
    )
    code = vneid_flow.code()
    r = vneid_flow.redeem(code, auth=("rp2", "rp2-secret"), redirect_uri="https://rp2.test/cb")
    assert _error(r) == (400, "invalid_grant", "T-1")


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_token_endpoint_takes_forms_only(vneid_http, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = vneid_http.post(
        "/token",
        content=b'{"grant_type": "authorization_code"}',
        headers=headers,
        auth=("vssid", SECRET),
    )
    assert _error(r) == (400, "invalid_request", "T-1")


@pytest.mark.clause("T-2")
def test_concurrent_redemptions_succeed_once(vneid_flow, vneid_provider):
    code = vneid_flow.code()
    statuses: list[int] = []

    def redeem() -> None:
        statuses.append(vneid_flow.redeem(code).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [400] * 7


class TestPrivateKeyJwt:
    """RFC 7523 §2.2, §3: client assertions verified against the registered JWKS."""

    @pytest.fixture
    def key(self, vneid_provider):
        key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": "rp-key"})
        vneid_provider.register_client(
            ClientRecord(
                "rp-jwt",
                ("https://rp.test/cb",),
                "private_key_jwt",
                jwks={"keys": [key.as_dict(private=False)]},
            )
        )
        return key

    def _assertion(self, vneid_provider, key, **changes):
        now = int(vneid_provider.clock.now())
        claims = {
            "iss": "rp-jwt",
            "sub": "rp-jwt",
            "aud": vneid_provider.url("/token"),
            "exp": now + 60,
            "iat": now,
            "jti": "jti-1",
            **changes,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": "ES256", "kid": "rp-key"}, claims, key, algorithms=["ES256"])

    def _redeem(self, flow, assertion, **extra):
        code = flow.code(flow.request(client_id="rp-jwt", redirect_uri="https://rp.test/cb"))
        return flow.http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "https://rp.test/cb",
                "code_verifier": flow.verifier,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                **extra,
            },
        )

    def test_valid_assertion(self, vneid_flow, vneid_provider, key):
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, key))
        assert r.status_code == 200, r.text

    def test_issuer_is_an_accepted_audience(self, vneid_flow, vneid_provider, key):
        assertion = self._assertion(vneid_provider, key, aud=[vneid_provider.issuer])
        assert self._redeem(vneid_flow, assertion).status_code == 200

    def test_jti_is_single_use(self, vneid_flow, vneid_provider, key):
        assertion = self._assertion(vneid_provider, key)
        assert self._redeem(vneid_flow, assertion).status_code == 200
        assert _error(self._redeem(vneid_flow, assertion)) == (401, "invalid_client", "T-1")

    def test_a_used_jti_is_remembered_until_the_assertion_expires(
        self, vneid_flow, vneid_provider, vneid_clock, key
    ):
        """RFC 7523 §3 (T-1): a replayed assertion is refused for as long as it is valid,
        not only in the same instant: 50 s later its exp (+60 s) has not passed."""
        assertion = self._assertion(vneid_provider, key)
        assert self._redeem(vneid_flow, assertion).status_code == 200
        vneid_clock.advance(50)
        assert _error(self._redeem(vneid_flow, assertion)) == (401, "invalid_client", "T-1")

    @pytest.mark.parametrize(
        "changes",
        [
            {"aud": "https://elsewhere.test/token"},
            {"iss": "other"},
            {"exp": 1},
            {"exp": None},
            {"jti": None},
            {"sub": "other"},
            # RFC 7519 §2: a NumericDate is a number of seconds; none of these is one
            {"exp": float("nan")},
            {"exp": float("inf")},
            {"exp": 10**400},
            {"exp": "soon"},
            {"exp": True},
            {"nbf": float("nan")},
            {"nbf": 10**400},
            {"nbf": "now"},
        ],
    )
    def test_bad_claims_are_invalid_client(self, vneid_flow, vneid_provider, key, changes):
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, key, **changes))
        assert _error(r) == (401, "invalid_client", "T-1")

    @pytest.mark.parametrize(
        ("nbf_from_now", "status"), [(-600, 200), (0, 200), (60, 200), (61, 401), (3600, 401)]
    )
    def test_an_assertion_is_not_accepted_before_its_nbf(
        self, vneid_flow, vneid_provider, key, nbf_from_now, status
    ):
        """RFC 7523 §3: ``nbf`` is "the time before which the token MUST NOT be accepted";
        the same 60 s skew as ``exp``."""
        nbf = int(vneid_provider.clock.now()) + nbf_from_now
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, key, nbf=nbf))
        assert r.status_code == status, r.text
        if status == 401:
            assert _error(r) == (401, "invalid_client", "T-1")

    def test_foreign_key_and_garbage_are_invalid_client(self, vneid_flow, vneid_provider, key):
        other = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": "rp-key"})
        for assertion in (self._assertion(vneid_provider, other), "not.a.jwt", "x"):
            assert _error(self._redeem(vneid_flow, assertion)) == (401, "invalid_client", "T-1")

    def test_secret_instead_of_assertion_is_invalid_client(self, vneid_flow, key):
        code = vneid_flow.code(
            vneid_flow.request(client_id="rp-jwt", redirect_uri="https://rp.test/cb")
        )
        r = vneid_flow.redeem(code, auth=("rp-jwt", "guess"), redirect_uri="https://rp.test/cb")
        assert _error(r) == (401, "invalid_client", "T-1")


class TestPrivateKeyJwtWithJwksUri:
    """§11 registers a client with ``jwks_uri``: its keys are fetched from there (RFC 7591 §2),
    kept a while, and fetched again once for an unknown ``kid`` (a rotated client key)."""

    URI = "https://rp.test/jwks.json"

    @pytest.fixture
    def served(self, vneid_provider):
        """What the client's jwks_uri answers (``keys`` or ``answer``), and every fetch."""
        state = {"keys": [], "answer": None, "fetches": 0}

        def handler(request: httpx.Request) -> httpx.Response:
            state["fetches"] += 1
            assert str(request.url) == self.URI
            if state["answer"] is not None:
                return state["answer"]
            return httpx.Response(
                200, json={"keys": [k.as_dict(private=False) for k in state["keys"]]}
            )

        vneid_provider.client_keys.transport = httpx.MockTransport(handler)
        vneid_provider.register_client(
            ClientRecord("rp-uri", ("https://rp.test/cb",), "private_key_jwt", jwks_uri=self.URI)
        )
        return state

    @staticmethod
    def _key(kid):
        return ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": kid})

    def _assertion(self, vneid_provider, key, jti):
        now = int(vneid_provider.clock.now())
        claims = {
            "iss": "rp-uri",
            "sub": "rp-uri",
            "aud": vneid_provider.url("/token"),
            "exp": now + 60,
            "iat": now,
            "jti": jti,
        }
        return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])

    def _redeem(self, flow, assertion):
        code = flow.code(flow.request(client_id="rp-uri", redirect_uri="https://rp.test/cb"))
        return flow.http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "https://rp.test/cb",
                "code_verifier": flow.verifier,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            },
        )

    def test_the_keys_are_fetched_once_and_kept(self, vneid_flow, vneid_provider, served):
        key = self._key("k1")
        served["keys"] = [key]
        for jti in ("a", "b", "c"):
            r = self._redeem(vneid_flow, self._assertion(vneid_provider, key, jti))
            assert r.status_code == 200, r.text
        assert served["fetches"] == 1

    def test_a_rotated_client_key_is_fetched_again_once(self, vneid_flow, vneid_provider, served):
        old, new = self._key("k1"), self._key("k2")
        served["keys"] = [old]
        assert self._redeem(vneid_flow, self._assertion(vneid_provider, old, "a")).is_success
        served["keys"] = [new]
        vneid_provider.clock.offset += REFETCH_GAP_SECONDS
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, new, "b"))
        assert r.status_code == 200, r.text
        assert served["fetches"] == 2
        vneid_provider.clock.offset += REFETCH_GAP_SECONDS
        stranger = self._key("k3")  # a kid it never publishes: one more fetch, then refused
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, stranger, "c"))
        assert _error(r) == (401, "invalid_client", "T-1")
        assert served["fetches"] == 3

    def test_unknown_kids_fetch_again_at_most_every_few_seconds(
        self, vneid_flow, vneid_provider, served
    ):
        """The kid comes from an assertion not yet verified: a caller sending a new one each
        time must not make the mock fetch the client's jwks_uri on every request."""
        served["keys"] = [self._key("k1")]
        for jti in ("a", "b", "c", "d"):
            r = self._redeem(vneid_flow, self._assertion(vneid_provider, self._key(jti), jti))
            assert _error(r) == (401, "invalid_client", "T-1")
        assert served["fetches"] == 1
        vneid_provider.clock.offset += REFETCH_GAP_SECONDS
        self._redeem(vneid_flow, self._assertion(vneid_provider, self._key("e"), "e"))
        assert served["fetches"] == 2

    def test_keys_fetched_while_the_client_is_registered_again_are_not_kept(
        self, vneid_provider, served
    ):
        """A fetch that began before the client was registered again does not keep its set
        (the new registration may point elsewhere, or the keys may have changed)."""
        import asyncio

        key = self._key("k1")
        keys = vneid_provider.client_keys
        fetches = []

        async def fetch_then_forget():
            answered = asyncio.Event()

            async def slow(request: httpx.Request) -> httpx.Response:
                fetches.append(request.url)
                await answered.wait()  # the fetch is under way while the client re-registers
                return httpx.Response(200, json={"keys": [key.as_dict(private=False)]})

            keys.transport = httpx.MockTransport(slow)
            fetching = asyncio.ensure_future(keys.for_jwks_uri(self.URI, None))
            while not fetches:
                await asyncio.sleep(0)
            keys.forget(self.URI)
            answered.set()
            first = await fetching
            answered.set()
            await keys.for_jwks_uri(self.URI, None)
            return first

        assert asyncio.run(fetch_then_forget())["keys"][0]["kid"] == "k1"
        assert len(fetches) == 2  # nothing was kept from the first fetch

    @pytest.mark.parametrize("uri", ["http://rp.test:abc/", "http://xn--zz/jwks"])
    def test_a_jwks_uri_httpx_cannot_parse_is_refused(self, vneid_http, uri):
        """``xn--zz`` is no valid IDNA label: its host raised UnicodeError, a 500."""
        r = vneid_http.post(
            "/_harness/clients",
            json={
                "client_id": "rp-bad",
                "redirect_uris": ["https://rp.test/cb"],
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": uri,
            },
        )
        assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
        assert "jwks_uri" in r.json()["error_description"]

    @pytest.mark.parametrize("jwks", [True, 0, "x", [], {"keys": "none"}])
    def test_a_jwks_that_is_no_jwk_set_is_refused_for_any_method(self, vneid_http, jwks):
        """A client_secret_basic client stored and showed any ``jwks`` (true, 0, "x")."""
        r = vneid_http.post(
            "/_harness/clients",
            json={
                "client_id": "rp-odd",
                "redirect_uris": ["https://rp.test/cb"],
                "token_endpoint_auth_method": "client_secret_basic",
                "client_secret": "s3cret",
                "jwks": jwks,
            },
        )
        assert (r.status_code, r.json()["error"]) == (400, "invalid_request"), r.text
        assert "JWK Set" in r.json()["error_description"]

    def test_jwks_and_jwks_uri_together_are_refused_for_any_method(self, vneid_http):
        r = vneid_http.post(
            "/_harness/clients",
            json={
                "client_id": "rp-both",
                "redirect_uris": ["https://rp.test/cb"],
                "token_endpoint_auth_method": "client_secret_basic",
                "client_secret": "s3cret",
                "jwks_uri": "https://rp.test/jwks",
                "jwks": {"keys": []},
            },
        )
        assert (r.status_code, r.json()["error"]) == (400, "invalid_request"), r.text
        assert "must not both be given" in r.json()["error_description"]

    def test_kept_keys_expire(self, vneid_flow, vneid_provider, served):
        key = self._key("k1")
        served["keys"] = [key]
        assert self._redeem(vneid_flow, self._assertion(vneid_provider, key, "a")).is_success
        vneid_provider.clock.offset += KEY_CACHE_SECONDS + 1
        assert self._redeem(vneid_flow, self._assertion(vneid_provider, key, "b")).is_success
        assert served["fetches"] == 2

    def test_a_key_signed_by_another_client_is_refused(self, vneid_flow, vneid_provider, served):
        served["keys"] = [self._key("k1")]
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, self._key("k1"), "a"))
        assert _error(r) == (401, "invalid_client", "T-1")

    @pytest.mark.parametrize(
        ("answer", "said"),
        [
            (httpx.Response(404), "answered HTTP 404"),
            (httpx.Response(200, text="<html>"), "did not answer JSON"),
            (httpx.Response(200, json={"keys": "none"}), "not a usable JWK Set"),
            (
                httpx.Response(200, json={"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
                "not a usable JWK Set",
            ),
            (
                httpx.Response(200, content=b"{" + b" " * (MAX_JWKS_BYTES + 1) + b"}"),
                f"more than {MAX_JWKS_BYTES} bytes",
            ),
        ],
        ids=["404", "html", "no-keys", "symmetric", "too-large"],
    )
    def test_an_unusable_jwks_uri_is_invalid_client_naming_it(
        self, vneid_flow, vneid_provider, served, answer, said
    ):
        served["answer"] = answer
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, self._key("k1"), "a"))
        assert _error(r) == (401, "invalid_client", "T-1")
        description = r.json()["error_description"]
        assert self.URI in description
        assert said in description

    def test_an_unreachable_jwks_uri_is_invalid_client(self, vneid_flow, vneid_provider, served):
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        vneid_provider.client_keys.transport = httpx.MockTransport(refuse)
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, self._key("k1"), "a"))
        assert _error(r) == (401, "invalid_client", "T-1")
        assert "could not be fetched (ConnectError" in r.json()["error_description"]

    def test_a_jwks_uri_whose_certificate_is_refused_says_how_to_trust_its_ca(
        self, vneid_flow, vneid_provider, served
    ):
        """A relying party's jwks_uri over https with a certificate of a private CA: how the
        process is told to trust it, as the VssID mock's call to its issuer says (a TLS
        review)."""
        import ssl

        def refuse(request: httpx.Request) -> httpx.Response:
            exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]", request=request)
            exc.__cause__ = ssl.SSLCertVerificationError(1, "certificate verify failed")
            raise exc

        vneid_provider.client_keys.transport = httpx.MockTransport(refuse)
        r = self._redeem(vneid_flow, self._assertion(vneid_provider, self._key("k1"), "a"))
        assert _error(r) == (401, "invalid_client", "T-1")
        described = r.json()["error_description"]
        assert "could not be fetched (ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED])" in described
        assert "start it with SSL_CERT_FILE naming the PEM certificate of the CA" in described

    def test_registered_over_the_control_api(self, vneid_http, vneid_provider):
        r = vneid_http.post(
            "/_harness/clients",
            json={
                "client_id": "rp-ctl",
                "redirect_uris": ["https://rp.test/cb"],
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": self.URI,
            },
        )
        assert r.is_success, r.text
        assert vneid_provider.client("rp-ctl").jwks_uri == self.URI


def test_refusals_do_not_echo_credentials(vneid_flow, vneid_http):
    """S-5: Basic credentials the wrong way round named the secret as an "unknown client",
    and a bare token in Authorization came back as an unknown "scheme"; both stayed in the
    request log in clear, next to the redacted header."""
    swapped = base64.b64encode(f"{SECRET}:vssid".encode()).decode()
    r = vneid_http.post(
        "/token",
        headers={"Authorization": f"Basic {swapped}"},
        data={
            "grant_type": "authorization_code",
            "code": vneid_flow.code(),
            "redirect_uri": VNEID_CALLBACK,
            "code_verifier": vneid_flow.verifier,
        },
    )
    assert _error(r) == (401, "invalid_client", "T-1")
    assert "client_id:secret" in r.json()["error_description"]
    session = vneid_flow.session()
    bare = vneid_http.get("/userinfo", headers={"Authorization": session})
    assert bare.status_code == 401
    assert bare.json()["error_description"].startswith(
        "the Authorization header is not a scheme and credentials"
    )
    named = vneid_http.get("/userinfo", headers={"Authorization": "Digest x"})
    assert "the Authorization scheme 'Digest' is not accepted" in named.text
    log = vneid_http.get("/_harness/requests").text
    for secret in (SECRET, session[:20]):
        assert secret not in r.text + bare.text + log


def test_an_assertion_nested_too_deep_is_refused_not_a_500(vneid_flow, vneid_http):
    payload = base64.urlsafe_b64encode(b"[" * 3000 + b"]" * 3000).rstrip(b"=").decode()
    header = base64.urlsafe_b64encode(b'{"alg":"ES256"}').rstrip(b"=").decode()
    assertion = f"{header}.{payload}.c2ln"
    assert len(assertion) < 8192
    r = vneid_http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": vneid_flow.code(),
            "redirect_uri": VNEID_CALLBACK,
            "code_verifier": vneid_flow.verifier,
            "client_id": "vssid",
            "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        },
    )
    assert _error(r) == (401, "invalid_client", "T-1")
    # 3.11 and 3.12 decode JSON nested about 1,000 deep at most (RecursionError); 3.13 about
    # 10,000, more than MAX_ASSERTION_LENGTH can hold: the array is decoded, and is no object
    assert r.json()["error_description"] in {
        "client_assertion is not a compact JWS",
        "client_assertion's payload is not a JSON object",
    }


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
def test_the_basic_scheme_name_is_case_insensitive(vneid_flow, scheme):
    """RFC 7235 §2.1 / RFC 7617: the auth-scheme is case-insensitive (T-1
    client_secret_basic)."""
    code = vneid_flow.code()
    raw = base64.b64encode(f"vssid:{quote_plus(SECRET)}".encode()).decode()
    r = vneid_flow.http.post(
        "/token",
        headers={"Authorization": f"{scheme} {raw}"},
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": VNEID_CALLBACK,
            "code_verifier": vneid_flow.verifier,
        },
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("authorization", "form", "claimed"),
    [
        ("Basic " + base64.b64encode(b"vssid:s3cret").decode(), {}, "vssid"),
        ("basic " + base64.b64encode(b"a%20b:s").decode(), {}, "a b"),
        (None, {"client_id": "vssid", "client_secret": "s"}, "vssid"),
        (
            None,
            {
                "client_assertion": "eyJhbGciOiAiRVMyNTYifQ."  # {"alg": "ES256"}
                "eyJpc3MiOiAicnAtMSIsICJzdWIiOiAicnAtMSJ9.c2ln",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            },
            "rp-1",
        ),
        ("Basic !!!", {"client_id": "vssid"}, None),  # not base64: nobody readable
        (None, {}, None),
    ],
)
def test_the_client_a_token_request_claims_to_be(
    authorization: str | None, form: dict[str, str], claimed: str | None
) -> None:
    """Unverified, for telling whose authentication was refused (conformance's hint)."""
    from mock_providers.vneid.client_auth import claimed_client

    assert claimed_client(authorization, form) == claimed
