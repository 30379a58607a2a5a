"""Stopping a command under test with a signal once it got where the test wants it."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable


def signal_when(
    proc: subprocess.Popen[str],
    ready: Callable[[], bool],
    *,
    signum: int = signal.SIGTERM,
    what: str = "the command",
    timeout: float = 120,
) -> str:
    """``signum`` to ``proc`` once ``ready()`` (polled every 0.1 s, two minutes at most; a
    ``proc`` that ends first fails the test); what it printed. ``proc`` is killed if it
    outlives ``timeout`` after the signal, or the test fails on the way."""
    try:
        for _ in range(1200):
            if ready() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert ready(), f"{what} never got there: " + (
            proc.communicate(timeout=60)[0] if proc.poll() is not None else ""
        )
        proc.send_signal(signum)
        said, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return said
