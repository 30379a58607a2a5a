"""``benchmarks/flowbench.py``'s same-requests floor replays a real login's own requests and
answers: if it sent anything else, the diagnostic it prints would compare a login with some
other traffic."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import flowbench


@pytest.fixture(scope="module")
def bench() -> Iterator[flowbench.Bench]:
    with flowbench.Bench.open("same-requests-test") as opened:
        yield opened


def _shape(call: flowbench.Recorded) -> tuple[Any, ...]:
    headers = sorted((k.lower(), v) for k, v in call.headers)
    return call.method, httpx.URL(call.url).path, headers, call.body


def test_a_recorded_login_is_a_warm_one_with_every_call(bench: flowbench.Bench) -> None:
    phone, backend = flowbench.record_login(bench.target, bench.persona)
    assert [httpx.URL(c.url).path for c in phone] == [
        "/api/v1/auth/vneid/start",
        "/api/app/v1/sessions",
        "/api/app/v1/authorizations",
        "/api/v1/auth/vneid/complete",
        "/api/v1/me",
    ]
    assert [(c.method, httpx.URL(c.url).path) for c in backend] == [
        ("POST", "/token"),
        ("GET", "/userinfo"),
    ]  # discovery and JWKS came from the cache
    assert all(c.status == 200 for c in phone + backend)
    assert b"id_token" in backend[0].response
    assert b"grant_type=authorization_code" in backend[0].body


def test_the_replay_sends_the_recorded_requests_and_gets_the_recorded_answers(
    bench: flowbench.Bench,
) -> None:
    same = flowbench.SameRequestsFloor(bench.target, bench.persona)
    phone, backend = same.recorded
    seen: list[flowbench.Recorded] = []
    inner_seen: list[flowbench.Recorded] = []
    for client in same._clients:
        client._transport = flowbench._Recording(client._transport, seen)
    same._inner = flowbench._AsyncRecording(same._inner, inner_seen)
    try:
        same()
    finally:
        same.close()
    assert [_shape(c) for c in seen] == [_shape(c) for c in phone]
    assert [_shape(c) for c in inner_seen] == [_shape(c) for c in backend]
    for replayed, recorded in zip(seen + inner_seen, phone + backend, strict=True):
        assert (replayed.status, replayed.response) == (recorded.status, recorded.response)
        assert sorted(replayed.response_headers) == sorted(recorded.response_headers)
