"""A provider reached over HTTP that answers slowly, trickles, hangs, breaks the connection
or cuts its answer short: every exchange of the harness's client ends within its deadline,
and the failure names the call (method, URL without its query) rather than httpx's bare
"timed out", ``Unterminated string`` or ``KeyError: 'id_token'``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.http_client import HarnessClient


def _serve(behaviour: str) -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            body = b'{"access_token": "x", "token_type": "Bearer"}'
            head = (
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\n\r\n" % len(body)
            )
            if behaviour == "trickle":
                conn.sendall(head)
                for i in range(len(body)):
                    if stop.wait(0.2):
                        return
                    conn.sendall(body[i : i + 1])
            elif behaviour == "reset":
                conn.sendall(head + body[:10])
                linger_zero = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # close() sends RST
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_zero)
            elif behaviour == "silent":
                stop.wait(10)
            elif behaviour == "truncated":
                cut = body[:20]
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(cut), cut)
                )
            elif behaviour == "refusal":
                refusal = b'{"error": "invalid_grant", "error_description": "used"}'
                conn.sendall(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                    b"content-length: %d\r\n\r\n%s" % (len(refusal), refusal)
                )

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    yield from _serve(request.param)


@pytest.mark.parametrize("server", ["trickle"], indirect=True)
def test_a_trickled_answer_ends_at_the_deadline_not_at_its_last_byte(server: int) -> None:
    client = HarnessClient(base_url=f"http://127.0.0.1:{server}", timeout=5.0, deadline=1.0)
    started = time.monotonic()
    with client, pytest.raises(httpx.ReadTimeout) as raised:
        client.post("/token?code=secret-code", data={"grant_type": "authorization_code"})
    assert time.monotonic() - started < 2.5  # the body alone takes ~9 s
    said = str(raised.value)
    assert f"POST http://127.0.0.1:{server}/token: " in said
    assert "within 1 s" in said
    assert "secret-code" not in said  # no query in the message (S-5)


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_a_silent_server_times_out_naming_the_call(server: int) -> None:
    client = HarnessClient(base_url=f"http://127.0.0.1:{server}", timeout=0.5, deadline=5.0)
    with client, pytest.raises(httpx.ReadTimeout) as raised:
        client.get("/userinfo")
    assert str(raised.value).startswith(f"GET http://127.0.0.1:{server}/userinfo: no answer")


@pytest.mark.parametrize("server", ["reset"], indirect=True)
def test_a_connection_broken_mid_answer_names_the_call(server: int) -> None:
    client = HarnessClient(base_url=f"http://127.0.0.1:{server}", timeout=2.0, deadline=5.0)
    with client, pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)) as raised:
        client.post("/api/v1/auth/vneid/complete", json={})
    assert f"POST http://127.0.0.1:{server}/api/v1/auth/vneid/complete: " in str(raised.value)


def test_without_a_deadline_the_client_is_httpx_own() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with HarnessClient(base_url="http://x", transport=transport) as client:
        assert client.get("/a").json() == {"ok": True}
        assert client._transport_for_url(httpx.URL("http://x/a")) is transport


@pytest.mark.parametrize("server", ["truncated"], indirect=True)
def test_a_body_that_is_not_json_names_the_call(server: int) -> None:
    """A vendor's answer cut off mid-body failed 24 tests with a bare ``JSONDecodeError:
    Unterminated string …`` (a review): which call, which status?"""
    import json

    with HarnessClient(base_url=f"http://127.0.0.1:{server}", timeout=5.0, deadline=5.0) as client:
        response = client.post("/token?code=secret-code", data={"code": "secret-code"})
        with pytest.raises(json.JSONDecodeError) as raised:
            response.json()
    said = str(raised.value)
    assert said.startswith(
        f"POST http://127.0.0.1:{server}/token answered 200 with a body "
        "that is not JSON (Expecting ',' delimiter"
    )
    assert "20 bytes, 'application/json'" in said
    assert "secret-code" not in said


@pytest.mark.parametrize(
    ("location", "said"),
    [
        (
            "https://idp.test/.well-known/openid-configuration?code=secret-code#x",
            "a redirect to https://idp.test/.well-known/openid-configuration, which the "
            "harness does not follow",
        ),
        ("/login?next=secret-code", "a redirect to /login, which the harness does not follow"),
        (None, "a redirect without a Location, which the harness does not follow"),
    ],
)
def test_a_redirect_instead_of_json_says_where_it_points(location: str | None, said: str) -> None:
    """A vendor's provider behind a proxy that sends http to https (or to a login page)
    failed every test reading discovery with ``answered 302 with a body that is not JSON``
    and no word of the redirect."""
    import json

    headers = {"content-type": "text/html"} | ({"location": location} if location else {})
    transport = httpx.MockTransport(lambda request: httpx.Response(302, headers=headers))
    with HarnessClient(base_url="http://idp.test", transport=transport, deadline=5.0) as client:
        response = client.get("/.well-known/openid-configuration")
        with pytest.raises(json.JSONDecodeError) as raised:
            response.json()
    message = str(raised.value)
    assert message.startswith(
        f"GET http://idp.test/.well-known/openid-configuration answered 302 ({said}) with a "
        "body that is not JSON"
    ), message
    assert "secret-code" not in message  # the Location's query stays out (S-5)


@pytest.mark.parametrize("server", ["refusal"], indirect=True)
def test_a_key_missing_from_an_answer_names_the_call_and_what_it_said(server: int) -> None:
    """``result.body["id_token"]`` on a refusal failed 11 tests with a bare ``KeyError:
    'id_token'`` (a review)."""
    from harness.http_client import Answer, MissingKey

    with HarnessClient(base_url=f"http://127.0.0.1:{server}", timeout=5.0, deadline=5.0) as client:
        body = client.post("/token", data={}).json()
    assert isinstance(body, Answer)
    assert body == {"error": "invalid_grant", "error_description": "used"}
    with pytest.raises(KeyError) as raised:
        body["id_token"]
    assert isinstance(raised.value, MissingKey)
    assert str(raised.value) == (
        f"'id_token' is not in the answer to POST "
        f"http://127.0.0.1:{server}/token (400) invalid_grant; its "
        "keys: error, error_description"
    )
    assert body.get("id_token") is None  # .get and `in` are a dict's


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_transport_failures_are_counted_for_the_early_stop(server: int) -> None:
    from harness.http_client import transport_failures

    before = transport_failures()
    with (
        HarnessClient(base_url=f"http://127.0.0.1:{server}", timeout=0.3, deadline=5.0) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("/userinfo")
    assert transport_failures() == before + 1
