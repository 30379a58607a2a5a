"""The §8 error catalog and the error root of :mod:`harness.protocol`.

Hierarchy::

    ProtocolError            every refusal the protocol names: code, clause, HTTP status, message
    ├── VersionError         V-3: a missing or malformed app version
    ├── IdentifierError      §1: a malformed personal_id or bhxh_code
    └── LinkError            A-2/A-5/A-6: an app link or callback that cannot be decoded

Every error body on the wire is ``{"error", "error_description", "clause"}`` (§8); the
Vietnamese user-facing message travels as ``message`` so error screens can show it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "ERRORS",
    "ErrorSpec",
    "IdentifierError",
    "LinkError",
    "ProtocolError",
    "VersionError",
    "error_spec",
    "oauth_description",
]


_OUTSIDE_DESCRIPTION_SET = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


_ASCII_FOR = str.maketrans(
    {
        "§": "section ",
        '"': "'",
        "…": "...",
        "±": "+/-",
        "≤": "<=",
        "≥": ">=",
        "≠": "!=",
        "→": "->",
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "“": "'",
        "”": "'",
        "×": "x",
    }
)


_ECHOED = re.compile(r"""(?<![A-Za-z0-9])('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?![A-Za-z0-9])""")
"""A value a description echoes with ``!r``: ``'…'`` (or ``"…"`` when it holds a ``'``), its
quotes not inside a word (an apostrophe, ``client's``, opens none)."""
_REPR_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[tnr\\'\"])")
"""What ``repr`` writes for a character it does not show as itself (``\\t``, ``\\xff``)."""
_REPR_NAMED = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def _unescape_repr(match: re.Match[str]) -> str:
    sequence = match.group(1)
    return _REPR_NAMED.get(sequence) or chr(int(sequence[1:], 16))


def _code_point(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def _echoed(match: re.Match[str]) -> str:
    """An echoed value exactly: what repr escaped, and any character outside the set (a
    typographic dash or quote too), as its code point; between single quotes."""
    inner = _REPR_ESCAPE.sub(_unescape_repr, match.group()[1:-1])
    return "'" + _OUTSIDE_DESCRIPTION_SET.sub(_code_point, inner) + "'"


def oauth_description(text: str) -> str:
    """``text`` as an ``error_description`` may carry it: RFC 6749 §4.1.2.1 and §5.2 (and RFC
    6750 §3) allow only the characters %x20-21 / %x23-5B / %x5D-7E (printable ASCII without
    ``"`` and ``\\``).

    A value the description echoes (``!r``: ``'2.1.0ÿ'``) is shown exactly: each character
    outside the set as its code point (``'2.1.0<U+00FF>'``; ``'2.1.0–rc'``, an en dash,
    ``'2.1.0<U+2013>rc'``; what ``repr`` escaped too, ``'2.1\\t.0'`` ``'2.1<U+0009>.0'``), so a
    description never shows another value than the one sent. The description's own text gets
    the ASCII spelling of its typography (``§`` ``section``, ``"`` ``'``, ``…`` ``...``,
    ``±`` ``+/-``, ``≤`` ``<=``), and any other character outside the set its code point."""
    parts: list[str] = []
    last = 0
    for match in _ECHOED.finditer(text):
        parts.append(
            _OUTSIDE_DESCRIPTION_SET.sub(
                _code_point, text[last : match.start()].translate(_ASCII_FOR)
            )
        )
        parts.append(_echoed(match))
        last = match.end()
    parts.append(_OUTSIDE_DESCRIPTION_SET.sub(_code_point, text[last:].translate(_ASCII_FOR)))
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One row of the error catalog."""

    code: str
    status: int | None
    """HTTP status, or ``None`` for errors that travel only by redirect (A-7)."""
    message_vi: str
    where: str
    clause: str
    """The clause an error of this code cites when the raiser names none."""
    source: str = "PROTOCOL §8"


_INVALID_LOGIN = "Yêu cầu đăng nhập không hợp lệ"
_SESSION_INVALID = "Phiên đăng nhập không hợp lệ"
_EXPIRED = "Phiên đăng nhập đã hết hạn"
_LEVEL2 = "Tài khoản định danh điện tử chưa đạt mức 2"
_GENERIC = "Đã xảy ra lỗi, vui lòng thử lại"

_CATALOG: tuple[ErrorSpec, ...] = (
    # PROTOCOL.md §8, in its order.
    ErrorSpec(
        "app_update_required",
        426,
        "Vui lòng cập nhật ứng dụng lên phiên bản mới nhất",
        "VssID backend, VNeID server",
        "V-4",
    ),
    ErrorSpec("app_version_invalid", 400, "Phiên bản ứng dụng không hợp lệ", "both", "V-3"),
    ErrorSpec("invalid_credentials", 401, "Sai thông tin đăng nhập", "VNeID sessions", "A-4"),
    ErrorSpec("account_locked", 423, "Tài khoản đã bị khoá", "VNeID sessions", "A-4"),
    ErrorSpec(
        "unmet_authentication_requirements", None, _LEVEL2, "VNeID authorize (redirect)", "P-2"
    ),
    ErrorSpec("access_denied", None, "Bạn đã huỷ đăng nhập", "VNeID authorize (redirect)", "A-7"),
    ErrorSpec("invalid_client", 400, _INVALID_LOGIN, "VNeID authorize (no redirect), token", "S-3"),
    ErrorSpec("invalid_redirect_uri", 400, _INVALID_LOGIN, "VNeID authorize (no redirect)", "S-2"),
    ErrorSpec("invalid_grant", 400, _EXPIRED, "VNeID token", "T-2"),
    ErrorSpec("state_mismatch", 400, _SESSION_INVALID, "VssID complete", "R-1"),
    ErrorSpec("issuer_mismatch", 400, _SESSION_INVALID, "VssID complete", "R-2"),
    ErrorSpec("transaction_expired", 410, _EXPIRED, "VssID complete", "R-1"),
    ErrorSpec("transaction_already_used", 409, _EXPIRED, "VssID complete", "R-1"),
    ErrorSpec("id_token_invalid", 401, "Không xác thực được danh tính", "VssID complete", "R-12"),
    ErrorSpec("identity_level_insufficient", 403, _LEVEL2, "VssID complete", "R-10"),
    ErrorSpec(
        "vssid_account_not_found",
        404,
        "Bạn chưa có tài khoản VssID, vui lòng đăng ký",
        "VssID complete",
        "P-1",
    ),
    # Codes the RFCs that PROTOCOL.md names define (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1).
    ErrorSpec("invalid_request", 400, _INVALID_LOGIN, "any endpoint", "A-2", "RFC 6749"),
    ErrorSpec(
        "invalid_scope", None, _INVALID_LOGIN, "VNeID authorize (redirect)", "A-2", "RFC 6749"
    ),
    ErrorSpec(
        "unsupported_response_type",
        None,
        _INVALID_LOGIN,
        "VNeID authorize (redirect)",
        "A-2",
        "RFC 6749",
    ),
    ErrorSpec(
        "request_not_supported",
        None,
        _INVALID_LOGIN,
        "VNeID authorize (redirect)",
        "A-2",
        "OpenID Connect Core §3.1.2.6",
    ),
    ErrorSpec(
        "request_uri_not_supported",
        None,
        _INVALID_LOGIN,
        "VNeID authorize (redirect)",
        "A-2",
        "OpenID Connect Core §3.1.2.6",
    ),
    ErrorSpec(
        "login_required",
        401,
        "Vui lòng đăng nhập lại",
        "VNeID authorize (redirect); VNeID app API",
        "A-4",
        "OpenID Connect Core §3.1.2.6",
    ),
    ErrorSpec("unsupported_grant_type", 400, _INVALID_LOGIN, "VNeID token", "T-1", "RFC 6749"),
    ErrorSpec("unauthorized_client", 400, _INVALID_LOGIN, "VNeID token", "T-1", "RFC 6749"),
    ErrorSpec(
        "invalid_token", 401, _SESSION_INVALID, "bearer-protected endpoints", "T-5", "RFC 6750"
    ),
    # The harness's own codes: a transaction it does not hold, an issuer it cannot reach, the
    # test-control API's refusals, and a request refused for its form or size
    # (docs/robustness.md); server_error is a harness bug, said so in its description.
    ErrorSpec("transaction_not_found", 404, _EXPIRED, "VssID complete", "R-1", "harness"),
    ErrorSpec("provider_unavailable", 502, _GENERIC, "VssID complete", "A-6", "harness"),
    ErrorSpec("forbidden", 403, _GENERIC, "test-control API", "S-6", "harness"),
    ErrorSpec("not_found", 404, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("in_use", 409, _GENERIC, "test-control API", "S-6", "harness"),
    ErrorSpec("method_not_allowed", 405, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("request_timeout", 408, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("payload_too_large", 413, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("uri_too_long", 414, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("unsupported_media_type", 415, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("request_header_fields_too_large", 431, _GENERIC, "any endpoint", "A-1", "harness"),
    ErrorSpec("server_error", 500, _GENERIC, "any endpoint", "A-1", "harness"),
    # RFC 6749 §4.1.2.1 (also used for a full in-memory store: try again later).
    ErrorSpec("temporarily_unavailable", 503, _GENERIC, "any endpoint", "A-1", "RFC 6749"),
)

ERRORS: Mapping[str, ErrorSpec] = MappingProxyType({spec.code: spec for spec in _CATALOG})


def error_spec(code: str) -> ErrorSpec:
    """The catalog row for ``code``; raises ``KeyError`` naming the known codes."""
    try:
        return ERRORS[code]
    except KeyError:
        raise KeyError(f"unknown error code {code!r}; known: {', '.join(sorted(ERRORS))}") from None


class ProtocolError(Exception):
    """A refusal the protocol names: error code, clause, HTTP status and description.

    ``description`` is for the developer (English, says what to fix); ``message_vi`` is what
    the apps' error screens show.
    """

    default_code = "invalid_request"

    def __init__(
        self,
        description: str,
        *,
        code: str | None = None,
        clause: str | None = None,
        status: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        spec = error_spec(self.code)
        self.clause = clause or spec.clause
        self.status = status if status is not None else (spec.status or 400)
        self.description = description
        self.message_vi = spec.message_vi
        self.extra: dict[str, Any] = dict(extra or {})
        super().__init__(f"{self.code} ({self.clause}): {description}")

    def to_body(self) -> dict[str, Any]:
        """The §8 error JSON: ``{error, error_description, clause}`` plus ``message``; the
        description in the characters OAuth allows (:func:`oauth_description`)."""
        body: dict[str, Any] = {
            "error": self.code,
            "error_description": oauth_description(self.description),
            "clause": self.clause,
            "message": self.message_vi,
        }
        body.update(self.extra)
        return body


class VersionError(ProtocolError):
    """V-3: a version that is missing or malformed is refused, never treated as new enough."""

    default_code = "app_version_invalid"


class IdentifierError(ProtocolError):
    """§1: a ``personal_id`` or ``bhxh_code`` that is not well-formed."""

    default_code = "invalid_request"


class LinkError(ProtocolError):
    """An authorization link or a callback URL that cannot be decoded."""

    default_code = "invalid_request"
