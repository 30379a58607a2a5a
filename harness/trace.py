"""The trace: what happened on the phone, as frozen events, secrets redacted (S-5).

Reporters (Allure steps, sequence diagrams, the console) consume the event stream; nothing
reads the apps' internals. :meth:`Trace.record` stamps each event with the trace clock's time
(``at``) and a sequence number (``seq``) and passes every URL, header set, form and JSON body
through :mod:`harness.protocol.redaction`, so no passcode, token, code, verifier or secret
is ever stored, whatever the caller hands in.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import httpx

from harness.protocol import Clock, SystemClock
from harness.protocol.redaction import (
    redact_body,
    redact_form,
    redact_headers,
    redact_json,
    redact_url,
)

__all__ = [
    "AppSwitched",
    "Event",
    "HttpExchange",
    "LinkOpened",
    "ScreenShown",
    "StoreOpened",
    "Trace",
    "ensure_traced",
    "http_event_hooks",
    "is_traced",
]

E = TypeVar("E", bound="Event")
_MAX_BODY = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every trace event: ``at`` (clock seconds) and ``seq`` are set by the trace."""

    at: float = 0.0
    seq: int = -1

    def redacted(self) -> Self:
        """A copy with every secret-bearing field redacted."""
        return self

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out


@dataclass(frozen=True, kw_only=True)
class LinkOpened(Event):
    """The OS was asked to open ``url``; ``target`` is the app id, ``"store"``, ``"browser"``
    or ``None`` when nothing could open it. ``form``: ``custom``, ``https`` or ``http``."""

    source: str
    url: str
    target: str | None
    form: str

    def redacted(self) -> Self:
        return dataclasses.replace(self, url=redact_url(self.url))


@dataclass(frozen=True, kw_only=True)
class StoreOpened(Event):
    """The store listing of ``app_id`` for ``platform`` was opened (A-3, V-6, §10)."""

    app_id: str
    platform: str
    url: str | None

    def redacted(self) -> Self:
        return dataclasses.replace(self, url=redact_url(self.url) if self.url else self.url)


@dataclass(frozen=True, kw_only=True)
class HttpExchange(Event):
    """One HTTP call an app made (``actor``) to a server (``target``)."""

    actor: str
    target: str
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: Any
    status: int
    response_body: Any
    duration_ms: float

    def redacted(self) -> Self:
        return dataclasses.replace(
            self,
            url=redact_url(self.url),
            request_headers=redact_headers(dict(self.request_headers)),
            request_body=_redact_body(self.request_body),
            response_body=_redact_body(self.response_body),
        )


@dataclass(frozen=True, kw_only=True)
class ScreenShown(Event):
    """An app showed a screen (§9 ids); ``texts`` are its visible texts."""

    app: str
    screen_id: str
    texts: tuple[str, ...] = ()

    def redacted(self) -> Self:
        return dataclasses.replace(self, texts=tuple(redact_json(list(self.texts))))


@dataclass(frozen=True, kw_only=True)
class AppSwitched(Event):
    """The foreground changed (``reason``: ``link``, ``store``, ``user``)."""

    from_app: str | None
    to_app: str | None
    reason: str


def _redact_body(body: Any) -> Any:
    if isinstance(body, str):
        if "=" in body and "://" not in body and "{" not in body:
            return redact_form(body)
        return redact_url(body) if "://" in body else body
    return redact_json(body)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class Trace:
    """An append-only, redacted event log stamped by ``clock``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def record(self, event: E) -> E:
        """Redact, stamp and append ``event``; returns the stored event."""
        clean = event.redacted()
        with self._lock:
            stored = dataclasses.replace(clean, at=self.clock.now(), seq=len(self._events))
            self._events.append(stored)
        return stored

    @property
    def events(self) -> tuple[Event, ...]:
        with self._lock:
            return tuple(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self._events)

    def __bool__(self) -> bool:
        """A trace is a recorder, truthy even when empty (so ``trace or Trace()`` is safe)."""
        return True

    def of_type(self, cls: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, cls)]

    def http(self, path_contains: str | None = None) -> list[HttpExchange]:
        """The HTTP exchanges, optionally only those whose URL contains ``path_contains``."""
        return [e for e in self.of_type(HttpExchange)
                if path_contains is None or path_contains in e.url]

    def screens(self) -> list[ScreenShown]:
        return self.of_type(ScreenShown)

    def to_json(self) -> list[dict[str, Any]]:
        """Every event as a JSON-ready dict with its ``type``, oldest first."""
        return [e.to_json() for e in self.events]


# -- httpx hooks -------------------------------------------------------------------------
def _decode(raw: bytes, content_type: str) -> Any:
    return redact_body(raw, content_type, limit=_MAX_BODY)


def http_event_hooks(
    trace: Trace, actor: str, target: str
) -> dict[str, list[Callable[[Any], None]]]:
    """``event_hooks`` for an ``httpx.Client`` that record each call as an :class:`HttpExchange`.

    The response hook reads the body (so the trace has it); the request hook notes the start
    time on the trace's clock, so replayed runs have replayable durations.
    """
    started: weakref.WeakKeyDictionary[httpx.Request, float] = weakref.WeakKeyDictionary()

    def on_request(request: httpx.Request) -> None:
        started[request] = trace.clock.now()

    def on_response(response: httpx.Response) -> None:
        request = response.request
        response.read()
        try:
            raw = request.content
        except httpx.RequestNotRead:
            raw = b""
        start = started.pop(request, None)
        duration = (trace.clock.now() - start) * 1000 if start is not None else 0.0
        trace.record(HttpExchange(
            actor=actor, target=target, method=request.method, url=str(request.url),
            request_headers=dict(request.headers),
            request_body=_decode(raw, request.headers.get("content-type", "")),
            status=response.status_code,
            response_body=_decode(response.content, response.headers.get("content-type", "")),
            duration_ms=round(duration, 3),
        ))

    on_request.vneid_harness_trace = trace  # type: ignore[attr-defined]
    on_response.vneid_harness_trace = trace  # type: ignore[attr-defined]
    return {"request": [on_request], "response": [on_response]}


def is_traced(client: httpx.Client, trace: Trace) -> bool:
    """Whether ``client`` already records into ``trace`` (see :func:`ensure_traced`)."""
    return any(getattr(hook, "vneid_harness_trace", None) is trace
               for hook in client.event_hooks.get("response", []))


def ensure_traced(client: httpx.Client, trace: Trace, actor: str, target: str) -> None:
    """Add :func:`http_event_hooks` to ``client`` unless it already records into ``trace``."""
    if is_traced(client, trace):
        return
    hooks = {k: list(v) for k, v in client.event_hooks.items()}
    for name, extra in http_event_hooks(trace, actor, target).items():
        hooks.setdefault(name, []).extend(extra)
    client.event_hooks = hooks
