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
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["HarnessClient", "ResponseCookies"]

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
    ``client.cookies = …``); everything else is httpx's."""

    def __init__(self, *, cookies: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = ResponseCookies(cookies)
