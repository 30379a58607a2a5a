"""The Appium server the harness starts: ready, then stopped with every process it started,
also when a session is left open and when the test using it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.drivers.appium import open_remote
from harness.drivers.appium_config import load_capabilities
from harness.drivers.appium_server import (
    AppiumServer,
    appium_executable,
    check_server,
    descendants,
    node_executable,
)
from harness.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stop_ends_the_server_and_the_browser_of_a_session_left_open() -> None:
    appium_executable(ROOT)  # fails naming `make setup` when npm's packages are missing
    server = AppiumServer(ROOT).start()
    try:
        assert server.pid is not None
        pid = server.pid
        status = httpx.get(f"{server.url}/status", timeout=5).json()
        assert status["value"]["ready"] is True
        check_server(server.url, ROOT / "caps.yaml")  # what a `server: URL` file gets
        remote = open_remote(server.url, load_capabilities(), "android")
        assert "Pixel 7" in remote.execute_script("return navigator.userAgent")
        children = descendants(pid)
        names = {Path(f"/proc/{c}/comm").read_text().strip() for c in children if alive(c)}
        assert any("chromedriver" in n for n in names), names
        assert any("chrom" in n and "driver" not in n for n in names), names
    finally:
        server.stop()  # the session was never quit: a hung test
    assert not alive(pid)
    assert [c for c in children if alive(c)] == []
    assert server.process is None


def test_a_failing_test_still_stops_appium_and_chromium(pytester: pytest.Pytester) -> None:
    appium_executable(ROOT)
    pids = pytester.path / "pids.json"
    pytester.makepyfile(f"""
        import json
        from harness.drivers.appium_server import descendants
        from harness.drivers.pytest_ui import ui_runtime

        def test_fails_with_appium_running(request, device):
            phone = device("ios")
            assert phone.driver.open_app("vssid").id == "vssid-login"
            server = ui_runtime(request.config).appium_server
            tree = [server.pid, *descendants(server.pid)]
            open({str(pids)!r}, "w").write(json.dumps(tree))
            assert False, "this test fails on purpose"
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--driver", "appium", f"--rootdir={pytester.path}"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*this test fails on purpose*", "*ui artifacts*", "*-0-ios.png*"])
    tree = json.loads(pids.read_text())
    assert len(tree) >= 3  # appium, chromedriver, chromium (and its helpers)
    assert [pid for pid in tree if alive(pid)] == []
    kept = list((pytester.path / "reports" / "out" / "traces").glob("*.png"))
    assert len(kept) == 1


def test_missing_npm_packages_name_make_setup(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Appium is not installed .*run `make setup`"):
        AppiumServer(tmp_path).start()


@pytest.mark.clause("S-5")
def test_the_appium_log_keeps_no_typed_text() -> None:
    """At --log-level info Appium logs each request's body, a passcode typed into a field
    too (``/value {"text": "…"}``). The log is kept when Appium fails to start, and stays in
    the temporary folder when a run is killed: its log filters take typed text out."""
    server = AppiumServer(ROOT).start()
    try:
        remote = open_remote(server.url, load_capabilities(), "android")
        remote.get("data:text/html,<input id='p' type='password'>")
        remote.find_element("css selector", "#p").send_keys("918273")
        assert server.log_path is not None
        log = server.log_path.read_text(errors="replace")
        assert "/value" in log, log[-2000:]
        assert "918273" not in log
        assert '"text":"[REDACTED]"' in log.replace(" ", "")
    finally:
        server.stop()


def test_a_killed_harness_leaves_no_appium_or_chromium_running(tmp_path: Path) -> None:
    """SIGKILL runs no ``atexit``: the watchdog (harness.drivers.process_tree) stops the
    server, chromedriver and Chromium when the process that started them is gone. Before it,
    a killed run left all three running (a review)."""
    appium_executable(ROOT)
    pids = tmp_path / "pids.json"
    script = tmp_path / "killed.py"
    script.write_text(f"""
import json, time
from pathlib import Path
from harness.drivers.appium import open_remote
from harness.drivers.appium_config import load_capabilities
from harness.drivers.appium_server import AppiumServer, descendants
server = AppiumServer(Path({str(ROOT)!r})).start()
remote = open_remote(server.url, load_capabilities(), "android")
partial = Path({str(pids)!r} + ".partial")  # renamed when whole: the test reads it then
partial.write_text(json.dumps({{"tree": [server.pid, *descendants(server.pid)],
                               "log": str(server.log_path), "temp": str(server.temp)}}))
partial.rename({str(pids)!r})
time.sleep(600)
""")
    child = subprocess.Popen([sys.executable, str(script)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not pids.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pids.exists(), "the child never opened its session"
        started = json.loads(pids.read_text())
    finally:
        child.kill()  # SIGKILL
        child.wait()
    tree, log, temp = started["tree"], Path(started["log"]), Path(started["temp"])
    assert len(tree) >= 3  # appium, chromedriver, chromium (and its helpers)
    deadline = time.monotonic() + 30  # the watchdog removes the files once all have ended
    while (any(alive(pid) for pid in tree) or temp.exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in tree if alive(pid)] == []
    assert log.exists(), "the log stays for whoever looks into the killed run"
    assert not log.with_suffix(".filters.json").exists()
    log.unlink()
    assert not temp.exists(), "the Chromium profiles went with the server"


def test_a_stopped_server_ends_its_watchdog() -> None:
    server = AppiumServer(ROOT).start()
    watchdog = server._watchdog
    assert watchdog is not None
    assert watchdog.poll() is None
    pid = server.pid
    server.stop()
    assert watchdog.returncode == 0
    assert pid is not None
    assert not alive(pid)


@pytest.fixture
def short_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A $TMPDIR of this test's own, short (Chromium puts a socket two folders below it, and
    pytest's ``tmp_path`` is too long a path for one)."""
    made = Path(tempfile.mkdtemp(prefix="vh-"))
    monkeypatch.setenv("TMPDIR", str(made))
    monkeypatch.setattr(tempfile, "tempdir", str(made))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_the_chromium_profiles_go_with_the_server(short_tmpdir: Path) -> None:
    """chromedriver and Chromium write their profiles (``org.chromium.Chromium.scoped_dir.*``,
    with History and Cookies) to $TMPDIR, and chromedriver leaves one even after a clean quit:
    ~70 MB after the suites under ``--driver appium`` (a review). The server's private
    TMPDIR holds them, and is removed with it."""
    tmp_path = short_tmpdir
    server = AppiumServer(ROOT).start()
    try:
        assert server.temp is not None
        assert server.temp.parent == tmp_path
        quit_cleanly = open_remote(server.url, load_capabilities(), "android")
        quit_cleanly.get("data:text/html,<p>x</p>")
        quit_cleanly.quit()
        left_open = open_remote(server.url, load_capabilities(), "ios")
        left_open.get("data:text/html,<p>y</p>")
        assert any(server.temp.iterdir()), "the profiles are in the server's own folder"
    finally:
        server.stop()
    assert server.temp is None
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_missing_node_says_what_appium_needs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It was "Appium exited with status 127 before it was ready: /usr/bin/env: 'node': No
    such file or directory"."""
    appium_executable(ROOT)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    with pytest.raises(
        ConfigError,
        match=r"Node.js is not on PATH: .*Node.js 20.19 or newer "
        r"as `node`.*put it on PATH and run `make setup`",
    ):
        node_executable()
    server = AppiumServer(ROOT)
    with pytest.raises(ConfigError, match=r"Node\.js is not on PATH"):
        server.start()
    assert server.process is None
    assert list((tmp_path / "tmp").iterdir()) == [], "nothing made before the check"


@pytest.mark.parametrize("written", [b"", b"[Appium] Could not start\n"])
def test_a_failed_start_keeps_its_log_only_when_it_says_something(
    monkeypatch: pytest.MonkeyPatch, short_tmpdir: Path, written: bytes
) -> None:
    """A start stopped before Appium wrote a line (an interrupt, a failure to start) left an
    empty ``vneid-harness-appium-*.log`` in the temporary folder (each ``make test`` left
    one); a log with something in it stays, for whoever looks into the failure."""
    appium_executable(ROOT)
    monkeypatch.setattr(tempfile, "tempdir", str(short_tmpdir))

    def interrupted(*args: object, stdout: object = None, **kwargs: object) -> None:
        assert hasattr(stdout, "write")
        stdout.write(written)  # type: ignore[union-attr]
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess, "Popen", interrupted)
    with pytest.raises(KeyboardInterrupt):
        AppiumServer(ROOT).start()
    left = [p.read_bytes() for p in short_tmpdir.iterdir()]
    assert left == ([written] if written else [])
