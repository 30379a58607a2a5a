"""What a request must show before a handler acts on it: a Bearer token (RFC 6750), an app
version the profile accepts (V-3, V-4, V-5) and, on the test-control API, a loopback caller
or the admin token (S-6); a loopback caller without the token must also not be a web page
(:func:`require_control_access`)."""

from __future__ import annotations

import functools
import hmac

from starlette.requests import Request

from harness.protocol import (
    AppId,
    Profile,
    ProtocolError,
    VersionError,
    parse_version,
)
from harness.protocol.hosts import IN_PROCESS_CLIENT, is_loopback
from mock_providers._headers import PLATFORM_KEY, VERSION_HEADERS, VERSION_KEYS, header
from mock_providers._refusals import MalformedBearer, MissingCredentials

IN_PROCESS_CLIENTS = frozenset({"testclient", IN_PROCESS_CLIENT})
"""Callers that are this process (Starlette's TestClient names itself so, the harness's
in-process transport :data:`~harness.protocol.hosts.IN_PROCESS_CLIENT`; a server reports an
address): loopback for the control API (S-6), beside :func:`harness.protocol.hosts.is_loopback`,
and never a web page."""


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


def require_control_access(
    request: Request, admin_token: str | None, own_host: str | None = None
) -> None:
    """S-6: the control API answers loopback callers, or anyone with the admin token.

    A loopback caller without the token is any program on the machine, web browsers
    included: a page the developer visits can make the browser send requests to
    ``127.0.0.1:PORT``. So such a request must also name the provider by a loopback name or
    its own host (``own_host``: the host of its issuer or base URL, ``serve --public-host``)
    in ``Host``, which DNS rebinding cannot (the page's own name, rebound to 127.0.0.1, is
    what its browser sends), and must not come from a page of another origin (``Origin``,
    which browsers send with every cross-origin POST: a form, or a ``fetch`` of a body
    without a content type, needs no CORS preflight). With an admin token neither is
    needed: a page can neither know the token nor send its header without a preflight,
    which the providers never grant."""
    if admin_token is not None:
        given = header(request, b"x-harness-admin-token")
        if given is None:
            auth = header(request, b"authorization") or ""
            given = auth[7:] if auth.lower().startswith("bearer ") else None
        if given is not None and hmac.compare_digest(given.encode(), admin_token.encode()):
            return
        raise _forbidden(
            "the test-control API needs the admin token (X-Harness-Admin-Token)"
            if given is None
            else "the admin token given (X-Harness-Admin-Token) is not this "
            "provider's: give the one it was served with"
        )
    client = request.client.host if request.client else None
    if client in IN_PROCESS_CLIENTS:
        return
    if not is_loopback(client):
        raise _forbidden(
            f"the test-control API is served only to loopback callers, not {client}; "
            "configure an admin token to reach it from elsewhere"
        )
    host = header(request, b"host")
    if host is not None and not _local_name(host, own_host):
        raise _forbidden(
            f"the test-control API answers loopback callers only under a loopback name, "
            f"not Host {host[:80]!r} (a web page reaching it through DNS rebinding names "
            "its own host); call it as http://127.0.0.1:PORT or http://localhost:PORT "
            "(or the serve --public-host name), or configure an admin token"
        )
    origin = header(request, b"origin")
    if origin is not None and not _same_origin(origin, host):
        raise _forbidden(
            f"the test-control API does not answer web pages of another origin "
            f"(Origin {origin[:80]!r}): a page the browser shows must not rewrite the "
            "mock (cross-site request forgery); call it from a test or a tool, which "
            "sends no Origin, or configure an admin token"
        )


def _forbidden(message: str) -> ProtocolError:
    """A control-API refusal (S-6): 403 ``forbidden``."""
    return ProtocolError(message, code="forbidden", clause="S-6")


@functools.lru_cache(maxsize=64)
def _local_name(host: str, own_host: str | None) -> bool:
    """Whether the ``Host`` header ``host`` (``name[:port]``, ``[v6]:port``, RFC 9110 §7.2)
    names this machine by a loopback name (``localhost``, ``127.0.0.0/8``, ``[::1]``) or
    ``own_host``; anything else in it (user information, a path) is no name."""
    if host.startswith("["):
        name, bracket, port = host[1:].partition("]")
        if not bracket or (port and not (port[0] == ":" and _is_port(port[1:]))):
            return False
        return ":" in name and is_loopback(name)
    name, colon, port = host.rpartition(":")
    if not colon:
        name = host
    elif not _is_port(port):
        return False
    name = name.lower()
    if not name or not all(c.isalnum() or c in "-._" for c in name):
        return False
    return is_loopback(name) or (own_host is not None and name == own_host.lower())


def _is_port(text: str) -> bool:
    """RFC 3986 §3.2.3's ``port``, ASCII digits (``str.isdigit()`` alone takes '¹²', '١٢')."""
    return text.isascii() and text.isdigit()


def _same_origin(origin: str, host: str | None) -> bool:
    """Whether ``Origin`` is the provider's own (``http(s)://`` and the ``Host`` it was
    called by): a page it served itself. ``null`` (a sandboxed frame, a ``file:`` page) is
    not."""
    if host is None:
        return False
    scheme, sep, authority = origin.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and authority.lower() == host.lower()
