"""In-process HTTP to ASGI apps: the providers run embedded, without sockets.

The harness's apps speak synchronous ``httpx.Client``; the mock providers are ASGI apps. One
background event loop (:class:`EventLoopThread`) hosts every embedded provider, and
:class:`SyncASGITransport` hands each request to it through ``httpx.ASGITransport``. Calls
between providers (VssID's backend redeeming a code at VNeID) stay inside that loop.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Coroutine
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

from harness.errors import HarnessError

__all__ = ["EventLoopThread", "SyncASGITransport", "shared_loop"]

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0


class EventLoopThread:
    """A daemon thread running one asyncio loop; :meth:`run` submits coroutines to it."""

    def __init__(self, name: str = "vneid-harness-embedded") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = DEFAULT_TIMEOUT) -> T:
        """Run ``coro`` on the loop and wait for its result (at most ``timeout`` seconds)."""
        if threading.current_thread() is self._thread:
            coro.close()
            raise HarnessError("EventLoopThread.run was called from its own loop; await instead")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise HarnessError(
                f"an embedded provider did not answer within {timeout} s; "
                "look for a request that waits on itself"
            ) from None

    def close(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
        if not self._thread.is_alive() and not self.loop.is_closed():
            self.loop.close()


_shared: EventLoopThread | None = None
_shared_lock = threading.Lock()


def shared_loop() -> EventLoopThread:
    """The process-wide loop for embedded providers (started on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EventLoopThread()
            atexit.register(_shared.close)
        return _shared


class SyncASGITransport(httpx.BaseTransport):
    """A synchronous httpx transport that serves requests from an ASGI app in-process."""

    def __init__(self, app: ASGIApp, *, loop: EventLoopThread | None = None,
                 client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._loop = loop or shared_loop()
        self._inner = httpx.ASGITransport(app=app, client=client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            areq = httpx.Request(request.method, request.url, headers=request.headers,
                                 content=body, extensions=request.extensions)
            response = await self._inner.handle_async_request(areq)
            content = await response.aread()
            await response.aclose()
            return response.status_code, response.headers.raw, content

        status, headers, content = self._loop.run(call())
        return httpx.Response(status, headers=headers, content=content, request=request)
