"""In-process HTTP to ASGI apps: the providers run embedded, without sockets.

The harness's apps speak synchronous ``httpx.Client``; the mock providers are ASGI apps.
:class:`SyncASGITransport` runs each request through ``httpx.ASGITransport`` on an event loop
of the main thread's own (:func:`run_embedded`), so a request costs no hand-off between
threads: handing each one to a background loop thread and waiting for the answer cost about
0.2 ms per request on a quiet machine, a quarter of a simulated login, mostly the operating
system waking the sleeping threads (``benchmarks/README.md``). Other threads, and a thread
already running a loop (an async web handler calling the apps), hand their requests to the
one background loop (:class:`EventLoopThread`) as before. Either way one embedded request runs at a
time (a process-wide lock): the providers' state is not meant for threads running at once.
Calls between providers (VssID's backend redeeming a code at VNeID) stay inside the request's
loop.
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
from harness.protocol.hosts import IN_PROCESS_CLIENT

__all__ = ["EventLoopThread", "SyncASGITransport", "run_embedded", "shared_loop"]

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


_one_at_a_time = threading.RLock()
"""Held while an embedded request runs, whichever thread runs it. Reentrant: an ASGI app that
makes an embedded request itself (a test's wrapper app) hands it to the background loop."""
_main_loop: asyncio.AbstractEventLoop | None = None


def _own_loop() -> asyncio.AbstractEventLoop:
    """The main thread's loop for embedded requests (closed at exit)."""
    global _main_loop
    if _main_loop is None or _main_loop.is_closed():
        _main_loop = asyncio.new_event_loop()
        atexit.register(_main_loop.close)
    return _main_loop


async def _within(coro: Coroutine[Any, Any, T], timeout: float) -> T:
    try:
        async with asyncio.timeout(timeout):
            return await coro
    except TimeoutError:
        raise HarnessError(
            f"an embedded provider did not answer within {timeout} s; "
            "look for a request that waits on itself"
        ) from None


def run_embedded(coro: Coroutine[Any, Any, T], timeout: float = DEFAULT_TIMEOUT) -> T:
    """Run an embedded provider's ``coro`` and return its result (at most ``timeout`` s):
    on the main thread, on its own event loop (where the tests and the simulated phone run);
    on any other thread, or where a loop is already running, on the background loop. One at a
    time in the process."""
    if threading.current_thread() is threading.main_thread():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            with _one_at_a_time:
                return _own_loop().run_until_complete(_within(coro, timeout))
    with _one_at_a_time:
        return shared_loop().run(coro, timeout)


class SyncASGITransport(httpx.BaseTransport):
    """A synchronous httpx transport that serves requests from an ASGI app in-process."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        loop: EventLoopThread | None = None,
        client: tuple[str, int] = (IN_PROCESS_CLIENT, 50000),
    ) -> None:
        self._loop = loop
        """A given background loop to run every request on (default: :func:`run_embedded`)."""
        self._inner = httpx.ASGITransport(app=app, client=client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()

        async def call() -> tuple[int, httpx.Headers, bytes]:
            # ``request`` itself: once read, its stream is an ``httpx.ByteStream``, which
            # the async transport can iterate too (a copy of the request cost ~10 µs)
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            await response.aclose()
            return response.status_code, response.headers, content

        status, headers, content = (
            self._loop.run(call()) if self._loop is not None else run_embedded(call())
        )
        return httpx.Response(status, headers=headers, content=content, request=request)
