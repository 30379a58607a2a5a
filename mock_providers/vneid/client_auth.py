"""Client authentication at the token endpoint (T-1; RFC 6749 §2.3, RFC 7523 §3).

T-1: "client authentication client_secret_basic, client_secret_post or private_key_jwt
(RFC 7523) as registered". A client uses exactly one method, the one it registered; anything
else is ``invalid_client`` with HTTP 401 and ``WWW-Authenticate`` (RFC 6749 §5.2).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import unquote_plus

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from harness.protocol import Clock, ProtocolError, finite_number
from mock_providers.vneid.records import AuthMethod, ClientRecord
from mock_providers.vneid.ttl import TTLStore

__all__ = ["ASSERTION_ALGS", "ASSERTION_TYPE", "MAX_ASSERTION_LENGTH", "ClientAuthenticator"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ("ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA")
"""Asymmetric algorithms only: a registered JWKS holds public keys."""
_MAX_ASSERTION_LIFETIME = 3600
MAX_ASSERTION_LENGTH = 8192
"""A client assertion is a few hundred characters; a huge header or payload is refused."""


def _refuse(description: str) -> ProtocolError:
    return ProtocolError(description, code="invalid_client", clause="T-1", status=401)


def _basic_credentials(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: base64 of ``urlencode(id):urlencode(secret)``."""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _refuse("the Basic credentials are not base64 of 'client_id:secret'") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise _refuse("the Basic credentials are not 'client_id:secret'")
    return unquote_plus(client_id), unquote_plus(secret)


def _unverified_claims(assertion: str) -> dict[str, Any]:
    if len(assertion) > MAX_ASSERTION_LENGTH:
        raise _refuse(f"client_assertion is {len(assertion)} characters; at most "
                      f"{MAX_ASSERTION_LENGTH}")
    try:
        claims = json.loads(jws.extract_compact(assertion.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError):
        raise _refuse("client_assertion is not a compact JWS") from None
    if not isinstance(claims, dict):
        raise _refuse("client_assertion's payload is not a JSON object")
    return claims


class ClientAuthenticator:
    """Authenticate the caller of the token endpoint against the registered clients."""

    def __init__(self, clients: Mapping[str, ClientRecord], *, issuer: str, token_endpoint: str,
                 clock: Clock, skew: int) -> None:
        self.clients = clients
        self.audiences = frozenset({issuer, token_endpoint})
        self.clock = clock
        self.skew = skew
        self._seen_jti: TTLStore[tuple[str, str], bool] = TTLStore(clock)

    def assertion_client(self, form: Mapping[str, str]) -> ClientRecord | None:
        """The registered ``private_key_jwt`` client with a ``jwks_uri`` that this call's
        assertion claims to come from, if any: its keys must be fetched (which awaits) before
        :meth:`authenticate` runs. Nothing is refused here; :meth:`authenticate` does that."""
        if "client_assertion" not in form:
            return None
        try:
            claims = _unverified_claims(form["client_assertion"])
        except ProtocolError:
            return None
        sub = claims.get("sub")
        client = self.clients.get(form.get("client_id") or (sub if isinstance(sub, str) else ""))
        if client is None or client.token_endpoint_auth_method != "private_key_jwt" \
                or client.jwks_uri is None:
            return None
        return client

    def authenticate(self, authorization: str | None, form: Mapping[str, str],
                     jwks: Mapping[str, Any] | None = None) -> ClientRecord:
        """The client this call authenticates as, by the one method it registered (T-1).
        ``jwks``: the JWK Set fetched from a ``private_key_jwt`` client's ``jwks_uri``
        (:class:`~mock_providers.vneid.client_keys.ClientKeys`); a client with inline ``jwks``
        needs none."""
        used: list[tuple[AuthMethod, str]] = []
        secret = ""
        if authorization and authorization[:6].lower() == "basic ":
            basic_id, secret = _basic_credentials(authorization)
            used.append(("client_secret_basic", basic_id))
        if "client_secret" in form:
            secret = form["client_secret"]
            used.append(("client_secret_post", form.get("client_id", "")))
        if "client_assertion" in form or "client_assertion_type" in form:
            claims = _unverified_claims(form.get("client_assertion", ""))
            sub = claims.get("sub")
            used.append(("private_key_jwt", form.get("client_id") or
                         (sub if isinstance(sub, str) else "")))
        if len(used) != 1:
            raise _refuse("no client authentication" if not used else
                          "more than one client authentication method (RFC 6749 §2.3)")
        method, client_id = used[0]
        if form.get("client_id") not in (None, client_id):
            raise _refuse("client_id in the body differs from the authenticated client")
        client = self.clients.get(client_id)
        if client is None:
            raise _refuse(f"unknown client {client_id[:80]!r}")
        if client.token_endpoint_auth_method != method:
            raise _refuse(f"{client.client_id!r} is registered for "
                          f"{client.token_endpoint_auth_method}, not {method}")
        if method == "private_key_jwt":
            self._check_assertion(client, form, client.jwks if client.jwks is not None else jwks)
        elif not hmac.compare_digest(secret.encode(), (client.client_secret or "").encode()):
            raise _refuse("the client secret is wrong")
        return client

    def _check_assertion(self, client: ClientRecord, form: Mapping[str, str],
                         jwks: Mapping[str, Any] | None) -> None:
        """RFC 7523 §3: signed by a registered key; iss = sub = client_id; aud the token
        endpoint or the issuer; exp in the future (a finite NumericDate); not before its
        ``nbf``, when it has one; jti used once."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _refuse(f"client_assertion_type must be {ASSERTION_TYPE}")
        if jwks is None:
            raise _refuse(f"the keys at {client.client_id!r}'s jwks_uri were not fetched")
        try:
            keys = KeySet.import_key_set(cast(Any, jwks))
            token = jwt.decode(form["client_assertion"], keys, algorithms=list(ASSERTION_ALGS))
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise _refuse(f"client_assertion does not verify: {exc}") from None
        claims = token.claims
        now = self.clock.now()
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        exp, jti = finite_number(claims.get("exp")), claims.get("jti")
        if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
            raise _refuse("client_assertion iss and sub must both be the client_id")
        if not self.audiences & {a for a in auds if isinstance(a, str)}:
            raise _refuse("client_assertion aud must be the token endpoint or the issuer")
        if exp is None or exp + self.skew <= now:
            raise _refuse("client_assertion exp is missing, not a finite number of seconds, "
                          "or in the past")
        if exp - now > _MAX_ASSERTION_LIFETIME:
            raise _refuse(f"client_assertion lives over {_MAX_ASSERTION_LIFETIME} s")
        if "nbf" in claims:
            nbf = finite_number(claims["nbf"])
            if nbf is None or nbf - self.skew > now:
                raise _refuse("client_assertion nbf is not a finite number of seconds, or "
                              "still in the future (RFC 7523 §3: not accepted before it)")
        if not isinstance(jti, str) or not jti:
            raise _refuse("client_assertion jti is missing")
        if self._seen_jti.get((client.client_id, jti)) is not None:
            raise _refuse("client_assertion jti was already used")
        self._seen_jti.put((client.client_id, jti), True, exp - now + self.skew)
