"""Bad input never makes the VssID backend answer 500: every refusal is the §8 error JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.mock_providers.vssid_fixtures import VssIDWorld, assert_error, world_fixture

COMPLETE = "/api/v1/auth/vneid/complete"
FAST = settings(max_examples=60, deadline=None)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


@pytest.fixture(scope="module")
def shared_world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


def _json_post(
    world: VssIDWorld, path: str, content: bytes, ctype: str = "application/json"
) -> Any:
    return world.client.post(path, content=content, headers={"Content-Type": ctype})


@pytest.mark.clause("A-6")
@pytest.mark.parametrize(
    "content",
    [b"{oops", b"[]", b'["transaction_id"]', b'"x"', b"", b"\xff\xfe", b"[" * 100 + b"]" * 100],
)
def test_complete_refuses_bodies_that_are_not_objects(world: VssIDWorld, content: bytes) -> None:
    assert_error(_json_post(world, COMPLETE, content), 400, "invalid_request", "A-6")


@pytest.mark.clause("A-6")
def test_deeply_nested_json_is_refused_cleanly(world: VssIDWorld) -> None:
    """Needs ProviderMiddleware to survive a RecursionError (``_http._decode_body``)."""
    content = b"[" * 5000 + b"]" * 5000
    assert_error(_json_post(world, COMPLETE, content), 400, "invalid_request", "A-6")


@pytest.mark.clause("A-6")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"callback_url": "vssid://auth/vneid/callback"}, "transaction_id"),
        ({"transaction_id": 7, "callback_url": "vssid://x"}, "transaction_id"),
        ({"transaction_id": "t", "callback_url": None}, "callback_url"),
        ({"transaction_id": "t", "callback_url": {"url": "x"}}, "callback_url"),
        ({"transaction_id": "t" * 300, "callback_url": "vssid://x"}, "transaction_id"),
    ],
)
def test_complete_refuses_wrong_field_types(
    world: VssIDWorld, body: dict[str, Any], field: str
) -> None:
    response = world.client.post(COMPLETE, json=body)
    error = assert_error(response, 400, "invalid_request", "A-6")
    assert field in error["error_description"]


@pytest.mark.parametrize(
    ("path", "clause"),
    [
        ("/api/v1/auth/vneid/start", "A-1"),
        (COMPLETE, "A-6"),
        ("/_harness/accounts", "S-6"),
        ("/_harness/config", "S-6"),
    ],
)
def test_huge_bodies_are_413(world: VssIDWorld, path: str, clause: str) -> None:
    content = json.dumps({"padding": "x" * 100_000}).encode()
    assert_error(_json_post(world, path, content), 413, "payload_too_large", clause)


def test_non_json_content_type_is_415(world: VssIDWorld) -> None:
    response = _json_post(world, COMPLETE, b"transaction_id=x", "application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type", "A-6")


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/nope", 404, "not_found"),
        ("GET", "/api/v1/auth/vneid/start", 405, "method_not_allowed"),
        ("PUT", COMPLETE, 405, "method_not_allowed"),
        ("POST", "/api/v1/me", 405, "method_not_allowed"),
        ("GET", "/_harness/nothing", 404, "not_found"),
        # a trailing slash: Starlette answered 307 to the Host header's origin (an error review)
        ("POST", COMPLETE + "/", 404, "not_found"),
        ("GET", "/_harness/accounts/", 404, "not_found"),
    ],
)
def test_unknown_paths_and_methods(
    world: VssIDWorld, method: str, path: str, status: int, error: str
) -> None:
    # the endpoint's own clause, the control API's, else A-1
    clause = {COMPLETE: "A-6", "/api/v1/me": "A-6"}.get(path) or (
        "S-6" if path.startswith("/_harness/") else "A-1"
    )
    assert_error(world.client.request(method, path), status, error, clause)


@FAST
@given(body=JSON)
def test_any_json_body_to_complete_is_refused_cleanly(
    shared_world: VssIDWorld, body: object
) -> None:
    response = shared_world.client.post(COMPLETE, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert {"error", "error_description", "clause"} <= set(response.json())


@FAST
@given(
    callback=st.text(max_size=300)
    | st.from_regex(
        r"vssid://auth/vneid/callback\?(code|state|iss|error)=[^&#]{0,20}(&(code|state|iss|error)"
        r"=[^&#]{0,20}){0,4}",
        fullmatch=True,
    )
)
def test_any_callback_url_is_refused_cleanly(shared_world: VssIDWorld, callback: str) -> None:
    started = shared_world.start()
    response = shared_world.complete(started["transaction_id"], callback)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["clause"] in {"A-5", "A-6", "R-1", "R-2", "R-3", "R-4"}
    assert shared_world.fake.calls_to("/token") == []


@FAST
@given(version=st.text(max_size=80), platform=st.text(max_size=20))
def test_any_version_header_is_gated_cleanly(
    shared_world: VssIDWorld, version: str, platform: str
) -> None:
    try:
        headers = {
            "X-VssID-App-Version": version.encode("latin-1").decode("latin-1"),
            "X-Device-Platform": platform.encode("latin-1").decode("latin-1"),
        }
        response = shared_world.client.post("/api/v1/auth/vneid/start", headers=headers)
    except (UnicodeEncodeError, ValueError):
        return  # not representable as an HTTP header
    assert response.status_code in {200, 400, 426}, response.text
