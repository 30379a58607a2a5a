"""Direct calls of a provider's plain routes, for :class:`mock_providers._http.ProviderMiddleware`.

Starlette hands a request to an endpoint through five layers: the exception middleware, the
router (which tries the routes in order, a regular expression each), the route, the
``request_response`` wrapper and the route's own exception wrapper; the last two each wrap
``send`` once more. For a route that is a fixed path with an ``async def endpoint(request)``,
all of that decides nothing a table cannot decide once: :func:`direct_routes` builds the table
from the app's router, keeping only what the router itself would choose for that method and
path, and :func:`call_direct` calls the endpoint and maps what it raises through the app's
exception handlers as the exception middleware would. Everything else (path parameters, 404,
405, a ``root_path``, an app with status-code handlers) keeps Starlette's way.

Measured in ``benchmarks/bench_flow.py``: see ``benchmarks/README.md``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send

__all__ = [
    "DirectRoute",
    "ExceptionHandler",
    "call_direct",
    "direct_routes",
    "handled_exceptions",
    "whole_body",
]

Endpoint = Callable[[Request], Awaitable[Response]]
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class DirectRoute:
    """A route the middleware calls directly, with what the router would put in the scope."""

    route: Route
    endpoint: Endpoint
    router: Any


def _plain(route: BaseRoute) -> TypeGuard[Route]:
    """A fixed path whose app is Starlette's ``request_response`` around an async function."""
    if type(route) is not Route or route.param_convertors or not route.methods:
        return False
    endpoint = route.endpoint
    return (
        (inspect.isfunction(endpoint) or inspect.ismethod(endpoint))
        and inspect.iscoroutinefunction(endpoint)
        and getattr(route.app, "__qualname__", "") == "request_response.<locals>.app"
    )


def _chosen(routes: list[BaseRoute], method: str, path: str) -> BaseRoute | None:
    """The route Starlette's router hands ``method path`` to when it matches fully."""
    probe: Scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    for route in routes:
        match, _ = route.matches(probe)
        if match is Match.FULL:
            return route
    return None


def direct_routes(app: Any) -> dict[tuple[str, str], DirectRoute]:
    """``(method, path) → DirectRoute`` for the plain routes of a Starlette ``app`` that its
    router would choose for that method and path; empty when the app has status-code
    exception handlers or none of its own for ``HTTPException`` (the exception middleware
    would then use its own lookup or default)."""
    handlers = app.exception_handlers
    if HTTPException not in handlers or any(isinstance(key, int) for key in handlers):
        return {}
    router = app.router
    routes = list(router.routes)
    table: dict[tuple[str, str], DirectRoute] = {}
    for route in routes:
        if not _plain(route):
            continue
        for method in route.methods or ():
            if _chosen(routes, method, route.path) is route:
                table[(method, route.path)] = DirectRoute(route, route.endpoint, router)
    return table


def handled_exceptions(app: Any) -> dict[type[Exception], ExceptionHandler]:
    """The handlers Starlette's exception middleware applies (the ``Exception`` one is the
    outermost server-error middleware's, so an unexpected failure still goes there)."""
    return {
        key: handler
        for key, handler in app.exception_handlers.items()
        if isinstance(key, type) and key is not Exception
    }


def _handler_for(
    handlers: Mapping[type[Exception], ExceptionHandler], exc: Exception
) -> ExceptionHandler | None:
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            return handler
    return None


async def call_direct(
    direct: DirectRoute,
    handlers: Mapping[type[Exception], ExceptionHandler],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> Response:
    """The endpoint's response to the request, or the handler's response to what it raised
    (re-raised when no handler takes it, as the exception middleware does). The caller sends
    the response."""
    scope.setdefault("router", direct.router)
    scope["route"] = direct.route
    scope["endpoint"] = direct.endpoint
    scope["path_params"] = dict(scope.get("path_params", ()))
    request = Request(scope, receive, send)
    try:
        return await direct.endpoint(request)
    except Exception as exc:
        handler = _handler_for(handlers, exc)
        if handler is None:
            raise
        response = await handler(request, exc)
        exc.__traceback__ = None  # as Starlette does: a reused instance gathers no tracebacks
        return response


def whole_body(response: Response) -> bool:
    """Whether ``response`` sends exactly its ``body`` (not a streaming or file response)."""
    return type(response).__call__ is Response.__call__ and not response.background
