"""Injectable clocks and randomness, so every run can be replayed from a seed.

Protocol logic never calls ``time.time()`` or ``secrets`` directly: it takes a :class:`Clock`
and an :class:`Entropy`. Production-like runs use :class:`SystemClock` and
:class:`SystemEntropy`; tests and replays use :class:`ManualClock` and :class:`SeededEntropy`.
"""

from __future__ import annotations

import base64
import random
import secrets
import threading
import time
from typing import Protocol, runtime_checkable

from harness.protocol.numbers import finite_number

__all__ = [
    "Clock",
    "Entropy",
    "ManualClock",
    "OffsetClock",
    "SeededEntropy",
    "SystemClock",
    "SystemEntropy",
    "seeded_random",
]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now = _finite(self._now + _finite(seconds, "advance"), "advance")

    def set(self, when: float) -> None:
        self._now = _finite(when, "set")


def _finite(value: object, method: str) -> float:
    """``value`` as a float, or a ``ValueError`` naming it: a NaN clock compared false with
    every deadline (codes, sessions and tokens never expired), an infinite one reached
    ``int()`` at the next ID token (``OverflowError``), far from the test that moved it."""
    number = finite_number(value)
    if number is None:
        raise ValueError(
            f"ManualClock.{method}({value!r:.40}): give a finite number of seconds (the "
            "clock would read a time no token or deadline can hold)"
        )
    return number


class OffsetClock:
    """A provider's clock: a base clock plus an offset that the test-control API sets (§11)."""

    def __init__(self, base: Clock | None = None, offset: float = 0.0) -> None:
        self.base: Clock = base or SystemClock()
        self.offset = float(offset)

    def now(self) -> float:
        return self.base.now() + self.offset


@runtime_checkable
class Entropy(Protocol):
    def randbytes(self, n: int) -> bytes: ...

    def token(self, nbytes: int = 32) -> str:
        """A URL-safe random token carrying ``nbytes`` bytes of randomness."""
        ...


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SystemEntropy:
    """Cryptographically strong randomness (the default outside replays)."""

    def randbytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)

    def token(self, nbytes: int = 32) -> str:
        return _b64(self.randbytes(nbytes))


def seeded_random(seed: int | str) -> random.Random:
    """``random.Random(seed)``, except that a negative int seed has a stream of its own:
    Python seeds an int by its absolute value, so ``-5`` drew what ``5`` drew (``vneid-harness
    personas generate --seed -5`` wrote the citizens of ``--seed 5``). Every other seed draws
    what it always drew."""
    return random.Random(str(seed) if isinstance(seed, int) and seed < 0 else seed)


class SeededEntropy:
    """Replayable randomness from a seed. Thread-safe; never use it for real secrets."""

    def __init__(self, seed: int | str) -> None:
        self.seed = seed
        self._rng = seeded_random(seed)
        self._lock = threading.Lock()

    def randbytes(self, n: int) -> bytes:
        with self._lock:
            return self._rng.randbytes(n)

    def token(self, nbytes: int = 32) -> str:
        return _b64(self.randbytes(nbytes))

    def fork(self, label: str) -> SeededEntropy:
        """An independent stream for one component, still determined by the seed."""
        return SeededEntropy(f"{self.seed}/{label}")
