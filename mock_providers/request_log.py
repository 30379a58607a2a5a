"""The request log of a mock provider (§11 ``GET /_harness/requests``): each exchange kept
raw as the middleware saw it and redacted (S-5) the first time the log is read, the newest
thousand only."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from harness.protocol.redaction import redact_body, redact_form, redact_headers, redact_path

__all__ = ["RECORDED_BODY_BYTES", "RecordedExchange", "RequestLog"]

RECORDED_BODY_BYTES = 16 * 1024
"""The request log keeps at most this much of each body (the rest is summarised)."""


@dataclass(frozen=True, slots=True)
class RecordedExchange:
    """One request a provider received and what it answered, secrets redacted (S-5)."""

    at: float
    method: str
    path: str
    url: str
    headers: Mapping[str, str]
    body: Any
    status: int
    response: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "url": self.url,
            "headers": dict(self.headers),
            "body": self.body,
            "status": self.status,
            "response": self.response,
        }


@dataclass(slots=True)
class _Unread:
    """An exchange as the middleware saw it, redacted into a :class:`RecordedExchange` the
    first time the log is read (most exchanges never are): recording costs the request
    almost nothing, and what leaves the log is redacted all the same.

    The headers are kept as one ``bytes`` (:func:`_pack_headers`), not the request's list of
    tuples: a log holds up to a thousand exchanges, and freeing thirty small objects per
    exchange when it falls out of the log, long after they left the cache, cost each
    request about 20 µs (measured in ``benchmarks/bench_flow.py``); one object costs ~1 µs."""

    at: float
    method: str
    path: str
    query: bytes
    headers: bytes | list[tuple[bytes, bytes]]
    body: bytes
    status: int
    response_type: str
    response: bytes
    done: RecordedExchange | None = None

    def read(self) -> RecordedExchange:
        if self.done is None:
            headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in _unpack_headers(self.headers)
            }
            query = self.query.decode("latin-1")
            path = redact_path(self.path)
            self.done = RecordedExchange(
                at=self.at,
                method=self.method,
                path=path,
                # the query redacted on its own: a path whose decoded ``?`` came as ``%3F``
                # made ``/authorize??code=…`` of the whole, whose pair ``?code`` is no secret
                url=path + (f"?{redact_form(query)}" if query else ""),
                headers=redact_headers(headers),
                body=_decode_body(self.body, headers.get("content-type", "")),
                status=self.status,
                response=_decode_body(self.response, self.response_type),
            )
        return self.done


_HEADER_SEP = b"\r\n"


def _pack_headers(raw: list[tuple[bytes, bytes]]) -> bytes | list[tuple[bytes, bytes]]:
    """``name:value`` lines in one ``bytes``; a copy of the list when a header holds CR LF
    itself (no HTTP/1.1 parser lets one through, an in-process caller might)."""
    packed = _HEADER_SEP.join(map(b":".join, raw))
    if packed.count(_HEADER_SEP) != max(len(raw) - 1, 0):
        return list(raw)
    return packed


def _unpack_headers(packed: bytes | list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    if isinstance(packed, list):
        return packed
    if not packed:
        return []
    pairs: list[tuple[bytes, bytes]] = []
    for line in packed.split(_HEADER_SEP):
        name, _, value = line.partition(b":")  # a header name never holds ':'
        pairs.append((name, value))
    return pairs


_UNREAD_INLINE = 16 * 1024
"""Up to this many bytes of bodies not read yet, a read of the log redacts them on the loop
itself (a thread hop costs more than that; a test's own log holds a few KB); beyond, on a
worker thread (50 bodies of 16 KB took half a second)."""


@dataclass
class RequestLog:
    """The newest ``maxlen`` exchanges, oldest first (§11 ``GET /_harness/requests``)."""

    maxlen: int = 1000
    _items: deque[RecordedExchange | _Unread] = field(init=False)

    def __post_init__(self) -> None:
        self._items = deque(maxlen=self.maxlen)

    def append(self, item: RecordedExchange | _Unread) -> None:
        self._items.append(item)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def all(self) -> list[RecordedExchange]:
        return [_read(e) for e in list(self._items)]

    async def all_json(self) -> list[dict[str, Any]]:
        """What ``GET /_harness/requests`` answers: every exchange redacted, as JSON. A log
        with many exchanges not read yet is redacted on a worker thread, so the providers'
        event loop keeps answering meanwhile (a thousand large bodies take seconds)."""
        items = list(self._items)  # a copy taken on the loop, where the log changes

        def read() -> list[dict[str, Any]]:
            return [_read(e).to_json() for e in items]

        unread = sum(
            len(e.body) + len(e.response)
            for e in items
            if isinstance(e, _Unread) and e.done is None
        )
        return read() if unread <= _UNREAD_INLINE else await run_in_threadpool(read)

    def calls_to(self, path: str, method: str | None = None) -> list[RecordedExchange]:
        """The recorded exchanges on ``path`` (and ``method``), oldest first."""
        return [
            _read(e)
            for e in list(self._items)
            if e.path == path and (method is None or e.method == method)
        ]


def _read(item: RecordedExchange | _Unread) -> RecordedExchange:
    return item.read() if isinstance(item, _Unread) else item


def _decode_body(raw: bytes, content_type: str) -> Any:
    if len(raw) > RECORDED_BODY_BYTES:
        ctype = content_type.split(";")[0].strip() or "body"
        return f"[{ctype}, {len(raw)} bytes, over the {RECORDED_BODY_BYTES} recorded]"
    return redact_body(raw, content_type, limit=RECORDED_BODY_BYTES)
