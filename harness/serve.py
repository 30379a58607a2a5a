"""``vneid-harness serve``: both mock providers as real HTTP servers on loopback.

The VssID mock trusts the VNeID mock beside it; the VNeID mock has the ``vssid`` client
registered. Sockets are bound before the providers are built, so ``--vneid-port 0`` works
and the issuer URL names the port actually bound. Ctrl-C and SIGTERM stop both cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from harness.errors import ConfigError
from harness.personas import Persona, load_personas
from harness.protocol import DEFAULT_PROFILE, Profile, SystemEntropy

__all__ = ["ServedProviders", "ServedVNeID", "bind_loopback", "build_served", "run_servers"]

HOST = "127.0.0.1"


def bind_loopback(port: int, host: str = HOST) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 picks a free port)."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is outside 0-65535")
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says TCP; with proto 0 every response waits ~40 ms for a
    # delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another port or stop what "
            "holds it"
        ) from None
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


@dataclass
class ServedProviders:
    vneid: Any
    vssid: Any
    vneid_url: str
    vssid_url: str
    sockets: tuple[socket.socket, socket.socket]


def seed_personas(vneid: Any, vssid: Any, personas: Sequence[Persona]) -> None:
    """Load personas into the VNeID mock and their VssID accounts into the VssID mock."""
    from mock_providers.vneid import PersonaRecord
    from mock_providers.vssid import AccountRecord

    for persona in personas:
        vneid.add_persona(PersonaRecord.from_json(persona.to_vneid_json()))
        account = persona.to_vssid_account_json()
        if account is not None:
            vssid.add_account(AccountRecord.from_json(account))


def build_served(vneid_port: int, vssid_port: int, *, personas_file: Path | None = None,
                 admin_token: str | None = None,
                 profile: Profile = DEFAULT_PROFILE) -> ServedProviders:
    """Bind both ports, then build the providers with the URLs actually bound."""
    from mock_providers.vneid import VNeIDProvider, VNeIDSettings
    from mock_providers.vssid import VssIDProvider, VssIDSettings

    personas = load_personas(personas_file) if personas_file is not None else []
    vneid_sock = bind_loopback(vneid_port)
    try:
        vssid_sock = bind_loopback(vssid_port)
    except ConfigError:
        vneid_sock.close()
        raise
    vneid_url = f"http://{HOST}:{vneid_sock.getsockname()[1]}"
    vssid_url = f"http://{HOST}:{vssid_sock.getsockname()[1]}"
    entropy = SystemEntropy()
    vneid = VNeIDProvider(
        VNeIDSettings(issuer=vneid_url, profile=profile, admin_token=admin_token),
        entropy=entropy,
    )
    vssid = VssIDProvider(
        VssIDSettings(issuer=vneid_url, base_url=vssid_url, profile=profile,
                      admin_token=admin_token),
        entropy=entropy, issuer_transport=None,
    )
    seed_personas(vneid, vssid, personas)
    return ServedProviders(vneid, vssid, vneid_url, vssid_url, (vneid_sock, vssid_sock))


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :func:`run_servers`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_all(served: ServedProviders, on_ready: Callable[[], None] | None,
                     log_level: str) -> None:
    servers = [
        _Server(uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False))
        for app in (served.vneid.app, served.vssid.app)
    ]
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    tasks = [asyncio.create_task(server.serve(sockets=[sock]))
             for server, sock in zip(servers, served.sockets, strict=True)]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            break
        await asyncio.sleep(0.01)
    if on_ready is not None and all(server.started for server in servers):
        on_ready()
    try:
        await asyncio.gather(*tasks)
    finally:
        stop()


def run_servers(served: ServedProviders, *, on_ready: Callable[[], None] | None = None,
                log_level: str = "warning") -> None:
    """Serve both providers until SIGINT or SIGTERM; then close the sockets."""
    try:
        asyncio.run(_serve_all(served, on_ready, log_level))
    finally:
        for sock in served.sockets:
            sock.close()


class ServedVNeID:
    """The harness VNeID served on loopback in a background thread (a context manager), for
    a relying party under test that must reach it over HTTP."""

    def __init__(self, port: int, *, admin_token: str | None = None,
                 profile: Profile = DEFAULT_PROFILE, startup_timeout: float = 10.0) -> None:
        from mock_providers.vneid import VNeIDProvider, VNeIDSettings

        self._sock = bind_loopback(port)
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        self.provider = VNeIDProvider(
            VNeIDSettings(issuer=self.url, profile=profile, admin_token=admin_token),
            entropy=SystemEntropy())
        self._server = _Server(uvicorn.Config(self.provider.app, log_level="warning",
                                              lifespan="off", access_log=False))
        self._timeout = startup_timeout
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ServedVNeID:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])),
            name="served-vneid", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.__exit__()
                raise ConfigError(f"the harness VNeID did not start on {self.url} within "
                                  f"{self._timeout} s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()
