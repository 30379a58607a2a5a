"""The Locust load profile (benchmarks/load/locustfile.py) runs distributed: one master and
two workers on loopback, a short bounded run against providers served by the test. It must
log in, with no failure, and Locust's CSV statistics must say so. Every process is stopped
by its id, also when the test fails. No timing is asserted."""

from __future__ import annotations

import csv
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.processes import free_port, stop_process
from harness.serve import ServedInThread, ServedProviders, build_served

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"


@pytest.fixture
def served() -> Iterator[ServedProviders]:
    with ServedInThread(build_served(0, 0)) as pair:
        yield pair


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _master(
    served: ServedProviders, tmp_path: Path, port: int, workers: int, *options: str
) -> subprocess.Popen[str]:
    """A headless master (with ``options``) on loopback ``port`` waiting for ``workers``."""
    return subprocess.Popen(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--vneid-url",
            served.vneid_url,
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--headless",
            "--expect-workers",
            str(workers),
            "--expect-workers-max-wait",
            "60",
            "-H",
            served.vssid_url,
            "--only-summary",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )


def _worker(served: ServedProviders, tmp_path: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--vneid-url",
            served.vneid_url,
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )


def _master_and_two_workers(
    served: ServedProviders, tmp_path: Path, *options: str
) -> tuple[int, str]:
    """A master (with ``options``) and two workers on loopback against ``served``, every
    process stopped by its id; the master's exit code and output."""
    port = free_port()
    master = _master(served, tmp_path, port, 2, *options)
    workers: list[subprocess.Popen[str]] = []
    try:
        workers = [_worker(served, tmp_path, port) for _ in range(2)]
        output, _ = master.communicate(timeout=180)
        for worker in workers:
            worker.wait(timeout=30)
    finally:
        for process in (master, *workers):
            stop_process(process, timeout=15)
    return master.returncode, output


def test_a_master_and_two_workers_run_full_logins(served: ServedProviders, tmp_path: Path) -> None:
    code, output = _master_and_two_workers(
        served,
        tmp_path,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "60s",
        "--logins",
        "8",  # the run ends once each worker made 8 (-t only the limit)
        "--csv",
        str(tmp_path / "load"),
        "--stop-timeout",
        "5",
    )
    assert code == 0, output[-3000:]
    stats = {(row["Type"], row["Name"]): row for row in _rows(tmp_path / "load_stats.csv")}
    login = stats[("LOGIN", "full login")]
    # each worker's eight (a master that ended the run before their last reports had fewer)
    assert int(login["Request Count"]) >= 2 * 8, output[-3000:]
    assert int(login["Failure Count"]) == 0, output[-3000:]
    printed = re.search(r"LOGIN\s+full login\s+(\d+)\s", output)
    assert printed is not None, output[-3000:]
    assert login["Request Count"] == printed.group(1), "the file holds the whole run"
    for step in (
        "1 VssID start",
        "2 VNeID session",
        "3 VNeID authorize",
        "4 VssID complete",
        "5 VssID me",
    ):
        row = next(r for (kind, name), r in stats.items() if name == step)
        assert int(row["Request Count"]) >= int(login["Request Count"])
        assert int(row["Failure Count"]) == 0
        assert row["95%"] not in ("", "N/A")
    assert _rows(tmp_path / "load_failures.csv") == []
    assert int(stats[("", "Aggregated")]["Failure Count"]) == 0
    # Both workers took part: each registered its own citizens with both providers.
    assert int(stats[("POST", "SETUP add VNeID persona")]["Request Count"]) == 4
    assert len(served.vneid.personas()) >= 4


def test_a_refused_step_is_counted_by_its_code_and_clause(
    served: ServedProviders, tmp_path: Path
) -> None:
    """A version below VssID's minimum is refused at ``start`` with 426 (V-4): the failures
    table names the code and the clause."""
    process = subprocess.Popen(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--vneid-url",
            served.vneid_url,
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "60s",
            "--logins",
            "3",
            "-H",
            served.vssid_url,
            "--vssid-versions",
            "1.6.6",
            "--csv",
            str(tmp_path / "refused"),
            "--only-summary",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        output, _ = process.communicate(timeout=90)
    finally:
        stop_process(process, timeout=15)
    failures = {f["Name"]: f["Error"] for f in _rows(tmp_path / "refused_failures.csv")}
    assert set(failures) == {"1 VssID start", "refused login"}, output[-3000:]
    assert all("app_update_required (V-4)" in error for error in failures.values()), failures
    # the files hold the whole run, as the console's summary does (Locust writes them each
    # second while the run goes; the load profile writes them once more at its end)
    printed = re.search(r"LOGIN\s+refused login\s+(\d+)\s+(\d+)\(", output)
    assert printed is not None, output[-3000:]
    rows = {r["Name"]: r for r in _rows(tmp_path / "refused_stats.csv")}
    assert "full login" not in rows, "no login finished: none is on the finished logins' row"
    logins = rows["refused login"]
    assert (logins["Request Count"], logins["Failure Count"]) == printed.groups(), output[-3000:]
    occurrences = {f["Name"]: f["Occurrences"] for f in _rows(tmp_path / "refused_failures.csv")}
    assert occurrences["refused login"] == printed.group(2)


def test_providers_served_with_a_profile_get_its_versions(tmp_path: Path) -> None:
    """Against providers served with a profile file whose minimum versions are higher than
    PROTOCOL.md's, ``--protocol-profile`` makes the version mixes start at its minimums: no
    login is refused (without it, the default mix would get app_update_required, V-4/V-5)."""
    from harness.profile_file import load_profile
    from harness.protocol import DEFAULT_PROFILE

    example = ROOT / "docs" / "examples" / "vendor-profile.yaml"
    profile = load_profile(example)
    assert profile.min_version("vssid") > DEFAULT_PROFILE.min_version("vssid")
    with ServedInThread(build_served(0, 0, profile=profile)) as pair:
        process = subprocess.Popen(
            [
                str(LOCUST),
                "-f",
                str(LOCUSTFILE),
                "--vneid-url",
                pair.vneid_url,
                "--headless",
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "60s",
                "--logins",
                "4",
                "-H",
                pair.vssid_url,
                "--protocol-profile",
                str(example),
                "--csv",
                str(tmp_path / "profile"),
                "--only-summary",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
        )
        try:
            output, _ = process.communicate(timeout=90)
        finally:
            stop_process(process, timeout=15)
    assert process.returncode == 0, output[-3000:]
    stats = {row["Name"]: row for row in _rows(tmp_path / "profile_stats.csv")}
    assert int(stats["full login"]["Request Count"]) >= 4, output[-3000:]
    assert int(stats["full login"]["Failure Count"]) == 0, output[-3000:]
    assert _rows(tmp_path / "profile_failures.csv") == []


def test_logins_ends_a_run_with_fewer_users_than_workers(
    served: ServedProviders, tmp_path: Path
) -> None:
    """--logins N waited for every worker, also one given no user (one user, two workers):
    the run went on to its -t limit (thousands of logins). It ends at the working worker's
    Nth login now."""
    code, output = _master_and_two_workers(
        served,
        tmp_path,
        "-u",
        "1",
        "-r",
        "1",
        "-t",
        "120s",
        "--logins",
        "3",
        "--csv",
        str(tmp_path / "few"),
    )
    assert code == 0, output[-3000:]
    stats = {(row["Type"], row["Name"]): row for row in _rows(tmp_path / "few_stats.csv")}
    logins = int(stats[("LOGIN", "full login")]["Request Count"])
    assert 3 <= logins <= 10, f"{logins} logins: the run did not end at --logins 3"


_NEXT_RUN = """
import importlib.util, sys, types
import gevent
from locust import events
spec = importlib.util.spec_from_file_location("locustfile", sys.argv[1])
profile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(profile)
quits = []
environment = types.SimpleNamespace(parsed_options=types.SimpleNamespace(logins=2),
                                    runner=types.SimpleNamespace(quit=lambda: quits.append(1)))
for _ in range(3):
    profile._count_login(environment)
gevent.sleep(0)
first = (profile._logins[0], profile._made_its_logins(environment), len(quits))
events.test_start.fire(environment=environment)
print(first, (profile._logins[0], profile._made_its_logins(environment)))
"""


def test_a_worker_counts_its_logins_again_in_its_next_run() -> None:
    """A worker driven from the web UI serves one run after another: the logins it made in
    the last one neither stop its users in the next (it would idle through it) nor count."""
    done = subprocess.run(
        [sys.executable, "-c", _NEXT_RUN, str(LOCUSTFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[-2] == "(3, True, 1) (0, False)", done.stdout[-3000:]


def test_a_run_ends_when_its_only_worker_dies_after_its_logins(
    served: ServedProviders, tmp_path: Path
) -> None:
    """A worker that made its --logins and died before its next statistics report sent no
    more events: the master waited for its report until -t (without -t, until Ctrl-C). It
    notices the worker gone and ends the run now. The worker is killed as soon as the master
    says it made its logins; the few times its report got in first, the run ends as usual
    (either way, long before -t)."""
    port = free_port()
    master = _master(served, tmp_path, port, 1, "-u", "2", "-r", "2", "-t", "900s", "--logins", "4")
    worker = _worker(served, tmp_path, port)
    lines: list[str] = []

    def read() -> None:
        assert master.stdout is not None
        for line in master.stdout:
            lines.append(line)
            if "made its --logins" in line and worker.poll() is None:
                worker.send_signal(signal.SIGKILL)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        try:
            master.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail(
                "the master did not end the run after its only worker died "
                "(it waits for -t 900s): " + "".join(lines)[-3000:]
            )
    finally:
        for process in (master, worker):
            stop_process(process, timeout=15)
        reader.join(timeout=30)
        if master.stdout is not None:
            master.stdout.close()
    output = "".join(lines)
    assert "made its --logins" in output, output[-3000:]
    assert worker.returncode == -signal.SIGKILL, output[-3000:]
    stats = re.search(r"LOGIN\s+full login\s+(\d+)\s", output)
    assert "no worker is left to send its last statistics" in output or (
        stats is not None and int(stats.group(1)) >= 4
    ), output[-3000:]
