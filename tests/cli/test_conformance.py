"""Conformance plans: selection, verdict, expected failures, coverage, vendor targets."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from harness.conformance import PLANS, get_plan, load_expected_failures
from harness.errors import ConfigError
from harness.protocol import DEFAULT_PROFILE
from harness.run import RunOptions, run_suites
from tests.cli.test_cli_serve import start, stop, trust_a_free_port

BIN = Path(sys.executable).parent / "vneid-harness"


def run(tmp_path: Path, **kwargs: object) -> tuple[int, dict, str]:
    console = Console(record=True, width=200)
    options = RunOptions(out=tmp_path / "out", **kwargs)  # type: ignore[arg-type]
    status = run_suites(options, console)
    data = json.loads(options.result_file.read_text()) if options.result_file.exists() else {}
    return status, data, console.export_text()


@pytest.mark.parametrize("plan", ["vssid-relying-party", "vneid-provider"])
def test_each_plan_covers_its_clauses_on_the_embedded_mocks(tmp_path: Path, plan: str) -> None:
    status, data, text = run(tmp_path, plan=plan)
    assert status == 0, text[-3000:]
    assert data["ok"] is True
    assert data["missing_clauses"] == []
    assert data["counts"]["PASSED"] > 50
    assert data["counts"]["FAILED"] == 0
    covered = {row["clause"] for row in data["clauses"] if row["tests"]}
    assert set(get_plan(plan).clauses) <= covered
    assert all(t["status"] in ("PASSED", "FAILED", "WARNING", "SKIPPED") for t in data["tests"])
    assert data["harness_version"]
    assert data["plan"] == plan


SUITE = """
    import pytest

    pytestmark = pytest.mark.plan("vssid-relying-party")

    @pytest.mark.clause("R-1")
    def test_known_bad():
        assert False, "state not checked"

    @pytest.mark.clause("R-2")
    def test_fixed_meanwhile():
        pass

    @pytest.mark.clause("R-9")
    @pytest.mark.warning_on_failure
    def test_discouraged():
        assert False, "allowed but discouraged"
"""


def test_expected_failures_warnings_unexpected_passes_and_coverage(tmp_path: Path) -> None:
    suite = tmp_path / "test_vendor.py"
    suite.write_text(textwrap.dedent(SUITE))
    expected = tmp_path / "expected.yaml"
    expected.write_text(
        textwrap.dedent("""
        expected_failures:
          - test: "*test_known_bad"
            clause: R-1
            status: FAILED
            reason: "release 3.1 does not check state yet"
          - test: "*test_fixed_meanwhile"
            clause: R-2
            status: FAILED
            reason: "was broken in 3.0"
          - test: "*test_known_bad"
            clause: R-9
            status: FAILED
            reason: "a clause the test does not cover"
          - test: "*test_renamed_long_ago"
            clause: R-1
            status: FAILED
            reason: "a glob that matches no test"
    """)
    )
    status, data, text = run(
        tmp_path, plan="vssid-relying-party", paths=[str(suite)], expected_failures=expected
    )
    tests = {t["test"].rsplit("::", 1)[1]: t for t in data["tests"]}
    assert tests["test_known_bad"]["status"] == "FAILED"
    assert tests["test_known_bad"]["expected_failure"]["reason"].startswith("release 3.1")
    assert tests["test_fixed_meanwhile"]["unexpected_pass"]["clause"] == "R-2"
    assert tests["test_discouraged"]["status"] == "WARNING"
    assert "UNEXPECTED PASS" in text
    assert "EXPECTED FAILED" in text
    # the counts lines: an expected failure is not counted as a failure, nor a WARNING
    said = " ".join(text.split())
    assert "1 passed, 0 failed, 1 expected failed, 0 skipped" in said
    assert "1 warnings, 0 expected warnings, 1 unexpected passes" in said
    assert data["counts"]["FAILED"] == 0
    assert data["counts"]["EXPECTED FAILED"] == data["counts"]["expected_failures"] == 1
    assert data["counts"]["WARNING"] == 1
    assert [(e["test"], e["clause"]) for e in data["unused_expected_failures"]] == [
        ("*test_known_bad", "R-9"),
        ("*test_renamed_long_ago", "R-1"),
    ]
    assert "UNUSED EXPECTED FAILURE test '*test_known_bad', clause R-9" in " ".join(text.split())
    assert "UNUSED EXPECTED FAILURE test '*test_renamed_long_ago', clause R-1" in " ".join(
        text.split()
    )
    page = (tmp_path / "out" / "conformance-vssid-relying-party.html").read_text()
    assert page.count('data-testid="unused-expected"') == 2
    # the three tests cover only: the rest of the plan is a coverage error
    assert "R-12" in data["missing_clauses"]
    assert "coverage error" in text
    assert status == 1
    assert data["ok"] is False


def test_an_unexpected_failure_fails_the_verdict(tmp_path: Path) -> None:
    suite = tmp_path / "test_vendor_unexpected.py"  # a module name of its own
    suite.write_text(textwrap.dedent(SUITE))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # the vendor's folder: pytest's root
    status, data, text = run(tmp_path, plan="vssid-relying-party", paths=[str(suite)], seed=4)
    assert status == 1
    assert data["counts"]["FAILED"] == 1
    assert "state not checked" in text
    # every written report says how to replay the failure, as the console does: the test
    # alone, with the run's seed and plan
    failed = next(t for t in data["tests"] if t["status"] == "FAILED")
    replay = failed["replay"]
    assert "--plan=vssid-relying-party " in replay  # (these tests draw nothing from --seed)
    # a test file outside the harness's folder: the run's root is the folder plain pytest
    # would take for it (the one with its pytest.ini), and node ids name their
    # file (pytest's own was "::test_known_bad", in every report; then the folder holding
    # the harness and the suite, "tmp/pytest-of-…/test_vendor_unexpected.py"); the run
    # reads the vendor's pytest.ini, as the replay's plain pytest does from that root, so
    # the node id and the test's seed are the same without pinning it
    root = str(tmp_path.resolve())
    assert failed["test"] == "test_vendor_unexpected.py::test_known_bad"
    assert replay.startswith(f"cd {root} && ")
    assert " --rootdir " not in replay
    assert replay.endswith(" test_vendor_unexpected.py::test_known_bad")
    assert all("replay" not in t for t in data["tests"] if t["status"] == "PASSED")
    assert f"to replay it alone: {replay}" in " ".join(text.split())
    assert "to run a failed test again alone" not in text  # each failure said its own
    lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    for line in map(json.loads, lines):  # a WARNING's test failed too: it has its own
        name = line["test"].rsplit("::", 1)[1]
        assert (line.get("replay") or "").endswith(f"::{name}") == (line["outcome"] == "failed")
    page = (tmp_path / "out" / "conformance-vssid-relying-party.html").read_text()
    assert page.count('data-testid="replay"') == 2  # the failure and the WARNING


def test_conformance_runs_one_test_again_with_k(tmp_path: Path) -> None:
    """A vendor replays one failed test: ``conformance`` takes ``-k`` (as the line under a
    failing run says), and the narrowed run is not held to the plan's coverage."""
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vssid-relying-party",
            "--out",
            str(tmp_path),
            "--no-report",
            "--seed",
            "4",
            "-k",
            "test_me_",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = " ".join(result.stdout.split())
    assert result.returncode == 0, said[-3000:]
    data = json.loads((tmp_path / "conformance-vssid-relying-party.json").read_text())
    names = {t["test"].rsplit("::", 1)[-1] for t in data["tests"]}
    assert names, said[-2000:]
    assert all(name.startswith("test_me_") for name in names), names
    assert "a partial run" in said
    assert data["ok"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("expected_failures: nope", "must hold a list"),
        ("expected_failures:\n  - {test: x, clause: Z-1, reason: r}", "not in PROTOCOL.md"),
        ("expected_failures:\n  - {test: x, clause: R-1, reason: r, status: PASSED}", "status"),
        (
            "expected_failures:\n  - {test: x, clause: R-1, reason: r, status: fa\u0131led}",
            "status",
        ),
        ("expected_failures:\n  - {test: x, clause: R-1}", "'reason'"),
        ("expected_failures:\n  - {test: x, clause: R-1, reason: r, why: y}", "unknown keys"),
        ("expected_failures: [", "not valid"),
        (
            "expected_failures:\n  - {test: x, clause: R-1, reason: r, match: '(unclosed'}",
            "'match' is not a regular expression",
        ),
        (
            "expected_failures:\n  - {test: x, clause: R-1, reason: r, match: ''}",
            "'match' must be a non-empty string",
        ),
    ],
)
def test_bad_expected_failures_files_are_clear_errors(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "expected.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_expected_failures(path)


def test_unknown_plan_is_refused() -> None:
    with pytest.raises(ConfigError, match="vssid-relying-party"):
        get_plan("nope")
    result = subprocess.run(
        [str(BIN), "conformance", "--plan", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "unknown plan" in result.stdout + result.stderr


def test_a_target_that_is_down_is_reported_before_the_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vneid-provider",
            "--vneid-url",
            "http://127.0.0.1:9",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin"},
    )
    assert result.returncode == 2
    assert "does not answer" in result.stderr  # a refusal: stderr, stdout left clean
    assert "is it running" in result.stderr
    assert result.stdout == ""


def test_vendor_provider_and_vendor_relying_party_over_http(tmp_path: Path) -> None:
    """Plan vneid-provider against a served VNeID; plan vssid-relying-party against a served
    VssID that trusts the VNeID the harness serves for it."""
    served = start()
    try:
        # the Allure HTML report too (as `run` writes it), its clause links where told
        provider = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--plan",
                "vneid-provider",
                "--vneid-url",
                served.vneid,
                "--out",
                str(tmp_path / "p"),
                "--protocol-url",
                "https://docs.example.test/PROTOCOL.md",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env={"COLUMNS": "200", "PATH": "/usr/bin"},
        )
        assert provider.returncode == 0, provider.stdout[-3000:]
        data = json.loads((tmp_path / "p" / "conformance-vneid-provider.json").read_text())
        assert data["target"]["vneid"] == served.vneid
        assert (tmp_path / "p" / "allure-report" / "index.html").is_file(), provider.stdout
        links = {
            link["url"].split("#")[0]
            for path in (tmp_path / "p" / "allure-results").glob("*-result.json")
            for link in json.loads(path.read_text()).get("links", [])
        }
        assert links == {"https://docs.example.test/PROTOCOL.md"}

        # a relying party with a client secret of its own (the default one is used by
        # tests/cli/test_profile_file.py's run of the same plan), sending the claimed https
        # forms of by default (RFC 8252 prefers them): the plan passes it too,
        # configuring the custom-scheme callback it catches codes on
        port = trust_a_free_port(served)
        httpx.post(
            f"{served.vssid}/_harness/config",
            json={
                "client_secret": "vendor-own-secret-1",
                "link_form": "https",
                "redirect_uri": DEFAULT_PROFILE.callback_https,
            },
            timeout=5,
        ).raise_for_status()
        rp = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--plan",
                "vssid-relying-party",
                "--vssid-url",
                served.vssid,
                "--serve-vneid-port",
                str(port),
                "--out",
                str(tmp_path / "r"),
                "--no-report",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env={
                "COLUMNS": "200",
                "PATH": "/usr/bin",
                "VNEID_HARNESS_RP_CLIENT_SECRET": "vendor-own-secret-1",
            },
        )
        assert rp.returncode == 0, rp.stdout[-3000:]
        assert f"harness VNeID serving at http://127.0.0.1:{port}" in rp.stdout
        # the run configured its custom-scheme callback for each test, and put the vendor's
        # own back at the end
        kept = httpx.get(f"{served.vssid}/_harness/config", timeout=5).json()
        assert (kept["redirect_uri"], kept["link_form"]) == (
            DEFAULT_PROFILE.callback_https,
            "https",
        )
        assert "vendor-own-secret-1" not in rp.stdout + "".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in (tmp_path / "r").rglob("*")
            if p.is_file()
        )
    finally:
        stop(served)


def test_plans_name_only_protocol_clauses() -> None:
    from harness.protocol import CLAUSES

    for plan in PLANS.values():
        assert set(plan.clauses) <= set(CLAUSES)


def test_the_served_vneid_takes_the_relying_partys_secret_and_method() -> None:
    from harness.serve import ServedVNeID

    vneid = ServedVNeID(0, client_secret="vendor-own-secret-1", auth_method="client_secret_post")
    try:
        client = vneid.provider.client(DEFAULT_PROFILE.vssid_client_id)
        assert client is not None
        assert (client.token_endpoint_auth_method, client.client_secret) == (
            "client_secret_post",
            "vendor-own-secret-1",
        )
    finally:
        vneid.__exit__()


def test_the_served_vneid_draws_from_the_runs_seed() -> None:
    """A relying party under test that fails on a ``kid`` or a ``sub`` gets the same ones
    from the same command (a determinism review: the served VNeID drew them at random)."""
    from harness.serve import ServedVNeID

    def drawn(seed: int | None) -> tuple[str, str]:
        vneid = ServedVNeID(0, seed=seed)
        try:
            sub = vneid.provider.grants.subjects.sub(
                DEFAULT_PROFILE.vssid_client_id, "001099012345"
            )
            return str(vneid.provider.signing_key.kid), sub
        finally:
            vneid.__exit__()

    assert drawn(7) == drawn(7)
    assert drawn(7) != drawn(8)
    assert drawn(None) != drawn(None)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--rp-client-secret", "s3cret-0123"],
            "--rp-client-secret and --rp-auth-method describe a relying party under test",
        ),
        (
            ["--rp-auth-method", "client_secret_post"],
            "--rp-client-secret and --rp-auth-method describe a relying party under test",
        ),
    ],
)
def test_relying_party_options_without_one_are_refused(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vneid-provider",
            "--vneid-url",
            "http://127.0.0.1:9",
            *args,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )
    assert result.returncode == 2
    assert says in result.stderr


def test_the_secrets_environment_variable_does_not_stop_a_provider_run(tmp_path: Path) -> None:
    """A CI job may export VNEID_HARNESS_RP_CLIENT_SECRET for its relying-party run: its
    provider run goes on (here to the unreachable target's refusal, exit 2 for that)."""
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vneid-provider",
            "--vneid-url",
            "http://127.0.0.1:9",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "300", "PATH": "/usr/bin", "VNEID_HARNESS_RP_CLIENT_SECRET": "s3cret-ci"},
    )
    assert "describe a relying party under test" not in result.stdout + result.stderr
    assert "does not answer" in result.stderr, result.stdout + result.stderr


def test_an_unknown_relying_party_auth_method_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vssid-relying-party",
            "--vssid-url",
            "http://127.0.0.1:9",
            "--serve-vneid-port",
            "0",
            "--rp-auth-method",
            "private_key_jwt",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )
    assert result.returncode == 2
    assert (
        "--rp-auth-method must be one of client_secret_basic, client_secret_post" in result.stderr
    )


def test_a_partial_run_lists_no_unused_expected_failure() -> None:
    """Under -k an entry may simply not have been selected: neither the console nor the
    JSON calls it unused then."""
    from harness.conformance.expected import ExpectedFailure
    from harness.conformance.results import TestOutcome, evaluate

    plan = get_plan("vssid-relying-party")
    entry = ExpectedFailure("*test_not_selected", "R-1", "FAILED", "known")
    ran = [TestOutcome("scenarios/test_x.py::test_selected", "passed", ("R-2",), 0.1, "", False)]
    assert (
        evaluate(plan, ran, [entry], coverage_required=False).to_json()["unused_expected_failures"]
        == []
    )
    whole = evaluate(plan, ran, [entry]).to_json()
    assert whole["unused_expected_failures"] == [entry.to_json()]


def test_an_expected_failure_is_ok_and_its_clause_expected_failed() -> None:
    """An expected failure alone must leave the verdict OK and show its clause as EXPECTED
    FAILED (it was WARNING, like a ``warning_on_failure`` test's): the test above cannot tell
    (its run fails for coverage anyway). tests/harness/test_conformance_statuses.py has the
    order of the statuses."""
    from harness.conformance.expected import ExpectedFailure
    from harness.conformance.results import TestOutcome, evaluate

    plan = get_plan("vssid-relying-party")
    entry = ExpectedFailure(
        test="*test_known_bad",
        clause="R-1",
        status="FAILED",
        reason="release 3.1 does not check state yet",
    )
    outcomes = [
        TestOutcome("scenarios/test_x.py::test_known_bad", "failed", ("R-1",)),
        TestOutcome("scenarios/test_x.py::test_fine", "passed", ("R-2",)),
    ]
    result = evaluate(plan, outcomes, [entry], coverage_required=False)
    assert result.ok is True
    status = {c.clause: c.status for c in result.clauses}
    assert (status["R-1"], status["R-2"]) == ("EXPECTED FAILED", "PASSED")
    assert [t.expected for t in result.tests] == [entry, None]
    unexpected = evaluate(plan, outcomes, [], coverage_required=False)
    assert unexpected.ok is False
    assert {c.clause: c.status for c in unexpected.clauses}["R-1"] == "FAILED"


def test_only_a_marked_tests_own_check_is_a_warning() -> None:
    """``warning_on_failure`` makes the test's own failed check a WARNING; a set-up that
    could not reach it (an ``error``: the provider issued no tokens to look at) is FAILED.
    The Pragma test was a WARNING, "allowed but discouraged", against a provider that never
    issued a code."""
    from harness.conformance.results import TestOutcome, evaluate

    plan = get_plan("vneid-provider")
    outcomes = [
        TestOutcome(
            "scenarios/test_t.py::test_pragma", "failed", ("T-1",), warning_on_failure=True
        ),
        TestOutcome(
            "scenarios/test_t.py::test_pragma_unreached", "error", ("T-1",), warning_on_failure=True
        ),
    ]
    result = evaluate(plan, outcomes, coverage_required=False)
    assert [t.status for t in result.tests] == ["WARNING", "FAILED"]
    assert result.ok is False


def test_an_expected_failure_with_match_covers_only_its_own_reason() -> None:
    """An entry with ``match`` takes a failure only when its message holds the pattern: a
    second fault in the same test (an open redirect behind a known discovery gap, say) fails
    the verdict, and the message says why the entry did not apply."""
    from harness.conformance.expected import ExpectedFailure
    from harness.conformance.results import TestOutcome, evaluate

    plan = get_plan("vneid-provider")
    entry = ExpectedFailure(
        "*test_discovery",
        "T-4",
        "FAILED",
        "no https template yet",
        match=r"vneid_app_link_https_template",
    )
    known = TestOutcome(
        "scenarios/test_tokens.py::test_discovery",
        "failed",
        ("T-4",),
        0.1,
        "KeyError: 'vneid_app_link_https_template'",
    )
    other = TestOutcome(
        "scenarios/test_tokens.py::test_discovery",
        "failed",
        ("T-4",),
        0.1,
        "assert ['S256', 'plain'] == ['S256']",
    )
    assert evaluate(plan, [known], [entry], coverage_required=False).ok is True
    result = evaluate(plan, [other], [entry], coverage_required=False)
    assert result.ok is False
    assert result.tests[0].expected is None
    assert "not the expected failure of '*test_discovery'" in result.tests[0].message
    # one entry per known reason: the one whose match fits takes the failure, searched in
    # the whole message (here past the 300 characters the reports keep)
    second = ExpectedFailure(
        "*test_discovery", "T-4", "FAILED", "plain listed", match=r"\['S256', 'plain'\]"
    )
    long = TestOutcome(
        "scenarios/test_tokens.py::test_discovery",
        "failed",
        ("T-4",),
        0.1,
        "assert " + "x" * 300,
        False,
        "assert " + "x" * 300 + "\n  ['S256', 'plain'] == ['S256']",
    )
    both = evaluate(plan, [long], [entry, second], coverage_required=False)
    assert both.ok is True
    assert both.tests[0].expected is second
    # in a whole-plan run, an entry with a match of its own is not called unused
    assert evaluate(plan, [long], [entry, second]).to_json()["unused_expected_failures"] == []
    assert entry.to_json()["match"] == "vneid_app_link_https_template"
    assert "match" not in ExpectedFailure("t", "T-4", "FAILED", "r").to_json()


def test_the_allure_report_is_named_by_its_plan_and_targets() -> None:
    """The main job's report and two vendor plans' all read "VNeID → VssID login
    (vneid-harness)"."""
    from harness.run_reports import report_name
    from reports.allure_html import DEFAULT_NAME

    assert report_name(RunOptions(), "all") == DEFAULT_NAME
    named = report_name(RunOptions(vneid_url="http://ops:pw@idp.example:8801"), "vneid-provider")
    assert named == (
        "VNeID → VssID login: plan vneid-provider (VNeID "
        "http://ops:%5BREDACTED%5D@idp.example:8801, VssID embedded) (vneid-harness)"
    )


def test_a_relying_party_runs_failures_replay_with_the_conformance_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a relying party under test the run serves the VNeID it trusts, gone once the
    run ends: a pytest replay line reached nothing ("cannot reach the vneid provider"). The
    replay is the conformance command, which serves it again; its secret is never printed."""
    import shlex

    from harness.cli import _conformance_replay
    from harness.replay import own_pytest, replay_command

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text("scope: openid profile\n")
    options = RunOptions(
        out=Path("out"), seed=4, plan="vssid-relying-party", profile=Path("p.yaml")
    )
    command = _conformance_replay(
        options, "http://ops:pw@rp.example:9000", 18811, "client_secret_post", secret_given=True
    )
    given, _, note = command.partition("  # ")
    assert shlex.split(given) == [
        own_pytest("vneid-harness"),
        "conformance",
        "--plan",
        "vssid-relying-party",
        "--vssid-url",
        "http://ops:%5BREDACTED%5D@rp.example:9000",
        "--serve-vneid-port",
        "18811",
        "--rp-auth-method",
        "client_secret_post",
        "--seed",
        "4",
        "--out",
        "out-replay",
        "--no-report",
        "--protocol-profile",
        str(tmp_path / "p.yaml"),
    ]
    assert note == "with $VNEID_HARNESS_RP_CLIENT_SECRET set to the relying party's secret"
    config = pytest.Config.fromdictargs({"replay_as": command, "admin_token": "T0K"}, [])
    line = replay_command(config, "scenarios/test_id_token_checks.py::test_nonce[x]")
    assert line == (
        f"{given} -k 'test_nonce[x]'  # {note}; with $VNEID_HARNESS_ADMIN_TOKEN "
        "set to this run's admin token"
    )
    assert "T0K" not in line


def test_a_replay_of_a_replay_writes_where_the_replay_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay line of a run into OUT writes into OUT-replay; the replay line that run
    printed wrote into OUT-replay-replay, and so on. A replay's own run (its --out ends in
    -replay) replays into its own folder: the line it prints is the one that started it."""
    import shlex

    from harness.cli import _conformance_replay, replay_out

    assert replay_out(Path("reports/out"), replaying=False) == "reports/out-replay"
    assert replay_out(Path("reports/out-replay"), replaying=True) == "reports/out-replay"
    assert replay_out(Path("/abs/out-replay/"), replaying=True) == "/abs/out-replay"
    assert replay_out(Path("reports/replay"), replaying=True) == "reports/replay-replay"
    # a whole run into a folder that merely ends in -replay: its line must not write there
    assert replay_out(Path("reports/out-replay"), replaying=False) == "reports/out-replay-replay"

    monkeypatch.chdir(tmp_path)

    def line(out: Path, **given: Any) -> str:
        return _conformance_replay(
            RunOptions(out=out, seed=4, plan="vssid-relying-party", **given),
            "http://rp.example:9000",
            18811,
            "client_secret_basic",
            secret_given=False,
        )

    first = line(Path("out"), allure_report=True)
    words = shlex.split(first)
    replayed_out = Path(words[words.index("--out") + 1])
    assert replayed_out == Path("out-replay")
    # the replay's own run (-k NAME, --no-report) prints the line that started it
    assert line(replayed_out, keyword="test_x") == first
    # a whole run (no -k, or with its report) into OUT-replay replays beside it
    for whole in ({}, {"keyword": "test_x", "allure_report": True}):
        assert f"--out {replayed_out}-replay " in line(replayed_out, **whole)


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        ("s/t.py::test_fault[id_token_nonce_invalid]", "test_fault[id_token_nonce_invalid]"),
        ("s/t.py::test_v[1.6.7+build.5-ios]", "test_v[1.6.7+build.5-ios]"),
        ("s/t.py::test_issuer[]", "test_issuer[]"),
        ("s/t.py::test_v[space xx]", "test_v"),  # -k cannot take a space: every case
        ("s/t.py::test_v[a=b]", "test_v"),
        ("s/t.py::test_v['q']", "test_v"),
        ("s/t.py::Class::test_plain", "test_plain"),
    ],
)
def test_the_replay_selects_the_failed_case_alone_where_k_can_say_it(
    nodeid: str, name: str
) -> None:
    """A vendor pasted a replay line "to run it again alone" and ran 26 tests: every case of
    the parametrized test. ``-k`` takes a name with its parametrization, when it can."""
    from _pytest.mark.expression import Expression

    from harness.replay import _k_name

    assert _k_name(nodeid) == name

    full = nodeid.rsplit("::", 1)[-1]  # pytest's -k: a substring of the test's name
    assert Expression.compile(name).evaluate(lambda ident, **_: ident.lower() in full.lower())


def test_conformance_previews_the_verdict_on_a_deliberately_broken_mock(tmp_path: Path) -> None:
    """A vendor sees what the plan says of a provider that forgets to check the PKCE
    verifier before running it at their own: the verdict names the broken mock as the
    target, fails the clauses that catch it, and each replay line breaks the mock again."""
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vneid-provider",
            "--broken-vneid",
            "verifier",
            "--out",
            str(tmp_path),
            "--no-report",
            "-k",
            "hijacking or missing_pkce",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )
    said = " ".join(result.stdout.split())
    assert result.returncode == 1, said[-3000:]
    assert (
        "warning: the embedded VNeID mock is deliberately broken: forgets the check "
        "verifier (--broken-vneid)"
    ) in said
    data = json.loads((tmp_path / "conformance-vneid-provider.json").read_text())
    assert data["target"]["vneid"] == (
        "embedded, deliberately broken: forgets the check verifier (--broken-vneid)"
    )
    assert data["target"]["vssid"] == "embedded"
    assert {row["clause"] for row in data["clauses"] if row["status"] == "FAILED"} == {"S-1", "S-4"}
    failed = [t for t in data["tests"] if t["status"] == "FAILED"]
    assert len(failed) == 3, [t["test"] for t in failed]
    assert all("--broken-vneid=verifier" in t["replay"] for t in failed)
    hijacked = next(t for t in failed if t["test"].endswith("[android]"))
    assert hijacked["clauses"] == ["S-4"]  # not R-1: no relying party is graded here
    # the stolen code's redemption is in the evidence, by the app that stole it
    assert "Hijacking app → VNeID server: POST /token → 200" in hijacked["evidence"]["steps"]


def test_a_broken_relying_party_preview_fails_its_clause(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(BIN),
            "conformance",
            "--plan",
            "vssid-relying-party",
            "--broken-rp",
            "nonce",
            "--out",
            str(tmp_path),
            "--no-report",
            "-k",
            "nonce",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )
    said = " ".join(result.stdout.split())
    assert result.returncode == 1, said[-3000:]
    data = json.loads((tmp_path / "conformance-vssid-relying-party.json").read_text())
    assert data["target"]["vssid"] == "embedded, deliberately broken: skips nonce (--broken-rp)"
    assert "R-9" in {row["clause"] for row in data["clauses"] if row["status"] == "FAILED"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--plan", "vneid-provider", "--broken-vneid", "nope"],
            "--broken-vneid: unknown fault or check 'nope'; "
            "choose a fault from id_token_nonce_invalid",
        ),
        (
            ["--plan", "vssid-relying-party", "--broken-rp", "nope"],
            "--broken-rp: unknown check(s) nope; choose from nonce, state",
        ),
        (
            ["--plan", "vneid-provider", "--broken-rp", "nonce"],
            "--broken-rp breaks the embedded relying party, "
            "which plan vneid-provider does not grade",
        ),
        (
            ["--plan", "vssid-relying-party", "--broken-vneid", "verifier"],
            "--broken-vneid breaks the embedded provider, which plan vssid-relying-party does not "
            "grade",
        ),
        (
            [
                "--plan",
                "vneid-provider",
                "--broken-vneid",
                "verifier",
                "--vneid-url",
                "http://127.0.0.1:9",
            ],
            "--broken-vneid breaks the harness's embedded mocks, to preview a failing verdict; a "
            "server of yours is tested as it is",
        ),
        (
            [
                "--plan",
                "vssid-relying-party",
                "--broken-rp",
                "nonce",
                "--broken-rp",
                "state",
                "--vssid-url",
                "http://127.0.0.1:9",
            ],
            "--broken-rp breaks the harness's embedded mocks",
        ),
    ],
)
def test_a_broken_mock_it_cannot_preview_is_refused(
    tmp_path: Path, args: list[str], says: str
) -> None:
    result = subprocess.run(
        [str(BIN), "conformance", *args, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "300", "PATH": "/usr/bin"},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert says in " ".join(result.stderr.split())
    assert not (tmp_path / "out").exists()


def test_a_served_broken_provider_and_relying_party_fail_their_plans(tmp_path: Path) -> None:
    """``serve --broken-vneid``/``--broken-rp``: a vendor sees a plan catch a broken
    implementation over HTTP, as it would theirs (and ``serve`` says it is broken)."""
    served = start("--broken-vneid", "verifier", "--broken-rp", "nonce")
    try:
        provider = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--plan",
                "vneid-provider",
                "--vneid-url",
                served.vneid,
                "--out",
                str(tmp_path / "provider"),
                "--no-report",
                "-k",
                "missing_pkce",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={"COLUMNS": "300", "PATH": "/usr/bin"},
        )
        assert provider.returncode == 1, provider.stdout[-3000:]
        verdict = json.loads(
            (tmp_path / "provider" / "conformance-vneid-provider.json").read_text()
        )
        assert {row["clause"] for row in verdict["clauses"] if row["status"] == "FAILED"} == {
            "S-1",
            "S-4",
        }
        port = trust_a_free_port(served)
        party = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--plan",
                "vssid-relying-party",
                "--vssid-url",
                served.vssid,
                "--serve-vneid-port",
                str(port),
                "--out",
                str(tmp_path / "rp"),
                "--no-report",
                "-k",
                "nonce",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={"COLUMNS": "300", "PATH": "/usr/bin"},
        )
        assert party.returncode == 1, party.stdout[-3000:]
        verdict = json.loads((tmp_path / "rp" / "conformance-vssid-relying-party.json").read_text())
        assert "R-9" in {row["clause"] for row in verdict["clauses"] if row["status"] == "FAILED"}
    finally:
        served.proc.send_signal(signal.SIGTERM)
        assert served.proc.stdout is not None
        # through the text buffer start() read the URLs with (communicate() reads the pipe
        # itself, and the lines that buffer holds already were missing from what it gave)
        with served.proc.stdout:
            said = served.proc.stdout.read()
        status = served.proc.wait(timeout=15)
    assert status == 0, said
    said = " ".join(said.split())
    assert "warning: the VNeID mock is deliberately broken: forgets the check verifier" in said
    assert "warning: the VssID mock is deliberately broken: skips nonce (--broken-rp)" in said


@pytest.mark.parametrize(
    ("config", "first"),
    [
        ({"client_secret": "our-own-secret-0123"}, "first: the client secret is wrong"),
        ({}, None),  # as the run was told: no such warning
    ],
)
def test_a_relying_party_set_up_otherwise_is_told_which_options_to_give(
    tmp_path: Path, config: dict[str, str], first: str | None
) -> None:
    """A relying party configured with its own secret, run without --rp-client-secret,
    failed most of the plan (66 tests, S-5 among them), each message naming the refusal but
    none the fix (a vendor's read): the run ends with it."""
    served = start()
    try:
        port = trust_a_free_port(served)
        if config:
            httpx.post(f"{served.vssid}/_harness/config", json=config, timeout=5).raise_for_status()
        result = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--plan",
                "vssid-relying-party",
                "--vssid-url",
                served.vssid,
                "--serve-vneid-port",
                str(port),
                "--out",
                str(tmp_path),
                "--no-report",
                "-k",
                "test_citizen_lands_on_vssid_home",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={"COLUMNS": "300", "PATH": "/usr/bin"},
        )
    finally:
        stop(served)
    said = " ".join(result.stderr.split())
    if first is None:
        assert result.returncode == 0, result.stdout[-3000:]
        assert "refused the relying party's client authentication" not in said
        return
    assert result.returncode == 1, result.stdout[-3000:]
    assert (
        "warning: the harness VNeID refused the relying party's client authentication at "
        f"/token 2 time(s) as invalid_client (T-1), {first}"
    ) in said
    assert (
        "it was told to expect the vssid client with client_secret_basic and the default "
        "secret vssid-harness-client-secret: give the method and secret your relying party "
        "uses with --rp-auth-method and --rp-client-secret, and run again"
    ) in said
    assert "our-own-secret-0123" not in result.stdout + result.stderr
