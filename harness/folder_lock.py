"""One writer at a time in a folder of outputs: an ``flock`` on the folder itself, so no lock
file is left behind (nor one to clean up after a kill: the kernel drops the lock with the
process). Held per thread: a thread that holds a folder's lock may take it again (``run``
holds ``--out`` and then makes the Allure report inside it), and each :class:`FolderLock`
gives back only what it took; another thread of the same process waits or is refused as
another process is. POSIX only; a file system without ``flock`` is used unlocked.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from pathlib import Path

__all__ = ["FolderLock"]

_held: dict[tuple[int, int, int], tuple[int, int]] = {}
"""The folders held here, by (device, inode, thread): the descriptor that holds the lock and
how many :class:`FolderLock` of that thread took it."""
_held_lock = threading.Lock()
_POLL_SECONDS = 0.1


class FolderLock:
    """The lock of ``folder`` (which must exist)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._key: tuple[int, int, int] | None = None

    def acquire(self, wait: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait`` seconds for another holder to let it go:
        ``False`` when another process (or thread) still holds it. ``True`` also when the
        folder cannot be opened or locked (the writer then goes on unlocked, as before)."""
        if self._key is not None:
            return True
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return True
        stat = os.fstat(fd)
        key = (stat.st_dev, stat.st_ino, threading.get_ident())
        with _held_lock:
            if key in _held:  # this thread holds it already
                os.close(fd)
                held, count = _held[key]
                _held[key] = (held, count + 1)
                self._key = key
                return True
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    return True
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(_POLL_SECONDS)
        with _held_lock:
            _held[key] = (fd, 1)
        self._key = key
        return True

    def release(self) -> None:
        """Give back what :meth:`acquire` took (the lock goes when this thread holds it no
        more)."""
        key, self._key = self._key, None
        with _held_lock:
            if key is None or key not in _held:
                return
            fd, count = _held[key]
            if count > 1:
                _held[key] = (fd, count - 1)
                return
            del _held[key]
        os.close(fd)  # releases the flock

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
