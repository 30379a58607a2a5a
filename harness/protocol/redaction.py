"""S-5: secrets never appear in logs or reports unredacted.

One place knows which names carry secrets; recorders (provider request logs, the phone's
trace, reports) pass every URL, header set, form and JSON body through these functions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "is_secret_key",
    "redact_body",
    "redact_form",
    "redact_headers",
    "redact_json",
    "redact_text",
    "redact_url",
]

REDACTED = "[REDACTED]"
SECRET_KEYS = frozenset({
    "passcode", "password", "client_secret", "code", "code_verifier", "access_token",
    "id_token", "refresh_token", "session_token", "client_assertion", "admin_token", "secret",
    "private_key", "d",
})
SECRET_HEADERS = frozenset({
    "authorization", "cookie", "set-cookie", "x-harness-admin-token", "proxy-authorization",
})


def is_secret_key(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def redact_url(url: str) -> str:
    """``url`` with the values of secret query and fragment parameters replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if not parts.query and not parts.fragment:
        return url
    query = _redact_pairs(parts.query)
    fragment = _redact_pairs(parts.fragment) if "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))


_PLAIN_PAIR = re.compile(r"([A-Za-z0-9_.~\[\]-]*)=[A-Za-z0-9_.~\[\]-]*")
"""A ``name=value`` pair that decoding and re-encoding leave as it is (no ``%``, ``+`` or
other character :func:`~urllib.parse.quote_plus` would escape): most pairs are, tokens
included, so they skip the decode/encode round trip."""


def _redact_pair(chunk: str) -> str:
    """One ``&``-separated chunk, decoded and re-encoded as ``urlencode(parse_qsl(...))``."""
    match = _PLAIN_PAIR.fullmatch(chunk)
    if match is not None:
        return f"{match.group(1)}={REDACTED}" if is_secret_key(match.group(1)) else chunk
    if is_secret_key(unquote_plus(chunk.partition("=")[0])):
        return _reencode(chunk)  # never cached: the chunk holds a secret
    return _reencode_public(chunk)


def _reencode(chunk: str) -> str:
    pairs = parse_qsl(chunk, keep_blank_values=True)
    return urlencode([(k, REDACTED if is_secret_key(k) else v) for k, v in pairs], safe="[]")


_reencode_public = functools.lru_cache(maxsize=512)(_reencode)
"""The same for a chunk whose name is not secret (``redirect_uri=…``, ``scope=…``,
``iss=…``): those repeat from one login to the next."""


def _redact_pairs(encoded: str) -> str:
    """``urlencode(parse_qsl(encoded))`` with secret values replaced, pair by pair."""
    return "&".join(_redact_pair(chunk) for chunk in encoded.split("&") if chunk)


def redact_form(encoded: str) -> str:
    """A form-encoded body with secret fields replaced."""
    return _redact_pairs(encoded)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with credentials replaced, keeping the scheme word (``Bearer [REDACTED]``)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            out[name] = f"{scheme} {REDACTED}" if rest else REDACTED
        else:
            out[name] = value
    return out


def redact_json(value: Any) -> Any:
    """A deep copy of a JSON value with secret keys' values replaced and URLs redacted."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_key(k) and v is not None
                else redact_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, str) and "://" in value and "?" in value:
        return redact_url(value)
    return value


def redact_text(text: str, secrets: Mapping[str, str] | None = None) -> str:
    """Replace each known secret value occurring in free text (last line of defence)."""
    for value in (secrets or {}).values():
        if value:
            text = text.replace(value, REDACTED)
    return text


def redact_body(raw: bytes, content_type: str, *, limit: int = 64 * 1024) -> Any:
    """A recorded HTTP body, decoded for reading and redacted: JSON as a value, forms as a
    redacted form string, anything else as a short placeholder."""
    import json

    if not raw:
        return None
    ctype = content_type.split(";")[0].strip().lower()
    text = raw[:limit].decode("utf-8", "replace")
    if ctype == "application/x-www-form-urlencoded":
        return redact_form(text)
    if ctype.endswith("json"):
        try:
            return redact_json(json.loads(text))
        except (ValueError, RecursionError):
            return "[unparseable or too deeply nested JSON]"
    if ctype.startswith("text/html"):
        return f"[html, {len(raw)} bytes]"
    return f"[{ctype or 'body'}, {len(raw)} bytes]"
