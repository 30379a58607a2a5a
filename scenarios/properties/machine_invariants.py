"""The invariants of the login state machine (issue 4), checked after every step, and the
machine's failure plumbing. A mixin of :class:`LoginMachine`: every check is judged from what
was on the wire and the world the rules made, never from the reference model.

- T-2: a code never yields two token responses;
- R-12, §8: every refusal, on the wire or on a screen, is a §8 code with a clause;
- V-6: VssID offers the VNeID login exactly from its minimum version on;
- P-1, P-2, P-3, R-1, R-2, R-5…R-10, S-4, T-1, T-2, A-6: every VssID session is justified.
"""

from __future__ import annotations

from collections import Counter
from typing import NoReturn

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from harness.apps.screens import APP_ERROR, VSSID_LOGIN, VSSID_LOGIN_VNEID
from harness.protocol import CLAUSES, ERRORS
from harness.world import Device
from scenarios.properties.machine_vocabulary import (
    ACR_LEVEL2,
    GATE_REFUSALS,
    TRAIL,
    CallbackFact,
    TxFact,
    query_of,
    s256,
    shown,
)
from scenarios.properties.model_vocabulary import (
    CLOCK_SKEW,
    CODE_TTL,
    TRANSACTION_TTL,
    VNEID_VERSIONS,
    VSSID_VERSIONS,
)
from scenarios.properties.world import CITIZENS, Exchange, World, jwt_parts

__all__ = ["LoginInvariants"]


class LoginInvariants:
    """The invariants; :class:`LoginMachine` sets the state they read."""

    world: World
    trail: list[str]
    accounts: dict[str, str]
    tx_facts: dict[str, TxFact]
    callback_facts: dict[str, CallbackFact]
    granted: Counter[str]
    judged: int
    t2_seen: int
    refusals_seen: int

    # -- plumbing ------------------------------------------------------------------------
    @property
    def device(self) -> Device:
        assert self.world.device is not None
        return self.world.device

    def _fail(self, clauses: tuple[str, ...] | str, message: str) -> NoReturn:
        named = clauses if isinstance(clauses, str) else "/".join(clauses) or "model"
        recent = "\n    ".join(self.trail[-TRAIL:])
        raise AssertionError(
            f"{named}: {message}\n  the last steps, and what the phone "
            f"showed after each:\n    {recent}"
        )

    # -- invariants ---------------------------------------------------------------------------
    def _invariants(self) -> None:
        """Checked after every step (called by the rules rather than declared ``@invariant``,
        so that a shrunk example prints only the steps, as a scenario)."""
        self.t2_a_code_never_yields_two_token_responses()
        self.every_session_is_justified()
        self.every_refusal_is_a_protocol_error()
        self.v6_vssid_offers_vneid_login_exactly_from_its_minimum()

    def t2_a_code_never_yields_two_token_responses(self) -> None:
        for ex in self.world.exchanges[self.t2_seen :]:
            if ex.path == "/token" and ex.status == 200:
                code = ex.form().get("code", "")
                self.granted[code] += 1
                if self.granted[code] > 1:
                    self._fail("T-2", f"a code yielded {self.granted[code]} token responses")
        self.t2_seen = len(self.world.exchanges)

    def every_refusal_is_a_protocol_error(self) -> None:
        """R-12, §8: a refusal is a code of the error catalog citing a clause, on the wire and
        on the screen. The catalog (``harness.protocol.ERRORS``) holds §8's codes, the RFCs'
        (``invalid_token``, ``invalid_request``…) and a few the harness names where §8 is
        silent (``transaction_not_found``, ``server_error``…), each with its source."""
        fresh, self.refusals_seen = (
            self.world.exchanges[self.refusals_seen :],
            len(self.world.exchanges),
        )
        for ex in fresh:
            if ex.status >= 400:
                body = ex.json_response()
                if body.get("error") not in ERRORS or body.get("clause") not in CLAUSES:
                    self._fail(
                        "R-12",
                        f"{ex.provider} {ex.path} refused with HTTP {ex.status} "
                        f"and the body {body}, not a catalogued error naming "
                        "a clause",
                    )
        screen = self.device.phone.screen() if self.world.device else None
        if screen is not None and screen.id == APP_ERROR:
            spec = ERRORS.get(screen.error or "")
            if spec is None or screen.data.get("clause") not in CLAUSES:
                self._fail("R-12", f"{shown(screen)} is not a catalogued code with a clause")
            if spec.message_vi not in screen.texts:
                self._fail("R-12", f"{shown(screen)} lacks the §8 message {spec.message_vi!r}")

    def v6_vssid_offers_vneid_login_exactly_from_its_minimum(self) -> None:
        if self.world.device is None:
            return
        screen = self.device.phone.screen()
        if screen.id == VSSID_LOGIN:
            version = self.device.vssid_app.version
            new_enough = VSSID_VERSIONS[version] == "new_enough"
            if screen.has(VSSID_LOGIN_VNEID) != new_enough:
                self._fail(
                    "V-6", f"VssID {version} {'hides' if new_enough else 'shows'} the VNeID login"
                )

    def every_session_is_justified(self) -> None:
        """P-1, P-2, P-3, R-1, R-2, R-5…R-10, S-4, T-2, A-6: judged from what was on the wire
        and the world the rules made, not from the model."""
        completions = [ex for ex in self.world.exchanges if ex.path.endswith("/complete")]
        for ex in completions[self.judged :]:
            # Attempts the version gate turned away (V-3, V-4) never reached the transaction.
            earlier = [
                e
                for e in completions
                if e.end < ex.start
                and e.json_request().get("transaction_id")
                == ex.json_request().get("transaction_id")
                and e.json_response().get("error") not in GATE_REFUSALS
            ]
            if ex.status == 200:
                self._judge_session(ex, earlier)
        self.judged = len(completions)

    def _judge_session(self, ex: Exchange, earlier: list[Exchange]) -> None:
        request, answer = ex.json_request(), ex.json_response()
        url = str(request.get("callback_url"))
        tx = self.tx_facts.get(str(request.get("transaction_id")))
        cb = self.callback_facts.get(url)

        def bad(clause: str, why: str) -> NoReturn:
            self._fail(clause, f"VssID opened a session {why}")

        if tx is None or cb is None:
            bad("R-1", "for a transaction or a callback that VssID and VNeID never made")
        citizen = CITIZENS[cb.person]
        if cb.level != 2:
            bad("P-2", f"for {cb.person}, who was level {cb.level} when VNeID answered")
        if self.accounts[cb.person] != "active":
            bad("P-1", f"for {cb.person}, whose VssID account is {self.accounts[cb.person]}")
        if answer.get("bhxh_code") != citizen.bhxh_code:
            bad(
                "A-6",
                f"on the account {answer.get('bhxh_code')}, not on that of {cb.person} "
                "who logged in to VNeID",
            )
        for app, version, table in (
            ("VssID", tx.vssid_version, VSSID_VERSIONS),
            ("VssID", self.device.vssid_app.version, VSSID_VERSIONS),
            ("VNeID", cb.vneid_version, VNEID_VERSIONS),
        ):
            if table.get(version) != "new_enough":
                bad("P-3", f"through {app} {version}, below its minimum version")
        params = query_of(url)
        if params.get("state") != tx.state:
            bad("R-1", "from a callback whose state is not its transaction's")
        if params.get("iss") != self.world.target.vneid.issuer:
            bad("R-2", f"from a callback whose iss is {params.get('iss')!r}")
        if earlier:
            bad("R-1", "on a second completion of one transaction")
        vssid_now = self.world.vssid.clock.now()
        if vssid_now >= tx.created + TRANSACTION_TTL:
            bad("R-1", "after its transaction expired")
        tokens = [
            t
            for t in self.world.exchanges
            if t.path == "/token" and t.status == 200 and t.inside(ex)
        ]
        if len(tokens) != 1:
            bad("T-1", f"after {len(tokens)} token responses (expected exactly one)")
        form = tokens[0].form()
        if form.get("code") != params.get("code"):
            bad("T-1", "with the tokens of another code")
        if s256(form.get("code_verifier", "")) != tx.challenge:
            bad("S-4", "with a code_verifier that does not answer its transaction's challenge")
        id_token = str(tokens[0].json_response().get("id_token", ""))
        header, claims = jwt_parts(id_token)
        try:
            jws.deserialize_compact(
                id_token, KeySet.import_key_set(self.world.vneid.jwks()), algorithms=["ES256"]
            )
        except (JoseError, ValueError) as exc:
            bad("R-5", f"on an ID token whose signature does not verify ({header}: {exc})")
        if claims.get("iss") != self.world.target.vneid.issuer:
            bad("R-6", f"on an ID token from {claims.get('iss')!r}")
        aud = claims.get("aud")
        if (
            "vssid" not in (aud if isinstance(aud, list) else [aud])
            or claims.get("azp", "vssid") != "vssid"
        ):
            bad("R-7", f"on an ID token for {aud!r}")
        exp, iat = claims.get("exp"), claims.get("iat")
        if (
            not isinstance(exp, int)
            or not isinstance(iat, int)
            or vssid_now >= exp + CLOCK_SKEW
            or iat > vssid_now + CLOCK_SKEW
        ):
            bad("R-8", f"on an ID token with iat {iat}, exp {exp} at {vssid_now:.0f}")
        if claims.get("nonce") != tx.nonce:
            bad("R-9", "on an ID token whose nonce is not its transaction's")
        if claims.get("acr") != ACR_LEVEL2:
            bad("R-10", f"on an ID token with acr {claims.get('acr')!r}")
        if claims.get("personal_id") != citizen.personal_id:
            bad(
                "A-6",
                f"on an ID token naming {claims.get('personal_id')!r}, not {cb.person} "
                "who logged in to VNeID",
            )
        if self.world.vneid.clock.now() >= cb.issued + CODE_TTL:
            bad("T-2", "from a code older than 60 s")
        screen = self.device.phone.screen()
        if screen.id == "vssid-home" and screen.data.get("personal_id") != citizen.personal_id:
            bad(
                "A-6",
                f"showing {screen.data.get('personal_id')}, not {cb.person} who logged in to VNeID",
            )
