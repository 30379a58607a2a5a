"""One served pair, several users: a run holds the providers' leases while it goes
(:mod:`harness.lease`), and a second run is refused before its first test, naming who holds
them. Before the lease, two runs at once against one pair failed 44 tests each (R-5 "the
relying party took it", T-2 "accepts an expired code", V-2) with no word of the other run,
whatever their seeds: each test sets the clocks back, clears the faults and empties the
request logs (README "Sharing a served pair")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from harness.run import RunOptions, run_suites
from harness.serve import ServedInThread, build_served

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "test_discovery_lists_what_t4_requires"


def test_a_run_is_refused_while_another_holds_the_pair_and_holds_it_itself(
    tmp_path: Path,
) -> None:
    with ServedInThread(build_served(0, 0)) as pair:
        held = httpx.post(
            f"{pair.vneid_url}/_harness/lease", json={"holder": "Lan's run (pid 9 on qa-3)"}
        ).json()
        refused = Console(record=True, width=300)
        options = RunOptions(
            out=tmp_path / "refused",
            vneid_url=pair.vneid_url,
            vssid_url=pair.vssid_url,
            keyword=ONE_TEST,
        )
        assert run_suites(options, refused) == 2
        said = " ".join(refused.export_text().split())
        assert (
            f"the VNeID target at {pair.vneid_url} is in use by Lan's run (pid 9 on qa-3); "
            "its lease ends in 60 s unless renewed"
        ) in said
        assert "serve a pair of your own" in said
        httpx.delete(f"{pair.vneid_url}/_harness/lease/{held['lease_id']}")

        ran = Console(record=True, width=300)
        options = RunOptions(
            out=tmp_path / "ran",
            vneid_url=pair.vneid_url,
            vssid_url=pair.vssid_url,
            keyword=ONE_TEST,
        )
        assert run_suites(options, ran) == 0, ran.export_text()[-2000:]
        for url in (pair.vneid_url, pair.vssid_url):  # held by this run, released at its end
            state = httpx.get(f"{url}/_harness/lease").json()
            assert state["held"] is False
            assert state["previous"]["released"] is True
            assert f"(pid {os.getpid()} on " in state["previous"]["holder"]


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "300"},
    )


def test_plain_pytest_is_refused_too_and_told_of_a_run_that_never_released_the_pair() -> None:
    with ServedInThread(build_served(0, 0)) as pair:
        targets = ("--vneid-url", pair.vneid_url, "--vssid-url", pair.vssid_url, "-k", ONE_TEST)
        held = httpx.post(f"{pair.vssid_url}/_harness/lease", json={"holder": "the nightly load"})
        done = _pytest("scenarios", *targets)
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 4, said[-3000:]
        assert (
            f"the VssID target at {pair.vssid_url} is in use by the nightly load; its lease ends"
        ) in said
        assert "(no test ran)" in said

        # the load was killed: its lease runs out, unreleased, and the next run is told
        pair.vssid.lease.release(held.json()["lease_id"])
        pair.vssid.lease.take("the nightly load", 0.001)
        done = _pytest("scenarios", *targets)
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 0, said[-3000:]
        assert (
            f"vneid-harness warning: the VssID target at {pair.vssid_url} was left by the "
            "nightly load without releasing it"
        ) in said


def test_a_lease_taken_after_the_checks_stops_the_run_before_its_first_test(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lease is taken once the tests are collected, before the first: another user who
    took it after the checks before the run (here: as the run collects) stops the run with
    nothing run and nothing written, not in its middle with a partial verdict (as when the
    first test that used a target took it, after the property tests had run)."""
    with ServedInThread(build_served(0, 0)) as pair:
        out = tmp_path / "out"
        options = RunOptions(out=out, vneid_url=pair.vneid_url, vssid_url=pair.vssid_url)
        said = Console(record=True, width=300)

        class TakeItWhileCollecting:
            @staticmethod
            def pytest_collection_modifyitems() -> None:
                pair.vssid.lease.take("a racer (pid 3 on qa-1)", 60)

        with pytest.MonkeyPatch.context() as patch:
            real_main = pytest.main  # as the runner calls it

            def main(args: list[str], plugins: list[object]) -> int:
                return int(real_main(args, plugins=[*plugins, TakeItWhileCollecting()]))

            patch.setattr(pytest, "main", main)
            status = run_suites(options, said)
        text = " ".join((said.export_text() + capsys.readouterr().err).split())
        assert status == 4, text[-2000:]
        assert "pytest could not run the suites (exit 4)" in text
        assert f"the VssID target at {pair.vssid_url} is in use by a racer (pid 3 on qa-1)" in text
        assert "(no test ran)" in text
        assert not (out / "summary.json").exists()
        assert pair.vneid.lease.state()["held"] is False  # what it took, it let go
