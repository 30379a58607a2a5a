"""Serving the two mock providers for the robustness tests: in a thread of this process
(:func:`pair_in_thread`) or as ``vneid-harness serve`` in a process of its own
(:class:`ServeProcess`, for load and restarts). Both stop what they started, also on failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.processes import stop_process
from harness.serve import ServedInThread, ServedProviders, build_served

BIN = Path(sys.executable).parent / "vneid-harness"
URL_RE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
VNEID_APP = {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "android"}
VSSID_APP = {"X-VssID-App-Version": "1.6.7", "X-Device-Platform": "android"}


@contextmanager
def pair_in_thread(**options: Any) -> Iterator[ServedProviders]:
    """Both providers on free loopback ports, served from a background thread."""
    with ServedInThread(build_served(0, 0, **options)) as served:
        yield served


class ServeProcess:
    """``vneid-harness serve --vneid-port 0 --vssid-port 0 ARGS`` (a context manager)."""

    def __init__(self, *args: str, timeout: float = 30.0) -> None:
        self.args = args
        self.timeout = timeout
        self.output = ""
        self.vneid = self.vssid = ""
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServeProcess:
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--vneid-port", "0", "--vssid-port", "0", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert self.proc.stdout is not None
        urls: list[str] = []
        deadline = time.monotonic() + self.timeout
        while len(urls) < 2 and time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output += line
            urls += URL_RE.findall(line)
        if len(urls) < 2:
            self.stop()
            raise AssertionError(f"serve did not start: {self.output}")
        self.vneid, self.vssid = urls[0], urls[1]
        return self

    def stop(self) -> int:
        """SIGTERM, then wait (SIGKILL after 15 s); returns the exit status."""
        assert self.proc is not None
        stop_process(self.proc, timeout=15)
        if self.proc.stdout is not None:  # read() also returns what readline() buffered
            self.output += self.proc.stdout.read()
            self.proc.stdout.close()
        return self.proc.returncode

    def __exit__(self, *exc: object) -> None:
        self.stop()
