"""Child processes the harness starts (servers, load workers): a free loopback port, and a
stop that cannot hang. A process is stopped by the id we hold: SIGTERM, then SIGKILL if it
lingers past ``timeout``."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = [
    "TERMINATED",
    "free_port",
    "interrupt_reason",
    "interrupting_on_sigterm",
    "interrupts_deferred",
    "sigterm_interrupts",
    "stop_process",
]

TERMINATED = "terminated (SIGTERM)"
"""The message of the :class:`KeyboardInterrupt` a SIGTERM raises (:func:`sigterm_interrupts`)."""


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_process(process: subprocess.Popen[Any], timeout: float = 10) -> int:
    """SIGTERM ``process`` (if still running), wait ``timeout`` seconds, then SIGKILL and wait
    again; its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
    return process.returncode


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills at once
    raise KeyboardInterrupt(TERMINATED)


def interrupt_reason(interrupt: BaseException) -> str:
    """What stopped a command, for its message: :data:`TERMINATED` for a SIGTERM, else
    ``Ctrl-C`` (a plain :class:`KeyboardInterrupt` has no text; an exception is always true,
    so ``exc or 'Ctrl-C'`` printed an empty reason)."""
    return str(interrupt) or "Ctrl-C"


def interrupting_on_sigterm(handler: object) -> bool:
    """Whether ``handler`` (``signal.getsignal``'s) is :func:`sigterm_interrupts`'s: the pytest
    plugin takes SIGTERM over from it while the tests run, and gives it back after."""
    return handler is _interrupt


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While in the block, a SIGTERM (a CI job cancelled or timed out, ``timeout``, ``docker
    stop``) raises :class:`KeyboardInterrupt` in the main thread, as Ctrl-C does: ``finally``
    blocks and context managers run, so a child process is stopped and a scratch folder
    removed (by default Python dies at once, leaving them). A second SIGTERM kills at once.
    A handler someone else installed, or a block outside the main thread, is left alone."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """While in the block, SIGINT and SIGTERM wait: the block runs to its end, then the first
    signal that came is delivered to the handler that was there before (a Ctrl-C raises
    :class:`KeyboardInterrupt` after the block, not in the middle of a change that must be
    whole, such as a run replacing the previous run's results). Outside the main thread, or
    with a handler Python did not install, the block runs as it is."""
    watched = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {signum: signal.getsignal(signum) for signum in watched}
    if any(handler is None for handler in before.values()):
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    for signum in watched:
        signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if held:
            signal.raise_signal(held[0])
