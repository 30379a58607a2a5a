"""The public keys of ``private_key_jwt`` clients registered with a ``jwks_uri`` (§11, T-1).

§11 registers a client with ``{client_id, client_secret?, jwks_uri?, redirect_uris,
token_endpoint_auth_method}``; RFC 7591 §2: ``jwks_uri`` is the "URL referencing the client's
JSON Web Key Set document, which contains the client's public keys". The token endpoint
fetches it before it checks the code (the code is then checked and used without an ``await``,
T-2), keeps it for :data:`KEY_CACHE_SECONDS`, and fetches it again when an assertion names a
``kid`` the kept set lacks (the client rotated its key, as an RP does for an issuer's keys,
R-5), at most every :data:`REFETCH_GAP_SECONDS` per URI. A client registered with inline
``jwks`` is never fetched for.

Anything wrong with the fetch (no answer within :data:`FETCH_TIMEOUT`, not 200, more than
:data:`MAX_JWKS_BYTES`, not a public JWK Set) refuses the call as ``invalid_client`` (401,
RFC 6749 §5.2), naming the URI and the problem.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from typing import Any

import httpx

from harness.protocol import Clock, ProtocolError
from mock_providers._tls import certificate_hint, tls_context
from mock_providers.vneid.records import check_jwks

__all__ = [
    "FETCH_TIMEOUT",
    "KEY_CACHE_SECONDS",
    "MAX_JWKS_BYTES",
    "REFETCH_GAP_SECONDS",
    "ClientKeys",
]

FETCH_TIMEOUT = 5.0
"""Seconds for the whole fetch of a client's JWK Set (connect, answer, body)."""
MAX_JWKS_BYTES = 64 * 1024
KEY_CACHE_SECONDS = 300
REFETCH_GAP_SECONDS = 10
"""An unknown ``kid`` fetches the set again at most this often per URI: the ``kid`` comes
from an assertion not yet verified, so any caller could otherwise make the mock fetch on
every request."""
MAX_CACHED = 1_000
"""Sets kept at most (one per ``jwks_uri``; the oldest goes first)."""


def _refuse(description: str) -> ProtocolError:
    return ProtocolError(description, code="invalid_client", clause="T-1", status=401)


def _kids(jwks: dict[str, Any]) -> set[str]:
    return {k["kid"] for k in jwks["keys"] if isinstance(k.get("kid"), str)}


class ClientKeys:
    """Fetches and keeps the JWK Sets at clients' ``jwks_uri``. ``transport`` (tests, an
    in-process client) replaces the network."""

    def __init__(self, clock: Clock, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.clock = clock
        self.transport = transport
        self._kept: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()
        self._generation = 0
        """Bumped by :meth:`forget`: a fetch that began before it does not keep its set."""

    async def for_jwks_uri(self, uri: str, kid: str | None) -> dict[str, Any]:
        """The JWK Set at a client's ``jwks_uri``: kept :data:`KEY_CACHE_SECONDS`, fetched
        again when ``kid`` is not in it (at most every :data:`REFETCH_GAP_SECONDS`)."""
        now = self.clock.now()
        kept = self._kept.get(uri)
        if kept is not None:
            jwks, fetched_at = kept
            age = now - fetched_at
            if age < KEY_CACHE_SECONDS and (
                kid is None or kid in _kids(jwks) or age < REFETCH_GAP_SECONDS
            ):
                return jwks
        generation = self._generation
        jwks = await self._fetch(uri)
        if generation == self._generation:
            self._kept[uri] = (jwks, now)
            self._kept.move_to_end(uri)
            while len(self._kept) > MAX_CACHED:
                self._kept.popitem(last=False)
        return jwks

    def forget(self, uri: str) -> None:
        """Drop the set kept for ``uri`` (the client was registered again)."""
        self._kept.pop(uri, None)
        self._generation += 1

    async def _fetch(self, uri: str) -> dict[str, Any]:
        where = f"the client's jwks_uri {uri[:200]}"
        try:
            async with asyncio.timeout(FETCH_TIMEOUT):
                status, body = await self._get(uri)
        except TimeoutError:
            raise _refuse(f"{where} did not answer within {FETCH_TIMEOUT:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _refuse(
                f"{where} could not be fetched ({type(exc).__name__}: {str(exc)[:200]})"
                f"{certificate_hint(exc)}"
            ) from None
        if status != 200:
            raise _refuse(
                f"{where} answered HTTP {status}; it must answer 200 with the client's JWK Set"
            )
        if body is None:
            raise _refuse(f"{where} answered more than {MAX_JWKS_BYTES} bytes")
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise _refuse(f"{where} did not answer JSON") from None
        try:
            return check_jwks(doc)
        except ProtocolError as err:
            raise _refuse(f"{where} is not a usable JWK Set: {err.description}") from None

    async def _get(self, uri: str) -> tuple[int, bytes | None]:
        """The status and body (``None`` when over :data:`MAX_JWKS_BYTES`) of ``GET uri``."""
        async with (
            httpx.AsyncClient(
                transport=self.transport,
                follow_redirects=False,
                timeout=FETCH_TIMEOUT,
                verify=tls_context(),
            ) as http,
            http.stream("GET", uri, headers={"Accept": "application/json"}) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    return response.status_code, None
            return response.status_code, bytes(body)
