"""`vneid-harness report` with bad input: one line naming the file, never a traceback or
Allure's Node stack; the user's files as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from tests.reports_html.tiny_results import write_tiny_results

runner = CliRunner()
WIDE = {"COLUMNS": "400"}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_tiny_results(tmp_path / "out" / "allure-results")


def _error_line(output: str) -> str:
    assert "Traceback" not in output
    assert "at JSON.parse" not in output
    [line] = [line for line in output.splitlines() if line.strip()]
    return line


@pytest.mark.parametrize("option", ["--history", "--out"])
def test_a_path_under_a_regular_file_is_one_line(
    results: Path, tmp_path: Path, option: str
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    path = blocker / "sub" / "x"
    args = {"--out": str(tmp_path / "report"), option: str(path)}
    done = runner.invoke(
        app,
        ["report", "--results", str(results), *(part for pair in args.items() for part in pair)],
        env=WIDE,
    )
    assert done.exit_code == 2, done.output
    line = _error_line(done.output)
    assert line.startswith("error: cannot create the folder of the ")
    assert f"{path}: {blocker} is a file, not a folder;" in line
    assert blocker.read_text() == "mine"


@pytest.mark.parametrize("line", ["not json at all", "null", "{}"])
def test_a_corrupt_history_is_a_warning_and_the_report_is_made(
    results: Path, tmp_path: Path, line: str
) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(line + "\n", encoding="utf-8")
    out = tmp_path / "report"
    args = ["report", "--results", str(results), "--out", str(out), "--history", str(history)]
    for _ in range(2):  # and the next report too
        done = runner.invoke(app, args, env=WIDE)
        assert done.exit_code == 0, done.output
        assert "Traceback" not in done.output
        assert "at JSON.parse" not in done.output
        warning, made = [line for line in done.output.splitlines() if line.strip()]
        assert warning.startswith(f"warning: history file {history} not used: line 1 ")
        assert made.startswith(f"Allure report: {out / 'index.html'} (one file")
        assert "no history" in made
        assert history.read_text(encoding="utf-8") == line + "\n"


def test_a_corrupt_result_is_a_warning_and_none_readable_an_error(
    results: Path, tmp_path: Path
) -> None:
    broken = sorted(results.glob("*-result.json"))[0]
    broken.write_bytes(b'{"uuid": "trunc')
    done = runner.invoke(
        app,
        ["report", "--results", str(results), "--out", str(tmp_path / "r"), "--no-history"],
        env=WIDE,
    )
    assert done.exit_code == 0, done.output
    assert f"warning: unreadable Allure file {broken} (not JSON" in done.output
    for other in results.glob("*-result.json"):
        other.write_text("garbage", encoding="utf-8")
    done = runner.invoke(
        app,
        ["report", "--results", str(results), "--out", str(tmp_path / "r"), "--no-history"],
        env=WIDE,
    )
    assert done.exit_code == 2, done.output
    line = _error_line(done.output)
    assert line.startswith(
        f"error: no readable Allure result in {results}: its 2 *-result.json file(s) are corrupt ("
    )
    assert broken.name in line
