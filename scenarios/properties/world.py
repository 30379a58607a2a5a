"""The real world the login state machine drives: the embedded providers, the simulated phone,
the harness's relying party, and a tap on the wire.

The tap (:class:`Tap`) is an ASGI wrapper around a provider's app that records, unredacted and
in memory only, the exchanges the invariants judge: VNeID's ``/token`` (which code got which
answer, T-2) and VssID's ``/start`` and ``/complete`` (which transaction ended in which
session). Each exchange carries the sequence numbers of its start and end, so a token call
made while VssID completes a login is known to belong to that completion (it nests inside).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from harness.device import Phone
from harness.drivers.sim import SimDriver
from harness.embedded import SyncASGITransport
from harness.personas import Persona, VssIDAccount
from harness.protocol import ManualClock, SeededEntropy
from harness.rp import RP_SCHEME, TestRelyingParty
from harness.targets import Target, embedded_target
from harness.trace import Trace
from harness.world import Device

__all__ = ["CITIZENS", "Exchange", "Tap", "World", "jwt_parts"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CITIZENS: dict[str, Persona] = {
    # §1: province 001, digit 0 = 1900s male, year 90; province 079, digit 3 = 2000s female.
    "an": Persona(
        personal_id="001090123456",
        full_name="Nguyễn Văn An",
        birthdate=dt.date(1990, 5, 1),
        gender="male",
        passcode="111111",
        vssid_account=VssIDAccount("0100000001"),
    ),
    "binh": Persona(
        personal_id="079301234567",
        full_name="Trần Thị Bình",
        birthdate=dt.date(2001, 9, 2),
        gender="female",
        passcode="222222",
        vssid_account=VssIDAccount("7900000002"),
    ),
}


@dataclass(frozen=True)
class Exchange:
    """One request a provider answered, as it was on the wire."""

    start: int
    end: int
    provider: str
    path: str
    request: bytes
    status: int
    response: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.request.decode("utf-8", "replace"), keep_blank_values=True))

    def json_request(self) -> dict[str, Any]:
        return _json(self.request)

    def json_response(self) -> dict[str, Any]:
        return _json(self.response)

    def inside(self, outer: Exchange) -> bool:
        return outer.start < self.start and self.end < outer.end


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWS, unverified (the invariants read what VNeID sent)."""

    def decode(part: str) -> dict[str, Any]:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return _json(raw)

    header, payload, _ = token.split(".")
    return decode(header), decode(payload)


class Tap:
    """ASGI wrapper recording the exchanges on ``paths`` into ``log``."""

    def __init__(
        self,
        app: ASGIApp,
        provider: str,
        paths: frozenset[str],
        log: list[Exchange],
        counter: itertools.count[int],
    ) -> None:
        self.app = app
        self.provider = provider
        self.paths = paths
        self.log = log
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        start = next(self.counter)
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message.get("type") != "http.request" or not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 0
        out: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        self.log.append(
            Exchange(
                start,
                next(self.counter),
                self.provider,
                str(scope["path"]),
                body,
                status,
                b"".join(out),
            )
        )


@dataclass
class World:
    """Fresh embedded providers on a manual clock, tapped, with the citizens registered."""

    clock: ManualClock
    target: Target
    rp: TestRelyingParty
    exchanges: list[Exchange] = field(default_factory=list)
    device: Device | None = None

    @classmethod
    def create(cls, seed: str = "properties") -> World:
        clock = ManualClock()
        target = embedded_target(seed=seed, clock=clock)
        exchanges: list[Exchange] = []
        counter = itertools.count()
        vneid, vssid = target.vneid.embedded, target.vssid.embedded
        vneid_tap = Tap(vneid.app, "vneid", frozenset({"/token"}), exchanges, counter)
        vssid_tap = Tap(
            vssid.app,
            "vssid",
            frozenset({"/api/v1/auth/vneid/start", "/api/v1/auth/vneid/complete"}),
            exchanges,
            counter,
        )
        # Before any client exists: every call of the apps, the RP and VssID's backend to
        # VNeID goes through the taps.
        target.vneid.transport = SyncASGITransport(vneid_tap)
        target.vssid.transport = SyncASGITransport(vssid_tap)
        vssid.issuer_client.transport = httpx.ASGITransport(app=vneid_tap)
        for persona in CITIZENS.values():
            target.vneid.add_persona(persona.to_vneid_json())
            account = persona.to_vssid_account_json()
            assert account is not None
            target.vssid.add_account(account)
        rp = TestRelyingParty(
            target.vneid, target.profile, entropy=SeededEntropy(f"{seed}/rp")
        ).register()
        return cls(clock, target, rp, exchanges)

    def make_device(self, platform: str, *, vssid: str, vneid: str) -> Device:
        """A phone on the world's clock with VssID, VNeID and the RP's receiver installed."""
        trace = Trace(self.clock)
        phone = Phone(
            "ios" if platform == "ios" else "android", profile=self.target.profile, trace=trace
        )
        self.device = Device(phone, SimDriver(phone), trace, self.target)
        self.device.install_vssid(vssid)
        self.device.install_vneid(vneid)
        self.device.install_receiver(RP_SCHEME)
        return self.device

    @property
    def vneid(self) -> Any:
        """The VNeID provider object (its Python API: clock, faults, personas)."""
        return self.target.vneid.embedded

    @property
    def vssid(self) -> Any:
        return self.target.vssid.embedded

    def close(self) -> None:
        if self.device is not None:
            self.device.close()
        self.rp.close()
        self.target.close()
