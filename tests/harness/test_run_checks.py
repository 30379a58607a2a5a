"""The option checks the CLI, the runner and the pytest plugin share (harness.run_checks),
each tested once here; that each front end says them in these words is
tests/cli/test_run_checks_front_ends.py."""

from __future__ import annotations

import pytest

from harness.conformance import PLANS, get_plan
from harness.errors import ConfigError
from harness.run_checks import (
    REMOTE_TESTS_TAKE_TURNS,
    admin_token_env_problem,
    admin_token_problem,
    broken_plan_problem,
    broken_with_targets_problem,
    empty_path_problem,
    empty_value_problem,
    plan_problem,
    remote_workers_problem,
    target_url_problem,
    targets_given,
    vssid_without_vneid_problem,
)
from harness.targets import check_admin_token, check_target_url


def test_an_empty_value_is_a_problem_and_no_value_is_none() -> None:
    assert empty_value_problem("") == (
        "is empty (an unset variable?): give a value, or leave the option out for its default"
    )
    assert empty_value_problem(None) is None
    assert empty_value_problem(" x") is None


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_path_is_a_problem(value: str) -> None:
    assert empty_path_problem(value) == "is empty (an unset variable?): give a path"
    assert empty_path_problem("reports/out") is None


def test_an_unknown_plan_lists_the_plans() -> None:
    assert plan_problem("nope", PLANS) == (
        "unknown plan 'nope': choose one of vssid-relying-party, vneid-provider, all"
    )
    assert all(plan_problem(name, PLANS) is None for name in PLANS)
    with pytest.raises(ConfigError) as refused:  # the engine's own check, in the same words
        get_plan("nope")
    assert str(refused.value) == plan_problem("nope", PLANS)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "",
            "--vneid-url is empty (an unset variable?): give the target's URL (for example "
            "--vneid-url http://127.0.0.1:8801), or leave the option out to run against the "
            "embedded mock providers",
        ),
        (
            "127.0.0.1:8801",
            "--vneid-url must be an http(s) URL, got '127.0.0.1:8801' (for example "
            "--vneid-url http://127.0.0.1:8801)",
        ),
        (
            "http://",
            "--vneid-url 'http://' has no host (for example --vneid-url http://127.0.0.1:8801)",
        ),
        ("http://u:s3cret@", "--vneid-url 'http://u:%5BREDACTED%5D@' has no host"),  # S-5
    ],
)
def test_a_target_url_must_be_http_with_a_host(url: str, said: str) -> None:
    problem = target_url_problem("--vneid-url", url)
    assert problem is not None
    assert problem.startswith(said)
    with pytest.raises(ConfigError) as refused:  # the engine's own check
        check_target_url("--vneid-url", url)
    assert str(refused.value) == problem
    assert target_url_problem("--vneid-url", None) is None
    assert target_url_problem("--vssid-url", "https://rp.example") is None
    assert "http://127.0.0.1:8802" in (target_url_problem("--vssid-url", "") or "")


@pytest.mark.parametrize(
    "port",
    ["\uff18\uff18\uff10\uff11", "\u0668\u0668\u0660\u0661", "+8801", " 8801", "8_801", "99999"],
)
def test_a_target_port_is_ascii_digits_in_range(port: str) -> None:
    """httpx reads a URL's port with int(): a fullwidth one was taken for 8801 and the run
    went on to fail the target's clauses on an issuer it never named; 99999 stopped the run
    with a traceback (exit 1, a failed verdict's status)."""
    problem = target_url_problem("--vneid-url", f"http://127.0.0.1:{port}")
    assert problem == (
        f"--vneid-url 'http://127.0.0.1:{port}' has a port that is not a number from 0 to "
        "65535 in ASCII digits (for example --vneid-url http://127.0.0.1:8801)"
    )
    assert target_url_problem("--vneid-url", "http://127.0.0.1:8801") is None
    assert target_url_problem("--vneid-url", "http://[::1]:8801/base") is None


def test_the_target_options_given_are_named() -> None:
    assert targets_given(None, None) == []
    assert targets_given("http://a", None) == ["--vneid-url"]
    assert targets_given("http://a", "http://b") == ["--vneid-url", "--vssid-url"]


def test_a_vssid_target_needs_a_vneid_target() -> None:
    assert vssid_without_vneid_problem(None, "http://rp") == (
        "--vssid-url needs --vneid-url: a VssID backend out of process can only trust a "
        "VNeID provider it can reach (e.g. both from vneid-harness serve)"
    )
    assert vssid_without_vneid_problem("http://idp", "http://rp") is None
    assert vssid_without_vneid_problem(None, None) is None


@pytest.mark.parametrize("plan", PLANS)
def test_a_broken_mock_must_be_one_the_plan_grades(plan: str) -> None:
    rp, vneid = broken_plan_problem(plan, True, False), broken_plan_problem(plan, False, True)
    assert (rp is not None) == (plan == "vneid-provider")
    assert (vneid is not None) == (plan == "vssid-relying-party")
    assert broken_plan_problem(plan, False, False) is None
    if rp is not None:
        assert rp.startswith("--broken-rp breaks the embedded relying party")
        assert rp.endswith("give it with --plan vssid-relying-party (or all)")
    if vneid is not None:
        assert vneid.startswith("--broken-vneid breaks the embedded provider")
        assert vneid.endswith("give it with --plan vneid-provider (or all)")


@pytest.mark.parametrize(
    ("token", "said"),
    [
        (
            "",
            "--admin-token (or VNEID_HARNESS_ADMIN_TOKEN) is empty; give a token, or leave it "
            "out to serve the test-control API to loopback callers only (S-6)",
        ),
        (
            " padded",
            "--admin-token (or VNEID_HARNESS_ADMIN_TOKEN) must be printable ASCII with no "
            "space at either end",
        ),
        ("line\n", "--admin-token (or VNEID_HARNESS_ADMIN_TOKEN) must be printable ASCII"),
    ],
)
def test_an_admin_token_no_header_can_carry_is_a_problem(token: str, said: str) -> None:
    problem = admin_token_problem(token)
    assert problem is not None
    assert problem.startswith(said)
    with pytest.raises(ConfigError) as refused:
        check_admin_token(token)
    assert str(refused.value) == problem
    assert admin_token_problem(None) is None
    assert admin_token_problem("inner spaces are fine!~") is None


def test_an_empty_admin_token_variable_is_a_problem_unless_a_token_is_given() -> None:
    empty = {"VNEID_HARNESS_ADMIN_TOKEN": ""}
    assert admin_token_env_problem(None, empty) == (
        "VNEID_HARNESS_ADMIN_TOKEN is set but empty: set it to the token (the one the targets "
        "were served with; for serve, the one to require), pass --admin-token, or unset it "
        "(without a token the test-control API answers loopback callers only, S-6)"
    )
    assert admin_token_env_problem("given", empty) is None
    assert admin_token_env_problem(None, {}) is None
    assert admin_token_env_problem(None, {"VNEID_HARNESS_ADMIN_TOKEN": "t"}) is None


def test_a_broken_mock_with_a_target_is_a_problem() -> None:
    assert broken_with_targets_problem(["--broken-rp"], ["--vssid-url"]) == (
        "--broken-rp breaks the harness's embedded mocks, to preview a failing verdict; a "
        "server of yours is tested as it is: leave out --broken-rp, or --vssid-url"
    )
    both = broken_with_targets_problem(
        ["--broken-rp", "--broken-vneid"], ["--vneid-url", "--vssid-url"]
    )
    assert both is not None
    assert both.startswith("--broken-rp and --broken-vneid break the harness's embedded mocks")
    assert both.endswith("leave out --broken-rp and --broken-vneid, or --vneid-url and --vssid-url")
    assert broken_with_targets_problem([], ["--vneid-url"]) is None
    assert broken_with_targets_problem(["--broken-rp"], []) is None


def test_workers_against_remote_targets_are_a_problem() -> None:
    said = remote_workers_problem(
        2, ["--vneid-url"], option="-n", one_process="leave out -n, or -n 0"
    )
    assert said == (
        f"-n 2 with --vneid-url: {REMOTE_TESTS_TAKE_TURNS}; run them in one "
        "process (leave out -n, or -n 0)"
    )
    assert REMOTE_TESTS_TAKE_TURNS.startswith("tests against remote providers share their state")
    auto = remote_workers_problem(
        None, ["--vneid-url", "--vssid-url"], option="--workers", one_process="--workers 1"
    )
    assert auto is not None
    assert auto.startswith("--workers auto with --vneid-url and --vssid-url: ")
    for workers in (0, 1):
        assert remote_workers_problem(workers, ["--vneid-url"], option="-n", one_process="") is None
    assert remote_workers_problem(4, [], option="-n", one_process="") is None
