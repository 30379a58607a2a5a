"""The test-control API's lease: one user of a served provider at a time (``/_harness/lease``,
beyond §11).

Runs that share a provider fail each other's tests: before each test a run sets the clocks
back, clears the faults and empties the request logs, and faults are armed for the one
``vssid`` client, so one run's tests failed on the other's actions under clauses they do not
concern. A run against served providers therefore takes the lease of each before its first
test, renews it while it runs and releases it at its end (:mod:`harness.lease`); a second
run, conformance plan or load test finds it held and is refused (409 ``in_use``, naming the
holder), instead of failing.

| method and path | what |
| --- | --- |
| ``GET /_harness/lease`` | ``{held, holder?, expires_in?, previous?}`` |
| ``POST /_harness/lease`` | ``{holder, seconds?, lease_id?}``: take it (renew: ``lease_id``) |
| ``DELETE /_harness/lease/{lease_id}`` | release it |

A lease lasts ``seconds`` (default 60, at most 600) on the provider's base clock (real time:
a clock moved through ``/_harness/clock`` does not shorten it), so the lease of a run killed
before it could release it ends by itself; whoever takes it next is told so (``previous``,
``released: false``): what that run changed may still be there. Requests without the lease
are not refused (a person's look at the request log, a tool that knows no lease): the lease
coordinates those who take it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.protocol import Clock, Entropy, ProtocolError, SystemEntropy, finite_number, paths
from harness.protocol.json_names import json_shown
from mock_providers._bodies import read_json_object, require_str
from mock_providers._http import FastJSONResponse

__all__ = ["DEFAULT_SECONDS", "MAX_HOLDER", "MAX_SECONDS", "Lease", "lease_routes"]

DEFAULT_SECONDS = 60.0
MAX_SECONDS = 600.0
"""The longest a lease lasts without renewal: a killed holder's lease ends within it."""
MAX_HOLDER = 200
"""The most characters of a holder's description (who, where, what command)."""
_MAX_LEASE_ID = 64
_CLAUSE = "S-6"


@dataclass(slots=True)
class _Held:
    lease_id: str
    holder: str
    taken_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class _Ended:
    holder: str
    released: bool
    at: float


class Lease:
    """One provider's lease; ``clock``: real time (the provider's base clock, not its moved
    one); ``entropy``: the lease ids (apart from the provider's, so that a seeded provider
    draws what it always drew)."""

    def __init__(self, clock: Clock, entropy: Entropy | None = None) -> None:
        self._clock = clock
        self._entropy = entropy or SystemEntropy()
        self._held: _Held | None = None
        self._ended: _Ended | None = None

    def _current(self, now: float) -> _Held | None:
        """The lease held at ``now``; one past its time ends here, unreleased."""
        held = self._held
        if held is not None and held.expires_at <= now:
            self._ended = _Ended(held.holder, released=False, at=held.expires_at)
            self._held = held = None
        return held

    def state(self) -> dict[str, Any]:
        """``GET``: whether it is held, by whom and for how long yet (never the lease id)."""
        now = self._clock.now()
        held = self._current(now)
        if held is None:
            return {"held": False, "previous": self._previous(now)}
        return {"held": True, **_holding(held, now)}

    def _previous(self, now: float) -> dict[str, Any] | None:
        ended = self._ended
        if ended is None:
            return None
        return {
            "holder": ended.holder,
            "released": ended.released,
            "ended_ago": round(now - ended.at, 3),
        }

    def take(self, holder: str, seconds: float, lease_id: str | None = None) -> dict[str, Any]:
        """``POST``: the lease for ``seconds``, or renewed with its ``lease_id``; ``in_use``
        (409) while another holds it, ``not_found`` (404) for a lease id no longer held."""
        now = self._clock.now()
        held = self._current(now)
        if lease_id is not None:
            if held is None or held.lease_id != lease_id:
                raise ProtocolError(
                    "this lease is no longer held (it ran out before it was renewed, or was "
                    "released); take a new one without lease_id, and expect that someone "
                    "else may have used the provider meanwhile",
                    code="not_found",
                    clause=_CLAUSE,
                )
            held.expires_at = now + seconds
            return self._granted(held, now, previous=None)
        if held is not None:
            raise ProtocolError(
                f"the provider is in use by {held.holder} (for {now - held.taken_at:.0f} s; "
                f"the lease ends in {held.expires_at - now:.0f} s unless renewed): runs "
                "sharing a provider fail each other's tests (each test sets the clocks back, "
                "clears the faults and empties the request logs). Wait for it to end, or "
                "serve a pair of your own (vneid-harness serve --vneid-port 0 --vssid-port 0)",
                code="in_use",
                clause=_CLAUSE,
                extra=_holding(held, now),
            )
        previous = self._previous(now)
        self._held = held = _Held(self._entropy.token(16), holder, now, now + seconds)
        return self._granted(held, now, previous)

    @staticmethod
    def _granted(held: _Held, now: float, previous: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "lease_id": held.lease_id,
            "holder": held.holder,
            "expires_in": round(held.expires_at - now, 3),
            "previous": previous,
        }

    def release(self, lease_id: str) -> dict[str, Any]:
        """``DELETE``: the lease ends now; ``not_found`` (404) for a lease id not held."""
        now = self._clock.now()
        held = self._current(now)
        if held is None or held.lease_id != lease_id:
            raise ProtocolError(
                "this lease is not held (it ran out, or was released before); nothing to release",
                code="not_found",
                clause=_CLAUSE,
            )
        self._ended = _Ended(held.holder, released=True, at=now)
        self._held = None
        return {"released": True, "holder": held.holder}


def _holding(held: _Held, now: float) -> dict[str, Any]:
    """Who holds the lease and for how long yet (``GET``'s answer, a 409's fields)."""
    return {
        "holder": held.holder,
        "expires_in": round(held.expires_at - now, 3),
        "held_for": round(now - held.taken_at, 3),
    }


def _holder(body: dict[str, Any]) -> str:
    holder = require_str(body, "holder", clause=_CLAUSE, max_len=MAX_HOLDER)
    if not holder.isprintable() or not holder.strip():
        raise ProtocolError(
            "'holder' must be printable text saying who holds the lease (e.g. 'vneid-harness "
            "run, pid 4242 on ci-runner-3')",
            clause=_CLAUSE,
        )
    return holder


def _seconds(body: dict[str, Any]) -> float:
    raw = body.get("seconds", DEFAULT_SECONDS)
    value = None if isinstance(raw, bool) or not isinstance(raw, int | float) else raw
    value = finite_number(value) if value is not None else None
    if value is None or not 1 <= value <= MAX_SECONDS:
        raise ProtocolError(
            f"'seconds' must be a number from 1 to {MAX_SECONDS:g}, got {json_shown(raw)}",
            clause=_CLAUSE,
        )
    return float(value)


def _lease_id(body: dict[str, Any]) -> str | None:
    if "lease_id" not in body:
        return None
    if body["lease_id"] is None:  # not taken for "absent": the schema says a string
        raise ProtocolError(
            "'lease_id' must be a string, got null; leave it out to take a new lease",
            clause=_CLAUSE,
        )
    return require_str(body, "lease_id", clause=_CLAUSE, max_len=_MAX_LEASE_ID)


_FIELDS = frozenset({"holder", "seconds", "lease_id"})


def lease_routes(lease: Lease, guarded: Any) -> list[Route]:
    """The lease's three routes, each through ``guarded`` (the provider's S-6 check)."""

    async def get(request: Request) -> Response:
        return FastJSONResponse(lease.state())

    async def take(request: Request) -> Response:
        body = await read_json_object(request, clause=_CLAUSE)
        unknown = sorted(str(k)[:40] for k in body if k not in _FIELDS)
        if unknown:
            raise ProtocolError(
                f"unknown field(s) {', '.join(unknown)}; accepted: {', '.join(sorted(_FIELDS))}",
                clause=_CLAUSE,
            )
        return FastJSONResponse(lease.take(_holder(body), _seconds(body), _lease_id(body)))

    async def release(request: Request) -> Response:
        lease_id = request.path_params["lease_id"]
        if len(lease_id) > _MAX_LEASE_ID:
            raise ProtocolError(
                f"a lease id is at most {_MAX_LEASE_ID} characters",
                code="not_found",
                clause=_CLAUSE,
            )
        return FastJSONResponse(lease.release(lease_id))

    return [
        Route(paths.LEASE, guarded(get), methods=["GET"]),
        Route(paths.LEASE, guarded(take), methods=["POST"]),
        Route(paths.LEASE + "/{lease_id}", guarded(release), methods=["DELETE"]),
    ]


def lease_operations() -> dict[tuple[str, str], Any]:
    """The lease's operations for both providers' OpenAPI documents."""
    from mock_providers.openapi import (
        CONTROL_SECURITY,
        Body,
        Operation,
        Reply,
        number,
        obj,
        path_param,
        string,
    )

    boolean = {"type": "boolean"}
    previous = obj(
        {"holder": string(), "released": boolean, "ended_ago": number(0)},
        ["holder", "released", "ended_ago"],
        description="the last lease, ended: released by its holder, or ran out (released "
        "false: what that holder changed may still be there)",
    )
    previous_or_none = {"anyOf": [previous, {"type": "null"}]}
    return {
        ("GET", paths.LEASE): Operation(
            "Whether someone holds this provider, and who",
            _CLAUSE,
            "control",
            {
                200: Reply(
                    "the lease (never its id)",
                    obj(
                        {
                            "held": boolean,
                            "holder": string(),
                            "expires_in": number(0),
                            "held_for": number(0),
                            "previous": previous_or_none,
                        },
                        ["held"],
                    ),
                )
            },
            security=CONTROL_SECURITY,
        ),
        ("POST", paths.LEASE): Operation(
            "Take the lease (one user of the provider at a time), or renew it",
            _CLAUSE,
            "control",
            {
                200: Reply(
                    "the lease: its id renews and releases it",
                    obj(
                        {
                            "lease_id": string(),
                            "holder": string(),
                            "expires_in": number(0),
                            "previous": previous_or_none,
                        },
                        ["lease_id", "holder", "expires_in", "previous"],
                    ),
                )
            },
            {
                400: "holder missing or not printable, seconds out of range, unknown field",
                404: "renewal of a lease no longer held (not_found)",
                409: "another holds it (in_use): holder, expires_in and held_for say who and "
                "how long",
            },
            body=Body(
                obj(
                    {
                        "holder": string(MAX_HOLDER, min_length=1),
                        "seconds": number(1, MAX_SECONDS),
                        "lease_id": string(_MAX_LEASE_ID),
                    },
                    ["holder"],
                    additional=False,
                )
            ),
            security=CONTROL_SECURITY,
        ),
        ("DELETE", paths.LEASE + "/{lease_id}"): Operation(
            "Release the lease",
            _CLAUSE,
            "control",
            {200: Reply("released", obj({"released": boolean, "holder": string()}, ["released"]))},
            {404: "no such lease held (not_found)"},
            parameters=(path_param("lease_id", string(_MAX_LEASE_ID), "the lease's id"),),
            security=CONTROL_SECURITY,
        ),
    }
