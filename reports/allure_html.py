"""The Allure HTML report of a run: npm ``allure`` (Allure 3, Node only, no Java).

:func:`generate_report` turns ``allure-results/`` (written by allure-pytest) into
``allure-report/index.html`` with ``allure awesome``. By default the report is one
self-contained file (``--single-file``: scripts, styles and data inlined), so it opens
straight from disk or from a CI artifact; a multi-file report must be served over HTTP.

Run history (the "Status dynamics" trend, and each test's history tab) is Allure 3's
*history file*: a JSON-lines file, one line per generated report, which Allure reads before
and appends to after each generation (``--history-path``; ``historyLimit`` in an allurerc
config caps the number of runs kept). It lives outside the report folder (by default
``reports/out/history/history.jsonl``) so a regenerated report keeps it and CI can cache
and restore it between builds.

The Awesome template hard-codes a Google Analytics tag; :func:`generate_report` removes it,
so opening a report makes no network request at all.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

__all__ = [
    "ALLURE_ENV",
    "DEFAULT_HISTORY_LIMIT",
    "DEFAULT_NAME",
    "AllureReport",
    "AllureToolMissing",
    "ReportError",
    "find_allure",
    "generate_report",
    "history_runs",
    "project_root",
    "report_data",
    "screenshot_report",
]

ALLURE_ENV = "VNEID_HARNESS_ALLURE"
"""Environment variable naming the ``allure`` executable (npm's, Allure 3)."""
DEFAULT_NAME = "VNeID → VssID login (vneid-harness)"
DEFAULT_HISTORY_LIMIT = 10
_FIX = ("run `make setup` in the project folder (it runs `npm ci`, which installs npm's "
        "`allure` from package.json into node_modules/), or point --allure / "
        f"{ALLURE_ENV} at an Allure 3 `allure` executable")
_ANALYTICS = re.compile(
    r'<script async src="https://www\.googletagmanager\.com/gtag/js[^"]*"></script>\s*'
    r"<script>\s*window\.dataLayer.*?</script>\s*", re.DOTALL)
_DATA_FILE = re.compile(r'd\("([^"]+)","([^"]*)"\)')


class ReportError(HarnessError):
    """The report could not be generated; the message says why and what to do."""


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
    """Runs the history file holds after this generation, this one included (1 without a
    history file)."""
    seconds: float

    @property
    def size_bytes(self) -> int:
        """Size of the report on disk (the one file, or every file of a multi-file report)."""
        if self.single_file:
            return self.index.stat().st_size
        return sum(p.stat().st_size for p in self.output.rglob("*") if p.is_file())

    def describe(self) -> str:
        """One line for the console: where, how big, how many runs in the trend."""
        trend = (f"{self.history_runs} run(s) in its history {self.history_file}"
                 if self.history_file else "no history")
        kind = "one file" if self.single_file else "a folder to serve over HTTP"
        return (f"Allure report: {self.index} ({kind}, {self.size_bytes / 1e6:.1f} MB; "
                f"{trend}; generated in {self.seconds:.1f} s)")


def project_root() -> Path:
    """The folder with ``package.json`` and ``node_modules/`` (the repository root)."""
    return Path(__file__).resolve().parent.parent


def find_allure(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The ``allure`` executable: ``explicit``, else ``$VNEID_HARNESS_ALLURE``, else
    ``node_modules/.bin/allure`` under the project root. Raises :class:`AllureToolMissing`
    with how to fix it. (No ``PATH`` lookup: an ``allure`` there may be Allure 2, whose
    command line differs.)"""
    env = os.environ if env is None else env
    if explicit is not None:
        candidate, origin = explicit, "--allure"
    elif env.get(ALLURE_ENV):
        candidate, origin = Path(env[ALLURE_ENV]), ALLURE_ENV
    else:
        candidate, origin = project_root() / "node_modules" / ".bin" / "allure", "default"
    if not candidate.is_file():
        where = (f"{candidate} (from {origin}) does not exist" if origin != "default"
                 else f"the Allure 3 command line is not installed ({candidate} is missing)")
        raise AllureToolMissing(f"{where}; {_FIX}")
    if not os.access(candidate, os.X_OK):
        raise AllureToolMissing(f"{candidate} is not executable; {_FIX}")
    if shutil.which("node", path=env.get("PATH")) is None:
        raise AllureToolMissing(
            "`node` (Node.js 20 or later) is not on PATH, and npm's allure runs on Node; "
            "install Node.js 20+ (e.g. from nodejs.org or NodeSource), then `make setup`")
    return candidate


def generate_report(results: Path, out: Path, *, name: str = DEFAULT_NAME,
                    single_file: bool = True, history: Path | None = None,
                    history_limit: int = DEFAULT_HISTORY_LIMIT, allure: Path | None = None,
                    timeout: float = 600.0, env: Mapping[str, str] | None = None
                    ) -> AllureReport:
    """Generate the Allure Awesome report of ``results`` into ``out`` (replaced).

    ``history``: the history file to read and append to (``None``: no trend). The new report
    is built in a folder beside ``out`` and moved into place only when complete, so a failed
    generation leaves the previous report as it was.
    """
    env = dict(os.environ if env is None else env)
    results = results.resolve()
    out = out.resolve()
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise ReportError(f"no Allure results in {results} (no *-result.json); run the suites "
                          "first (`vneid-harness run`, or pytest with --alluredir)")
    if history_limit < 1:
        raise ReportError(f"--history-limit must be at least 1, got {history_limit}")
    _check_replaceable(out)
    executable = find_allure(allure, env)
    if history is not None:
        history = history.resolve()
        history.parent.mkdir(parents=True, exist_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    env.update(NO_COLOR="1", FORCE_COLOR="0")
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".allure-", dir=out.parent) as scratch:
        work = Path(scratch)
        config = work / "allurerc.json"
        config.write_text(json.dumps({"historyLimit": history_limit}), encoding="utf-8")
        built = work / "report"
        command = [str(executable), "awesome", str(results), "--output", str(built),
                   "--config", str(config), "--report-name", name]
        if single_file:
            command.append("--single-file")
        if history is not None:
            command += ["--history-path", str(history)]
        try:
            # the executable is find_allure's, the arguments a list: no shell involved
            done = subprocess.run(command, cwd=work, env=env,  # noqa: S603
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(f"allure did not finish within {timeout:.0f} s") from None
        except OSError as exc:
            raise AllureToolMissing(f"cannot start {executable}: {exc}; {_FIX}") from None
        index = built / "index.html"
        if done.returncode != 0 or not index.is_file():
            said = (done.stderr.strip() or done.stdout.strip())[-2000:]
            hint = (" (too large for one file: try --multi-file)"
                    if "too large" in said else "")
            raise ReportError(f"allure awesome failed (exit {done.returncode}){hint}: {said}")
        index.write_text(_ANALYTICS.sub("", index.read_text(encoding="utf-8")),
                         encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        shutil.move(built, out)
    seconds = time.perf_counter() - clock
    runs = history_runs(history) if history is not None else 1
    return AllureReport(out, out / "index.html", single_file, history, runs, seconds)


def history_runs(history: Path) -> int:
    """How many runs a history file holds (one JSON line each; 0 when it does not exist)."""
    if not history.is_file():
        return 0
    with history.open(encoding="utf-8") as lines:
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


def _check_replaceable(out: Path) -> None:
    """Refuse to replace a folder that is not an earlier report (it would be deleted)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / "index.html").is_file())):
        raise ReportError(f"{out} exists and is not an Allure report (no index.html); "
                          "choose another --out or remove it")
