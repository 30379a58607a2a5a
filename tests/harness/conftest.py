"""Fixtures for the phone-side tests: tiny fake backends answering §4 over httpx.MockTransport.

The fakes are not the mock providers: they implement just enough of §4 (same paths, bodies,
headers) for the simulated apps to run a whole login in-process, and they remember every
secret they hand out so the redaction tests can look for it. Fixture names avoid the plugin's
(``personas``, ``device``, ``vneid``, ``vssid``, ...).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from harness.apps import HijackerApp, VNeIDApp, VssIDApp
from harness.device import Phone
from harness.drivers.sim import SimDriver
from harness.personas import Persona, PersonaFactory, VssIDAccount
from harness.protocol import (
    DEFAULT_PROFILE,
    AuthorizationRequest,
    LinkError,
    LinkForm,
    ManualClock,
    ProtocolError,
    SeededEntropy,
    Version,
    add_query,
    parse_authorize_link,
    parse_callback,
    parse_version,
    s256_challenge,
    verify_s256,
)
from harness.trace import Trace

ISSUER = "http://id.vneid.test"
VSSID_URL = "http://api.vssid.test"
Handler = Callable[[httpx.Request], httpx.Response]


def _error(code: str, description: str = "", **extra: Any) -> httpx.Response:
    err = ProtocolError(description or code, code=code, extra=extra)
    return httpx.Response(err.status, json=err.to_body())


def _json(request: httpx.Request) -> dict[str, Any]:
    value = json.loads(request.content or b"{}")
    assert isinstance(value, dict)
    return value


def _bearer(request: httpx.Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme == "Bearer" and token else None


def _gate(
    request: httpx.Request, header: str, minimum: Version, store_url: str
) -> httpx.Response | None:
    """V-3/V-4/V-5 as the real providers do it: 400 malformed, 426 too old."""
    try:
        version = parse_version(request.headers.get(header))
    except ProtocolError as exc:
        return _error(exc.code, exc.description)
    if version < minimum:
        return _error("app_update_required", f"{header} too old", store_url=store_url)
    return None


@dataclass
class _Fake:
    """Common shape: a route table, the requests received, the secrets handed out."""

    entropy: SeededEntropy
    received: list[httpx.Request] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def routes(self) -> dict[tuple[str, str], Handler]:
        raise NotImplementedError

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        handler = self.routes().get((request.method, request.url.path))
        return handler(request) if handler else _error("not_found", request.url.path)

    def token(self) -> str:
        value = self.entropy.token()
        self.secrets.append(value)
        return value


@dataclass
class FakeVNeID(_Fake):
    """POST /api/app/v1/sessions and /api/app/v1/authorizations (A-4, A-5)."""

    personas: dict[str, Persona] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)
    min_version: Version = DEFAULT_PROFILE.vneid_min_version
    session_expires_in: object = 900
    """What the sessions endpoint answers as ``expires_in`` (a test may make it odd)."""

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("POST", "/api/app/v1/sessions"): self.sessions_endpoint,
            ("POST", "/api/app/v1/authorizations"): self.authorizations_endpoint,
        }

    def _gate(self, request: httpx.Request) -> httpx.Response | None:
        platform = request.headers.get("x-device-platform")
        return _gate(
            request,
            "X-VNeID-App-Version",
            self.min_version,
            DEFAULT_PROFILE.store_link("vneid", platform) or "",
        )

    def sessions_endpoint(self, request: httpx.Request) -> httpx.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        body = _json(request)
        persona = self.personas.get(body.get("personal_id", ""))
        if persona is None or persona.passcode != body.get("passcode"):
            return _error("invalid_credentials")
        if persona.status == "locked":
            return _error("account_locked")
        token = self.token()
        self.sessions[token] = persona.personal_id
        body = json.dumps(
            {"session_token": token, "level": persona.level, "expires_in": self.session_expires_in}
        )  # NaN and 10**400 too
        return httpx.Response(
            200, content=body.encode(), headers={"Content-Type": "application/json"}
        )

    def authorizations_endpoint(self, request: httpx.Request) -> httpx.Response:
        if (refused := self._gate(request)) is not None:
            return refused
        persona_id = self.sessions.get(_bearer(request) or "")
        if persona_id is None:
            return _error("invalid_token")
        body = _json(request)
        try:
            _, link = parse_authorize_link(body.get("link"))
        except LinkError as exc:
            return _error("invalid_request", exc.description)
        params = link.params
        if params.get("client_id") != DEFAULT_PROFILE.vssid_client_id:
            return _error("invalid_client")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in DEFAULT_PROFILE.vssid_redirect_uris:
            return _error("invalid_redirect_uri")
        state = params.get("state", "")
        if body.get("decision") != "approve":
            extra = [("error", "access_denied")]
        elif self.personas[persona_id].level < 2:
            extra = [("error", "unmet_authentication_requirements")]
        else:
            code = self.token()
            self.codes[code] = {
                "personal_id": persona_id,
                "challenge": params.get("code_challenge", ""),
            }
            extra = [("code", code)]
        redirect_to = add_query(redirect_uri, [*extra, ("state", state), ("iss", ISSUER)])
        self.redirects.append(redirect_to)
        return httpx.Response(200, json={"redirect_to": redirect_to})

    def redeem(self, code: str | None, verifier: str) -> str | None:
        """The token endpoint in one call: the personal_id, if the code and verifier fit."""
        entry = self.codes.pop(code or "", None)
        if entry is None or not verify_s256(verifier, entry["challenge"]):
            return None
        return entry["personal_id"]


@dataclass
class FakeVssID(_Fake):
    """POST /api/v1/auth/vneid/start, /complete and GET /api/v1/me (A-1, A-6)."""

    vneid: FakeVNeID | None = None
    accounts: dict[str, Persona] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    min_version: Version = DEFAULT_PROFILE.vssid_min_version
    store_url: str | None = None
    link_form: LinkForm = LinkForm.CUSTOM_SCHEME

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("POST", "/api/v1/auth/vneid/start"): self.start,
            ("POST", "/api/v1/auth/vneid/complete"): self.complete,
            ("GET", "/api/v1/me"): self.me,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        platform = request.headers.get("x-device-platform")
        store = self.store_url or DEFAULT_PROFILE.store_link("vssid", platform) or ""
        refused = _gate(request, "X-VssID-App-Version", self.min_version, store)
        if refused is not None:
            self.received.append(request)
            return refused
        return super().handle(request)

    def start(self, request: httpx.Request) -> httpx.Response:
        verifier = self.token() + self.token()[:10]
        tx: dict[str, Any] = {
            "state": self.entropy.token(16),
            "nonce": self.entropy.token(16),
            "verifier": verifier,
            "used": False,
        }
        transaction_id = self.entropy.token(12)
        self.transactions[transaction_id] = tx
        redirect_uri = (
            DEFAULT_PROFILE.callback_custom
            if self.link_form is LinkForm.CUSTOM_SCHEME
            else DEFAULT_PROFILE.callback_https
        )
        link = AuthorizationRequest(
            client_id="vssid",
            redirect_uri=redirect_uri,
            state=tx["state"],
            nonce=tx["nonce"],
            code_challenge=s256_challenge(verifier),
        ).to_link(self.link_form)
        return httpx.Response(
            200, json={"transaction_id": transaction_id, "authorize_url": link, "expires_in": 600}
        )

    def complete(self, request: httpx.Request) -> httpx.Response:
        body = _json(request)
        tx = self.transactions.get(body.get("transaction_id", ""))
        if tx is None:
            return _error("transaction_not_found")
        if tx["used"]:
            return _error("transaction_already_used")
        tx["used"] = True
        callback = parse_callback(body.get("callback_url"))
        if callback.error:
            return _error(callback.error)
        if callback.state != tx["state"]:
            return _error("state_mismatch")
        if callback.iss != ISSUER:
            return _error("issuer_mismatch")
        assert self.vneid is not None
        personal_id = self.vneid.redeem(callback.code, tx["verifier"])
        if personal_id is None:
            return _error("invalid_grant")
        persona = self.accounts.get(personal_id)
        if persona is None or persona.vssid_account is None:
            return _error("vssid_account_not_found")
        token = self.token()
        self.sessions[token] = personal_id
        return httpx.Response(
            200,
            json={
                "session_token": token,
                "bhxh_code": persona.vssid_account.bhxh_code,
                "full_name": persona.full_name,
            },
        )

    def me(self, request: httpx.Request) -> httpx.Response:
        personal_id = self.sessions.get(_bearer(request) or "")
        if personal_id is None:
            return _error("invalid_token")
        persona = self.accounts[personal_id]
        assert persona.vssid_account is not None
        return httpx.Response(
            200,
            json={
                "bhxh_code": persona.vssid_account.bhxh_code,
                "full_name": persona.full_name,
                "personal_id": personal_id,
            },
        )


@dataclass
class World:
    """The fakes, a clock, a trace and helpers to build phones and personas."""

    clock: ManualClock
    trace: Trace
    vneid: FakeVNeID
    vssid: FakeVssID
    factory: PersonaFactory
    clients: list[httpx.Client] = field(default_factory=list)

    def add(self, persona: Persona) -> Persona:
        self.vneid.personas[persona.personal_id] = persona
        if persona.vssid_account is not None:
            self.vssid.accounts[persona.personal_id] = persona
        return persona

    def persona(self, **kwargs: Any) -> Persona:
        return self.add(self.factory.new(**kwargs))

    def client(self, fake: _Fake, base_url: str) -> httpx.Client:
        client = httpx.Client(base_url=base_url, transport=httpx.MockTransport(fake.handle))
        self.clients.append(client)
        return client

    def vssid_app(self, version: str = "1.6.7") -> VssIDApp:
        return VssIDApp(version, self.client(self.vssid, VSSID_URL))

    def vneid_app(self, version: str = "2.1.0") -> VNeIDApp:
        return VNeIDApp(version, self.client(self.vneid, ISSUER))

    def phone(
        self,
        platform: str = "ios",
        *,
        vssid: str | None = "1.6.7",
        vneid: str | None = "2.1.0",
        hijacker: bool = False,
    ) -> Phone:
        """A phone with the apps installed in order VssID, VNeID, then the hijacker."""
        phone = Phone(platform, trace=self.trace, clock=self.clock)  # type: ignore[arg-type]
        if vssid is not None:
            phone.install(self.vssid_app(vssid))
        if vneid is not None:
            phone.install(self.vneid_app(vneid))
        if hijacker:
            phone.install(HijackerApp())
        return phone

    def driver(self, platform: str = "ios", **kwargs: Any) -> SimDriver:
        return SimDriver(self.phone(platform, **kwargs))

    def secrets(self) -> list[str]:
        """Every secret handed out so far, and every persona's passcode."""
        passcodes = [p.passcode for p in self.vneid.personas.values()]
        verifiers = [tx["verifier"] for tx in self.vssid.transactions.values()]
        return [*self.vneid.secrets, *self.vssid.secrets, *passcodes, *verifiers]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def world(clock: ManualClock) -> Iterator[World]:
    entropy = SeededEntropy("tests/harness")
    vneid = FakeVNeID(entropy.fork("vneid"))
    vssid = FakeVssID(entropy.fork("vssid"), vneid=vneid)
    w = World(clock, Trace(clock), vneid, vssid, PersonaFactory("tests/harness"))
    yield w
    for client in w.clients:
        client.close()


@pytest.fixture
def known_persona() -> Persona:
    """A fixed persona with a passcode the redaction tests look for."""
    return Persona(
        personal_id="001090123456",
        full_name="Nguyễn Văn An",
        birthdate=dt.date(1990, 3, 4),
        gender="male",
        passcode="482915",
        vssid_account=VssIDAccount("0123456789"),
    )


@dataclass
class ManualWorld:
    """An embedded target on a manual clock, the harness's relying party registered at its
    VNeID, one citizen, and the phones :meth:`phone` made (closed with the world): what a
    test of one scenario (``scenarios/``) runs it in."""

    clock: ManualClock
    target: Any
    rp: Any
    citizen: Persona
    phones: list[Any] = field(default_factory=list)

    def phone(self, platform: str = "android", *, receiver: bool = True) -> Any:
        """A new phone; ``receiver``: with the relying party's callback receiver installed."""
        from harness.rp import RP_SCHEME
        from harness.world import make_device

        self.phones.append(make_device(self.target, platform))
        if receiver:
            self.phones[-1].install_receiver(RP_SCHEME)
        return self.phones[-1]


@pytest.fixture
def manual_world() -> Iterator[Callable[[str], ManualWorld]]:
    """``manual_world(seed)``: a :class:`ManualWorld` of that seed, closed after the test."""
    from harness.rp import TestRelyingParty
    from harness.targets import embedded_target
    from harness.world import PersonaPool

    made: list[ManualWorld] = []

    def build(seed: str) -> ManualWorld:
        clock = ManualClock()
        target = embedded_target(seed=seed, clock=clock)
        rp = TestRelyingParty(
            target.vneid, target.profile, entropy=SeededEntropy(f"{seed}/rp")
        ).register()
        made.append(ManualWorld(clock, target, rp, PersonaPool(target, seed=seed).new()))
        return made[-1]

    yield build
    for world in made:
        for phone in world.phones:
            phone.close()
        world.rp.close()
        world.target.close()
