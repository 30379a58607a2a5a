"""The reference model of the whole login (issue 4): what must happen, pure, no I/O.

It knows PROTOCOL.md, not the harness: it never imports the providers or the apps, and it
judges versions from its own table (V-1, V-2), not with ``harness.protocol.parse_version``.
The state machine (``test_login_state_machine.py``) performs each user or world action on the
real embedded providers and the simulated phone, asks the model what must happen, and
compares. Each :class:`Expect` names the clauses it checks, so a disagreement reads as "R-1:
…".

Time is integer seconds: ``base`` (the phone's clock, also the providers' base clock) plus an
offset per provider; a provider's clock only moves forward (see ``provider_clock_jumps``).

Where the protocol does not order two failing checks, the model accepts the refusal of any of
them: :attr:`ScreenM.refusals` is a *set* of ``(code, clause)``. The phases themselves are
ordered as the protocol requires: the transaction (R-1), then the callback (R-1, R-2, R-3:
"no token request is made"), then the token (T-2), then the ID token (R-5…R-11), then the
account (P-1), because a relying party must not look an account up from an unverified token.

Where the model is looser than PROTOCOL.md could be read, and why:

- Several checks failing at once (R-1/R-2/R-4 on one callback; R-5…R-11 on one ID token; a
  transaction both expired and used, R-1): any one of their refusals is right, as above.
- R-1 for a transaction older than two lifetimes: ``transaction_not_found`` (a harness code,
  citing R-1) as well as ``transaction_expired``: VssID's store forgets a transaction one
  lifetime after it expired, at its next login start, to stay bounded; an id it forgot cannot
  be told from one it never issued.
- P-2 is judged when VNeID answers (the level the citizen had when they authenticated, which
  the code's acr records, T-3), not when VssID redeems the code up to 60 s later.
- Clocks never go back (only forward, together or one provider ahead): a store that dropped an
  expired entry cannot revive it when time is rewound, and neither could a real server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scenarios.properties.model_vocabulary import (
    CLOCK_SKEW,
    CODE_TTL,
    FAULTS,
    MAX_ID_TOKEN_TTL,
    TIME_FAULT_BEYOND,
    TRANSACTION_TTL,
    VNEID_VERSIONS,
    VSSID_UPDATE,
    VSSID_VERSIONS,
    AccessToken,
    AccountState,
    AppSession,
    Callback,
    Citizen,
    Code,
    Expect,
    Link,
    Refusal,
    RpName,
    ScreenM,
    Timing,
    TokenExpect,
    Transaction,
    VersionKind,
    VneidApp,
    VneidSession,
    VssidApp,
    VssidSession,
    refused,
)

__all__ = ["LoginModel"]


# -- the model ----------------------------------------------------------------------------------
class LoginModel:
    """The reference model. Actions mirror the state machine's rules; each returns what must
    happen and updates the model's state."""

    def __init__(
        self,
        citizens: Iterable[Citizen],
        *,
        vssid_version: str = "1.6.7",
        vneid_version: str | None = "2.1.0",
        timing: Timing | None = None,
    ) -> None:
        self.timing = timing or Timing()
        self.citizens = {c.key: c for c in citizens}
        self.base = 0
        self.vneid_offset = 0
        self.vssid_offset = 0
        self.vssid = VssidApp(vssid_version)
        self.vneid = VneidApp(vneid_version)
        self.install_seq = 0
        self.vssid_seq = self._next_seq()
        self.hijacker_seq: int | None = None
        self.foreground: str | None = None
        self.store_listing: str | None = None
        """Whose store listing the store shows, once one was opened."""
        self.transactions: dict[int, Transaction] = {}
        self.codes: dict[int, Code] = {}
        self.callbacks: dict[int, Callback] = {}
        self.tokens: dict[int, AccessToken] = {}
        self.vneid_sessions: dict[int, VneidSession] = {}
        self.vssid_sessions: dict[int, VssidSession] = {}
        self.rp_logins = 0
        self.armed: str | None = None
        self._ids = 0

    # -- clocks ------------------------------------------------------------------------------
    @property
    def vneid_now(self) -> int:
        return self.base + self.vneid_offset

    @property
    def vssid_now(self) -> int:
        return self.base + self.vssid_offset

    def time_passes(self, seconds: int) -> Expect:
        self.base += seconds
        return self._unchanged(("R-1", "T-2"), f"{seconds} s pass for everyone")

    def provider_clock_jumps(self, provider: str, seconds: int) -> Expect:
        """One provider's clock jumps ahead (never back: a store that dropped an expired entry
        cannot bring it back, and neither can a real server)."""
        if provider == "vneid":
            self.vneid_offset += seconds
        else:
            self.vssid_offset += seconds
        return self._unchanged(("R-8",), f"{provider}'s clock jumps {seconds} s ahead")

    # -- helpers -----------------------------------------------------------------------------
    def _id(self) -> int:
        self._ids += 1
        return self._ids

    def _next_seq(self) -> int:
        self.install_seq += 1
        return self.install_seq

    @staticmethod
    def vssid_kind(version: str) -> VersionKind:
        return VSSID_VERSIONS[version]

    @staticmethod
    def vneid_kind(version: str | None) -> VersionKind | None:
        return None if version is None else VNEID_VERSIONS[version]

    def citizen_by_id(self, personal_id: str) -> Citizen | None:
        return next((c for c in self.citizens.values() if c.personal_id == personal_id), None)

    def screen_of(self, app: str | None) -> ScreenM:
        """The screen the OS shows with ``app`` in front (not launching anything)."""
        if app is None:
            return ScreenM("os", "launcher")
        if app == "vssid":
            assert self.vssid.screen is not None
            return self.vssid.screen
        if app == "vneid":
            assert self.vneid.screen is not None
            return self.vneid.screen
        if app == "hijacker":
            return ScreenM(app, "hijacker")
        if app == "harness-rp":  # the harness relying party's own app (no attacker)
            return ScreenM(app, "harness-rp-callback")
        if app == "store":
            return ScreenM(app, app, listing=self.store_listing)
        return ScreenM(app, app)  # browser

    def foreground_screen(self) -> ScreenM:
        return self.screen_of(self.foreground)

    def _unchanged(self, clauses: tuple[str, ...], because: str) -> Expect:
        return Expect(self.foreground_screen(), clauses, because + "; nothing on screen changes")

    def _show(self, clauses: tuple[str, ...], because: str) -> Expect:
        return Expect(self.foreground_screen(), clauses, because)

    @property
    def vssid_claims_callbacks(self) -> bool:
        """Custom-scheme callbacks go to the most recently installed claimant (S-4)."""
        return self.hijacker_seq is None or self.vssid_seq > self.hijacker_seq

    # -- VssID app ---------------------------------------------------------------------------
    def _vssid_launch(self, apply: bool) -> ScreenM:
        """What VssID shows when its process starts: home (``GET /me``) or its login screen."""
        button = self.vssid_kind(self.vssid.version) == "new_enough"
        login = ScreenM("vssid", "vssid-login", button=button)
        if self.vssid.session is None:
            return login
        kind = self.vssid_kind(self.vssid.version)
        if kind == "malformed":
            return refused("vssid", ("app_version_invalid", "V-3"))
        if kind == "too_old":
            return VSSID_UPDATE  # 426 from GET /me
        session = self.vssid_sessions.get(self.vssid.session)
        citizen = self.citizen_by_id(session.personal_id) if session else None
        if (
            session is None
            or self.vssid_now >= session.expires
            or citizen is None
            or citizen.account != "active"
            or citizen.bhxh_code != session.bhxh_code
        ):
            if apply:  # 401: the app forgets the token, the backend revokes it
                if session is not None:
                    self.vssid_sessions.pop(session.n, None)
                self.vssid.session = None
            return login
        return ScreenM("vssid", "vssid-home", person=session.personal_id)

    def vssid_screen_if_opened(self) -> ScreenM:
        return self.vssid.screen if self.vssid.screen is not None else self._vssid_launch(False)

    def can_tap_vneid_login(self) -> bool:
        screen = self.vssid_screen_if_opened()
        return screen.id == "vssid-login" and bool(screen.button)

    def _open(self, app: str) -> None:
        self.foreground = app
        if app == "vssid" and self.vssid.screen is None:
            self.vssid.screen = self._vssid_launch(True)
        elif app == "vneid" and self.vneid.screen is None:
            self.vneid.screen = ScreenM("vneid", "vneid-home")

    def user_opens(self, app: str) -> Expect:
        self._open(app)
        return self._show(("V-6", "A-6"), f"the user brings {app} to the front")

    # -- the hand-off ----------------------------------------------------------------
    def tap_login_with_vneid(self) -> Expect:
        self._open("vssid")
        assert self.can_tap_vneid_login()
        now = self.vssid_now
        for tx in self.transactions.values():  # the store drops what expired a TTL ago
            if tx.expires + TRANSACTION_TTL <= now:
                tx.evicted = True
        tx = Transaction(self._id(), now)
        self.transactions[tx.n] = tx
        self.vssid.tid = tx.n
        return self._open_authorize_link(Link("vssid", tx=tx.n), custom=True, source="vssid")

    def _open_authorize_link(self, link: Link, *, custom: bool, source: str) -> Expect:
        if self.vneid.version is None:
            if source == "vssid":
                self.foreground = "store"
                self.store_listing = "vneid"
                return self._show(("A-3",), "no VNeID app: VssID opens VNeID's store listing")
            if custom:
                return self._unchanged(("A-3",), "no app claims vneid://; the OS does nothing")
            self.foreground = "browser"
            return self._show(("A-3",), "no app verified vneid.test: the browser opens it")
        self.foreground = "vneid"
        if self.vneid_kind(self.vneid.version) != "new_enough":
            self.vneid.screen = ScreenM("vneid", "app-update")
            return self._show(
                ("V-6", "P-3"),
                f"VNeID {self.vneid.version} is below 2.1.0 or "
                "malformed: its update screen, no server call",
            )
        self.vneid.link = link
        if self._vneid_app_session() is not None:
            self.vneid.screen = ScreenM("vneid", "vneid-consent")
            return self._show(("A-5",), "VNeID is still logged in: straight to consent")
        self.vneid.screen = ScreenM("vneid", "vneid-login")
        return self._show(("A-4",), "VNeID asks for the level-2 login")

    def _vneid_app_session(self) -> AppSession | None:
        session = self.vneid.session
        if session is not None and self.base >= session.expires:
            self.vneid.session = None  # the app drops it on its own clock
            return None
        return session

    # -- A-4 -----------------------------------------------------------------------------------
    def vneid_login(self, person: str, right_passcode: bool) -> Expect:
        self._open("vneid")
        assert self.vneid.screen is not None
        assert self.vneid.screen.id == "vneid-login"
        if not right_passcode:
            self.vneid.screen = refused("vneid", ("invalid_credentials", "A-4"))
            return self._show(("A-4",), "a wrong passcode is invalid_credentials")
        session = VneidSession(
            self._id(), person, self.vneid_now, self.vneid_now + self.timing.vneid_session_ttl
        )
        self.vneid_sessions[session.n] = session
        self.vneid.session = AppSession(
            session.n, person, self.base + self.timing.vneid_session_ttl
        )
        self.vneid.screen = ScreenM("vneid", "vneid-consent")
        return self._show(("A-4",), f"{person} logs in to VNeID")

    # -- A-5, A-6 ------------------------------------------------------------------------------
    def can_decide(self) -> bool:
        return self.vneid.screen is not None and self.vneid.screen.id == "vneid-consent"

    def pending_rp(self) -> RpName | None:
        return self.vneid.link.rp if self.vneid.link is not None else None

    def decide(self, approve: bool) -> tuple[Expect, Callback | None]:
        self._open("vneid")
        link = self.vneid.link
        assert link is not None
        assert self.can_decide()
        app_session = self._vneid_app_session()
        server = self.vneid_sessions.get(app_session.server) if app_session else None
        if app_session is None or server is None or self.vneid_now >= server.expires:
            self.vneid.session = None
            self.vneid.screen = ScreenM("vneid", "vneid-login")  # the link is kept
            why = (
                "the VNeID app's session expired on the phone's clock"
                if app_session is None
                else "the VNeID server's session expired on its clock"
            )
            return self._show(
                ("A-4", "A-5"),
                why + ": 401 invalid_token, and VNeID asks for the level-2 login again",
            ), None
        person = app_session.person
        citizen = self.citizens[person]
        fault = self._consume_fault("authz") if link.rp == "vssid" else None
        callback = Callback(
            self._id(),
            link.rp,
            link.tx,
            link.rp_login,
            person,
            state_ok=fault != "authz_response_state_invalid",
            iss_ok=fault != "authz_response_iss_invalid",
        )
        if not approve:
            callback.error = "access_denied"
        elif citizen.level < link.level:
            callback.error = "unmet_authentication_requirements"
        else:
            code = Code(
                self._id(), link.rp, person, citizen.personal_id, citizen.level, self.vneid_now
            )
            self.codes[code.n] = code
            callback.code = code.n
        self.callbacks[callback.n] = callback
        self.vneid.link = None
        self.vneid.screen = ScreenM("vneid", "vneid-home")
        return self.deliver(callback), callback

    def deliver(self, callback: Callback, *, other_form: bool = False) -> Expect:
        """The OS opens the callback link (A-6): to the harness RP's receiver, or for VssID's
        custom scheme to the most recently installed claimant (S-4). ``other_form``: the same
        response arrives at VssID's other registered redirect URI (the claimed https one,
        which only VssID can verify), not the one its login used (R-4)."""
        if callback.rp == "harness-rp":
            self.foreground = "harness-rp"
            return self._show(("A-5",), "the harness RP's receiver gets its callback")
        if other_form:
            self.foreground = "vssid"
            screen, clauses, why = self._vssid_complete(callback, moved=True)
            self.vssid.screen = screen
            return self._show(clauses, why)
        if not self.vssid_claims_callbacks:
            self.foreground = "hijacker"
            return self._show(
                ("S-4",),
                "the hijacking app, installed after VssID, wins vssid:// and receives the callback",
            )
        self.foreground = "vssid"
        screen, clauses, why = self._vssid_complete(callback)
        self.vssid.screen = screen
        return self._show(clauses, why)

    def _vssid_complete(
        self, cb: Callback, moved: bool = False
    ) -> tuple[ScreenM, tuple[str, ...], str]:
        """VssID's app and backend handle a callback (A-6, R-1…R-12, P-1)."""
        if self.vssid.tid is None:
            return (
                refused("vssid", ("transaction_not_found", "R-1")),
                ("R-1",),
                "VssID has no login in progress",
            )
        kind = self.vssid_kind(self.vssid.version)
        if kind == "malformed":
            return (
                refused("vssid", ("app_version_invalid", "V-3")),
                ("V-3",),
                f"VssID {self.vssid.version} is malformed: refused before anything else",
            )
        if kind == "too_old":
            return (
                VSSID_UPDATE,
                ("V-4",),
                f"VssID {self.vssid.version} is below 1.6.7: 426 "
                "with the store link before anything else; §9's update screen",
            )
        tx = self.transactions[self.vssid.tid]
        now = self.vssid_now
        if tx.evicted:
            return (
                refused("vssid", ("transaction_not_found", "R-1")),
                ("R-1",),
                "the transaction is long expired and gone",
            )
        refusals: set[Refusal] = set()
        if now >= tx.expires:
            refusals.add(("transaction_expired", "R-1"))
        if tx.used:
            refusals.add(("transaction_already_used", "R-1"))
        tx.used = True
        if refusals:
            return (
                refused("vssid", *refusals),
                ("R-1",),
                "a transaction completes once, within 10 min",
            )
        if moved:
            refusals.add(("invalid_request", "R-4"))
        if cb.tx != tx.n or not cb.state_ok:
            refusals.add(("state_mismatch", "R-1"))
        if not cb.iss_ok:
            refusals.add(("issuer_mismatch", "R-2"))
        if refusals:
            return (
                refused("vssid", *refusals),
                ("R-1", "R-2", "R-4"),
                "the callback's redirect URI, state or iss is not this login's",
            )
        if cb.error is not None:
            return (
                refused("vssid", (cb.error, "R-3")),
                ("R-3", "A-7"),
                f"VNeID answered {cb.error}: no token request",
            )
        assert cb.code is not None
        result = self._redeem(self.codes[cb.code], client="vssid", verifier_ok=True)
        if not result.ok:
            return (refused("vssid", ("invalid_grant", "T-2")), ("T-2",), result.because)
        code = self.codes[cb.code]
        failures = self._id_token_failures(code, result.fault)
        if failures:
            return (
                refused("vssid", *failures),
                tuple(sorted({c for _, c in failures})),
                "the ID token fails a check of R-5…R-11",
            )
        citizen = self.citizen_by_id(code.personal_id)
        assert citizen is not None
        if citizen.account == "none":
            return (
                refused("vssid", ("vssid_account_not_found", "P-1")),
                ("P-1", "R-11"),
                f"{citizen.key} has no VssID account",
            )
        if citizen.account == "locked":
            return (
                refused("vssid", ("account_locked", "P-1")),
                ("P-1",),
                f"{citizen.key}'s VssID account is locked",
            )
        session = VssidSession(
            self._id(), citizen.personal_id, citizen.bhxh_code, now + self.timing.vssid_session_ttl
        )
        self.vssid_sessions[session.n] = session
        self.vssid.session = session.n
        return (
            ScreenM("vssid", "vssid-home", person=citizen.personal_id),
            ("P-1", "P-2", "P-3", "A-6"),
            f"{cb.person} logged in to VNeID at level 2 and has an active VssID account",
        )

    def _id_token_failures(self, code: Code, fault: str | None) -> set[Refusal]:
        """Every check of R-5…R-11 the ID token of ``code`` fails at VssID."""
        iat = self.vneid_now
        exp = iat + min(self.timing.id_token_ttl, MAX_ID_TOKEN_TTL)
        lifetime = exp - iat
        if fault == "id_token_expired":
            exp = self.vneid_now - CLOCK_SKEW - TIME_FAULT_BEYOND
            iat = exp - lifetime
        elif fault == "id_token_iat_future":
            iat = self.vneid_now + CLOCK_SKEW + TIME_FAULT_BEYOND
            exp = iat + lifetime
        failures: set[Refusal] = set()
        now = self.vssid_now
        if now >= exp + CLOCK_SKEW or iat > now + CLOCK_SKEW:
            failures.add(("id_token_invalid", "R-8"))
        if fault is not None and FAULTS[fault].refusal is not None:
            refusal = FAULTS[fault].refusal
            assert refusal is not None
            failures.add(refusal)
        return failures

    # -- the token endpoint (T-1, T-2, S-4) ----------------------------------------------------
    @dataclass
    class _Redeemed:
        ok: bool
        because: str
        refusal: Refusal | None = None
        token: int | None = None
        fault: str | None = None

    def _redeem(self, code: Code, *, client: RpName, verifier_ok: bool) -> LoginModel._Redeemed:
        now = self.vneid_now
        if code.used_at is None:
            if now >= code.issued + CODE_TTL:
                return self._Redeemed(
                    False, "the code is older than 60 s", ("invalid_grant", "T-2")
                )
        else:
            if now >= max(code.issued + CODE_TTL, code.used_at + self.timing.access_token_ttl):
                return self._Redeemed(False, "the used code is forgotten", ("invalid_grant", "T-2"))
            for n in code.tokens:
                self.tokens[n].revoked = True
            return self._Redeemed(
                False,
                "a second redemption: invalid_grant, and the tokens of the first are revoked",
                ("invalid_grant", "T-2"),
            )
        if client != code.client:
            return self._Redeemed(
                False, "the code was issued to another client", ("invalid_grant", "T-1")
            )
        if not verifier_ok:
            return self._Redeemed(
                False, "the verifier does not answer the challenge", ("invalid_grant", "S-4")
            )
        code.used_at = now
        token = AccessToken(self._id(), code.n, now + self.timing.access_token_ttl)
        self.tokens[token.n] = token
        code.tokens.append(token.n)
        fault = self._consume_fault("id_token") if client == "vssid" else None
        return self._Redeemed(
            True, "the first redemption, within 60 s, with the verifier", token=token.n, fault=fault
        )

    def redeem(self, callback: Callback, *, client: RpName, verifier_ok: bool) -> TokenExpect:
        """Someone other than VssID's backend redeems the code of ``callback`` directly."""
        assert callback.code is not None
        result = self._redeem(self.codes[callback.code], client=client, verifier_ok=verifier_ok)
        return TokenExpect(result.ok, result.refusal, result.because, result.token)

    def token_live(self, n: int) -> bool:
        """T-2, T-5: an access token works until it expires or its code is reused."""
        token = self.tokens[n]
        return not token.revoked and self.vneid_now < token.expires

    # -- faults --------------------------------------------------------------------------------
    def arm_fault(self, fault: str) -> Expect:
        assert self.armed is None
        self.armed = fault
        return self._unchanged((), f"VNeID will misbehave once: {fault}")

    def _consume_fault(self, stage: str) -> str | None:
        fault = self.armed
        if fault is not None and FAULTS[fault].stage == stage:
            self.armed = None
            return fault
        return None

    # -- the harness's own relying party ----------------------------------------------------------
    def rp_opens_login_link(self, *, custom: bool, level: int = 2) -> tuple[Expect, int]:
        self.rp_logins += 1
        n = self.rp_logins
        return self._open_authorize_link(
            Link("harness-rp", rp_login=n, level=level), custom=custom, source="harness-rp"
        ), n

    # -- the phone -----------------------------------------------------------------------------
    def install_vssid(self, version: str) -> Expect:
        """An update (or downgrade): storage kept, process restarted, latest claimant."""
        self.vssid.version = version
        self.vssid.screen = None
        self.vssid_seq = self._next_seq()
        if self.foreground == "vssid":
            self._open("vssid")
        return self._show(("V-4", "V-6"), f"VssID {version} installed over the old one")

    def clear_vssid_data(self) -> Expect:
        """Uninstall and reinstall VssID: storage gone."""
        self.vssid = VssidApp(self.vssid.version)
        self.vssid_seq = self._next_seq()
        if self.foreground == "vssid":
            self.foreground = None
        return self._show(("A-6",), "VssID's data is cleared")

    def install_vneid(self, version: str | None) -> Expect:
        if version is None:
            self.vneid = VneidApp(None)
            if self.foreground == "vneid":
                self.foreground = None
            return self._show(("A-3",), "VNeID is uninstalled")
        if self.vneid.version is None:
            self.vneid = VneidApp(version)
        else:
            self.vneid.version = version
            self.vneid.screen = None
            self.vneid.link = None
        if self.foreground == "vneid":
            self._open("vneid")
        return self._show(("V-5", "V-6"), f"VNeID {version} installed")

    def force_close(self, app: str) -> Expect:
        if app == "vssid":
            self.vssid.screen = None
        else:
            self.vneid.screen = None
            self.vneid.link = None
        if self.foreground == app:
            self._open(app)
        return self._show(("A-6",), f"{app}'s process is killed (storage kept)")

    def sign_out_of_vssid(self) -> Expect:
        """The user signs out of VssID: the app forgets its session (the backend's lives on
        until it expires) and shows its login screen again."""
        self.vssid.session = None
        self.vssid.screen = None
        self._open("vssid")
        return self._show(("V-6",), "signed out, VssID shows its login screen")

    def restart_vssid(self) -> Expect:
        """The user leaves VssID's error screen by closing and reopening the app."""
        self.vssid.screen = None
        self._open("vssid")
        return self._show(("A-6",), "VssID relaunched")

    def close_vssid_error(self) -> Expect:
        """The user taps "Đóng" on VssID's error screen: its first screen, as at launch."""
        assert self.foreground == "vssid"
        self.vssid.screen = None
        self._open("vssid")
        return self._show(("A-6",), "the user closes VssID's error screen")

    def close_vneid_error(self) -> Expect:
        """The user taps "Đóng" on VNeID's error screen, a refused login's (the only one the
        model reaches): the login screen again with the link kept, or home without one."""
        assert self.foreground == "vneid"
        assert self.vneid.screen is not None
        assert self.vneid.screen.id == "app-error"
        if self.vneid.link is None:
            self.vneid.screen = ScreenM("vneid", "vneid-home")
            return self._show(("A-4",), "the user closes VNeID's error screen: its home")
        self.vneid.screen = ScreenM("vneid", "vneid-login")
        return self._show(
            ("A-4",),
            "the user closes the refused login's error: the login screen again, the link kept",
        )

    def install_hijacker(self) -> Expect:
        """Installed (again: removed first), it becomes the latest claimant of vssid://."""
        if self.hijacker_seq is not None and self.foreground == "hijacker":
            self.foreground = None
        self.hijacker_seq = self._next_seq()
        return self._unchanged(("S-4",), "a hijacking app claiming vssid:// is installed")

    def remove_hijacker(self) -> Expect:
        self.hijacker_seq = None
        if self.foreground == "hijacker":
            self.foreground = None
        return self._show(("S-4",), "the hijacking app is removed")

    # -- citizens ------------------------------------------------------------------------------
    def set_level(self, person: str, level: int) -> Expect:
        self.citizens[person].level = level
        return self._unchanged(("P-2",), f"{person} is now level {level}")

    def set_account(self, person: str, state: AccountState) -> Expect:
        self.citizens[person].account = state
        return self._unchanged(("P-1",), f"{person}'s VssID account: {state}")
