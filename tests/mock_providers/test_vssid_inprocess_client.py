"""VssID's in-process client to an embedded issuer sends what ``httpx.AsyncClient`` sends
(the same head, in the same order, and the same body), keeps a login's cookies from one
call to the next like a client does, and leaves the shared transport open."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mock_providers.vssid.issuer_client import _InProcessClient, _url

PATHS = ("/first", "/second", "/second", "/third?q=1%202")
"""The second twice (its parsed URL is remembered), one with a query (parsed anew)."""


def _echo_app(seen: list[dict[str, Any]]) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        seen.append(
            {
                "method": request.method,
                "url": str(request.url),
                "headers": request.headers.raw,
                "body": await request.body(),
            }
        )
        response = JSONResponse({"ok": True})
        if request.url.path == "/first":
            response.set_cookie("lb", "node-7")
        return response

    return Starlette(routes=[Route("/{name}", echo, methods=["GET", "POST"])])


async def _through_client(transport: httpx.AsyncBaseTransport) -> None:
    async with httpx.AsyncClient(
        transport=transport, timeout=httpx.Timeout(5.0), follow_redirects=False
    ) as client:
        for path in PATHS:
            async with client.stream(
                "POST",
                f"http://id.vneid.test{path}",
                data={"a": "1 2"},
                headers={"Accept": "application/json", "Authorization": "Basic eDp5"},
            ) as response:
                await response.aread()


async def _through_in_process(transport: httpx.AsyncBaseTransport) -> list[int]:
    client = _InProcessClient(transport, httpx.Timeout(5.0))
    statuses = []
    for path in PATHS:
        status, content = await client.fetch(
            "POST",
            f"http://id.vneid.test{path}",
            data={"a": "1 2"},
            headers={"Accept": "application/json", "Authorization": "Basic eDp5"},
        )
        assert content == b'{"ok":true}'
        statuses.append(status)
    return statuses


def test_the_in_process_client_sends_what_an_async_client_sends() -> None:
    by_client: list[dict[str, Any]] = []
    by_ours: list[dict[str, Any]] = []
    asyncio.run(_through_client(httpx.ASGITransport(app=_echo_app(by_client))))
    transport = httpx.ASGITransport(app=_echo_app(by_ours))
    assert asyncio.run(_through_in_process(transport)) == [200] * len(PATHS)
    assert by_ours == by_client
    assert (b"cookie", b"lb=node-7") in by_ours[1]["headers"]  # the login's cookie came back
    assert (b"cookie", b"lb=node-7") not in by_ours[0]["headers"]


def test_only_urls_without_a_query_are_parsed_once() -> None:
    assert _url("http://id.vneid.test/token") is _url("http://id.vneid.test/token")
    assert _url("http://id.vneid.test/token") == httpx.URL("http://id.vneid.test/token")
    with_secret = "http://id.vneid.test/userinfo?access_token=SECRET"
    assert _url(with_secret) == with_secret  # a str: nothing about it is kept
    with_user = "http://vssid:SECRET@id.vneid.test/token"
    assert _url(with_user) == with_user
