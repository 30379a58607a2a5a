"""The request log's control calls against a target that lacks one (docs/conformance.md):
what the harness needs is named, not a bare HTTP status."""

from __future__ import annotations

import httpx
import pytest

from harness.errors import ConfigError
from harness.targets import ControlError, ProviderHandle


def _handle(status: int) -> ProviderHandle:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(
                status, json={"error": "x", "error_description": "no", "clause": "A-1"}
            )
        return httpx.Response(200, json={"requests": []})

    return ProviderHandle("vneid", "http://vendor.test", transport=httpx.MockTransport(answer))


@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_target_without_delete_is_told_what_to_offer(status: int) -> None:
    with pytest.raises(ConfigError) as caught:
        _handle(status).clear_requests()
    said = str(caught.value)
    assert f"answered HTTP {status} to DELETE /_harness/requests" in said
    assert "the harness empties the log before each test, answered 200 or 204" in said
    assert '{"requests": [...]}' in said


def test_another_refusal_is_passed_on() -> None:
    with pytest.raises(ControlError) as caught:
        _handle(403).clear_requests()
    assert caught.value.status == 403


def test_a_target_with_delete_is_cleared() -> None:
    _handle(204).clear_requests()


def _prefixed(entries: list[dict[str, object]]) -> ProviderHandle:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/idp/vneid/_harness/requests"
        return httpx.Response(200, json={"requests": entries})

    return ProviderHandle(
        "vneid", "https://vendor.test/idp/vneid", transport=httpx.MockTransport(answer)
    )


def test_a_provider_under_a_path_may_log_whole_paths_or_relative_ones() -> None:
    """A provider served under a path logged the path it received (``/idp/vneid/api/…``);
    the scenarios ask for PROTOCOL.md's (``/api/…``) and found nothing (a review)."""
    handle = _prefixed(
        [
            {"method": "POST", "path": "/idp/vneid/api/app/v1/sessions", "status": 401},
            {"method": "POST", "path": "/api/app/v1/sessions", "status": 200},
            {"method": "GET", "path": "/idp/vneidx/token", "status": 404},
            {"method": "GET", "status": 200},
        ]
    )
    sessions = handle.requests("/api/app/v1/sessions", "POST")
    assert [r["status"] for r in sessions] == [401, 200]
    assert [r.get("path") for r in handle.requests()] == [
        "/api/app/v1/sessions",
        "/api/app/v1/sessions",
        "/idp/vneidx/token",
        None,
    ]


def test_relative_paths() -> None:
    handle = _prefixed([])
    assert handle.relative_path("https://vendor.test/idp/vneid/token") == "/token"
    assert handle.relative_path("/idp/vneid/cb?code=x") == "/cb?code=x"  # a decoded ?
    assert handle.relative_path("/idp/vneid") == "/idp/vneid"
    root = ProviderHandle("vneid", "https://vendor.test/")
    assert root.relative_path("https://vendor.test/token?x=1") == "/token"
    # a decoded path holding "://" is a path, not a URL: it kept only "/authorize", and a
    # hostile request counted as one to /authorize (a re-read)
    assert root.relative_path("/authorize?next=vssid://cb") == "/authorize?next=vssid://cb"
    # a provider at /api that logs relative paths: PROTOCOL.md's paths are not cut
    api = ProviderHandle("vneid", "https://vendor.test/api")
    assert api.relative_path("/api/app/v1/sessions") == "/api/app/v1/sessions"
    assert api.relative_path("https://vendor.test/api/token") == "/token"
