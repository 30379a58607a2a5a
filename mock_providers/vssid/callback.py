"""Checks of the authorization response delivered to VssID (R-1…R-4), pure.

Order: the redirect URI (R-4), ``state`` (R-1), ``iss`` (R-2), then an ``error`` (R-3), then
the ``code``. RFC 9207 §2.4: the client checks ``iss`` before it acts on any other parameter,
including an error, so a mixed-up error response is refused as ``issuer_mismatch``.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from harness.protocol import (
    Callback,
    Profile,
    ProtocolError,
    delivered_to,
    parse_callback,
    parse_link,
)
from harness.protocol.text import clip

__all__ = ["AUTHORIZATION_ERRORS", "authorization_error", "check_callback"]

AUTHORIZATION_ERRORS: Mapping[str, int] = {
    # A-7 and RFC 6749 §4.1.2.1 codes the §8 catalog knows, with the status VssID answers.
    "access_denied": 400,
    "invalid_request": 400,
    "invalid_scope": 400,
    "unsupported_response_type": 400,
    "unauthorized_client": 400,
    "unmet_authentication_requirements": 403,
    "server_error": 502,
}
_ERROR_CHARS = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]{1,64}")  # RFC 6749 §4.1.2.1


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def authorization_error(callback: Callback) -> ProtocolError:
    """R-3: "An ``error`` in the callback ends the transaction with that error; no token
    request is made." A code the §8 catalog has is passed through (``access_denied`` 400,
    ``unmet_authentication_requirements`` 403, ``server_error`` 502); ``temporarily_unavailable``
    becomes 502 ``provider_unavailable``; anything else is 400 ``invalid_request``. The
    provider's code and description travel as ``provider_error``/``provider_error_description``.
    """
    error = callback.error or ""
    described = clip(callback.error_description or "", 300)
    shown = error if _ERROR_CHARS.fullmatch(error) else repr(error[:64])
    extra = {"provider_error": shown, "provider_error_description": described or None}
    suffix = f": {described}" if described else ""
    if error in AUTHORIZATION_ERRORS:
        return ProtocolError(
            f"VNeID answered the authorization request with {error}{suffix}",
            code=error,
            status=AUTHORIZATION_ERRORS[error],
            clause="R-3",
            extra=extra,
        )
    if error == "temporarily_unavailable":
        return ProtocolError(
            f"VNeID is temporarily unavailable{suffix}",
            code="provider_unavailable",
            clause="R-3",
            extra=extra,
        )
    return ProtocolError(
        f"VNeID answered the authorization request with the error {shown}, "
        f"which VssID does not know{suffix}",
        code="invalid_request",
        clause="R-3",
        extra=extra,
    )


def check_callback(
    callback_url: str,
    *,
    redirect_uri: str,
    state: str,
    issuer: str,
    profile: Profile,
    skip: frozenset[str] = frozenset(),
) -> str:
    """Check the callback of one transaction and return its authorization ``code``.

    - R-4: "The callback came to the registered ``redirect_uri``" (scheme, authority, path and
      the URI's own query; unrecognized response parameters are ignored, RFC 6749 §4.1.2);
    - R-1: "``state`` in the callback equals the transaction's" (constant-time);
    - R-2: "``iss`` in the callback equals the expected issuer" (missing counts as wrong);
    - R-3: an ``error`` ends the login (see :func:`authorization_error`);
    - A-5: a success response carries ``code``.

    ``skip`` (test only, :attr:`VssIDSettings.skip_checks`): ``"state"`` leaves out R-1,
    ``"iss"`` R-2, ``"redirect_uri"`` R-4, to play a broken relying party.
    """
    link = parse_link(callback_url, clause="A-6")  # once, for both
    callback = parse_callback(link, profile)
    if "redirect_uri" not in skip and not delivered_to(link, redirect_uri):
        raise ProtocolError(
            f"the callback came to {callback.redirect_uri!r:.200}, not to this "
            f"login's redirect_uri {redirect_uri!r}",
            clause="R-4",
        )
    if "state" not in skip and not _same(callback.state, state):
        raise ProtocolError(
            "the callback's state is missing or is not this login's state",
            code="state_mismatch",
            clause="R-1",
        )
    if "iss" not in skip:
        if callback.iss is None:
            raise ProtocolError(
                "the callback carries no iss; VNeID must send it (RFC 9207)",
                code="issuer_mismatch",
                clause="R-2",
            )
        if not _same(callback.iss, issuer):
            raise ProtocolError(
                f"the callback's iss {callback.iss!r:.200} is not the expected issuer {issuer!r}",
                code="issuer_mismatch",
                clause="R-2",
            )
    if callback.error is not None:
        raise authorization_error(callback)
    if not callback.code:
        raise ProtocolError("the callback carries neither code nor error", clause="A-5")
    return callback.code
