"""The relying party's own calls to the issuer, recorded (S-5: secrets redacted).

The conformance plans prove "no token request was made" (R-3, the OIDF RP tests' "expect
nothing") from this record: ``provider.outgoing.calls("token") == []``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from harness.protocol.redaction import redact_form, redact_url

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
        return {
            "at": self.at,
            "purpose": self.purpose,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "body": self.body,
            "error": self.error,
        }


@dataclass(slots=True)
class _Unredacted:
    """A call as it was made, redacted into an :class:`OutgoingCall` the first time the log
    is read (most calls never are); nothing leaves the log unredacted."""

    at: float
    purpose: Purpose
    method: str
    url: str
    status: int
    form: Mapping[str, str] | None
    error: str | None

    def read(self) -> OutgoingCall:
        body = redact_form(urlencode(dict(self.form))) if self.form is not None else None
        return OutgoingCall(
            self.at, self.purpose, self.method, redact_url(self.url), self.status, body, self.error
        )


class OutgoingLog:
    """The newest ``maxlen`` outgoing calls, oldest first."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._items: deque[OutgoingCall | _Unredacted] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def append(self, call: OutgoingCall) -> None:
        with self._lock:
            self._items.append(call)

    def record(
        self,
        at: float,
        purpose: Purpose,
        method: str,
        url: str,
        status: int,
        *,
        form: Mapping[str, str] | None,
        error: str | None,
    ) -> None:
        """Log a call with its unredacted ``url`` and ``form`` (the form is not copied: pass
        one that is not changed afterwards); they are redacted when the log is read. The
        ``error`` is kept as given: the caller redacts it (it answers the app with it too)."""
        with self._lock:
            self._items.append(_Unredacted(at, purpose, method, url, status, form, error))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def all(self) -> list[OutgoingCall]:
        out: list[OutgoingCall] = []
        with self._lock:
            for i, item in enumerate(self._items):
                if isinstance(item, _Unredacted):
                    item = self._items[i] = item.read()
                out.append(item)
        return out

    def calls(self, purpose: Purpose | None = None) -> list[OutgoingCall]:
        """The calls made for ``purpose`` (all calls when ``None``), oldest first."""
        return [c for c in self.all() if purpose is None or c.purpose == purpose]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
