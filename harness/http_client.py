"""The harness's HTTP client: ``httpx.Client``, minus the cookie work a cookieless response
does not need.

httpx hands every response to its cookie jar, which builds a ``urllib`` request and an
``email`` message out of all the request's and the response's headers before urllib's
``CookieJar`` looks for ``Set-Cookie``. The providers' app and OIDC APIs set no cookies, so
for an in-process request that was about 30 µs, a sixth of the round trip
(``benchmarks/JOURNAL.md``, "Sixth stop"). :class:`ResponseCookies` hands a response to the jar
only when it has a ``Set-Cookie`` (or ``Set-Cookie2``) header: the jar ends up exactly as
before, and a browser session's cookies (the phone's web pages) are kept and sent back as
they were.

It also remembers the URLs it has resolved against a ``base_url``: httpx parses each URL
string again for every request, checking it character by character in Python, and the
harness's apps call the same few paths over and over, from a new client on every simulated
phone. The process keeps the last :data:`MAX_REMEMBERED_URLS` of them, by base URL and URL.
Only URLs without a query or fragment are remembered, against base URLs without a user or
password, so no token, code or credential stays in memory this way.

Its calls to a remote target (a vendor's server, a served mock; ``deadline`` set) go through
a :class:`RemoteTransport`: a whole exchange is bounded, and what goes wrong names the call
(a timeout, a broken connection, a body that is not JSON, a key the answer lacks).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, MutableMapping
from functools import lru_cache
from typing import Any

import httpx

__all__ = [
    "LOOPBACK_HOSTS",
    "MAX_REMEMBERED_URLS",
    "Answer",
    "HarnessClient",
    "MissingKey",
    "NotJSON",
    "RemoteTransport",
    "ResponseCookies",
    "bypass_proxies_for_loopback",
    "call_name",
    "redirect_note",
    "redact_http_client_logs",
    "transport_failures",
]

MAX_REMEMBERED_URLS = 1024

_SET_COOKIE = frozenset({b"set-cookie", b"set-cookie2"})

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The hosts no request of the harness sends through a proxy: where the embedded-by-default
providers are served, the phone screen server and the Appium server listen."""


class _RedactingFilter(logging.Filter):
    """Takes the secrets out of a log record of the HTTP clients (S-5): httpx logs each
    request's URL at INFO (``?access_token=…``, ``user:password@``), httpcore its heads at
    DEBUG; ``pytest --log-cli-level=INFO`` or a team's logging shows them. Runs only for a
    record a logger emits (none at the default level, WARNING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from harness.protocol.redaction import redact_secret_shapes

        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit: left to logging's own
            return True  # handling, which reports it
        clean = redact_secret_shapes(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_REDACTING = _RedactingFilter()


_HTTP_CLIENT_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
"""Where httpx and httpcore log: a logger's filters see only the records logged on it, not
those of its children, so each one httpcore logs on is named."""


def redact_http_client_logs() -> None:
    """Install the redaction of :class:`_RedactingFilter` on the httpx and httpcore loggers
    (once; the pytest plugin and the CLI call it)."""
    for name in _HTTP_CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTING not in logger.filters:
            logger.addFilter(_REDACTING)


def bypass_proxies_for_loopback(environ: MutableMapping[str, str] | None = None) -> bool:
    """Add :data:`LOOPBACK_HOSTS` to ``NO_PROXY`` (and ``no_proxy``) when a proxy is set.

    httpx, like urllib, sends a request to ``127.0.0.1`` through ``HTTP_PROXY`` unless
    ``NO_PROXY`` names it, and a CI machine behind a corporate proxy often sets the one and not
    the other: every call to a served provider, the VssID mock's calls to its VNeID, the
    preflight and the Appium server's health check then went to the proxy, which cannot reach
    this machine's loopback. Loopback is never proxied here, as Go's and Chromium's clients
    already do; other hosts (a vendor's provider) keep the proxy. The environment is changed
    so that every client of the process and of its children (pytest-xdist workers, ``serve``)
    agrees. Returns whether it changed anything."""
    env = os.environ if environ is None else environ
    if not any(_variable(env, f"{scheme}_proxy") for scheme in ("http", "https", "all")):
        return False
    changed = False
    effective = _variable(env, "no_proxy")
    for name in ("NO_PROXY", "no_proxy"):  # each keeps its own entries: tools differ in
        current = env.get(name, effective)  # which one they read
        named = [host.strip() for host in current.split(",") if host.strip()]
        if "*" in named or all(host in named for host in LOOPBACK_HOSTS):
            continue
        env[name] = ",".join([*named, *(host for host in LOOPBACK_HOSTS if host not in named)])
        changed = True
    return changed


def _variable(env: MutableMapping[str, str], name: str) -> str:
    """A ``*_proxy`` variable as urllib (and so httpx) reads it, in any case of its name; the
    lower-case name wins."""
    if name in env:
        return env[name]
    return next((value for key, value in env.items() if key.lower() == name and value), "")


class ResponseCookies(httpx.Cookies):
    """``httpx.Cookies`` that reads a response only when it sets a cookie."""

    def extract_cookies(self, response: httpx.Response) -> None:
        for name, _ in response.headers.raw:
            if name.lower() in _SET_COOKIE:
                super().extract_cookies(response)
                return


def call_name(request: httpx.Request) -> str:
    """``METHOD scheme://host[:port]/path`` of ``request``: no user, password or query (a
    code, a state: S-5), for a message that names the call that failed."""
    url = request.url
    return f"{request.method} {url.scheme}://{url.netloc.decode('ascii')}{url.path}"


def redirect_note(response: httpx.Response) -> str:
    """For a redirect (3xx): `` (a redirect to https://host/path, which the harness does
    not follow)``, the ``Location`` without its user, password, query or fragment (a code, a
    state: S-5); else ``""``. A vendor's server behind a proxy that sends http to https, or
    a login page, said only ``answered 302 with a body that is not JSON``."""
    if not 300 <= response.status_code < 400:
        return ""
    location = response.headers.get("location", "").strip()
    if not location:
        return " (a redirect without a Location, which the harness does not follow)"
    try:
        url = httpx.URL(location)
    except httpx.InvalidURL:
        return " (a redirect to a Location that is no URL, which the harness does not follow)"
    where = f"{url.scheme}://{url.netloc.decode('ascii')}" if url.is_absolute_url else ""
    return f" (a redirect to {where}{url.path}, which the harness does not follow)"


class _Failures:
    """How many exchanges the :class:`RemoteTransport` of this process saw fail (timed out,
    refused, broken): the pytest plugin tells from it that a failed test could not reach a
    target even where an app turned the failure into an error screen."""

    count = 0


def transport_failures() -> int:
    """The exchanges with a remote target that failed in this process so far."""
    return _Failures.count


class MissingKey(KeyError, AssertionError):
    """A key a test read from an answer that does not hold it: says which call answered
    what (status, its ``error`` code, the keys it has; never their values: S-5). An
    ``AssertionError`` too: the target's answer lacks what the test checks for, so reports
    file it as a failure (Allure: *failed*), not as a test error (*broken*)."""

    def __init__(self, key: object, where: str) -> None:
        super().__init__(key)
        self.where = where

    def __str__(self) -> str:
        return f"{self.args[0]!r} is not in the answer to {self.where}"


class Answer(dict[str, Any]):
    """A JSON object a remote target answered: a ``dict`` whose missing key raises
    :class:`MissingKey`, naming the call, instead of a bare ``KeyError: 'id_token'``."""

    __slots__ = ("where",)

    def __init__(self, value: Any = (), where: str = "a call") -> None:
        super().__init__(value)  # (copies made as dict(pairs), by dataclasses.asdict say, too)
        self.where = where

    def __missing__(self, key: object) -> Any:
        error = self.get("error")
        code = f" {error}" if isinstance(error, str) else ""
        keys = ", ".join(map(str, self)) or "none"
        raise MissingKey(key, f"{self.where}{code}; its keys: {keys}")


class NotJSON(json.JSONDecodeError, AssertionError):
    """A remote target's answer that is not JSON where JSON was due, naming the call. An
    ``AssertionError`` too, as :class:`MissingKey` is: the target's failure, filed as one."""


class _RemoteResponse(httpx.Response):
    """A remote target's answer, whose :meth:`json` names the call when the body is not JSON
    (a vendor's server cut off mid-body: ``Unterminated string …`` said nothing of where) and
    gives an object as an :class:`Answer`."""

    def json(self, **kwargs: Any) -> Any:
        try:
            value = super().json(**kwargs)
        except ValueError as exc:  # JSONDecodeError, or a body that is not UTF-8
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise NotJSON(
                f"{call_name(self.request)} answered {self.status_code}{redirect_note(self)} "
                "with a body that is not "
                f"JSON ({why}; {len(self.content)} bytes, {self.headers.get('content-type')!r})",
                self.text,
                getattr(exc, "pos", 0),
            ) from None
        if type(value) is dict:
            return Answer(value, f"{call_name(self.request)} ({self.status_code})")
        return value


class RemoteTransport(httpx.BaseTransport):
    """The transport of the harness's calls to a remote target (a vendor's server, a served
    mock). It bounds a whole exchange, not each read: httpx's read timeout restarts with
    every chunk, so a server trickling its answer a byte a second held a test (and the run)
    for as many seconds as the body had bytes. A chunk that comes past ``seconds`` from the
    request's start raises :class:`httpx.ReadTimeout` (one that does not come, the client's
    read timeout), so an exchange ends within ``seconds`` plus one read timeout. Every
    transport failure it passes on names the call (``POST http://host/token: no answer
    within the timeout``), which httpx's own words do not, and so does an answer's
    ``json()`` (:class:`_RemoteResponse`)."""

    def __init__(self, inner: httpx.BaseTransport, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.monotonic()
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError as exc:
            raise _named(exc, request) from exc
        return _RemoteResponse(
            response.status_code,
            headers=response.headers,
            request=request,
            extensions=response.extensions,
            stream=_BoundedStream(response.stream, request, start, self.seconds),
        )

    def close(self) -> None:
        self.inner.close()


class _BoundedStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, request: httpx.Request, start: float, seconds: float) -> None:
        self._inner = inner
        self._request = request
        self._deadline = start + seconds
        self._seconds = seconds

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except httpx.TransportError as exc:
                raise _named(exc, self._request) from exc
            if time.monotonic() > self._deadline:
                _Failures.count += 1
                raise httpx.ReadTimeout(
                    f"{call_name(self._request)}: the answer was not complete within "
                    f"{self._seconds:g} s (its body still coming; a whole exchange must "
                    "end within that)",
                    request=self._request,
                )
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def _named(exc: httpx.TransportError, request: httpx.Request) -> httpx.TransportError:
    """``exc`` again, its message naming the call; counted (:func:`transport_failures`)."""
    _Failures.count += 1
    said = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        said = f"no answer within the timeout ({said})"
    return type(exc)(f"{call_name(request)}: {said}", request=request)


class HarnessClient(httpx.Client):
    """``httpx.Client`` whose cookie jar is a :class:`ResponseCookies` (also after
    ``client.cookies = …``) and which remembers the URLs it resolved; everything else is
    httpx's. With ``deadline`` (seconds), every exchange goes through a
    :class:`RemoteTransport`: bounded as a whole, its failures naming the call."""

    def __init__(
        self, *, cookies: Any = None, deadline: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.cookies = cookies
        self._deadline = deadline
        self._base: httpx.URL | None = None
        self._base_key: str | None = None
        """``str(base_url)`` while it has no user or password, else ``None``."""

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:
        if isinstance(url, str) and "?" not in url and "#" not in url:
            base = self.base_url
            if base is not self._base:
                self._base = base
                self._base_key = None if base.userinfo else str(base)
            if self._base_key is not None:
                url = _resolved(self._base_key, url)
        return super().build_request(method, url, **kwargs)

    def _transport_for_url(self, url: httpx.URL) -> httpx.BaseTransport:
        transport = super()._transport_for_url(url)
        if self._deadline is None:
            return transport
        return RemoteTransport(transport, self._deadline)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._jar = ResponseCookies(cookies)


@lru_cache(maxsize=MAX_REMEMBERED_URLS)
def _resolved(base_url: str, url: str) -> httpx.URL:
    """``url`` merged with ``base_url`` as httpx merges them (appended to the base's path)."""
    resolved = httpx.URL(url)
    if not resolved.is_relative_url:
        return resolved
    base = httpx.URL(base_url)
    return base.copy_with(raw_path=base.raw_path + resolved.raw_path.lstrip(b"/"))
