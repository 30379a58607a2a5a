"""A bounded in-memory map whose entries vanish after their lifetime.

The provider keeps sessions, codes, access tokens and web logins in these. Expired entries are
purged lazily (on read, and in sweeps amortised over writes), and the size is capped: when
``max_items`` entries are still alive, a new one is refused with 503
``temporarily_unavailable`` naming the store and when room frees up. Nothing alive is ever
evicted, so a flood cannot log a citizen out or burn a code someone is about to redeem.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from harness.protocol import Clock, ProtocolError

__all__ = ["TTLStore"]

K = TypeVar("K")
V = TypeVar("V")


class TTLStore(Generic[K, V]):
    """``key -> value`` with a per-entry deadline on ``clock``; at most ``max_items`` entries."""

    def __init__(self, clock: Clock, max_items: int = 100_000, *, name: str = "entries",
                 clause: str = "A-1") -> None:
        if max_items < 1:
            raise ValueError("max_items must be positive")
        self.clock = clock
        self.max_items = max_items
        self.name = name
        self.clause = clause
        self._items: dict[K, tuple[float, V]] = {}
        self._writes_since_purge = 0

    def put(self, key: K, value: V, ttl: float) -> None:
        """Store ``value`` until ``ttl`` seconds from now (replacing any entry for ``key``);
        503 ``temporarily_unavailable`` when ``max_items`` live entries leave no room."""
        self._writes_since_purge += 1
        if self._writes_since_purge >= max(64, len(self._items) // 2) \
                or len(self._items) >= self.max_items:
            self.purge()
        if key not in self._items and len(self._items) >= self.max_items:
            wait = min(deadline for deadline, _ in self._items.values()) - self.clock.now()
            raise ProtocolError(
                f"the provider holds {self.max_items} live {self.name}, its limit; the next "
                f"one expires in {max(wait, 0):.0f} s: try again then",
                code="temporarily_unavailable", clause=self.clause)
        self._items.pop(key, None)
        self._items[key] = (self.clock.now() + ttl, value)

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

    def __len__(self) -> int:
        return len(self._items)
