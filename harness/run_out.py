"""The run's output folder, ``--out``: one run at a time writes into it (:class:`OutLock`),
refused before anything is written when the run could not write its outputs there
(:func:`out_problem`, :func:`unwritable`), made (:func:`make_out`) and, for a run that selected
no test, removed again (:func:`remove_empty`); the earlier runs' verdicts a new run replaces
(:func:`verdict_files`), and pytest's JUnit XML of a stopped run tidied
(:func:`drop_nameless_cases`).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from harness.conformance.plans import PLANS
from harness.errors import ConfigError
from harness.folder_lock import FolderLock

__all__ = [
    "WRITE_PROBE_BYTES",
    "OutLock",
    "drop_nameless_cases",
    "make_out",
    "out_problem",
    "remove_empty",
    "unwritable",
    "verdict_files",
]


class _OutOptions(Protocol):
    """What :func:`out_problem` reads of the run's options (a
    :class:`harness.run.RunOptions`, which this module cannot import: the run imports it)."""

    @property
    def out(self) -> Path: ...

    @property
    def result_file(self) -> Path: ...


class OutLock:
    """One run at a time writes into an ``--out`` folder: two mixed their results silently
    (one's verdict over the other's, a history line of a run that never was). A
    :class:`~harness.folder_lock.FolderLock` held for the run (``report`` takes it too)."""

    def __init__(self) -> None:
        self.lock: FolderLock | None = None

    def acquire(self, out: Path) -> str | None:
        """Why the run cannot write into ``out`` (another run or report holds it), or
        ``None``."""
        lock = FolderLock(out)
        if not lock.acquire():
            return (
                f"another vneid-harness run or report is writing into --out {out}; wait "
                "for it to end, or give this one another --out"
            )
        self.lock = lock
        return None

    def __enter__(self) -> OutLock:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def verdict_files(out: Path) -> list[Path]:
    """The verdicts a run of any plan writes into ``out`` (``run`` and ``conformance`` share
    ``reports/out``), its JUnit XML and the Allure report made from its results. Only the
    names a plan's verdict has: a user's ``conformance-notes.json`` beside them is theirs
    (``conformance-*.json`` deleted it)."""
    return [
        out / "summary.json",
        out / "summary.html",
        *(out / f"conformance-{plan}.{kind}" for plan in PLANS for kind in ("json", "html")),
        out / "junit.xml",
        out / "allure-report",
    ]


def out_problem(options: _OutOptions) -> str | None:
    """Why the run cannot write its outputs into ``options.out`` where earlier ones are: an
    entry of the kind it writes replaced by another (``results.jsonl`` a folder, a named pipe,
    which blocked the run for ever; ``allure-results`` a file). Found before anything is
    written, so the earlier run's reports stay as they were."""
    out = options.out
    files = [out / name for name in ("junit.xml", "results.jsonl", ".junit.xml.partial")]
    files += [options.result_file, options.result_file.with_suffix(".html")]
    for path in files:
        if (path.exists() or path.is_symlink()) and not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file"
            return (
                f"--out {out}: {path} is {kind}, and the run writes a file there; move it "
                "away, or give another --out"
            )
    results = out / "allure-results"
    if results.exists() and not results.is_dir():
        return (
            f"--out {out}: {results} is not a folder, and the run writes Allure's results "
            "into it; move it away, or give another --out"
        )
    return _report_problem(out / "allure-report")


def _report_problem(report: Path) -> str | None:
    """Why the run cannot replace ``report``, which it deletes whole once its first test
    reported (:func:`verdict_files`), with or without ``--report``: anything but an earlier
    Allure report there (a user's own folder of that name, notes added to a report) is
    refused as ``vneid-harness report`` refuses it, before anything is written (it was
    deleted). A symbolic link is only unlinked: what it names stays."""
    if report.is_symlink():
        return None
    from reports.allure_html import check_replaceable
    from reports.errors import ReportError

    try:
        check_replaceable(report)
    except ReportError as exc:
        return f"--out {report.parent}: {exc} (a run deletes the earlier report there)"
    return None


WRITE_PROBE_BYTES = 256 * 1024
"""What the run writes into ``--out`` before it starts, to find a full disk or a read-only
folder while the earlier run's reports are still there (a run writes megabytes)."""


def unwritable(out: Path) -> str | None:
    """Why the run cannot write into ``out`` (``None``: it can)."""
    probe = out / f".write-probe-{os.getpid()}"
    try:
        with probe.open("wb") as file:
            file.write(b"\0" * WRITE_PROBE_BYTES)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        return (
            f"--out {out} cannot be written ({exc.strerror}); "
            + ("free space on its disk" if full else "make it writable")
            + ", or give another --out (the earlier run's reports there are as they were)"
        )
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def drop_nameless_cases(junit: Path) -> None:
    """Remove the ``<testcase>`` elements without a name from pytest's JUnit XML of a stopped
    run: pytest-xdist workers stopped in a test leave one each (no name, no class, no
    outcome), which CI's JUnit readers counted as passed tests the verdict does not have."""
    import xml.etree.ElementTree as ET

    try:
        tree = ET.parse(junit)  # noqa: S314 (pytest's own file, just written)
    except ET.ParseError:
        return
    changed = False
    for suite in tree.iter("testsuite"):
        for case in [case for case in suite.findall("testcase") if not case.get("name")]:
            suite.remove(case)  # pytest's counts have none of them
            changed = True
    if changed:
        tree.write(junit, encoding="utf-8", xml_declaration=True)


def make_out(out: Path) -> None:
    """The output folder, created with its parents; a :class:`ConfigError` when it cannot be."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = (
            "is a file, not a folder"
            if out.exists() and not out.is_dir()
            else f"cannot be created ({exc.strerror})"
        )
        raise ConfigError(
            f"--out {out} {problem}; give a folder for the reports (it is created if missing)"
        ) from None


def remove_empty(folders: Sequence[Path]) -> None:
    """Remove the folders a run that selected no test created (``--out`` and its missing
    parents, Allure's results folder), deepest first, each only if empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:  # not made (a refusal before Allure's folder was)
            continue
        except OSError:  # not empty: nor are its parents
            return
