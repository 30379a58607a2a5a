"""reports.allure_html with bad input: a history file that is not Allure's (not UTF-8, not
JSON, not a run), paths under a regular file, unreadable result files. Each is named in one
line; the user's files are left as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from harness.run_reports import allure_html
from reports.allure_html import ReportError, generate_report, history_runs, report_data
from tests.reports_html.tiny_results import FAILED, PASSED, as_a_later_run, write_tiny_results

A_RUN = {
    "uuid": "3854b91e-cfd6-481f-9f01-a0ec987002c6",
    "name": "nightly",
    "timestamp": 1_796_440_621_610,
    "knownTestCaseIds": ["befb4e89"],
    "testResults": {
        "befb4e89.eced44f1": {
            "id": "1d04f65e",
            "name": "test_x",
            "status": "passed",
            "historyId": "befb4e89",
        }
    },
    "metrics": {},
    "url": "",
}
"""One line of a history file as Allure 3.18 writes it (fewer tests)."""


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_tiny_results(tmp_path / "out" / "allure-results")


def _names_in(index: Path) -> set[str]:
    return {
        json.loads(body)["name"]
        for name, body in report_data(index).items()
        if name.startswith("data/test-results/")
    }


def test_history_runs_counts_lines_that_are_not_utf8(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_bytes(b'{"name": "caf\xe9"}\n\n{"name": "b"}\n')
    assert history_runs(history) == 2


def test_a_run_with_a_history_not_in_utf8_names_it_and_keeps_it(results: Path) -> None:
    """What `run` calls at its end: the report is made without history, the history file's
    line is named with what to do, and nothing raises (the suites' status stands)."""
    history = results.parent / "history" / "history.jsonl"
    history.parent.mkdir()
    content = json.dumps({**A_RUN, "name": "café"}, ensure_ascii=False).encode("latin-1")
    history.write_bytes(content + b"\n")
    console = Console(record=True, width=400)
    index = allure_html(results.parent, console)
    said = console.export_text()
    assert index is not None, said
    assert _names_in(index) == {PASSED, FAILED}
    assert (
        f"warning: history file {history} not used: line 1 is not UTF-8: byte 0xe9 at offset"
    ) in said
    assert "move the file aside to start a new history" in said
    assert "no history" in said
    assert history.read_bytes() == content + b"\n"


@pytest.mark.parametrize(
    ("lines", "number", "why"),
    [
        (["not json at all"], 1, "is not JSON: Expecting value at column 1"),
        (["null"], 1, "is a JSON null, not an object"),
        (["{}"], 1, "has no 'uuid'"),
        (["[]"], 1, "is a JSON array, not an object"),
        ([json.dumps(A_RUN), "", '{"broken":'], 3, "is not JSON"),
        (
            [json.dumps(A_RUN), json.dumps({**A_RUN, "timestamp": "today"})],
            2,
            "has 'timestamp' string, not a number",
        ),
        ([json.dumps({**A_RUN, "testResults": []})], 1, "has 'testResults' array, not an object"),
        (
            [json.dumps({**A_RUN, "testResults": {"a": 1}})],
            1,
            "has testResults['a'] that is not an object",
        ),
        ([json.dumps(A_RUN).replace("1796440621610", "NaN")], 1, "is not JSON: NaN"),
    ],
)
def test_a_corrupt_history_is_named_by_line_and_left_as_it_is(
    results: Path, tmp_path: Path, lines: list[str], number: int, why: str
) -> None:
    history = tmp_path / "history.jsonl"
    content = "\n".join(lines) + "\n"
    history.write_text(content, encoding="utf-8")
    made = generate_report(results, tmp_path / "report", history=history)
    [warning] = made.warnings
    assert warning.startswith(f"history file {history} not used: line {number} {why}")
    assert f"fix or delete line {number}" in warning
    assert made.history_file is None
    assert _names_in(made.index) == {PASSED, FAILED}
    assert history.read_text(encoding="utf-8") == content, "the user's history is untouched"
    again = generate_report(results, tmp_path / "report", history=history)
    assert again.warnings == made.warnings, "every later report says it again, and works"


def test_a_history_as_allure_writes_it_is_used(results: Path, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(json.dumps(A_RUN) + "\n\n", encoding="utf-8")
    made = generate_report(results, tmp_path / "report", history=history)
    assert made.warnings == ()
    assert made.history_runs == 2
    second = generate_report(
        as_a_later_run(results, tmp_path / "later"), tmp_path / "report", history=history
    )
    assert second.warnings == ()
    assert second.history_runs == 3


def test_a_history_under_a_regular_file_is_a_report_error(results: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    history = blocker / "sub" / "history.jsonl"
    with pytest.raises(ReportError) as caught:
        generate_report(results, tmp_path / "report", history=history)
    assert str(caught.value).startswith(
        f"cannot create the folder of the history file {history}: {blocker} is a file, "
        "not a folder;"
    )
    assert blocker.read_text() == "mine"
    assert not (tmp_path / "report").exists()


def test_a_report_under_a_regular_file_is_a_report_error(results: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("mine")
    out = blocker / "x" / "report"
    with pytest.raises(
        ReportError,
        match=f"cannot create the folder of the report {out}: "
        f"{blocker} is a file, not a folder; choose "
        "another --out",
    ):
        generate_report(results, out, history=None)
    assert blocker.read_text() == "mine"


def test_a_history_that_is_a_folder_is_a_report_error(results: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=f"the history file {tmp_path} is a folder"):
        generate_report(results, tmp_path / "report", history=tmp_path)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"uuid": "x", "name": "test_tiny', "not JSON: Unterminated string"),
        (b'\xff\xfe{"name": "x"}', "not UTF-8: byte 0xff at offset 0"),
        (b"[]", "a JSON array, not an object"),
    ],
)
def test_an_unreadable_result_file_is_named(
    results: Path, tmp_path: Path, content: bytes, why: str
) -> None:
    [broken] = [
        p for p in results.glob("*-result.json") if json.loads(p.read_bytes())["name"] == FAILED
    ]
    broken.write_bytes(content)
    made = generate_report(results, tmp_path / "report", history=None)
    [warning] = made.warnings
    assert warning.startswith(f"unreadable Allure file {broken} ({why}")
    assert warning.endswith("the report leaves out that test")
    assert _names_in(made.index) == {PASSED}


def test_an_unreadable_container_file_is_named(results: Path, tmp_path: Path) -> None:
    container = results / "0a1b-container.json"
    container.write_text('{"uuid": "0a1b", "befores": [', encoding="utf-8")
    made = generate_report(results, tmp_path / "report", history=None)
    [warning] = made.warnings
    assert warning.startswith(f"unreadable Allure file {container} (not JSON")
    assert "set-up and tear-down steps" in warning
    assert _names_in(made.index) == {PASSED, FAILED}


def test_no_readable_result_is_a_report_error(tmp_path: Path) -> None:
    folder = tmp_path / "allure-results"
    folder.mkdir()
    (folder / "x-result.json").write_text("garbage", encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        generate_report(folder, tmp_path / "report", history=None)
    said = str(caught.value)
    assert said.startswith(
        f"no readable Allure result in {folder}: its 1 *-result.json "
        "file(s) are corrupt (x-result.json: not JSON: Expecting value"
    )
    assert "run the suites again" in said
    assert "\n" not in said
    assert not (tmp_path / "report").exists()
