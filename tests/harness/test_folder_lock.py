"""`harness.folder_lock.FolderLock`: one writer at a time in an outputs folder."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.folder_lock import FolderLock


@contextmanager
def held_elsewhere(folder: Path) -> Iterator[None]:
    """The folder's flock held on another open file, as another process would hold it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def _free(folder: Path) -> bool:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_folder_held_elsewhere_is_refused_and_taken_once_free(tmp_path: Path) -> None:
    with held_elsewhere(tmp_path):
        assert not FolderLock(tmp_path).acquire()
    with FolderLock(tmp_path) as lock:
        assert lock.acquire()
        assert not _free(tmp_path)
    assert _free(tmp_path)


def test_this_process_takes_a_folder_it_holds_again_and_keeps_it_until_the_last_release(
    tmp_path: Path,
) -> None:
    """`run` holds --out, then makes the Allure report inside it (which takes the lock)."""
    outer, inner = FolderLock(tmp_path), FolderLock(tmp_path / ".")
    assert outer.acquire()
    assert inner.acquire()
    inner.release()
    inner.release()  # a second release gives back nothing more
    assert not _free(tmp_path), "released while the outer lock still holds it"
    outer.release()
    assert _free(tmp_path)


def test_a_folder_that_cannot_be_opened_is_used_unlocked(tmp_path: Path) -> None:
    lock = FolderLock(tmp_path / "absent")
    assert lock.acquire()
    lock.release()


def test_another_thread_of_the_process_is_refused_and_waits(tmp_path: Path) -> None:
    """Reentrancy was per process: two threads running a plan into one --out both got it."""
    import threading

    outer = FolderLock(tmp_path)
    assert outer.acquire()
    got: list[bool] = []
    other = threading.Thread(target=lambda: got.append(FolderLock(tmp_path).acquire()))
    other.start()
    other.join()
    assert got == [False]
    later: list[bool] = []

    def take() -> None:
        lock = FolderLock(tmp_path)
        later.append(lock.acquire(wait=10))
        lock.release()

    waiting = threading.Thread(target=take)
    waiting.start()
    outer.release()  # the waiting thread gets it now
    waiting.join()
    assert later == [True]
