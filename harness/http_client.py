"""The harness's HTTP client: ``httpx.Client``, minus the cookie work a cookieless response
does not need.

httpx hands every response to its cookie jar, which builds a ``urllib`` request and an
``email`` message out of all the request's and the response's headers before urllib's
``CookieJar`` looks for ``Set-Cookie``. The providers' app and OIDC APIs set no cookies, so
for an in-process request that was about 30 µs, a sixth of the round trip
(``benchmarks/README.md``, "Sixth stop"). :class:`ResponseCookies` hands a response to the jar
only when it has a ``Set-Cookie`` (or ``Set-Cookie2``) header: the jar ends up exactly as
before, and a browser session's cookies (the phone's web pages) are kept and sent back as
they were.

It also remembers the URLs it has resolved against its ``base_url``: httpx parses each URL
string again for every request, checking it character by character in Python, and the
harness's apps call the same few paths over and over. Only URLs without a query or fragment
are remembered (no token or code in one ever stays in memory this way), at most
:data:`MAX_REMEMBERED_URLS` per client, and all are forgotten when ``base_url`` changes.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["MAX_REMEMBERED_URLS", "HarnessClient", "ResponseCookies"]

MAX_REMEMBERED_URLS = 256

_SET_COOKIE = frozenset({b"set-cookie", b"set-cookie2"})


class ResponseCookies(httpx.Cookies):
    """``httpx.Cookies`` that reads a response only when it sets a cookie."""

    def extract_cookies(self, response: httpx.Response) -> None:
        for name, _ in response.headers.raw:
            if name.lower() in _SET_COOKIE:
                super().extract_cookies(response)
                return


class HarnessClient(httpx.Client):
    """``httpx.Client`` whose cookie jar is a :class:`ResponseCookies` (also after
    ``client.cookies = …``) and which remembers the URLs it resolved; everything else is
    httpx's."""

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = cookies
        self._resolved: dict[str, httpx.URL] = {}
        self._resolved_against: httpx.URL | None = None

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        if isinstance(url, str) and "?" not in url and "#" not in url:
            url = self._resolve(url)
        return super().build_request(method, url, **kwargs)

    def _resolve(self, url: str) -> httpx.URL:
        """``url`` merged with ``base_url`` as httpx merges them (appended to the base's
        path), remembered."""
        base = self.base_url
        if base is not self._resolved_against:
            self._resolved.clear()
            self._resolved_against = base
        resolved = self._resolved.get(url)
        if resolved is None:
            resolved = httpx.URL(url)
            if resolved.is_relative_url:
                resolved = base.copy_with(
                    raw_path=base.raw_path + resolved.raw_path.lstrip(b"/"))
            if len(self._resolved) < MAX_REMEMBERED_URLS:
                self._resolved[url] = resolved
        return resolved

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = ResponseCookies(cookies)
