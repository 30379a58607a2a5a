"""Shared pieces of the flow benchmarks: one full login over the embedded providers, the
floor it is compared with, and interleaved timing that reports medians and ratios.

Not a benchmark by itself (``bench_flow.py`` and ``bench_world.py`` are); nothing here
asserts a time. A login, whichever way it is driven, is the protocol's whole journey:
VssID ``start`` → VNeID ``sessions`` → VNeID ``authorizations`` (the callback link) →
VssID ``complete`` (which redeems the code at ``/token`` with PKCE, verifies the ES256 ID
token and fetches ``/userinfo``) → VssID ``me``: five calls from the phone and two from the
VssID backend to VNeID.

The floor is the journey's round trips made the same way to bare endpoints, plus its
cryptography: five calls from the harness's client (:class:`~harness.http_client.HarnessClient`)
through :class:`~harness.embedded.SyncASGITransport` (as the apps make them), one of which makes two
inner calls through ``httpx.ASGITransport`` with the client VssID's backend uses to reach the
embedded VNeID, and one ES256 signature and one verification of an ID token of the same size
(joserfc, as the providers). What the login costs above it is the providers' endpoint work
(parsing, checks, stores, the request log) and, for the simulated phone, the apps, the OS's
link routing and the trace.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from joserfc import jws, jwt
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.embedded import SyncASGITransport
from harness.flows import login_with_vneid
from harness.http_client import HarnessClient
from harness.personas import Persona
from harness.protocol import SeededEntropy
from harness.protocol.keys import derive_signing_key
from harness.targets import Target, embedded_target
from harness.world import PersonaPool, make_device
from mock_providers.vssid.issuer_client import _InProcessClient

__all__ = [
    "PHONE_CALLS",
    "BACKEND_CALLS",
    "Bench",
    "Floor",
    "Timing",
    "interleave",
    "machine",
    "paired_ratios",
    "protocol_login",
    "sim_login",
]

PHONE_CALLS = 5
"""start, sessions, authorizations, complete, me."""
BACKEND_CALLS = 2
"""token and userinfo, made by VssID's backend while it serves ``complete``."""
VSSID_APP = {"X-VssID-App-Version": "1.6.7", "X-Device-Platform": "ios"}
VNEID_APP = {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "ios"}


def sim_login(target: Target, persona: Persona) -> None:
    """The login as the suites run it: a new simulated phone with both apps, the user's taps
    (``login_with_vneid``), the trace, then the phone closed."""
    device = make_device(target, "ios")
    screen = login_with_vneid(device.driver, persona)
    if screen.id != "vssid-home":
        raise AssertionError(f"the login ended on {screen.id}: {screen.data}")
    device.close()


def protocol_login(
    target: Target,
    persona: Persona,
    clients: tuple[httpx.Client, httpx.Client] | None = None,
    laps: list[float] | None = None,
) -> None:
    """The same journey as bare HTTP calls (no phone, no apps, no trace). With ``laps``, the
    ``time.perf_counter()`` before the first call and after each of the five is appended."""
    own = clients is None
    vssid, vneid = clients or (target.vssid.client(), target.vneid.client())
    lap: Callable[[], None] = (
        (lambda: laps.append(time.perf_counter())) if laps is not None else _no_lap
    )
    try:
        lap()
        start = vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP, json={}).json()
        lap()
        session = vneid.post(
            "/api/app/v1/sessions",
            headers=VNEID_APP,
            json={"personal_id": persona.personal_id, "passcode": persona.passcode},
        ).json()
        lap()
        redirect = vneid.post(
            "/api/app/v1/authorizations",
            headers={**VNEID_APP, "Authorization": f"Bearer {session['session_token']}"},
            json={"link": start["authorize_url"], "decision": "approve"},
        ).json()
        lap()
        done = vssid.post(
            "/api/v1/auth/vneid/complete",
            headers=VSSID_APP,
            json={
                "transaction_id": start["transaction_id"],
                "callback_url": redirect["redirect_to"],
            },
        ).json()
        lap()
        me = vssid.get(
            "/api/v1/me", headers={**VSSID_APP, "Authorization": f"Bearer {done['session_token']}"}
        ).json()
        lap()
        if me.get("personal_id") != persona.personal_id:
            raise AssertionError(f"the login did not end in the persona's session: {done}")
    finally:
        if own:
            vssid.close()
            vneid.close()


def _no_lap() -> None:
    pass


class Floor:
    """Bare endpoints over the same transports, and the ES256 work of one login."""

    def __init__(self) -> None:
        async def bare(request: Request) -> JSONResponse:
            return JSONResponse({"ok": True})

        inner_app = Starlette(routes=[Route("/", bare, methods=["GET", "POST"])])
        inner = httpx.ASGITransport(app=inner_app)

        async def nested(request: Request) -> JSONResponse:
            # The client VssID's backend reaches the embedded VNeID with, one per login.
            client = _InProcessClient(inner, httpx.Timeout(10.0))
            for _ in range(BACKEND_CALLS):
                _, content = await client.fetch(
                    "POST", "http://inner.test/", data=None, headers={"Accept": "application/json"}
                )
                json.loads(content)
            return JSONResponse({"ok": True})

        app = Starlette(
            routes=[
                Route("/", bare, methods=["GET", "POST"]),
                Route("/nested", nested, methods=["POST"]),
            ]
        )
        self._outer = HarnessClient(transport=SyncASGITransport(app), base_url="http://bare.test")
        self._key = derive_signing_key(SeededEntropy("floor"))
        self._public = ECKey.import_key(self._key.as_dict(private=False))
        self._claims: dict[str, Any] = {
            "iss": "http://id.vneid.test",
            "sub": "s" * 43,
            "aud": "vssid",
            "exp": 1_900_000_600,
            "iat": 1_900_000_000,
            "auth_time": 1_900_000_000,
            "acr": "urn:vneid:loa:2",
            "amr": ["pin"],
            "nonce": "n" * 43,
            "personal_id": "001099012345",
            "name": "Nguyễn Văn An",
            "birthdate": "1999-01-01",
            "gender": "male",
        }

    def bare(self) -> None:
        """One round trip to the bare endpoint."""
        self._outer.post("/").json()

    def nested(self) -> None:
        """One round trip to the endpoint that makes the backend's inner calls."""
        self._outer.post("/nested").json()

    def round_trips(self) -> None:
        for _ in range(PHONE_CALLS - 1):
            self.bare()
        self.nested()

    def crypto(self) -> None:
        header = {"alg": "ES256", "typ": "JWT", "kid": self._key.kid}
        token = jwt.encode(header, self._claims, self._key, algorithms=["ES256"])
        compact = jws.extract_compact(token.encode("ascii"))
        if not jws.validate_compact(compact, self._public, algorithms=["ES256"]):
            raise AssertionError("the floor's own signature did not verify")

    def __call__(self) -> None:
        self.round_trips()
        self.crypto()


@dataclass(frozen=True)
class Recorded:
    """One call of a real login: what was sent, and the answer (status, headers, body)."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    status: int
    response_headers: list[tuple[str, str]]
    response: bytes


def _recorded(request: httpx.Request, response: httpx.Response) -> Recorded:
    return Recorded(
        request.method,
        str(request.url),
        request.headers.multi_items(),
        request.content,
        response.status_code,
        response.headers.multi_items(),
        response.content,
    )


class _Recording(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, calls: list[Recorded]) -> None:
        self._inner, self._calls = inner, calls

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        self._calls.append(_recorded(request, response))
        return response


class _AsyncRecording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, calls: list[Recorded]) -> None:
        self._inner, self._calls = inner, calls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        await response.aread()
        self._calls.append(_recorded(request, response))
        return response


def record_login(target: Target, persona: Persona) -> tuple[list[Recorded], list[Recorded]]:
    """One protocol login over embedded providers, recorded: the five phone calls and the
    VssID backend's calls to the issuer, each as sent and answered. A login before it fills
    the backend's caches (discovery and JWKS), so the recorded one is a warm login's."""
    if target.vssid.transport is None or target.vneid.transport is None:
        raise ValueError("record_login needs embedded providers (embedded_target)")
    protocol_login(target, persona)
    phone: list[Recorded] = []
    backend: list[Recorded] = []
    issuer = target.vssid.embedded.issuer_client
    transport = issuer.transport
    issuer.transport = _AsyncRecording(transport, backend)
    clients = (
        HarnessClient(
            base_url=target.vssid.base_url, transport=_Recording(target.vssid.transport, phone)
        ),
        HarnessClient(
            base_url=target.vneid.base_url, transport=_Recording(target.vneid.transport, phone)
        ),
    )
    try:
        protocol_login(target, persona, clients)
    finally:
        issuer.transport = transport
        for client in clients:
            client.close()
    if len(phone) != PHONE_CALLS or len(backend) != BACKEND_CALLS:
        raise AssertionError(
            f"a warm login made {len(phone)} phone calls and {len(backend)} "
            f"backend calls, not {PHONE_CALLS} and {BACKEND_CALLS}"
        )
    return phone, backend


_AUTO_HEADERS = frozenset({"host", "content-length", "content-type"})
"""What httpx adds to a request from its URL and body (the replay lets it add them again)."""


def _canned(calls: Sequence[Recorded]) -> Starlette:
    """Bare endpoints that answer each recorded path with the recorded answer, as is."""
    answers = {(c.method, httpx.URL(c.url).path): c for c in calls}

    async def answer(request: Request) -> Response:
        c = answers[(request.scope["method"], request.scope["path"])]
        return Response(
            c.response,
            c.status,
            {k: v for k, v in c.response_headers if k.lower() != "content-length"},
        )

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


class SameRequestsFloor(Floor):
    """A diagnostic for the issue's owner, not the issue's floor: :class:`Floor` with the
    login's own requests and answers. The phone's five calls are :func:`protocol_login`'s
    code (the same headers and JSON bodies), and the backend's two calls are the same
    ``_InProcessClient`` calls with the same forms and headers. Each goes to a bare endpoint
    that answers with what the providers answered in a recorded login (same status, headers
    and body), doing nothing else. Plus the same ES256 work. What a login costs above this
    is the providers' own work alone; what this costs above :class:`Floor` is the protocol's
    requests and answers being larger than ``{"ok": true}``."""

    def __init__(self, target: Target, persona: Persona) -> None:
        super().__init__()
        phone, backend = record_login(target, persona)
        self.recorded = (phone, backend)
        """The login it replays: its phone calls and its backend calls."""
        self._persona = persona
        self._inner = httpx.ASGITransport(app=_canned(backend))
        replays = [
            (
                c.method,
                c.url,
                dict(parse_qsl(c.body.decode())) if c.body else None,
                {k: v for k, v in c.headers if k.lower() not in _AUTO_HEADERS},
            )
            for c in backend
        ]
        outer = _canned(phone)
        canned_answer: Callable[[Request], Awaitable[Response]] = outer.routes[0].endpoint  # type: ignore[attr-defined]

        async def nested(request: Request) -> Response:
            client = _InProcessClient(self._inner, httpx.Timeout(10.0))
            for method, url, form, headers in replays:
                _, content = await client.fetch(method, url, data=form, headers=headers)
                json.loads(content)
            return await canned_answer(request)

        vssid_path = httpx.URL(target.vssid.base_url).path.rstrip("/")
        outer.router.routes.insert(
            0, Route(f"{vssid_path}/api/v1/auth/vneid/complete", nested, methods=["POST"])
        )
        self._clients = (
            HarnessClient(transport=SyncASGITransport(outer), base_url=target.vssid.base_url),
            HarnessClient(transport=SyncASGITransport(outer), base_url=target.vneid.base_url),
        )
        self._target = target

    def round_trips(self) -> None:
        protocol_login(self._target, self._persona, self._clients)

    def close(self) -> None:
        for client in (*self._clients, self._outer):
            client.close()


@dataclass
class Bench:
    """What the flow benchmarks start from: embedded providers seeded with ``seed``, one
    registered citizen, the two app clients the protocol logins reuse, and the floor. A
    context manager: the clients and the providers are closed at the end.

    (``bench_ab.py``'s workers build the same by hand: they import the ``flowbench`` of the
    checkout they time, which may predate this class.)"""

    target: Target
    persona: Persona
    clients: tuple[httpx.Client, httpx.Client]
    floor: Floor

    @classmethod
    def open(cls, seed: str) -> Bench:
        target = embedded_target(seed=seed)
        return cls(
            target,
            PersonaPool(target, seed=seed).new(),
            (target.vssid.client(), target.vneid.client()),
            Floor(),
        )

    def login(self) -> None:
        """One protocol login (:func:`protocol_login`) with the reused clients."""
        protocol_login(self.target, self.persona, self.clients)

    def sim(self) -> None:
        """One sim login (:func:`sim_login`)."""
        sim_login(self.target, self.persona)

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.target.close()

    def __enter__(self) -> Bench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Timing:
    name: str
    samples: list[float]
    blocks: list[float] = field(default_factory=list)
    """The median of each block of calls, in order: block ``i`` of every case ran side by
    side, so their ratios cancel load that changes from block to block."""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def paired_ratios(case: Timing, base: Timing) -> list[float]:
    """``case`` / ``base`` block by block (the blocks each ran next to the other)."""
    return [a / b for a, b in zip(case.blocks, base.blocks, strict=True)]


def interleave(
    cases: Sequence[tuple[str, Callable[[], None]]],
    *,
    rounds: int,
    block: int = 20,
    warmup: int = 20,
    gc_off: bool = True,
) -> list[Timing]:
    """Time each case ``rounds`` times, alternating cases in blocks of ``block`` calls so a
    burst of load on a shared machine hits all of them alike; with ``gc_off`` the garbage
    collector runs between blocks, not inside them."""
    for _, fn in cases:
        for _ in range(warmup):
            fn()
    timings = [Timing(name, []) for name, _ in cases]
    done = 0
    while done < rounds:
        n = min(block, rounds - done)
        for timing, (_, fn) in zip(timings, cases, strict=True):
            gc.collect()
            if gc_off:
                gc.disable()
            try:
                for _ in range(n):
                    start = time.perf_counter()
                    fn()
                    timing.samples.append(time.perf_counter() - start)
            finally:
                gc.enable()
            timing.blocks.append(statistics.median(timing.samples[-n:]))
        done += n
    return timings


def machine() -> str:
    """``nproc``, the CPU model, Python and the load average, for the record."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()} "
        f"({sys.implementation.name}), load average {load}"
    )
