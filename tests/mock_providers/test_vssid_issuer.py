"""An unreachable or misbehaving issuer: always a 502 ``provider_unavailable`` naming the clause
of the failed call (T-4 discovery, R-5 JWKS, T-1 token, T-5 userinfo), never a 500 or a hang."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mock_providers.vssid.issuer_client import MAX_ISSUER_BODY
from tests.mock_providers.vssid_fixtures import DROP, VssIDWorld, assert_error, world_fixture


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


class Raising(httpx.AsyncBaseTransport):
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.exc


class Hanging(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


@pytest.mark.clause("T-4", "A-6")
@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("read timed out"),
        RuntimeError("the issuer app crashed"),
    ],
    ids=type,
)
def test_unreachable_issuer(exc: Exception) -> None:
    with VssIDWorld(transport=Raising(exc)) as world:
        started = world.start()
        callback = world.fake.approve(started["authorize_url"])
        body = assert_error(
            world.complete(started["transaction_id"], callback), 502, "provider_unavailable", "T-4"
        )
        assert type(exc).__name__ in body["error_description"]
        (call,) = world.provider.outgoing.all()
        assert (call.purpose, call.status) == ("discovery", 0)
        assert call.error is not None


@pytest.mark.clause("T-4")
def test_an_issuer_certificate_refused_says_how_to_trust_its_ca() -> None:
    """A vendor's VNeID over https with a certificate of a private CA: the 502 said only
    CERTIFICATE_VERIFY_FAILED; it now says how the process is told to trust that CA."""
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    exc.__cause__ = cause
    with VssIDWorld(transport=Raising(exc)) as world:
        started = world.start()
        callback = world.fake.approve(started["authorize_url"])
        body = assert_error(
            world.complete(started["transaction_id"], callback), 502, "provider_unavailable", "T-4"
        )
        described = body["error_description"]
        assert "CERTIFICATE_VERIFY_FAILED" in described
        assert "start it with SSL_CERT_FILE naming the PEM certificate of the CA" in described
        assert "<U+" not in described  # RFC 6749's characters only


@pytest.mark.clause("T-4", "S-5")
def test_a_transport_error_quoting_a_credential_is_redacted() -> None:
    """h11 refuses a header value with a control character (an issuer's access token ending
    in a newline) by quoting the whole header: the credential reached the 502's description
    and the outgoing-call log as it was."""
    secret = "AkH8x0-leaked-access-token-0123456789abcdef"
    exc = httpx.LocalProtocolError(f"Illegal header value b'Bearer {secret}\\n'")
    with VssIDWorld(transport=Raising(exc)) as world:
        started = world.start()
        callback = world.fake.approve(started["authorize_url"])
        response = world.complete(started["transaction_id"], callback)
        body = assert_error(response, 502, "provider_unavailable", "T-4")
        assert (
            "LocalProtocolError: Illegal header value b'Bearer [REDACTED]"
            in body["error_description"]
        )
        (call,) = world.provider.outgoing.all()
        assert call.error is not None
        assert "Bearer [REDACTED]" in call.error
        assert secret not in response.text
        assert secret not in world.client.get("/_harness/requests?direction=outgoing").text


@pytest.mark.clause("T-4", "A-6")
def test_hanging_issuer_times_out() -> None:
    with VssIDWorld(transport=Hanging(), issuer_timeout=0.2) as world:
        began = time.monotonic()
        body = assert_error(world.login(), 502, "provider_unavailable", "T-4")
        assert time.monotonic() - began < 5
        assert "0.2 s" in body["error_description"]


class Slow(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, delay: float) -> None:
        self.inner, self.delay = inner, delay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.delay)
        return await self.inner.handle_async_request(request)


@pytest.mark.clause("A-6")
def test_a_slow_issuer_cannot_outlast_the_login_budget() -> None:
    """Each of the four issuer calls answers within its own limit (0.75 of 1 s), and together
    they pass the login's budget (2.5 s). The margin of each call is a quarter of a second, so
    a loaded machine does not turn this into a single call's timeout."""
    with VssIDWorld(issuer_timeout=1.0) as world:
        world.provider.issuer_client.transport = Slow(httpx.ASGITransport(app=world.fake.app), 0.75)
        body = assert_error(world.login(), 502, "provider_unavailable", "A-6")
        assert "2.5 s" in body["error_description"]
        assert world.fake.calls_to("/userinfo") == []
        assert len(world.provider.sessions) == 0


@pytest.mark.clause("T-4")
def test_refused_connection_over_the_real_network() -> None:
    with VssIDWorld(issuer="http://127.0.0.1:1") as world:
        world.provider.issuer_client.transport = None  # real sockets, loopback port 1
        world.fake.issuer = "http://127.0.0.1:1"
        assert_error(world.login(), 502, "provider_unavailable", "T-4")


@pytest.mark.clause("T-4")
def test_an_issuer_that_stalls_mid_answer_is_recorded_with_its_status() -> None:
    """Over a real network the status line can come and the body never: the login still ends
    in 502 within the time limit, and the outgoing record keeps the status that came."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    release = threading.Event()

    def stall() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            release.wait(10)

    server = threading.Thread(target=stall, daemon=True)
    server.start()
    try:
        issuer = f"http://127.0.0.1:{port}"
        with VssIDWorld(issuer=issuer, issuer_timeout=0.3) as world:
            world.provider.issuer_client.transport = None  # real sockets
            world.fake.issuer = issuer
            assert_error(world.login(), 502, "provider_unavailable", "T-4")
            (call,) = world.provider.outgoing.all()
            assert (call.purpose, call.status) == ("discovery", 200)
            assert call.error is not None
            assert "0.3 s" in call.error
    finally:
        release.set()
        server.join(5)
        listener.close()


# -- discovery (T-4) -----------------------------------------------------------------------------


@pytest.mark.clause("T-4")
@pytest.mark.parametrize(
    "patch",
    [
        {"issuer": "http://evil.test"},
        {"issuer": DROP},
        {"token_endpoint": DROP},
        {"token_endpoint": "ftp://id.fake-vneid.test/token"},
        {"jwks_uri": 17},
        {"userinfo_endpoint": DROP},
        {"padding": "x" * (1024 * 1024 + 1)},
    ],
    ids=lambda p: next(iter(p)),
)
def test_unusable_discovery_document(world: VssIDWorld, patch: dict[str, object]) -> None:
    world.fake.discovery_patch = patch
    assert_error(world.login(), 502, "provider_unavailable", "T-4")
    assert world.fake.calls_to("/token") == []


@pytest.mark.clause("T-4")
def test_discovery_without_userinfo_is_fine_when_userinfo_is_not_fetched() -> None:
    with VssIDWorld(fetch_userinfo=False) as world:
        world.fake.discovery_patch = {"userinfo_endpoint": DROP}
        assert world.login().status_code == 200


@pytest.mark.clause("T-4")
@pytest.mark.parametrize(
    ("status", "text"),
    [(200, "<html>oops</html>"), (200, "[1, 2]"), (404, "not found"), (302, ""), (500, "{}")],
)
def test_discovery_answering_garbage(world: VssIDWorld, status: int, text: str) -> None:
    world.fake.raw["/.well-known/openid-configuration"] = (status, text)
    body = assert_error(world.login(), 502, "provider_unavailable", "T-4")
    assert "discovery" in body["error_description"]


@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    ("status", "text"), [(200, "<html>oops</html>"), (200, "null"), (502, "bad gateway")]
)
def test_token_endpoint_answering_garbage(world: VssIDWorld, status: int, text: str) -> None:
    world.fake.raw["/token"] = (status, text)
    assert_error(world.login(), 502, "provider_unavailable", "T-1")
    assert world.fake.calls_to("/jwks") == []


@pytest.mark.clause("T-1")
def test_token_endpoint_answering_more_than_a_mebibyte(world: VssIDWorld) -> None:
    world.fake.raw["/token"] = (200, '{"pad": "' + "x" * MAX_ISSUER_BODY + '"}')
    body = assert_error(world.login(), 502, "provider_unavailable", "T-1")
    assert f"larger than {MAX_ISSUER_BODY} bytes" in body["error_description"]
    (token,) = world.provider.outgoing.calls("token")
    assert token.error == f"answer larger than {MAX_ISSUER_BODY} bytes"


@pytest.mark.clause("R-5")
def test_jwks_answering_garbage(world: VssIDWorld) -> None:
    world.fake.raw["/jwks"] = (200, "not json")
    assert_error(world.login(), 502, "provider_unavailable", "R-5")


@pytest.mark.clause("T-5")
def test_userinfo_answering_garbage(world: VssIDWorld) -> None:
    world.fake.raw["/userinfo"] = (200, "<html/>")
    assert_error(world.login(), 502, "provider_unavailable", "T-5")


@pytest.mark.clause("T-4")
def test_discovery_and_jwks_are_cached_until_configure(world: VssIDWorld) -> None:
    assert world.login().status_code == 200
    assert world.login().status_code == 200
    assert len(world.fake.calls_to("/.well-known/openid-configuration")) == 1
    assert len(world.fake.calls_to("/jwks")) == 1
    world.provider.configure(issuer=world.settings.issuer)
    assert world.login().status_code == 200
    assert len(world.fake.calls_to("/.well-known/openid-configuration")) == 2
    assert len(world.fake.calls_to("/jwks")) == 2


@pytest.mark.clause("T-4")
def test_a_failed_discovery_is_not_cached(world: VssIDWorld) -> None:
    world.fake.discovery_patch = {"issuer": "http://evil.test"}
    assert world.login().status_code == 502
    world.fake.discovery_patch = {}
    assert world.login().status_code == 200


# -- JWKS and userinfo (T-5) ---------------------------------------------------------------


@pytest.mark.clause("R-5")
def test_jwks_without_keys_array(world: VssIDWorld) -> None:
    world.fake.discovery_patch = {
        "jwks_uri": "http://id.fake-vneid.test/.well-known/openid-configuration"
    }
    assert_error(world.login(), 502, "provider_unavailable", "R-5")
    assert world.fake.calls_to("/userinfo") == []


@pytest.mark.clause("R-5")
def test_jwks_without_a_usable_key(world: VssIDWorld) -> None:
    world.fake.published = []
    assert_error(world.login(), 401, "id_token_invalid", "R-5")
    assert len(world.fake.calls_to("/jwks")) == 2


@pytest.mark.clause("R-5")
def test_jwks_endpoint_failing(world: VssIDWorld) -> None:
    world.fake.discovery_patch = {"jwks_uri": "http://id.fake-vneid.test/missing"}
    assert_error(world.login(), 502, "provider_unavailable", "R-5")


@pytest.mark.clause("T-5")
def test_userinfo_failing(world: VssIDWorld) -> None:
    world.fake.discovery_patch = {"userinfo_endpoint": "http://id.fake-vneid.test/missing"}
    assert_error(world.login(), 502, "provider_unavailable", "T-5")
    assert len(world.provider.sessions) == 0


@pytest.mark.clause("T-5", "S-5")
def test_outgoing_calls_are_recorded_with_secrets_redacted(world: VssIDWorld) -> None:
    assert world.login().status_code == 200
    calls = world.provider.outgoing.all()
    assert [c.purpose for c in calls] == ["discovery", "token", "jwks", "userinfo"]
    assert all(c.status == 200 for c in calls)
    token_call = world.provider.outgoing.calls("token")[0]
    assert token_call.body is not None
    assert "code=%5BREDACTED%5D" in token_call.body or "code=[REDACTED]" in token_call.body
    assert "code-1" not in token_call.body
    tx_verifiers = [world.fake.calls_to("/token")[0].form["code_verifier"]]
    assert not any(v in token_call.body for v in tx_verifiers)
