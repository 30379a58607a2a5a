"""A target that is not a provider (a web server's HTML page, JSON of another shape) is
refused before the run with one line naming it, whether the run is `vneid-harness
conformance` (the preflight) or plain pytest (the remote-target fixture), instead of a
run in which every test fails with ``JSONDecodeError``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from harness.errors import ConfigError
from harness.preflight import PreflightTargets, preflight
from harness.run import RunOptions
from harness.targets import TargetUnreachable, VNeIDHandle

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = {
    "html": ("text/html", b"<html><body>Welcome to nginx!</body></html>"),
    "other-json": ("application/json", b'{"healthy": true}'),
}


SEEN: dict[int, list[str]] = {}
"""The requests each such server (by port) received: ``GET /_harness/health``."""


class _Handler(BaseHTTPRequestHandler):
    kind = "html"

    def do_GET(self) -> None:
        SEEN.setdefault(self.server.server_address[1], []).append(f"{self.command} {self.path}")
        ctype, body = ANSWERS[self.server.kind]  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_DELETE = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(params=sorted(ANSWERS))
def not_a_provider(request: pytest.FixtureRequest) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.kind = request.param  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_preflight_refuses_a_health_answer_that_is_not_the_api(not_a_provider: str) -> None:
    said = preflight(PreflightTargets(vneid_url=not_a_provider))
    assert said is not None
    assert said.startswith(f"the VNeID target at {not_a_provider} answered GET /_harness/health")
    assert "base address" in said


@pytest.mark.parametrize("workers", [1, 2])
def test_a_refused_run_creates_no_folder(not_a_provider: str, tmp_path: Path, workers: int) -> None:
    """A target refused by the preflight (or remote targets with workers) left --out and its
    missing parents behind, empty; the docs say a run that does not start writes nothing."""
    from rich.console import Console

    from harness.run import run_suites

    out = tmp_path / "deep" / "out"
    console = Console(record=True, width=200)
    status = run_suites(
        RunOptions(out=out, vneid_url=not_a_provider, workers=workers), console=console
    )
    assert status == 2
    assert "cannot run plan all" in console.export_text()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://xn--zz", "--vneid-url 'http://xn--zz' is not a usable URL (Invalid A-label)"),
        ("http://", "--vneid-url 'http://' has no host"),
        # a password in the URL is not repeated in the message (S-5)
        ("http://user:s3cretpw@:80/", "--vneid-url 'http://user:%5BREDACTED%5D@:80/' has no host"),
        # no scheme, so no URL to redact in: only what follows the user information is shown
        ("user:s3cretpw@idp.example", "--vneid-url must be an http(s) URL, got '…@idp.example'"),
        (
            "ftp://user:s3cretpw@idp.example",
            "--vneid-url must be an http(s) URL, got 'ftp://user:%5BREDACTED%5D@idp.example'",
        ),
        ("HTTP://", "--vneid-url 'HTTP://' has no host"),  # a scheme in any case (RFC 3986 §3.1)
    ],
)
def test_a_target_url_the_client_cannot_use_is_refused_in_one_line(url: str, said: str) -> None:
    """``http://xn--zz`` (no valid IDNA label) passed the scheme check and ended in a
    99-line traceback from the HTTP client (an error review)."""
    assert preflight(PreflightTargets(vneid_url=url)) == (
        f"{said} (for example --vneid-url http://127.0.0.1:8801)"
    )


def test_a_target_that_does_not_answer_is_not_a_configuration_error() -> None:
    """A network failure is no option to change: a target that stopped answering fails the
    test (the run stops after three in a row), where a ConfigError, what the target lacks,
    stops the run at once. Nothing on the way takes it for one: a relying party that does
    not answer its account list is asked again, not taken for one without the list."""
    from harness.errors import HarnessError
    from harness.targets import VssIDHandle

    answers: list[str] = ["down", "listed"]

    def answer(request: httpx.Request) -> httpx.Response:
        if answers.pop(0) == "down":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(
            200, json={"accounts": [{"bhxh_code": "0123456789", "personal_id": "079123456701"}]}
        )

    handle = VssIDHandle("vssid", "http://rp.test", transport=httpx.MockTransport(answer))
    with pytest.raises(TargetUnreachable) as refused:
        handle.accounts_of("079123456701")
    assert isinstance(refused.value, HarnessError)
    assert not isinstance(refused.value, ConfigError)
    assert handle.accounts_of("079123456701") == ["0123456789"]


def test_a_runs_checks_read_its_targets_token_profile_and_plan() -> None:
    """``run`` and ``conformance`` hand the checks before the run what they read of the
    run's options, and nothing else (the plugin and the load profile build the same from
    their own options, without a RunOptions)."""
    options = RunOptions(
        out=Path("elsewhere"),
        seed=7,
        vneid_url="http://idp.test",
        vssid_url="http://rp.test",
        admin_token="t0ken",
        profile=Path("vendor.yaml"),
        plan="vssid-relying-party",
        workers=3,
    )
    assert options.targets() == PreflightTargets(
        vneid_url="http://idp.test",
        vssid_url="http://rp.test",
        admin_token="t0ken",
        profile=Path("vendor.yaml"),
        plan="vssid-relying-party",
    )
    assert RunOptions().targets() == PreflightTargets()  # embedded, plan all


@pytest.mark.parametrize(("option", "port"), [("--vneid-url", 8801), ("--vssid-url", 8802)])
def test_a_target_url_without_a_scheme_gets_an_example_of_its_own_option(
    option: str, port: int
) -> None:
    """``--vssid-url 127.0.0.1:18802`` was told ``for example --vssid-url
    http://127.0.0.1:8801``, the VNeID's port; each option's example has the port ``serve``
    gives that provider by default. Every caller (run, conformance, the preflight, the
    pytest plugin) goes through check_target_url."""
    import inspect

    from harness import cli
    from harness.targets import check_target_url

    with pytest.raises(ConfigError) as refused:
        check_target_url(option, "127.0.0.1:18802")
    assert str(refused.value) == (
        f"{option} must be an http(s) URL, got '127.0.0.1:18802' "
        f"(for example {option} http://127.0.0.1:{port})"
    )
    role = option.split("-")[2]  # vneid or vssid
    assert inspect.signature(cli.serve).parameters[f"{role}_port"].default == port
    options = (
        PreflightTargets(vssid_url="127.0.0.1:18802", plan="vssid-relying-party")
        if role == "vssid"
        else PreflightTargets(vneid_url="127.0.0.1:18802")
    )
    said = preflight(options)
    assert said is not None
    assert said.endswith(f"(for example {option} http://127.0.0.1:{port})")


def test_control_calls_refuse_a_body_that_is_not_json() -> None:
    page = httpx.MockTransport(
        lambda request: httpx.Response(
            200, text="<html>hello</html>", headers={"content-type": "text/html"}
        )
    )
    handle = VNeIDHandle("vneid", "http://idp.test", transport=page)
    with pytest.raises(ConfigError, match="answered 200 with a body that is not JSON"):
        handle.requests()
    with pytest.raises(ConfigError, match="is not JSON"):
        handle.health()
    empty = httpx.MockTransport(lambda request: httpx.Response(204))
    VNeIDHandle("vneid", "http://idp.test", transport=empty).clear_requests()  # no error


def test_a_health_check_that_times_out_is_called_slow_not_down() -> None:
    """A provider that takes the connection and answers its health check after the 5 s was
    told ``does not answer (ReadTimeout: timed out); is it running, and is the URL
    right?``: it is running, at that URL; what is wrong is its time."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # the kernel takes the connection; nothing ever answers it
    port = listener.getsockname()[1]
    try:
        said = preflight(PreflightTargets(vneid_url=f"http://127.0.0.1:{port}"), timeout=0.3)
    finally:
        listener.close()
    assert said is not None
    assert said.startswith(
        f"the VNeID target at http://127.0.0.1:{port} took the connection but did not answer "
        "GET /_harness/health within 0.3 s (ReadTimeout: timed out)"
    ), said
    assert "is it running" not in said
    assert "each call of the tests within 15 s" in said


def test_a_redirect_at_discovery_is_named_as_one_not_as_the_control_api() -> None:
    """A provider behind a proxy that redirects (http to https, a login page) was told
    ``answered 302 with a body that is not JSON (text/plain: '')`` and asked whether it
    offered the test-control API, of which discovery is no part."""
    moved = httpx.MockTransport(
        lambda request: httpx.Response(
            302, headers={"location": "https://idp.test/.well-known/openid-configuration"}
        )
    )
    handle = VNeIDHandle("vneid", "http://idp.test", transport=moved)
    with pytest.raises(ConfigError) as raised:
        handle.discovery()
    said = str(raised.value)
    assert (
        "answered 302 (a redirect to https://idp.test/.well-known/openid-configuration, which "
        "the harness does not follow) with a body that is not JSON"
    ) in said, said
    assert said.endswith("offering GET /.well-known/openid-configuration?"), said
    assert "§11" not in said
    with pytest.raises(ConfigError, match=r"offering the test-control API of PROTOCOL.md §11\?"):
        handle.requests()


def test_plain_pytest_stops_with_one_line(not_a_provider: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-q",
            "scenarios/test_tokens.py",
            "--plan",
            "vneid-provider",
            "--vneid-url",
            not_a_provider,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:]
    # the checks before the tests' finding, once, as a usage error before any test ran (it
    # was a warning, then the set-up's "error: health check …" at the first test)
    assert result.stderr.count("ERROR: the VNeID target at") == 1, result.stderr[-2000:]
    assert result.stderr.rstrip().endswith("(no test ran)"), result.stderr[-2000:]
    assert "passed" not in result.stdout
    assert "vneid-harness warning" not in result.stdout
    assert "JSONDecodeError" not in result.stdout + result.stderr
    # a target the checks found wanting is not probed further (the app API's probe waited
    # out its own timeout on a target that had not answered the health check)
    seen = SEEN[int(not_a_provider.rsplit(":", 1)[1])]
    assert not [call for call in seen if call.startswith("POST")], seen


def _close(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()  # connections are refused from now on


def test_a_run_stops_once_the_target_stops_answering() -> None:
    server, url = _serving(health_answers=2)  # the pre-run check's and the run's, then gone
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=",
                "-q",
                "scenarios/test_tokens.py",
                "scenarios/test_token_endpoint.py",
                "--plan",
                "vneid-provider",
                "--vneid-url",
                url,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        _close(server)
    out = result.stdout
    assert "the targets stopped answering: 3 tests in a row could not reach them" in out, out[
        -2000:
    ]
    assert out.count("cannot reach the vneid provider") <= 10, out[-2000:]
    assert result.returncode != 0


def test_only_unreachable_tests_in_a_row_stop_the_run() -> None:
    """A test the targets answered, failed or not, breaks the row: a vendor that fails many
    tests and times out now and then keeps its run."""
    from types import SimpleNamespace

    from harness.plugin_remote import _stop_when_targets_stop_answering

    config = SimpleNamespace(stash=pytest.Stash())
    session = SimpleNamespace(shouldstop=False)
    item = SimpleNamespace(config=config, session=session, stash=pytest.Stash())

    def run(error: BaseException | None) -> None:
        excinfo = None
        if error is not None:
            try:
                raise error
            except BaseException as raised:  # any error a test may end with
                excinfo = pytest.ExceptionInfo.from_exception(raised)
        report = SimpleNamespace(when="call", passed=error is None, failed=error is not None)
        _stop_when_targets_stop_answering(item, SimpleNamespace(excinfo=excinfo), report)  # type: ignore[arg-type]

    down = TargetUnreachable("cannot reach the vneid provider")
    for error in (
        down,
        AssertionError("wrong"),
        down,
        down,
        AssertionError("wrong"),
        down,
        httpx.ConnectError("refused"),
    ):
        run(error)
    assert session.shouldstop is False
    run(httpx.ReadTimeout("silent"))
    assert "3 tests in a row could not reach them" in str(session.shouldstop)


def _provider_without_faults(calls: list[str]) -> httpx.MockTransport:
    """A vendor's provider: the §11 calls a provider plays, and no ``/_harness/faults``."""

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/_harness/faults":
            return httpx.Response(
                404, json={"error": "not_found", "error_description": "x", "clause": "§11"}
            )
        return httpx.Response(200, json={})

    return httpx.MockTransport(answer)


def test_a_provider_without_the_faults_api_is_not_asked_again() -> None:
    """Faults are the harness's own mock's: every test of the provider plan starts by
    clearing them, and a vendor's provider that has none must not fail every test."""
    from harness.targets import Target, VssIDHandle

    calls: list[str] = []
    vneid = VNeIDHandle(
        "vneid", "http://idp.vendor.test", transport=_provider_without_faults(calls)
    )
    vssid = VssIDHandle("vssid", "http://rp.vendor.test", transport=_provider_without_faults([]))
    target = Target(vneid, vssid)
    try:
        target.begin_test()
        target.begin_test()
    finally:
        target.close()
    assert calls.count("DELETE /_harness/faults") == 1
    assert calls.count("DELETE /_harness/requests") == 2, calls


class _HealthyOnly(BaseHTTPRequestHandler):
    """A server that says it is healthy (§11) and has nothing else: 404 to every other call,
    as a VNeID given by mistake where a relying party was expected answers /_harness/config.
    With ``health_answers`` set, it goes away after that many health checks."""

    def do_GET(self) -> None:
        if self.path != "/_harness/health":
            self._send(
                404,
                b'{"error": "not_found", "error_description": "no such path", '
                b'"clause": "\\u00a711"}',
            )
            return
        self._send(200, b'{"status": "ok", "version": "1"}')
        left = getattr(self.server, "health_answers", None)
        if left is not None:
            self.server.health_answers = left - 1  # type: ignore[attr-defined]
            if left <= 1:
                threading.Thread(target=_close, args=(self.server,), daemon=True).start()

    do_POST = do_DELETE = do_GET

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _GoneAfterHealth(_HealthyOnly):
    """A provider that takes each test's set-up (the clock, emptying its logs) until it goes
    away: what reaches it in the moment before it closes does not stop the run otherwise."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, b"{}")

    def do_DELETE(self) -> None:
        self._send(200, b"{}")


def _serving(health_answers: int | None = None) -> tuple[ThreadingHTTPServer, str]:
    handler = _HealthyOnly if health_answers is None else _GoneAfterHealth
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.health_answers = health_answers  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _conformance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "vneid-harness"),
            "conformance",
            "--seed",
            "1",
            "--no-report",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        # this checkout's harness, whichever the venv was installed from
        env={"COLUMNS": "300", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_conformance_says_why_pytest_stopped_and_keeps_the_last_reports(tmp_path: Path) -> None:
    """A target that refuses the set-up of the run (here: no /_harness/config, a VNeID
    given where a relying party was expected) stops the run before any test: conformance
    says why, in one line, and the previous run's reports stay as they were. (pytest used to
    stop on it at the first test; the preflight now asks for the relying party's config.)"""
    out = tmp_path / "out"
    (out / "allure-results").mkdir(parents=True)
    kept = {
        out / "junit.xml": "<testsuites>earlier</testsuites>",
        out / "results.jsonl": '{"test": "earlier"}\n',
        out / "allure-results" / "00000000-0000-4000-8000-000000000000-result.json": "{}",
    }
    for path, text in kept.items():
        path.write_text(text, encoding="utf-8")
    server, url = _serving()
    try:
        done = _conformance(
            "--plan",
            "vssid-relying-party",
            "--vssid-url",
            url,
            "--serve-vneid-port",
            "0",
            "--out",
            str(out),
        )
    finally:
        _close(server)
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-2000:]
    assert (
        f"cannot run plan vssid-relying-party: the VssID target at {url} answered 404 to "
        "GET /_harness/config ({"
    ) in said, said[-2000:]
    assert "is the URL the VssID's base address, with the test-control API?" in said
    assert {path: path.read_text(encoding="utf-8") for path in kept} == kept


def test_a_run_the_targets_stopped_answering_is_interrupted_not_a_coverage_error(
    tmp_path: Path,
) -> None:
    server, url = _serving(health_answers=2)  # the preflight's and the run's, then gone
    try:
        done = _conformance("--plan", "vneid-provider", "--vneid-url", url, "--out", str(tmp_path))
    finally:
        _close(server)
    said = " ".join(done.stdout.split())
    assert done.returncode == 1, done.stdout[-2000:]
    assert "the run stopped early: the targets stopped answering: 3 tests in a row" in said
    assert "coverage error" not in said
    assert "to run a failed test again alone" not in said  # they failed for the target
    verdict = json.loads((tmp_path / "conformance-vneid-provider.json").read_text())
    assert verdict["ok"] is False
    assert verdict["interrupted"].startswith("the targets stopped answering: 3 tests")
    assert verdict["missing_clauses"] == []  # no error of the suite (docs/conformance.md)
    assert verdict["unreached_clauses"]
    page = (tmp_path / "conformance-vneid-provider.html").read_text(encoding="utf-8")
    assert 'data-testid="interrupted"' in page
    assert 'data-testid="coverage-error"' not in page


def test_a_relying_party_trusting_another_issuer_is_refused_before_the_run() -> None:
    """A VssID pointed at another VNeID would fail every login with issuer_mismatch, which
    the verdict filed as the relying party's failures (57 passed, 67 failed): the preflight
    names both issuers and what to do. Pointed back, the preflight passes."""
    from harness.serve import ServedInThread, build_served

    with ServedInThread(build_served(0, 0)) as pair:
        options = PreflightTargets(vneid_url=pair.vneid_url, vssid_url=pair.vssid_url)
        assert preflight(options) is None
        httpx.post(
            f"{pair.vssid_url}/_harness/config", json={"issuer": "http://127.0.0.1:1"}, timeout=5
        ).raise_for_status()
        said = preflight(options)
        assert said is not None
        assert "trusts the issuer http://127.0.0.1:1, not the VNeID of this run" in said
        assert said.endswith("or give the VNeID it trusts (--vneid-url)")
        # conformance refuses --vneid-url beside --vssid-url: it is not offered there
        plan = PreflightTargets(
            vneid_url=pair.vneid_url, vssid_url=pair.vssid_url, plan="vssid-relying-party"
        )
        said = preflight(plan)
        assert said is not None
        assert said.endswith(
            "or serve the harness VNeID where it looks (--serve-vneid-port "
            "with the port of that issuer)"
        )
        assert "issuer_mismatch (R-2)" in said
        assert "--serve-vneid-port" in said
        # an https issuer: the plan serves its VNeID over plain HTTP, which no port makes
        # that issuer (it advised --serve-vneid-port all the same; a TLS review)
        httpx.post(
            f"{pair.vssid_url}/_harness/config",
            json={"issuer": "https://idp.vendor.test"},
            timeout=5,
        ).raise_for_status()
        said = preflight(plan)
        assert said is not None
        assert said.endswith(
            "(POST /_harness/config, or its own settings): the plan serves its VNeID over "
            "plain HTTP only, so no --serve-vneid-port makes it the https issuer "
            "https://idp.vendor.test"
        ), said
        httpx.post(
            f"{pair.vssid_url}/_harness/config", json={"issuer": pair.vneid.issuer + "/"}, timeout=5
        ).raise_for_status()
        said = preflight(options)
        assert said is not None
        assert "differ only in a trailing '/'" in said


def test_conformance_says_where_it_serves_vneid_only_once_the_run_starts() -> None:
    """``harness VNeID serving at … for the relying party under test at …`` came before the
    preflight's refusal (here: the relying party trusts another issuer), which read as if
    the run had started; and the refusal named the served VNeID's address twice,
    ``(http://127.0.0.1:P, at http://127.0.0.1:P)``."""
    from harness.serve import ServedInThread, build_served

    with ServedInThread(build_served(0, 0)) as pair:  # trusts its own VNeID, not ours
        done = _conformance(
            "--plan",
            "vssid-relying-party",
            "--vssid-url",
            pair.vssid_url,
            "--serve-vneid-port",
            "0",
        )
    said = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, said[-2000:]
    assert f"trusts the issuer {pair.vneid.issuer}, not the VNeID of this run (http://" in said
    assert ", at http" not in said
    assert "harness VNeID serving at" not in said


def test_the_line_announcing_the_run_comes_after_the_refusals(tmp_path: Path) -> None:
    from rich.console import Console

    from harness.run import run_suites

    console = Console(record=True, width=200)
    options = RunOptions(
        out=tmp_path,
        vneid_url="http://127.0.0.1:9",
        plan="vneid-provider",
        starting="harness VNeID serving at …",
    )
    assert run_suites(options, console) == 2
    said = console.export_text()
    assert "cannot run plan vneid-provider: " in said
    assert "serving at" not in said
    started = Console(record=True, width=200)
    options = RunOptions(
        out=tmp_path / "ran",
        plan="vneid-provider",
        keyword="test_discovery_lists_what_t4_requires",
        starting="harness VNeID serving at …",
    )
    assert run_suites(options, started) == 0, started.export_text()[-2000:]
    assert started.export_text().startswith("harness VNeID serving at …\n")


class _NoLogDelete(_HealthyOnly):
    """Healthy, with a request log it cannot empty (405 to DELETE)."""

    def do_DELETE(self) -> None:
        self._send(
            405,
            b'{"error": "invalid_request", "error_description": "no DELETE", '
            b'"clause": "\\u00a711"}',
        )

    def do_GET(self) -> None:
        if self.path.startswith("/_harness/requests"):
            self._send(200, b'{"requests": []}')
            return
        super().do_GET()

    def do_POST(self) -> None:  # the clock and the rest of the set-up are taken
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, b"{}")


class _NoClock(_NoLogDelete):
    """Healthy, with a request log, and no clock (Python's http.server answers 501 to a
    method it lacks; a framework 404)."""

    def do_DELETE(self) -> None:
        self._send(204, b"")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_harness/clock":
            self._send(getattr(self.server, "clock_status", 404), b'{"error": "not_found"}')
            return
        self._send(200, b"{}")


@pytest.mark.parametrize(
    ("handler", "status", "call", "why"),
    [
        (
            _NoLogDelete,
            405,
            "DELETE /_harness/requests",
            "the harness empties the log before each test, answered 200 or 204",
        ),
        (
            _NoClock,
            404,
            "POST /_harness/clock",
            "the harness sets both providers' clocks back to real time before each test",
        ),
        (_NoClock, 501, "POST /_harness/clock", "clocks back to real time"),
    ],
)
def test_a_target_without_a_set_up_call_stops_the_run_once(
    tmp_path: Path, handler: type[_HealthyOnly], status: int, call: str, why: str
) -> None:
    """Each test empties the log and sets the clocks back first: a target without either is
    told so once, and the run stops (exit 4), instead of an error in every test (233 failed,
    all "moving the clock failed with HTTP 404")."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.clock_status = status  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = _conformance(
            "--plan",
            "vneid-provider",
            "--vneid-url",
            f"http://127.0.0.1:{server.server_address[1]}",
            "--out",
            str(tmp_path),
        )
    finally:
        _close(server)
    said = " ".join(done.stdout.split())
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:]
    assert said.count(f"answered HTTP {status} to {call}") == 1, said[-2000:]
    assert why in said
    # and where to read all that such a target must offer, not one refusal per run
    assert (
        'offer it (docs/conformance.md, "What your provider must offer", lists all that '
        "a target of this role must offer, in the order a run finds it missing)" in said
    )


def test_a_provider_serving_another_minimum_version_is_named_before_the_run(tmp_path: Path) -> None:
    """A VNeID served with a profile file the run was not given failed V-4/V-5 with no word
    on why: the run now warns, naming both minimums and --protocol-profile; given the same
    file, it says nothing. The tests still run (the published minimum may be the fault)."""
    from harness.preflight import target_warnings
    from harness.protocol import DEFAULT_PROFILE, parse_version
    from harness.serve import ServedInThread, build_served

    profile_file = tmp_path / "profile.yaml"
    profile_file.write_text('vneid_min_version: "2.3.0"\n', encoding="utf-8")
    served = DEFAULT_PROFILE.evolve(vneid_min_version=parse_version("2.3.0"))
    with ServedInThread(build_served(0, 0, profile=served)) as pair:
        (said,) = target_warnings(PreflightTargets(vneid_url=pair.vneid_url))
        assert (
            "publishes vneid_app_minimum_version 2.3.0 in its discovery, and this run "
            "expects 2.1.0 (PROTOCOL.md's default, no --protocol-profile given)"
        ) in said
        assert "--protocol-profile FILE" in said
        assert (
            target_warnings(PreflightTargets(vneid_url=pair.vneid_url, profile=profile_file)) == []
        )
    with ServedInThread(build_served(0, 0)) as pair:
        assert target_warnings(PreflightTargets(vneid_url=pair.vneid_url)) == []
        (said,) = target_warnings(PreflightTargets(vneid_url=pair.vneid_url, profile=profile_file))
        assert f"(the profile file {profile_file})" in said
    assert target_warnings(PreflightTargets()) == []  # embedded: the run builds them itself


def test_a_vneid_url_that_is_not_its_issuer_is_named_before_the_run() -> None:
    """``--vneid-url http://localhost:PORT`` for a provider whose issuer is
    ``http://127.0.0.1:PORT``: half the tests failed with issuer_mismatch, filed as the
    provider's. The run now warns, naming the issuer to give."""
    from harness.preflight import target_warnings
    from harness.serve import ServedInThread, build_served

    with ServedInThread(build_served(0, 0)) as pair:
        port = pair.vneid_url.rsplit(":", 1)[1]
        (said,) = target_warnings(PreflightTargets(vneid_url=f"http://localhost:{port}"))
        assert said.startswith(
            f"the VNeID at http://localhost:{port} names its issuer "
            f"{pair.vneid_url} in its discovery"
        )
        assert said.endswith(
            f"give --vneid-url {pair.vneid_url}, or the issuer checks fail for that alone"
        )
        assert target_warnings(PreflightTargets(vneid_url=pair.vneid_url + "/")) == []


def test_the_counts_name_the_warnings_printed_before_the_tests(tmp_path: Path) -> None:
    """The summary said "0 warnings" under a pre-run warning (it counts the tests' WARNING
    status): it now names those printed before the tests apart, and the verdict JSON and
    its page (what a vendor reads) carry them."""
    from rich.console import Console

    from harness.run import run_suites
    from harness.serve import ServedInThread, build_served

    suite = tmp_path / "test_counted_warnings.py"
    suite.write_text("import pytest\n\n@pytest.mark.clause('T-4')\ndef test_one():\n    pass\n")
    console = Console(record=True, width=300)
    with ServedInThread(build_served(0, 0)) as pair:
        port = pair.vneid_url.rsplit(":", 1)[1]
        run_suites(
            RunOptions(
                out=tmp_path / "out",
                paths=[str(suite)],
                workers=1,
                vneid_url=f"http://localhost:{port}",
            ),
            console,
        )
    said = console.export_text()
    assert f"warning: the VNeID at http://localhost:{port} names its issuer" in said
    assert "0 warnings (and 1 before the tests, printed above), 0 expected warnings" in said
    verdict = json.loads((tmp_path / "out" / "summary.json").read_text())
    (warning,) = verdict["setup_warnings"]  # and the vendor's report shows it
    assert warning.startswith(f"the VNeID at http://localhost:{port} names its issuer")
    page = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert f"Before the tests: the VNeID at http://localhost:{port} names its issuer" in page


def test_a_target_urls_password_is_in_no_message_or_replay_line(pytester: pytest.Pytester) -> None:
    """A vendor's target behind Basic authentication, its credentials in the URL: the
    preflight's refusal and the replay line repeated the password (S-5, a review)."""
    from harness.replay import replay_command

    url = "http://user:s3cretpw@127.0.0.1:1"
    said = preflight(PreflightTargets(vneid_url=url), timeout=1.0)
    assert said is not None
    assert "s3cretpw" not in said
    assert "http://user:%5BREDACTED%5D@127.0.0.1:1" in said
    config = pytester.parseconfig("--vneid-url", url)
    assert "s3cretpw" not in replay_command(config, "t.py::test_x")
    handle = VNeIDHandle("vneid", url)  # and a control call's failure, during a run
    try:
        with pytest.raises(TargetUnreachable) as refused:
            handle.health()
    finally:
        handle.close()
    assert "s3cretpw" not in str(refused.value)
    assert "http://user:%5BREDACTED%5D@127.0.0.1:1" in str(refused.value)


@pytest.fixture(scope="module")
def served_pair() -> Iterator[tuple[str, str]]:
    from tests.robustness.served_pair import pair_in_thread

    with pair_in_thread() as served:
        yield served.vneid_url, served.vssid_url


def test_the_preflight_names_swapped_targets(served_pair: tuple[str, str]) -> None:
    """``--vneid-url`` and ``--vssid-url`` swapped: both answer the health check, and the run
    stopped after its first test (or, for the vneid-provider plan, failed 261 of 277 tests on
    a control call the VssID does not have)."""
    vneid, vssid = served_pair
    for options in (
        PreflightTargets(vneid_url=vssid, vssid_url=vneid),
        PreflightTargets(vneid_url=vssid, plan="vneid-provider"),
    ):
        said = preflight(options)
        assert said is not None
        assert said.startswith(
            f"the VNeID target at {vssid} answered 404 to GET /.well-known/openid-configuration"
        )
        assert "it looks like a VssID; are --vneid-url and --vssid-url swapped" in said
    said = preflight(PreflightTargets(vneid_url=vneid, vssid_url=vneid))
    assert said is not None
    assert said.startswith(f"the VssID target at {vneid} answered 404 to GET /_harness/config")
    assert "it looks like a VNeID" in said
    assert preflight(PreflightTargets(vneid_url=vneid, vssid_url=vssid)) is None


def test_a_run_against_a_target_url_with_a_password_runs_and_keeps_it_out(
    served_pair: tuple[str, str], tmp_path: Path
) -> None:
    """The reports take each recorded URL apart; "ops:[REDACTED]@host" read as an IPv6
    literal, and the run stopped in INTERNALERROR after its first test (a review). The
    target's credentials reach no file of the run."""
    from rich.console import Console

    from harness.run import run_suites

    vneid, _ = served_pair
    url = vneid.replace("http://", "http://ops:s3cretpw@")
    out = tmp_path / "out"
    console = Console(record=True, width=200)
    status = run_suites(
        RunOptions(
            out=out,
            plan="vneid-provider",
            vneid_url=url,
            workers=1,
            keyword="test_happy",
            allure_report=False,
        ),
        console,
    )
    said = console.export_text()
    # the login journeys fail here (the mock's issuer has no credentials in it, so the run
    # warns that issuers are compared exactly): what matters is that every test ran
    assert status in (0, 1), said[-3000:]
    assert "INTERNALERROR" not in said
    verdict = json.loads((out / "conformance-vneid-provider.json").read_text(encoding="utf-8"))
    assert len(verdict["tests"]) == 5, said[-3000:]
    assert all(test["status"] in ("PASSED", "FAILED") for test in verdict["tests"])
    assert "ops:%5BREDACTED%5D@" in verdict["target"]["vneid"]
    for path in out.rglob("*"):
        if path.is_file():
            assert b"s3cretpw" not in path.read_bytes(), path
    assert "s3cretpw" not in said


class _NotFoundHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)  # http.server's own HTML error page, a dozen lines

    def log_message(self, *args: object) -> None:
        pass


def test_a_web_page_answer_is_named_on_one_line() -> None:
    """A plain web server at the URL (python -m http.server) had its whole 404 page quoted,
    a dozen lines of HTML."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFoundHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        said = preflight(PreflightTargets(vneid_url=url))
    finally:
        server.shutdown()
        server.server_close()
    assert said is not None
    assert "\n" not in said
    assert (
        "answered 404 to GET /_harness/health (an HTML page titled 'Error response': Error "
        "code: 404 Message: "
    ) in said, said
    assert said.endswith(
        '(with --admin-token if it needs one; docs/conformance.md, "What your '
        'provider must offer", lists all that a VNeID under test must offer)'
    )


def test_a_control_call_refused_for_the_admin_token_says_how_to_give_it() -> None:
    from harness.targets import ControlError
    from tests.robustness.served_pair import pair_in_thread

    with pair_in_thread(admin_token="s3cret") as served:
        for given, expected in (
            (
                None,
                "give the admin token the vneid provider at "
                f"{served.vneid_url} was served with: --admin-token "
                "TOKEN, or $VNEID_HARNESS_ADMIN_TOKEN",
            ),
            (
                "wrong",
                "if the vneid provider at "
                f"{served.vneid_url} was served with an admin token, "
                "the one given (--admin-token or "
                "$VNEID_HARNESS_ADMIN_TOKEN) is not it",
            ),
        ):
            handle = VNeIDHandle("vneid", served.vneid_url, admin_token=given)
            with pytest.raises(ControlError) as refused:
                handle.health()
            assert refused.value.status == 403
            assert expected in str(refused.value)
            assert "s3cret" not in str(refused.value)
            handle.close()


def test_a_relying_party_serving_another_profile_is_warned_about() -> None:
    """A VssID served with a profile the run was not given (another client id, minimum
    versions, links) failed 119 of 146 tests of its plan with no word before the run."""
    from harness.preflight import target_warnings
    from tests.robustness.served_pair import ServeProcess

    profile = ROOT / "docs" / "examples" / "vendor-profile.yaml"
    with ServeProcess("--protocol-profile", str(profile)) as served:
        without = target_warnings(PreflightTargets(vneid_url=served.vneid, vssid_url=served.vssid))
        given = target_warnings(
            PreflightTargets(vneid_url=served.vneid, vssid_url=served.vssid, profile=profile)
        )
    assert any(
        w.startswith(
            f"the VssID at {served.vssid} is configured with client_id "
            "'bank-client' (GET /_harness/config), and this run expects "
            "'vssid' (PROTOCOL.md's default, no --protocol-profile given)"
        )
        for w in without
    ), without
    assert given == []


class _TokenRecorder(_HealthyOnly):
    """Healthy, discovery without a token, /_harness/config only with the right one; it
    records which paths were sent the admin token."""

    def do_GET(self) -> None:
        token = self.headers.get("X-Harness-Admin-Token")
        self.server.tokens[self.path] = token  # type: ignore[attr-defined]
        self.server.counts[self.path] += 1  # type: ignore[attr-defined]
        if self.path == "/_harness/health":
            self._send(200, b'{"status": "ok", "version": "1"}')
        elif self.path == "/.well-known/openid-configuration":
            self._send(200, b'{"issuer": "%s"}' % self.server.url.encode())  # type: ignore
        elif self.path == "/_harness/config" and token == "right":
            self._send(200, b'{"issuer": "x", "client_id": "vssid"}')
        else:
            self._send(
                403,
                b'{"error": "forbidden", "error_description": "needs the admin '
                b'token", "clause": "S-6"}',
            )


def _token_recorder() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenRecorder)
    server.tokens = {}  # type: ignore[attr-defined]
    server.counts = Counter()  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{server.server_address[1]}"
    server.url = url  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, url


def test_the_checks_before_a_run_read_each_answer_once() -> None:
    """The preflight and the warnings read the health, the discovery and the relying party's
    config three times each before a remote run; with one TargetReads, once (the lease too:
    the same URL serves both parties here)."""
    from harness.preflight import TargetReads, target_warnings

    server, url = _token_recorder()
    try:
        options = PreflightTargets(vneid_url=url, vssid_url=url, admin_token="right")
        reads = TargetReads(options.admin_token)
        preflight(options, reads=reads)
        target_warnings(options, reads=reads)
    finally:
        _close(server)
    counts = server.counts  # type: ignore[attr-defined]
    assert set(counts) == {
        "/_harness/health",
        "/.well-known/openid-configuration",
        "/_harness/config",
        "/_harness/lease",
    }
    assert set(counts.values()) == {1}, counts


def test_the_role_check_sends_the_admin_token_to_the_control_api_only() -> None:
    """The role probe sent X-Harness-Admin-Token with GET /.well-known/openid-configuration,
    a public endpoint a vendor's proxies log (S-5); and a 403 on /_harness/config said "is the
    URL the VssID's base address?", not how to give the token."""
    server, url = _token_recorder()
    try:
        said = preflight(PreflightTargets(vssid_url=url, admin_token="wrong"))
        assert said is not None
        assert said.startswith(f"the VssID target at {url} answered 403 to GET /_harness/config")
        assert (
            "give the admin token it was served with (--admin-token, or "
            "$VNEID_HARNESS_ADMIN_TOKEN)" in said
        )
        server.tokens.clear()  # type: ignore[attr-defined]
        assert preflight(PreflightTargets(vneid_url=url, admin_token="right")) is None
        tokens = server.tokens  # type: ignore[attr-defined]
        assert tokens["/_harness/health"] == "right"
        assert tokens["/.well-known/openid-configuration"] is None
    finally:
        _close(server)


def test_a_target_that_dies_mid_answer_counts_as_not_answering() -> None:
    """A server killed while it answered a test ("Server disconnected without sending a
    response", httpx.RemoteProtocolError) was not counted: the run listed one failure more
    than the "3 tests in a row" that stopped it."""
    from types import SimpleNamespace

    from harness.plugin_remote import UNREACHABLE_IN_A_ROW, _stop_when_targets_stop_answering

    config = SimpleNamespace(stash=pytest.Stash())
    item = SimpleNamespace(
        config=config, session=SimpleNamespace(shouldstop=False), stash=pytest.Stash()
    )
    with pytest.raises(httpx.RemoteProtocolError) as died:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    call = SimpleNamespace(excinfo=died)
    report = SimpleNamespace(failed=True, when="call")
    for _ in range(UNREACHABLE_IN_A_ROW):
        _stop_when_targets_stop_answering(item, call, report)  # type: ignore[arg-type]
    assert str(item.session.shouldstop).startswith(
        f"the targets stopped answering: {UNREACHABLE_IN_A_ROW} tests in a row"
    )


def test_a_test_failing_on_an_apps_unreachable_screen_counts_as_not_answering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The apps show a call that timed out as a ``provider_unavailable`` screen, and the test
    then fails on that screen (an ``AssertionError``): such tests were not counted, so a
    hung VssID backend stopped the run only after more tests, each waiting for its timeout
    (a review). A test that fails with no failed call while it ran is not counted."""
    from types import SimpleNamespace

    import harness.http_client
    from harness.plugin_remote import UNREACHABLE_IN_A_ROW, _stop_when_targets_stop_answering

    config = SimpleNamespace(stash=pytest.Stash())
    session = SimpleNamespace(shouldstop=False)
    with pytest.raises(AssertionError) as failed:
        raise AssertionError("expected vssid-home, observed app-error provider_unavailable")

    def one_test(*, transport_fails: bool) -> None:
        item = SimpleNamespace(config=config, session=session, stash=pytest.Stash())
        setup = SimpleNamespace(failed=False, when="setup")
        _stop_when_targets_stop_answering(item, SimpleNamespace(excinfo=None), setup)  # type: ignore[arg-type]
        if transport_fails:
            monkeypatch.setattr(
                harness.http_client._Failures, "count", harness.http_client.transport_failures() + 1
            )
        call = SimpleNamespace(failed=True, when="call")
        _stop_when_targets_stop_answering(item, SimpleNamespace(excinfo=failed), call)  # type: ignore[arg-type]

    for _ in range(UNREACHABLE_IN_A_ROW - 1):
        one_test(transport_fails=True)
    one_test(transport_fails=False)  # failed, but its calls were answered: the row ends
    for _ in range(UNREACHABLE_IN_A_ROW - 1):
        one_test(transport_fails=True)
    assert session.shouldstop is False
    one_test(transport_fails=True)
    assert str(session.shouldstop).startswith(
        f"the targets stopped answering: {UNREACHABLE_IN_A_ROW} tests in a row could not reach "
        "them (last: expected vssid-home, observed app-error provider_unavailable)"
    )


def test_a_handles_repr_shows_no_password_nor_admin_token() -> None:
    """pytest prints a handle's repr in an assertion's explanation (``where [] = <bound
    method VNeIDHandle.requests of VNeIDHandle(…)>``): the dataclass's showed both."""
    handle = VNeIDHandle("vneid", "https://ci:s3cretpw@idp.example.test", admin_token="t0ken-1")
    shown = repr(handle)
    assert shown == (
        "VNeIDHandle('vneid', 'https://ci:%5BREDACTED%5D@idp.example.test', remote, "
        "admin token set)"
    )
    assert "s3cretpw" not in repr(handle.requests)


class _ControlApiOnly(_GoneAfterHealth):
    """A provider that offers §11's set-up (health, clock, personas, clients, the request log,
    all taken) and none of the protocol: 404 to discovery, the app API, /token…: what a
    vendor's general-purpose server behind a stub of the test-control API is at first."""

    def do_GET(self) -> None:
        if self.path.startswith("/_harness/requests"):
            self._send(200, b'{"requests": []}')
            return
        super().do_GET()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/_harness/"):
            self._send(200, b"{}")
            return
        self._send(404, b'{"error": "not_found"}')


def test_no_test_of_the_provider_plan_passes_against_a_provider_of_nothing(tmp_path: Path) -> None:
    """Each test of plan vneid-provider grades the provider under test: against one that
    implements nothing, none passes. Sixteen did (V-2, V-3 and V-6 passed for a server
    without any app API): the old VNeID app showing its own update screen never reaches the
    provider, which is a test of the harness's simulated app (docs/conformance.md: "Tests
    that never reach your provider … are in the relying-party plan only")."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ControlApiOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        done = _conformance("--plan", "vneid-provider", "--vneid-url", url, "--out", str(tmp_path))
    finally:
        _close(server)
    assert done.returncode == 1, done.stdout[-2000:]
    verdict = json.loads((tmp_path / "conformance-vneid-provider.json").read_text())
    assert verdict["interrupted"] is None, verdict["interrupted"]
    passed = [test["test"] for test in verdict["tests"] if test["status"] == "PASSED"]
    assert passed == []
    assert verdict["counts"]["FAILED"] > 200
    # and the one cause of most of them is said before the tests (preflight's app API probe)
    said = " ".join(done.stdout.split())
    assert f"the VNeID at {url} answered 404 to POST /api/app/v1/sessions" in said, said[-3000:]
    # nor is any a WARNING: the Pragma test got no tokens to look at (its set-up failed)
    assert verdict["counts"]["WARNING"] == 0


def test_a_provider_without_the_app_api_is_named_before_the_run() -> None:
    """A vendor's general-purpose OpenID Connect server behind a stub of §11 failed ~250 tests,
    each on the same 404 of ``POST /api/app/v1/sessions``, with no line naming that cause:
    the warnings before the run probe the app API once (a request any provider refuses) and
    say so, naming A-4/A-5 and the base path; a provider that has it is not named."""
    from harness.preflight import APP_API_PROBE, TargetReads, target_warnings
    from harness.serve import ServedInThread, build_served

    server = ThreadingHTTPServer(("127.0.0.1", 0), _ControlApiOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        (said,) = target_warnings(PreflightTargets(vneid_url=url))
    finally:
        _close(server)
    assert said.startswith(
        f"the VNeID at {url} answered 404 to POST {APP_API_PROBE} "
        '({"error": "not_found"}): the VNeID app\'s API'
    ), said
    assert "A-4 and A-5" in said
    assert f"the same base URL as discovery and the test-control API ({url}/api/app/v1/…)" in said
    assert "What your provider must offer" in said
    with ServedInThread(build_served(0, 0)) as pair:  # it refuses the probe: 400
        reads = TargetReads(None)
        assert target_warnings(PreflightTargets(vneid_url=pair.vneid_url), reads=reads) == []
        refused = reads.post(pair.vneid_url, APP_API_PROBE, {})
        assert refused.status_code == 400
        assert refused.json()["error"] == "app_version_invalid"
