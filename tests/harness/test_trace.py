"""The trace: stamping, queries, JSON, httpx hooks, and redaction at record time (S-5)."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from harness.protocol import ManualClock
from harness.protocol.redaction import REDACTED
from harness.trace import (
    AppSwitched,
    HttpExchange,
    LinkOpened,
    ScreenShown,
    StoreOpened,
    Trace,
    ensure_traced,
    http_event_hooks,
)


@pytest.fixture
def trace(clock: ManualClock) -> Trace:
    return Trace(clock)


def test_record_stamps_time_and_sequence(trace: Trace, clock: ManualClock) -> None:
    first = trace.record(AppSwitched(from_app=None, to_app="vssid", reason="user"))
    clock.advance(2.5)
    second = trace.record(StoreOpened(app_id="vneid", platform="ios", url="https://x.test/a"))
    assert (first.seq, second.seq) == (0, 1)
    assert second.at - first.at == 2.5
    assert trace.events == (first, second)
    assert len(trace) == 2
    assert list(trace) == [first, second]


def test_an_event_with_nothing_to_redact_is_stored_as_a_stamped_copy(trace: Trace) -> None:
    given = ScreenShown(app="vssid", screen_id="vssid-home", texts=("Xin chào", "An"))
    stored = trace.record(given)
    assert (given.at, given.seq) == (0.0, -1)  # the caller's event is left as it was
    assert stored is not given
    assert dataclasses.replace(stored, at=0.0, seq=-1) == given


def test_queries(trace: Trace) -> None:
    trace.record(ScreenShown(app="vssid", screen_id="vssid-login", texts=("VssID",)))
    for path in ("/api/v1/auth/vneid/start", "/api/v1/me"):
        trace.record(
            HttpExchange(
                actor="vssid",
                target="b",
                method="GET",
                url=f"http://api.vssid.test{path}",
                request_headers={},
                request_body=None,
                status=200,
                response_body={},
                duration_ms=0.0,
            )
        )
    assert [e.screen_id for e in trace.screens()] == ["vssid-login"]
    assert len(trace.http()) == 2
    assert [e.url for e in trace.http("/me")] == ["http://api.vssid.test/api/v1/me"]
    assert trace.of_type(LinkOpened) == []


def test_events_are_redacted_when_recorded(trace: Trace) -> None:
    link = trace.record(
        LinkOpened(
            source="vneid",
            target="vssid",
            form="custom",
            url="vssid://auth/vneid/callback?code=C0DE&state=s1",
        )
    )
    assert "C0DE" not in link.url
    assert "state=s1" in link.url
    exchange = trace.record(
        HttpExchange(
            actor="vssid",
            target="vssid-backend",
            method="POST",
            url="http://api.vssid.test/x?code_verifier=V3R",
            request_headers={"Authorization": "Bearer T0KEN", "X-VssID-App-Version": "1.6.7"},
            request_body={"callback_url": "vssid://cb?code=C0DE&state=s", "passcode": "111111"},
            status=200,
            response_body={"session_token": "S3SS", "full_name": "An"},
            duration_ms=1.0,
        )
    )
    assert exchange.request_headers == {
        "Authorization": f"Bearer {REDACTED}",
        "X-VssID-App-Version": "1.6.7",
    }
    assert exchange.response_body == {"session_token": REDACTED, "full_name": "An"}
    screen = trace.record(
        ScreenShown(app="h", screen_id="hijacker", texts=("got", "vssid://cb?code=C0DE"))
    )
    assert "C0DE" not in screen.texts[1]
    dumped = json.dumps(trace.to_json())
    for secret in ("C0DE", "V3R", "T0KEN", "111111", "S3SS"):
        assert secret not in dumped


def test_to_json_names_types(trace: Trace) -> None:
    trace.record(AppSwitched(from_app="vssid", to_app="vneid", reason="link"))
    [event] = trace.to_json()
    assert event == {
        "type": "AppSwitched",
        "at": event["at"],
        "seq": 0,
        "from_app": "vssid",
        "to_app": "vneid",
        "reason": "link",
    }


def _echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"session_token": "S3SS", "level": 2})


def test_http_event_hooks_record_exchanges(trace: Trace, clock: ManualClock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        clock.advance(0.25)
        return _echo(request)

    with httpx.Client(
        base_url="http://id.vneid.test",
        transport=httpx.MockTransport(slow),
        event_hooks=http_event_hooks(trace, "vneid", "vneid-server"),
    ) as client:
        response = client.post(
            "/api/app/v1/sessions",
            headers={"X-VNeID-App-Version": "2.1.0"},
            json={"personal_id": "001090123456", "passcode": "482915"},
        )
    assert response.json()["session_token"] == "S3SS"  # the hook read the body, still usable
    [ex] = trace.http()
    assert (ex.actor, ex.target, ex.method, ex.status) == ("vneid", "vneid-server", "POST", 201)
    assert ex.url == "http://id.vneid.test/api/app/v1/sessions"
    assert ex.request_headers["x-vneid-app-version"] == "2.1.0"
    assert ex.request_body == {"personal_id": "001090123456", "passcode": REDACTED}
    assert ex.response_body == {"session_token": REDACTED, "level": 2}
    assert ex.duration_ms == 250.0


def test_ensure_traced_adds_hooks_once(trace: Trace) -> None:
    with httpx.Client(base_url="http://x.test", transport=httpx.MockTransport(_echo)) as client:
        ensure_traced(client, trace, "a", "b")
        ensure_traced(client, trace, "a", "b")
        client.get("/")
    assert len(trace.http()) == 1


def test_hostile_bodies_do_not_break_the_hook(trace: Trace) -> None:
    nested = b"[" * 5000 + b"]" * 5000

    def hostile(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=nested, headers={"content-type": "application/json"})

    with httpx.Client(
        transport=httpx.MockTransport(hostile), event_hooks=http_event_hooks(trace, "a", "b")
    ) as client:
        client.get("http://x.test/")
        client.post("http://x.test/", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    first, second = trace.http()
    assert first.response_body == "[unparseable or too deeply nested JSON]"
    assert second.request_body == "[text/plain, 2 bytes]"
