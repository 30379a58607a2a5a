"""The provider's records: citizens (personas) and relying parties (clients), §11.

Both validate on construction, so the Python API and the control API refuse the same inputs
with the same ``invalid_request`` naming the field and the clause it serves. ``to_json``
redacts the passcode and the client secret unless asked not to (S-5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from harness.protocol import ProtocolError, is_vschar, parse_personal_id
from harness.protocol.client_auth import AUTH_METHODS, AuthMethod
from harness.protocol.identifiers import BIRTHDATE_PATTERN, Sex, full_name_problem
from harness.protocol.json_names import json_kind
from harness.protocol.redaction import REDACTED, redact_url

__all__ = [
    "AUTH_METHODS",
    "AuthMethod",
    "ClientRecord",
    "Gender",
    "PersonaRecord",
    "Status",
    "check_jwks",
]

Gender = Sex
Status = Literal["active", "locked"]
MAX_REDIRECT_URIS = 20
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _invalid(name: str, problem: str, clause: str) -> ProtocolError:
    return ProtocolError(f"{name!r} {problem}", code="invalid_request", clause=clause)


def _text(value: object, name: str, clause: str, max_len: int) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(name, f"must be a non-empty string, got {json_kind(value)}", clause)
    if len(value) > max_len:
        raise _invalid(name, f"is {len(value)} characters; at most {max_len}", clause)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise _invalid(name, "contains control characters", clause)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise _invalid(name, "contains a lone surrogate (half of a character)", clause)
    return value


def _vschar(value: object, name: str, clause: str, max_len: int) -> str:
    """A client id or secret: printable ASCII (RFC 6749 Appendix A.1, A.2: ``*VSCHAR``), as the
    VssID mock's configuration requires; one it would refuse could be registered here and
    never used."""
    text = _text(value, name, clause, max_len)
    if not is_vschar(text):
        raise _invalid(name, "must be printable ASCII (RFC 6749 Appendix A: VSCHAR)", clause)
    return text


_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript"})
"""Schemes a browser would run or render in place instead of leaving for a client: never a
redirect URI (RFC 9700 §4.1, a redirect to script is an XSS)."""


def _check_keys(
    body: object, cls: type[Any], required: Collection[str], clause: str
) -> Mapping[str, Any]:
    """``body`` must be a JSON object with no unknown field and every required one."""
    if not isinstance(body, Mapping):
        raise ProtocolError(
            f"a {cls.__name__} must be a JSON object, got {json_kind(body)}",
            code="invalid_request",
            clause=clause,
        )
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in body if k not in known)
    if unknown:
        raise ProtocolError(
            f"unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}",
            code="invalid_request",
            clause=clause,
        )
    missing = [k for k in required if body.get(k) is None]
    if missing:
        raise ProtocolError(
            f"missing field(s) {', '.join(map(repr, missing))}",
            code="invalid_request",
            clause=clause,
        )
    return body


@dataclass(frozen=True, slots=True)
class PersonaRecord:
    """A citizen with a VNeID account (§1, §11): who can log in (A-4) and at which level (P-2)."""

    personal_id: str
    passcode: str
    level: int
    full_name: str
    birthdate: str
    """``YYYY-MM-DD``."""
    gender: Gender
    status: Status = "active"

    def __post_init__(self) -> None:
        pid = parse_personal_id(self.personal_id, clause="A-4")
        _text(self.passcode, "passcode", "A-4", 128)
        if type(self.level) is not int or self.level not in (1, 2):
            raise _invalid("level", f"must be 1 or 2, got {self.level!r}", "P-2")
        if not isinstance(self.full_name, str):
            raise _invalid(
                "full_name", f"must be a non-empty string, got {json_kind(self.full_name)}", "T-3"
            )
        problem = full_name_problem(self.full_name)
        if problem is not None:
            raise _invalid("full_name", problem, "T-3")
        if not isinstance(self.birthdate, str) or not BIRTHDATE_PATTERN.fullmatch(self.birthdate):
            raise _invalid("birthdate", "must be a date written YYYY-MM-DD", "T-3")
        try:
            dt.date.fromisoformat(self.birthdate)
        except ValueError:
            raise _invalid("birthdate", f"{self.birthdate} is not a calendar date", "T-3") from None
        if self.gender not in ("male", "female"):
            raise _invalid("gender", f"must be 'male' or 'female', got {self.gender!r}", "T-3")
        if not pid.matches(birthdate=dt.date.fromisoformat(self.birthdate), sex=self.gender):
            raise _invalid(
                "personal_id",
                f"{self.personal_id} says {pid.sex}, born in "
                f"{pid.birth_year}, but the persona is {self.gender}, born "
                f"{self.birthdate}: §1 makes the century/sex digit and the year "
                "agree with gender and birthdate",
                "P-1",
            )
        if self.status not in ("active", "locked"):
            raise _invalid("status", f"must be 'active' or 'locked', got {self.status!r}", "A-4")

    @property
    def locked(self) -> bool:
        return self.status == "locked"

    @classmethod
    def from_json(cls, body: object) -> PersonaRecord:
        """Validate a §11 persona object (``status`` optional, default ``active``)."""
        data = _check_keys(
            body,
            cls,
            ("personal_id", "passcode", "level", "full_name", "birthdate", "gender"),
            "A-4",
        )
        return cls(**{k: v for k, v in data.items() if v is not None})

    def to_json(self, redact: bool = True) -> dict[str, Any]:
        return {
            "personal_id": self.personal_id,
            "passcode": REDACTED if redact else self.passcode,
            "level": self.level,
            "full_name": self.full_name,
            "birthdate": self.birthdate,
            "gender": self.gender,
            "status": self.status,
        }


def _check_redirect_uri(uri: object) -> str:
    """S-2: a registered redirect URI is absolute and has no fragment (RFC 6749 §3.1.2)."""
    text = _text(uri, "redirect_uris", "S-2", 2048)
    if " " in text or "#" in text:
        raise _invalid("redirect_uris", f"{text[:80]!r} must not hold spaces or a fragment", "S-2")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _invalid("redirect_uris", f"{text[:80]!r} is not a URI", "S-2") from None
    if not parts.scheme or (parts.scheme in ("http", "https") and not parts.netloc):
        raise _invalid("redirect_uris", f"{text[:80]!r} is not an absolute URI", "S-2")
    if parts.scheme.lower() in _UNSAFE_SCHEMES:
        raise _invalid(
            "redirect_uris",
            f"the {parts.scheme.lower()}: scheme runs in the "
            "browser; give an https URI or an app's own scheme",
            "S-2",
        )
    return text


def _is_http_url(text: str) -> bool:
    """An ``http(s)`` URL the mock can fetch: a host, a valid port (what ``httpx`` takes)."""
    try:
        url = httpx.URL(text)
        host = url.host  # decoded here: an invalid IDNA label ("xn--zz") raises UnicodeError
    except (httpx.InvalidURL, UnicodeError):
        return False
    return url.scheme in ("http", "https") and bool(host)


def check_jwks(jwks: object) -> dict[str, Any]:
    """T-1 (private_key_jwt): a public JWK Set that joserfc can import."""
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise _invalid("jwks", 'must be a JWK Set object {"keys": [...]}', "T-1")
    keys = jwks["keys"]
    if not keys or len(keys) > 10:
        raise _invalid("jwks", "must hold 1 to 10 keys", "T-1")
    for key in keys:
        if not isinstance(key, Mapping) or _PRIVATE_JWK_MEMBERS & set(key):
            raise _invalid("jwks", "must hold public keys only (no 'd', no symmetric 'k')", "T-1")
    try:
        KeySet.import_key_set({"keys": [dict(k) for k in keys]})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _invalid("jwks", f"cannot be imported: {exc}", "T-1") from None
    return {"keys": [dict(k) for k in keys]}


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A relying party registered with the provider (§11): redirect URIs matched exactly (S-2),
    authenticated at the token endpoint by its registered method (T-1)."""

    client_id: str
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"
    client_secret: str | None = None
    jwks_uri: str | None = None
    jwks: dict[str, Any] | None = None
    client_name: str | None = None
    """Shown on the consent screen (§9); the ``client_id`` when absent."""

    def __post_init__(self) -> None:
        _vschar(self.client_id, "client_id", "T-1", 255)
        uris = self.redirect_uris
        if not isinstance(uris, (tuple, list)) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
            raise _invalid(
                "redirect_uris", f"must be a list of 1 to {MAX_REDIRECT_URIS} URIs", "S-2"
            )
        object.__setattr__(self, "redirect_uris", tuple(_check_redirect_uri(u) for u in uris))
        if self.token_endpoint_auth_method not in AUTH_METHODS:
            raise _invalid(
                "token_endpoint_auth_method", f"must be one of {', '.join(AUTH_METHODS)}", "T-1"
            )
        if self.jwks is not None and self.jwks_uri is not None:
            raise _invalid(
                "jwks",
                "and 'jwks_uri' must not both be given (RFC 7591 §2): the "
                "public keys inline, or the URL of the client's JWK Set",
                "T-1",
            )
        if self.jwks is not None:  # whatever the method: stored and shown, so a JWK Set
            object.__setattr__(self, "jwks", check_jwks(self.jwks))
        if self.token_endpoint_auth_method == "private_key_jwt":
            if self.jwks is None and self.jwks_uri is None:
                raise _invalid(
                    "jwks",
                    "or 'jwks_uri' is required for private_key_jwt (RFC "
                    "7591 §2): the public keys inline, or the URL of the client's "
                    "JWK Set",
                    "T-1",
                )
        elif self.client_secret is None:
            raise _invalid(
                "client_secret", f"is required for {self.token_endpoint_auth_method}", "T-1"
            )
        if self.client_secret is not None:
            _vschar(self.client_secret, "client_secret", "T-1", 512)
        if self.jwks_uri is not None and not _is_http_url(
            _text(self.jwks_uri, "jwks_uri", "T-1", 2048)
        ):
            raise _invalid("jwks_uri", "must be an http(s) URL with a host (RFC 7591 §2)", "T-1")
        if self.client_name is not None:
            _text(self.client_name, "client_name", "A-5", 200)

    @property
    def display_name(self) -> str:
        return self.client_name or self.client_id

    @classmethod
    def from_json(cls, body: object) -> ClientRecord:
        """Validate a §11 client object."""
        data = _check_keys(body, cls, ("client_id", "redirect_uris"), "T-1")
        return cls(**{k: v for k, v in data.items() if v is not None})

    def to_json(self, redact: bool = True) -> dict[str, Any]:
        secret = self.client_secret
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "redirect_uris": list(self.redirect_uris),
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "client_secret": REDACTED if redact and secret is not None else secret,
            # its user:password@ or a secret query parameter is a credential too (S-5)
            "jwks_uri": redact_url(self.jwks_uri) if redact and self.jwks_uri else self.jwks_uri,
            "jwks": self.jwks,
        }
