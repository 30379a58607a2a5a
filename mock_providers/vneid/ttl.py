"""A bounded in-memory map whose entries vanish after their lifetime.

The provider keeps sessions, codes, access tokens and web logins in these. Expired entries are
purged lazily (on read, and in sweeps amortised over writes), and the size is capped at
``max_items``. When that many entries are still alive, the oldest hundredth of them is
dropped to make room (``evict=True``, the default): under a load that outruns the lifetimes
(a served provider finishes ~1,400 logins a second; 100,000 app sessions of 900 s fill at 111
a second) entries live shorter, and every new login still works. A dropped entry is only
ever refused later (a session or token that is no longer known, a code that no longer
redeems), never accepted, and it is always one of the oldest: a flood would have to put
``max_items`` newer entries in first. A store whose absence would let something through (the
client-assertion ids kept against replay) takes ``evict=False`` and refuses the new entry with
503 ``temporarily_unavailable`` naming the store and when room frees up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from harness.protocol import Clock, ProtocolError
from mock_providers._room import make_room

__all__ = ["TTLStore"]

K = TypeVar("K")
V = TypeVar("V")


class TTLStore(Generic[K, V]):
    """``key -> value`` with a per-entry deadline on ``clock``; at most ``max_items`` entries."""

    def __init__(
        self,
        clock: Clock,
        max_items: int = 100_000,
        *,
        name: str = "entries",
        clause: str = "A-1",
        evict: bool = True,
        on_evict: Callable[[V], object] | None = None,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be positive")
        self.clock = clock
        self.max_items = max_items
        self.name = name
        self.clause = clause
        self.evict = evict
        self.on_evict = on_evict
        """Called with each live value dropped to make room (a code's tokens go with it)."""
        self.evicted = 0
        """How many live entries were dropped to make room since the store was made."""
        self._items: dict[K, tuple[float, V]] = {}
        self._writes_since_purge = 0

    def put(self, key: K, value: V, ttl: float) -> None:
        """Store ``value`` until ``ttl`` seconds from now (replacing any entry for ``key``).
        With ``max_items`` live entries, the oldest make room (``evict``) or the new one is
        refused with 503 ``temporarily_unavailable``."""
        self._writes_since_purge += 1
        if self._writes_since_purge >= max(64, len(self._items) // 2):
            self.purge()
        if key not in self._items and len(self._items) >= self.max_items:
            self.purge()
            if len(self._items) >= self.max_items:
                self._make_room()
        self._items.pop(key, None)
        self._items[key] = (self.clock.now() + ttl, value)

    def _make_room(self) -> None:
        if not self.evict:
            wait = min(deadline for deadline, _ in self._items.values()) - self.clock.now()
            raise ProtocolError(
                f"the provider holds {self.max_items} live {self.name}, its limit; the next "
                f"one expires in {max(wait, 0):.0f} s: try again then",
                code="temporarily_unavailable",
                clause=self.clause,
            )
        gone = make_room(
            self._items,
            self.max_items,
            what=f"the VNeID mock's {self.name}",
            first=not self.evicted,
        )
        self.evicted += len(gone)
        if self.on_evict is not None:
            for _, value in gone:
                self.on_evict(value)

    def get(self, key: K) -> V | None:
        """The live value for ``key``, or ``None`` (an expired entry is dropped)."""
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock.now():
            del self._items[key]
            return None
        return entry[1]

    def extend(self, key: K, ttl: float) -> None:
        """Keep ``key`` at least ``ttl`` seconds from now."""
        entry = self._items.get(key)
        if entry is not None:
            self._items[key] = (max(entry[0], self.clock.now() + ttl), entry[1])

    def pop(self, key: K) -> V | None:
        entry = self._items.pop(key, None)
        if entry is None or entry[0] <= self.clock.now():
            return None
        return entry[1]

    def purge(self) -> int:
        """Drop every expired entry; returns how many went."""
        now = self.clock.now()
        dead = [k for k, (deadline, _) in self._items.items() if deadline <= now]
        for key in dead:
            del self._items[key]
        self._writes_since_purge = 0
        return len(dead)

    def clear(self) -> None:
        self._items.clear()

    def keys(self) -> list[K]:
        """The keys held, expired ones included (until a sweep drops them)."""
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)
