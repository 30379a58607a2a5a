"""The issuer's answers, parsed without I/O: discovery (T-4) and the token response (T-1, T-2).

An answer the relying party cannot use is 502 ``provider_unavailable`` naming the clause of
the call; a token-endpoint refusal keeps the provider's RFC 6749 §5.2 error code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.protocol import ProtocolError
from harness.protocol.json_names import json_kind
from mock_providers.vssid.outgoing import Purpose

__all__ = [
    "TOKEN_ERRORS",
    "Discovery",
    "TokenResponse",
    "json_object",
    "parse_token_response",
    "provider_unavailable",
]

TOKEN_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
"""RFC 6749 §5.2: the error codes a token endpoint may answer with."""

_CLAUSE: Mapping[Purpose, str] = {
    "discovery": "T-4",
    "jwks": "R-5",
    "token": "T-1",
    "userinfo": "T-5",
}


def provider_unavailable(purpose: Purpose, description: str) -> ProtocolError:
    """502 ``provider_unavailable`` citing the clause of the failed call."""
    return ProtocolError(
        f"{purpose}: {description}", code="provider_unavailable", clause=_CLAUSE[purpose]
    )


def _shown(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def json_object(content: bytes, purpose: Purpose) -> dict[str, Any]:
    """The issuer's answer as a JSON object, or 502 naming the call's clause."""
    try:
        value = json.loads(content)
    except (ValueError, RecursionError):
        raise provider_unavailable(
            purpose, f"the issuer's answer is not JSON: {_shown(content[:80])}"
        ) from None
    if not isinstance(value, dict):
        raise provider_unavailable(
            purpose, f"the issuer's answer is {json_kind(value)} in JSON, expected an object"
        )
    return value


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[": an unbalanced IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True, slots=True)
class Discovery:
    """The parts of the OpenID configuration (T-4) the relying party uses."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None

    @classmethod
    def from_json(
        cls, doc: Mapping[str, Any], *, expected_issuer: str, need_userinfo: bool
    ) -> Discovery:
        """T-4: the document's ``issuer`` equals the configured issuer exactly (OpenID Connect
        Discovery §4.3) and it lists the endpoints the flow needs as http(s) URLs."""
        if doc.get("issuer") != expected_issuer:
            raise provider_unavailable(
                "discovery",
                f"the discovery document's issuer {_shown(doc.get('issuer'))} is "
                f"not the configured issuer {expected_issuer!r} (T-4, OpenID Connect "
                "Discovery §4.3)",
            )
        names = ["token_endpoint", "jwks_uri"] + (["userinfo_endpoint"] if need_userinfo else [])
        for name in names:
            if not _is_http_url(doc.get(name)):
                raise provider_unavailable(
                    "discovery",
                    f"the discovery document's {name} is not an http(s) URL: "
                    f"{_shown(doc.get(name))}",
                )
        userinfo = doc.get("userinfo_endpoint")
        return cls(
            expected_issuer,
            doc["token_endpoint"],
            doc["jwks_uri"],
            userinfo if _is_http_url(userinfo) else None,
        )


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3)."""

    access_token: str = field(repr=False)
    token_type: str
    id_token: str = field(repr=False)


def _token_refusal(status: int, content: bytes) -> ProtocolError:
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, str) or error not in TOKEN_ERRORS:
        return provider_unavailable(
            "token",
            f"the token endpoint answered HTTP {status} without an RFC 6749 §5.2 "
            f"error: {_shown(content[:200].decode('utf-8', 'replace'))}",
        )
    described = body.get("error_description") if isinstance(body, dict) else None
    detail = f": {_shown(described)}" if isinstance(described, str) and described else ""
    return ProtocolError(
        f"the token endpoint refused the code with {error} (HTTP {status}){detail}",
        code=error,
        status=400,
        clause="T-2" if error == "invalid_grant" else "T-1",
        extra={"provider_error": error, "provider_status": status},
    )


def parse_token_response(status: int, content: bytes) -> TokenResponse:
    """T-1: a 200 JSON object with ``access_token``, ``token_type`` Bearer (any case, RFC 6749
    §5.1) and ``id_token`` (T-3); a refusal keeps the provider's code (``invalid_grant``: T-2).
    """
    if status != 200:
        raise _token_refusal(status, content)
    body = json_object(content, "token")
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise provider_unavailable(
            "token", "the token response has no access_token (RFC 6749 §5.1)"
        )
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise provider_unavailable(
            "token",
            f"the token response's token_type is {_shown(token_type)}; expected "
            "Bearer (compared case-insensitively, RFC 6749 §5.1)",
        )
    id_token = body.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise ProtocolError(
            "the token response carries no id_token (T-3, OpenID Connect Core §3.1.3.3)",
            code="id_token_invalid",
            clause="T-3",
        )
    return TokenResponse(access_token, token_type, id_token)
