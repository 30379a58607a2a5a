"""Small hand-made trace events for the reports' unit tests."""

from __future__ import annotations

from typing import Any

from harness.protocol import ManualClock
from harness.trace import AppSwitched, HttpExchange, LinkOpened, ScreenShown, StoreOpened, Trace

AUTHORIZE = (
    "vneid://authorize?response_type=code&client_id=vssid&state=s1&nonce=n1"
    "&code_challenge=abc&code_challenge_method=S256"
)
CALLBACK = "vssid://auth/vneid/callback?code=C0DE-SECRET-0001&state=s1&iss=http%3A%2F%2Fid"


def http(
    actor: str = "vssid",
    target: str = "vssid-backend",
    method: str = "POST",
    url: str = "http://api.vssid.test/api/v1/auth/vneid/start",
    status: int = 200,
    **kwargs: Any,
) -> HttpExchange:
    values: dict[str, Any] = {
        "request_headers": {"X-VssID-App-Version": "1.6.7"},
        "request_body": {},
        "response_body": {"transaction_id": "t1"},
        "duration_ms": 1.5,
    }
    values.update(kwargs)
    return HttpExchange(actor=actor, target=target, method=method, url=url, status=status, **values)


def login_trace() -> Trace:
    """A trace of the §4 hops, recorded (so redacted) on a manual clock."""
    trace = Trace(ManualClock())
    trace.record(AppSwitched(from_app=None, to_app="vssid", reason="user"))
    trace.record(ScreenShown(app="vssid", screen_id="vssid-login", texts=("VssID",)))
    trace.record(http())
    trace.record(LinkOpened(source="vssid", url=AUTHORIZE, target="vneid", form="custom"))
    trace.record(
        http(
            "vneid",
            "vneid-server",
            url="http://id.vneid.test/api/app/v1/sessions",
            request_body={"personal_id": "079203000012", "passcode": "482915"},
            response_body={"session_token": "SESSION-SECRET-0001", "level": 2},
        )
    )
    trace.record(LinkOpened(source="vneid", url=CALLBACK, target="vssid", form="custom"))
    trace.record(
        http(
            url="http://api.vssid.test/api/v1/auth/vneid/complete",
            status=400,
            response_body={"error": "state_mismatch", "clause": "R-1"},
        )
    )
    trace.record(ScreenShown(app="vssid", screen_id="app-error", texts=("state_mismatch",)))
    trace.record(StoreOpened(app_id="vneid", platform="ios", url="https://apps.apple.com/x"))
    return trace
