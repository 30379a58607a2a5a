"""Ctrl-C and SIGTERM while the Allure HTML report is made (`vneid-harness report`, and the
report step at the end of `run`). Python's default for SIGTERM was to die at once: Allure
(started by the harness) ran on, orphaned, writing into a scratch folder beside the report
that nobody removed, and `run` exited -15 with no word."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from harness.drivers.process_tree import alive
from harness.processes import (
    TERMINATED,
    interrupting_on_sigterm,
    interrupts_deferred,
    sigterm_interrupts,
)
from harness.replay import own_pytest
from harness.run import RunOptions, run_suites
from tests.cli.signalling import signal_when
from tests.reports_html.tiny_results import write_tiny_results

BIN = Path(sys.executable).parent / "vneid-harness"
ENV = {"COLUMNS": "300", "PATH": os.environ["PATH"]}


@pytest.fixture
def default_sigterm() -> Iterator[None]:
    """SIGTERM as Python starts (the harness's pytest plugin handles it in this process)."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("default_sigterm")
def test_sigterm_interrupts_raises_keyboard_interrupt_in_the_block_and_only_there() -> None:
    def terminated_in_the_block() -> None:
        with sigterm_interrupts():
            assert interrupting_on_sigterm(signal.getsignal(signal.SIGTERM))
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs before this returns

    with pytest.raises(KeyboardInterrupt, match=r"^terminated \(SIGTERM\)$"):
        terminated_in_the_block()
    # after a SIGTERM a second one kills at once; after the block the default is back
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with sigterm_interrupts():
        pass
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.usefixtures("default_sigterm")
def test_interrupts_deferred_delivers_the_first_signal_after_the_block() -> None:
    steps: list[str] = []

    def signalled_in_the_block() -> None:
        with sigterm_interrupts():
            with interrupts_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)  # a handler would have run by now
                steps.append("the whole block ran")
            steps.append("not reached: the signal is delivered as the block ends")

    with pytest.raises(KeyboardInterrupt, match=r"^terminated \(SIGTERM\)$"):
        signalled_in_the_block()
    assert steps == ["the whole block ran"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_signal_while_a_run_replaces_the_last_runs_results_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM or Ctrl-C just as a run's first test finished landed while the earlier
    run's ~4,800 Allure files were being removed, before ``results.jsonl`` was truncated: the
    interrupted run's reports, Allure's history and ``results.jsonl`` were the earlier run's
    (a CI review). The replacement now finishes first, with the first test recorded."""
    from rich.console import Console

    from harness.conformance.results import TestOutcome
    from harness.run_progress import ProgressReporter

    out = tmp_path / "out"
    results = out / "allure-results"
    results.mkdir(parents=True)
    earlier = [results / f"{uuid.UUID(int=i)}-result.json" for i in range(20)]
    for path in earlier:
        path.write_text("{}")
    (out / "results.jsonl").write_text('{"test": "earlier::test"}\n')
    (out / "summary.json").write_text("{}")
    reporter = ProgressReporter(
        Console(file=io.StringIO()),
        journal=out / "results.jsonl",
        alluredir=results,
        superseded=lambda: [out / "summary.json"],
    )
    reporter._since_ns = time.time_ns() + 10**9  # every file there is the earlier run's
    real_unlink = Path.unlink

    def unlink_then_ctrl_c(self: Path, missing_ok: bool = False) -> None:
        real_unlink(self, missing_ok=missing_ok)
        if self == earlier[3]:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)

    monkeypatch.setattr(Path, "unlink", unlink_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        reporter._record(TestOutcome("scenarios/test_x.py::test_first", "passed", ("A-1",)))
    assert not any(path.exists() for path in earlier)
    assert not (out / "summary.json").exists()
    assert reporter.started
    assert [o.nodeid for o in reporter.outcomes] == ["scenarios/test_x.py::test_first"]
    reporter._journal.close()  # type: ignore[union-attr]
    lines = (out / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["test"] for line in lines] == ["scenarios/test_x.py::test_first"]


@pytest.mark.usefixtures("default_sigterm")
def test_sigterm_interrupts_leaves_a_handler_someone_else_installed() -> None:
    def theirs(signum: int, frame: object) -> None:
        raise AssertionError("not called")

    signal.signal(signal.SIGTERM, theirs)
    with sigterm_interrupts():
        assert signal.getsignal(signal.SIGTERM) is theirs
    assert signal.getsignal(signal.SIGTERM) is theirs


def _slow_allure(folder: Path) -> Path:
    """An ``allure`` that starts its work in a child (as a wrapper script around ``node``
    does) and never finishes; it records both pids and when it started."""
    tool = folder / "allure"
    tool.write_text(
        "#!/bin/sh\n"
        "sleep 300 &\n"
        f"echo $! > {folder / 'child.pid'}\n"
        f"echo $$ > {folder / 'tool.pid'}\n"
        f"touch {folder / 'started'}\n"
        "wait\n"
    )
    tool.chmod(0o755)
    return tool


def _terminate_once_started(
    proc: subprocess.Popen[str], folder: Path, signum: int = signal.SIGTERM
) -> str:
    """``signum`` to ``proc`` once the slow allure runs (its pid files written); what it
    printed."""

    def running() -> bool:
        if not (folder / "started").exists():
            return False
        time.sleep(0.2)  # as the original wait: the shell's `wait` reached
        return True

    return " ".join(signal_when(proc, running, signum=signum, what="allure").split())


def _assert_allure_gone(folder: Path, scratch_parent: Path) -> None:
    for name in ("tool.pid", "child.pid"):
        pid = int((folder / name).read_text())
        for _ in range(50):  # SIGKILL is delivered, not awaited
            if not alive(pid):
                break
            time.sleep(0.1)
        assert not alive(pid), f"the {name[:-4]} process {pid} still runs"
    left = sorted(p.name for p in scratch_parent.iterdir() if p.name.startswith(".allure-"))
    assert left == [], f"scratch folders left: {left}"


@pytest.mark.parametrize(
    ("signum", "why"), [(signal.SIGTERM, TERMINATED), (signal.SIGINT, "Ctrl-C")]
)
def test_report_stopped_by_sigterm_stops_allure_and_leaves_no_scratch(
    tmp_path: Path, signum: int, why: str
) -> None:
    results = write_tiny_results(tmp_path / "out" / "allure-results")
    tools = tmp_path / "tools"
    tools.mkdir()
    out = tmp_path / "out" / "allure-report"
    proc = subprocess.Popen(
        [
            str(BIN),
            "report",
            "--results",
            str(results),
            "--out",
            str(out),
            "--allure",
            str(_slow_allure(tools)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    said = _terminate_once_started(proc, tools, signum)
    assert proc.returncode == 130, said
    assert (
        f"error: {why}: the report was not made (allure, if it had started, was stopped; "
        "the history file is as it was); run the same command again to make it"
    ) in said
    assert "Traceback" not in said
    _assert_allure_gone(tools, tmp_path / "out")
    assert not out.exists()
    assert not (tmp_path / "out" / "history" / "history.jsonl").exists()


def test_run_stopped_by_sigterm_while_reporting_keeps_its_verdict(tmp_path: Path) -> None:
    out = tmp_path / "out"
    tools = tmp_path / "tools"
    tools.mkdir()
    suite = tmp_path / "test_quick.py"
    suite.write_text("import pytest\n\n@pytest.mark.clause('A-1')\ndef test_quick():\n    pass\n")
    code = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, "
        "run_suites; from harness.processes import sigterm_interrupts\n"
        "with sigterm_interrupts():\n"
        f"    status = run_suites(RunOptions(out=Path({str(out)!r}), paths=[{str(suite)!r}],"
        " workers=1, allure_report=True))\n"
        "sys.exit(status)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**ENV, "VNEID_HARNESS_ALLURE": str(_slow_allure(tools))},
    )
    said = _terminate_once_started(proc, tools)
    assert proc.returncode == 2, said
    assert (
        f"the Allure HTML report was interrupted ({TERMINATED}): allure, if it had "
        "started, was stopped; the tests' results and the verdict are written, the history "
        "is as it was; make the "
        f"report with `{own_pytest('vneid-harness')} report --results "
        f"{out / 'allure-results'} --out "
        f"{out / 'allure-report'}`"
    ) in said
    assert "Traceback" not in said
    _assert_allure_gone(tools, out)
    summary = json.loads((out / "summary.json").read_text())
    assert "test_quick" in json.dumps(summary["tests"]), summary  # not ok: clauses uncovered
    assert not summary.get("interrupted"), summary  # the tests all ran
    assert any((out / "allure-results").glob("*-result.json"))


def test_a_run_stopped_before_its_tests_exits_2_and_says_so(tmp_path: Path) -> None:
    """SIGTERM during the checks before the tests (a target slow to answer its health check)
    gave typer's "Aborted!" and exit 1, a failed verdict's status; docs/reports.md says a
    stopped run exits 2 before or after its first test."""
    import socket

    with socket.socket() as silent:  # accepts, never answers: the health check waits
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(60)  # a run that never calls fails the test, not hangs it
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        out = tmp_path / "out"
        proc = subprocess.Popen(
            [
                str(BIN),
                "run",
                "--out",
                str(out),
                "--vneid-url",
                url,
                "--vssid-url",
                url,
                "--no-report",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
        try:
            connection, _ = silent.accept()  # the health check is waiting
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
        with connection:
            said = " ".join(signal_when(proc, lambda: True, timeout=60).split())
    assert proc.returncode == 2, said
    assert (
        f"error: {TERMINATED}: the run was stopped outside its tests; what it wrote is in "
        f"{out} (nothing, if it stopped before its first test)"
    ) in said
    assert "Aborted" not in said
    assert not out.exists()


def test_after_a_stop_the_allure_results_are_the_tests_the_verdict_has(tmp_path: Path) -> None:
    """pytest-xdist workers go on a while after the controller stopped (the signal reaches
    them later): the Allure report of a cancelled CI job counted 206 tests and its verdict 30.
    Results of tests the run did not record go; so does a result a stopped worker wrote
    half (no labels); the earlier runs' files are not this run's to judge."""
    from rich.console import Console

    from harness.conformance.results import TestOutcome
    from harness.run_progress import ProgressReporter
    from reports.allure_steps import NODEID_LABEL

    results = tmp_path / "allure-results"
    results.mkdir()
    reporter = ProgressReporter(Console(file=io.StringIO()), alluredir=results)
    reporter._since_ns = time.time_ns() - 10**9
    reporter.outcomes.append(TestOutcome("t.py::test_recorded", "passed", ("A-1",)))

    def result(i: int, nodeid: str | None) -> Path:
        path = results / f"{uuid.UUID(int=i)}-result.json"
        labels = [{"name": "suite", "value": "t"}]
        if nodeid is not None:
            labels.append({"name": NODEID_LABEL, "value": nodeid})
        path.write_text(json.dumps({"name": "x", "labels": labels}))
        return path

    kept = result(1, "t.py::test_recorded")
    late = result(2, "t.py::test_after_the_stop")
    half = result(3, None)
    earlier = result(4, "t.py::test_of_an_earlier_run")
    os.utime(earlier, ns=(10**9, 10**9))
    (results / "executor.json").write_text("{}")
    reporter.drop_unrecorded()
    assert sorted(p.name for p in results.iterdir()) == sorted(
        [kept.name, earlier.name, "executor.json"]
    )
    assert not late.exists()
    assert not half.exists()


def test_a_stopped_runs_junit_keeps_no_nameless_test_cases(tmp_path: Path) -> None:
    """Each pytest-xdist worker stopped in a test left a ``<testcase time="0.000"/>`` with no
    name in junit.xml: 32 test cases for a verdict of 30."""
    from harness.run_out import drop_nameless_cases

    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
        'errors="0" failures="1" skipped="0" tests="2">'
        '<testcase classname="t" name="test_a" time="0.1"/>'
        '<testcase time="0.000"/>'
        '<testcase classname="t" name="test_b" time="0.1"><failure message="no"/></testcase>'
        '<testcase time="0.007"/></testsuite></testsuites>'
    )
    drop_nameless_cases(junit)
    said = junit.read_text()
    assert said.count("<testcase") == 2
    assert 'tests="2"' in said
    assert 'name="test_a"' in said
    assert '<failure message="no"' in said


def test_every_allure_result_names_its_node_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_x(n):
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alluredir", "allure")
    result.assert_outcomes(passed=2)
    named = sorted(
        label["value"]
        for path in (pytester.path / "allure").glob("*-result.json")
        for label in json.loads(path.read_text())["labels"]
        if label["name"] == "nodeid"
    )
    assert named == [
        "test_every_allure_result_names_its_node_id.py::test_x[1]",
        "test_every_allure_result_names_its_node_id.py::test_x[2]",
    ]


def test_the_ctrl_c_tests_pass_when_pytest_starts_with_sigint_ignored() -> None:
    """``cmd &`` in a shell without job control (a CI script, ``nohup``) starts pytest with
    SIGINT ignored: the Ctrl-C tests failed (no KeyboardInterrupt, children that ignore
    Ctrl-C) until tests/conftest.py gives SIGINT its handler back (a flakiness review)."""
    root = Path(__file__).resolve().parents[2]
    test = (
        "tests/cli/test_interrupted_reports.py::"
        "test_interrupts_deferred_delivers_the_first_signal_after_the_block"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", test],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_stopped_run_is_not_added_to_the_history(tmp_path: Path) -> None:
    """A run stopped before its end (here pytest.exit; Ctrl-C and SIGTERM set the same
    stop) made its Allure report and appended itself to OUT/history/: every later trend
    showed its few results as a drop. Its report is made; the history file is left as it
    was, and the console says so. A whole run after it is the history's first line."""
    out = tmp_path / "out"
    suite = tmp_path / "test_stops.py"
    suite.write_text(
        "import pytest\n\n"
        "@pytest.mark.clause('A-1')\ndef test_first():\n    pass\n\n"
        "@pytest.mark.clause('A-1')\ndef test_second():\n    pytest.exit('enough for today')\n"
    )
    said = io.StringIO()
    console = Console(file=said, width=300)
    options = RunOptions(out=out, paths=[str(suite)], workers=1, allure_report=True)
    assert run_suites(options, console=console) != 0  # not a verdict on every test
    history = out / "history" / "history.jsonl"
    assert (out / "allure-report" / "index.html").is_file()
    assert not history.exists() or history.read_text() == ""
    shown = " ".join(said.getvalue().split())
    assert f"the run stopped before its end: the history file {history} is not started" in shown
    assert f"0 earlier run(s) in its history {history}, this stopped run not added" in shown
    whole = tmp_path / "test_whole.py"  # (another module: this process imported the first)
    whole.write_text("import pytest\n\n@pytest.mark.clause('A-1')\ndef test_first():\n    pass\n")
    options.paths = [str(whole)]
    said = io.StringIO()
    assert run_suites(options, console=Console(file=said, width=300)) in (0, 1)
    assert history.is_file(), said.getvalue()
    assert len(history.read_text().splitlines()) == 1
