"""An Appium 3 server the harness starts and stops itself (one per test session).

``node_modules/.bin/appium --address 127.0.0.1 --port <free>`` from the project root (npm's
``appium`` and ``appium-chromium-driver``, installed by ``make setup`` with ``npm ci``), not
through ``npx``, so the process id held is the server's. Readiness is ``GET /status``
answering ``ready``, polled until a bounded deadline. :meth:`AppiumServer.stop` ends the
server's whole process group and any process it left behind (chromedriver, Chromium): a
session killed by ``newCommandTimeout`` can leave Chromium running (TOOLCHAIN.md). A watchdog
process does the same if the harness dies without stopping it (SIGKILL, a CI job's timeout):
:mod:`harness.drivers.process_tree`.

The server runs with a private ``TMPDIR`` (:attr:`AppiumServer.temp`), inherited by
chromedriver and Chromium: their profiles (``org.chromium.Chromium.scoped_dir.*``, a
``History`` and ``Cookies`` each, ~70 MB after the suites; chromedriver leaves one even after
a clean quit) go there, and the folder is removed when the server stops, by the watchdog too.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from harness.drivers import process_tree
from harness.drivers.process_tree import STOPPED, descendants, stop_tree
from harness.errors import ConfigError
from harness.processes import free_port

__all__ = [
    "APPIUM_MANIFEST",
    "drop_stale_manifest",
    "APPIUM_CHROMIUM_DRIVER_VERSION",
    "APPIUM_VERSION",
    "NODE_VERSION",
    "AppiumServer",
    "appium_executable",
    "check_server",
    "descendants",
    "node_executable",
]

HOST = "127.0.0.1"
NODE_VERSION = "20.19"
"""The oldest Node.js Appium 3 runs on (its ``engines``)."""
APPIUM_VERSION = "3.8.0"
APPIUM_CHROMIUM_DRIVER_VERSION = "3.1.1"
"""The Appium and its Chromium driver the appium driver is tested with (package.json pins
them; an installed harness, which has no package.json, names them in its fix)."""
_POLL_SECONDS = 0.05


LOG_FILTERS = [
    # what the driver types (a passcode): {"text": "…", "value": ["…", …]} of /value (S-5)
    {"pattern": r'("text"\s*:\s*)"(?:[^"\\]|\\.)*"', "replacer": '$1"[REDACTED]"'},
    {"pattern": r'("value"\s*:\s*)\[[^\]]*\]', "replacer": '$1["[REDACTED]"]'},
]
"""Appium's ``--log-filters`` rules: at ``--log-level info`` it logs each request's body, and
a session's ``/value`` calls carry the text typed into a field. Its log is kept when it fails
to start, and stays behind in the temporary folder when the run is killed."""


APPIUM_MANIFEST = Path("node_modules/.cache/appium/extensions.yaml")
"""Appium's record of its installed drivers, under the project (``APPIUM_HOME`` is the
project's folder): each with its absolute ``installPath``."""


def drop_stale_manifest(root: Path) -> None:
    """Remove Appium's manifest under ``root`` when a driver's ``installPath`` in it is gone:
    a checkout moved or copied with its ``node_modules`` (a CI cache restored into another
    workspace) kept the old paths, and Appium refused every session ("Could not find a
    driver for automationName 'Chromium' … Could not read the driver manifest at
    /old/path/node_modules/appium-chromium-driver/package.json"). Appium writes it again
    from ``node_modules`` as it starts."""
    import yaml

    manifest = root / APPIUM_MANIFEST
    try:
        recorded = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # none (Appium writes it), or one Appium itself will say is unreadable
    if not isinstance(recorded, dict):
        return
    paths = [
        entry.get("installPath")
        for kind in ("drivers", "plugins")
        if isinstance(recorded.get(kind), dict)
        for entry in recorded[kind].values()
        if isinstance(entry, dict)
    ]
    if any(isinstance(p, str) and not Path(p).is_dir() for p in paths):
        with contextlib.suppress(FileNotFoundError):  # another worker's server was first
            manifest.unlink()


def appium_executable(root: Path) -> Path:
    """``node_modules/.bin/appium`` under ``root``; :class:`ConfigError` naming ``make setup``
    when npm's packages are missing."""
    exe = root / "node_modules" / ".bin" / "appium"
    driver = root / "node_modules" / "appium-chromium-driver" / "package.json"
    if not exe.exists() or not driver.exists():
        raise ConfigError(
            f"Appium is not installed under {root / 'node_modules'}: the appium driver runs "
            "npm's appium and appium-chromium-driver (package.json); run `make setup` in the "
            "harness's checkout (it runs npm ci), or with the harness installed as a package "
            f"`npm install appium@{APPIUM_VERSION} "
            f"appium-chromium-driver@{APPIUM_CHROMIUM_DRIVER_VERSION}` in the folder you run "
            "pytest from"
        )
    return exe


def node_executable() -> Path:
    """``node`` on PATH (``node_modules/.bin/appium`` starts with ``#!/usr/bin/env node``);
    :class:`ConfigError` saying what is needed when it is missing."""
    found = shutil.which("node")
    if found is None:
        raise ConfigError(
            f"Node.js is not on PATH: the appium driver runs npm's Appium 3, which needs "
            f"Node.js {NODE_VERSION} or newer as `node` (README, Troubleshooting: Debian 12's "
            "own nodejs is 18, too old; take Node from nodejs.org or NodeSource); put it on "
            "PATH and run `make setup`, or use an Appium server you run yourself "
            "(`server: URL` in the capabilities file)"
        )
    return Path(found)


def check_server(url: str, source: Path, *, timeout: float = 10.0) -> None:
    """An Appium server (or a WebDriver hub) answers ``GET {url}/status`` with a W3C status
    (``{"value": {…}}``); :class:`ConfigError` saying what to do otherwise, so a wrong
    ``server`` stops the run once instead of failing every UI test with its own traceback. A
    hub that wants credentials for its status too (401, 403) is taken at its word."""
    from harness.protocol.redaction import redact_url

    shown = redact_url(url)  # a device farm's hub URL carries its credentials (S-5)
    where = f"{shown} (the `server` key of {source})"
    try:
        answer = httpx.get(f"{url}/status", timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        said = str(exc).replace(url, shown) or type(exc).__name__
        parts = urlsplit(url)
        start = (
            f"start one with `appium --address 127.0.0.1 --port {parts.port or 4723}` (or "
            "fix the URL)"
            if parts.hostname in ("127.0.0.1", "localhost", "::1")
            else "check that the server runs and the URL (host, port, path)"
        )
        raise ConfigError(
            f"no Appium server answers at {where}: {said}; {start}, or write `server: local` "
            "for the harness to start its own"
        ) from None
    if answer.status_code in (401, 403):
        return
    try:
        status = answer.json()
    except ValueError:
        status = None
    if not (isinstance(status, dict) and isinstance(status.get("value"), dict)):
        kind = answer.headers.get("content-type", "no content type")
        raise ConfigError(
            f"the server at {where} is not Appium: GET /status answered HTTP "
            f"{answer.status_code} ({kind}), not a WebDriver status; check the URL's port and "
            "path (a hub's is often /wd/hub), or write `server: local` for the harness to "
            "start its own Appium"
        )


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return True


class AppiumServer:
    """A local Appium server: :meth:`start` (waits until ready), :meth:`stop` (also its
    children). A context manager."""

    def __init__(
        self, root: Path, *, port: int | None = None, startup_timeout: float = 30.0
    ) -> None:
        self.root = root
        self.port = port
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.temp: Path | None = None
        """The server's private ``TMPDIR`` (chromedriver's and Chromium's profiles), removed
        at :meth:`stop`."""
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._watchdog_pipe: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ConfigError("the Appium server has not been started")
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> AppiumServer:
        if self.process is not None:
            return self
        exe = appium_executable(self.root)
        node_executable()
        drop_stale_manifest(self.root)
        self.port = self.port or free_port()
        # short: Chromium's singleton socket goes 50 characters below it, and a socket's
        # path has at most 107
        self.temp = Path(tempfile.mkdtemp(prefix="vneid-appium-"))
        fd, log = tempfile.mkstemp(prefix="vneid-harness-appium-", suffix=".log")
        self.log_path = Path(log)
        # in the private folder (0700, made by mkdtemp): a name derived from the log's,
        # beside it in the shared /tmp, could have been planted by another user first
        filters = self.temp / "log-filters.json"
        filters.write_text(json.dumps(LOG_FILTERS), encoding="utf-8")
        try:
            with os.fdopen(fd, "wb") as out:
                self.process = subprocess.Popen(  # noqa: S603 -- our own executable, no shell
                    [
                        str(exe),
                        "--address",
                        HOST,
                        "--port",
                        str(self.port),
                        "--log-no-colors",
                        "--log-level",
                        "info",
                        "--log-filters",
                        str(filters),
                    ],
                    cwd=self.root,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={**os.environ, "TMPDIR": str(self.temp)},
                )
        except BaseException:
            self.stop(keep_log=True)
            raise
        atexit.register(self.stop)  # even if the session never reaches its end
        try:
            self._watch(self.process.pid, [self.temp])
            self._wait_ready()
        except BaseException:
            self.stop(keep_log=True)
            raise
        return self

    def _watch(self, pid: int, paths: list[Path]) -> None:
        """Start the watchdog (:mod:`harness.drivers.process_tree`) that stops the server,
        its chromedriver and Chromium if this process dies without stopping them (SIGKILL,
        where no ``atexit`` runs), then removes ``paths`` (the private ``TMPDIR``, which
        holds the log's filters): it reads the end of a pipe only this process writes. The log stays
        behind then, for whoever looks into the killed run."""
        read_end, write_end = os.pipe()
        try:
            self._watchdog = subprocess.Popen(  # noqa: S603 -- our own script, no shell
                [sys.executable, process_tree.__file__, str(pid), *map(str, paths)],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._watchdog_pipe = write_end

    def _unwatch(self) -> None:
        """Tell the watchdog the server is stopped, and let it end."""
        pipe, self._watchdog_pipe = self._watchdog_pipe, None
        watchdog, self._watchdog = self._watchdog, None
        if pipe is not None:
            with contextlib.suppress(OSError):
                os.write(pipe, STOPPED)
            os.close(pipe)
        if watchdog is not None:
            try:
                watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait(timeout=5)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        assert self.process is not None
        with httpx.Client(timeout=2.0) as http:
            while True:
                if self.process.poll() is not None:
                    raise ConfigError(
                        f"Appium exited with status {self.process.returncode} "
                        f"before it was ready:\n{self.log_tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    status = http.get(f"{self.url}/status").json()
                    if status.get("value", {}).get("ready"):
                        return
                if time.monotonic() > deadline:
                    raise ConfigError(
                        f"Appium was not ready on {self.url} within "
                        f"{self.startup_timeout} s:\n{self.log_tail()}"
                    )
                time.sleep(_POLL_SECONDS)  # polling interval of a bounded readiness wait

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, *, keep_log: bool = False) -> None:
        """Stop the server, its process group and every process it started."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        try:
            if process is not None:
                stop_tree(process.pid)
                process.wait(timeout=5)  # ended: reap it
        finally:
            self._unwatch()
            temp, self.temp = self.temp, None
            if temp is not None:  # once stopped: nothing writes there any more
                shutil.rmtree(temp, ignore_errors=True)
        # an empty log tells nobody anything
        if self.log_path is not None and (not keep_log or _empty(self.log_path)):
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def __enter__(self) -> AppiumServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
