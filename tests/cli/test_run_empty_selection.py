"""`vneid-harness run` that selects no test writes nothing: the previous run's results and
reports stay as they were (and a run that does select tests still replaces them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.signalling import signal_when

BIN = Path(sys.executable).parent / "vneid-harness"
ENV = {"COLUMNS": "300", "PATH": os.environ["PATH"]}


EARLIER_RESULT = "00000000-0000-4000-8000-000000000000-result.json"  # allure-pytest's naming


def _earlier_run(out: Path) -> None:
    """What an earlier run left (stand-ins: only their being kept matters)."""
    (out / "allure-results").mkdir(parents=True)
    (out / "allure-results" / EARLIER_RESULT).write_text('{"name": "earlier"}')
    (out / "allure-report").mkdir()
    (out / "allure-report" / "index.html").write_text("<html>earlier Allure report</html>")
    (out / "history").mkdir()
    (out / "history" / "history.jsonl").write_text('{"uuid": "earlier"}\n')
    (out / "junit.xml").write_text('<testsuites><testsuite name="earlier" tests="9"/></testsuites>')
    (out / "summary.json").write_text('{"earlier": true}')
    (out / "summary.html").write_text("<html>earlier summary</html>")
    (out / "results.jsonl").write_text('{"test": "earlier"}\n')


def _snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def _run(out: Path, keyword: str, workers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "run", "--out", str(out), "-k", keyword, "--workers", workers, "--no-report"],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_run_that_selects_no_test_leaves_the_earlier_run(tmp_path: Path, workers: str) -> None:
    out = tmp_path / "out"
    _earlier_run(out)
    before = _snapshot(out)
    done = _run(out, "nomatchxyz", workers)
    said = done.stdout + done.stderr
    assert done.returncode == 5, said[-3000:]  # pytest's "no tests collected"
    assert (
        f"no test matched -k 'nomatchxyz' of plan all (nothing written: {out} is left as it was)"
    ) in said
    assert "verdict" not in said
    assert "no Allure results" not in said
    assert _snapshot(out) == before

    # a run with tests replaces all of it, as before
    done = _run(out, "lands_on_vssid_home", workers)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    names = {
        json.loads(p.read_text())["name"] for p in (out / "allure-results").glob("*-result.json")
    }
    assert names == {
        "test_citizen_lands_on_vssid_home[android]",
        "test_citizen_lands_on_vssid_home[ios]",
    }
    journal = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [entry["outcome"] for entry in journal] == ["passed", "passed"]
    suite = ET.parse(out / "junit.xml").getroot()[0]
    assert suite.get("tests") == "2"
    assert json.loads((out / "summary.json").read_text())["ok"] is True
    assert not (out / ".junit.xml.partial").exists()


def test_a_run_that_selects_no_test_creates_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out"
    done = _run(out, "nomatchxyz", "1")
    assert done.returncode == 5, (done.stdout + done.stderr)[-3000:]
    assert "no test matched -k 'nomatchxyz'" in done.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_stopped_by_a_collection_error_leaves_the_earlier_run(
    tmp_path: Path, workers: int
) -> None:
    """pytest runs no test when a module cannot be collected: the earlier run stays. Under
    pytest-xdist too: it used to run the other modules' tests and write a verdict OK
    beside exit 2, which a CI job publishing summary.json read as a pass."""
    out = tmp_path / "out"
    _earlier_run(out)
    before = _snapshot(out)
    broken = tmp_path / "test_broken_module.py"
    broken.write_text("def test_fine():\n    pass\n\nthis is not python\n")
    scenarios = Path(__file__).resolve().parents[2] / "scenarios" / "test_happy_path.py"
    code = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, run_suites;"
        f"sys.exit(run_suites(RunOptions(out=Path({str(out)!r}), paths=[{str(scenarios)!r}, "
        f"{str(broken)!r}], workers={workers}, allure_report=False)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=ENV
    )
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert "collection error" in said
    assert "no test ran: collection failed" in said, said[-3000:]
    assert "verdict" not in said
    assert _snapshot(out) == before


def _run_suites(
    out: Path, *paths: Path, keyword: str | None = None
) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, run_suites;"
        f"sys.exit(run_suites(RunOptions(out=Path({str(out)!r}), "
        f"paths={[str(p) for p in paths]!r}, keyword={keyword!r}, allure_report=False)))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=ENV
    )


def _run_source(
    out: Path, suite: Path, source: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Write ``source`` to ``suite`` and run it as `run` does: the process and its output
    with the whitespace folded (the console wraps long lines)."""
    suite.write_text(source)
    done = _run_suites(out, suite)
    return done, " ".join((done.stdout + done.stderr).split())


def test_what_the_first_test_attached_in_its_set_up_is_kept(tmp_path: Path) -> None:
    """The earlier results go once a test of this run reports, which is after the first
    test's set-up: the steps and attachments its fixtures wrote then stay (and every
    attachment a result or container names exists)."""
    out = tmp_path / "out"
    _earlier_run(out)
    tokens = Path(__file__).resolve().parents[2] / "scenarios" / "test_tokens.py"
    done = _run_suites(out, tokens, keyword="test_id_token")
    said = " ".join(done.stdout.split())
    assert " passed, 0 failed" in said, said[-3000:]  # (a part of the plan: not ok, exit 1)
    results = out / "allure-results"
    assert not (results / EARLIER_RESULT).exists()
    named: list[str] = []

    def sources(node: object) -> None:
        if isinstance(node, dict):
            named.extend(a["source"] for a in node.get("attachments", []))
            for value in node.values():
                sources(value)
        elif isinstance(node, list):
            for value in node:
                sources(value)

    for path in [*results.glob("*-result.json"), *results.glob("*-container.json")]:
        sources(json.loads(path.read_text()))
    assert len(named) > 5
    assert [n for n in named if not (results / n).is_file()] == []


@pytest.mark.parametrize(
    "source",
    [
        "import pytest\n\n@pytest.fixture\ndef stop():\n    raise KeyboardInterrupt\n\n"
        "def test_one(stop):\n    pass\n\ndef test_two():\n    pass\n",
        # set up (and reported), then stopped in its body: the earlier run's reports went then
        "import pytest\n\n@pytest.fixture\ndef fine():\n    return 1\n\n"
        "def test_one(fine):\n    raise KeyboardInterrupt\n\ndef test_two():\n    pass\n",
    ],
    ids=["in-set-up", "in-the-call"],
)
def test_a_run_interrupted_before_any_test_finished_says_so(tmp_path: Path, source: str) -> None:
    out = tmp_path / "out"
    _earlier_run(out)
    before = _snapshot(out)
    done, said = _run_source(out, tmp_path / "test_interrupted.py", source)
    assert done.returncode == 2, said[-3000:]
    assert (
        "the run was interrupted before any test finished: Ctrl-C or SIGINT "
        f"(KeyboardInterrupt) (nothing written: {out} is left as it was)"
    ) in said
    assert "no test matched" not in said
    assert _snapshot(out) == before


def test_a_run_stopped_while_starting_keeps_its_status_despite_what_it_left_open(
    tmp_path: Path,
) -> None:
    """A SIGTERM while pytest-xdist started its workers left a worker's process and pipes
    to the garbage collector; their ResourceWarnings (errors under filterwarnings = error)
    came out of pytest after the session: a 120-line traceback and exit 1, a failed
    verdict's status (a review, 4 of 4 with 16 workers); and, stopped before the harness's
    reporter saw the session start, the run took the earlier run's Allure results for its
    own and removed them. Here a conftest stands for the workers: it leaves two such
    warnings and is interrupted in the session's start."""
    out = tmp_path / "out"
    _earlier_run(out)
    before = _snapshot(out)
    (tmp_path / "conftest.py").write_text(
        "class Leak:\n    def __del__(self):\n        raise RuntimeError('left open')\n\n"
        "def pytest_sessionstart(session):\n    Leak()\n    Leak()\n"
        "    raise KeyboardInterrupt('terminated (SIGTERM)')\n"
    )
    done, said = _run_source(out, tmp_path / "test_started.py", "def test_one():\n    pass\n")
    assert done.returncode == 2, said[-3000:]
    assert "Traceback" not in said, said[-3000:]
    assert "ExceptionGroup" not in said, said[-3000:]
    assert (
        "warning: the stopped run left 2 resource(s) open (pytest-xdist workers stopped "
        "while starting)"
    ) in said
    assert (
        f"interrupted before any test finished: terminated (SIGTERM) (nothing written: {out}"
        in said
    )
    assert _snapshot(out) == before


def test_a_run_stopped_after_some_tests_writes_a_verdict_of_those(tmp_path: Path) -> None:
    """A target that refuses a later test's set-up (pytest.exit, exit 4) after some tests
    reported: their results replaced the earlier run's, so the verdict is written from them
    too (interrupted, not ok), and no report of the folder is left from the earlier run."""
    out = tmp_path / "out"
    _earlier_run(out)
    done, said = _run_source(
        out,
        tmp_path / "test_stopped_later.py",
        "import pytest\n\n@pytest.fixture\ndef refused():\n"
        "    pytest.exit('error: reading the config failed with HTTP "
        "404', returncode=4)\n\n@pytest.mark.clause('R-1')\n"
        "def test_first():\n    pass\n\n@pytest.mark.clause('R-1')\n"
        "def test_second(refused):\n    pass\n",
    )
    assert done.returncode == 4, said[-3000:]
    assert (
        "pytest stopped the suites (exit 4): error: reading the config failed with HTTP 404"
    ) in said
    summary = json.loads((out / "summary.json").read_text())
    assert [t["test"].rsplit("::", 1)[-1] for t in summary["tests"]] == ["test_first"]
    assert summary["ok"] is False
    assert summary["interrupted"] == "error: reading the config failed with HTTP 404"
    assert ET.parse(out / "junit.xml").getroot()[0].get("name") != "earlier"
    assert len((out / "results.jsonl").read_text().splitlines()) == 1
    assert "earlier" not in (out / "summary.html").read_text()


@pytest.mark.parametrize("workers", [1, 2])
def test_the_project_settings_hold_in_every_worker_with_out_elsewhere(
    tmp_path: Path, workers: int
) -> None:
    """``--out`` outside the project and a suite of the user's own: every pytest-xdist worker
    still reads the project's settings (xfail_strict, filterwarnings = error). Workers read
    ``--alluredir PATH`` as a test path and looked for the settings from there."""
    out = tmp_path / "out"
    suite = tmp_path / "suite" / "test_settings_seen.py"
    suite.parent.mkdir()
    suite.write_text(
        "import pytest\n\n"
        "@pytest.mark.clause('A-1')\n"
        "def test_settings(request):\n"
        "    assert request.config.getini('xfail_strict') is True\n"
        "    assert request.config.inipath is not None\n"
        "    assert request.config.inipath.name == 'pyproject.toml'\n\n"
        "@pytest.mark.clause('A-1')\n"
        "@pytest.mark.xfail(reason='passes: strict makes it a failure')\n"
        "def test_xpass():\n"
        "    pass\n"
    )
    code = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, run_suites;"
        f"sys.exit(run_suites(RunOptions(out=Path({str(out)!r}), paths=[{str(suite)!r}], "
        f"workers={workers}, allure_report=False)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=ENV
    )
    said = " ".join((done.stdout + done.stderr).split())
    assert " 1 passed, 1 failed" in said, said[-3000:]
    assert "XPASS(strict)" in (out / "junit.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_terminated_by_sigterm_ends_as_after_a_ctrl_c(tmp_path: Path, workers: int) -> None:
    """SIGTERM (a cancelled CI job, ``timeout``, ``docker stop``): fixtures are torn down
    (an Appium server or a browser would be stopped; under pytest-xdist the controller
    passes the signal on to its workers), the finished tests' reports replace
    the earlier run's, the verdict says so, and the exit is 2. Python's default was to die
    at once: the earlier verdict OK stayed beside this run's results."""
    out = tmp_path / "out"
    _earlier_run(out)
    started, torn_down = tmp_path / "started", tmp_path / "torn-down"
    stopped_by = tmp_path / "stopped-by"
    suite = tmp_path / "test_terminated.py"
    suite.write_text(
        "import time\nfrom pathlib import Path\n\nimport pytest\n\n"
        "@pytest.fixture\ndef held():\n    yield\n"
        f"    Path({str(torn_down)!r}).write_text('yes')\n\n"
        "@pytest.mark.clause('A-1')\ndef test_fast():\n    pass\n\n"
        "@pytest.mark.clause('A-1')\ndef test_slow(held):\n"
        f"    time.sleep(0.5)\n    Path({str(started)!r}).write_text('yes')\n"
        "    try:\n        time.sleep(120)\n"
        "    except KeyboardInterrupt as stop:\n"
        f"        Path({str(stopped_by)!r}).write_text(str(stop))\n        raise\n"
    )
    code = (
        "import sys; from pathlib import Path; from harness.run import RunOptions, run_suites;"
        f"sys.exit(run_suites(RunOptions(out=Path({str(out)!r}), paths=[{str(suite)!r}], "
        f"workers={workers}, allure_report=False)))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
    )
    # once the slow test is running (the fast one has reported)
    said = " ".join(signal_when(proc, started.exists, what="the slow test").split())
    assert proc.returncode == 2, said[-3000:]
    assert torn_down.exists(), "the fixture was not torn down"
    # the test itself got the SIGTERM (in a pytest-xdist worker, passed on by the
    # controller), not execnet's bare SIGINT seconds later
    assert stopped_by.read_text() == "terminated (SIGTERM)"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] == "terminated (SIGTERM)", summary
    assert summary["ok"] is False
    assert "test_fast" in json.dumps(summary["tests"])
    assert "earlier" not in (out / "junit.xml").read_text(encoding="utf-8")


def test_a_wrong_kind_of_entry_in_out_is_refused_before_anything_is_replaced(
    tmp_path: Path,
) -> None:
    """``results.jsonl`` a folder: the run deleted the earlier run's Allure results, then
    stopped on a traceback (exit 3) with a verdict of 0 tests; a named pipe there blocked it
    for ever. Now it is refused first, and the earlier run's reports stay as they were."""
    for name, make in (
        ("results.jsonl", Path.mkdir),
        ("junit.xml", Path.mkdir),
        ("results.jsonl", lambda p: os.mkfifo(p)),
        ("allure-results", None),
    ):
        out = tmp_path / f"out-{name}-{make is not None and make is not Path.mkdir}"
        _earlier_run(out)
        target = out / name
        if make is None:  # allure-results a file
            shutil.rmtree(target)
            target.write_text("not a folder")
        else:
            target.unlink()
            make(target)
        before = _snapshot(out)
        done = _run(out, "test_citizen_lands_on_vssid_home", "1")
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 2, said[-2000:]
        assert f"cannot run plan all: --out {out}: {target} is" in said, said[-2000:]
        assert "move it away, or give another --out" in said
        assert _snapshot(out) == before


def test_files_of_the_user_in_allure_results_are_kept(tmp_path: Path) -> None:
    """A run replaced every entry of allure-results, a CI job's executor.json and
    categories.json (Allure's own inputs) and a folder of the user's too."""
    out = tmp_path / "out"
    _earlier_run(out)
    results = out / "allure-results"
    (results / "executor.json").write_text('{"name": "CI"}')
    (results / "categories.json").write_text("[]")
    (results / "notes").mkdir()
    (results / "notes" / "a.txt").write_text("mine")
    done = _run(out, "test_citizen_lands_on_vssid_home", "1")
    assert done.returncode in (0, 1), done.stdout[-2000:]  # a part of the plan: not ok
    assert (results / "executor.json").read_text() == '{"name": "CI"}'
    assert (results / "categories.json").read_text() == "[]"
    assert (results / "notes" / "a.txt").read_text() == "mine"
    assert not (results / EARLIER_RESULT).exists()
    assert any(results.glob("*-result.json"))


def test_a_run_killed_after_its_first_result_leaves_no_earlier_verdict(tmp_path: Path) -> None:
    """SIGKILL (no verdict of its own) after the first test reported: the earlier run's
    summary.json (ok) and junit.xml stayed beside this run's partial results, and a CI job
    published the earlier OK as this run's."""
    out = tmp_path / "out"
    _earlier_run(out)
    (out / "conformance-vneid-provider.json").write_text('{"ok": true}')  # another plan's
    (out / "conformance-vneid-provider.html").write_text("<html>ok</html>")
    done, said = _run_source(
        out,
        tmp_path / "test_killed.py",
        (
            "import os, signal\n\ndef test_one():\n    pass\n\n"
            "def test_two():\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        ),
    )
    assert done.returncode == -9, said[-2000:]
    assert not (out / "summary.json").exists()
    assert not (out / "summary.html").exists()
    assert not (out / "junit.xml").exists()
    assert list(out.glob("conformance-*")) == []
    # nor the earlier run's Allure report (a --no-report run left it beside its verdict;
    # a docs walkthrough)
    assert not (out / "allure-report").exists()
    journal = (out / "results.jsonl").read_text()
    assert "test_one" in journal
    assert "earlier" not in journal


def test_a_second_run_into_the_same_out_is_refused(tmp_path: Path) -> None:
    """Two runs at once into one --out mixed their results, and both exited 0."""
    import fcntl

    out = tmp_path / "out"
    _earlier_run(out)
    before = _snapshot(out)
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what the first run holds while it runs
    try:
        done = _run(out, "test_citizen_lands_on_vssid_home", "1")
    finally:
        os.close(fd)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-2000:]
    assert (
        f"cannot run plan all: another vneid-harness run or report is writing into --out "
        f"{out}; "
        "wait for it to end, or give this one another --out"
    ) in said
    assert _snapshot(out) == before


def test_a_run_refused_for_another_runs_lock_leaves_that_runs_new_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs started at once into a new --out: both saw it missing, the first made it and
    took its lock, and the second, refused, removed it again as a folder it had made (still
    empty: the first was starting pytest). The first then wrote into a folder nobody held, made
    again by its first write, and a third run was let in beside it."""
    import fcntl

    from rich.console import Console

    from harness import run
    from harness.run import RunOptions, run_suites

    out = tmp_path / "new" / "out"
    real_make_out = run.make_out
    held: list[int] = []

    def made_by_the_other_run_meanwhile(folder: Path) -> None:
        real_make_out(folder)  # the other run's mkdir, then its lock
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.append(fd)
        real_make_out(folder)  # this run's own, finding it there

    monkeypatch.setattr(run, "make_out", made_by_the_other_run_meanwhile)
    console = Console(record=True, width=300)
    try:
        status = run_suites(
            RunOptions(
                out=out, keyword="test_citizen_lands_on_vssid_home", workers=1, allure_report=False
            ),
            console,
        )
        said = " ".join(console.export_text().split())
        assert status == 2, said[-2000:]
        assert "another vneid-harness run or report is writing into --out" in said
        assert out.is_dir()  # the other run's, held by it
        assert os.path.samestat(os.fstat(held[0]), out.stat())
    finally:
        for fd in held:
            os.close(fd)


def test_an_out_folder_on_a_full_disk_is_refused_before_anything_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or a read-only folder) stopped the run with ~200 lines of INTERNALERROR
    and exit 1, the verdict's status, after it had removed the earlier run's results and
    moved an empty junit.xml over the earlier one. It is found first now: exit 2, the earlier
    reports as they were, the folder empty of the probe."""
    import errno

    from rich.console import Console

    from harness import run_out
    from harness.run import RunOptions, run_suites

    out = tmp_path / "out"
    _earlier_run(out)
    before = _snapshot(out)
    real_fsync = os.fsync

    def full(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(out)):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(run_out.os, "fsync", full)
    console = Console(record=True, width=300)
    status = run_suites(
        RunOptions(
            out=out, keyword="test_citizen_lands_on_vssid_home", workers=1, allure_report=False
        ),
        console,
    )
    said = " ".join(console.export_text().split())
    assert status == 2, said[-2000:]
    assert (
        f"cannot run plan all: --out {out} cannot be written (No space left on device); "
        "free space on its disk, or give another --out (the earlier run's reports there "
        "are as they were)"
    ) in said
    assert _snapshot(out) == before
    fresh = tmp_path / "new" / "deep"  # made for the run, refused: not left behind
    monkeypatch.setattr(
        run_out.os,
        "fsync",
        lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")),
    )
    assert (
        run_suites(
            RunOptions(out=fresh, keyword="test_citizen_lands_on_vssid_home", workers=1), console
        )
        == 2
    )
    assert not (tmp_path / "new").exists()
