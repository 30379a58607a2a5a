"""The relying party's own calls to the issuer, recorded (S-5: secrets redacted).

The conformance plans prove "no token request was made" (R-3, the OIDF RP tests' "expect
nothing") from this record: ``provider.outgoing.calls("token") == []``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["OutgoingCall", "OutgoingLog", "Purpose"]

Purpose = Literal["discovery", "jwks", "token", "userinfo"]


@dataclass(frozen=True, slots=True)
class OutgoingCall:
    """One call to the issuer: ``status`` 0 when no HTTP answer came (``error`` says why)."""

    at: float
    purpose: Purpose
    method: str
    url: str
    status: int
    body: str | None = None
    """The form sent, secrets redacted."""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "purpose": self.purpose, "method": self.method, "url": self.url,
                "status": self.status, "body": self.body, "error": self.error}


class OutgoingLog:
    """The newest ``maxlen`` outgoing calls, oldest first."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._items: deque[OutgoingCall] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, call: OutgoingCall) -> None:
        with self._lock:
            self._items.append(call)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def all(self) -> list[OutgoingCall]:
        with self._lock:
            return list(self._items)

    def calls(self, purpose: Purpose | None = None) -> list[OutgoingCall]:
        """The calls made for ``purpose`` (all calls when ``None``), oldest first."""
        return [c for c in self.all() if purpose is None or c.purpose == purpose]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
