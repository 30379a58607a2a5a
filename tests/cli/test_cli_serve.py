"""`vneid-harness serve`: both providers over real HTTP, the suites pointed at them."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.flows import login_with_vneid
from harness.personas import PersonaFactory, save_personas
from harness.targets import Target, remote_target
from harness.world import PersonaPool, make_device

BIN = Path(sys.executable).parent / "vneid-harness"
URL_RE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class Served:
    def __init__(self, proc: subprocess.Popen[str], vneid: str, vssid: str) -> None:
        self.proc, self.vneid, self.vssid = proc, vneid, vssid


def start(*args: str, env: dict[str, str] | None = None) -> Served:
    proc = subprocess.Popen(
        [str(BIN), "serve", "--vneid-port", "0", "--vssid-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**(env or os.environ), "COLUMNS": "200"},
    )
    urls: list[str] = []
    deadline = time.monotonic() + 20
    assert proc.stdout is not None
    while len(urls) < 2 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        urls += URL_RE.findall(line)
    if len(urls) < 2:
        proc.kill()
        raise AssertionError(f"serve did not print two URLs: {proc.stdout.read()}")
    return Served(proc, urls[0], urls[1])


def trust_a_free_port(served: Served) -> int:
    """Point the served VssID at an issuer on a free loopback port (where ``conformance
    --serve-vneid-port`` will serve the harness VNeID) and return the port."""
    from harness.serve import bind_loopback

    probe = bind_loopback(0)
    port = int(probe.getsockname()[1])
    probe.close()
    httpx.post(
        f"{served.vssid}/_harness/config", json={"issuer": f"http://127.0.0.1:{port}"}, timeout=5
    ).raise_for_status()
    return port


def stop(served: Served) -> tuple[int, str]:
    served.proc.send_signal(signal.SIGTERM)
    out, _ = served.proc.communicate(timeout=15)
    return served.proc.returncode, out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    personas = tmp_path_factory.mktemp("p") / "personas.yaml"
    save_personas(personas, [PersonaFactory(42).new()])
    server = start("--personas", str(personas))
    yield server
    if server.proc.poll() is None:
        stop(server)


@pytest.mark.clause("P-1")
def test_a_citizen_made_again_without_an_account_finds_none_left_over(served: Served) -> None:
    """The same seed makes the same citizen in the next run; a served VssID keeps the
    account the first run gave it, which the second, where the citizen has none, must not
    find (a QA team's property test passed on it)."""
    from harness.targets import opened

    with opened(remote_target(served.vneid, served.vssid)) as target:
        _made_again(target)


def _made_again(target: Target) -> None:
    from harness.personas import VssIDAccount

    first = PersonaPool(target, seed="made-again").new()
    assert first.vssid_account is not None
    again = PersonaPool(target, seed="made-again").new(vssid_account=False)
    assert again.personal_id == first.personal_id
    assert target.vssid.accounts_of(again.personal_id) == []
    device = make_device(target, "android")
    screen = login_with_vneid(device.driver, again)
    device.close()
    assert (screen.id, screen.error) == ("app-error", "vssid_account_not_found"), screen
    # with another account this time: the old one goes, the new one is the citizen's
    other = PersonaPool(target, seed="made-again").new(
        vssid_account=VssIDAccount("9" + first.vssid_account.bhxh_code[1:], "active")
    )
    PersonaPool(target, seed="made-again").register(first)
    PersonaPool(target, seed="made-again").register(other)
    assert target.vssid.accounts_of(other.personal_id) == [
        other.vssid_account.bhxh_code if other.vssid_account else ""
    ]


@pytest.mark.clause("A-6", "T-4")
def test_served_providers_complete_a_login_over_http(served: Served) -> None:
    target = remote_target(served.vneid, served.vssid)
    assert target.vneid.discovery()["issuer"] == served.vneid
    pool = PersonaPool(target, seed="served")
    persona = pool.new()
    for platform in ("ios", "android"):
        device = make_device(target, platform)
        assert login_with_vneid(device.driver, persona).id == "vssid-home"
        device.close()
    target.close()


def test_each_test_starts_with_the_relying_partys_link_form_as_it_was(served: Served) -> None:
    """A scenario may switch the served VssID to https authorize links (A-3's); the next
    test gets the form the run started with."""
    target = remote_target(served.vneid, served.vssid)
    try:
        target.snapshot()
        assert target.vssid.configure(link_form="https")["link_form"] == "https"
        target.begin_test()
        assert target.vssid.config()["link_form"] == "custom"
    finally:
        target.close()


def test_personas_file_is_loaded(served: Served) -> None:
    listed = httpx.get(f"{served.vneid}/_harness/personas", timeout=5).json()
    ids = [p["personal_id"] for p in listed["personas"]]
    assert PersonaFactory(42).new().personal_id in ids


def test_suites_run_against_served_providers(served: Served) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "scenarios/test_happy_path.py",
            "scenarios/test_callback_security.py",
            "--vneid-url",
            served.vneid,
            "--vssid-url",
            served.vssid,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


def test_suites_run_with_only_vneid_served(served: Served) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "scenarios/test_token_endpoint.py",
            "--vneid-url",
            served.vneid,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_a_proxy_in_the_environment_is_not_used_for_loopback(tmp_path: Path) -> None:
    """A CI machine behind a proxy sets HTTP_PROXY and often no NO_PROXY: the served VssID's
    calls to its VNeID and every call of the suites to the served pair went to the proxy (here
    one that refuses connections) and failed. Loopback is never proxied."""
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
    proxy = f"http://127.0.0.1:{dead.getsockname()[1]}"
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    env |= {"HTTP_PROXY": proxy, "https_proxy": proxy, "NO_PROXY": "example.test"}
    server = start(env=env)
    try:
        result = subprocess.run(
            [
                str(BIN),
                "run",
                "--workers",
                "1",
                "--no-report",
                "--out",
                str(tmp_path / "out"),
                "--vneid-url",
                server.vneid,
                "--vssid-url",
                server.vssid,
                "-k",
                "test_happy_path",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert "verdict OK" in result.stdout
    finally:
        stop(server)
        dead.close()


def test_sigterm_stops_cleanly() -> None:
    server = start()
    assert httpx.get(f"{server.vneid}/_harness/health", timeout=5).status_code == 200
    code, out = stop(server)
    assert code == 0, out
    assert "stopped" in out
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.vneid}/_harness/health", timeout=2)


def test_sigint_stops_cleanly() -> None:
    server = start()
    server.proc.send_signal(signal.SIGINT)
    out, _ = server.proc.communicate(timeout=15)
    assert server.proc.returncode == 0, out


def test_busy_port_is_a_clear_error() -> None:
    server = start()
    port = server.vneid.rsplit(":", 1)[1]
    try:
        result = subprocess.run(
            [str(BIN), "serve", "--vneid-port", port, "--vssid-port", "0"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        # the option to change is named: serve has two ports
        assert f"cannot listen on 127.0.0.1:{port} for --vneid-port (" in " ".join(
            (result.stderr + result.stdout).split()
        )
    finally:
        stop(server)


def test_the_served_vneid_names_its_option_when_its_port_is_taken() -> None:
    """``conformance --serve-vneid-port P`` with P taken said only ``cannot listen on
    127.0.0.1:P …; pick another port``: the option to change, and that the relying party's
    issuer decides the port, were the user's to guess."""
    from harness.errors import ConfigError
    from harness.serve import ServedVNeID, bind_loopback

    holder = bind_loopback(0)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ConfigError) as refused:
            ServedVNeID(port)
    finally:
        holder.close()
    said = str(refused.value)
    assert said.startswith(
        f"the harness VNeID cannot listen on 127.0.0.1:{port} for --serve-vneid-port ("
    )
    assert said.endswith(
        "): give another --serve-vneid-port, one your relying party's issuer "
        "names, or stop what holds it"
    )


@pytest.mark.parametrize(
    ("claimed", "fix"),
    [
        (
            "vssid-staging",
            "give the run a protocol profile naming your relying party's client: "
            "--protocol-profile FILE with vssid_client_id: vssid-staging (and its "
            "callbacks",
        ),
        ("", "send the client_id in every authorization request of your relying party"),
    ],
    ids=["another-client-id", "no-client-id"],
)
def test_a_relying_party_with_another_client_id_is_told_which_option_to_give(
    claimed: str, fix: str
) -> None:
    """A relying party configured with another client id than the run's profile fails at
    /authorize (unknown client, S-3) before any token request: the /token hint never came,
    and the run ended on failures alone. The served VNeID's hint names the option."""
    from harness.protocol import DEFAULT_PROFILE, AuthorizationRequest, s256_challenge
    from harness.serve import ServedVNeID

    def authorize(client_id: str) -> httpx.Response:
        request = AuthorizationRequest(
            client_id=client_id,
            redirect_uri=DEFAULT_PROFILE.callback_custom,
            state="s1",
            nonce="n1",
            code_challenge=s256_challenge("v" * 43),
        )
        return httpx.get(request.to_url(f"{served.url}/authorize"), timeout=10)

    with ServedVNeID(0) as served:
        assert authorize("vssid").status_code == 200  # the login page: nothing to say
        assert served.refusal_hint() is None
        assert [authorize(claimed).status_code for _ in range(2)] == [400, 400]
        hint = served.refusal_hint()
    assert hint is not None
    named = repr(claimed) if claimed else "none"
    assert hint.startswith(
        "the harness VNeID refused the relying party's authorization "
        "requests 2 time(s) as invalid_client (S-3): they named the "
        f"client_id(s) {named}, and it registers only 'vssid' (the "
        "protocol profile's vssid_client_id), so no login reached /token: "
    )
    assert fix in hint
    assert hint.endswith("and run again (the failures above may all be this)")


def test_the_unknown_client_hint_cuts_a_long_client_id() -> None:
    """The client_id comes from the relying party under test: the hint names it cut to 80
    characters, as the provider's own refusal does, not a line of kilobytes."""
    from harness.serve import ServedVNeID

    with ServedVNeID(0) as served:  # its provider tells the hook as /authorize would
        assert served.provider.on_unknown_client is not None
        for _ in range(2):
            served.provider.on_unknown_client("x" * 5000)
        hint = served.refusal_hint()
    assert hint is not None
    assert "2 time(s)" in hint
    assert "x" * 80 in hint
    assert "x" * 81 not in hint


def test_listening_socket_says_tcp_so_asyncio_sets_nodelay() -> None:
    """asyncio sets TCP_NODELAY on accepted connections only for proto IPPROTO_TCP; without
    it each response waited ~40 ms for a delayed ACK (measured: 44 ms vs 0.8 ms a request)."""
    import socket

    from harness.serve import bind_loopback

    sock = bind_loopback(0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()


def _stall_a_reader(base: str) -> list[socket.socket]:
    """Fill the request log (about 16 MB), then ask for it three times on connections that
    never read the answer: their writes wait for ever."""
    import json

    big = json.dumps({"personal_id": "x" * 16000})
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(1000):
            client.post(
                "/api/app/v1/sessions",
                content=big,
                headers={"Content-Type": "application/json", "X-VNeID-App-Version": "2.1.0"},
            )
    host, port = base.removeprefix("http://").split(":")
    readers: list[socket.socket] = []
    for _ in range(3):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        sock.connect((host, int(port)))
        sock.sendall(b"GET /_harness/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        readers.append(sock)
    time.sleep(1)  # the answers are being written
    return readers


@pytest.mark.parametrize("signals", [1, 2])
def test_a_client_that_stops_reading_does_not_keep_a_stopped_server_alive(signals: int) -> None:
    """A client that asked for a large answer and never read it kept ``serve`` alive after
    SIGTERM, a second SIGTERM and SIGINT, for as long as it stayed connected. Now requests
    still running get a few seconds (SHUTDOWN_GRACE_SECONDS), and a second signal stops at
    once."""
    server = start()
    readers = _stall_a_reader(server.vneid)
    try:
        for _ in range(signals):
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
        out, _ = server.proc.communicate(timeout=60)  # before: still running, for ever
        assert server.proc.returncode == 0, out
        assert "stopped" in out
        graceful_limit = "timeout graceful shutdown exceeded" in out
        assert graceful_limit is (signals == 1), out
    finally:
        for sock in readers:
            sock.close()
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.communicate()


class Printed:
    """What a ``serve`` printed: :attr:`text` grows with the rest once it is stopped."""

    text = ""


@contextlib.contextmanager
def serving_until_ready(*args: str) -> Iterator[tuple[subprocess.Popen[str], Printed]]:
    """``serve ARGS`` on free ports, read until it says how to stop it; stopped by SIGTERM
    at the end of the block."""
    proc = subprocess.Popen(
        [str(BIN), "serve", "--vneid-port", "0", "--vssid-port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert proc.stdout is not None
    printed = Printed()
    try:
        for line in proc.stdout:
            printed.text += line
            if "Press Ctrl-C to stop." in line:
                break
        yield proc, printed
    finally:
        proc.send_signal(signal.SIGTERM)
        printed.text += proc.communicate(timeout=15)[0]


@pytest.mark.parametrize(("host", "warned"), [("idp.invalid", True), ("localhost", False)])
def test_a_public_host_that_does_not_resolve_is_named(host: str, warned: bool) -> None:
    """``--public-host NAME`` puts NAME in the issuer URL, which the VssID mock calls: a name
    that does not resolve here made every login through it fail (provider_unavailable), with
    no word at start. RFC 2606 keeps ``.invalid`` unresolvable."""
    with serving_until_ready("--public-host", host) as (_, printed):
        pass
    said = printed.text
    assert "Press Ctrl-C to stop." in said, said
    assert (f"warning: {host} does not resolve on this machine" in said) is warned, said
    # it listens on loopback, whatever name its URLs give
    assert re.search(
        rf"VNeID identity provider listening on 127\.0\.0\.1:\d+ as "
        rf"http://{re.escape(host)}:\d+",
        " ".join(said.split()),
    ), said


def test_serving_on_ipv6_loopback_prints_bracketed_urls_that_work() -> None:
    """``serve --host ::1``: the address line writes the IPv6 host as a URL does (``[::1]``),
    and the URLs it prints answer (the issuer is the printed one)."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with serving_until_ready("--host", "::1") as (proc, printed):
        urls = re.findall(r"listening on (http://\[::1\]:\d+)", printed.text)
        assert len(urls) == 2, printed.text
        discovery = httpx.get(f"{urls[0]}/.well-known/openid-configuration", timeout=5)
        assert discovery.json()["issuer"] == urls[0]
        assert httpx.get(f"{urls[1]}/_harness/health", timeout=5).json()["status"] == "ok"
    assert proc.returncode == 0, printed.text
