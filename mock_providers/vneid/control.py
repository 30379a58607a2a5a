"""The test-control API under ``/_harness/`` (§11, not part of the protocol).

S-6: "The test-control API of a mock provider is only served on loopback unless an admin
token is configured": every route goes through :func:`mock_providers._http.require_control_access`.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from harness.protocol import ProtocolError, finite_number, paths
from mock_providers._http import (
    FastJSONResponse,
    persisting,
    read_json_object,
    require_control_access,
    require_str,
)
from mock_providers._lease import lease_routes
from mock_providers.vneid.records import ClientRecord, PersonaRecord

if TYPE_CHECKING:
    from mock_providers.vneid.provider import VNeIDProvider

__all__ = ["MAX_CLOCK_OFFSET", "ControlApi", "package_version"]

MAX_CLOCK_OFFSET = 10 * 366 * 86_400
"""Ten years, in seconds: the largest clock move the control API accepts."""
Handler = Callable[[Request], Awaitable[Response]]
_FAULT_FIELDS = ("client_id", "fault", "times")


def package_version() -> str:
    try:
        return importlib.metadata.version("vneid-harness")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0+unknown"


class ControlApi:
    def __init__(self, provider: VNeIDProvider) -> None:
        self.provider = provider
        self._own_host = urlsplit(provider.settings.issuer).hostname
        """The issuer's host: a name the control API is called by besides loopback's."""

    def _guarded(self, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            require_control_access(request, self.provider.settings.admin_token, self._own_host)
            return await handler(request)

        return wrapped

    def routes(self) -> list[BaseRoute]:
        table: list[tuple[str, Handler, str]] = [
            (paths.HEALTH, self.health, "GET"),
            (paths.PERSONAS, self.list_personas, "GET"),
            (paths.PERSONAS, self.put_persona, "POST"),
            (paths.PERSONAS + "/{personal_id}", self.delete_persona, "DELETE"),
            (paths.CLIENTS, self.list_clients, "GET"),
            (paths.CLIENTS, self.put_client, "POST"),
            (paths.CLIENTS + "/{client_id:path}", self.delete_client, "DELETE"),
            (paths.CLOCK, self.set_clock, "POST"),
            (paths.FAULTS, self.list_faults, "GET"),
            (paths.FAULTS, self.arm_fault, "POST"),
            (paths.FAULTS, self.clear_faults, "DELETE"),
            (paths.REQUESTS, self.list_requests, "GET"),
            (paths.REQUESTS, self.clear_requests, "DELETE"),
        ]
        routes: list[BaseRoute] = [
            Route(path, self._guarded(h), methods=[m]) for path, h, m in table
        ]
        return [*routes, *lease_routes(self.provider.lease, self._guarded)]

    async def health(self, request: Request) -> Response:
        return FastJSONResponse(
            {"status": "ok", "version": package_version(), "issuer": self.provider.issuer}
        )

    async def list_personas(self, request: Request) -> Response:
        return FastJSONResponse({"personas": [p.to_json() for p in self.provider.personas()]})

    async def put_persona(self, request: Request) -> Response:
        body = await read_json_object(request, clause="A-4")
        persona = await persisting(
            self.provider, self.provider.add_persona, PersonaRecord.from_json(body)
        )
        return FastJSONResponse(persona.to_json())

    async def delete_persona(self, request: Request) -> Response:
        personal_id = request.path_params["personal_id"]
        if not await persisting(self.provider, self.provider.remove_persona, personal_id):
            raise ProtocolError(
                f"no persona with personal_id {personal_id[:32]!r}", code="not_found", clause="A-4"
            )
        return FastJSONResponse({"deleted": personal_id})

    async def list_clients(self, request: Request) -> Response:
        return FastJSONResponse({"clients": [c.to_json() for c in self.provider.clients()]})

    async def put_client(self, request: Request) -> Response:
        body = await read_json_object(request, clause="T-1")
        client = await persisting(
            self.provider, self.provider.register_client, ClientRecord.from_json(body)
        )
        return FastJSONResponse(client.to_json())

    async def delete_client(self, request: Request) -> Response:
        client_id = request.path_params["client_id"]
        if not await persisting(self.provider, self.provider.remove_client, client_id):
            raise ProtocolError(
                f"no client with client_id {client_id[:64]!r}", code="not_found", clause="T-1"
            )
        return FastJSONResponse({"deleted": client_id})

    async def set_clock(self, request: Request) -> Response:
        body = await read_json_object(request, clause="T-2")
        offset = finite_number(body.get("offset_seconds"))
        if offset is None or abs(offset) > MAX_CLOCK_OFFSET:
            raise ProtocolError(
                f"'offset_seconds' must be a finite number of seconds within ±{MAX_CLOCK_OFFSET}",
                clause="T-2",
            )
        clock = self.provider.clock
        clock.offset = offset
        return FastJSONResponse({"offset_seconds": clock.offset, "now": clock.now()})

    async def list_faults(self, request: Request) -> Response:
        """``{faults: [{client_id, fault, remaining, clause, stage}], catalog: [...]}``."""
        return FastJSONResponse(
            {
                "faults": self.provider.armed_faults(),
                "catalog": [f.to_json() for f in self.provider.faults.registry],
            }
        )

    async def arm_fault(self, request: Request) -> Response:
        """``{client_id, fault, times?}`` → ``{client_id, fault, remaining}``."""
        body = await read_json_object(request, clause="R-12")
        unknown = sorted(str(k) for k in body if k not in _FAULT_FIELDS)
        if unknown:
            raise ProtocolError(
                f"unknown field(s) {', '.join(map(repr, unknown))}; known: "
                f"{', '.join(_FAULT_FIELDS)}",
                clause="R-12",
            )
        client_id = require_str(body, "client_id", clause="R-12", max_len=256)
        fault = require_str(body, "fault", clause="R-12", max_len=256)
        return FastJSONResponse(self.provider.arm_fault(client_id, fault, body.get("times", 1)))

    async def clear_faults(self, request: Request) -> Response:
        """Disarm every fault, or only those of ``?client_id=`` → ``{cleared}``."""
        client_id = request.query_params.get("client_id")
        return FastJSONResponse({"cleared": self.provider.clear_faults(client_id)})

    async def list_requests(self, request: Request) -> Response:
        return FastJSONResponse({"requests": await self.provider.requests.all_json()})

    async def clear_requests(self, request: Request) -> Response:
        cleared = len(self.provider.requests)  # counted, not read (reading redacts them all)
        self.provider.requests.clear()
        return FastJSONResponse({"cleared": cleared})
