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
            return httpx.Response(status, json={"error": "x", "error_description": "no",
                                                "clause": "A-1"})
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
