"""Minting the ID token (T-3) as two small pure steps: build the claims, then sign them.

The seam is deliberate: a fault (the RP-test catalog, §11 ``/_harness/faults``) transforms
the claims dict or the header between :func:`id_token_claims` and :func:`mint_jwt`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from mock_providers.vneid.keys import SIGNING_ALG
from mock_providers.vneid.records import PersonaRecord

__all__ = [
    "AMR",
    "MAX_ID_TOKEN_TTL",
    "id_token_claims",
    "id_token_header",
    "identity_claims",
    "mint_jwt",
]

AMR = ("pin",)
MAX_ID_TOKEN_TTL = 600
"""T-3: ``exp`` (≤ 10 min), whatever the profile says."""


def identity_claims(persona: PersonaRecord) -> dict[str, Any]:
    """T-3 / T-5: "the claims personal_id, name, birthdate, gender"."""
    return {
        "personal_id": persona.personal_id,
        "name": persona.full_name,
        "birthdate": persona.birthdate,
        "gender": persona.gender,
    }


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    sub: str,
    persona: PersonaRecord,
    acr: str,
    auth_time: float,
    nonce: str | None,
    now: float,
    ttl: int,
) -> dict[str, Any]:
    """T-3: "iss, sub (stable per person and client), aud=client_id, exp (≤ 10 min), iat,
    auth_time, nonce, acr, amr, and the claims personal_id, name, birthdate, gender".

    ``nonce`` is omitted when the authorization request had none (code flow, OIDC Core
    §3.1.2.1).
    """
    iat = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": client_id,
        "exp": iat + min(ttl, MAX_ID_TOKEN_TTL),
        "iat": iat,
        "auth_time": int(auth_time),
        "acr": acr,
        "amr": list(AMR),
        **identity_claims(persona),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return claims


def id_token_header(key: ECKey) -> dict[str, Any]:
    """T-3: the JWS protected header, ``{"alg": "ES256", "typ": "JWT", "kid": <key's kid>}``."""
    return {"alg": SIGNING_ALG, "typ": "JWT", "kid": key.kid}


def mint_jwt(claims: Mapping[str, Any], key: ECKey, header: Mapping[str, Any]) -> str:
    """Sign ``claims`` as a compact JWS with ``key`` and ``header`` as its whole protected
    header (:func:`id_token_header`, or what a fault made of it: it may have left ``kid``
    out)."""
    return jwt.encode(dict(header), dict(claims), key, algorithms=[header["alg"]])
