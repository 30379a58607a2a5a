"""The CLI's other commands: run (the main job), personas, clauses, version."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.personas import load_personas

runner = CliRunner()
BIN = Path(sys.executable).parent / "vneid-harness"


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == "0.1.0"


@pytest.mark.parametrize("module", ["harness", "harness.cli"])
def test_python_dash_m_runs_the_command(module: str) -> None:
    """``python -m harness.cli run …`` printed nothing and exited 0: a CI job written that
    way was green without a test run."""
    done = subprocess.run(
        [sys.executable, "-m", module, "version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "0.1.0"), done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", module, "no-such-command"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "No such command" in bad.stderr


def test_clauses_lists_every_clause() -> None:
    result = runner.invoke(app, ["clauses"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for cid in ("P-1", "V-6", "A-7", "T-5", "R-12", "S-6"):
        assert cid in result.output


def test_personas_generate_and_check(tmp_path: Path) -> None:
    out = tmp_path / "people.yaml"
    result = runner.invoke(
        app,
        [
            "personas",
            "generate",
            "-o",
            str(out),
            "--count",
            "5",
            "--seed",
            "3",
            "--level1",
            "1",
            "--without-vssid",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    people = load_personas(out)
    assert [p.level for p in people] == [1, 2, 2, 2, 2]
    assert sum(p.vssid_account is None for p in people) == 1
    again = tmp_path / "again.yaml"
    runner.invoke(
        app,
        [
            "personas",
            "generate",
            "-o",
            str(again),
            "--count",
            "5",
            "--seed",
            "3",
            "--level1",
            "1",
            "--without-vssid",
            "1",
        ],
    )
    assert load_personas(again) == people, "the same seed gives the same personas"
    pair = tmp_path / "pair.yaml"  # one of each, and they are different citizens
    runner.invoke(
        app,
        [
            "personas",
            "generate",
            "-o",
            str(pair),
            "--count",
            "2",
            "--seed",
            "3",
            "--level1",
            "1",
            "--without-vssid",
            "1",
        ],
    )
    first, second = load_personas(pair)
    assert (first.level, first.vssid_account is None) == (1, False)
    assert (second.level, second.vssid_account is None) == (2, True)
    check = runner.invoke(app, ["personas", "check", str(out)], env={"COLUMNS": "200"})
    assert check.exit_code == 0
    assert people[0].personal_id in check.output
    assert people[0].passcode not in check.output
    assert "5 citizens: 4 level 2, 1 level 1, 1 without a VssID account" in check.output


def test_personas_check_lists_at_most_200_and_counts_them_all(tmp_path: Path) -> None:
    """A table of 100,000 rows took minutes to print: the first 200 are listed, the summary
    counts every citizen."""
    out = tmp_path / "many.json"
    done = runner.invoke(
        app,
        [
            "personas",
            "generate",
            "-o",
            str(out),
            "--count",
            "250",
            "--level1",
            "10",
            "--without-vssid",
            "20",
        ],
    )
    assert done.exit_code == 0, done.output
    people = load_personas(out)
    check = runner.invoke(app, ["personas", "check", str(out)], env={"COLUMNS": "200"})
    assert check.exit_code == 0, check.output
    assert (
        "250 citizens: 240 level 2, 10 level 1, 20 without a VssID account; the first "
        "200 are listed"
    ) in " ".join(check.output.split())
    assert people[199].personal_id in check.output
    assert people[200].personal_id not in check.output


def test_personas_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "people.json"
    out.write_text("keep me")
    result = runner.invoke(app, ["personas", "generate", "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_text() == "keep me"


def test_personas_check_reports_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("personas:\n  - personal_id: '123'\n")
    result = runner.invoke(app, ["personas", "check", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output


@pytest.mark.parametrize("keyword", ["happy_path"])
def test_run_writes_reports_and_exits_zero(tmp_path: Path, keyword: str) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [str(BIN), "run", "--out", str(out), "-k", keyword],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "result by clause" in result.stdout
    assert " passed, 0 failed" in result.stdout
    junit = ET.parse(out / "junit.xml").getroot()
    suite = junit if junit.tag == "testsuite" else junit[0]
    assert int(suite.get("tests", "0")) > 0
    assert int(suite.get("failures", "0")) == 0
    assert any((out / "allure-results").glob("*-result.json"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["PASSED"] > 0
    assert summary["ok"] is True
    assert summary["coverage_required"] is False  # -k ran part of the plan on purpose
    by_clause = {row["clause"]: row for row in summary["clauses"]}
    assert by_clause["A-6"]["status"] == "PASSED"
    assert len(by_clause) == 39


def test_run_exits_nonzero_when_a_test_fails(tmp_path: Path) -> None:
    suite = tmp_path / "test_broken.py"
    suite.write_text(
        "import pytest\n\n@pytest.mark.clause('R-1')\ndef test_broken():\n    assert False\n"
    )
    from rich.console import Console

    from harness.run import RunOptions, run_suites

    console = Console(record=True, width=160)
    status = run_suites(RunOptions(out=tmp_path / "out", paths=[str(suite)]), console)
    assert status == 1
    text = console.export_text()
    assert "FAILED" in text
    [row] = [line for line in text.splitlines() if line.startswith("│ R-1 ")]
    # clause, status, passed, failed, expected, warnings, skipped
    assert [cell.strip() for cell in row.split("│")[1:8]] == [
        "R-1",
        "FAILED",
        "0",
        "1",
        "0",
        "0",
        "0",
    ]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    rows = {row["clause"]: row for row in summary["clauses"]}
    assert rows["R-1"]["status"] == "FAILED"


def _verdict(out: Path) -> list[tuple[str, str, list[str], bool]]:
    summary = json.loads((out / "summary.json").read_text())
    return [
        (t["test"], t["status"], t["evidence"]["steps"], bool(t["evidence"]["diagram_svg"]))
        for t in summary["tests"]
    ]


def test_run_with_workers_writes_what_one_process_writes(tmp_path: Path) -> None:
    """pytest-xdist workers run the tests; the verdict, its order and its evidence (steps
    and which tests get a diagram) are the same as in one process."""
    outs = {}
    for workers in ("1", "2"):
        out = outs[workers] = tmp_path / f"workers-{workers}"
        result = subprocess.run(
            [
                str(BIN),
                "run",
                "--out",
                str(out),
                "-k",
                "happy_path or user_actions",
                "--workers",
                workers,
                "--no-report",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        lines = (out / "results.jsonl").read_text().splitlines()
        assert len(lines) == len(_verdict(out))
    one, two = _verdict(outs["1"]), _verdict(outs["2"])
    assert len(one) > 10
    assert sum(1 for _, _, steps, _ in one if steps) > 10  # evidence came back from workers
    assert any(diagram for *_, diagram in one)
    assert two == one


def test_run_refuses_workers_against_remote_providers(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "--out",
            str(tmp_path),
            "--vneid-url",
            "http://127.0.0.1:9",
            "--workers",
            "2",
            "--no-report",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert "share their state" in result.output
    assert "--workers 1" in result.output


def _run_one_suite(tmp_path: Path, name: str, source: str) -> tuple[Path, dict[str, Any]]:
    """Run the suite ``source`` (module ``name``) as `run` does, in this process: the output
    folder and its summary.json."""
    from rich.console import Console

    from harness.run import RunOptions, run_suites

    suite = tmp_path / name
    suite.write_text(source)
    out = tmp_path / "out"
    run_suites(RunOptions(out=out, paths=[str(suite)]), Console(record=True, width=160))
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    return out, summary


def test_a_runs_property_failure_shows_its_example_and_its_replay(tmp_path: Path) -> None:
    """``vneid-harness run`` dropped the project's ``addopts`` and so loaded schemathesis's
    pytest plugin, which prints every falsifying example empty (``minor=,``) in the
    console, junit.xml and the verdict (a team's review); the run leaves it out now. (A
    process of its own: a pytest configured in this one may have loaded schemathesis,
    whose printer stays swapped for the process.)"""
    import subprocess
    import sys

    suite = tmp_path / "test_minor_versions.py"
    suite.write_text(
        "import pytest\nfrom hypothesis import given, settings, strategies as st\n\n"
        "@pytest.mark.clause('V-1')\n@settings(database=None, derandomize=True)\n"
        "@given(st.integers(min_value=0, max_value=9))\n"
        "def test_minor(minor):\n    assert minor < 5\n"
    )
    out = tmp_path / "out"
    code = (
        "import sys; from pathlib import Path; from rich.console import Console; "
        "from harness.run import RunOptions, run_suites; "
        "sys.exit(run_suites(RunOptions(out=Path(sys.argv[1]), paths=[sys.argv[2]], "
        "allure_report=False), Console(width=200)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out), str(suite)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    [test] = json.loads((out / "summary.json").read_text())["tests"]
    assert "minor=5," in test.get("detail", test["message"]), test
    assert "test_minor_versions.py::test_minor" in test["replay"]
    assert "minor=5," in (out / "junit.xml").read_text()
    assert "minor=5," in done.stdout


def test_a_skipped_test_keeps_its_reason_in_the_verdict(tmp_path: Path) -> None:
    """A vendor needs to know why a test of its server did not run: the verdict JSON, its
    HTML page and results.jsonl carry the skip's reason (and an expected failure's)."""
    out, summary = _run_one_suite(
        tmp_path,
        "test_skipping.py",
        "import pytest\n\n"
        "@pytest.mark.clause('R-1')\ndef test_skipped():\n"
        "    pytest.skip('the provider says it supports request objects')\n\n"
        "@pytest.mark.clause('R-1')\n@pytest.mark.xfail(reason='a known gap')\n"
        "def test_expected():\n    assert False\n",
    )
    messages = {t["test"].rsplit("::", 1)[-1]: t["message"] for t in summary["tests"]}
    assert messages == {
        "test_skipped": "the provider says it supports request objects",
        "test_expected": "expected failure: a known gap",
    }
    journal = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [e["message"] for e in journal] == list(messages.values())
    assert "the provider says it supports request objects" in (out / "summary.html").read_text(
        encoding="utf-8"
    )


def test_a_test_whose_teardown_fails_is_counted_once(tmp_path: Path) -> None:
    """One status a test: a teardown failure after a pass makes it an error, after a failure
    the call's failure stands; JUnit, the verdict and results.jsonl then agree."""
    out, summary = _run_one_suite(
        tmp_path,
        "test_teardowns.py",
        "import pytest\n\n"
        "@pytest.fixture\ndef broken():\n    yield\n    raise RuntimeError('teardown broke')\n\n"
        "@pytest.mark.clause('R-6')\ndef test_passes_then_teardown_fails(broken):\n    pass\n\n"
        "@pytest.mark.clause('R-6')\ndef test_fails_then_teardown_fails(broken):\n"
        "    assert False, 'the call failed'\n\n"
        "@pytest.mark.clause('R-6')\ndef test_fine():\n    pass\n",
    )
    statuses = {
        t["test"].rsplit("::", 1)[-1]: (t["status"], t["message"]) for t in summary["tests"]
    }
    assert len(summary["tests"]) == 3
    assert statuses["test_passes_then_teardown_fails"][0] == "FAILED"
    assert "teardown broke" in statuses["test_passes_then_teardown_fails"][1]
    assert statuses["test_fails_then_teardown_fails"] == (
        "FAILED",
        "Clause(s) R-6: AssertionError: the call failed assert False",
    )
    assert statuses["test_fine"][0] == "PASSED"
    journal = (out / "results.jsonl").read_text().splitlines()
    assert len(journal) == 3
    r6 = next(row for row in summary["clauses"] if row["clause"] == "R-6")
    assert (len(r6["tests"]), r6["passed"], r6["failed"]) == (3, 1, 2)


def test_help_shows_the_documented_defaults() -> None:
    """The defaults were written as '[default: …]' inside help texts, which Rich read as
    markup and deleted; README documents them."""
    env = {"COLUMNS": "250"}
    report = runner.invoke(app, ["report", "--help"], env=env).output
    for default in (
        "RESULTS/../history/history.jsonl",
        "(10)",
        "$VNEID_HARNESS_ALLURE, else node_modules/.bin/allure",
    ):
        assert f"[default: {default if default.startswith('(') else f'({default})'}]" in report
    serve = runner.invoke(app, ["serve", "--help"], env=env).output
    assert "[default: (--host, or 127.0.0.1 for a wildcard)]" in serve
    assert "both answer even an unparseable" in " ".join(serve.split())


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["report"],
        ["conformance"],
        ["serve"],
        ["personas", "generate"],
        ["personas", "check"],
        ["profile", "check"],
    ],
)
def test_help_names_what_each_option_takes(command: list[str]) -> None:
    """Typer 0.29 shows a value's Python type (``<Path>``, ``<str>``, ``<int>``, ``<bool>``
    beside a flag): each option names what to give (``DIR``, ``URL``, ``TOKEN``), a flag
    nothing. Typer's own ``--help`` keeps its ``<bool>``, a file or folder argument its
    ``<Path>``. Typer before 0.29 (the range allows 0.26.8) shows no types at all."""
    import typer
    import typer.main

    command_object = typer.main.get_command(app)
    for name in command:
        command_object = command_object.commands[name]  # type: ignore[attr-defined]
    for param in command_object.params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.metavar is not None, (command, param.name)
            assert param.metavar == "" or param.metavar.isupper(), (command, param.name)
            if getattr(param, "is_flag", False):
                assert param.metavar == "", (command, param.name)
    shown = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "250"}).output
    types = re.findall(r"<[\w\[\]]+(?: range)?>", shown)
    shows_types = tuple(int(part) for part in typer.__version__.split(".")[:2]) >= (0, 29)
    assert types.count("<bool>") == (1 if shows_types else 0)  # --help's
    assert set(types) <= {"<bool>", "<Path>", "<list[Path]>"}, types  # the arguments'


@pytest.mark.parametrize("command", ["run", "conformance", "serve", "report"])
def test_help_in_a_log_is_not_cut(command: str) -> None:
    """``--help`` piped to a file or a CI log was 80 columns wide, and Rich cut option names
    and environment variables with "…" (``VNEID_HARNESS_ADM…``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "TERMINAL_WIDTH")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "vneid-harness"), command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout, done.stdout


def test_a_verdict_that_cannot_be_written_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or a folder named summary.json) gave a traceback after "verdict OK", and
    exit 1 as if the verdict had failed (an error review): now one line naming the path and
    where the results are, exit 2. A folder in its place is refused before the run."""
    from rich.console import Console

    from harness.run import RunOptions, run_suites

    suite = tmp_path / "test_uncertain_verdict.py"
    suite.write_text("import pytest\n\n@pytest.mark.clause('T-4')\ndef test_one():\n    pass\n")
    out = tmp_path / "out"
    (out / "summary.json").mkdir(parents=True)
    console = Console(record=True, width=400)
    assert run_suites(RunOptions(out=out, paths=[str(suite)]), console) == 2
    said = console.export_text()
    assert (
        f"cannot run the tests in {suite}: --out {out}: {out / 'summary.json'} is a folder, "
        "and the run "
        "writes a file there; move it away"
    ) in said
    assert not (out / "junit.xml").exists()
    (out / "summary.json").rmdir()
    real_replace = Path.replace

    def disk_full(self: Path, target: Any) -> Path:
        if Path(target).name == "summary.json":
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", disk_full)
    console = Console(record=True, width=400)
    status = run_suites(RunOptions(out=out, paths=[str(suite)]), console)
    said = console.export_text()
    assert status == 2
    assert "Traceback" not in said
    assert (
        f"the verdict is not complete: cannot write {out / 'summary.json'}: No space left on device"
    ) in said
    assert f"The tests' results are in {out / 'junit.xml'}" in said
    assert (out / "junit.xml").exists()
    assert not (out / "summary.json.tmp").exists()


def _team(tmp_path: Path, test_source: str) -> Path:
    """A team's folder: ``tests/test_ours.py`` holding ``test_source``."""
    team = tmp_path / "team"
    (team / "tests").mkdir(parents=True)
    (team / "tests" / "test_ours.py").write_text(test_source)
    return team


def _run_team(
    team: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m harness run tests ARGS`` in ``team`` (this checkout's harness)."""
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", "tests", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=team,
        env=env,
    )


@pytest.mark.parametrize(
    ("config", "text"),
    [
        ("pytest.ini", "[pytest]\n"),
        ("pyproject.toml", "[tool.pytest]\n"),  # pytest 9's own table
        ("pyproject.toml", "[project]\nname = 'team'\n"),  # no pytest table: still the root
        (None, ""),
    ],
)
def test_run_takes_a_teams_own_folder_and_judges_what_it_tests(
    tmp_path: Path, config: str | None, text: str
) -> None:
    """A team had to call ``run_suites(RunOptions(paths=…))`` by hand for its folder's clause
    table and reports (a review). ``vneid-harness run PATHS`` runs them: the plan's other
    clauses are not required, node ids are those plain pytest gives (pytest's own rules find
    the root), so each test draws the same citizen in both (a reviewer found pytest 9's
    configurations named otherwise)."""
    team = _team(
        tmp_path,
        "import pytest\n\n"
        "@pytest.mark.clause('P-2')\n"
        "def test_citizen(persona, request):\n"
        "    (request.config.invocation_params.dir / 'seen.txt').write_text(\n"
        "        persona.personal_id + ' ' + request.node.nodeid)\n",
    )
    if config is not None:
        (team / config).write_text(text)
    out = tmp_path / "out"
    ran = _run_team(team, "--out", str(out), "--workers", "1", "--no-report", "--seed", "3")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is True
    assert summary["coverage_required"] is False
    in_run = (team / "seen.txt").read_text()
    (team / "seen.txt").unlink()
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--seed", "3", "tests"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=team,
    )
    assert plain.returncode == 0, plain.stdout
    assert (team / "seen.txt").read_text() == in_run
    assert [t["test"] for t in summary["tests"]] == [in_run.split(" ", 1)[1]]
    if config is not None:
        assert in_run.endswith(" tests/test_ours.py::test_citizen")


def test_run_gives_a_teams_tests_their_persona_file(tmp_path: Path) -> None:
    """A team's tests read ``personas.from_file()``: ``run`` had no ``--personas`` (and drops
    the team's addopts), so each failed with "no persona file was given" (a QA team's
    report). The replay line names the file whole; a wrong file is refused before the run."""
    from harness.personas import PersonaFactory, save_personas

    team = _team(
        tmp_path,
        "import pytest\n\n"
        "@pytest.mark.clause('P-1')\n"
        "def test_our_citizen(personas):\n"
        "    (citizen,) = personas.from_file()\n"
        "    assert citizen.full_name == 'nobody', 'on purpose'\n",
    )
    save_personas(team / "ours.yaml", [PersonaFactory("team").new()])
    out = tmp_path / "out"
    wide = {**os.environ, "COLUMNS": "300"}
    ran = _run_team(
        team,
        "--personas",
        "ours.yaml",
        "--out",
        str(out),
        "--workers",
        "1",
        "--no-report",
        env=wide,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    (test,) = json.loads((out / "summary.json").read_text())["tests"]
    assert "on purpose" in test["message"], test["message"]
    assert f"--personas={team / 'ours.yaml'}" in test["replay"]
    wrong = _run_team(team, "--personas", "theirs.yaml", "--out", str(tmp_path / "out2"), env=wide)
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert "theirs.yaml: cannot read the persona file" in wrong.stderr
    assert not (tmp_path / "out2").exists()


def test_run_reads_a_teams_own_pytest_configuration(tmp_path: Path) -> None:
    """A team's ``pytest.ini`` declares its markers; ``run`` gave its tests the harness's
    configuration instead, and ``--strict-markers`` refused them ("'smoke' not found in
    markers configuration option", a QA team's report). Plain pytest takes the team's."""
    team = _team(
        tmp_path,
        "import pytest\n\n"
        "@pytest.mark.smoke\n"
        "@pytest.mark.clause('P-2')\n"
        "def test_quick(persona):\n"
        "    assert persona.level == 2\n",
    )
    (team / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    smoke: our quick ones\nour_own_setting = 1\n"
    )  # unknown: not held to it
    out = tmp_path / "out"
    ran = _run_team(team, "--out", str(out), "--workers", "1", "--no-report")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads((out / "summary.json").read_text())["counts"]["PASSED"] == 1
    (team / "tests" / "test_ours.py").write_text(  # an undeclared marker is still refused
        "import pytest\n\n@pytest.mark.smok\ndef test_quick():\n    pass\n"
    )
    typo = _run_team(team, "--out", str(out), "--workers", "1", "--no-report")
    assert typo.returncode == 2, typo.stdout + typo.stderr
    assert "'smok' not found in `markers` configuration option" in typo.stdout + typo.stderr


def test_a_teams_replay_line_selects_what_the_run_ran(tmp_path: Path) -> None:
    """``run`` reads a team's configuration but drops its addopts; the replay line ran plain
    pytest under them, and their ``-m "not slow"`` deselected the slow test that had failed
    ("1 deselected"). The line drops them as the run did: pasted, it fails again."""
    team = _team(
        tmp_path,
        "import pytest\n\n@pytest.mark.slow\n@pytest.mark.clause('P-2')\n"
        "def test_slow(persona):\n    assert persona.level == 1, 'on purpose'\n",
    )
    (team / "pytest.ini").write_text(
        '[pytest]\naddopts = -m "not slow"\nmarkers =\n    slow: the long ones\n'
    )
    out = tmp_path / "out"
    ran = _run_team(team, "--out", str(out), "--workers", "1", "--no-report", "--seed", "3")
    assert ran.returncode == 1, ran.stdout + ran.stderr
    (test,) = json.loads((out / "summary.json").read_text())["tests"]
    assert test["status"] == "FAILED"
    assert " -o addopts= " in test["replay"]
    again = subprocess.run(
        ["bash", "-c", test["replay"]],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=team,
    )
    assert again.returncode == 1, again.stdout + again.stderr  # not 5, all deselected
    assert "1 failed" in again.stdout
    assert "on purpose" in again.stdout


def test_a_runs_root_when_pytest_cannot_say_is_the_folder_holding_its_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run asks pytest's own ``determine_setup`` (internal: another pytest may take other
    arguments, and a configuration pytest refuses raises); then the folder holding the paths."""
    from _pytest.config import findpaths

    from harness.run import _root_of

    (tmp_path / "team" / "a").mkdir(parents=True)
    (tmp_path / "team" / "b").mkdir()
    (tmp_path / "team" / "a" / "test_x.py").write_text("")
    (tmp_path / "team" / "pytest.ini").write_text("[pytest]\n")
    paths = [str(tmp_path / "team" / "a" / "test_x.py"), str(tmp_path / "team" / "b")]
    assert _root_of(paths) == str(tmp_path / "team")

    def another_pytest(**kwargs: object) -> None:
        raise TypeError("determine_setup() got an unexpected keyword argument 'override_ini'")

    monkeypatch.setattr(findpaths, "determine_setup", another_pytest)
    assert _root_of(paths) == str(tmp_path / "team")
    assert _root_of(paths[:1]) == str(tmp_path / "team" / "a")


def test_a_run_whose_root_pytest_cannot_say_warns_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder holding the paths may not be the root plain pytest takes for them: node
    ids follow the root, and each test's seed its node id, so a run that took another root
    without a word drew other citizens than the same tests under pytest."""
    from _pytest.config import findpaths
    from rich.console import Console

    from harness.run import RunOptions, _setup_of, run_suites

    suite = tmp_path / "team" / "test_rooted.py"
    suite.parent.mkdir()
    suite.write_text("import pytest\n\n@pytest.mark.clause('T-4')\ndef test_one():\n    pass\n")
    (tmp_path / "team" / "pytest.ini").write_text("[pytest]\n")
    said: list[str] = []
    assert _setup_of([str(suite)], warn=said.append) == (
        str(tmp_path / "team"),
        str(tmp_path / "team" / "pytest.ini"),
    )
    assert said == []  # pytest said

    def another_pytest(**kwargs: object) -> None:
        raise TypeError("determine_setup() got an unexpected keyword argument 'override_ini'")

    monkeypatch.setattr(findpaths, "determine_setup", another_pytest)
    assert _setup_of([str(suite)], warn=said.append) == (str(tmp_path / "team"), None)
    (warning,) = said
    assert warning.startswith(
        "pytest could not say which root folder it would take for the "
        "tests given (TypeError: determine_setup() got an unexpected "
        "keyword argument 'override_ini'); the run takes "
        f"{tmp_path / 'team'}, the folder holding them"
    )
    assert "seed" in warning
    console = Console(record=True, width=1000)
    assert (
        run_suites(RunOptions(out=tmp_path / "out", paths=[str(suite)], whole_plan=False), console)
        == 0
    )
    shown = console.export_text()
    assert f"warning: {warning}" in shown


_VIETNAMESE_FAILURE = (
    "import pytest\n\n@pytest.mark.clause('R-1')\ndef test_name_shown():\n"
    "    assert False, 'màn hình chính: Nguyễn Thị Đường'\n"
)


def test_a_terminal_that_cannot_show_the_verdict_does_not_cost_its_files(tmp_path: Path) -> None:
    """The verdict was printed before it was written: a console that failed on the table (a
    stdout closed by ``| head``, one that cannot encode "ữ") left no summary.json."""
    import io

    from rich.console import Console

    from harness.run import RunOptions, run_suites

    suite = tmp_path / "test_vietnamese.py"
    suite.write_text(_VIETNAMESE_FAILURE, encoding="utf-8")
    out = tmp_path / "out"
    strict_ascii = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    with pytest.raises(UnicodeEncodeError):
        run_suites(RunOptions(out=out, paths=[str(suite)]), Console(file=strict_ascii))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [t["status"] for t in summary["tests"]] == ["FAILED"]
    assert "Nguyễn Thị Đường" in summary["tests"][0]["message"]
    assert (out / "summary.html").is_file()


@pytest.mark.parametrize(
    "narrow", [{"PYTHONIOENCODING": "ascii"}, {"PYTHONUTF8": "0", "LC_ALL": "C"}]
)
def test_an_ascii_stdout_shows_vietnamese_as_escapes(
    tmp_path: Path, narrow: dict[str, str]
) -> None:
    """Under an output encoding without Vietnamese (``PYTHONIOENCODING=ascii``, ``LC_ALL=C``
    with UTF-8 mode off) the first "ữ" or "…" was a UnicodeEncodeError: ``personas check``
    ended in a traceback, ``run`` exited 1 after a passing run without its verdict files."""
    people = tmp_path / "personas.yaml"
    assert (
        runner.invoke(app, ["personas", "generate", "-o", str(people), "--count", "3"]).exit_code
        == 0
    )
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "LANG", "LC_ALL", "LC_CTYPE")
        },
        "COLUMNS": "160",
        **narrow,
    }
    check = subprocess.run(
        [str(BIN), "personas", "check", str(people)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert check.returncode == 0, check.stderr[-3000:]
    assert "3 citizens" in check.stdout
    name = load_personas(people)[0].full_name
    assert name.encode("ascii", "backslashreplace").decode() in check.stdout
    suite = tmp_path / "test_vietnamese.py"
    suite.write_text(_VIETNAMESE_FAILURE, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run(
        [str(BIN), "run", "--out", str(out), "--workers", "1", "--no-report", str(suite)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 1, said[-3000:]  # the test's failure, not a crash
    assert "Traceback" not in said, said[-3000:]
    assert "Nguy\\u1ec5n Th\\u1ecb" in done.stdout
    assert "verdict NOT OK" in done.stdout
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["ok"] is False


def test_a_run_of_a_teams_tests_says_so_not_every_suite(tmp_path: Path) -> None:
    """``vneid-harness run tests/`` wrote a page headed "plan all: Every scenario suite: the
    main job." for three tests of a team's own, and refused as "cannot run plan all" (an
    installed-package walk)."""
    from rich.console import Console

    from harness.run import RunOptions, run_suites

    suite = tmp_path / "test_team.py"
    suite.write_text("import pytest\n\n@pytest.mark.clause('T-4')\ndef test_one():\n    pass\n")
    out = tmp_path / "out"
    console = Console(record=True, width=300)
    team = RunOptions(out=out, paths=[str(suite)], workers=1, whole_plan=False)  # as the CLI
    status = run_suites(team, console)
    assert status == 0, console.export_text()[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["plan_description"] == (
        f"the tests in {suite}, graded on the clauses they test (the plan's others are not "
        "required)"
    )
    assert "Every scenario suite" not in (out / "summary.html").read_text()
    refused = Console(record=True, width=300)
    options = RunOptions(out=out, paths=[str(suite)], vneid_url="http://127.0.0.1:9", workers=2)
    assert run_suites(options, refused) == 2
    assert f"cannot run the tests in {suite}: --workers 2 with --vneid-url" in (
        refused.export_text()
    )
