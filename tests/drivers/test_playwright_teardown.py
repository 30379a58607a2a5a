"""Teardown of the web driver when Playwright's side is gone: a terminal's Ctrl-C during a
run, Playwright's driver killed. Each test makes its own Playwright (a second sync Playwright
cannot start on a thread where one runs: test_playwright_driver.py's module runtime)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.drivers.process_tree import alive, descendants
from harness.drivers.runtime import UIRuntime
from harness.drivers.web import chromium_executable
from harness.targets import Target, embedded_target
from harness.world import make_device

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world() -> Iterator[Target]:
    target = embedded_target(seed="web-teardown")
    yield target
    target.close()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary folder of the test's own with a short path: Chromium puts a socket two
    folders below $TMPDIR, and pytest's ``tmp_path`` is too long a path for one."""
    made = Path(tempfile.mkdtemp(prefix="vh-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def still_running(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running after a bounded wait for them to end (they are not
    this process's children: their parent ends them)."""
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def test_ctrl_c_during_a_web_run_ends_it_as_interrupted_and_leaves_nothing(
    pytester: pytest.Pytester, short_tmp: Path
) -> None:
    """A terminal's Ctrl-C goes to the whole process group, Playwright's node driver too: it
    closed the browser and died, and the teardown raised ~60 lines of chained
    ``TargetClosedError``/"connection closed" from ``pytest_unconfigure`` (exit 1, not 2) and
    left an empty ``playwright-tracing-*`` folder in $TMPDIR (a review)."""
    chromium_executable()
    tmp, pids = short_tmp, pytester.path / "pids.json"
    pytester.makepyfile(f"""
        import json, os, signal, time
        from harness.drivers.appium_server import descendants

        def test_interrupted_with_a_phone_open(device):
            phone = device("ios")
            assert phone.driver.open_app("vssid").id == "vssid-login"
            json.dump(descendants(os.getpid()), open({str(pids)!r}, "w"))
            os.killpg(0, signal.SIGINT)  # what a terminal's Ctrl-C does
            time.sleep(60)  # interrupted at once

        def test_never_reached():
            pass
    """)
    child = pytester.popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--driver",
            "web",
            f"--rootdir={pytester.path}",
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    out, err = (stream.decode(errors="replace") for stream in child.communicate(timeout=120))
    assert child.returncode == pytest.ExitCode.INTERRUPTED, out + err
    assert "KeyboardInterrupt" in out
    assert "Error" not in err, err
    assert "Traceback" not in out + err, out + err
    assert sorted(p.name for p in tmp.iterdir()) == []
    started = json.loads(pids.read_text())
    assert started, "the browser ran"
    assert still_running(started) == []  # the driver ends its browser when the run is gone


def playwright_driver_process(before: set[int]) -> int:
    """The node process Playwright started since ``before`` (this process's descendants):
    the one running ``cli.js run-driver``. Not told by its name (``/proc/PID/comm``): the
    node of some Playwright versions names its main thread ``MainThread``."""
    started = [pid for pid in descendants(os.getpid()) if pid not in before and alive(pid)]
    nodes = [
        pid
        for pid in started
        if b"run-driver" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    ]
    assert len(nodes) == 1, started
    return nodes[0]


def test_a_dead_playwright_connection_is_no_teardown_error(
    world: Target, short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Playwright's driver gone (killed): closing the phone and the browser has nothing left
    to close. It raised ``TargetClosedError`` from ``tracing.stop()``, ``context.close()`` and
    ``browser.close()``; Playwright is still stopped and the browser's temporary folder (the
    traces' files) removed."""
    monkeypatch.setenv("TMPDIR", str(short_tmp))  # the driver's
    monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))  # this process's
    before = set(descendants(os.getpid()))
    runtime = UIRuntime(root=ROOT)
    try:
        device = make_device(world, "ios", driver="web", runtime=runtime)
        assert device.driver.open_app("vssid").id == "vssid-login"
        playwright = runtime.chromium()._playwright
        assert playwright is not None
        stops: list[bool] = []
        real_stop = playwright.stop

        def stop() -> None:
            stops.append(True)
            real_stop()

        monkeypatch.setattr(playwright, "stop", stop)
        assert [p.name for p in short_tmp.glob("vneid-harness-scratch-playwright-*")]
        driver = playwright_driver_process(before)
        os.kill(driver, signal.SIGKILL)
        assert still_running([driver]) == []
        device.close()
    finally:
        runtime.close()
    assert stops == [True]
    assert list(short_tmp.glob("vneid-harness-scratch-playwright-*")) == []
    assert list(short_tmp.glob("playwright-tracing-*")) == []
