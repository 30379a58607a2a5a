"""The trace's httpx hook stores exactly the event ``Trace.record`` would make of the raw
exchange (redacted url, headers and bodies), and remembers the same secrets for
``Trace.scrub``, while parsing each body once."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness.trace import HttpExchange, Trace, _decode, _header_dict, http_event_hooks

SECRET_BODY = {
    "session_token": "tok-0123456789abcdef",
    "nested": {"code": "c0de-secret"},
    "link": "vssid://cb?code=abc-secret-code&state=s1",
    "list": [{"passcode": "1"}],
}


def _exchange(request_body: Any, response_body: Any, ctype: str) -> httpx.Response:
    def handler(request: httpx.Request) -> httpx.Response:
        raw = (
            response_body
            if isinstance(response_body, bytes)
            else json.dumps(response_body).encode()
        )
        return httpx.Response(
            200,
            content=raw,
            headers=[
                ("content-type", ctype),
                ("set-cookie", "a=1"),
                ("X-Twice", "1"),
                ("x-twice", "2"),
            ],
        )

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return client.post(
            "https://api.test/path?code=q-secret&x=1",
            content=request_body,
            headers={"Authorization": "Bearer bearer-secret-token", "content-type": ctype},
        )


@pytest.mark.parametrize(
    ("request_body", "response_body", "ctype"),
    [
        (json.dumps(SECRET_BODY).encode(), SECRET_BODY, "application/json"),
        (b"passcode=123456&personal_id=001301012345", SECRET_BODY, "application/json"),
        (b'"a=b c"', "a=b c&code=zzzz-secret", "application/json"),
        (b"{not json", b"{not json either", "application/json"),
        (b"code=abc&state=x", b"<html>hi</html>", "text/html"),
    ],
)
def test_the_hook_stores_what_record_would(
    request_body: bytes, response_body: Any, ctype: str
) -> None:
    response = _exchange(request_body, response_body, ctype)
    hooked = Trace()
    hook = http_event_hooks(hooked, "vssid", "backend")
    hook["request"][0](response.request)
    hook["response"][0](response)
    stored = hooked.events[-1]
    assert isinstance(stored, HttpExchange)

    reference = Trace()
    request = response.request
    reference.remember_secrets(
        *_secrets_of(request.content, request.headers),
        *_secrets_of(response.content, response.headers),
    )
    expected = reference.record(
        HttpExchange(
            actor="vssid",
            target="backend",
            method=request.method,
            url=str(request.url),
            request_headers=dict(request.headers),
            request_body=_decode(request.content, request.headers.get("content-type", "")),
            status=response.status_code,
            response_body=_decode(response.content, response.headers.get("content-type", "")),
            duration_ms=stored.duration_ms,
            response_headers=dict(response.headers),
        )
    )
    assert stored.to_json() | {"at": 0} == expected.to_json() | {"at": 0}
    assert hooked._secrets == reference._secrets


def _secrets_of(raw: bytes, headers: httpx.Headers) -> list[str]:
    from harness.trace import _body_secrets

    return list(_body_secrets(raw, headers.get("content-type", "")))


def test_header_dict_is_dict_of_headers() -> None:
    headers = httpx.Headers([("A", "1"), ("b", "2"), ("a", "3"), ("Content-Type", "x/y")])
    assert list(_header_dict(headers).items()) == list(dict(headers).items())


RAW_SECRETS = (
    "bearer-secret-token",
    "q-secret",
    "tok-0123456789abcdef",
    "c0de-secret",
    "abc-secret-code",
)


def _hooked(trace: Trace) -> None:
    response = _exchange(json.dumps(SECRET_BODY).encode(), SECRET_BODY, "application/json")
    hook = http_event_hooks(trace, "vssid", "backend")
    hook["request"][0](response.request)
    hook["response"][0](response)


def test_an_unread_exchange_is_redacted_when_anything_reads_the_trace() -> None:
    """The hook keeps the raw exchange until the trace is read; every way of reading it
    (events, iteration, to_json, scrub) sees it redacted, and scrub knows its secrets."""
    from harness.trace import ScreenShown

    trace = Trace()
    trace.record(ScreenShown(app="vssid", screen_id="vssid-login", texts=()))
    _hooked(trace)
    trace.record(ScreenShown(app="vssid", screen_id="vssid-home", texts=()))
    assert len(trace) == 3
    assert "bearer-secret-token" not in repr(trace)
    scrubbed = trace.scrub("failed holding bearer-secret-token and c0de-secret")
    assert scrubbed == "failed holding [REDACTED] and [REDACTED]"
    events = trace.events
    assert [e.seq for e in events] == [0, 1, 2]  # recorded order kept
    assert [type(e).__name__ for e in events] == ["ScreenShown", "HttpExchange", "ScreenShown"]
    dumped = json.dumps(trace.to_json())
    for secret in RAW_SECRETS:
        assert secret not in dumped


def test_a_listener_gets_the_exchange_redacted_as_it_is_recorded() -> None:
    trace = Trace()
    seen: list[Any] = []
    trace.subscribe(seen.append)
    _hooked(trace)
    (event,) = seen
    assert isinstance(event, HttpExchange)
    assert event.request_headers["authorization"] == "Bearer [REDACTED]"
    assert trace._unread == 0  # nothing raw left behind
    for secret in RAW_SECRETS:
        assert secret not in json.dumps(event.to_json())


def test_a_listener_subscribed_after_unread_exchanges_sees_only_new_ones() -> None:
    trace = Trace()
    _hooked(trace)  # recorded before anyone listens: kept raw
    seen: list[Any] = []
    trace.subscribe(seen.append)
    _hooked(trace)
    assert [e.seq for e in seen] == [1]
    events = trace.events
    assert [e.seq for e in events] == [0, 1]
    assert all(isinstance(e, HttpExchange) for e in events)
    dumped = json.dumps(trace.to_json())
    for secret in RAW_SECRETS:
        assert secret not in dumped
