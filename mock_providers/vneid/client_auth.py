"""Client authentication at the token endpoint (T-1; RFC 6749 §2.3, RFC 7523 §3).

T-1: "client authentication client_secret_basic, client_secret_post or private_key_jwt
(RFC 7523) as registered". A client uses exactly one method, the one it registered; anything
else is ``invalid_client`` with HTTP 401 and ``WWW-Authenticate`` (RFC 6749 §5.2), except two
methods in one request, which §5.2 makes ``invalid_request`` (400).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from harness.protocol import Clock, ProtocolError, finite_number
from harness.protocol.basic_auth import BasicCredentialsError, decode_basic, is_basic
from harness.protocol.client_auth import ASSERTION_TYPE
from mock_providers.vneid.records import AuthMethod, ClientRecord
from mock_providers.vneid.ttl import TTLStore

__all__ = [
    "ASSERTION_ALGS",
    "ASSERTION_TYPE",
    "MAX_ASSERTION_LENGTH",
    "ClientAuthenticator",
    "claimed_client",
]

ASSERTION_ALGS = ("ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA")
"""Asymmetric algorithms only: a registered JWKS holds public keys."""
_MAX_ASSERTION_LIFETIME = 3600
MAX_ASSERTION_LENGTH = 8192
"""A client assertion is a few hundred characters; a huge header or payload is refused."""


def _refuse(description: str) -> ProtocolError:
    return ProtocolError(description, code="invalid_client", clause="T-1", status=401)


def _basic_credentials(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1 (:func:`~harness.protocol.basic_auth.decode_basic`); a header that
    holds no ``client_id:secret`` is T-1's ``invalid_client``."""
    try:
        return decode_basic(header)
    except BasicCredentialsError as exc:
        raise _refuse(str(exc)) from None


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A client assertion's claims and header, read without verifying it."""
    if len(assertion) > MAX_ASSERTION_LENGTH:
        raise _refuse(
            f"client_assertion is {len(assertion)} characters; at most {MAX_ASSERTION_LENGTH}"
        )
    try:
        compact = jws.extract_compact(assertion.encode("ascii"))
        claims = json.loads(compact.payload)
        header = compact.headers()  # not an object: no kid here; the signature check refuses
    except (JoseError, ValueError, UnicodeError, RecursionError):  # RecursionError: JSON
        raise _refuse("client_assertion is not a compact JWS") from None  # nested too deep
    if not isinstance(claims, dict):
        raise _refuse("client_assertion's payload is not a JSON object")
    return claims, dict(header) if isinstance(header, dict) else {}


def _claimed_client_id(form: Mapping[str, str], claims: Mapping[str, Any]) -> str:
    """RFC 7523 §3: the client an assertion authenticates, ``client_id`` when the body has
    one, else the assertion's ``sub``."""
    sub = claims.get("sub")
    return form.get("client_id") or (sub if isinstance(sub, str) else "")


def claimed_client(authorization: str | None, form: Mapping[str, str]) -> str | None:
    """The client a token request says it is (the Basic user, the form's ``client_id``, or
    a client assertion's issuer), unverified: to tell whose authentication was refused
    (``None``: it says none readable)."""
    try:
        if is_basic(authorization):
            return _basic_credentials(authorization)[0]
        if "client_assertion" in form:
            return _claimed_client_id(form, _unverified(form["client_assertion"])[0])
    except ProtocolError:
        return None
    return form.get("client_id")


class ClientAuthenticator:
    """Authenticate the caller of the token endpoint against the registered clients."""

    def __init__(
        self,
        clients: Mapping[str, ClientRecord],
        *,
        issuer: str,
        token_endpoint: str,
        clock: Clock,
        skew: int,
        check_secrets: bool = True,
    ) -> None:
        self.clients = clients
        self.check_secrets = check_secrets
        """False only for a deliberately broken provider (test only: ``skip_checks``
        ``client_secret``): any secret of a secret-authenticated client is accepted."""
        self.on_refusal: Callable[[str | None, ProtocolError], None] | None = None
        """Told of each ``invalid_client`` refusal with the client the request claimed to be
        (:func:`claimed_client`): the harness serving this provider to a relying party
        under test says, at the end, why its token requests were refused."""
        self.audiences = frozenset({issuer, token_endpoint})
        self.clock = clock
        self.skew = skew
        # never evicted: a dropped id would let its assertion be replayed (RFC 7523 §3)
        self._seen_jti: TTLStore[tuple[str, str], bool] = TTLStore(
            clock, name="client-assertion ids", clause="T-1", evict=False
        )

    def keys_to_fetch(self, form: Mapping[str, str]) -> tuple[str, str | None] | None:
        """``(jwks_uri, kid)`` when this call's assertion claims to come from a registered
        ``private_key_jwt`` client with a ``jwks_uri``: its keys must be fetched (which
        awaits) before :meth:`authenticate` runs. Nothing is refused here; :meth:`authenticate`
        does that."""
        if "client_assertion" not in form:
            return None
        try:
            claims, header = _unverified(form["client_assertion"])
        except ProtocolError:
            return None
        client = self.clients.get(_claimed_client_id(form, claims))
        if (
            client is None
            or client.token_endpoint_auth_method != "private_key_jwt"
            or client.jwks_uri is None
        ):
            return None
        kid = header.get("kid")
        return client.jwks_uri, kid if isinstance(kid, str) else None

    def authenticate(
        self,
        authorization: str | None,
        form: Mapping[str, str],
        fetched: tuple[str, Mapping[str, Any]] | None = None,
    ) -> ClientRecord:
        """The client this call authenticates as, by the one method it registered (T-1).
        ``fetched``: ``(jwks_uri, JWK Set)`` fetched for :meth:`keys_to_fetch`
        (:class:`~mock_providers.vneid.client_keys.ClientKeys`); used only when it is the
        ``jwks_uri`` the client has now (it may have been registered again meanwhile)."""
        try:
            return self._authenticate(authorization, form, fetched)
        except ProtocolError as exc:
            if self.on_refusal is not None and exc.code == "invalid_client":
                self.on_refusal(claimed_client(authorization, form), exc)
            raise

    def _authenticate(
        self,
        authorization: str | None,
        form: Mapping[str, str],
        fetched: tuple[str, Mapping[str, Any]] | None,
    ) -> ClientRecord:
        basic = is_basic(authorization)
        post = "client_secret" in form
        assertion = "client_assertion" in form or "client_assertion_type" in form
        if not (basic or post or assertion):
            raise _refuse("no client authentication")
        if basic + post + assertion > 1:  # RFC 6749 §5.2 names invalid_request for this one
            raise ProtocolError(
                "more than one client authentication method in one request; "
                "send only the one the client registered (RFC 6749 §2.3)",
                code="invalid_request",
                clause="T-1",
                status=400,
            )
        secret = ""
        method: AuthMethod
        if basic and authorization is not None:
            method = "client_secret_basic"
            client_id, secret = _basic_credentials(authorization)
        elif post:
            method, client_id, secret = (
                "client_secret_post",
                form.get("client_id", ""),
                form["client_secret"],
            )
        else:
            claims, _ = _unverified(form.get("client_assertion", ""))
            method, client_id = "private_key_jwt", _claimed_client_id(form, claims)
        if form.get("client_id") not in (None, client_id):
            raise _refuse("client_id in the body differs from the authenticated client")
        client = self.clients.get(client_id)
        if client is None:
            # not echoed: credentials given the wrong way round put the secret here (S-5)
            raise _refuse(
                "unknown client: the client_id authenticated is not registered "
                "(Basic credentials are 'client_id:secret', id first)"
            )
        if client.token_endpoint_auth_method != method:
            raise _refuse(
                f"{client.client_id!r} is registered for "
                f"{client.token_endpoint_auth_method}, not {method}"
            )
        if method == "private_key_jwt":
            jwks: Mapping[str, Any] | None = client.jwks
            if jwks is None and fetched is not None and fetched[0] == client.jwks_uri:
                jwks = fetched[1]
            self._check_assertion(client, form, jwks)
        elif self.check_secrets and not hmac.compare_digest(
            secret.encode(), (client.client_secret or "").encode()
        ):
            raise _refuse(
                "the client secret is wrong; send the secret this client is "
                "registered with (POST /_harness/clients sets it; a relying party "
                "under test: conformance --rp-client-secret)"
            )
        return client

    def _check_assertion(
        self, client: ClientRecord, form: Mapping[str, str], jwks: Mapping[str, Any] | None
    ) -> None:
        """RFC 7523 §3: signed by a registered key; iss = sub = client_id; aud the token
        endpoint or the issuer; exp in the future (a finite NumericDate); not before its
        ``nbf``, when it has one; jti used once."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _refuse(f"client_assertion_type must be {ASSERTION_TYPE}")
        try:  # no keys (a jwks_uri client's, not fetched) is a TypeError: refused below
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
            raise _refuse(
                "client_assertion exp is missing, not a finite number of seconds, or in the past"
            )
        if exp - now > _MAX_ASSERTION_LIFETIME:
            raise _refuse(f"client_assertion lives over {_MAX_ASSERTION_LIFETIME} s")
        if "nbf" in claims:
            nbf = finite_number(claims["nbf"])
            if nbf is None or nbf - self.skew > now:
                raise _refuse(
                    "client_assertion nbf is not a finite number of seconds, or "
                    "still in the future (RFC 7523 §3: not accepted before it)"
                )
        if not isinstance(jti, str) or not jti:
            raise _refuse("client_assertion jti is missing")
        if self._seen_jti.get((client.client_id, jti)) is not None:
            raise _refuse("client_assertion jti was already used")
        self._seen_jti.put((client.client_id, jti), True, exp - now + self.skew)
