"""Every refusal of a mock provider as the §8 error JSON with the catalog's status: the
response itself (:func:`error_response`, its ``WWW-Authenticate`` challenge), the clause a
refusal of the request itself cites by path, and the Starlette exception handlers that turn
every failure (a 404, a 405, a disconnect, a bug) into one, never a bare 500."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import Scope

from harness.protocol import (
    ProtocolError,
    paths,
)
from harness.protocol.redaction import (
    redact_path,
    redact_secret_shapes,
)

log = logging.getLogger("mock_providers")

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class FastJSONResponse(JSONResponse):
    """Starlette's ``JSONResponse``, byte for byte, rendered by one shared encoder: its own
    ``json.dumps`` with non-default options builds a new encoder for every response."""

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


def error_response(
    err: ProtocolError, headers: Mapping[str, str] | None = None
) -> FastJSONResponse:
    """The §8 error JSON ``{error, error_description, clause, message}`` with its status. The
    description keeps nothing shaped like a secret (S-5: an issuer or ``jwks_uri`` quoted
    with its ``user:password@`` or a ``?code=`` in it; the caller may be anyone)."""
    hdrs = {"Cache-Control": "no-store", **(headers or {})}
    if err.status in _CLOSING_STATUSES:  # the rest of the body is not read: the connection
        hdrs.setdefault("Connection", "close")  # cannot carry another request (RFC 9110)
    if (err.status == 401 or isinstance(err, MalformedBearer)) and "WWW-Authenticate" not in hdrs:
        hdrs["WWW-Authenticate"] = _challenge(err)
    body = err.to_body()
    for name, value in body.items():  # the description, and what the extra fields quote
        if isinstance(value, str) and name != "error":  # (a provider's own description)
            body[name] = redact_secret_shapes(value)
    return FastJSONResponse(body, status_code=err.status, headers=hdrs)


_CLOSING_STATUSES = frozenset({408, 413})
"""Answers after which the server closes the connection: a body that came too slowly
(RFC 9110 §15.5.9: "the server SHOULD send the close connection option") or too large (its
remainder is never read; §15.5.14 lets the server close), so a client cannot hold the
connection open by trickling the body on."""


CREDENTIALS_CHALLENGE = 'Form realm="VNeID"'
"""The challenge of a 401 for a citizen's wrong passcode (the app API's sessions, the web
login page): RFC 9110 §15.5.2 wants one on every 401, and these credentials go in the request
body, not in a scheme a browser would answer with a prompt of its own."""


LOGIN_CHALLENGE = 'VNeID realm="VssID"'
"""The challenge of VssID ``complete``'s 401 ``id_token_invalid``: the request carried no
token of its own (the refused ID token came from the issuer), so no Bearer challenge, whose
error codes (RFC 6750 §3.1) do not include it; the way on is a new login with VNeID."""


class MissingCredentials(ProtocolError):
    """A 401 for a request that sent no credentials at all: its challenge names no error
    (RFC 6750 §3.1: "the resource server SHOULD NOT include an error code")."""


class MalformedBearer(ProtocolError):
    """A 400 for an ``Authorization: Bearer`` header without exactly one token: RFC 6750 §3
    has every answer to a request without a usable token carry a challenge, here
    ``Bearer error="invalid_request"``."""


def _challenge(err: ProtocolError) -> str:
    """RFC 9110 §15.5.2: a 401 carries a challenge. ``invalid_client`` (the token endpoint)
    asks for Basic with its required realm (RFC 7617 §2); the rest for Bearer (RFC 6750 §3)."""
    if err.code == "invalid_client":
        return 'Basic realm="VNeID token endpoint", charset="UTF-8"'
    if err.code == "invalid_credentials":  # a citizen's passcode in the body, not a token
        return CREDENTIALS_CHALLENGE
    if err.code == "id_token_invalid":
        return LOGIN_CHALLENGE
    if isinstance(err, MissingCredentials):
        return "Bearer"
    return f'Bearer error="{err.code}"'


_PATH_CLAUSES = {
    # VNeID: its app API (§4) and OpenID endpoints (§5)
    paths.APP_SESSIONS: "A-4",
    paths.APP_AUTHORIZATIONS: "A-5",
    paths.AUTHORIZE: "A-2",
    paths.TOKEN: "T-1",
    paths.USERINFO: "T-5",
    paths.JWKS: "T-4",
    paths.DISCOVERY: "T-4",
    # VssID: its app API (§4)
    paths.VSSID_START: "A-1",
    paths.VSSID_COMPLETE: "A-6",
    paths.VSSID_ME: "A-6",
}
"""The clause of each endpoint, which a refusal of a request there for its form cites (a 405,
a body too large; the two mocks' paths differ)."""


def path_clause(path: str) -> str:
    """The clause a refusal of the request itself cites (a 404, 405, 408, 413, 414, 431 or
    500: §8 has every error body name one): the endpoint's own
    (:data:`_PATH_CLAUSES`), the test-control API's S-6 under ``/_harness/``, the VNeID app
    API's A-4 under ``/api/app/``, else A-1 (the app's first call: a path no endpoint has)."""
    if path in _PATH_CLAUSES:
        return _PATH_CLAUSES[path]
    if path.startswith(paths.CONTROL_PREFIX):
        return "S-6"
    return "A-4" if path.startswith(paths.APP_API_PREFIX) else "A-1"


async def _on_protocol_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError)
    return error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        err = ProtocolError(
            f"{request.method} is not allowed on {request.url.path}; "
            f"allowed: {headers.get('Allow', 'none')}",
            code="method_not_allowed",
            clause=path_clause(request.url.path),
        )
    elif exc.status_code == 404:
        err = ProtocolError(
            f"no endpoint at {request.url.path}; see PROTOCOL.md §4, §5, §11",
            code="not_found",
            clause=path_clause(request.url.path),
        )
    else:
        err = ProtocolError(str(exc.detail), code="invalid_request", status=exc.status_code)
    return error_response(err, headers)


def route_methods(scope: Scope) -> set[str]:
    """Every method the routes of the app in ``scope`` take on its path."""
    router = getattr(scope.get("app"), "router", None)
    methods: set[str] = set()
    for route in getattr(router, "routes", ()):
        match, _ = route.matches({**scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match is not Match.NONE and route_methods:
            methods |= set(route_methods)
    return methods


def _allowed_methods(request: Request) -> list[str]:
    """RFC 9110 §15.5.6: a 405 lists every method of the resource, also when the methods sit
    on separate routes of one path (Starlette's own Allow names only the first route's)."""
    return sorted(route_methods(request.scope))


async def _on_disconnect(request: Request, exc: Exception) -> Response:
    """A client that went away before its body arrived: an ordinary event, logged as such
    (no traceback, not a harness bug); the answer has nobody to reach."""
    log.info("client disconnected during %s %s", request.method, redact_path(request.scope["path"]))
    return Response(status_code=400, headers={"Connection": "close"})


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # S-5: the decoded path may hold ``?code=…`` (sent as ``%3F``), the exception's text what
    # the request carried; the traceback is logged redacted, never as ``exc_info``
    log.error(
        "unexpected error on %s %s\n%s",
        request.method,
        redact_path(request.scope["path"]),
        redact_secret_shapes("".join(traceback.format_exception(exc))).rstrip(),
    )
    err = ProtocolError(
        f"the mock provider failed unexpectedly ({type(exc).__name__}); this is a harness bug, "
        "please report it with the request log",
        code="server_error",
        clause=path_clause(request.scope["path"]),
    )
    return error_response(err)


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Starlette ``exception_handlers`` mapping every failure to the §8 error JSON."""
    return {
        ProtocolError: _on_protocol_error,
        HTTPException: _on_http_exception,
        ClientDisconnect: _on_disconnect,
        Exception: _on_unexpected,
    }
