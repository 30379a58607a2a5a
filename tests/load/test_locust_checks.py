"""What the load profile checks beyond the status codes, against providers served by the
test: a login whose answers name another person fails (A-6), a ``-H`` with a trailing slash
still reaches VssID, a wrong admin token is named as such, and a run that finished no login
exits 2. Short bounded runs; no timing is asserted."""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.personas import PersonaFactory, VssIDAccount, save_personas
from harness.processes import free_port
from harness.serve import ServedInThread, ServedProviders, build_served
from tests.load.stub_server import QuietHandler, serving

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"


@pytest.fixture
def personas(tmp_path: Path) -> tuple[Path, Path]:
    """The citizens the providers are served with, and the same citizens as a vendor's
    file that gives them other BHXH codes (as if VssID mixed up its accounts)."""
    citizens = PersonaFactory("load-checks").many(2)
    served, other = tmp_path / "served.yaml", tmp_path / "other.yaml"
    save_personas(served, citizens)
    save_personas(
        other,
        [
            dataclasses.replace(c, vssid_account=VssIDAccount(f"99999999{n:02d}"))
            for n, c in enumerate(citizens)
        ],
    )
    return served, other


@pytest.fixture
def served(personas: tuple[Path, Path]) -> Iterator[ServedProviders]:
    with ServedInThread(
        build_served(0, 0, personas_file=personas[0], admin_token="load-admin-token")
    ) as pair:
        yield pair


def _headless(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``locust -f LOCUSTFILE --headless OPTIONS``, run in ``tmp_path``."""
    return subprocess.run(
        [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", *options],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def _locust(
    served: ServedProviders,
    tmp_path: Path,
    *options: str,
    host: str | None = None,
    vneid: bool = True,
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, str]]]:
    done = _headless(
        tmp_path,
        # a run of 4 logins, however loaded the machine is (-t only the limit)
        *("-u", "2", "-r", "2", "-t", "60s", "--logins", "4", "--only-summary"),
        *("-H", host or served.vssid_url),
        *(["--vneid-url", served.vneid_url] if vneid else []),
        *("--csv", str(tmp_path / "run")),
        *options,
    )
    stats = tmp_path / "run_stats.csv"
    rows = {}
    if stats.is_file():
        with stats.open(newline="", encoding="utf-8") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
    return done, rows


def test_a_login_that_names_another_person_fails(
    served: ServedProviders, tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    done, rows = _locust(
        served, tmp_path, "--personas", str(personas[1]), "--admin-token", "load-admin-token"
    )
    said = done.stdout + done.stderr
    assert "full login" not in rows, said[-3000:]  # none finished: each named another person
    assert int(rows["refused login"]["Request Count"]) >= 4, said[-3000:]
    assert rows["refused login"]["Failure Count"] == rows["refused login"]["Request Count"]
    assert int(rows["4 VssID complete"]["Failure Count"]) > 0
    with (tmp_path / "run_failures.csv").open(newline="", encoding="utf-8") as handle:
        reasons = {row["Error"] for row in csv.DictReader(handle)}
    assert 'CatchResponseError("another person\'s bhxh_code (A-6)")' in reasons, reasons


def test_a_trailing_slash_on_the_vssid_url_still_logs_in(
    served: ServedProviders, tmp_path: Path
) -> None:
    done, rows = _locust(
        served, tmp_path, "--admin-token", "load-admin-token", host=served.vssid_url + "/"
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-3000:]
    assert int(rows["full login"]["Request Count"]) > 0
    assert rows["full login"]["Failure Count"] == "0"


def test_a_wrong_admin_token_is_named(served: ServedProviders, tmp_path: Path) -> None:
    """Reading VssID's configuration (no --vneid-url) is refused for the token (S-6): the
    message says so, and not "is -H VssID's base URL?"."""
    done, _ = _locust(served, tmp_path, "--admin-token", "not-the-token", vneid=False)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    one_line = " ".join(said.split())
    assert "answered 403 to GET /_harness/health (" in one_line, said[-3000:]
    assert (
        "it refused the admin token given: give the one it was served with (--admin-token "
        "or VNEID_HARNESS_ADMIN_TOKEN)"
    ) in one_line, said[-3000:]
    assert "is -H VssID's base URL" not in said
    assert "not-the-token" not in said


class _NoControlApiThenSilent(QuietHandler):
    """A vendor's server without the test-control API (404 to ``/_harness/health``, so the
    checks before the run leave it out with ``--personas``) that answers nothing else: its
    requests wait until the test ends."""

    released = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/_harness/health":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.released.wait(60)

    do_POST = do_GET


def test_a_run_that_finished_no_login_exits_2(tmp_path: Path, personas: tuple[Path, Path]) -> None:
    """A VssID that passes the checks before the run and never answers a login: no login
    ends, nothing measured (the citizens come from a file: no set-up call to refuse first).
    (A VssID that never answers at all is refused before the run: the checks wait for its
    health check.)"""
    _NoControlApiThenSilent.released.clear()
    with serving(_NoControlApiThenSilent) as url:
        try:
            done = _headless(
                tmp_path,
                *("-u", "1", "-r", "1", "-t", "2s", "--only-summary"),
                *("-H", url, "--vneid-url", url, "--personas", str(personas[0])),
                *("--stop-timeout", "1"),
            )
        finally:  # the waiting requests end before the server stops
            _NoControlApiThenSilent.released.set()
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert "vneid-harness load: error: no login finished or was refused in this run" in said


def test_a_vssid_that_never_answers_is_refused_before_any_user_starts(
    tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    """A VssID that accepts connections and never answers: refused when Locust is set up,
    before its runner spawns a user ("Ramping to 1 users", "All users spawned" came after
    the refusal when the checks ran at the run's start)."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        done = _headless(
            tmp_path,
            *("-u", "1", "-r", "1", "-t", "30s", "-H", url, "--personas", str(personas[0])),
        )
    finally:
        silent.close()
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert (
        f"vneid-harness load: error: the VssID target at {url} took the connection but did "
        "not answer GET /_harness/health within 5 s"
    ) in said
    assert "Ramping" not in said
    assert "spawned" not in said


class _GoneAfterTheChecks(QuietHandler):
    """A VNeID that passes the checks before the run (health, discovery naming the issuer
    the VssID trusts) and then answers nothing: the connection closes, as a provider that
    went down mid-run."""

    issuer = ""

    def do_GET(self) -> None:
        answers = {
            "/_harness/health": {"status": "ok", "version": "gone"},
            "/.well-known/openid-configuration": {"issuer": self.issuer},
        }
        if self.path not in answers:
            self.close_connection = True
            return
        body = json.dumps(answers[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.close_connection = True


def test_a_provider_that_is_down_is_not_flooded(
    served: ServedProviders, tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    """A VNeID that went down: each phone waits after a login that got no answer (0.1 s,
    doubling to 2 s) instead of retrying at once: thousands of connection errors a second
    swamped the statistics and a core. Two phones in 3 s make a handful of logins, however
    fast the machine is (a slower one makes fewer)."""
    handler = type("Gone", (_GoneAfterTheChecks,), {"issuer": served.vneid_url})
    with serving(handler) as gone:
        done = _headless(
            tmp_path,
            *("-u", "2", "-r", "2", "-t", "3s", "--only-summary"),
            *("-H", served.vssid_url, "--vneid-url", gone, "--personas", str(personas[0])),
            *("--admin-token", "load-admin-token", "--csv", str(tmp_path / "down")),
        )
    said = done.stdout + done.stderr
    with (tmp_path / "down_stats.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    refused = int(rows["refused login"]["Request Count"])
    assert 1 <= refused <= 2 * 6, said[-3000:]  # 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s > 3 s
    assert "full login" not in rows


def test_a_missing_admin_token_is_named_as_missing(served: ServedProviders, tmp_path: Path) -> None:
    """No --admin-token against providers that require one: the message asks for it, and
    does not say that a token (never given) was refused."""
    done, _ = _locust(served, tmp_path, vneid=False)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert (
        "its test-control API needs the admin token it was served with: give it with "
        "--admin-token or VNEID_HARNESS_ADMIN_TOKEN"
    ) in " ".join(said.split()), said[-3000:]
    assert "refused the admin token" not in said


def test_a_folder_given_as_the_persona_file_is_named_as_a_folder(
    served: ServedProviders, tmp_path: Path
) -> None:
    done, _ = _locust(
        served, tmp_path, "--personas", str(tmp_path), "--admin-token", "load-admin-token"
    )
    said = done.stdout + done.stderr
    assert done.returncode == 2, said[-3000:]
    assert "is a folder, not a persona file" in said


def test_targets_swapped_are_named_before_any_user_starts(
    served: ServedProviders, tmp_path: Path
) -> None:
    """The checks `vneid-harness run` makes before its tests: swapped URLs were a run of
    `SETUP add VNeID persona refused (not_found (S-6) …)`, and an earlier run's HTML report
    was replaced by an empty one."""
    report = tmp_path / "earlier.html"
    report.write_text("<html>the earlier run</html>", encoding="utf-8")
    done, _ = _locust(
        served,
        tmp_path,
        "--admin-token",
        "load-admin-token",
        "--html",
        str(report),
        host=served.vneid_url,
        vneid=False,
    )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-3000:]
    assert "vneid-harness load: error: the VssID target at" in said, said[-3000:]
    assert "it looks like a VNeID; are --vneid-url and -H swapped" in said, said[-3000:]
    assert "SETUP" not in said
    assert report.read_text(encoding="utf-8") == "<html>the earlier run</html>"


def test_a_vssid_that_trusts_another_vneid_is_refused(
    served: ServedProviders, tmp_path: Path
) -> None:
    """A VssID pointed at another provider ran to the end with thousands of
    issuer_mismatch (R-2) failures, filed as the relying party's."""
    with ServedInThread(build_served(0, 0, admin_token="load-admin-token")) as other:
        done, _ = _locust(
            served,
            tmp_path,
            "--admin-token",
            "load-admin-token",
            "--vneid-url",
            other.vneid_url,
            vneid=False,
        )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-3000:]
    assert (
        f"trusts the issuer {served.vneid_url}, not the VNeID of this run ({other.vneid_url}"
    ) in said, said[-3000:]
    assert "issuer_mismatch (R-2)" in said


def test_a_vendors_providers_without_a_control_api_are_loaded_with_a_warning(
    served: ServedProviders, tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    """With --personas (citizens that exist at a vendor's providers) the load profile needs
    no test-control API: a refused check is a warning, and the run goes on."""
    done, rows = _locust(served, tmp_path, "--personas", str(personas[0]))  # no admin token
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 0, said[-3000:]
    assert (
        f"vneid-harness load: warning: the VNeID target at {served.vneid_url} answered "
        "403 to GET /_harness/health: no test-control API to check it with (the run goes "
        "on: with --personas it needs none)"
    ) in said, said[-3000:]
    assert int(rows["full login"]["Request Count"]) >= 4


def test_with_personas_only_a_missing_control_api_is_a_warning(
    served: ServedProviders, tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    """Swapped targets answer the health check, so they have a control API: refused with
    --personas too (every problem was a warning, and every login failed)."""
    done, _ = _locust(
        served,
        tmp_path,
        "--personas",
        str(personas[0]),
        "--admin-token",
        "load-admin-token",
        host=served.vneid_url,
        vneid=False,
    )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-3000:]
    assert "vneid-harness load: error: the VssID target at" in said, said[-3000:]
    assert "it looks like a VNeID; are --vneid-url and -H swapped" in said


def test_with_personas_a_target_that_is_down_is_still_refused(
    served: ServedProviders, tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    """The VssID's control API refusing the (missing) token made every problem a warning,
    the VNeID that does not answer too."""
    nobody = f"http://127.0.0.1:{free_port()}"
    done, _ = _locust(
        served, tmp_path, "--personas", str(personas[0]), "--vneid-url", nobody, vneid=False
    )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-3000:]
    assert f"vneid-harness load: error: the VNeID target at {nobody} does not answer" in said


def test_with_personas_a_target_without_a_control_api_leaves_the_other_checked(
    served: ServedProviders, tmp_path: Path, personas: tuple[Path, Path]
) -> None:
    """-H with no control API (404) let a --vneid-url that is a VssID through with a warning
    blaming the control API: the other target is still checked now."""

    class NotFound(QuietHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(NotFound) as nothing:
        done, _ = _locust(
            served,
            tmp_path,
            "--personas",
            str(personas[0]),
            "--admin-token",
            "load-admin-token",
            "--vneid-url",
            served.vssid_url,
            host=nothing,
            vneid=False,
        )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-3000:]
    assert "vneid-harness load: error: the VNeID target at" in said, said[-3000:]
    assert "it looks like a VssID" in said


def test_a_password_in_the_vssid_url_is_never_printed(
    served: ServedProviders, tmp_path: Path
) -> None:
    host = served.vssid_url.replace("http://", "http://alice:secretpw99@")
    done, _ = _locust(
        served,
        tmp_path,
        "--admin-token",
        "load-admin-token",
        "--html",
        str(tmp_path / "report.html"),
        host=host,
    )
    said = done.stdout + done.stderr
    assert "alice:%5BREDACTED%5D@" in said, said[-3000:]
    assert "secretpw99" not in said
    # Locust's HTML report shows the host: it kept the password (S-5 sweep)
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "alice:%5BREDACTED%5D@" in report
    assert "secretpw99" not in report
