"""What a request must show before a handler acts on it: a Bearer token (RFC 6750), an app
version the profile accepts (V-3, V-4, V-5) and, on the test-control API, a loopback caller
or the admin token (S-6)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from harness.protocol import (
    AppId,
    Profile,
    ProtocolError,
    VersionError,
    parse_version,
)
from harness.protocol.hosts import is_loopback
from mock_providers._headers import PLATFORM_KEY, VERSION_HEADERS, VERSION_KEYS, header
from mock_providers._refusals import MalformedBearer, MissingCredentials

IN_PROCESS_CLIENTS = frozenset({"testclient"})
"""Callers that are this process (Starlette's TestClient names itself so; a server reports an
address): loopback for the control API (S-6), beside :func:`harness.protocol.hosts.is_loopback`."""


_AUTH_SCHEMES = frozenset(
    {
        "basic",
        "bearer",
        "concealed",
        "digest",
        "dpop",
        "gnap",
        "hoba",
        "mutual",
        "negotiate",
        "oauth",
        "privatetoken",
        "scram-sha-1",
        "scram-sha-256",
        "vapid",
        "aws4-hmac-sha256",
    }
)
"""Authentication scheme names (IANA's registry and a few in wide use) that a refusal may
name; anything else in their place may be a token sent without one."""


def bearer_token(request: Request, *, clause: str, code: str = "invalid_token") -> str:
    """The Bearer token of ``Authorization`` (RFC 6750 §2.1). RFC 6750 §3.1: no credentials,
    or another scheme (``Basic``), is a 401 whose challenge carries no error code; a Bearer
    header without exactly one token is a malformed request, 400 ``invalid_request``."""
    value = header(request, b"authorization")
    scheme, _, token = (value or "").partition(" ")
    if not value or scheme.lower() != "bearer":
        said = (
            "missing Authorization"
            if not value
            else f"the Authorization scheme {scheme!r} is not accepted"
            if scheme.lower() in _AUTH_SCHEMES
            # not echoed: a bare token, no scheme, would be shown here (S-5)
            else "the Authorization header is not a scheme and credentials"
        )
        raise MissingCredentials(
            f"{said}; send 'Authorization: Bearer <token>'", code=code, clause=clause
        )
    token = token.strip(" ")
    if not token or len(token) > 4096 or " " in token:
        raise MalformedBearer(
            "Authorization: Bearer must carry exactly one token (RFC 6750 "
            "§2.1): send 'Authorization: Bearer <token>'",
            code="invalid_request",
            clause=clause,
        )
    return token


def check_app_version(request: Request, app: AppId, profile: Profile) -> str | None:
    """Gate an app API call on its version header (V-3, V-4, V-5).

    Returns the caller's platform. A missing or malformed version is ``app_version_invalid``
    (400); one below the profile's minimum is ``app_update_required`` (426) with the
    ``store_url`` for the caller's platform.
    """
    name = VERSION_HEADERS[app]
    clause = "V-5" if app == "vneid" else "V-4"
    platform = header(request, PLATFORM_KEY)
    platform = platform.lower() if platform else None
    try:
        version = parse_version(header(request, VERSION_KEYS[app]))
    except VersionError as exc:
        raise VersionError(f"{name}: {exc.description}", clause="V-3") from None
    minimum = profile.min_version(app)
    if version < minimum:
        store = profile.store_link(app, platform)
        said = (
            ""
            if store is not None
            else f"; no store_url for {'no platform' if platform is None else 'that platform'}"
            " (X-Device-Platform: ios or android), store_urls lists each"
        )
        raise ProtocolError(
            f"{name} {version} is below the minimum {minimum}; update the app{said}",
            code="app_update_required",
            clause=clause,
            extra={
                "minimum_version": str(minimum),
                "store_url": store,
                "store_urls": dict(profile.store_links.get(app, {})),
            },
        )
    return platform


def require_control_access(request: Request, admin_token: str | None) -> None:
    """S-6: the control API answers loopback callers, or anyone with the admin token."""
    if admin_token is not None:
        given = header(request, b"x-harness-admin-token")
        if given is None:
            auth = header(request, b"authorization") or ""
            given = auth[7:] if auth.lower().startswith("bearer ") else None
        if given is not None and hmac.compare_digest(given.encode(), admin_token.encode()):
            return
        raise ProtocolError(
            "the test-control API needs the admin token (X-Harness-Admin-Token)"
            if given is None
            else "the admin token given (X-Harness-Admin-Token) is not this "
            "provider's: give the one it was served with",
            code="forbidden",
            clause="S-6",
        )
    client = request.client.host if request.client else None
    if not is_loopback(client) and client not in IN_PROCESS_CLIENTS:
        raise ProtocolError(
            f"the test-control API is served only to loopback callers, not {client}; "
            "configure an admin token to reach it from elsewhere",
            code="forbidden",
            clause="S-6",
        )
