"""What reporters get from harness.trace: live events (redacted) through ``subscribe``, and
``scrub`` for free text, fed by the secret values the trace redacted — never shown."""

from __future__ import annotations

import json

import httpx

from harness.protocol import ManualClock
from harness.protocol.basic_auth import encode_basic
from harness.protocol.redaction import REDACTED
from harness.trace import Event, HttpExchange, LinkOpened, ScreenShown, Trace, http_event_hooks
from tests.reports.events import CALLBACK, http, login_trace


def test_listeners_see_each_event_once_stamped_and_redacted() -> None:
    trace = Trace(ManualClock())
    seen: list[Event] = []
    stop = trace.subscribe(seen.append)
    stored = trace.record(LinkOpened(source="vneid", url=CALLBACK, target="vssid", form="custom"))
    assert seen == [stored]
    assert seen[0].seq == 0
    assert "C0DE-SECRET-0001" not in seen[0].url  # type: ignore[attr-defined]
    stop()
    stop()  # twice is harmless
    trace.record(ScreenShown(app="vssid", screen_id="vssid-home"))
    assert len(seen) == 1, "no event after unsubscribing"
    assert len(trace) == 2


def test_several_listeners_in_subscription_order() -> None:
    trace = Trace(ManualClock())
    calls: list[str] = []
    trace.subscribe(lambda e: calls.append("first"))
    trace.subscribe(lambda e: calls.append("second"))
    trace.record(ScreenShown(app="vssid", screen_id="vssid-home"))
    assert calls == ["first", "second"]


def test_scrub_removes_what_the_trace_redacted_and_nothing_else() -> None:
    trace = login_trace()
    text = (
        "got {'session_token': 'SESSION-SECRET-0001'} after passcode 482915 for "
        "079203000012; callback code C0DE-SECRET-0001, truncated ...DE-SECRET-0001 end, "
        "and on its own DE-SECRET-0001"
    )
    clean = trace.scrub(text)
    for secret in ("SESSION-SECRET-0001", "482915", "C0DE-SECRET-0001"):
        assert secret not in clean
    assert "079203000012" in clean, "a personal_id is not a secret"
    assert f"truncated ...{REDACTED} end" in clean, "beside an ellipsis a fragment goes"
    assert clean.endswith("on its own DE-SECRET-0001"), (
        "elsewhere fragments shorter than 16 characters stay"
    )
    assert clean.count(REDACTED) == 4
    assert trace.scrub("nothing secret here") == "nothing secret here"


def test_scrub_removes_long_fragments_of_a_secret() -> None:
    trace = Trace(ManualClock())
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc"
    trace.record(http(response_body={"id_token": token}))
    clean = trace.scrub(f"body={{'id_token': '...{token[30:]}'}} and {token[:20]}...")
    assert token[30:] not in clean
    assert token[:20] not in clean


def test_secrets_are_never_exposed() -> None:
    trace = login_trace()
    trace.remember_secrets("CLIENT-SECRET-9", None, "", "abc")
    shown = repr(trace) + json.dumps(trace.to_json()) + repr(trace.events)
    for secret in ("SESSION-SECRET-0001", "482915", "C0DE-SECRET-0001", "CLIENT-SECRET-9"):
        assert secret not in shown
    assert trace.scrub("CLIENT-SECRET-9 abc") == f"{REDACTED} abc", (
        "remembered, but values under 4 characters are not worth scrubbing"
    )


def test_http_hooks_feed_body_and_header_secrets_to_scrub() -> None:
    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={"access_token": "AT-123456789", "token_type": "Bearer"},
            headers={"set-cookie": "sid=COOKIE-777"},
        )

    trace = Trace(ManualClock())
    with httpx.Client(
        transport=httpx.MockTransport(app),
        base_url="http://id.vneid.test",
        event_hooks=http_event_hooks(trace, "harness-rp", "vneid-server"),
    ) as c:
        c.post(
            "/token",
            data={
                "code": "C0DE-42",
                "code_verifier": "VERIFIER-42",
                "client_secret": "POSTED-SECRET",
            },
            auth=httpx.BasicAuth("harness-rp", "BASIC-SECRET"),
        )
    [exchange] = trace.of_type(HttpExchange)
    assert exchange.response_headers["set-cookie"] == REDACTED
    dumped = json.dumps(trace.to_json())
    text = " ".join(
        [
            "AT-123456789",
            "C0DE-42",
            "VERIFIER-42",
            "POSTED-SECRET",
            "BASIC-SECRET",
            "sid=COOKIE-777",
        ]
    )
    for secret in text.split():
        assert secret not in dumped
    assert REDACTED in dumped
    clean = trace.scrub(text)
    assert clean.split() == [REDACTED] * 6, clean


def test_a_form_urlencoded_basic_secret_is_scrubbed_as_sent_and_as_it_reads() -> None:
    """RFC 6749 §2.3.1: the secret in a Basic header is form-urlencoded first, so the trace
    learns it both ways (``a+b/c`` is sent as ``a%2Bb%2Fc``), also with spaces after
    ``Basic`` (the provider reads those too)."""

    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    trace = Trace(ManualClock())
    with httpx.Client(
        transport=httpx.MockTransport(app),
        base_url="http://id.vneid.test",
        event_hooks=http_event_hooks(trace, "harness-rp", "vneid-server"),
    ) as c:
        header = encode_basic("harness-rp", "SEC+RET/BASIC 1")
        c.post(
            "/token",
            data={"grant_type": "x"},
            headers={"Authorization": header.replace(" ", "   ", 1)},
        )
    assert trace.scrub("SEC+RET/BASIC 1 SEC%2BRET%2FBASIC+1") == f"{REDACTED} {REDACTED}"
