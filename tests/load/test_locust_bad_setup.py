"""The load profile refuses what cannot work before or as the users start, with one line
and exit code 2: a malformed option, a VssID that is not there (the setup refused), instead
of thousands of misnamed failures or a run idling until ``-t`` ends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.personas import PersonaFactory, save_personas
from harness.processes import free_port
from harness.serve import ServedInThread, ServedProviders, build_served
from tests.load.stub_server import QuietHandler, serving

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"


def _locust(*options: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            "2",
            "-r",
            "2",
            "-t",
            "20s",
            "--only-summary",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--vneid-url", "127.0.0.1:8801"], "--vneid-url '127.0.0.1:8801' must start with http"),
        (["--personas", "missing.yaml"], "--personas: 'missing.yaml': no such file"),
        (["--personas", "/dev/null"], "--personas: '/dev/null' is not a regular file"),
        (["-H", "http://[::1"], "-H '[REDACTED]' is not a usable URL (Invalid port"),
        (["--personas", "none.yaml"], "--personas: 'none.yaml' holds no citizen"),
        (["-H", "127.0.0.1:8802"], "-H '127.0.0.1:8802' must start with http:// or https://"),
        (["--android-share", "2"], "--android-share 2.0 must be between 0 and 1"),
        (["--logins", "-1"], "--logins -1 must be 0 (no limit) or more"),
        (["--vssid-versions", ""], "--vssid-versions is empty"),
        (["--vneid-versions", " , "], "--vneid-versions is empty"),
        (
            ["--protocol-profile", "missing.yaml"],
            "--protocol-profile: missing.yaml: cannot read the profile file",
        ),
    ],
)
def test_a_malformed_option_stops_the_run_at_once(
    tmp_path: Path, options: list[str], says: str
) -> None:
    (tmp_path / "none.yaml").write_text("personas: []\n", encoding="utf-8")
    done = _locust("-H", "http://127.0.0.1:1", *options, tmp_path=tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-4000:]
    assert f"vneid-harness load: error: {says}" in said
    assert "Traceback" not in said, "no user starts once the options were refused"


def test_a_run_without_a_vssid_to_load_is_refused(tmp_path: Path) -> None:
    done = _locust("--vneid-url", "http://127.0.0.1:1", tmp_path=tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert ("vneid-harness load: error: no VssID to load: give its base URL with -H") in said
    assert "Traceback" not in said


def test_a_refused_setup_stops_the_run_with_its_reason(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    done = _locust("-H", nobody, "--vneid-url", nobody, tmp_path=tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    # the checks `vneid-harness run` makes before its tests, before any user starts
    assert (
        f"vneid-harness load: error: the VNeID target at {nobody} does not answer (ConnectError"
    ) in said
    assert "Traceback" not in said
    assert "SETUP" not in said  # no user set anything up
    assert "full login" not in said  # no login was attempted


@pytest.fixture
def served() -> Iterator[ServedProviders]:
    with ServedInThread(build_served(0, 0)) as pair:
        yield pair


def _master_and_worker(
    served: ServedProviders, *options: str, master_dir: Path, worker_dir: Path
) -> tuple[subprocess.CompletedProcess[str], int, str]:
    """A master (providers that pass its checks, plus ``options``) and one worker, each in
    its own folder: the worker's run, the master's exit code and output."""
    port = free_port()
    master = subprocess.Popen(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            "1",
            "--headless",
            "-u",
            "2",
            "-r",
            "2",
            "-t",
            "30s",
            "--only-summary",
            "-H",
            served.vssid_url,
            "--vneid-url",
            served.vneid_url,
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=master_dir,
    )
    try:
        worker = subprocess.run(
            [
                str(LOCUST),
                "-f",
                str(LOCUSTFILE),
                "--worker",
                "--master-host",
                "127.0.0.1",
                "--master-port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            cwd=worker_dir,
        )
        output, _ = master.communicate(timeout=90)
    finally:
        master.kill()
    return worker, master.returncode, output


def test_a_setup_refused_on_a_worker_stops_the_master_too(
    served: ServedProviders, tmp_path: Path
) -> None:
    """The worker tells its master, which ends the run with exit code 2 (it used to see its
    last worker quit and exit 0): a persona file the master has and its worker has not."""
    master_dir, worker_dir = tmp_path / "master", tmp_path / "worker"
    master_dir.mkdir()
    worker_dir.mkdir()
    save_personas(master_dir / "people.yaml", PersonaFactory("worker-setup").many(2))
    worker, code, output = _master_and_worker(
        served, "--personas", "people.yaml", master_dir=master_dir, worker_dir=worker_dir
    )
    assert worker.returncode == 2, worker.stdout[-2000:] + worker.stderr[-2000:]
    assert code == 2, output[-3000:]
    assert (
        "vneid-harness load: error (from a worker): --personas: 'people.yaml': no such file"
    ) in output, output[-3000:]


def test_a_worker_without_the_masters_profile_file_stops_the_run(
    served: ServedProviders, tmp_path: Path
) -> None:
    """The master sends its options, a relative --protocol-profile path among them; a worker
    started where that file is not says so and the master ends the run with exit code 2."""
    master_dir, worker_dir = tmp_path / "master", tmp_path / "worker"
    master_dir.mkdir()
    worker_dir.mkdir()
    (master_dir / "profile.yaml").write_text('vssid_min_version: "1.8"\n')
    worker, code, output = _master_and_worker(
        served, "--protocol-profile", "profile.yaml", master_dir=master_dir, worker_dir=worker_dir
    )
    assert worker.returncode == 2, worker.stdout[-2000:] + worker.stderr[-2000:]
    assert code == 2, output[-3000:]
    assert (
        "vneid-harness load: error (from a worker): --protocol-profile: profile.yaml: "
        "cannot read the profile file"
    ) in output, output[-3000:]
    assert "Traceback" not in output + worker.stdout + worker.stderr


def test_a_vssid_url_that_answers_a_web_page_stops_the_run(tmp_path: Path) -> None:
    class Page(QuietHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "13")
            self.end_headers()
            self.wfile.write(b"<html></html>")

    with serving(Page) as url:
        done = _locust("-H", url, tmp_path=tmp_path)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert "answered GET /_harness/health with a body that is not JSON" in said, said[-3000:]
    assert "is the URL the provider's base address?" in said
    assert "Traceback" not in said


def test_a_final_csv_that_cannot_be_written_is_one_warning(tmp_path: Path) -> None:
    """The load profile's last write of ``--csv`` (the run's whole tables) into a folder that
    is gone says so in one line and leaves the run's exit code alone (run in a process of its
    own: importing Locust patches the standard library for gevent)."""
    script = f"""
import importlib.util, sys, types
from locust.env import Environment
spec = importlib.util.spec_from_file_location("profile", {str(LOCUSTFILE)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
environment = Environment()
environment.parsed_options = types.SimpleNamespace(csv_prefix={str(tmp_path / "gone" / "x")!r})
module._run["environment"] = environment
module._final_csv(exit_code=0)
environment.parsed_options.csv_prefix = {str(tmp_path / "x")!r}
module._final_csv(exit_code=0)
print("done")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    warnings = [line for line in done.stdout.splitlines() if "warning" in line]
    assert len(warnings) == 3, done.stdout
    assert "could not write the final" in warnings[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert (tmp_path / "x_stats.csv").read_text().startswith("Type,Name,Request Count")
    assert not list(tmp_path.glob("*.partial"))


def test_an_admin_token_with_a_newline_is_refused_without_showing_it(tmp_path: Path) -> None:
    """A token read from a secret file ending in a newline (VNEID_HARNESS_ADMIN_TOKEN): the
    HTTP client refused the header and quoted it, token and all, in the pre-run error."""
    import os

    done = subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "20s",
            "--only-summary",
            "-H",
            f"http://127.0.0.1:{free_port()}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "VNEID_HARNESS_ADMIN_TOKEN": "rightTok123\n"},
    )
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert (
        "vneid-harness load: error: --admin-token (or VNEID_HARNESS_ADMIN_TOKEN) must be "
        "printable ASCII"
    ) in said, said[-3000:]
    assert "rightTok123" not in said


def test_a_master_that_cannot_reach_the_targets_warns_and_lets_its_workers_try(
    tmp_path: Path,
) -> None:
    """Workers on other machines may reach what their master cannot: the master's checks
    refused such a run. It warns now; the workers' own set-up still stops a run that cannot
    work (here: no login is answered, and the run ends at --logins)."""
    save_personas(tmp_path / "people.yaml", PersonaFactory("master-unreached").many(1))
    port, nobody = free_port(), f"http://127.0.0.1:{free_port()}"
    master = subprocess.Popen(
        [
            str(LOCUST),
            "-f",
            str(LOCUSTFILE),
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            "1",
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "-t",
            "30s",
            "--only-summary",
            "-H",
            nobody,
            "--vneid-url",
            nobody,
            "--personas",
            "people.yaml",
            "--logins",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        subprocess.run(
            [
                str(LOCUST),
                "-f",
                str(LOCUSTFILE),
                "--worker",
                "--master-host",
                "127.0.0.1",
                "--master-port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            cwd=tmp_path,
        )
        output, _ = master.communicate(timeout=90)
    finally:
        master.kill()
    said = " ".join(output.split())
    assert (
        f"vneid-harness load: warning: the VNeID target at {nobody} does not answer this "
        "master (the run goes on: the master runs no user, and its workers may reach it)"
    ) in said, said[-3000:]
    assert "refused login" in said  # the worker tried, and its login got no answer


def test_providers_another_user_holds_are_not_loaded(
    served: ServedProviders, tmp_path: Path
) -> None:
    """A test run holds the pair (its lease): a load started beside it would fail by the
    hundred on that run's clock moves (R-8) and fail that run's tests with its logins; it is
    refused at once, naming the holder. A load that ran holds the pair and releases it."""
    held = served.vssid.lease.take("Lan's run (pid 9 on qa-3)", 60)
    refused = _locust("-H", served.vssid_url, "--logins", "2", tmp_path=tmp_path)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 2, said[-2000:]
    assert (
        f"vneid-harness load: error: the VssID target at {served.vssid_url} is in use by "
        "Lan's run (pid 9 on qa-3)"
    ) in said
    assert "full login" not in said  # no login was attempted
    served.vssid.lease.release(held["lease_id"])
    ran = _locust("-H", served.vssid_url, "--logins", "2", tmp_path=tmp_path)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-2000:]
    state = served.vssid.lease.state()
    assert state["held"] is False
    assert state["previous"]["released"] is True
    assert state["previous"]["holder"].startswith("vneid-harness load, Locust run (pid ")


def test_a_load_without_vneid_url_holds_the_vneid_its_vssid_trusts_too(
    served: ServedProviders, tmp_path: Path
) -> None:
    """Without --vneid-url the users log in at the issuer the VssID trusts: a conformance
    plan holding only that VNeID (--plan vneid-provider) refuses the load too."""
    held = served.vneid.lease.take("vneid-harness conformance (pid 9 on qa-3)", 60)
    refused = _locust("-H", served.vssid_url, "--logins", "2", tmp_path=tmp_path)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 2, said[-2000:]
    assert (
        f"vneid-harness load: error: the VNeID target at {served.vneid_url} is in use by "
        "vneid-harness conformance (pid 9 on qa-3)"
    ) in said
    assert served.vssid.lease.state()["held"] is False  # let go of at the refusal
    served.vneid.lease.release(held["lease_id"])
