"""The Allure HTML report of a run: npm ``allure`` (Allure 3, Node only, no Java).

:func:`generate_report` turns ``allure-results/`` (written by allure-pytest) into
``allure-report/index.html`` with ``allure awesome``. By default the report is one
self-contained file (``--single-file``: scripts, styles and data inlined), so it opens
straight from disk or from a CI artifact; a multi-file report must be served over HTTP.

Run history (the "Status dynamics" trend, and each test's history tab) is Allure 3's
*history file*: a JSON-lines file, one line per generated report, which Allure reads before
and appends to after each generation (``--history-path``; ``historyLimit`` in an allurerc
config caps the number of runs kept). A report made again from the same results first has
that run's line taken off (put back if the generation fails), so a run counts once. It
lives outside the report folder (by default ``reports/out/history/history.jsonl``) so a
regenerated report keeps it and CI can cache and restore it between builds.

Bad input never reaches Allure silently: a result file that cannot be read (not UTF-8, not a
JSON object) is named in a warning (Allure would drop it without a word), and none readable is
an error; a history file with a line that is not a run as Allure writes it is left as it is,
named in a warning with the line, and the report is built without history (Allure would stop
with a stack trace, and so would every later report).

The Awesome template hard-codes a Google Analytics tag; :func:`generate_report` removes it,
so opening a report makes no network request at all.
"""

from __future__ import annotations

import base64
import contextlib
import json
import mmap
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.folder_lock import FolderLock
from harness.plugin_options import CLAUSES_LABEL
from reports.errors import ReportError

__all__ = [
    "ALLURE_ENV",
    "DEFAULT_HISTORY_LIMIT",
    "DEFAULT_NAME",
    "AllureReport",
    "AllureToolMissing",
    "ReportError",
    "check_replaceable",
    "find_allure",
    "generate_report",
    "history_runs",
    "project_root",
    "report_data",
    "screenshot_report",
    "waiting_message",
]

ALLURE_ENV = "VNEID_HARNESS_ALLURE"
"""Environment variable naming the ``allure`` executable (npm's, Allure 3)."""
DEFAULT_NAME = "VNeID → VssID login (vneid-harness)"
DEFAULT_HISTORY_LIMIT = 10
CATEGORIES: list[dict[str, object]] = [
    # A failed test is a clause the target broke. Its message names the citizen, the code,
    # the URL the test used, so Allure's default (one group per message) split one fault
    # over as many groups as tests: first by the clauses (the label the harness plugin gives
    # each test, harness.plugin_options.CLAUSES_LABEL), then by message.
    {
        "id": "clause-failures",
        "name": "Clause failures (by clause, then message)",
        "matchers": {"statuses": ["failed"]},
        "groupBy": [{"label": CLAUSES_LABEL}],
        "groupByMessage": True,
        "expand": True,
    },
    # broken: the test or the harness raised before its assertion (Allure's own rule)
    {
        "id": "test-errors",
        "name": "Test errors (the test or the harness raised)",
        "matchers": {"statuses": ["broken"]},
    },
]
"""Allure's "Categories" (``categories`` in its config)."""
ALLURE_VERSION = "3.18.0"
"""The Allure 3 the report's post-processing is tested with (package.json pins it)."""
_FIX_CHECKOUT = (
    "run `make setup` in the harness's checkout (it runs `npm ci`, which installs npm's "
    "`allure` from package.json into node_modules/)"
)
_FIX_INSTALLED = f"run `npm install allure@{ALLURE_VERSION}` in the folder you run from"
_FIX_ANY = (
    f"or point {ALLURE_ENV} (or `vneid-harness report --allure`) at an Allure 3 `allure` executable"
)
_FIX = f"{_FIX_CHECKOUT}; with the harness installed as a package, {_FIX_INSTALLED}; {_FIX_ANY}"


def _fix_missing() -> str:
    """How to install Allure, the way that fits: a checkout's ``make setup``, or npm in the
    working folder for a harness installed as a package (no package.json beside it)."""
    if (project_root() / "package.json").is_file():
        return _FIX
    return f"{_FIX_INSTALLED}; {_FIX_ANY}"


_ANALYTICS = re.compile(
    rb'<script async src="https://www\.googletagmanager\.com/gtag/js[^"]*"></script>\s*'
    rb"<script>\s*window\.dataLayer.*?</script>\s*",
    re.DOTALL,
)
_COPY_CHUNK = 1 << 22
_DATA_FILE = re.compile(r'd\("([^"]+)","([^"]*)"\)')


class AllureToolMissing(ReportError):
    """No usable ``allure`` executable (or no ``node`` to run it); the message says how to
    install it."""


@dataclass(frozen=True)
class AllureReport:
    """A generated report: where it is, how long it took, how many runs its trend shows."""

    output: Path
    index: Path
    single_file: bool
    history_file: Path | None
    history_runs: int
    """Runs the history file holds after this generation, this one included unless it was
    not appended (1 without a history file)."""
    seconds: float
    warnings: tuple[str, ...] = ()
    """What was wrong but did not stop the report, one line each: result files left out,
    a history file not used."""
    history_appended: bool = True
    """Whether this run went into the history file (not for a run stopped before its end)."""

    @property
    def size_bytes(self) -> int:
        """Size of the report on disk (the one file, or every file of a multi-file report)."""
        if self.single_file:
            return self.index.stat().st_size
        return sum(p.stat().st_size for p in self.output.rglob("*") if p.is_file())

    def describe(self) -> str:
        """One line for the console: where, how big, how many runs in the trend."""
        trend = (
            "no history"
            if not self.history_file
            else f"{self.history_runs} run(s) in its history {self.history_file}"
            if self.history_appended
            else f"{self.history_runs} earlier run(s) in its history {self.history_file}, "
            "this stopped run not added"
        )
        kind = "one file" if self.single_file else "a folder to serve over HTTP"
        return (
            f"Allure report: {self.index} ({kind}, {self.size_bytes / 1e6:.1f} MB; "
            f"{trend}; generated in {self.seconds:.1f} s)"
        )


def project_root() -> Path:
    """The folder with ``package.json`` and ``node_modules/`` (the repository root)."""
    return Path(__file__).resolve().parent.parent


def find_allure(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The ``allure`` executable: ``explicit``, else ``$VNEID_HARNESS_ALLURE``, else
    ``node_modules/.bin/allure`` under the project root (a checkout), else under the working
    directory (a harness installed as a package). Raises :class:`AllureToolMissing`
    with how to fix it. (No ``PATH`` lookup: an ``allure`` there may be Allure 2, whose
    command line differs.)"""
    env = os.environ if env is None else env
    if explicit is not None:
        candidate, origin = explicit, "--allure"
    elif env.get(ALLURE_ENV):
        candidate, origin = Path(env[ALLURE_ENV]), ALLURE_ENV
    else:  # the checkout's (make setup), else the working directory's (an installed harness)
        here = list(
            dict.fromkeys(
                folder / "node_modules" / ".bin" / "allure"
                for folder in (project_root(), Path.cwd().absolute())
            )
        )
        candidate, origin = next((p for p in here if p.is_file()), here[0]), "default"
    if not candidate.is_file():
        if origin != "default":
            raise AllureToolMissing(f"{candidate} (from {origin}) does not exist; {_FIX}")
        looked = " nor ".join(str(p) for p in here)
        raise AllureToolMissing(
            f"the Allure 3 command line is not installed (no {looked}); {_fix_missing()}"
        )
    if not os.access(candidate, os.X_OK):
        raise AllureToolMissing(f"{candidate} is not executable; {_FIX}")
    if shutil.which("node", path=env.get("PATH")) is None:
        raise AllureToolMissing(
            "`node` (Node.js 20 or later) is not on PATH, and npm's allure runs on Node; "
            "install Node.js 20+ (e.g. from nodejs.org or NodeSource), then `make setup`"
        )
    return candidate.absolute()  # the tool runs in a scratch folder: a relative path fails there


def generate_report(
    results: Path,
    out: Path,
    *,
    name: str = DEFAULT_NAME,
    single_file: bool = True,
    history: Path | None = None,
    append_history: bool = True,
    history_limit: int = DEFAULT_HISTORY_LIMIT,
    allure: Path | None = None,
    timeout: float = 600.0,
    env: Mapping[str, str] | None = None,
    on_wait: Callable[[Path], None] | None = None,
) -> AllureReport:
    """Generate the Allure Awesome report of ``results`` into ``out`` (replaced).

    ``on_wait(folder)``: called before waiting for another report or run writing into the
    report's folder or the history file's (a console says so: the wait may last a minute).

    ``history``: the history file to read and append to (``None``: no trend); one with a
    line that is not a run as Allure writes it is not used (nor changed) and the report is
    built without history, with a warning. ``append_history=False``: the report shows the
    trend with this run, and the history file is left as it was (a run stopped before its
    end: its few results would read in the trend as a drop). Unreadable result files are
    left out with a warning (:attr:`AllureReport.warnings`); none readable is a
    :class:`ReportError`. The new report is built in a folder beside ``out`` and moved into
    place only when complete, so a failed generation leaves the previous report as it was.
    """
    env = dict(os.environ if env is None else env)
    results = results.resolve()
    out = out.resolve()
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise ReportError(
            f"no Allure results in {results} (no *-result.json); run the suites "
            "first (`vneid-harness run`, or pytest with --alluredir)"
        )
    if history_limit < 1:
        raise ReportError(f"--history-limit must be at least 1, got {history_limit}")
    warnings = _unreadable_results(results)
    check_replaceable(out)
    executable = find_allure(allure, env)
    if history is not None:
        history = history.resolve()
        if history.is_relative_to(out):
            raise ReportError(
                f"the history file {history} is inside --out {out}, which each "
                "report replaces whole (the history with it); keep it beside, "
                f"e.g. --history {out.parent / 'history' / 'history.jsonl'}"
            )
        _make_folder(
            history.parent,
            f"the folder of the history file {history}",
            "choose another history file (`report --history FILE`)",
        )
    _make_folder(out.parent, f"the folder of the report {out}", "choose another --out")
    locks = _lock_folders([out.parent, *([history.parent] if history is not None else [])], on_wait)
    try:
        _remove_scratch_left(out.parent)
        if history is not None:
            problem = _history_problem(history)
            if problem is not None:
                warnings.append(problem)
                history = None
        env.update(NO_COLOR="1", FORCE_COLOR="0")
        earlier = b""
        if history is not None:
            earlier = _read_or_empty(history)
            trimmed = _without_this_run(earlier, results)  # one line a run, however often
            if trimmed is not None:  # the same results are reported
                earlier = trimmed
        return _generate(
            results,
            out,
            name=name,
            single_file=single_file,
            history=history,
            append_history=append_history,
            earlier_history=earlier,
            history_limit=history_limit,
            executable=executable,
            env=env,
            timeout=timeout,
            warnings=warnings,
        )
    except OSError as exc:  # the scratch folder, the report's files: a full disk, say
        raise ReportError(
            f"cannot write the report {out} ({exc.strerror or exc}); the "
            "history file is as it was, and the report folder may be incomplete: "
            "free the space (or fix the permission) and make it again"
        ) from None
    finally:
        for lock in locks:
            lock.release()


REPORT_LOCK_WAIT = 60.0
"""Seconds a report waits for another report (or a run) writing into its folders: reports
into sibling folders (one CI job per team) take turns, a report takes seconds."""


def waiting_message(folder: Path) -> str:
    """What a console says before a report waits for ``folder`` (``generate_report``'s
    ``on_wait``)."""
    return (
        f"waiting (up to {REPORT_LOCK_WAIT:.0f} s) for the vneid-harness run or report "
        f"writing into {folder}…"
    )


def _lock_folders(
    folders: list[Path], on_wait: Callable[[Path], None] | None = None
) -> list[FolderLock]:
    """The locks of the report's folder and the history file's (in one order, so two
    reports never wait on each other in a circle): a second report, or a run, writing there
    at the same time lost one run's history line (both read the file, each wrote it back
    with its own line). One still held by another process after :data:`REPORT_LOCK_WAIT`
    seconds (a run holds its --out for the whole run) is a :class:`ReportError`;
    ``on_wait(folder)`` is called before waiting for one."""
    taken: list[FolderLock] = []
    try:
        for folder in sorted(set(folders)):
            lock = FolderLock(folder)
            if not lock.acquire():
                if on_wait is not None:
                    on_wait(folder)
                if not lock.acquire(wait=REPORT_LOCK_WAIT):
                    raise ReportError(
                        f"another vneid-harness run or report is writing into {folder} "
                        f"(waited {REPORT_LOCK_WAIT:.0f} s); wait for it to end, or give this "
                        "report another --out (or --history)"
                    )
            taken.append(lock)
    except BaseException:  # refused, or Ctrl-C while waiting: what was taken goes back
        for earlier in taken:
            earlier.release()
        raise
    return taken


SCRATCH_PREFIX = ".allure-"
"""The scratch folders beside a report (:func:`_generate`)."""


SCRATCH_MARK = ".vneid-harness-scratch"
"""The file each scratch folder holds: only a folder with it is ever removed as left over
(a user's own ``.allure-config/`` beside the report is theirs)."""


def _remove_scratch_left(folder: Path) -> None:
    """Remove the scratch folders a report killed at once (``kill -9``, a power cut) left in
    ``folder``: tens of megabytes each, never removed. The folder's lock is held, so no
    report is building in one of them now."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if (
                entry.name.startswith(SCRATCH_PREFIX)
                and entry.is_dir()
                and not entry.is_symlink()
                and (entry / SCRATCH_MARK).is_file()
            ):
                shutil.rmtree(entry, ignore_errors=True)


def _replace_file(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` whole (written beside it, then renamed), or is left as it
    was (:class:`OSError`)."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except BaseException:  # a full disk, Ctrl-C, SIGTERM
        partial.unlink(missing_ok=True)
        raise


def _generate(
    results: Path,
    out: Path,
    *,
    name: str,
    single_file: bool,
    history: Path | None,
    append_history: bool,
    earlier_history: bytes,
    history_limit: int,
    executable: Path,
    env: dict[str, str],
    timeout: float,
    warnings: list[str],
) -> AllureReport:
    """Run Allure into a folder beside ``out`` and move it into place (:func:`generate_report`).

    Allure appends to the history file it is given by rewriting it in place: a full disk or a
    kill in the middle left half a line, and every later report without a trend. It is given
    a copy (``earlier_history``) in the scratch folder, which replaces the history file whole
    once the report is built."""
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=out.parent) as scratch:
        work = Path(scratch)
        (work / SCRATCH_MARK).write_bytes(b"")
        config = work / "allurerc.json"
        config.write_text(
            json.dumps({"historyLimit": history_limit, "categories": CATEGORIES}), encoding="utf-8"
        )
        built = work / "report"
        command = [
            str(executable),
            "awesome",
            str(results),
            "--output",
            str(built),
            "--config",
            str(config),
            "--report-name",
            name,
        ]
        if single_file:
            command.append("--single-file")
        working_history = work / "history.jsonl"
        if history is not None:
            working_history.write_bytes(earlier_history)
            command += ["--history-path", str(working_history)]
        returncode, stdout, stderr = _run_tool(
            command, cwd=work, env=env, timeout=timeout, executable=executable
        )
        index = built / "index.html"
        if returncode != 0 or not index.is_file():
            said = (stderr.strip() or stdout.strip())[-2000:]
            hint = " (too large for one file: try --multi-file)" if "too large" in said else ""
            if returncode == 0:  # it ran and made nothing: not npm's Allure 3
                raise ReportError(
                    f"{executable} exited 0 but wrote no {index.name}{': ' + said if said else ''}"
                    f"; is it npm's Allure 3 (`allure awesome`)? {_FIX}"
                )
            raise ReportError(f"allure awesome failed (exit {returncode}){hint}: {said}")
        _strip_analytics(index)
        written = sorted(p.name for p in built.iterdir())
        (built / REPORT_MARK).write_text(
            f"{_MARK_HEADER}\n" + "".join(f"{name}\n" for name in written), encoding="utf-8"
        )
        if out.exists():
            check_replaceable(out)  # again, under the lock: a folder made while Allure ran
            shutil.rmtree(out)
        shutil.move(built, out)
        if history is not None and not append_history:
            kept = "is left as it was" if history.exists() else "is not started"
            warnings.append(
                f"the run stopped before its end: the history file {history} {kept} (the "
                "report's trend shows this run; the next whole run's will not)"
            )
        elif history is not None:  # the report in place first: a failure there leaves it as it was
            try:
                _replace_file(history, working_history.read_bytes())
            except OSError as exc:  # the report stands; the trend misses this run
                warnings.append(
                    f"the history file {history} could not be updated "
                    f"({exc.strerror or exc}); it is as it was, and this run is "
                    "not in its trend"
                )
    seconds = time.perf_counter() - clock
    runs = history_runs(history) if history is not None else 1
    return AllureReport(
        out,
        out / "index.html",
        single_file,
        history,
        runs,
        seconds,
        tuple(warnings),
        history_appended=append_history,
    )


def _strip_analytics(index: Path) -> None:
    """Remove the Awesome template's Google Analytics tag from ``index`` without holding the
    page in memory: a single-file report of 10,000 tests is ~460 MB, which as Python text
    (read, substituted, encoded) took over 2 GB. The page is mapped, searched as bytes and
    copied around the tags in chunks."""
    if index.stat().st_size == 0:
        return
    with index.open("rb") as page, mmap.mmap(page.fileno(), 0, access=mmap.ACCESS_READ) as view:
        found = [m.span() for m in _ANALYTICS.finditer(view)]
        if not found:
            return
        stripped = index.with_name(f".{index.name}.stripped")
        with stripped.open("wb") as out:
            start = 0
            for begin, end in [*found, (len(view), len(view))]:
                for at in range(start, begin, _COPY_CHUNK):
                    out.write(view[at : min(at + _COPY_CHUNK, begin)])
                start = end
    os.replace(stripped, index)


def _run_tool(
    command: list[str], *, cwd: Path, env: dict[str, str], timeout: float, executable: Path
) -> tuple[int, str, str]:
    """Run Allure (its exit status, output and errors) in a process group of its own, which
    goes with us: on a timeout, Ctrl-C or SIGTERM (a :class:`KeyboardInterrupt`) the whole
    group is killed before the scratch folder is removed. ``subprocess.run`` killed only the
    tool (a wrapper script's ``node`` ran on), and a SIGTERM left it running, writing into a
    scratch folder nobody removed."""
    try:
        # the executable is find_allure's, the arguments a list: no shell involved
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except OSError as exc:
        raise AllureToolMissing(f"cannot start {executable}: {exc}; {_FIX}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ReportError(f"allure did not finish within {timeout:.0f} s") from None
    except BaseException:
        _kill_group(process)
        raise
    return process.returncode, stdout, stderr


def _kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL ``process``'s group (it leads one) and reap it. The pipes are read for 5 s at
    most: a grandchild that left the group (``setsid``) may hold them open."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=5)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _this_run(results: Path) -> frozenset[tuple[object, object]]:
    """The tests of a results folder by name and start time (how a history line names its
    run's tests too)."""
    found: set[tuple[object, object]] = set()
    for path in results.glob("*-result.json"):
        result, _ = _parse_object(_read_or_empty(path))
        if result is not None:
            found.add((result.get("name"), result.get("start")))
    return frozenset(found)


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _without_this_run(history: bytes, results: Path) -> bytes | None:
    """The history file's bytes without their last line when that line is the run of
    ``results`` (a report made again from the same results: ``report`` after ``run``, a
    screenshot pass), which Allure would otherwise append a second time; ``None`` when it is
    not (or there is no history)."""
    body = history.rstrip()  # the last line only: a history may be large
    if not body:
        return None
    start = body.rfind(b"\n") + 1
    last, _ = _parse_object(body[start:])
    tests = last.get("testResults") if last is not None else None
    if not isinstance(tests, dict) or not tests:
        return None
    logged = {(v.get("name"), v.get("start")) for v in tests.values() if isinstance(v, dict)}
    if not logged or not logged <= _this_run(results):
        return None
    return body[:start]


def history_runs(history: Path) -> int:
    """How many runs a history file holds (its non-blank lines, whatever their bytes; 0 when
    it does not exist)."""
    if not history.is_file():
        return 0
    with history.open("rb") as lines:
        return sum(1 for line in lines if line.strip())


def report_data(index: Path) -> dict[str, bytes]:
    """The data files a single-file report embeds (``widgets/charts.json``,
    ``data/test-results/….json``, attachments …), by name, decoded."""
    html = index.read_text(encoding="utf-8")
    return {name: base64.b64decode(value) for name, value in _DATA_FILE.findall(html)}


def screenshot_report(index: Path, folder: Path, *, chromium: Path | None = None) -> list[Path]:
    """Open a single-file report in headless Chromium and save what a person sees first:
    ``allure-overview.png`` (the results) and ``allure-trend.png`` (the Graphs page, with
    the "Status dynamics" trend). Raises :class:`reports.browser.BrowserMissing` without
    Chromium, :class:`ReportError` when the report does not render."""
    from playwright.sync_api import Error as PlaywrightError

    from reports.browser import open_browser, open_page, screenshot

    shots: list[Path] = []
    try:
        with open_browser(chromium) as browser, open_page(browser, index) as view:
            page = view.page
            page.get_by_test_id("report-title").wait_for()
            shots.append(screenshot(page, folder / "allure-overview.png"))
            page.goto(f"{index.resolve().as_uri()}#charts")
            page.get_by_text("Status dynamics").first.wait_for()
            shots.append(screenshot(page, folder / "allure-trend.png"))
    except PlaywrightError as exc:
        raise ReportError(f"{index} did not render in Chromium: {exc.message}") from None
    return shots


_ALLURE_OUTPUT = frozenset(
    {
        "index.html",
        "summary.json",
        "test-results.json",
        "data",
        "widgets",
        "history",
        "plugin",
        "plugins",
        "export",
        "favicon.ico",
        "app.js",
        "styles.css",
    }
)
"""What Allure 3 writes in a report folder (single file or not), besides nothing else."""
REPORT_MARK = ".vneid-harness-report"
"""The file that marks a folder as a report this tool wrote, and so may replace whole."""


def check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is not an earlier report of this tool: it is deleted
    whole. Replaceable: a folder that does not exist or is empty, one holding the mark
    :data:`REPORT_MARK` and nothing but what the mark lists as written with it (a file
    someone added there since, such as notes, would be deleted), or one holding an Allure
    ``index.html`` and nothing but what Allure writes beside it (a report of an earlier
    version, before the mark)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ReportError(
            f"{out} exists and is a file, not a report folder; choose another --out or remove it"
        )
    entries = {p.name for p in out.iterdir()}
    written = _written(out / REPORT_MARK) if REPORT_MARK in entries else None
    if (
        not entries
        or (written is not None and entries <= written | {REPORT_MARK})
        or (
            "index.html" in entries
            and entries <= _ALLURE_OUTPUT
            and _is_allure_page(out / "index.html")
        )
    ):
        return
    if written is not None:
        added = sorted(entries - written - {REPORT_MARK})
        raise ReportError(
            f"{out} is a report this tool wrote, but it also holds "
            f"{', '.join(added[:3])}{', …' if len(added) > 3 else ''}, which "
            "replacing it would delete; move that elsewhere or choose another "
            "--out"
        )
    raise ReportError(
        f"{out} exists and is not a report this tool wrote (it holds "
        f"{', '.join(sorted(entries)[:3])}{', …' if len(entries) > 3 else ''}): "
        "replacing it would delete all of that; choose another --out or remove "
        "the folder yourself"
    )


_MARK_HEADER = (
    "an Allure report written by vneid-harness; the next report replaces this "
    "folder whole if it holds only what it wrote, listed below:"
)


def _written(mark: Path) -> frozenset[str] | None:
    """What the report that left ``mark`` wrote beside it: the names listed in the mark; for
    a mark of an earlier version, which lists nothing, what Allure writes (its files and
    hashed assets) of what is there now; ``None`` when the mark cannot be read."""
    try:
        lines = mark.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != _MARK_HEADER:  # an earlier version's mark: what Allure writes
        return frozenset(
            p.name
            for p in mark.parent.iterdir()
            if p.name in _ALLURE_OUTPUT or _ALLURE_ASSET.fullmatch(p.name)
        )
    return frozenset(line for line in lines[1:] if line)


_ALLURE_ASSET = re.compile(
    r"(app|styles|vendors?|runtime)-[0-9a-f]{6,}\.(js|css)"
    r"(\.LICENSE\.txt)?"
)
"""The hashed scripts and styles of a multi-file Allure report (``app-<hash>.js``)."""


def _is_allure_page(index: Path) -> bool:
    try:
        with index.open("rb") as page:
            return b"allure" in page.read(65536).lower()
    except OSError:
        return False


def _make_folder(folder: Path, what: str, fix: str) -> None:
    """``folder`` with its parents, or a :class:`ReportError` naming what is in the way."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next(
            (p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None
        )
        if blocker is not None:
            raise ReportError(
                f"cannot create {what}: {blocker} is a file, not a folder; "
                f"{fix}, or move that file away"
            ) from None
        raise ReportError(f"cannot create {what}: {exc.strerror or exc}; {fix}") from None


def _parse_object(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """``raw`` as one JSON object in UTF-8 (what Allure reads), or ``None`` and why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8: byte {raw[exc.start]:#04x} at offset {exc.start}"
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column" if exc.lineno > 1 else "column"
        return None, f"not JSON: {exc.msg} at {where} {exc.colno}"
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    except RecursionError:
        return None, "not JSON Allure can read: nested too deeply"
    if not isinstance(value, dict):
        return None, f"a JSON {_json_kind(value)}, not an object"
    return value, ""


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "number"


def _unreadable_results(results: Path) -> list[str]:
    """One warning per result or container file of ``results`` that Allure cannot read (it
    would leave it out without a word); a :class:`ReportError` when no result file is
    readable."""
    warnings: list[str] = []
    readable = unreadable = 0
    first: list[str] = []
    for pattern, loses in (
        ("*-result.json", "that test"),
        ("*-container.json", "the set-up and tear-down steps it holds"),
    ):
        for path in sorted(results.glob(pattern)):
            if path.exists() and not path.is_file() and not path.is_dir():
                raise ReportError(
                    f"{path} is not a file (a named pipe, a socket or a device), "
                    "and reading it would wait for ever (Allure's too): move it "
                    "out of the results folder"
                )
            try:
                problem = _parse_object(path.read_bytes())[1]
            except OSError as exc:
                problem = f"cannot be read: {exc.strerror or exc}"
            if not problem:
                readable += 1 if pattern == "*-result.json" else 0
                continue
            warnings.append(
                f"unreadable Allure file {path} ({problem}): the report leaves out {loses}"
            )
            if pattern == "*-result.json":
                unreadable += 1
                if len(first) < 3:
                    first.append(f"{path.name}: {problem}")
    if readable == 0:
        more = f" and {unreadable - len(first)} more" if unreadable > len(first) else ""
        raise ReportError(
            f"no readable Allure result in {results}: its {unreadable} "
            f"*-result.json file(s) are corrupt ({'; '.join(first)}{more}); "
            "run the suites again to write new results"
        )
    return warnings


_HISTORY_FIELDS: tuple[tuple[str, tuple[type, ...], bool], ...] = (
    ("uuid", (str,), True),
    ("name", (str,), True),
    ("timestamp", (int, float), True),
    ("testResults", (dict,), True),
    ("knownTestCaseIds", (list,), False),
    ("metrics", (dict,), False),
    ("url", (str,), False),
)
"""The fields of a run in Allure 3's history file (``createHistory`` in
``@allurereport/core``): name, JSON types, required. Allure 3.18 writes them all; the last
three are optional, as Allure reads them."""


def _history_line_problem(raw: bytes) -> str | None:
    """Why one line of a history file is not a run as Allure 3 writes it, or ``None``."""
    run, problem = _parse_object(raw)
    if run is None:
        return f"is {problem}"
    for key, kinds, required in _HISTORY_FIELDS:
        if key not in run:
            if required:
                return f"has no {key!r} (not a run as Allure writes it)"
            continue
        value = run[key]
        if not isinstance(value, kinds) or isinstance(value, bool):
            wanted = {str: "a string", int: "a number", dict: "an object", list: "an array"}[
                kinds[0]
            ]
            return f"has {key!r} {_json_kind(value)}, not {wanted}"
    bad = next((k for k, v in run["testResults"].items() if not isinstance(v, dict)), None)
    if bad is not None:
        return f"has testResults[{bad!r}] that is not an object"
    if "knownTestCaseIds" in run and not all(isinstance(i, str) for i in run["knownTestCaseIds"]):
        return "has 'knownTestCaseIds' that are not all strings"
    return None


def _history_problem(history: Path) -> str | None:
    """Why Allure cannot use the history file (a warning: the report is then built without
    it, and it is left as it is), or ``None`` (also when it does not exist yet). A folder or
    an unreadable file is a :class:`ReportError`."""
    if not history.exists():
        return None
    if not history.is_file():
        kind = (
            "a folder"
            if history.is_dir()
            else "not a regular file (a named pipe, a socket or a device)"
        )
        raise ReportError(
            f"the history file {history} is {kind}; choose another history "
            "file (`report --history FILE`) or move it away"
        )
    try:
        with history.open("rb") as lines:  # a line at a time: a history may be large
            for number, raw in enumerate(lines, start=1):
                problem = _history_line_problem(raw) if raw.strip() else None
                if problem is not None:
                    return (
                        f"history file {history} not used: line {number} {problem}; the "
                        "report is built without history (no trend) and the file is left "
                        f"as it is: fix or delete line {number}, or move the file aside to "
                        "start a new history"
                    )
    except OSError as exc:
        raise ReportError(
            f"cannot read the history file {history}: {exc.strerror or exc}"
        ) from None
    return None
