"""The trace: what happened on the phone, as frozen events, secrets redacted (S-5).

Reporters (Allure steps, sequence diagrams, the console) consume the event stream; nothing
reads the apps' internals. :meth:`Trace.record` stamps each event with the trace clock's time
(``at``) and a sequence number (``seq``) and passes every URL, header set, form and JSON body
through :mod:`harness.protocol.redaction`, so no passcode, token, code, verifier or secret
is ever stored in an event, whatever the caller hands in. :meth:`Trace.subscribe` lets a
reporter see each event as it is recorded (already redacted), so its output interleaves with
the test's own steps.

HTTP exchanges recorded by :func:`http_event_hooks` are kept as they came and redacted the
first time anything reads the trace (``events``, ``scrub``, a listener: with a listener
subscribed they are redacted as they are recorded). Most traces are never read, and redacting
every exchange of every test cost a simulated login about a tenth of its time. Nothing leaves
the trace unredacted; until it is read, the raw exchange stays in this process's memory, as
the mock providers' request logs do.

The one exception to "no secret kept": the trace remembers, in memory only, the secret
*values* it redacted (and those :meth:`Trace.remember_secrets` is told), so that
:meth:`Trace.scrub` can take them out of free text it never recorded, such as a failure
message that printed a token response. Nothing exposes them: not ``events``, not
``to_json``, not ``repr``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar, cast
from urllib.parse import unquote_plus

import httpx

from harness.protocol import Clock, SystemClock
from harness.protocol.basic_auth import BasicCredentialsError, basic_pair, decode_pair, is_basic
from harness.protocol.redaction import (
    REDACTED,
    SECRET_HEADERS,
    is_secret_key,
    load_json,
    redact_body,
    redact_headers,
    redact_json,
    redact_json_text,
    redact_text_body,
    redact_url,
)

__all__ = [
    "AppSwitched",
    "Event",
    "HarnessAction",
    "HttpExchange",
    "LinkOpened",
    "ScreenShown",
    "StoreOpened",
    "Trace",
    "TraceListener",
    "ensure_traced",
    "http_event_hooks",
    "is_traced",
    "scrub_known",
]

E = TypeVar("E", bound="Event")
_MAX_BODY = 64 * 1024
_MIN_SECRET = 4
"""Shorter values are not worth scrubbing out of free text (and would shred it)."""
_MIN_FRAGMENT = 16
"""A run of token characters this long inside a known secret counts as part of it."""
_MIN_ELIDED = 8
"""Beside an ellipsis (a shortened ``repr``), a run this long inside a secret counts."""
_ELLIPSIS = re.compile(r"\.{3,}")


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
        return _changed(self, url=redact_url(self.url))


@dataclass(frozen=True, kw_only=True)
class StoreOpened(Event):
    """The store listing of ``app_id`` for ``platform`` was opened (A-3, V-6, §10)."""

    app_id: str
    platform: str
    url: str | None

    def redacted(self) -> Self:
        return _changed(self, url=redact_url(self.url) if self.url else self.url)


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
    response_headers: Mapping[str, str] = field(default_factory=dict)

    def redacted(self) -> Self:
        return dataclasses.replace(  # always a copy: the stored event owns its dicts
            self,
            url=redact_url(self.url),
            request_headers=redact_headers(dict(self.request_headers)),
            request_body=_redact_body(self.request_body),
            response_body=_redact_body(self.response_body),
            response_headers=redact_headers(dict(self.response_headers)),
        )


@dataclass(frozen=True, kw_only=True)
class ScreenShown(Event):
    """An app showed a screen (§9 ids); ``texts`` are its visible texts."""

    app: str
    screen_id: str
    texts: tuple[str, ...] = ()

    def redacted(self) -> Self:
        return _changed(self, texts=tuple(redact_json(list(self.texts))))


@dataclass(frozen=True, kw_only=True)
class AppSwitched(Event):
    """The foreground changed (``reason``: ``link``, ``store``, ``user``)."""

    from_app: str | None
    to_app: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class HarnessAction(Event):
    """The harness changed a provider through its test-control API during a test (§11): its
    clock moved, a fault armed. ``target``: the server's party (``vneid-server``,
    ``vssid-backend``); ``action``: what, in words, never a secret. Without it a test's
    evidence went from the callback straight to a refused ``/token``, the 59-second clock
    move that explained it nowhere."""

    target: str
    action: str


def _changed(event: E, **fields: Any) -> E:
    """``event`` with ``fields`` in place of its own, or ``event`` itself when they are equal
    (redaction found nothing: no copy to make, no secrets to look for)."""
    if all(getattr(event, name) == value for name, value in fields.items()):
        return event
    return dataclasses.replace(event, **fields)


def scrub_known(text: str, secrets: Iterable[str]) -> str:
    """``text`` without the ``secrets`` (longest first) or long fragments of them: a secret
    of 16 characters or more also goes when pytest shortened it to its two ends around
    ``...``, or a failure shows only a run of it."""
    known = sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    long_ones = [s for s in known if len(s) >= _MIN_FRAGMENT]
    if not long_ones:
        return text

    def fragment(match: re.Match[str]) -> str:
        run, head = match.group(0), ""
        if match.start() and text[match.start() - 1] == "%":  # "%3D<secret>": the escape's
            head, run = run[:2], run[2:]  # hex digits are not the secret's
        # pytest shortens a long string to its ends around "..." ('U-zFYtEdIgn9...VuRRQ'):
        # each end is a fragment of its own, and a shorter one counts next to the dots
        # each part once: a run of one fragment repeated around dots (``abcdefgh...``, 64 KiB
        # of it in a vendor's message) was looked up, and the run rescanned, once a repeat
        pieces = _ELLIPSIS.split(run)
        minimum = _MIN_ELIDED if len(pieces) > 1 else _MIN_FRAGMENT
        for part in dict.fromkeys(p.strip(".") for p in pieces):
            if len(part) >= minimum and any(part in s for s in long_ones):
                run = run.replace(part, REDACTED)
        return head + run

    return _TOKEN_RUN.sub(fragment, text)


_TOKEN_RUN = re.compile(rf"[A-Za-z0-9_~+/.-]{{{_MIN_FRAGMENT},}}")
_PAIR_SPLIT = re.compile(r"[?#&\s;,'\"<>]")


def _redacted_values(raw: Event, clean: Event) -> set[str]:
    """The secret values of ``raw`` that redaction replaced in ``clean``."""
    if raw is clean:
        return set()
    found: set[str] = set()
    for f in dataclasses.fields(raw):
        before, after = getattr(raw, f.name), getattr(clean, f.name)
        if before is not after and before != after:
            found.update(v for v in _secret_values(before) if len(v) >= _MIN_SECRET)
    return found


def _secret_values(value: Any) -> Iterator[str]:
    """The secret values inside an unredacted value, found by the names redaction knows
    (:data:`~harness.protocol.redaction.SECRET_KEYS`, ``SECRET_HEADERS``): in mappings, in
    lists, and in ``name=value`` pairs of URLs, forms and text."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key).lower()
            if name in SECRET_HEADERS and isinstance(item, str):
                yield from _credentials(item)
            elif is_secret_key(name) and item is not None:
                if isinstance(item, Mapping | list | tuple):
                    yield from _leaves(item)
                else:
                    yield str(item)
            else:
                yield from _secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)
    elif isinstance(value, str) and "=" in value:
        for chunk in _PAIR_SPLIT.split(value):
            name, sep, raw = chunk.partition("=")
            if sep and raw and is_secret_key(unquote_plus(name)):
                yield raw
                yield unquote_plus(raw)


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(value)


def _credentials(header: str) -> Iterator[str]:
    """``Bearer T`` → ``T``; ``Basic B64`` → ``B64``, ``id:secret``, the secret as sent and
    as it reads (form-urldecoded, RFC 6749 §2.3.1)."""
    rest = header.partition(" ")[2]
    if not rest:
        yield header
        return
    yield rest
    if is_basic(header):
        try:
            pair = basic_pair(header)
        except BasicCredentialsError:
            return
        yield pair
        yield pair.partition(":")[2]
        try:
            yield decode_pair(pair)[1]
        except BasicCredentialsError:
            return


def _body_secrets(raw: bytes, content_type: str) -> Iterator[str]:
    """Secret values in a raw HTTP body (JSON, or a form: JSON sent as a form too), for
    :meth:`Trace.scrub`."""
    ctype = content_type.split(";")[0].strip().lower()
    if not raw or not (ctype.endswith("json") or ctype == "application/x-www-form-urlencoded"):
        return
    text = raw[:_MAX_BODY].decode("utf-8", "replace")
    if ctype.endswith("json") or text.lstrip(" \t\r\n")[:1] in ("{", "["):
        try:
            yield from _secret_values(json.loads(text))
            return
        except (ValueError, RecursionError):
            if ctype.endswith("json"):
                return
    yield from _secret_values(text)


def _redact_body(body: Any) -> Any:
    """A body as the trace stores it, redacted, and always serialisable as strict UTF-8 JSON
    (as the providers' request logs record one): text as a body of unknown kind (a JSON text,
    a URL, a form, free text: :func:`~harness.protocol.redaction.redact_text_body`), any
    other value as JSON."""
    if isinstance(body, str):
        return redact_text_body(body)
    return _strict(redact_json(body))


def _strict(value: Any) -> Any:
    """``value`` when it serialises as strict UTF-8 JSON; otherwise what the request log
    records of such a body: lone surrogates as escape text, and a value holding ``NaN`` or
    an infinity as its JSON text (see :func:`~harness.protocol.redaction.redact_json_text`)."""
    if _is_strict(value):
        return value
    try:
        text = json.dumps(value, default=str)  # "\ud800" and NaN as JSON reads them back
    except TypeError:  # a key JSON cannot have: not JSON at all, kept as it is
        return value
    return redact_json_text(text)


def _is_strict(value: Any) -> bool:
    """Whether ``value`` holds no lone surrogate and no float strict JSON has no text for (a
    walk: for the small bodies handed to :meth:`Trace.record`, cheaper than encoding)."""
    if isinstance(value, str):
        if value.isascii():
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if not (_is_strict(key) and _is_strict(item)):
                return False
    elif isinstance(value, list | tuple):
        for item in value:
            if not _is_strict(item):
                return False
    return True


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


TraceListener = Callable[[Event], None]
"""Called with each event as it is recorded (stamped and redacted)."""


class Trace:
    """An append-only, redacted event log stamped by ``clock``; ``phone``: it records one
    simulated phone (a test with two such traces draws each phone's apps on lifelines of
    their own)."""

    def __init__(self, clock: Clock | None = None, *, phone: bool = False) -> None:
        self.clock: Clock = clock or SystemClock()
        self.phone = phone
        self._events: list[Event | _RawExchange] = []
        self._unread = 0
        """How many of ``_events`` are raw exchanges not redacted yet."""
        self._lock = threading.Lock()
        self._listeners: list[TraceListener] = []
        self._secrets: set[str] = set()

    def __repr__(self) -> str:
        return f"Trace({len(self._events)} events)"

    def record(self, event: E) -> E:
        """Redact, stamp and append ``event``, then tell the listeners; returns the stored
        event."""
        clean = event.redacted()
        return self._store(clean, _redacted_values(event, clean))

    def _store(self, clean: E, found: Iterable[str]) -> E:
        """Stamp and append an event that is already redacted; ``found``: the secret values
        its redaction took out (for :meth:`scrub`)."""
        with self._lock:
            stored = dataclasses.replace(clean, at=self.clock.now(), seq=len(self._events))
            self._events.append(stored)
            self._secrets.update(found)
            listeners = tuple(self._listeners)
        for listener in listeners:
            listener(stored)
        return stored

    def _defer(self, raw: _RawExchange) -> None:
        """Append an exchange to redact when the trace is first read (now, with listeners)."""
        with self._lock:
            raw.at, raw.seq = self.clock.now(), len(self._events)
            if not self._listeners:
                self._events.append(raw)
                self._unread += 1
                return
            stored, found = raw.redacted()  # only this one: no scan of the whole trace
            self._events.append(stored)
            self._secrets.update(found)
            listeners = tuple(self._listeners)
        for listener in listeners:
            listener(stored)

    def _redact_unread(self) -> None:
        """Turn every raw exchange into its redacted event (call with the lock held)."""
        if not self._unread:
            return
        for i, item in enumerate(self._events):
            if isinstance(item, _RawExchange):
                clean, found = item.redacted()
                self._events[i] = clean
                self._secrets.update(found)
        self._unread = 0

    def _read(self) -> list[Event]:
        """The events, every one redacted (call with the lock held)."""
        self._redact_unread()
        return cast(list[Event], self._events)  # no raw exchange is left

    def subscribe(self, listener: TraceListener) -> Callable[[], None]:
        """Call ``listener`` with every event recorded from now on (redacted, in the
        recording thread); returns a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def remember_secrets(self, *values: str | None) -> None:
        """Values that :meth:`scrub` must take out of free text (a client secret the trace
        never saw on the wire, say). Kept in memory only; never recorded."""
        found = {v for v in values if v and len(v) >= _MIN_SECRET}
        with self._lock:
            self._secrets.update(found)

    def scrub(self, text: str) -> str:
        """``text`` with every secret value this trace redacted or was told about replaced
        by ``[REDACTED]``, and any long run of token characters that is part of one (a
        truncated ``repr`` of a token) too: the last line of defence (S-5) for text that
        reaches a report without passing through the trace, such as a failure message."""
        with self._lock:
            self._redact_unread()
            known = sorted(self._secrets, key=len, reverse=True)
        return scrub_known(text, known)

    @property
    def events(self) -> tuple[Event, ...]:
        with self._lock:
            return tuple(self._read())

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
        return [
            e for e in self.of_type(HttpExchange) if path_contains is None or path_contains in e.url
        ]

    def screens(self) -> list[ScreenShown]:
        return self.of_type(ScreenShown)

    def to_json(self) -> list[dict[str, Any]]:
        """Every event as a JSON-ready dict with its ``type``, oldest first."""
        return [e.to_json() for e in self.events]


# -- httpx hooks -------------------------------------------------------------------------
def _decode(raw: bytes, content_type: str) -> Any:
    return redact_body(raw, content_type, limit=_MAX_BODY)


def _header_dict(headers: httpx.Headers) -> dict[str, str]:
    """``dict(headers)`` in one pass (a repeated header's values joined by ``", "``, as
    ``headers[name]`` does): ``dict()`` looks each name up again, scanning every header."""
    out: dict[str, str] = {}
    for name, value in headers.multi_items():
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _redact_body_again(body: Any) -> Any:
    """``_redact_body`` of a body :func:`_decode` already redacted: a JSON object or array
    comes back unchanged, so only other values go through it again."""
    return body if isinstance(body, dict | list) else _redact_body(body)


def _decode_once(raw: bytes, content_type: str) -> tuple[Any, list[str]]:
    """``(_decode(raw, content_type), list(_body_secrets(raw, content_type)))`` with a JSON
    body parsed once instead of twice (the hook runs on every call an app makes)."""
    ctype = content_type.split(";")[0].strip().lower()
    if not raw or not ctype.endswith("json"):
        return _decode(raw, content_type), list(_body_secrets(raw, content_type))
    text = raw[:_MAX_BODY].decode("utf-8", "replace")
    try:
        loaded = load_json(text)  # NaN, 1e999 or "\ud800" stored as redact_body stores them
        return redact_json_text(text, loaded), list(_secret_values(loaded[0]))
    except (ValueError, RecursionError):  # what the two steps make of it, one by one
        return _decode(raw, content_type), list(_body_secrets(raw, content_type))


@dataclass(slots=True, kw_only=True)
class _RawExchange:
    """An HTTP exchange as an app's client saw it, unredacted, until the trace is read."""

    actor: str
    target: str
    method: str
    url: str
    request_headers: list[tuple[bytes, bytes]]
    request_raw: bytes
    status: int
    response_headers: list[tuple[bytes, bytes]]
    response_raw: bytes
    duration_ms: float
    at: float = 0.0
    seq: int = 0

    def redacted(self) -> tuple[HttpExchange, set[str]]:
        """The stored event (what ``trace.record(HttpExchange(...))`` stores, stamped when the
        exchange was recorded) and the secret values its redaction took out."""
        request_headers = _header_dict(httpx.Headers(self.request_headers))
        response_headers = _header_dict(httpx.Headers(self.response_headers))
        request_body, request_secrets = _decode_once(
            self.request_raw, request_headers.get("content-type", "")
        )
        response_body, response_secrets = _decode_once(
            self.response_raw, response_headers.get("content-type", "")
        )
        found = {v for v in (*request_secrets, *response_secrets) if len(v) >= _MIN_SECRET}
        # Without redacting the decoded bodies a second time (redact_json leaves a redacted
        # JSON object or array as it is).
        raw_fields = (self.url, request_headers, request_body, response_body, response_headers)
        clean_fields = (
            redact_url(self.url),
            redact_headers(request_headers),
            _redact_body_again(request_body),
            _redact_body_again(response_body),
            redact_headers(response_headers),
        )
        for before, after in zip(raw_fields, clean_fields, strict=True):
            if before is not after and before != after:
                found.update(v for v in _secret_values(before) if len(v) >= _MIN_SECRET)
        url, clean_request_headers, clean_request, clean_response, clean_response_headers = (
            clean_fields
        )
        return HttpExchange(
            actor=self.actor,
            target=self.target,
            method=self.method,
            url=url,
            request_headers=clean_request_headers,
            request_body=clean_request,
            status=self.status,
            response_body=clean_response,
            duration_ms=self.duration_ms,
            response_headers=clean_response_headers,
            at=self.at,
            seq=self.seq,
        ), found


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
        trace._defer(
            _RawExchange(
                actor=actor,
                target=target,
                method=request.method,
                url=str(request.url),
                request_headers=request.headers.raw,
                request_raw=raw,
                status=response.status_code,
                response_headers=response.headers.raw,
                response_raw=response.content,
                duration_ms=round(duration, 3),
            )
        )

    on_request.vneid_harness_trace = trace  # type: ignore[attr-defined]
    on_response.vneid_harness_trace = trace  # type: ignore[attr-defined]
    return {"request": [on_request], "response": [on_response]}


def is_traced(client: httpx.Client, trace: Trace) -> bool:
    """Whether ``client`` already records into ``trace`` (see :func:`ensure_traced`)."""
    return any(
        getattr(hook, "vneid_harness_trace", None) is trace
        for hook in client.event_hooks.get("response", [])
    )


def ensure_traced(client: httpx.Client, trace: Trace, actor: str, target: str) -> None:
    """Add :func:`http_event_hooks` to ``client`` unless it already records into ``trace``."""
    if is_traced(client, trace):
        return
    hooks = {k: list(v) for k, v in client.event_hooks.items()}
    for name, extra in http_event_hooks(trace, actor, target).items():
        hooks.setdefault(name, []).extend(extra)
    client.event_hooks = hooks
