"""Child processes the harness starts (servers, load workers): a free loopback port, and a
stop that cannot hang. A process is stopped by the id we hold: SIGTERM, then SIGKILL if it
lingers past ``timeout``."""

from __future__ import annotations

import signal
import socket
import subprocess
from typing import Any

__all__ = ["free_port", "stop_process"]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def stop_process(process: subprocess.Popen[Any], timeout: float = 10) -> int:
    """SIGTERM ``process`` (if still running), wait ``timeout`` seconds, then SIGKILL and wait
    again; its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
    return process.returncode
