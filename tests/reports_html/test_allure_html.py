"""reports.allure_html: the Allure HTML report from a tiny results folder, with npm's
allure (node_modules/.bin/allure, installed by `make setup`)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from harness.plugin_options import CLAUSES_LABEL
from reports.allure_html import (
    ALLURE_ENV,
    AllureToolMissing,
    ReportError,
    find_allure,
    generate_report,
    history_runs,
    project_root,
    report_data,
)
from tests.reports_html.tiny_results import (
    DIAGRAM,
    FAILED,
    HOP,
    PASSED,
    as_a_later_run,
    write_tiny_results,
)


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_tiny_results(tmp_path / "allure-results")


def _tests_in(index: Path) -> dict[str, dict[str, object]]:
    """The test results embedded in a single-file report, by name."""
    found: dict[str, dict[str, object]] = {}
    for name, body in report_data(index).items():
        if name.startswith("data/test-results/"):
            result = json.loads(body)
            found[result["name"]] = result
    return found


def _trend(index: Path) -> list[dict[str, object]]:
    charts = json.loads(report_data(index)["widgets/charts.json"])
    [dynamics] = [c for c in charts["general"].values() if c["type"] == "statusDynamics"]
    points: list[dict[str, object]] = dynamics["data"]
    return points


def test_the_npm_allure_is_found_under_the_project_root() -> None:
    allure = find_allure(env={"PATH": os.environ["PATH"]})
    assert allure == project_root() / "node_modules" / ".bin" / "allure"


def test_a_relative_allure_path_works_from_the_current_folder(
    results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--allure node_modules/.bin/allure`` (as docs/reports.md shows it) was checked from the
    current folder and then started from a scratch folder, where it does not exist."""
    monkeypatch.chdir(project_root())
    relative = Path("node_modules") / ".bin" / "allure"
    assert find_allure(relative, env={"PATH": os.environ["PATH"]}).is_absolute()
    made = generate_report(results, tmp_path / "report", history=None, allure=relative)
    assert made.index.is_file()


def test_a_single_file_report_holds_every_test_offline(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "allure-report"
    made = generate_report(results, out, name="tiny run", history=None)
    assert made.index == out / "index.html"
    assert made.single_file
    html = made.index.read_text(encoding="utf-8")
    assert re.search(r"<title>\s*tiny run\s*</title>", html)
    # one file: no script or stylesheet loaded from beside it, and no analytics tag
    assert not (out / "app.js").exists()
    assert "googletagmanager" not in html
    assert 'src="https://' not in html
    tests = _tests_in(made.index)
    assert set(tests) == {PASSED, FAILED}
    assert tests[PASSED]["status"] == "passed"
    assert tests[FAILED]["status"] == "failed"
    assert made.size_bytes == made.index.stat().st_size
    assert made.history_file is None
    assert "no history" in made.describe()


def test_steps_and_the_diagram_attachment_reach_the_report(results: Path, tmp_path: Path) -> None:
    made = generate_report(results, tmp_path / "report", history=None)
    data = report_data(made.index)
    passed = next(
        json.loads(b)
        for n, b in data.items()
        if n.startswith("data/test-results/") and json.loads(b)["name"] == PASSED
    )
    steps = json.dumps(passed["steps"], ensure_ascii=False)
    assert HOP in steps
    assert DIAGRAM in steps
    svgs = [body for name, body in data.items() if name.startswith("data/attachments/")]
    assert any(body.startswith(b"<svg") for body in svgs)


def test_history_is_kept_across_two_generations(results: Path, tmp_path: Path) -> None:
    history = tmp_path / "history" / "history.jsonl"
    out = tmp_path / "allure-report"
    first = generate_report(results, out, history=history)
    assert first.history_runs == 1
    assert len(_trend(first.index)) == 1
    later = as_a_later_run(results, tmp_path / "later-results")
    second = generate_report(later, out, history=history)
    assert second.history_runs == history_runs(history) == 2
    assert len(history.read_text(encoding="utf-8").splitlines()) == 2
    trend = _trend(second.index)
    assert len(trend) == 2, "the trend shows the previous run and this one"
    assert all(point["statistic"] == {"total": 2, "passed": 1, "failed": 1} for point in trend)
    assert f"2 run(s) in its history {history}" in second.describe()


def test_a_stopped_runs_report_shows_the_trend_and_leaves_the_history(
    results: Path, tmp_path: Path
) -> None:
    """A run stopped before its end (Ctrl-C, SIGTERM, pytest.exit) was appended to the
    history: its few results read in every later trend as a drop. Its report still shows
    the trend with it; the history file stays as it was, and the next run's report adds
    itself to the runs before the stop."""
    history = tmp_path / "history" / "history.jsonl"
    out = tmp_path / "allure-report"
    generate_report(results, out, history=history)
    before = history.read_bytes()
    stopped = generate_report(
        as_a_later_run(results, tmp_path / "stopped"), out, history=history, append_history=False
    )
    assert history.read_bytes() == before
    assert len(_trend(stopped.index)) == 2, "its own report shows the trend with it"
    assert stopped.history_runs == 1
    assert f"1 earlier run(s) in its history {history}, this stopped run not added" in (
        stopped.describe()
    )
    assert any(f"{history} is left as it was" in w for w in stopped.warnings)
    after = as_a_later_run(results, tmp_path / "after", later_ms=120_000)
    later = generate_report(after, out, history=history)
    assert later.history_runs == 2
    assert len(_trend(later.index)) == 2
    assert not later.warnings


def test_a_report_made_again_from_the_same_results_adds_no_run(
    results: Path, tmp_path: Path
) -> None:
    """`report` after `run`, or a screenshot pass: the same results are one run of the
    trend and of each test's history, however often the report is made."""
    history = tmp_path / "history.jsonl"
    out = tmp_path / "allure-report"
    generate_report(results, out, history=history)
    again = generate_report(results, out, history=history)
    assert again.history_runs == history_runs(history) == 1
    assert len(_trend(again.index)) == 1
    later = generate_report(as_a_later_run(results, tmp_path / "later"), out, history=history)
    assert later.history_runs == 2


def test_history_keeps_at_most_the_limit(results: Path, tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    trend_sizes = []
    for n in range(4):
        run = as_a_later_run(results, tmp_path / f"run-{n}", later_ms=n * 60_000)
        made = generate_report(run, tmp_path / "report", history=history, history_limit=2)
        trend_sizes.append(len(_trend(made.index)))
        assert history_runs(history) <= 2
    # the trend shows this run and at most the 2 runs before it
    assert trend_sizes == [1, 2, 3, 3]
    assert history_runs(history) == 2


def test_a_multi_file_report_is_a_folder(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    made = generate_report(results, out, single_file=False, history=None)
    assert not made.single_file
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 3
    assert made.size_bytes == sum(p.stat().st_size for p in files)
    assert report_data(made.index) == {}, "its data lives in files, not in index.html"
    assert "googletagmanager" not in made.index.read_text(encoding="utf-8")


def test_regenerating_replaces_the_previous_report(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    generate_report(results, out, single_file=False, history=None)
    generate_report(results, out, history=None)
    assert not (out / "data").exists(), "nothing of the multi-file report is left"
    assert (out / "index.html").is_file()


def test_a_folder_that_is_not_a_report_is_not_replaced(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ReportError, match="not a report this tool wrote"):
        generate_report(results, out, history=None)
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_file_added_to_a_report_folder_is_not_deleted(results: Path, tmp_path: Path) -> None:
    """The mark says the folder is this tool's report, but a file someone put there since is
    not: regenerating is refused, naming it, and it stays."""
    out = tmp_path / "report"
    generate_report(results, out, history=None)
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ReportError, match=r"also holds notes\.txt"):
        generate_report(results, out, history=None)
    assert (out / "notes.txt").read_text() == "keep me"
    (out / "notes.txt").unlink()
    generate_report(results, out, history=None)  # only what it wrote: replaced again


def test_a_marked_report_of_an_earlier_version_is_replaced(results: Path, tmp_path: Path) -> None:
    """Its mark lists nothing (it was replaced whole then): it still is."""
    out = tmp_path / "marked-old"
    out.mkdir()
    (out / ".vneid-harness-report").write_text(
        "an Allure report written by vneid-harness; the next report replaces this folder whole\n"
    )
    (out / "index.html").write_text("<html>Allure</html>")
    (out / "app-0123abcd.js").write_text("//")
    generate_report(results, out, history=None)
    assert not (out / "app-0123abcd.js").exists()
    assert "index.html" in (out / ".vneid-harness-report").read_text().splitlines()
    old_mark = "an Allure report written by vneid-harness; the next report replaces it\n"
    (out / ".vneid-harness-report").write_text(old_mark)
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ReportError, match=r"also holds notes\.txt"):
        generate_report(results, out, history=None)  # an old mark vouches for Allure's only
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_report_of_an_earlier_version_is_replaced(results: Path, tmp_path: Path) -> None:
    """Before the mark file: an Allure index.html with Allure's summary files beside it."""
    out = tmp_path / "old-report"
    out.mkdir()
    (out / "index.html").write_text("<html><title>Allure Report</title></html>")
    (out / "summary.json").write_text("{}")
    (out / "test-results.json").write_text("[]")
    generate_report(results, out, history=None)
    assert (out / ".vneid-harness-report").is_file()  # replaced by this tool's report


def test_a_site_with_an_index_html_is_not_replaced(results: Path, tmp_path: Path) -> None:
    """An ``index.html`` alone does not make a folder a report: a web site has one too."""
    out = tmp_path / "site"
    (out / "blog").mkdir(parents=True)
    (out / "index.html").write_text("<html>my site</html>")
    (out / "blog" / "post.md").write_text("keep me")
    with pytest.raises(ReportError, match=r"not a report this tool wrote \(it holds blog, "):
        generate_report(results, out, history=None)
    assert (out / "blog" / "post.md").read_text() == "keep me"
    (out / "blog" / "post.md").unlink()
    (out / "blog").rmdir()
    with pytest.raises(ReportError, match="not a report this tool wrote"):
        generate_report(results, out, history=None)  # an index.html that is not Allure's


def test_no_results_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "allure-results"
    empty.mkdir()
    with pytest.raises(ReportError, match=r"no Allure results .* run the suites first"):
        generate_report(empty, tmp_path / "report")
    assert not (tmp_path / "report").exists()


def test_a_missing_allure_says_how_to_install_it(results: Path, tmp_path: Path) -> None:
    missing = tmp_path / "node_modules" / ".bin" / "allure"
    with pytest.raises(AllureToolMissing, match=r"make setup.*npm ci"):
        generate_report(results, tmp_path / "report", allure=missing)
    with pytest.raises(AllureToolMissing, match=ALLURE_ENV):
        find_allure(env={ALLURE_ENV: str(missing), "PATH": os.environ["PATH"]})
    assert not (tmp_path / "report").exists()


def test_an_installed_harness_finds_the_allure_of_the_folder_it_runs_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed as a package, the project root is site-packages: ``npm install allure@3`` in
    one's own folder was not found, and the fix named ``make setup`` (a review)."""
    from reports import allure_html

    monkeypatch.setattr(allure_html, "project_root", lambda: tmp_path / "site-packages")
    project = tmp_path / "myproj"
    tool = project / "node_modules" / ".bin" / "allure"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    env = {"PATH": os.environ["PATH"]}
    monkeypatch.chdir(tmp_path)  # a folder without it
    with pytest.raises(AllureToolMissing) as missing:
        find_allure(env=env)
    # both places looked in, and the installed harness's fix first, not the checkout's
    said = str(missing.value)
    site = tmp_path / "site-packages" / "node_modules" / ".bin" / "allure"
    here = tmp_path / "node_modules" / ".bin" / "allure"
    assert f"is not installed (no {site} nor {here}); run `npm install allure@3.18.0`" in said
    assert "make setup" not in said
    monkeypatch.chdir(project)
    assert find_allure(env=env) == tool


def test_a_missing_node_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(AllureToolMissing, match=r"`node` \(Node.js 20 or later\)"):
        find_allure(env={"PATH": str(tmp_path)})


def test_a_failing_allure_keeps_the_previous_report(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    generate_report(results, out, history=None)
    before = (out / "index.html").read_bytes()
    broken = tmp_path / "allure"
    broken.write_text("#!/bin/sh\necho 'boom: cannot read results' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(ReportError, match=r"exit 3\).*boom: cannot read results"):
        generate_report(results, out, allure=broken, history=None)
    assert (out / "index.html").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allure", "allure-results", "report"]


def test_scratch_folders_a_killed_report_left_are_removed_by_the_next(
    results: Path, tmp_path: Path
) -> None:
    """A run or report killed with SIGKILL while Allure built the report left its scratch
    folder beside the report (28 MB in a review), and nothing ever removed it."""
    from reports.allure_html import SCRATCH_MARK

    left = tmp_path / ".allure-2g3ivlbz"
    (left / "report").mkdir(parents=True)
    (left / "report" / "index.html").write_text("half a report")
    (left / SCRATCH_MARK).write_bytes(b"")
    kept = tmp_path / ".allure-notes.txt"  # not a folder: not a scratch folder of ours
    kept.write_text("a user's file")
    own = tmp_path / ".allure-config"  # a user's folder: no mark, never removed
    own.mkdir()
    (own / "mine.txt").write_text("a user's settings")
    silent = tmp_path / "allure"
    silent.write_text("#!/bin/sh\nexit 0\n")
    silent.chmod(0o755)
    with pytest.raises(ReportError, match=r"wrote no index\.html"):
        generate_report(results, tmp_path / "report", allure=silent, history=None)
    assert not left.exists()
    assert kept.read_text() == "a user's file"
    assert (own / "mine.txt").read_text() == "a user's settings"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".allure-") and p.is_dir()] == [
        ".allure-config"
    ]  # and this report's own scratch folder is gone too


def test_a_tool_that_exits_0_and_writes_nothing_is_named(results: Path, tmp_path: Path) -> None:
    """``VNEID_HARNESS_ALLURE=/usr/bin/true`` said "allure awesome failed (exit 0): " and no
    more."""
    silent = tmp_path / "allure"
    silent.write_text("#!/bin/sh\nexit 0\n")
    silent.chmod(0o755)
    with pytest.raises(
        ReportError,
        match=r"exited 0 but wrote no index.html; is it npm's "
        r"Allure 3 .*make setup",
    ):
        generate_report(results, tmp_path / "report", allure=silent, history=None)
    assert not (tmp_path / "report").exists()


_HALF_WRITING_ALLURE = """#!/bin/sh
# writes half a history line in place, as Allure 3 does when the disk fills, then fails
while [ $# -gt 0 ]; do
  if [ "$1" = "--history-path" ]; then printf '{"uuid": "cut-' >> "$2"; fi
  shift
done
echo 'ENOSPC: no space left on device' >&2
exit 1
"""


def test_a_generation_that_dies_mid_history_leaves_the_history_whole(
    results: Path, tmp_path: Path
) -> None:
    """Allure appends to the history by rewriting it in place: a full disk left half a line,
    and every later report was built without a trend. It now writes a copy."""
    history = tmp_path / "history" / "history.jsonl"
    history.parent.mkdir()
    generate_report(results, tmp_path / "report", history=history)
    line = json.loads(history.read_text())  # made a run of other tests, as a run before
    for test in line["testResults"].values():
        test["name"] = "an earlier test"
    history.write_text(json.dumps(line) + "\n")
    before = history.read_bytes()
    broken = tmp_path / "allure"
    broken.write_text(_HALF_WRITING_ALLURE)
    broken.chmod(0o755)
    with pytest.raises(ReportError, match="ENOSPC"):
        generate_report(results, tmp_path / "report2", history=history, allure=broken)
    assert history.read_bytes() == before
    made = generate_report(results, tmp_path / "report3", history=history)
    assert made.warnings == ()
    assert history_runs(history) == 2  # the earlier run's line whole, and this run's


def test_a_history_file_inside_the_report_folder_is_refused(results: Path, tmp_path: Path) -> None:
    """It was deleted with the report it was inside at every generation (exit 0, "0 runs")."""
    out = tmp_path / "report"
    with pytest.raises(
        ReportError,
        match=r"is inside --out .*, which each report replaces "
        r"whole .*keep it beside",
    ):
        generate_report(results, out, history=out / "history" / "history.jsonl")
    assert not out.exists()


def test_a_named_pipe_as_history_or_result_is_named_and_never_opened(
    results: Path, tmp_path: Path
) -> None:
    """A history file that is a named pipe was called "a folder"; a result file that is one
    made the report wait for ever (reading it blocks, Allure's reading too)."""
    pipe = tmp_path / "history.jsonl"
    os.mkfifo(pipe)
    with pytest.raises(
        ReportError,
        match=r"history file .* is not a regular file \(a named "
        r"pipe, a socket or a device\); choose another",
    ):
        generate_report(results, tmp_path / "report", history=pipe)
    os.mkfifo(results / "ffffffff-0000-4000-8000-000000000000-result.json")
    with pytest.raises(
        ReportError,
        match=r"-result.json is not a file \(a named pipe, a "
        r"socket or a device\), and reading it would wait",
    ):
        generate_report(results, tmp_path / "report", history=None)
    assert not (tmp_path / "report").exists()


def test_a_report_made_again_takes_its_own_line_off_a_history_of_many_runs(
    results: Path, tmp_path: Path
) -> None:
    """Only the last line is read to find the run a report is made again for; the lines
    before it are kept byte for byte (blank lines and CRLF too)."""
    history = tmp_path / "history.jsonl"
    generate_report(results, tmp_path / "report", history=history)
    ours = history.read_bytes()
    line = json.loads(ours)
    for test in line["testResults"].values():
        test["name"] = "an earlier test"
    earlier = (json.dumps(line).encode() + b"\r\n\n") * 3
    history.write_bytes(earlier + ours)
    generate_report(results, tmp_path / "report", history=history)
    assert history.read_bytes().startswith(earlier)
    assert history_runs(history) == 4  # ours once, not twice


def test_failures_of_one_clause_are_one_category_group_whatever_their_messages(
    results: Path, tmp_path: Path
) -> None:
    """A vendor's read: the same fault in two tests made two groups in Allure's Categories
    (one per message, and each message names its own citizen). Failures are grouped by the
    tests' clauses first (the label the plugin writes), then by message."""
    for name, citizen in (
        ("test_nonce_a", "Nguyễn Văn An 079123456701"),
        ("test_nonce_b", "Trần Thị Bình 001234567802"),
    ):
        result = {
            "uuid": f"{name}-0000",
            "historyId": name,
            "testCaseId": name,
            "fullName": f"tiny.suite#{name}",
            "name": name,
            "status": "failed",
            "stage": "finished",
            "start": 1_790_000_000_100,
            "stop": 1_790_000_000_200,
            "labels": [{"name": "story", "value": "R-9"}, {"name": CLAUSES_LABEL, "value": "R-9"}],
            "statusDetails": {
                "message": f"Clause(s) R-9: {citizen} reached vssid-home",
                "trace": "Traceback …",
            },
        }
        (results / f"{name}-result.json").write_text(json.dumps(result), encoding="utf-8")
    made = generate_report(results, tmp_path / "report", history=None)
    widget = json.loads(report_data(made.index)["widgets/categories.json"])
    nodes = widget["nodes"]
    [root] = [nodes[r] for r in widget["roots"] if nodes[r]["name"].startswith("Clause fail")]
    groups = {nodes[c]["name"]: nodes[c] for c in root["childrenIds"]}
    assert set(groups) == {"clauses: R-9", "clauses: No clauses"}, groups
    under = groups["clauses: R-9"]
    messages = [nodes[c] for c in under["childrenIds"]]
    assert len(messages) == 2, "each message its own group, inside the clause's"
    tests = {nodes[t]["name"] for m in messages for t in m["childrenIds"]}
    assert tests == {"test_nonce_a", "test_nonce_b"}
    assert under["statistic"]["failed"] == 2
    # the tiny run's own failure has no clauses label: a group of its own, said so
    assert groups["clauses: No clauses"]["statistic"]["failed"] == 1


def test_a_folder_made_at_the_reports_place_while_allure_runs_is_kept(
    results: Path, tmp_path: Path
) -> None:
    """``--out`` was checked before Allure ran (seconds, a minute for a big run) and deleted
    whole after it: a folder the user made there meanwhile went with it."""
    out = tmp_path / "report"
    tool = tmp_path / "allure"
    tool.write_text(  # builds its report, and meanwhile the user fills the report's place
        "#!/bin/sh\n"
        'while [ "$1" != --output ]; do shift; done\n'
        'mkdir -p "$2" && echo "<html>allure</html>" > "$2/index.html"\n'
        'mkdir -p "$USER_FOLDER" && echo mine > "$USER_FOLDER/notes.md"\n'
    )
    tool.chmod(0o755)
    env = {"PATH": os.environ["PATH"], "USER_FOLDER": str(out)}
    with pytest.raises(ReportError, match="is not a report this tool wrote"):
        generate_report(results, out, allure=tool, history=None, env=env)
    assert (out / "notes.md").read_text() == "mine\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.md"]
