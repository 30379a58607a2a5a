"""What the provider hands out: app sessions (A-4), authorization codes (T-2), access tokens
(T-5), each in a :class:`~mock_providers.vneid.ttl.TTLStore` on the provider's clock.

Redemption is one synchronous critical section (no ``await`` inside, and a lock for callers on
other threads): a code is checked and marked used atomically, so two concurrent redemptions
cannot both succeed (T-2).
"""

from __future__ import annotations

import hmac
import math
import threading
from dataclasses import dataclass, field

from harness.protocol import Clock, Entropy, Profile, ProtocolError, verify_s256
from harness.protocol.pkce import is_valid_code_verifier
from mock_providers.vneid.keys import PairwiseSubjects
from mock_providers.vneid.records import PersonaRecord
from mock_providers.vneid.ttl import TTLStore

__all__ = ["AccessGrant", "AuthorizationCode", "Grants", "Session"]

TOKEN_BYTES = 32
"""Sessions, codes and access tokens carry 256 bits from the provider's entropy."""


@dataclass(frozen=True, slots=True)
class Session:
    """A VNeID app session (A-4); ``auth_time`` is when the citizen entered the passcode."""

    personal_id: str
    auth_time: float


@dataclass(slots=True)
class AuthorizationCode:
    """A code and everything it is bound to (RFC 6749 §4.1.3, RFC 7636 §4.6, T-1)."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    persona: PersonaRecord
    acr: str
    auth_time: float
    scope: str
    code_challenge_method: str = "S256"
    """Other than ``S256`` only from a provider that skips the ``challenge`` check."""
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """What an access token stands for at the userinfo endpoint (T-5)."""

    client_id: str
    sub: str
    persona: PersonaRecord
    scope: str


def _invalid_grant(description: str, clause: str) -> ProtocolError:
    return ProtocolError(description, code="invalid_grant", clause=clause)


class Grants:
    def __init__(
        self,
        clock: Clock,
        entropy: Entropy,
        profile: Profile,
        subjects: PairwiseSubjects,
        max_items: int = 100_000,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.clock = clock
        self.skip = skip
        """TEST ONLY (``VNeIDSettings.skip_checks``): ``code_expiry``, ``code_reuse``,
        ``revocation``, ``code_binding``, ``verifier``, ``pairwise`` are checks this
        deliberately broken provider leaves out; empty for a correct one."""
        self.entropy = entropy
        self.profile = profile
        self.subjects = subjects
        self.sessions: TTLStore[str, Session] = TTLStore(
            clock, max_items, name="app sessions", clause="A-4"
        )
        self.access_tokens: TTLStore[str, AccessGrant] = TTLStore(
            clock, max_items, name="access tokens", clause="T-5"
        )
        # a used code dropped to make room takes its tokens along: T-2's revocation on a
        # replay must never be lost while they live
        self.codes: TTLStore[str, AuthorizationCode] = TTLStore(
            clock,
            max_items,
            name="authorization codes",
            clause="T-2",
            on_evict=self._revoke_tokens_of,
        )
        self._lock = threading.Lock()

    def _revoke_tokens_of(self, code: AuthorizationCode) -> None:
        for token in code.access_tokens:
            self.access_tokens.pop(token)
        code.access_tokens.clear()

    # -- sessions (A-4) --------------------------------------------------------------
    def open_session(self, personal_id: str) -> str:
        token = self.entropy.token(TOKEN_BYTES)
        self.sessions.put(
            token, Session(personal_id, self.clock.now()), self.profile.vneid_session_ttl
        )
        return token

    # -- codes (A-5, T-2) ------------------------------------------------------------
    def issue_code(self, code: AuthorizationCode) -> str:
        """Store ``code`` for ``profile.code_ttl`` seconds (T-2: the store forgets it then)."""
        value = self.entropy.token(TOKEN_BYTES)
        ttl = math.inf if "code_expiry" in self.skip else self.profile.code_ttl
        with self._lock:  # a full store drops used codes and their tokens (on_evict): never
            self.codes.put(value, code, ttl)  # in the middle of a redeem
        return value

    def redeem(
        self, value: str, *, client_id: str, redirect_uri: str, code_verifier: str
    ) -> tuple[AuthorizationCode, str, AccessGrant]:
        """Check ``value`` against its bindings, mark it used, issue an access token.

        T-2: "Codes live 60 s and redeem once. A second redemption fails with invalid_grant and
        revokes the tokens issued from the first." T-1: the code is bound to the client and
        the identical redirect_uri. S-1/S-4: the verifier must answer the S256 challenge.
        A deliberately broken provider (:attr:`skip`) leaves out the checks it names.
        """
        skip = self.skip
        with self._lock:
            code = self.codes.get(value)
            if code is None:  # never issued, or older than profile.code_ttl (T-2)
                raise _invalid_grant(
                    f"the code is unknown or expired (a code lives "
                    f"{self.profile.code_ttl} s and redeems once, T-2): "
                    "redeem it as soon as the callback arrives, or start a "
                    "new login",
                    "T-2",
                )
            if code.used and "code_reuse" not in skip:
                if "revocation" not in skip:
                    self._revoke_tokens_of(code)
                raise _invalid_grant(
                    "the code was already redeemed; the tokens issued "
                    "from it are revoked (RFC 6749 §4.1.2)",
                    "T-2",
                )
            if skip:
                self._check_as_broken(code, client_id, redirect_uri, code_verifier)
            else:
                _check_bindings(code, client_id, redirect_uri)
                _check_verifier(code_verifier, code.code_challenge)
            code.used = True
            token = self.entropy.token(TOKEN_BYTES)
            ttl = self.profile.access_token_ttl
            sub_client = "" if "pairwise" in skip else client_id  # test only: one sub for all
            grant = AccessGrant(
                client_id,
                self.subjects.sub(sub_client, code.persona.personal_id),
                code.persona,
                code.scope,
            )
            self.access_tokens.put(token, grant, ttl)
            code.access_tokens.append(token)
            # Remember the used code while its tokens live, to revoke them on a replay.
            self.codes.extend(value, ttl)
            return code, token, grant

    def _check_as_broken(
        self, code: AuthorizationCode, client_id: str, redirect_uri: str, code_verifier: str
    ) -> None:
        """:meth:`redeem`'s binding and PKCE checks, less those in :attr:`skip` (test only)."""
        if "code_binding" not in self.skip:
            _check_bindings(code, client_id, redirect_uri)
        if "verifier" in self.skip or not code.code_challenge:  # no challenge: no PKCE
            return
        if code.code_challenge_method == "S256":
            _check_verifier(code_verifier, code.code_challenge)
        elif not hmac.compare_digest(code_verifier.encode(), code.code_challenge.encode()):
            raise _invalid_grant("code_verifier does not match the plain code_challenge", "S-4")


def _check_bindings(code: AuthorizationCode, client_id: str, redirect_uri: str) -> None:
    """T-1: the code is redeemed by the client it was issued to, with the identical
    ``redirect_uri``."""
    if code.client_id != client_id:
        raise _invalid_grant("the code was issued to another client", "T-1")
    if code.redirect_uri != redirect_uri:
        raise _invalid_grant(
            "redirect_uri is not identical to the authorization request's (RFC 6749 §4.1.3)", "T-1"
        )


def _check_verifier(code_verifier: str, code_challenge: str) -> None:
    """S-1, S-4: a well-formed verifier (RFC 7636 §4.1) whose S256 hash is the challenge."""
    if not is_valid_code_verifier(code_verifier):
        raise _invalid_grant(
            "code_verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1)", "S-1"
        )
    if not verify_s256(code_verifier, code_challenge):
        raise _invalid_grant("code_verifier does not match the code_challenge", "S-4")
