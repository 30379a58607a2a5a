"""Stopping a server and every process it started, and a watchdog that does so when the
process that started it dies without a chance to (SIGKILL, the OOM killer).

Run as a script (standard library only, so it starts without importing the harness):
``python process_tree.py <pid> [file …]`` waits on its standard input, a pipe whose write end
the harness holds. One byte (``.``) is the harness saying it stopped the server itself: the
watchdog exits. End of file without it means the harness died: the watchdog stops ``<pid>``'s
process group and every process below it (:func:`stop_tree`) and removes the given files and
folders (the Appium log's filters, the server's private ``TMPDIR``; the log itself stays, for
whoever looks into the killed run). It acts
only on the process it was started for: a pid reused by another process since is left alone.
Linux only (``/proc``), as the Appium driver is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path

__all__ = ["STOPPED", "alive", "descendants", "stop_tree", "watch"]

STOPPED = b"."
"""What the harness writes to the watchdog when it stopped the server itself."""
_POLL_SECONDS = 0.01


def _stat_fields(stat: Path) -> list[bytes] | None:
    """The fields of ``/proc/PID/stat`` after the process's name (``state``, ``ppid``…), or
    ``None`` when the process is gone. Read as bytes: the name is the first 15 bytes of the
    program's file name, which may end inside a UTF-8 character (``tiến-trình…`` cut
    there), and one such process anywhere on the machine made every text read of the list
    raise ``UnicodeDecodeError``."""
    try:
        raw = stat.read_bytes()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    return fields if len(fields) > 19 else None


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (Linux ``/proc``), children first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return fields is not None and fields[0] != b"Z"


def _gone(pids: list[int], seconds: float) -> bool:
    """Whether every one of ``pids`` has ended within ``seconds`` (polled)."""
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def stop_tree(pid: int, *, grace: float = 10.0) -> None:
    """SIGTERM the process group led by ``pid`` (started with ``start_new_session``), SIGKILL
    it if ``pid`` lingers past ``grace`` seconds, then SIGKILL whatever it started that is
    still running (a browser may leave the group). Returns when all have ended (at most 5 s
    after the kills: SIGKILL is delivered, not awaited, and a browser with many threads takes
    a moment to go on a loaded machine). A caller that is ``pid``'s parent reaps it after."""
    left = descendants(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    if not _gone([pid], grace):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    for child in left:
        if alive(child):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGKILL)
    _gone([pid, *left], 5.0)


def _started(pid: int) -> str | None:
    """When ``pid`` started (field 22 of ``/proc/PID/stat``, in clock ticks since boot), or
    ``None`` when there is no such process: with the pid, it names one process for good."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return None if fields is None else fields[19].decode("ascii")


def watch(pid: int, files: list[Path]) -> None:
    """Block until the harness writes :data:`STOPPED` or dies; in the second case stop
    ``pid``'s tree (if ``pid`` is still the process it was when the watch began) and remove
    ``files`` (a folder with what it holds)."""
    started = _started(pid)
    said = b""
    with contextlib.suppress(OSError):
        said = os.read(sys.stdin.fileno(), 1)
    if said == STOPPED:
        return
    if started is not None and _started(pid) == started:
        stop_tree(pid)
    for path in files:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the harness's to handle
    watch(int(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]])
