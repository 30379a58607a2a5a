"""The CLI, the runner and the pytest plugin refuse the same mistakes in the same words:
harness.run_checks's (tested themselves in tests/harness/test_run_checks.py), each with the
front end's own exit status (the CLI and the runner 2, pytest 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from harness.broken_mocks import BrokenMocks
from harness.cli import app
from harness.conformance import PLANS
from harness.errors import ConfigError
from harness.run import RunOptions, run_suites
from harness.run_checks import (
    admin_token_env_problem,
    broken_plan_problem,
    broken_with_targets_problem,
    empty_path_problem,
    empty_value_problem,
    plan_problem,
    remote_workers_problem,
    target_url_problem,
    vssid_without_vneid_problem,
)

runner = CliRunner()
NOWHERE = "http://127.0.0.1:9"  # nothing is asked of it: each run is refused before
EMPTY_TOKEN = {"VNEID_HARNESS_ADMIN_TOKEN": ""}


def _words(text: str | None) -> str:
    assert text is not None
    return " ".join(text.split())


def _cli_says(args: list[str], env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, args, env={"COLUMNS": "400", **(env or {})})
    assert result.exit_code == 2, result.output
    return _words(result.output)


@pytest.mark.parametrize(
    ("args", "env", "problem"),
    [
        (["conformance", "--plan", "nope"], None, plan_problem("nope", PLANS)),
        (
            ["conformance", "--plan", "all", "--vneid-url", ""],
            None,
            target_url_problem("--vneid-url", ""),
        ),
        (
            [
                "conformance",
                "--plan",
                "vneid-provider",
                "--vneid-url",
                NOWHERE,
                "--broken-vneid",
                "verifier",
            ],
            None,
            broken_with_targets_problem(["--broken-vneid"], ["--vneid-url"]),
        ),
        (["run", "--workers", "1"], EMPTY_TOKEN, admin_token_env_problem(None, EMPTY_TOKEN)),
        (
            ["serve", "--vneid-port", "0", "--vssid-port", "0"],
            EMPTY_TOKEN,
            admin_token_env_problem(None, EMPTY_TOKEN),
        ),
        (["run", "--out", ""], None, empty_path_problem("")),
        (["run", "--protocol-url", ""], None, empty_value_problem("")),
        # the runner's refusals, through the CLI: before any target is asked (NOWHERE would
        # be "does not answer")
        (["run", "--vssid-url", NOWHERE], None, vssid_without_vneid_problem(None, NOWHERE)),
        (
            ["run", "--vneid-url", NOWHERE, "--workers", "2"],
            None,
            remote_workers_problem(
                2, ["--vneid-url"], option="--workers", one_process="--workers 1"
            ),
        ),
    ],
)
def test_the_cli_says_the_shared_words(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str] | None,
    problem: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _words(problem) in _cli_says([*args, "--no-report"] if args[0] == "run" else args, env)
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (RunOptions(plan="nope"), plan_problem("nope", PLANS)),
        (RunOptions(vssid_url="ftp://rp"), target_url_problem("--vssid-url", "ftp://rp")),
    ],
)
def test_the_runner_raises_the_shared_words(
    tmp_path: Path, options: RunOptions, problem: str | None
) -> None:
    options.out = tmp_path / "out"
    with pytest.raises(ConfigError) as refused:
        run_suites(options)
    assert str(refused.value) == problem
    assert not options.out.exists()


@pytest.mark.parametrize(
    ("args", "env", "problem"),
    [
        (["--plan", "nope"], None, plan_problem("nope", PLANS)),
        (["--vneid-url", ""], None, target_url_problem("--vneid-url", "")),
        (["--vssid-url", NOWHERE], None, vssid_without_vneid_problem(None, NOWHERE)),
        (
            ["--vneid-url", NOWHERE, "--broken-rp", "nonce"],
            None,
            broken_with_targets_problem(["--broken-rp"], ["--vneid-url"]),
        ),
        (
            ["-n", "2", "--vneid-url", NOWHERE],
            None,
            remote_workers_problem(
                2, ["--vneid-url"], option="-n", one_process="leave out -n, or -n 0"
            ),
        ),
        # with a plan that does not grade the broken mock, the selected tests passed as if
        # nothing were broken (the runner and the CLI refused it)
        (
            ["--plan", "vneid-provider", "--broken-rp", "nonce"],
            None,
            broken_plan_problem("vneid-provider", True, False),
        ),
        (
            ["--plan", "vssid-relying-party", "--broken-vneid", "verifier"],
            None,
            broken_plan_problem("vssid-relying-party", False, True),
        ),
        (["--vneid-url", NOWHERE], EMPTY_TOKEN, admin_token_env_problem(None, EMPTY_TOKEN)),
        (["--protocol-url="], None, f"--protocol-url {empty_value_problem('')}"),
        (["--personas="], None, f"argument --personas: {empty_path_problem('')}"),
    ],
)
def test_the_plugin_says_the_shared_words(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str] | None,
    problem: str | None,
) -> None:
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert _words(problem) in _words(result.stderr.str())


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (RunOptions(vssid_url=NOWHERE), vssid_without_vneid_problem(None, NOWHERE)),
        (
            RunOptions(vneid_url=NOWHERE, broken=BrokenMocks.parse(["nonce"])),
            broken_with_targets_problem(["--broken-rp"], ["--vneid-url"]),
        ),
        (
            RunOptions(plan="vneid-provider", broken=BrokenMocks.parse(["nonce"])),
            broken_plan_problem("vneid-provider", True, False),
        ),
        (
            RunOptions(plan="vssid-relying-party", broken=BrokenMocks.parse(None, "verifier")),
            broken_plan_problem("vssid-relying-party", False, True),
        ),
    ],
)
def test_the_runner_refuses_before_asking_a_target(
    tmp_path: Path, options: RunOptions, problem: str | None
) -> None:
    """Refused up front (2) in the CLI's words: pytest refused the first two only after the
    probes had asked the target (NOWHERE would have been "does not answer"), and nothing
    refused a broken mock the plan does not grade (its run passed as if nothing were
    broken)."""
    options.out = tmp_path / "out"
    console = Console(record=True, width=400)
    assert run_suites(options, console=console) == 2
    assert _words(f"cannot run plan {options.plan}: {problem}") in _words(console.export_text())
    assert not options.out.exists()
