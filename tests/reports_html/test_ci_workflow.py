"""The documented GitHub Actions workflow (docs/ci/github-actions.yml, also in the README)
and .ci/run: they publish what `make run` writes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from reports.allure_html import project_root

ROOT = project_root()
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _steps(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A job's steps by the action they use (``run`` steps by their command)."""
    return {str(step.get("uses", "").split("@")[0] or step["run"]): step for step in job["steps"]}


def test_the_workflow_runs_make_run_and_publishes_the_reports() -> None:
    workflow = _workflow()
    triggers = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1: on = true
    assert set(triggers) >= {"push", "pull_request"}
    assert set(workflow["jobs"]) == {"run", "pages"}
    run = workflow["jobs"]["run"]
    assert run["container"].endswith("bookworm"), "Debian 12, as the README's setup"
    steps = _steps(run)
    names = list(steps)
    assert (
        names.index("actions/cache/restore")
        < names.index("make run")
        < names.index("actions/cache/save")
    )
    history = "reports/out/history"
    assert steps["actions/cache/restore"]["with"]["path"] == history
    assert steps["actions/cache/save"]["with"]["path"] == history
    assert (
        steps["actions/cache/save"]["with"]["key"] == steps["actions/cache/restore"]["with"]["key"]
    )
    uploaded = steps["actions/upload-artifact"]["with"]["path"].split()
    # the conformance page to hand to an approver, and what survives a killed run, too
    assert {
        "reports/out/allure-report/",
        "reports/out/junit.xml",
        "reports/out/summary.html",
        "reports/out/results.jsonl",
    } <= set(uploaded)
    junit = steps["mikepenz/action-junit-report"]
    assert junit["with"]["report_paths"] == "reports/out/junit.xml"
    assert run["permissions"]["checks"] == "write"
    pages_artifact = steps["actions/upload-pages-artifact"]
    assert pages_artifact["with"]["path"] == "reports/out/allure-report"
    # the reports are published when tests fail too (make run then exits 1)
    for action in (
        "actions/cache/save",
        "actions/upload-artifact",
        "mikepenz/action-junit-report",
        "actions/upload-pages-artifact",
    ):
        assert "!cancelled()" in steps[action]["if"], action


def test_the_pages_job_deploys_the_uploaded_report() -> None:
    pages = _workflow()["jobs"]["pages"]
    assert pages["needs"] == "run"
    assert pages["permissions"] == {"pages": "write", "id-token": "write"}
    assert pages["environment"]["name"] == "github-pages"
    deploy = _steps(pages)["actions/deploy-pages"]
    assert pages["environment"]["url"] == f"${{{{ steps.{deploy['id']}.outputs.page_url }}}}"


def test_the_readme_shows_the_same_workflow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert WORKFLOW.read_text(encoding="utf-8") in blocks, (
        "README's workflow differs from docs/ci/github-actions.yml"
    )
    assert "docs/ci/github-actions.yml" in (ROOT / "docs" / "reports.md").read_text(
        encoding="utf-8"
    )


def _ci_run(tmp_path: Path, run_exit: int, writes_report: bool) -> subprocess.CompletedProcess[str]:
    """.ci/run in a copy of the project with a stand-in ``make`` that logs its targets."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    report = "mkdir -p reports/out/allure-report && touch reports/out/allure-report/index.html"
    fake = bin_dir / "make"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "make $*" >> {tmp_path / "make.log"}\n'
        f'if [ "$1" = run ]; then {report if writes_report else ":"}; '
        f"exit {run_exit}; fi\n"
    )
    fake.chmod(0o755)
    return subprocess.run(
        [str(tmp_path / ".ci" / "run")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )


def test_ci_run_prints_the_report_then_runs_the_tests(tmp_path: Path) -> None:
    done = _ci_run(tmp_path, run_exit=0, writes_report=True)
    assert done.returncode == 0, done.stderr
    report = tmp_path / "reports" / "out" / "allure-report" / "index.html"
    assert f"Allure report: {report}" in done.stdout
    assert f"JUnit XML:     {tmp_path}/reports/out/junit.xml" in done.stdout
    assert (tmp_path / "make.log").read_text().splitlines() == ["make run", "make test"]


def test_ci_run_shows_the_report_of_a_failed_run(tmp_path: Path) -> None:
    done = _ci_run(tmp_path, run_exit=1, writes_report=True)
    assert done.returncode == 1
    assert "Allure report: " in done.stdout
    assert "make run failed (make's exit 1;" in done.stderr
    assert (tmp_path / "make.log").read_text().splitlines() == ["make run"]


def test_ci_run_fails_without_the_report(tmp_path: Path) -> None:
    done = _ci_run(tmp_path, run_exit=0, writes_report=False)
    assert done.returncode == 1
    assert "wrote no Allure report" in done.stderr
    assert "make test" not in (tmp_path / "make.log").read_text()
