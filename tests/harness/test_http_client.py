"""The harness's HTTP client and the in-process transport: cookies kept exactly as httpx keeps
them, with the cookie jar skipped for responses that set none; requests reach the app as sent."""

from __future__ import annotations

import json
import os
from http.cookiejar import CookieJar
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness import http_client
from harness.embedded import SyncASGITransport
from harness.http_client import (
    LOOPBACK_HOSTS,
    HarnessClient,
    ResponseCookies,
    bypass_proxies_for_loopback,
)


def _cookie_server(request: httpx.Request) -> httpx.Response:
    """Sets ``sid`` on /login (``Set-Cookie`` spelt as given in ``?name=``), echoes the
    request's Cookie header everywhere else."""
    if request.url.path == "/login":
        name = request.url.params.get("name", "Set-Cookie")
        return httpx.Response(200, headers=[(name, "sid=abc; Path=/")], json={})
    return httpx.Response(200, json={"cookie": request.headers.get("cookie")})


@pytest.fixture
def jar_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = CookieJar.extract_cookies

    def spy(self: CookieJar, response: Any, request: Any) -> None:
        calls.append(request.get_full_url())
        original(self, response, request)

    monkeypatch.setattr(CookieJar, "extract_cookies", spy)
    return calls


def test_a_response_without_cookies_skips_the_jar(jar_calls: list[str]) -> None:
    with HarnessClient(
        transport=httpx.MockTransport(_cookie_server), base_url="http://app.test"
    ) as client:
        assert client.get("/me").json() == {"cookie": None}
    assert jar_calls == []


@pytest.mark.parametrize("header", ["Set-Cookie", "set-cookie", "SET-COOKIE"])
def test_a_set_cookie_is_kept_and_sent_back(jar_calls: list[str], header: str) -> None:
    with HarnessClient(
        transport=httpx.MockTransport(_cookie_server), base_url="http://app.test"
    ) as client:
        client.get("/login", params={"name": header})
        assert client.cookies.get("sid") == "abc"
        assert client.get("/me").json() == {"cookie": "sid=abc"}
    assert jar_calls == [f"http://app.test/login?name={header}"]


def test_the_jar_stays_a_response_cookies_when_replaced() -> None:
    with HarnessClient(
        transport=httpx.MockTransport(_cookie_server),
        base_url="http://app.test",
        cookies={"lang": "vi"},
    ) as client:
        assert isinstance(client.cookies, ResponseCookies)
        assert client.get("/me").json() == {"cookie": "lang=vi"}
        client.cookies = {"lang": "en"}
        assert isinstance(client.cookies, ResponseCookies)
        assert client.get("/me").json() == {"cookie": "lang=en"}


def test_the_same_cookies_as_a_plain_httpx_client() -> None:
    """Whatever the responses set, both clients end with the same jar."""
    paths = ["/me", "/login?name=Set-Cookie", "/me", "/login?name=Set-Cookie2", "/me"]
    jars = []
    for cls in (httpx.Client, HarnessClient):
        with cls(
            transport=httpx.MockTransport(_cookie_server), base_url="http://app.test"
        ) as client:
            seen = [client.get(path).json() for path in paths]
            jars.append((sorted((c.name, c.value, c.path) for c in client.cookies.jar), seen))
    assert jars[0] == jars[1]


async def _echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "headers": [[k, v] for k, v in request.headers.items()],
        },
        headers={"X-Answer": "yes"},
    )


def test_the_in_process_transport_delivers_the_request_as_sent() -> None:
    app = Starlette(routes=[Route("/echo", _echo, methods=["GET", "POST"])])
    with HarnessClient(transport=SyncASGITransport(app), base_url="http://app.test") as client:
        posted = client.post(
            "/echo", params={"q": "1"}, json={"a": "ă"}, headers={"X-VssID-App-Version": "1.6.7"}
        )
        got = client.get("/echo")
    seen = posted.json()
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/echo", "q=1")
    assert json.loads(seen["body"]) == {"a": "ă"}
    headers = dict(seen["headers"])
    assert headers["x-vssid-app-version"] == "1.6.7"
    assert headers["content-length"] == str(len(seen["body"].encode()))
    assert posted.headers["x-answer"] == "yes"
    assert posted.request.url == "http://app.test/echo?q=1"
    assert "content-length" not in dict(got.json()["headers"])
    assert got.json()["body"] == ""


@pytest.mark.parametrize(
    "base_url", ["http://app.test", "http://app.test/sub/", "http://app.test/sub"]
)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/me",
        "api/v1/me",
        "/",
        "",
        "http://other.test/x",
        "/a%20b/ă",
        "/search?q=1",
        "/page#top",
    ],
)
def test_urls_resolve_as_httpx_resolves_them(base_url: str, url: str) -> None:
    with httpx.Client(base_url=base_url) as plain, HarnessClient(base_url=base_url) as ours:
        expected = plain.build_request("GET", url, params={"p": "2"}).url
        assert ours.build_request("GET", url, params={"p": "2"}).url == expected
        assert ours.build_request("GET", url, params={"p": "2"}).url == expected  # remembered


def test_only_urls_without_query_or_fragment_are_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    remembered: list[tuple[str, str]] = []
    resolved = http_client._resolved

    def spy(base_url: str, url: str) -> httpx.URL:
        remembered.append((base_url, url))
        return resolved(base_url, url)

    monkeypatch.setattr(http_client, "_resolved", spy)
    with HarnessClient(base_url="http://app.test") as client:
        base = str(client.base_url)
        client.build_request("GET", "/me")
        client.build_request("GET", "/cb?code=SECRET-CODE")
        client.build_request("GET", "/cb#access_token=SECRET")
    with HarnessClient(base_url="http://user:SECRET@app.test") as client:
        assert client.build_request("GET", "/me").url == "http://user:SECRET@app.test/me"
    assert remembered == [(base, "/me")]


def test_a_new_base_url_resolves_anew() -> None:
    with HarnessClient(base_url="http://one.test") as client:
        assert client.build_request("GET", "/me").url == "http://one.test/me"
        client.base_url = "http://two.test/api"
        assert client.build_request("GET", "/me").url == "http://two.test/api/me"


def test_urls_are_remembered_across_clients() -> None:
    urls = []
    for _ in range(2):
        with HarnessClient(base_url="http://app.test") as client:
            urls.append(client.build_request("GET", "/api/v1/me").url)
    assert urls[0] == urls[1] == "http://app.test/api/v1/me"
    assert urls[0]._uri_reference is urls[1]._uri_reference  # parsed once


LOOPBACK = ",".join(LOOPBACK_HOSTS)


@pytest.mark.parametrize(
    ("env", "no_proxy"),
    [
        ({}, None),  # no proxy: untouched
        ({"HTTPS_PROXY": ""}, None),  # an empty one is none
        ({"HTTP_PROXY": "http://proxy:3128"}, LOOPBACK),
        ({"all_proxy": "socks5://proxy:1080"}, LOOPBACK),
        (
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com, .corp"},
            "example.com,.corp," + LOOPBACK,
        ),
        ({"http_proxy": "http://p:1", "no_proxy": "b.test"}, "b.test," + LOOPBACK),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "localhost"}, "localhost,127.0.0.1,::1"),
    ],
    ids=["none", "empty", "http", "all", "kept", "lower-case", "partly"],
)
def test_loopback_is_added_to_no_proxy_when_a_proxy_is_set(
    env: dict[str, str], no_proxy: str | None
) -> None:
    changed = bypass_proxies_for_loopback(env)
    assert changed is (no_proxy is not None)
    if no_proxy is not None:
        assert env["NO_PROXY"] == env["no_proxy"] == no_proxy


def test_each_no_proxy_variable_keeps_its_own_entries() -> None:
    """urllib reads the lower-case name first, other tools (Go's) the upper-case one: when
    they differ, each gets loopback added to what it held."""
    env = {"http_proxy": "http://p:1", "NO_PROXY": "a.test", "no_proxy": "b.test"}
    assert bypass_proxies_for_loopback(env) is True
    assert env["NO_PROXY"] == "a.test," + LOOPBACK
    assert env["no_proxy"] == "b.test," + LOOPBACK


@pytest.mark.parametrize("no_proxy", ["*", "127.0.0.1,localhost,::1,other"])
def test_a_no_proxy_that_already_covers_loopback_is_left_as_it_is(no_proxy: str) -> None:
    env = {"HTTP_PROXY": "http://p:1", "NO_PROXY": no_proxy}
    assert bypass_proxies_for_loopback(env) is False
    assert env == {"HTTP_PROXY": "http://p:1", "NO_PROXY": no_proxy}


def test_httpx_then_sends_loopback_requests_direct_and_others_through_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    bypass_proxies_for_loopback()
    with httpx.Client() as client:
        assert client._transport_for_url(httpx.URL("http://127.0.0.1:8801/")) is client._transport
        assert client._transport_for_url(httpx.URL("http://localhost:8801/")) is client._transport
        assert (
            client._transport_for_url(httpx.URL("http://idp.example.test/"))
            is not client._transport
        )
