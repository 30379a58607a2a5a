"""The VssID test-control API under ``/_harness/`` (§11), guarded by S-6.

| method and path | what |
| --- | --- |
| ``GET /_harness/health`` | ``{status: "ok", version}`` |
| ``GET``/``POST /_harness/accounts`` | list (``?personal_id=ID``: ID's) / add or replace (P-1) |
| ``DELETE /_harness/accounts/{bhxh_code}`` | remove one (404 ``not_found`` if unknown) |
| ``GET``/``POST /_harness/config`` | the relying-party settings (secret redacted) / change them |
| ``GET``/``POST /_harness/clock`` | ``{offset_seconds}``: move the provider's clock |
| ``GET``/``DELETE /_harness/requests`` | ``?direction=incoming`` (default) or ``outgoing`` |
| ``GET``/``POST /_harness/lease``, ``DELETE …/{id}`` | one user at a time (``_lease``) |

S-6: "The test-control API of a mock provider is only served on loopback unless an admin
token is configured; it is never reachable without it on another address."
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.protocol import ProtocolError, finite_number, paths
from harness.protocol.json_names import json_shown
from mock_providers._http import (
    FastJSONResponse,
    persisting,
    read_json_object,
    require_control_access,
)
from mock_providers._lease import lease_routes
from mock_providers.vssid.accounts import AccountRecord

if TYPE_CHECKING:
    from mock_providers.vssid.provider import VssIDProvider

__all__ = ["MAX_CLOCK_OFFSET", "control_routes", "package_version"]

MAX_CLOCK_OFFSET = 10 * 366 * 24 * 3600.0
_CONFIG_FIELDS = ("issuer", "client_id", "client_secret", "redirect_uri", "link_form")
Handler = Callable[[Request], Awaitable[Response]]


def package_version() -> str:
    try:
        return version("vneid-harness")
    except PackageNotFoundError:
        return "0+unknown"


def parse_clock_offset(body: dict[str, Any]) -> float:
    """``offset_seconds``: a finite number of at most ten years either way."""
    raw = body.get("offset_seconds")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ProtocolError(
            f"'offset_seconds' must be a number, got {json_shown(raw)}", clause="R-8"
        )
    value = finite_number(raw)
    if value is None or abs(value) > MAX_CLOCK_OFFSET:
        raise ProtocolError(
            f"'offset_seconds' must be finite and within ±{MAX_CLOCK_OFFSET:g} s (ten years)",
            clause="R-8",
        )
    return value


def _direction(request: Request) -> str | None:
    direction = request.query_params.get("direction")
    if direction not in (None, "incoming", "outgoing"):
        raise ProtocolError("'direction' must be 'incoming' or 'outgoing'", clause="S-5")
    return direction


def control_routes(provider: VssIDProvider) -> list[Route]:
    own_host = urlsplit(provider.settings.base_url).hostname  # besides loopback's names

    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            require_control_access(request, provider.settings.admin_token, own_host)
            return await handler(request)

        return endpoint

    async def health(request: Request) -> Response:
        return FastJSONResponse({"status": "ok", "version": package_version()})

    async def list_accounts(request: Request) -> Response:
        wanted = request.query_params.get("personal_id")
        if wanted is not None and len(wanted) > 64:  # as documented (openapi.json)
            raise ProtocolError(
                "'personal_id' is at most 64 characters (a personal_id has 12 digits)", clause="P-1"
            )
        if wanted is None:
            return FastJSONResponse({"accounts": [a.to_json() for a in provider.accounts()]})
        found = provider.account_store.find_by_personal_id(wanted)  # one person, one account
        return FastJSONResponse({"accounts": [found.to_json()] if found is not None else []})

    async def put_account(request: Request) -> Response:
        body = await read_json_object(request, clause="P-1")
        record = await persisting(provider, provider.add_account, AccountRecord.from_json(body))
        return FastJSONResponse(record.to_json())

    async def delete_account(request: Request) -> Response:
        code = request.path_params["bhxh_code"]
        if not await persisting(provider, provider.remove_account, code):
            raise ProtocolError(
                f"no VssID account with bhxh_code {code!r:.40}", code="not_found", clause="P-1"
            )
        return FastJSONResponse({"deleted": code})

    async def get_config(request: Request) -> Response:
        return FastJSONResponse(provider.settings.public_json())

    async def post_config(request: Request) -> Response:
        body = await read_json_object(request, clause="R-2")
        unknown = sorted(str(k) for k in body if k not in _CONFIG_FIELDS)
        if unknown:
            raise ProtocolError(
                f"unknown config field(s) {', '.join(unknown)}; accepted: "
                f"{', '.join(_CONFIG_FIELDS)}",
                clause="R-2",
            )
        await persisting(provider, provider.configure, **body)
        return FastJSONResponse(provider.settings.public_json())

    async def get_clock(request: Request) -> Response:
        return FastJSONResponse(
            {"offset_seconds": provider.clock.offset, "now": provider.clock.now()}
        )

    async def post_clock(request: Request) -> Response:
        body = await read_json_object(request, clause="R-8")
        provider.clock.offset = parse_clock_offset(body)
        return await get_clock(request)

    async def get_requests(request: Request) -> Response:
        if _direction(request) == "outgoing":
            return FastJSONResponse({"requests": [c.to_json() for c in provider.outgoing.all()]})
        return FastJSONResponse({"requests": await provider.requests.all_json()})

    async def delete_requests(request: Request) -> Response:
        direction = _direction(request)
        if direction != "outgoing":
            provider.requests.clear()
        if direction != "incoming":
            provider.outgoing.clear()
        return FastJSONResponse({"cleared": direction or "all"})

    table: list[tuple[str, Handler, list[str]]] = [
        (paths.HEALTH, health, ["GET"]),
        (paths.ACCOUNTS, list_accounts, ["GET"]),
        (paths.ACCOUNTS, put_account, ["POST"]),
        (paths.ACCOUNTS + "/{bhxh_code}", delete_account, ["DELETE"]),
        (paths.CONFIG, get_config, ["GET"]),
        (paths.CONFIG, post_config, ["POST"]),
        (paths.CLOCK, get_clock, ["GET"]),
        (paths.CLOCK, post_clock, ["POST"]),
        (paths.REQUESTS, get_requests, ["GET"]),
        (paths.REQUESTS, delete_requests, ["DELETE"]),
    ]
    routes = [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]
    return [*routes, *lease_routes(provider.lease, guarded)]
