"""Appium sessions kept for the next phone of the same platform (web mode).

Opening an Appium session starts a Chromium through chromedriver: about 0.65 s here, a third
of an Appium login. A phone that closes gives its session back instead of quitting it, clean
(:func:`clean_session`); the next phone of that platform takes it. Phones alive at the same
time never share a session (each session is its own Chromium with its own profile), so a test
with two phones gets two. A session that does not answer when taken (Appium drops one idle
longer than its ``newCommandTimeout``) is quit and a new one opened. The runtime quits the
kept sessions when it closes (:meth:`AppiumSessionPool.close`).

Native mode (real devices) opens and quits a session per phone, as before: what would make a
real app's state clean is the device's business.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_IDLE_PER_PLATFORM", "AppiumSessionPool", "clean_session"]

MAX_IDLE_PER_PLATFORM = 4
"""Sessions kept per platform beyond this many are quit when given back."""

_CLEAR_STORAGE = "try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}"


def clean_session(remote: Any, origin: str) -> None:
    """Leave nothing of the last phone in the session: the cookies and storage of the phone
    screen server's ``origin`` (the only origin its pages come from; the providers' pages are
    proxied under it), the page (``about:blank``) and the performance log's entries."""
    if str(remote.current_url).startswith(origin):
        remote.delete_all_cookies()
        remote.execute_script(_CLEAR_STORAGE)
    remote.get("about:blank")
    remote.get_log("performance")  # read, so the next phone's first read starts empty


def _quit(remote: Any) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing left to stop
        remote.quit()


class AppiumSessionPool:
    """Idle Appium sessions by platform; ``open_session(platform)`` makes a new one."""

    def __init__(self, open_session: Callable[[str], Any]) -> None:
        self._open = open_session
        self._idle: dict[str, list[Any]] = {}
        self._lock = threading.Lock()
        self.opened = 0
        """Sessions opened so far; every other :meth:`take` reused a kept one."""

    def take(self, platform: str) -> Any:
        """A live session for ``platform``: a kept one if any answers, else a new one."""
        while True:
            with self._lock:
                idle = self._idle.get(platform)
                remote = idle.pop() if idle else None
            if remote is None:
                break
            try:
                _ = remote.current_url  # one round trip: is it still there?
            except Exception:
                _quit(remote)
                continue
            return remote
        remote = self._open(platform)
        with self._lock:
            self.opened += 1
        return remote

    def give_back(self, platform: str, remote: Any, origin: str) -> None:
        """Keep ``remote`` for the next phone of ``platform`` once clean; a session that cannot
        be cleaned, or one beyond :data:`MAX_IDLE_PER_PLATFORM`, is quit."""
        try:
            clean_session(remote, origin)
        except Exception:
            _quit(remote)
            return
        with self._lock:
            idle = self._idle.setdefault(platform, [])
            if len(idle) < MAX_IDLE_PER_PLATFORM:
                idle.append(remote)
                return
        _quit(remote)

    def idle(self, platform: str) -> int:
        """How many sessions of ``platform`` are kept."""
        with self._lock:
            return len(self._idle.get(platform, ()))

    def close(self) -> None:
        """Quit every kept session."""
        with self._lock:
            kept = [r for idle in self._idle.values() for r in idle]
            self._idle.clear()
        for remote in kept:
            _quit(remote)
