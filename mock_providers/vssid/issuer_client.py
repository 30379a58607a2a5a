"""Calls to the issuer: discovery (T-4), JWKS (R-5), token (T-1, T-2) and userinfo (T-5).

Every call goes through the configured ``issuer_transport`` with a time limit, a cap on the
answer's size and a record in the :class:`OutgoingLog`. Whatever the issuer does (refuse the
connection, hang, answer garbage), the relying party answers 502 ``provider_unavailable``
naming the clause of the call, never a 500 or a hang. Discovery and JWKS are cached until
:meth:`IssuerClient.clear_caches` (``configure``); an unknown ``kid`` forces one JWKS re-fetch.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from harness.protocol import Clock, ProtocolError, paths
from harness.protocol.basic_auth import encode_basic
from harness.protocol.redaction import redact_secret_shapes
from harness.protocol.text import clip
from mock_providers._tls import certificate_hint, tls_context
from mock_providers.vssid.outgoing import OutgoingLog, Purpose
from mock_providers.vssid.responses import (
    Discovery,
    TokenResponse,
    json_object,
    parse_token_response,
)
from mock_providers.vssid.responses import provider_unavailable as _unavailable
from mock_providers.vssid.settings import VssIDSettings
from mock_providers.vssid.signature import SigningKey, parse_jwks

__all__ = ["MAX_ISSUER_BODY", "SESSION_BUDGET", "IssuerClient", "IssuerSession"]

MAX_ISSUER_BODY = 1024 * 1024
SESSION_BUDGET = 2.5
"""All issuer calls of one login together get this many times ``issuer_timeout``."""


class IssuerClient:
    """Owns the caches and the outgoing record; :meth:`session` opens one login's calls."""

    def __init__(
        self, *, clock: Clock, outgoing: OutgoingLog, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self.clock = clock
        self.outgoing = outgoing
        self.transport = transport
        self.discovery_cache: dict[str, Discovery] = {}
        self.jwks_cache: dict[str, list[SigningKey]] = {}

    def clear_caches(self) -> None:
        self.discovery_cache.clear()
        self.jwks_cache.clear()

    @asynccontextmanager
    async def session(self, settings: VssIDSettings) -> AsyncIterator[IssuerSession]:
        """One login's calls, each limited to ``issuer_timeout`` and all together to
        :data:`SESSION_BUDGET` times it (so a slow issuer cannot outlast the caller's wait):
        each call runs under the nearer of its own deadline and the login's."""
        timeout = httpx.Timeout(settings.issuer_timeout)
        deadline = asyncio.get_running_loop().time() + settings.issuer_timeout * SESSION_BUDGET
        if self.transport is not None:  # embedded: the issuer's app in this process
            yield IssuerSession(self, settings, _InProcessClient(self.transport, timeout), deadline)
            return
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, verify=tls_context()
        ) as client:
            yield IssuerSession(self, settings, client, deadline)


@functools.cache
def _client_headers() -> httpx.Headers:
    """The headers an ``httpx.AsyncClient`` adds to every request (Accept, Accept-Encoding,
    Connection, User-Agent)."""
    return httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(204))).headers


@functools.lru_cache(maxsize=64)
def _parsed(url: str) -> httpx.URL:
    return httpx.URL(url)


def _url(url: str) -> httpx.URL | str:
    """The issuer's endpoint URLs, parsed once (httpx checks a URL string character by
    character in Python on every request); a URL with a query, a fragment or a user is parsed
    anew, so no token or credential in one stays in memory."""
    return url if "?" in url or "#" in url or "@" in url else _parsed(url)


class _InProcessClient:
    """For an in-process issuer, what ``httpx.AsyncClient(transport=T,
    follow_redirects=False)`` does with these calls (its default headers, the timeout, the
    login's cookies), without its per-request machinery, a third of the cost of a login's
    calls to the embedded issuer. The transport is shared, never closed here."""

    def __init__(self, transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout) -> None:
        self._transport = transport
        self._timeout = timeout.as_dict()
        self.cookies = httpx.Cookies()

    async def fetch(
        self, method: str, url: str, *, data: Mapping[str, str] | None, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        """One call: its status and whole answer (the in-process issuer's answer is in memory
        already; the caller caps its size)."""
        merged = httpx.Headers(_client_headers())
        merged.update(headers)
        request = httpx.Request(
            method,
            _url(url),
            data=data,
            headers=merged,
            cookies=self.cookies or None,
            extensions={"timeout": self._timeout},
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            if "set-cookie" in response.headers:
                self.cookies.extract_cookies(response)
            return response.status_code, await response.aread()
        finally:
            await response.aclose()


class IssuerSession:
    """The issuer calls of one login, sharing one HTTP client."""

    def __init__(
        self,
        owner: IssuerClient,
        settings: VssIDSettings,
        client: httpx.AsyncClient | _InProcessClient,
        deadline: float,
    ) -> None:
        self._owner = owner
        self._settings = settings
        self._client = client
        self._deadline = deadline
        """The loop time by which all of this login's issuer calls must be done."""

    async def _send(
        self,
        purpose: Purpose,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        at = self._owner.clock.now()
        status, error = 0, None
        call_deadline = asyncio.get_running_loop().time() + self._settings.issuer_timeout
        budget_binds = self._deadline < call_deadline
        try:
            async with asyncio.timeout_at(self._deadline if budget_binds else call_deadline):
                if isinstance(self._client, _InProcessClient):  # in memory already: no stream
                    status, content = await self._client.fetch(
                        method, url, data=form, headers=headers or {}
                    )
                else:
                    async with self._client.stream(
                        method, url, data=form, headers=dict(headers or {})
                    ) as response:
                        status = response.status_code  # recorded even if the body fails
                        received = bytearray()
                        async for chunk in response.aiter_bytes():
                            received += chunk
                            if len(received) > MAX_ISSUER_BODY:
                                break
                        content = bytes(received)
            if len(content) > MAX_ISSUER_BODY:
                error = f"answer larger than {MAX_ISSUER_BODY} bytes"
                raise _unavailable(purpose, f"the issuer's {error} at {url}")
            return status, content
        except ProtocolError:
            raise
        except asyncio.CancelledError:
            error = "cancelled before the issuer answered"
            raise
        except TimeoutError:
            if budget_binds:
                error = "cancelled: the login's time budget ran out"
                budget = self._settings.issuer_timeout * SESSION_BUDGET
                raise ProtocolError(
                    f"the issuer's answers to this login took longer than {budget:g} s in all",
                    code="provider_unavailable",
                    clause="A-6",
                ) from None
            error = f"no answer within {self._settings.issuer_timeout:g} s"
            raise _unavailable(purpose, f"the issuer at {url} gave {error}") from None
        except Exception as exc:  # any transport failure of an unreachable or broken issuer
            # an exception may quote what was sent: h11 refuses a header value with a
            # control character by quoting the whole header, "Bearer <access token>\n" (S-5)
            error = clip(redact_secret_shapes(f"{type(exc).__name__}: {exc}"), 300)
            raise _unavailable(
                purpose, f"the call to the issuer at {url} failed ({error}){certificate_hint(exc)}"
            ) from None
        finally:
            self._owner.outgoing.record(at, purpose, method, url, status, form=form, error=error)

    async def discovery(self) -> Discovery:
        """T-4: ``{issuer}/.well-known/openid-configuration``, fetched once and cached."""
        issuer = self._settings.issuer
        cached = self._owner.discovery_cache.get(issuer)
        if cached is not None:
            return cached
        url = issuer.rstrip("/") + paths.DISCOVERY
        status, content = await self._send(
            "discovery", "GET", url, headers={"Accept": "application/json"}
        )
        if status != 200:
            raise _unavailable("discovery", f"{url} answered HTTP {status}")
        found = Discovery.from_json(
            json_object(content, "discovery"),
            expected_issuer=issuer,
            need_userinfo=self._settings.fetch_userinfo,
        )
        self._owner.discovery_cache[issuer] = found
        return found

    async def signing_keys(self, *, refresh: bool = False) -> list[SigningKey]:
        """R-5: the issuer's ES256 keys from ``jwks_uri`` (cached; ``refresh`` re-fetches)."""
        uri = (await self.discovery()).jwks_uri
        cached = self._owner.jwks_cache.get(uri)
        if cached is not None and not refresh:
            return cached
        status, content = await self._send(
            "jwks", "GET", uri, headers={"Accept": "application/json"}
        )
        if status != 200:
            raise _unavailable("jwks", f"{uri} answered HTTP {status}")
        keys = parse_jwks(json_object(content, "jwks"))
        self._owner.jwks_cache[uri] = keys
        return keys

    async def redeem_code(
        self, code: str, *, redirect_uri: str, code_verifier: str
    ) -> TokenResponse:
        """T-1: the authorization-code grant with PKCE and the registered client auth."""
        endpoint = (await self.discovery()).token_endpoint
        s = self._settings
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        headers = {"Accept": "application/json"}
        if s.token_endpoint_auth_method == "client_secret_basic":
            headers["Authorization"] = encode_basic(s.client_id, s.client_secret)
        else:
            form |= {"client_id": s.client_id, "client_secret": s.client_secret}
        status, content = await self._send("token", "POST", endpoint, form=form, headers=headers)
        return parse_token_response(status, content)

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """T-5: the userinfo claims for the access token."""
        endpoint = (await self.discovery()).userinfo_endpoint
        if endpoint is None:
            raise _unavailable("userinfo", "the discovery document lists no userinfo_endpoint")
        status, content = await self._send(
            "userinfo",
            "GET",
            endpoint,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if status != 200:
            raise _unavailable(
                "userinfo",
                f"{endpoint} answered HTTP {status}: {content[:200].decode('utf-8', 'replace')}",
            )
        return json_object(content, "userinfo")
