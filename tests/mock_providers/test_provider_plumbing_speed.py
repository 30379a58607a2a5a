"""Provider plumbing that exists for speed, and must change nothing else.

The request log keeps each exchange's headers packed into one ``bytes`` (a thousand logged
exchanges of thirty small objects each cost every request about 20 µs); reading the log must
give back exactly the headers the request carried, in order. The embedded providers read
bodies without the 408 timer, the others keep it. The request head is checked with a fast
path (one dict of the headers, kept for :func:`header`), JSON bodies skip the value walk when
no escape or deep nesting can be in them, and responses are rendered by one shared encoder:
each must answer exactly what the plain way answers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from harness.protocol import ProtocolError
from mock_providers._bodies import _check_json_value
from mock_providers._http import (
    MAX_HEADER_BYTES,
    MAX_JSON_DEPTH,
    SINGLE_HEADERS,
    FastJSONResponse,
    head_problem,
    header,
    read_json_object,
)
from mock_providers.request_log import _pack_headers, _unpack_headers

TOKEN = st.binary(min_size=1, max_size=20).filter(lambda b: b":" not in b)
"""A header name: RFC 9110 field names never hold ':'."""
VALUE = st.binary(max_size=60)


@given(st.lists(st.tuples(TOKEN, VALUE), max_size=12))
def test_headers_read_back_exactly_as_they_came(headers: list[tuple[bytes, bytes]]) -> None:
    assert _unpack_headers(_pack_headers(headers)) == headers


def test_a_value_holding_cr_lf_is_kept_as_a_list_not_packed() -> None:
    headers = [(b"x-a", b"one\r\ntwo"), (b"host", b"vneid.test")]
    packed = _pack_headers(headers)
    assert packed == headers
    assert packed is not headers  # a copy: the request's own list may be reused
    assert _unpack_headers(packed) == headers


def test_values_with_colons_and_no_headers_at_all() -> None:
    headers = [(b"authorization", b"Basic a:b"), (b"x-empty", b"")]
    assert _pack_headers(headers) == b"authorization:Basic a:b\r\nx-empty:"
    assert _unpack_headers(_pack_headers(headers)) == headers
    assert _unpack_headers(_pack_headers([])) == []


def test_only_the_embedded_providers_read_bodies_without_a_timer() -> None:
    """The embedded transports hand over whole bodies, so the embedded providers skip the
    408 timer; a provider built any other way (served, or by a test) keeps it."""
    from harness.targets import embedded_target
    from mock_providers.vneid import VNeIDProvider

    target = embedded_target(seed="timer")
    try:
        for provider in (target.vneid.embedded, target.vssid.embedded):
            assert provider.app.bodies_in_memory is True
        assert getattr(VNeIDProvider().app, "bodies_in_memory", False) is False
    finally:
        target.close()


def _plain_head_problem(headers: list[tuple[bytes, bytes]], limit: int) -> str | None:
    """The head check done the plain way: one pass, every name lowered."""
    size, seen = 0, set()
    for name, value in headers:
        size += len(name) + len(value) + 4
        lowered = name.lower()
        if lowered.decode("latin-1") in SINGLE_HEADERS:
            if lowered in seen:  # V-3: two version headers are no version
                return (
                    "app_version_invalid"
                    if lowered.endswith(b"-app-version")
                    else "invalid_request"
                )
            seen.add(lowered)
    return "request_header_fields_too_large" if size > limit else None


NAMES = st.sampled_from(
    [
        b"authorization",
        b"Authorization",
        b"content-type",
        b"accept",
        b"x-vssid-app-version",
        b"X-Device-Platform",
        b"cookie",
        b"host",
        b"x-custom",
        b"1-2",
    ]
)


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
    }


@given(
    st.lists(st.tuples(NAMES, st.binary(max_size=40)), max_size=10),
    st.sampled_from([64, 200, MAX_HEADER_BYTES]),
)
def test_the_head_check_answers_what_the_plain_check_answers(
    headers: list[tuple[bytes, bytes]], limit: int
) -> None:
    problem = head_problem(_scope(headers), limit)
    assert (problem.code if problem else None) == _plain_head_problem(headers, limit)


@given(
    st.lists(st.tuples(NAMES.map(bytes.lower), st.binary(max_size=20)), max_size=8),
    NAMES.map(bytes.lower),
)
def test_header_answers_what_starlette_headers_answer(
    headers: list[tuple[bytes, bytes]], name: bytes
) -> None:
    scope = _scope(headers)
    expected = Request(scope).headers.get(name.decode("latin-1"))
    assert header(Request(scope), name) == expected  # made on first use
    head_problem(scope)
    assert header(Request(scope), name) == expected  # kept by the head check


def _read(body: bytes, chunks: int = 1) -> Any:
    size = max(1, -(-len(body) // chunks))
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    scope = _scope([(b"content-type", b"application/json")])
    return asyncio.run(read_json_object(Request(scope, receive), clause="A-1"))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=40,
)


@given(st.dictionaries(st.text(max_size=6), JSON, max_size=4), st.booleans(), st.integers(1, 3))
def test_json_bodies_are_judged_as_the_full_walk_judges_them(
    value: dict[str, Any], ascii_only: bool, chunks: int
) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    try:
        _check_json_value(value, "A-1")
        expected: Any = value
    except ProtocolError as exc:
        expected = exc.description
    try:
        got: Any = _read(body, chunks)
    except ProtocolError as exc:
        got = exc.description
    assert got == expected


def test_deep_nesting_and_lone_surrogates_are_still_refused() -> None:
    deep = b'{"a":' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH
    assert _read(deep)  # exactly the deepest allowed
    with pytest.raises(ProtocolError, match="nested deeper"):
        _read(b'{"a":' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}")
    with pytest.raises(ProtocolError, match="lone surrogate"):
        _read(b'{"a":"\\ud800"}')
    assert _read(b'{"a":"\\ud83d\\ude00"}') == {"a": "\U0001f600"}


def test_a_client_that_goes_away_mid_body_is_a_disconnect() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    scope = _scope([(b"content-type", b"application/json")])
    with pytest.raises(ClientDisconnect):
        asyncio.run(read_json_object(Request(scope, receive), clause="A-1"))


@given(JSON)
def test_responses_are_rendered_byte_for_byte_as_starlette_renders_them(value: Any) -> None:
    ours = FastJSONResponse(value, headers={"Cache-Control": "no-store"})
    theirs = JSONResponse(value, headers={"Cache-Control": "no-store"})
    assert ours.body == theirs.body
    assert ours.raw_headers == theirs.raw_headers


def test_a_logged_exchange_keeps_only_plain_data() -> None:
    """A log entry holds bytes, text and numbers, never the request's scope, its
    ``receive``/``send`` callables or the response: each entry kept the whole request's
    objects alive once (+11 MiB over 2,000 logged exchanges in ``bench_world.py memory``)."""
    import gc

    from harness.targets import embedded_target

    target = embedded_target(seed="plain-log")
    try:
        with target.vssid.client() as client:
            client.post(
                "/api/v1/auth/vneid/start",
                json={},
                headers={"X-VssID-App-Version": "1.6.7", "X-Device-Platform": "ios"},
            )
        entry = target.vssid.embedded.requests._items[-1]
        kept = [v for v in gc.get_referents(entry) if v is not type(entry)]
        assert kept
        for value in kept:
            assert isinstance(value, bytes | str | float | int | type(None)), type(value)
        assert entry.read().path == "/api/v1/auth/vneid/start"
    finally:
        target.close()
