"""A state file: what users stored in the mock providers survives a restart.

Personas and client registrations (VNeID) and accounts (VssID) are what a test, a vendor or
another tool put there through the control API (§11); a restart must not lose them. One
:class:`StateFile` is shared by the providers of a ``vneid-harness serve``: each provider
``attach``-es a section (a snapshot function) and calls :meth:`StateFile.save` after every
change, which writes all sections to a temporary file beside the target, ``fsync``-s it and
``os.replace``-s it over the target, so a crash leaves the old file or the new one, never a
torn one. On start a provider restores its section with the same validation as the control
API. A file that is not a state file, or holds an invalid record, is refused with
:class:`StateFileError` naming the problem and is left as it is (nothing overwrites it).

One serve at a time: with ``exclusive=True`` (as ``vneid-harness serve`` opens it) the file is
locked (``flock`` on the sibling ``.NAME.lock``, which holds the owner's pid) until
:meth:`StateFile.close`, which removes the lock file, or the process ends (a killed serve
leaves it, unlocked); a second serve on the same file is refused at start, since each would
rewrite the whole file from its own memory and lose the other's changes.

Ephemeral state (sessions, codes, tokens, transactions, faults, clock offsets, request logs)
is deliberately not kept: it is short-lived by protocol. The file holds passcodes and client
secrets unredacted (it is the providers' own storage, not a log): it is created ``0600``, and
a file that is there keeps its permissions across writes. A read-only file is refused at start
(every change rewrites it). An exclusive serve removes at start the temporary copies a killed
serve left beside the file (``.NAME.PID.tmp``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from harness.protocol import ProtocolError, strict_json
from harness.protocol.strict_json import json_error_text

__all__ = ["STATE_FORMAT", "StateFile", "StateFileError", "StateWriteError", "held_once"]

_LATER: ContextVar[bool] = ContextVar("state_file_writes_later", default=False)
"""Set by :meth:`StateFile.writing_later`: a change counts, :meth:`StateFile.flush` writes."""

STATE_FORMAT = "vneid-harness-state/1"
_FORMAT_NAME = "vneid-harness-state/"
Snapshot = Callable[[], Any]


class StateWriteError(ProtocolError):
    """The state file could not be written: a change is answered 503, kept in memory only
    (``reason``: the system's words). It cites S-6, the clause of the test-control API whose
    changes the state file keeps (§11; no clause of the login is concerned)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"the change is kept in memory but the state file {path} could not "
            f"be written ({reason}); it would be lost on a restart",
            code="temporarily_unavailable",
            clause="S-6",
        )


_LOCK_ATTEMPTS = 5


def _is_the_file_at(fd: int, path: Path) -> bool:
    """Whether ``fd`` is open on the file that ``path`` names now."""
    try:
        on_disk, held = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)


class StateFileError(ProtocolError):
    """The state file cannot be used (unreadable, not a state file, an invalid record). A
    :class:`ProtocolError`, the root of the package's errors, though it is said when
    ``serve`` starts rather than answered over HTTP: ``str()`` is its description alone."""

    def __init__(self, description: str) -> None:
        super().__init__(description, code="invalid_request", clause="S-6")

    def __str__(self) -> str:
        return self.description


def held_once(seen: set[str], key: str, what: str) -> None:
    """For a section's restore: the record named ``what`` (key ``key``) must be the only one
    of its key in the file, which is written with one of each; a copy edited by hand would
    otherwise win silently and the first be gone at the next write."""
    if key in seen:
        raise ValueError(f"{what} is held twice; keep one of the two records")
    seen.add(key)


def _refuse_a_loop(path: Path) -> None:
    """Raise the ``ELOOP`` ``OSError`` when ``path`` (resolved) is a symlink loop or lies under
    one. Python 3.13's ``Path.resolve()`` no longer raises for a loop (3.11 and 3.12 raise
    ``RuntimeError``): it stops where the loop starts, and only a ``stat`` then tells."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise


class StateFile:
    """One JSON state file shared by the providers of a serve (thread-safe)."""

    def __init__(self, path: str | os.PathLike[str], *, exclusive: bool = False) -> None:
        # A symlink is followed: the file it names is the one written (atomically, beside
        # itself) and locked, so the link stays a link and two paths to one file share a lock.
        try:
            self.path = Path(path).resolve()
            _refuse_a_loop(self.path)
        except (RuntimeError, OSError) as exc:  # a symlink loop (3.11, 3.12: RuntimeError)
            raise StateFileError(
                f"state file {path}: cannot be followed ({exc}); give the "
                "path of a file, or of a link to one"
            ) from None
        self._lock = threading.RLock()
        self._snapshots: dict[str, Snapshot] = {}
        self._as_read: bytes | None = None
        """The file as it was read at start, until the first write (for :meth:`back_up`)."""
        self._check_kind()  # before the lock file: a refused path leaves nothing beside it
        self._lock_fd: int | None = self._take_lock() if exclusive else None
        if exclusive:
            self._remove_stale_copies()
        try:
            self._sections: dict[str, Any] = self._read()
        except StateFileError:
            self.close()
            raise
        self._known = self._identity()
        """The file as this serve last read or wrote it (see :meth:`_keep_lock`)."""
        self._deferred = 0
        self._dirty = False
        self._unwritten = False
        """A write failed (its changes answered 503, kept in memory) and none has succeeded
        since: :meth:`write_pending` tries again at the stop."""
        self._diverged: str | None = None
        """Why this serve no longer writes the file: another serve wrote it while this one's
        lock file was gone (:meth:`_keep_lock`). Every later write is refused, the one at the
        stop too, however the lock stands then."""
        self._written_digest: bytes | None = None
        """The digest of what this serve last wrote: a change that leaves the file's bytes as
        they are (a persona or an account posted again unchanged, as a load test's setup does
        at every run) is not written again, unless the file changed since (:meth:`_identity`)."""
        self._changes = 0
        """Changes made under :meth:`writing_later`, counted on the thread that makes them."""
        self._written = 0
        """How many of them the file holds."""
        self.writes = 0
        """How many times the file was written (for tests and measurements)."""

    def _check_kind(self) -> None:
        """A path that is there must be a regular file: a FIFO would block the read for ever,
        and a device or a folder is never a state file."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._fail(f"cannot be read ({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            kind = (
                "a folder"
                if stat.S_ISDIR(mode)
                else "a named pipe"
                if stat.S_ISFIFO(mode)
                else "a device"
                if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "not a regular file"
            )
            raise StateFileError(
                f"state file {self.path} is {kind}; give the path of a "
                "regular file (created if missing)"
            )
        if not mode & stat.S_IWUSR:  # root could write it anyway: refused for everyone
            raise StateFileError(
                f"state file {self.path} is read-only (mode {stat.S_IMODE(mode):04o}), and a "
                "serve rewrites it at every change; make it writable (chmod u+w), or serve a "
                "copy of it (a baseline to keep as it is: --personas FILE without --state)"
            )

    def _temporary(self, tag: str) -> Path:
        return self.path.with_name(f".{self.path.name}.{tag}.tmp")

    def _remove_stale_copies(self) -> None:
        """Remove the temporary copies a killed serve left beside the file (each holds the
        state, passcodes included, and is named by the pid that wrote it, so none was ever
        written over): the lock is held, so no serve is writing one now."""
        prefix, suffix = f".{self.path.name}.", ".tmp"
        with suppress(OSError):
            for entry in os.scandir(self.path.parent):
                middle = entry.name[len(prefix) : -len(suffix)]
                if (
                    entry.name.startswith(prefix)
                    and entry.name.endswith(suffix)
                    and (middle.isdigit() or middle == "bak")
                    and entry.is_file(follow_symlinks=False)
                ):
                    with suppress(OSError):
                        os.unlink(entry.path)

    def back_up(self) -> Path | None:
        """Write the file as it was read at start to ``NAME.bak`` beside it (``NAME.bak.1``,
        ``.2``… when that is taken: never over an earlier copy; atomically, ``0600``):
        records the control API changed, which a persona file loaded over them at start
        replaced (call it before the first write: inside :meth:`deferred`); ``None`` when
        there was no file or it was written since. A copy that cannot be written is a
        :class:`StateWriteError`."""
        with self._lock:
            if self._as_read is None:
                return None
            backup = self.path.with_name(f"{self.path.name}.bak")
            number = 0
            while backup.exists() or backup.is_symlink():  # an earlier one may be the only
                number += 1  # copy of what it holds
                backup = self.path.with_name(f"{self.path.name}.bak.{number}")
            self._replace_with(backup, self._as_read, self._temporary("bak"), mode=0o600)
            return backup

    def _replace_with(
        self, target: Path, payload: bytes, tmp: Path, *, mode: int | None = None
    ) -> None:
        """Write ``payload`` to ``tmp``, ``fsync`` it, rename it over ``target`` and ``fsync``
        the folder (so the rename too survives a power cut). ``mode``: the new file's
        permissions (default: those ``target`` has, else ``0600``)."""
        if mode is None:
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except OSError:
                mode = 0o600
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, mode)  # a team's 0640 stays 0640 (the umask left aside)
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except OSError as exc:
            with suppress(OSError):
                tmp.unlink()
            raise StateWriteError(self.path, str(exc.strerror or exc)) from None
        with suppress(OSError):  # not every file system can sync a folder
            folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def _fail(self, problem: str) -> StateFileError:
        return StateFileError(
            f"state file {self.path}: {problem}; it was left as it is: fix "
            "it, or move it away to start empty"
        )

    def _take_lock(self) -> int:
        """Lock the state file through ``.NAME.lock`` beside it. A serve that stops removes its
        lock file (:meth:`close`), so a lock taken on a file that was removed between its
        opening and its locking is no lock: the file is opened again."""
        lock = self.path.with_name(f".{self.path.name}.lock")
        for _ in range(_LOCK_ATTEMPTS):
            fd = self._lock_once(lock)
            if _is_the_file_at(fd, lock):
                break
            os.close(fd)
        else:
            raise StateFileError(
                f"state file {self.path}: its lock file {lock} kept being "
                "removed while it was being locked; is another program "
                "deleting it?"
            )
        with suppress(OSError):  # who holds it, for the message above; not essential
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        return fd

    def _lock_once(self, lock: Path) -> int:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StateFileError(
                f"state file {self.path}: its lock file {lock} cannot be "
                f"opened ({exc.strerror}); give a state file in a folder "
                "that exists and this user can write to"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = b""
            with suppress(OSError):
                owner = os.read(fd, 32)
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise StateFileError(
                    f"state file {self.path}: cannot be locked with {lock} "
                    f"({exc.strerror}); give a state file on a local "
                    "disk"
                ) from None
            raise StateFileError(
                f"state file {self.path} is in use by another vneid-harness serve (pid "
                f"{owner.decode('ascii', 'replace').strip() or 'unknown'}, which holds {lock}); "
                "stop that serve first, or give this one a state file of its own"
            ) from None
        return fd

    def close(self) -> None:
        """Release the lock of an ``exclusive`` state file and remove its lock file, while
        still holding it (a serve refused at start, or stopped, leaves no ``.NAME.lock``)."""
        with self._lock:
            fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            lock = self.path.with_name(f".{self.path.name}.lock")
            if _is_the_file_at(fd, lock):
                with suppress(OSError):
                    lock.unlink()
            os.close(fd)  # closing the last descriptor releases the flock

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise self._fail(f"cannot be read ({exc.strerror})") from None
        self._as_read = raw
        try:
            # utf-8-sig: an editor's byte order mark (Notepad's) is no part of the JSON
            data = strict_json.loads(raw.decode("utf-8-sig"), finite=False)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self._fail(f"is not valid JSON ({json_error_text(exc)})") from None
        found = data.get("format") if isinstance(data, dict) else None
        if isinstance(found, str) and found.startswith(_FORMAT_NAME) and found != STATE_FORMAT:
            raise self._fail(
                f"was written in format {found[:40]!r}, and this vneid-harness "
                f"reads {STATE_FORMAT!r}: serve it with the version of the "
                "harness that wrote it"
            )
        if not isinstance(data, dict) or found != STATE_FORMAT:
            raise self._fail(f'is not a vneid-harness state file (no "format": "{STATE_FORMAT}")')
        sections = data.get("sections")
        if not isinstance(sections, dict):
            raise self._fail('has no "sections" object')
        return sections

    def section(self, name: str) -> Any:
        """What the file held for ``name`` when it was read (``None`` if nothing)."""
        with self._lock:
            return self._sections.get(name)

    def restore(self, name: str, load: Callable[[Any], None]) -> None:
        """``load`` the section ``name`` if the file has one; its errors become a
        :class:`StateFileError` naming the section."""
        data = self.section(name)
        if data is None:
            return
        try:
            load(data)
        except (ProtocolError, ValueError, TypeError, KeyError) as exc:
            detail = exc.description if isinstance(exc, ProtocolError) else str(exc)
            raise self._fail(f"section {name!r} holds an invalid record: {detail}") from None

    def attach(self, name: str, snapshot: Snapshot) -> None:
        """Write ``snapshot()`` as section ``name`` from now on."""
        with self._lock:
            self._snapshots[name] = snapshot

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Changes inside are written once, at the end (bulk loads). When the body raises,
        nothing is written: the file keeps what it held (a refused start leaves it as it
        was); a later :meth:`save` writes what memory then holds."""
        with self._lock:
            self._deferred += 1
        completed = False
        try:
            yield
            completed = True
        finally:
            with self._lock:
                self._deferred -= 1
                if completed and not self._deferred and self._dirty:
                    self._write()

    @contextmanager
    def writing_later(self) -> Iterator[None]:
        """Changes inside are counted, not written: the caller writes them with :meth:`flush`
        (on a worker thread), so the thread making the change, a server's event loop, never
        waits for a write, not even for the lock a write in progress holds."""
        token = _LATER.set(True)
        try:
            yield
        finally:
            _LATER.reset(token)

    def flush(self) -> None:
        """Write the changes counted by :meth:`writing_later` (one write for all that came
        before it; none when a write since already holds them)."""
        with self._lock:
            target = self._changes
            if self._written < target:
                self._write()
                self._written = max(self._written, target)

    def save(self) -> None:
        """Write every attached section now (atomically), or at the end of :meth:`deferred`."""
        if _LATER.get():
            self._changes += 1
            return
        with self._lock:
            if self._deferred:
                self._dirty = True
                return
            self._write()

    def _keep_lock(self) -> None:
        """Before a write of an ``exclusive`` file: the lock file must still be the one this
        serve locked. Removed while the serve runs (a killed serve's stays behind, and looks
        like litter), a second serve could take the state file, and each would overwrite the
        other's changes. It is taken again when free; held by another serve, the change is
        refused (503), kept in memory."""
        fd = self._lock_fd
        if fd is None:
            return
        lock = self.path.with_name(f".{self.path.name}.lock")
        if _is_the_file_at(fd, lock):
            return
        try:  # removed (or replaced): take it again
            self._lock_fd = self._take_lock()
        except StateFileError as exc:
            raise StateWriteError(
                self.path, f"its lock file {lock} was removed while this serve held it; {exc}"
            ) from None
        os.close(fd)
        if self._identity() != self._known:  # another serve wrote it meanwhile, and stopped
            self._diverged = (
                f"its lock file {lock} was removed while this serve held it, and "
                "another serve wrote the file meanwhile; this serve does not "
                "overwrite that: restart it to read the file again"
            )
            raise StateWriteError(self.path, self._diverged)

    def _identity(self) -> tuple[int, int, int, int] | None:
        """The file's device, inode, change time and size (``None``: no file)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)

    def write_pending(self) -> str | None:
        """At a serve's stop: the changes a failed write kept in memory only (each answered
        503) are written now; what is wrong when they still cannot be (``None``: nothing was
        pending, or now it is written)."""
        with self._lock:
            if not self._unwritten:
                return None
            try:
                self._write()
            except StateWriteError as exc:
                return (
                    f"changes made since the last write that failed are not in the state "
                    f"file {self.path}, and are lost with this serve ({exc.reason})"
                )
            return None

    def _write(self) -> None:
        self._unwritten = True  # until this write is done
        if self._diverged is not None:  # for good: the file is another serve's since
            raise StateWriteError(self.path, self._diverged)
        self._keep_lock()
        sections = dict(self._sections)  # sections nobody attached this time are kept
        for name, snapshot in self._snapshots.items():
            sections[name] = snapshot()
        payload = json.dumps(
            {"format": STATE_FORMAT, "sections": sections},
            ensure_ascii=False,
            indent=1,
            sort_keys=True,
        ).encode("utf-8")
        digest = hashlib.blake2b(payload, digest_size=32).digest()
        if digest != self._written_digest or self._identity() != self._known:
            self._replace_with(self.path, payload, self._temporary(str(os.getpid())))
            self._known = self._identity()
            self._written_digest = digest
            self.writes += 1
        self._as_read = None  # the file read at start is gone: no copy of it to keep
        self._sections = sections
        self._dirty = False
        self._unwritten = False
