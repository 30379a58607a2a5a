"""Hostile and broken input: always a §8 error with the right status, never a 500 or a hang."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HEADERS = {"X-VNeID-App-Version": "2.1.0", "Content-Type": "application/json"}
CLAUSES = {
    "/api/app/v1/sessions": "A-4",
    "/_harness/personas": "A-4",
    "/_harness/clients": "T-1",
    "/_harness/clock": "T-2",
}
JSON_ENDPOINTS = list(CLAUSES)


def _error(r):
    body = r.json()
    return r.status_code, body["error"]


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"",
        b"\xff\xfe",
        b"[" * 100 + b"]" * 100,
    ],
)
@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_malformed_or_non_object_json_is_invalid_request(vneid_http, path, content):
    r = vneid_http.post(path, content=content, headers=HEADERS)
    assert _error(r) == (400, "invalid_request")
    assert r.json()["clause"] == CLAUSES[path]


@pytest.mark.parametrize(
    "depth",
    [
        500,
        5000,
    ],
)
def test_deeply_nested_json_is_invalid_request(vneid_http, depth):
    r = vneid_http.post(
        "/api/app/v1/sessions", content=b"[" * depth + b"]" * depth, headers=HEADERS
    )
    assert _error(r) == (400, "invalid_request")


@pytest.mark.parametrize("path", [*JSON_ENDPOINTS, "/token"])
def test_oversized_body_is_payload_too_large(vneid_http, path):
    r = vneid_http.post(
        path,
        content=b'{"a": "' + b"x" * 70_000 + b'"}',
        headers={
            **HEADERS,
            "Content-Type": "application/json"
            if path != "/token"
            else "application/x-www-form-urlencoded",
        },
    )
    assert _error(r) == (413, "payload_too_large")


def test_form_body_on_a_json_endpoint_is_unsupported_media_type(vneid_http):
    r = vneid_http.post(
        "/api/app/v1/sessions", data={"personal_id": "1"}, headers={"X-VNeID-App-Version": "2.1.0"}
    )
    assert _error(r) == (415, "unsupported_media_type")


def test_repeated_form_parameters_are_invalid_request(vneid_http):
    r = vneid_http.post(
        "/token",
        content=b"grant_type=a&grant_type=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("vssid", "x"),
    )
    assert _error(r) == (400, "invalid_request")


@pytest.mark.parametrize(
    "path",
    [
        "/_harness/personas/000",
        "/_harness/personas/%00",
        "/_harness/nothing",
        "/api/app/v2/sessions",
    ],
)
def test_unknown_ids_and_paths_are_not_found(vneid_http, path):
    method = "DELETE" if "personas/" in path else "GET"
    assert _error(vneid_http.request(method, path)) == (404, "not_found")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "personal_id": _json | st.just("001099012345"),
        "passcode": _json,
        "link": _json,
        "decision": _json | st.sampled_from(["approve", "deny"]),
        "level": _json,
        "offset_seconds": _json,
        "client_id": _json,
        "redirect_uris": _json,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        ["/api/app/v1/sessions", "/api/app/v1/authorizations", *JSON_ENDPOINTS[1:]]
    ),
    body=_fields | _json,
)
def test_arbitrary_json_never_breaks_the_provider(vneid_http, path, body):
    r = vneid_http.post(
        path, content=json.dumps(body).encode(), headers={**HEADERS, "Authorization": "Bearer x"}
    )
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert set(r.json()) >= {"error", "error_description", "clause"}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.text(max_size=200),
    form=st.dictionaries(st.text(max_size=15), st.text(max_size=30), max_size=6),
)
def test_arbitrary_queries_and_forms_never_break_the_provider(vneid_http, query, form):
    assert vneid_http.get("/authorize", params={"q": query, "client_id": query}).status_code < 500
    assert vneid_http.post("/token", data=form).status_code < 500
    assert vneid_http.post("/authorize/login", data=form).status_code < 500
    assert vneid_http.post("/authorize/decision", data=form).status_code < 500
