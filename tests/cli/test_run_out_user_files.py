"""What a run deletes in ``--out`` once its first test reported is only what a run wrote: a
folder of the user's named ``allure-report`` (``--out .`` in a project of their own) and
their ``conformance-notes.json`` were deleted with the earlier verdicts."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from harness.run_out import out_problem, verdict_files
from harness.run_progress import ProgressReporter
from reports.allure_html import REPORT_MARK


def _options(out: Path) -> Any:
    return SimpleNamespace(out=out, result_file=out / "summary.json")


def _first_test_reports(out: Path, **outputs: Any) -> None:
    """What the run does to ``out`` once its first test reported (``_start_outputs``)."""
    reporter = ProgressReporter(
        Console(file=open(os.devnull, "w"), force_terminal=False),  # noqa: SIM115
        superseded=lambda: verdict_files(out),
        **outputs,
    )
    session: Any = SimpleNamespace(config=None, shouldstop=False, items=[])
    reporter.pytest_sessionstart(session)
    reporter._collected(["t.py::test_one"])
    for when in ("setup", "call", "teardown"):
        reporter.pytest_runtest_logreport(
            pytest.TestReport("t.py::test_one", ("t.py", 0, "test_one"), {}, "passed", None, when)
        )
    reporter.pytest_sessionfinish(session, 0)
    reporter.console.file.close()


def test_a_users_folder_named_allure_report_is_refused_before_the_run(tmp_path: Path) -> None:
    out = tmp_path / "project"
    (out / "allure-report").mkdir(parents=True)
    (out / "allure-report" / "notes.md").write_text("mine")
    problem = out_problem(_options(out))
    assert problem is not None
    assert f"--out {out}: {out / 'allure-report'} exists and is not a report" in problem
    assert "notes.md" in problem
    assert (out / "allure-report" / "notes.md").read_text() == "mine"


def test_notes_added_to_an_earlier_report_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = out / "allure-report"
    report.mkdir(parents=True)
    (report / "index.html").write_text("<html>allure</html>")
    (report / REPORT_MARK).write_text("whatever")  # an earlier version's mark
    (report / "review.txt").write_text("mine")
    problem = out_problem(_options(out))
    assert problem is not None
    assert "review.txt" in problem


@pytest.mark.parametrize("kind", ["absent", "empty", "allure", "marked", "link"])
def test_an_earlier_report_is_no_problem(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    report = out / "allure-report"
    if kind == "link":  # only the link goes: the folder it names stays
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "notes.md").write_text("mine")
        report.symlink_to(tmp_path / "elsewhere")
    elif kind != "absent":
        report.mkdir()
    if kind == "allure":
        (report / "index.html").write_text("<html><title>Allure Report</title></html>")
    if kind == "marked":
        (report / "index.html").write_text("<html></html>")
        (report / REPORT_MARK).write_text("whatever")
    assert out_problem(_options(out)) is None
    if kind == "link":
        _first_test_reports(out)
        assert not report.is_symlink()
        assert (tmp_path / "elsewhere" / "notes.md").read_text() == "mine"


def test_the_earlier_verdicts_go_and_a_users_conformance_files_stay(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    earlier = [
        "summary.json",
        "summary.html",
        "junit.xml",
        "conformance-vneid-provider.json",
        "conformance-vneid-provider.html",
        "conformance-vssid-relying-party.json",
        "conformance-vssid-relying-party.html",
    ]
    for name in earlier:
        (out / name).write_text("earlier")
    mine = ["conformance-notes.json", "conformance-review.html", "summary.json.bak"]
    for name in mine:
        (out / name).write_text("mine")
    _first_test_reports(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(mine)
    assert all((out / name).read_text() == "mine" for name in mine)


def test_a_link_at_results_jsonl_is_replaced_and_the_file_it_names_kept(tmp_path: Path) -> None:
    """``results.jsonl`` was opened for writing through a symbolic link: the file it named,
    outside ``--out``, was truncated and written over (``junit.xml`` and the verdict replace
    the link)."""
    out = tmp_path / "out"
    out.mkdir()
    mine = tmp_path / "important.jsonl"
    mine.write_text("mine\n")
    (out / "results.jsonl").symlink_to(mine)
    _first_test_reports(out, journal=out / "results.jsonl")
    assert mine.read_text() == "mine\n"
    assert not (out / "results.jsonl").is_symlink()
    assert "t.py::test_one" in (out / "results.jsonl").read_text()
