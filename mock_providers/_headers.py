"""Request headers as the mock providers read them: by name from a dict made once per
request (:func:`header`), and the names a request may carry only once or that gate the app
API (the version and platform headers, V-3 to V-5)."""

from __future__ import annotations

from starlette.requests import Request

SINGLE_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "content-length",
        "host",
        "x-harness-admin-token",
        "x-vneid-app-version",
        "x-vssid-app-version",
        "x-device-platform",
    }
)
"""Headers a request may carry once: two ``Authorization`` or two version headers are an
ambiguity a proxy and this server could read differently (RFC 9110 §5.3)."""


PLATFORM_HEADER = "X-Device-Platform"
VERSION_HEADERS = {"vneid": "X-VNeID-App-Version", "vssid": "X-VssID-App-Version"}
PLATFORM_KEY = PLATFORM_HEADER.lower().encode("latin-1")
VERSION_KEYS = {app: name.lower().encode("latin-1") for app, name in VERSION_HEADERS.items()}
"""The names as :func:`header` looks them up (ASGI gives names in lower case)."""
HEADERS_KEY = "mock_providers.headers"
"""Where a request's scope keeps its headers by name (:func:`header`)."""


def headers_by_name(raw: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    return dict(reversed(raw))  # of a repeated name, the first wins (as in Starlette's Headers)


def header(request: Request, name: bytes) -> str | None:
    """The value of the request's header ``name`` (lower case, as ASGI gives names), or
    ``None``: what ``request.headers.get`` answers, from a dict made once per request (the
    middleware makes it while it checks the head) instead of a scan per lookup."""
    scope = request.scope
    by_name = scope.get(HEADERS_KEY)
    if by_name is None:
        by_name = scope[HEADERS_KEY] = headers_by_name(scope["headers"])
    value = by_name.get(name)
    return None if value is None else value.decode("latin-1")
