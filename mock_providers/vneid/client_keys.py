"""The public keys of ``private_key_jwt`` clients registered with a ``jwks_uri`` (§11, T-1).

§11 registers a client with ``{client_id, client_secret?, jwks_uri?, redirect_uris,
token_endpoint_auth_method}``; RFC 7591 §2: ``jwks_uri`` is the "URL referencing the client's
JSON Web Key Set document, which contains the client's public keys". The token endpoint
fetches it before it checks the code (the code is then checked and used without an ``await``,
T-2), keeps it for :data:`KEY_CACHE_SECONDS`, and fetches it again once when an assertion names
a ``kid`` the kept set lacks (the client rotated its key, as an RP does for an issuer's keys,
R-5). A client registered with inline ``jwks`` is never fetched for.

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
from joserfc import jws
from joserfc.errors import JoseError

from harness.protocol import Clock, ProtocolError
from mock_providers.vneid.records import ClientRecord, check_jwks

__all__ = ["FETCH_TIMEOUT", "KEY_CACHE_SECONDS", "MAX_JWKS_BYTES", "ClientKeys",
           "assertion_kid"]

FETCH_TIMEOUT = 5.0
"""Seconds for the whole fetch of a client's JWK Set (connect, answer, body)."""
MAX_JWKS_BYTES = 64 * 1024
KEY_CACHE_SECONDS = 300
MAX_CACHED = 1_000
"""Sets kept at most (one per ``jwks_uri``; the oldest goes first)."""


def _refuse(description: str) -> ProtocolError:
    return ProtocolError(description, code="invalid_client", clause="T-1", status=401)


def assertion_kid(assertion: str) -> str | None:
    """The ``kid`` in a client assertion's header, read without verifying it (``None`` when
    there is none or the assertion is not a compact JWS: client authentication refuses it
    then)."""
    try:
        kid = jws.extract_compact(assertion.encode("ascii")).headers().get("kid")
    except (JoseError, ValueError, UnicodeError):
        return None
    return kid if isinstance(kid, str) else None


def _kids(jwks: dict[str, Any]) -> set[str]:
    return {k["kid"] for k in jwks["keys"] if isinstance(k.get("kid"), str)}


class ClientKeys:
    """Fetches and keeps the JWK Sets at clients' ``jwks_uri``. ``transport`` (tests, an
    in-process client) replaces the network."""

    def __init__(self, clock: Clock, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.clock = clock
        self.transport = transport
        self._kept: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()

    async def for_assertion(self, client: ClientRecord, kid: str | None) -> dict[str, Any]:
        """The JWK Set to verify ``client``'s assertion with: its inline ``jwks``, or the set
        at its ``jwks_uri`` (kept :data:`KEY_CACHE_SECONDS`; fetched again when ``kid`` is not
        in it)."""
        if client.jwks is not None or client.jwks_uri is None:
            return client.jwks or {"keys": []}
        uri = client.jwks_uri
        now = self.clock.now()
        kept = self._kept.get(uri)
        if kept is not None and now - kept[1] < KEY_CACHE_SECONDS \
                and (kid is None or kid in _kids(kept[0])):
            return kept[0]
        jwks = await self._fetch(uri)
        self._kept[uri] = (jwks, now)
        self._kept.move_to_end(uri)
        while len(self._kept) > MAX_CACHED:
            self._kept.popitem(last=False)
        return jwks

    def forget(self, uri: str) -> None:
        """Drop the set kept for ``uri`` (the client was registered again)."""
        self._kept.pop(uri, None)

    async def _fetch(self, uri: str) -> dict[str, Any]:
        where = f"the client's jwks_uri {uri[:200]}"
        try:
            async with asyncio.timeout(FETCH_TIMEOUT):
                status, body = await self._get(uri)
        except TimeoutError:
            raise _refuse(f"{where} did not answer within {FETCH_TIMEOUT:g} s") from None
        except httpx.HTTPError as exc:
            raise _refuse(f"{where} could not be fetched ({type(exc).__name__}: "
                          f"{str(exc)[:200]})") from None
        if status != 200:
            raise _refuse(f"{where} answered HTTP {status}; it must answer 200 with the "
                          "client's JWK Set")
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
        async with httpx.AsyncClient(transport=self.transport, follow_redirects=False,
                                     timeout=FETCH_TIMEOUT) as http, \
                http.stream("GET", uri, headers={"Accept": "application/json"}) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    return response.status_code, None
            return response.status_code, bytes(body)
