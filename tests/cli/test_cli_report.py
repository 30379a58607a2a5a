"""`vneid-harness report` (the Allure HTML report) and the report at the end of `run`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import harness.run
from harness.cli import app
from harness.run import RunOptions
from harness.run_reports import allure_html
from reports.allure_html import history_runs, report_data
from tests.reports_html.tiny_results import as_a_later_run, write_tiny_results

runner = CliRunner()
BIN = Path(sys.executable).parent / "vneid-harness"
WIDE = {"COLUMNS": "300"}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_tiny_results(tmp_path / "out" / "allure-results")


def test_report_generates_the_single_file_and_keeps_history(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "allure-report"
    args = ["report", "--out", str(out), "--name", "nightly"]
    first = runner.invoke(app, [*args, "--results", str(results)], env=WIDE)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, [*args, "--results", str(results)], env=WIDE)
    assert "1 run(s) in its history" in again.output, "the same results are one run"
    later = as_a_later_run(results, tmp_path / "out" / "later-results")
    second = runner.invoke(app, [*args, "--results", str(later)], env=WIDE)
    assert second.exit_code == 0, second.output
    index = out / "index.html"
    assert f"Allure report: {index} (one file" in second.output
    assert "2 run(s) in its history" in second.output
    history = tmp_path / "out" / "history" / "history.jsonl"  # beside the results
    assert history_runs(history) == 2
    assert "nightly" in index.read_text(encoding="utf-8")


def test_report_without_history_and_as_a_folder(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "folder-report"
    done = runner.invoke(
        app,
        ["report", "--results", str(results), "--out", str(out), "--multi-file", "--no-history"],
        env=WIDE,
    )
    assert done.exit_code == 0, done.output
    assert "a folder to serve over HTTP" in done.output
    assert "no history" in done.output
    assert report_data(out / "index.html") == {}
    assert not (tmp_path / "out" / "history").exists()


def test_report_explicit_history_and_limit(results: Path, tmp_path: Path) -> None:
    history = tmp_path / "cache" / "trend.jsonl"
    for _ in range(3):
        done = runner.invoke(
            app,
            [
                "report",
                "--results",
                str(results),
                "--out",
                str(tmp_path / "r"),
                "--history",
                str(history),
                "--history-limit",
                "1",
            ],
            env=WIDE,
        )
        assert done.exit_code == 0, done.output
    assert history_runs(history) == 1


def test_report_names_the_missing_allure_and_the_fix(results: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "allure"
    done = runner.invoke(
        app,
        [
            "report",
            "--results",
            str(results),
            "--out",
            str(tmp_path / "r"),
            "--allure",
            str(missing),
        ],
        env=WIDE,
    )
    assert done.exit_code == 2
    assert f"{missing} (from --allure) does not exist" in done.output
    assert "make setup" in done.output
    assert "Traceback" not in done.output
    by_env = runner.invoke(
        app,
        ["report", "--results", str(results), "--out", str(tmp_path / "r")],
        env={**WIDE, "VNEID_HARNESS_ALLURE": str(missing)},
    )
    assert by_env.exit_code == 2
    # the variable is named, not --allure, which was not given (a docs walkthrough)
    assert f"{missing} (from VNEID_HARNESS_ALLURE) does not exist" in " ".join(
        by_env.output.split()
    ), by_env.output


def test_report_without_results_is_a_usage_error(tmp_path: Path) -> None:
    done = runner.invoke(
        app, ["report", "--results", str(tmp_path / "none"), "--out", str(tmp_path / "r")], env=WIDE
    )
    assert done.exit_code == 2
    assert "no Allure results" in done.output


def test_report_screenshots(results: Path, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    done = runner.invoke(
        app,
        [
            "report",
            "--results",
            str(results),
            "--out",
            str(tmp_path / "r"),
            "--screenshot",
            str(shots),
        ],
        env=WIDE,
    )
    assert done.exit_code == 0, done.output
    for name in ("allure-overview.png", "allure-trend.png"):
        png = shots / name
        assert f"screenshot: {png}" in done.output
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000
    refused = runner.invoke(
        app,
        [
            "report",
            "--results",
            str(results),
            "--out",
            str(tmp_path / "r"),
            "--multi-file",
            "--screenshot",
            str(shots),
        ],
        env=WIDE,
    )
    assert refused.exit_code == 2
    assert "needs a single-file report" in refused.output


@pytest.mark.parametrize(("flag", "expected"), [([], True), (["--no-report"], False)])
def test_run_asks_for_the_report_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flag: list[str], expected: bool
) -> None:
    seen: list[RunOptions] = []

    def fake_run_suites(options: RunOptions, console: Any = None, errors: Any = None) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(harness.run, "run_suites", fake_run_suites)
    done = runner.invoke(app, ["run", "--out", str(tmp_path), *flag])
    assert done.exit_code == 0, done.output
    assert [o.allure_report for o in seen] == [expected]


def test_a_run_without_allure_warns_with_the_fix(
    results: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VNEID_HARNESS_ALLURE", "/nonexistent/allure")
    console = Console(record=True, width=300)
    assert allure_html(results.parent, console) is None
    said = console.export_text()
    assert "no Allure HTML report: /nonexistent/allure" in said
    assert "make setup" in said
    assert not (results.parent / "allure-report").exists()


def test_run_writes_the_allure_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [str(BIN), "run", "--out", str(out), "-k", "lands_on_vssid_home"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "300", "PATH": os.environ["PATH"]},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    index = out / "allure-report" / "index.html"
    assert f"Allure report: {index} (one file" in done.stdout
    tests = [n for n in report_data(index) if n.startswith("data/test-results/")]
    assert len(tests) == 2, "the two platforms of the happy path"
    assert history_runs(out / "history" / "history.jsonl") == 1


def test_report_shows_what_a_failing_allure_said(results: Path, tmp_path: Path) -> None:
    broken = tmp_path / "allure"
    broken.write_text("#!/bin/sh\necho '[/red] cannot parse results [x]' >&2\nexit 3\n")
    broken.chmod(0o755)
    done = runner.invoke(
        app,
        [
            "report",
            "--results",
            str(results),
            "--out",
            str(tmp_path / "r"),
            "--allure",
            str(broken),
        ],
        env=WIDE,
    )
    assert done.exit_code == 2
    assert "allure awesome failed (exit 3): [/red] cannot parse results [x]" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_a_report_while_another_writes_the_same_folders_is_refused(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reports on one history file (or a report while a run writes --out) each read the
    history and wrote it back with their own line: one run's line was lost."""
    import reports.allure_html
    from tests.harness.test_folder_lock import held_elsewhere

    monkeypatch.setattr(reports.allure_html, "REPORT_LOCK_WAIT", 0.3)

    history = tmp_path / "out" / "history" / "history.jsonl"
    first = runner.invoke(
        app,
        ["report", "--results", str(results), "--out", str(tmp_path / "out" / "allure-report")],
        env=WIDE,
    )
    assert first.exit_code == 0, first.output
    before = history.read_bytes()
    later = as_a_later_run(results, tmp_path / "out" / "later-results")
    for busy in (history.parent, tmp_path / "out"):
        with held_elsewhere(busy):
            done = runner.invoke(
                app,
                [
                    "report",
                    "--results",
                    str(later),
                    "--out",
                    str(tmp_path / "out" / "allure-report"),
                ],
                env=WIDE,
            )
        said = " ".join(done.output.split())
        assert done.exit_code == 2, said
        assert (
            f"error: another vneid-harness run or report is writing into {busy} (waited "
            "0 s); wait for it to end, or give this report another --out (or --history)"
        ) in said
        assert history.read_bytes() == before
    done = runner.invoke(
        app,
        ["report", "--results", str(later), "--out", str(tmp_path / "out" / "allure-report")],
        env=WIDE,
    )
    assert done.exit_code == 0, done.output
    assert history_runs(history) == 2


def test_a_report_waits_for_another_that_ends(results: Path, tmp_path: Path) -> None:
    """Reports into sibling folders (one CI job per team) refused each other at once; they
    take turns now."""
    import threading

    from tests.harness.test_folder_lock import held_elsewhere

    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        with held_elsewhere(tmp_path / "out"):
            held.set()
            released.wait(0.8)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        done = runner.invoke(
            app,
            ["report", "--results", str(results), "--out", str(tmp_path / "out" / "allure-report")],
            env=WIDE,
        )
    finally:
        released.set()
        holder.join()
    assert done.exit_code == 0, done.output
    assert (
        f"waiting (up to 60 s) for the vneid-harness run or report writing into "
        f"{tmp_path / 'out'}" in " ".join(done.output.split())
    )
