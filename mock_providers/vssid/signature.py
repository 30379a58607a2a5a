"""ID-token signatures (R-5): the issuer's JWKS, the key choice, joserfc's verification.

R-5: "ID token signature verifies against the issuer's JWKS; ``alg: none`` and
HMAC-with-public-key are refused." Every algorithm but ES256 (T-3) is refused from the header,
before any key is touched; the signature itself is verified by joserfc. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from harness.protocol import ProtocolError
from mock_providers.vssid.responses import provider_unavailable

__all__ = [
    "ALLOWED_ALG",
    "MAX_ID_TOKEN",
    "SigningKey",
    "UnverifiedIdToken",
    "keys_for",
    "parse_jwks",
    "read_claims_unverified",
    "read_unverified",
    "verify_signature",
]

ALLOWED_ALG = "ES256"
MAX_ID_TOKEN = 16 * 1024
MAX_KEYS = 100


def _invalid(clause: str, description: str) -> ProtocolError:
    return ProtocolError(description, code="id_token_invalid", clause=clause)


def _claims_object(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError):
        claims = None
    if not isinstance(claims, dict):
        raise _invalid("T-3", "the ID token's payload is not a JSON object of claims")
    return claims


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A P-256 public key from the issuer's JWKS, with its ``kid`` when it has one."""

    kid: str | None
    key: ECKey


def parse_jwks(doc: Mapping[str, Any]) -> list[SigningKey]:
    """R-5/T-3: the JWKS's usable ES256 keys (EC P-256, ``use`` sig or absent, ``alg`` ES256 or
    absent); other keys are skipped, a document without a ``keys`` array is 502."""
    raw_keys = doc.get("keys")
    if not isinstance(raw_keys, list):
        raise provider_unavailable("jwks", "the JWKS has no 'keys' array (RFC 7517 §5)")
    keys: list[SigningKey] = []
    for raw in raw_keys[:MAX_KEYS]:
        if not isinstance(raw, dict) or raw.get("kty") != "EC" or raw.get("crv") != "P-256":
            continue
        if raw.get("use", "sig") != "sig" or raw.get("alg", ALLOWED_ALG) != ALLOWED_ALG:
            continue
        kid = raw.get("kid")
        public = {k: raw[k] for k in ("kty", "crv", "x", "y") if k in raw}
        try:
            key = ECKey.import_key(public)
        except (JoseError, ValueError, TypeError):
            continue
        keys.append(SigningKey(kid if isinstance(kid, str) else None, key))
    return keys


@dataclass(frozen=True, slots=True)
class UnverifiedIdToken:
    """A compact JWS split into header and payload, signature not yet checked."""

    header: Mapping[str, Any]
    compact: jws.CompactSignature

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def read_unverified(id_token: str) -> UnverifiedIdToken:
    """R-5: decode the JWS header and refuse any ``alg`` but ES256 (so ``none`` and HS256
    keyed with the public key never reach a verifier)."""
    if len(id_token) > MAX_ID_TOKEN:
        raise _invalid("R-5", f"the ID token is {len(id_token)} characters; at most {MAX_ID_TOKEN}")
    try:
        compact = jws.extract_compact(id_token.encode("ascii"))
        header = dict(compact.headers())
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise _invalid("R-5", f"the ID token is not a compact JWS ({exc})") from None
    alg = header.get("alg")
    if alg != ALLOWED_ALG:
        raise _invalid(
            "R-5",
            f"the ID token's alg is {alg!r:.40}; only {ALLOWED_ALG} is "
            "accepted (T-3), so 'none' and HMAC algorithms are refused",
        )
    if "kid" in header and not isinstance(header["kid"], str):
        raise _invalid("R-5", "the ID token's kid header is not a string")
    return UnverifiedIdToken(header, compact)


def keys_for(token: UnverifiedIdToken, keys: Sequence[SigningKey]) -> list[SigningKey]:
    """The keys that may have signed ``token``: the one with its ``kid``, or, when it has
    none, every key (tried in turn)."""
    if token.kid is None:
        return list(keys)
    return [k for k in keys if k.kid == token.kid]


def verify_signature(token: UnverifiedIdToken, candidates: Sequence[SigningKey]) -> dict[str, Any]:
    """R-5: the signature verifies with one of ``candidates`` (ES256 only); the claims."""
    if not candidates:
        raise _invalid("R-5", f"no ES256 key in the issuer's JWKS matches kid {token.kid!r}")
    for candidate in candidates:
        try:
            if jws.validate_compact(token.compact, candidate.key, algorithms=[ALLOWED_ALG]):
                break
        except (JoseError, ValueError, TypeError):
            continue
    else:
        raise _invalid(
            "R-5",
            "the ID token's signature does not verify against the issuer's "
            f"JWKS (tried {len(candidates)} key(s))",
        )
    return _claims_object(token.compact.payload)


def read_claims_unverified(id_token: str) -> dict[str, Any]:
    """TEST ONLY, never on a production path: the claims of a compact JWS read WITHOUT
    verifying it, whatever its ``alg`` (``none``, HS256, a bad signature, an unknown ``kid``),
    as a relying party that skips R-5 does (``VssIDSettings.skip_checks`` ``"signature"``)."""
    if len(id_token) > MAX_ID_TOKEN:
        raise _invalid("R-5", f"the ID token is {len(id_token)} characters; at most {MAX_ID_TOKEN}")
    parts = id_token.split(".")
    if len(parts) != 3:
        raise _invalid("R-5", "the ID token is not a compact JWS (three dot-separated parts)")
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _invalid("R-5", f"the ID token's payload is not base64url ({exc})") from None
    return _claims_object(payload)
