"""Scratch files and folders that a killed process leaves are removed by the next one.

A run's scratch folder (its tests' ``tmp_path`` trees), the browser driver's, and the
temporary copy a persona file is written through are removed when their process ends. A
process killed with SIGKILL (a cancelled CI job) removes nothing, and they stayed for good. So
each is held with an ``flock`` for as long as its process uses it, which the kernel drops
when the process dies however it ends; the next process to make one of the same kind removes
those nobody holds any more. Two guards keep a live one: it must be at least
:data:`STALE_AFTER` seconds old (made a moment ago, its maker may not hold it yet), and one
that cannot be opened or locked (another user's, a file system without ``flock``) is left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["STALE_AFTER", "Scratch", "hold", "is_abandoned", "sweep"]

STALE_AFTER = 60.0
PREFIX = "vneid-harness-scratch-"


def hold(fd: int) -> None:
    """Mark the file or folder open as ``fd`` in use while ``fd`` stays open (a shared lock;
    nothing when the file system has no ``flock``)."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)


def is_abandoned(path: Path, now: float | None = None) -> bool:
    """Whether ``path`` (a scratch file or folder) is old enough and held by no process."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if (now if now is not None else time.time()) - info.st_mtime < STALE_AFTER:
        return False
    if info.st_uid != os.getuid():
        return False
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0) | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held (BlockingIOError), or no flock here: leave it
        return False
    else:
        return True
    finally:
        os.close(fd)


def sweep(folder: Path, prefix: str, suffix: str = "") -> list[Path]:
    """Remove the abandoned entries of ``folder`` named ``prefix…suffix``; what was removed."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(prefix) and entry.name.endswith(suffix)):
                continue
            path = Path(entry.path)
            if not is_abandoned(path):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            removed.append(path)
    return removed


class Scratch:
    """A scratch folder of ``kind`` in the system's temporary folder, held by this process
    until :meth:`remove`; making one first removes the folders of that kind that killed
    processes left."""

    def __init__(self, kind: str) -> None:
        root = Path(tempfile.gettempdir())
        prefix = f"{PREFIX}{kind}-"
        sweep(root, prefix)
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        self._fd: int | None = None
        with contextlib.suppress(OSError):
            self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            hold(self._fd)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
