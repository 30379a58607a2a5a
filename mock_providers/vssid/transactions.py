"""Login transactions (A-1, R-1) and VssID sessions (A-6), in memory with TTLs.

R-1: "a transaction completes once and expires after 10 min". :meth:`TransactionStore.consume`
marks a transaction used in the same synchronous step that finds it, so two concurrent
``complete`` calls can never both proceed. Expired entries are kept for one more TTL so a late
call learns ``transaction_expired`` rather than ``transaction_not_found``. Both stores are
bounded: expired entries are purged in sweeps amortised over writes (the kept ones first when
room is short), and a store still full of live entries drops its oldest hundredth
(:func:`mock_providers._room.make_room`). Transactions live 10 min and sessions an hour, so a
steady 83 logins a second fill the one and 14 the other (a served pair finishes ~1,400); a
full store that refused new entries instead refused every login from then on, a session at
``complete`` after its code was redeemed. What is dropped is only ever refused later (a
transaction that is no longer known, a session logged out), and always the oldest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from harness.protocol import Clock, ProtocolError
from mock_providers._room import make_room
from mock_providers.vssid.settings import VssIDSettings

__all__ = ["LoginTransaction", "SessionStore", "TransactionStore", "VssIDSession"]

MAX_ENTRIES = 50_000
_V = TypeVar("_V")


@dataclass(slots=True)
class LoginTransaction:
    """One login started by A-1; it keeps the settings it was started with (RFC 9207 §4:
    the client remembers which issuer it sent the user to)."""

    transaction_id: str
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    settings: VssIDSettings = field(repr=False)
    created_at: float
    expires_at: float
    used: bool = False
    outcome: str | None = None
    """``"ok"`` or the §8 error code the completion ended with."""

    @property
    def redirect_uri(self) -> str:
        return self.settings.redirect_uri


@dataclass(frozen=True, slots=True)
class VssIDSession:
    """A logged-in VssID app session (A-6)."""

    bhxh_code: str
    personal_id: str
    full_name: str
    expires_at: float


def _purge(entries: dict[str, _V], expiry: Callable[[_V], float], now: float) -> None:
    for key in [k for k, v in entries.items() if expiry(v) <= now]:
        del entries[key]


class TransactionStore:
    def __init__(self, clock: Clock, limit: int = MAX_ENTRIES) -> None:
        self._clock = clock
        self._items: dict[str, LoginTransaction] = {}
        self._lock = threading.Lock()
        self._limit = limit
        self._writes = 0
        self.evicted = 0
        """How many live transactions were dropped to make room."""

    def verifiers(self) -> list[str]:
        """The PKCE verifiers of the transactions kept (secrets, S-5: what a report must not
        show, :meth:`~mock_providers.vssid.VssIDProvider.held_secrets`)."""
        with self._lock:
            return [tx.code_verifier for tx in self._items.values()]

    def add(self, tx: LoginTransaction) -> None:
        ttl = tx.expires_at - tx.created_at
        now = self._clock.now()
        with self._lock:
            self._writes += 1
            if self._writes >= max(64, len(self._items) // 2) or len(self._items) >= self._limit:
                _purge(self._items, lambda t: t.expires_at + ttl, now)
                self._writes = 0
            if len(self._items) >= self._limit:  # the expired ones kept for their message go
                _purge(self._items, lambda t: t.expires_at, now)
            if len(self._items) >= self._limit:
                self.evicted += len(
                    make_room(
                        self._items,
                        self._limit,
                        first=not self.evicted,
                        what="the VssID mock's login transactions",
                    )
                )
            self._items[tx.transaction_id] = tx

    def get(self, transaction_id: str) -> LoginTransaction | None:
        with self._lock:
            return self._items.get(transaction_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def consume(self, transaction_id: str) -> LoginTransaction:
        """R-1: find the transaction and mark it used in one step, or refuse.

        Unknown → 404 ``transaction_not_found``; expired → 410 ``transaction_expired``;
        already completed or attempted → 409 ``transaction_already_used``.
        """
        now = self._clock.now()
        with self._lock:
            tx = self._items.get(transaction_id)
            if tx is None:
                raise ProtocolError(
                    "no login transaction with this transaction_id; start a new "
                    "login (POST /api/v1/auth/vneid/start)",
                    code="transaction_not_found",
                    clause="R-1",
                )
            was_used, tx.used = tx.used, True
        skip = tx.settings.skip_checks  # test only: a deliberately broken relying party
        if now >= tx.expires_at and "transaction_expiry" not in skip:
            raise ProtocolError(
                f"the login transaction expired {now - tx.expires_at:.0f} s ago (it lives "
                f"{tx.expires_at - tx.created_at:.0f} s); start a new login",
                code="transaction_expired",
                clause="R-1",
            )
        if was_used and "replay" not in skip:
            raise ProtocolError(
                "this login transaction was already completed or attempted; a transaction "
                f"completes once (its first attempt ended with {tx.outcome or 'pending'})",
                code="transaction_already_used",
                clause="R-1",
            )
        return tx


class SessionStore:
    def __init__(self, clock: Clock, limit: int = MAX_ENTRIES) -> None:
        self._clock = clock
        self._items: dict[str, VssIDSession] = {}
        self._lock = threading.Lock()
        self._limit = limit
        self._writes = 0
        self.evicted = 0
        """How many live sessions were logged out to make room."""

    def tokens(self) -> list[str]:
        """The session tokens kept (secrets, S-5)."""
        with self._lock:
            return list(self._items)

    def add(self, token: str, session: VssIDSession) -> None:
        with self._lock:
            self._writes += 1
            if self._writes >= max(64, len(self._items) // 2) or len(self._items) >= self._limit:
                _purge(self._items, lambda s: s.expires_at, self._clock.now())
                self._writes = 0
            if len(self._items) >= self._limit:
                self.evicted += len(
                    make_room(
                        self._items,
                        self._limit,
                        first=not self.evicted,
                        what="the VssID mock's sessions",
                    )
                )
            self._items[token] = session

    def get(self, token: str) -> VssIDSession | None:
        """The live session for ``token``; an expired one is dropped and ``None`` returned."""
        with self._lock:
            session = self._items.get(token)
            if session is not None and self._clock.now() >= session.expires_at:
                del self._items[token]
                return None
            return session

    def revoke(self, token: str) -> None:
        with self._lock:
            self._items.pop(token, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
