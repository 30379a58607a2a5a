"""``vneid-harness serve``: both mock providers as real HTTP servers.

The VssID mock trusts the VNeID mock beside it; the VNeID mock has the ``vssid`` client
registered. Sockets are bound before the providers are built, so ``--vneid-port 0`` works
and the issuer URL names the port actually bound. Ctrl-C and SIGTERM stop both cleanly.

- They listen on loopback (``127.0.0.1``) unless ``host`` says otherwise; a host beyond
  loopback needs an admin token, or :func:`build_served` refuses to start (S-6).
- With a state file (``--state FILE``) personas, accounts and client registrations survive a
  restart (:mod:`mock_providers.state`).
- :class:`ServedInThread` serves a pair in a background thread (tests, tools); :func:`run_servers`
  in the foreground until a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from harness.broken_mocks import BrokenMocks
from harness.errors import ConfigError
from harness.personas import Persona, load_personas
from harness.protocol import DEFAULT_PROFILE, Profile, ProtocolError, SeededEntropy, SystemEntropy
from harness.protocol.hosts import is_loopback
from harness.protocol.redaction import redact_secret_shapes
from harness.targets import check_admin_token
from mock_providers.state import StateFileError, StateWriteError

__all__ = [
    "HOST",
    "ServedInThread",
    "ServedProviders",
    "ServedVNeID",
    "bind_loopback",
    "build_served",
    "check_admin_token",
    "check_capacity",
    "is_loopback",
    "run_servers",
]

HOST = "127.0.0.1"
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (recognised, not bound here)


_HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
    r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?"
)
"""A host name: RFC 1123 labels, and ``_`` as well (Docker Compose service names)."""


def check_public_host(value: str, option: str = "--public-host") -> str:
    """``--public-host`` as the issuer URL will carry it: a host name (RFC 1123, ``_`` too) or an IP
    address (IPv6 with or without brackets; returned without them). Anything else (a scheme,
    a port, a path) is a :class:`ConfigError` saying what to give. ``option``: the option that
    gave it (``--host``, which the URLs carry when there is no ``--public-host``)."""
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    if _HOST_NAME.fullmatch(value):
        return value
    shown = repr(redact_secret_shapes(f"//{value}")[2:])  # user:password@host: S-5
    raise ConfigError(
        f"{option} {shown}: give a host name or an IP address only, "
        "without scheme, port or path (e.g. "
        f"{'127.0.0.1 or 0.0.0.0' if option == '--host' else 'idp.example.test'}); the ports "
        "are --vneid-port and --vssid-port"
    )


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_loopback(
    port: int,
    host: str = HOST,
    *,
    option: str | None = None,
    who: str = "",
    busy: str | None = None,
) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 picks a free port); IPv6 when ``host`` is.

    ``option``: the command-line option that gave ``port``, and ``who``: what listens there
    (``"the harness VNeID"``). A port that is taken or out of range names them: ``cannot
    listen on 127.0.0.1:8801`` alone left the user to guess which of a command's options to
    change. ``busy``: the advice for a port that is taken (default: another one, or stop
    what holds it)."""
    given = f" for {option}" if option else ""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port}{given} is outside 0-65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says TCP; with proto 0 every response waits ~40 ms for a
    # delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        subject = f"{who} cannot listen" if who else "cannot listen"
        if isinstance(exc, socket.gaierror):
            advice = (
                f"the host {host!r} cannot be resolved; give --host an address of this "
                "machine (127.0.0.1, 0.0.0.0, ::1) or a name that resolves to one"
            )
        elif exc.errno in (errno.EADDRINUSE, errno.EACCES):
            advice = busy or (
                f"give another {option} or stop what holds it"
                if option
                else "pick another port or stop what holds it"
            )
            raise ConfigError(
                f"{subject} on {host}:{port}{given} ({exc.strerror}): {advice}"
            ) from None
        else:
            advice = (
                f"{host} is not an address of this machine; give --host one of its "
                "addresses (127.0.0.1, 0.0.0.0, ::1)"
            )
        # the host is wrong, not the port: no port option to change
        raise ConfigError(f"{subject} on {host}:{port} ({exc.strerror}); {advice}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


@dataclass
class ServedProviders:
    vneid: Any
    vssid: Any
    vneid_url: str
    vssid_url: str
    sockets: tuple[socket.socket, socket.socket]
    state: Any = None
    """The :class:`~mock_providers.state.StateFile` both providers write, if any."""
    replaced: tuple[str, ...] = ()
    """The personal ids whose record in the state file the persona file replaced with a
    different one (a passcode, level, status or account changed through the control API)."""
    backup: Path | None = None
    """Where the state file was copied before the persona file replaced records in it
    (``FILE.bak``), to get them back from."""
    lost: str | None = None
    """Set by :func:`run_servers` at the stop: the changes the state file could not keep."""


def seed_personas(
    vneid: Any, vssid: Any, personas: Sequence[Persona], *, source: Path | None = None
) -> list[str]:
    """Load personas into the VNeID mock and their VssID accounts into the VssID mock; returns
    the personal ids whose record already there (from a state file) was different.

    A persona the providers refuse (one account per person, P-1, against an account already
    there, e.g. from the state file) is a :class:`ConfigError` naming ``source`` (the persona
    file) and the entry; the caller discards the providers, so nothing was changed.
    """
    from harness.protocol import ProtocolError
    from mock_providers.vneid import PersonaRecord
    from mock_providers.vssid import AccountRecord

    replaced: list[str] = []
    for index, persona in enumerate(personas):
        where = f"{source or 'personas'}: personas[{index}]"
        account = persona.to_vssid_account_json()
        if account is not None:
            _check_account_against_stored(
                vssid.account_store, persona.personal_id, account["bhxh_code"], where
            )
        try:
            record = PersonaRecord.from_json(persona.to_vneid_json())
            stored = vneid.persona(persona.personal_id)
            account_record = AccountRecord.from_json(account) if account is not None else None
            stored_account = vssid.account_store.find_by_personal_id(persona.personal_id)
            if (stored is not None and stored != record) or (
                account_record is not None
                and stored_account is not None
                and stored_account != account_record
            ):
                replaced.append(persona.personal_id)
            vneid.add_persona(record)
            if account_record is not None:
                vssid.add_account(account_record)
        except ProtocolError as exc:
            raise ConfigError(
                f"{where} (personal_id {persona.personal_id}): {exc.description}"
            ) from None
    return replaced


def _check_account_against_stored(store: Any, personal_id: str, bhxh_code: str, where: str) -> None:
    """P-1, one account per person, against the accounts already stored (the state file):
    the person may not have another account, and the account may not be another person's
    (loading it would replace that person's account without a word)."""
    linked = store.find_by_personal_id(personal_id)
    if linked is not None and linked.bhxh_code != bhxh_code:
        raise ConfigError(
            f"{where}.vssid_account.bhxh_code: {bhxh_code}, but personal_id {personal_id} "
            f"already has the VssID account {linked.bhxh_code} in the state file (one "
            f"account per person, P-1); give this entry bhxh_code {linked.bhxh_code}, or "
            "remove the entry"
        )
    owned = store.get(bhxh_code)
    if owned is not None and owned.personal_id != personal_id:
        raise ConfigError(
            f"{where}.vssid_account.bhxh_code: {bhxh_code} is already the VssID account of "
            f"personal_id {owned.personal_id} in the state file (one account per person, "
            "P-1); give this entry a bhxh_code of its own, or remove the entry"
        )


def check_capacity(
    personas: Sequence[Persona],
    source: Path | None,
    *,
    stored_personas: Iterable[str] = (),
    stored_accounts: Iterable[str] = (),
) -> None:
    """What one serve holds: at most ``MAX_PERSONAS`` personas and ``MAX_ACCOUNTS`` VssID
    accounts, counting those the state file already stores; more is a :class:`ConfigError`
    that says to trim or split the persona file ``source`` (checked before anything loads)."""
    from mock_providers.vneid.provider import MAX_PERSONAS
    from mock_providers.vssid.accounts import MAX_ACCOUNTS

    for what, limit, stored, new in (
        ("personas", MAX_PERSONAS, set(stored_personas), {p.personal_id for p in personas}),
        (
            "VssID accounts",
            MAX_ACCOUNTS,
            set(stored_accounts),
            {p.bhxh_code for p in personas if p.bhxh_code is not None},
        ),
    ):
        total = len(stored | new)
        if total <= limit:
            continue
        if stored:
            raise ConfigError(
                f"{source}: its {len(new)} {what} and those of the state file make {total}, "
                f"more than the {limit} one serve holds; trim the persona file, or split it "
                "and serve each part with a state file of its own"
            )
        raise ConfigError(
            f"{source}: {total} {what}, more than the {limit} one serve holds; trim the file, "
            f"or split it into files of at most {limit} and serve each apart"
        )


def check_exposure(host: str, admin_token: str | None) -> None:
    """S-6: serving beyond loopback needs an admin token; refuse to start without one."""
    if not is_loopback(host) and not admin_token:
        shown = host or "all addresses"
        raise ConfigError(
            f"--host {shown} serves the providers beyond loopback, and their test-control API "
            "(/_harness/, which rewrites personas, clients and clocks) with them; give an "
            "admin token with --admin-token or VNEID_HARNESS_ADMIN_TOKEN (S-6), or serve on "
            "127.0.0.1"
        )


def _open_state(state_file: Path | None) -> Any:
    if state_file is None:
        return None
    from mock_providers.state import StateFile, StateFileError

    directory = state_file.parent
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        raise ConfigError(
            f"--state {state_file}: the directory {directory} {problem}; create "
            "it, or give a path in an existing directory"
        )
    try:
        return StateFile(state_file, exclusive=True)  # one serve per state file
    except StateFileError as exc:
        raise ConfigError(str(exc)) from None


def build_served(
    vneid_port: int,
    vssid_port: int,
    *,
    personas_file: Path | None = None,
    admin_token: str | None = None,
    profile: Profile = DEFAULT_PROFILE,
    host: str = HOST,
    public_host: str | None = None,
    state_file: Path | None = None,
    broken: BrokenMocks | None = None,
) -> ServedProviders:
    """Bind both ports, then build the providers with the URLs actually bound.

    ``public_host`` is the host name in the issuer and base URLs (default: ``host``, or
    ``127.0.0.1`` when ``host`` is a wildcard). With ``state_file`` the providers restore what
    it holds, then the personas file is loaded over it, and the file is written once at start
    (so an unwritable path fails now, not at the first change). ``broken`` serves
    deliberately broken mocks (``serve --broken-vneid``/``--broken-rp``), for a plan to be
    seen catching them over HTTP.
    """
    check_admin_token(admin_token)
    if host:  # "１２７.０.０.１" bound 127.0.0.1 (IDNA) and was refused as no loopback, or, with a
        host = check_public_host(host, "--host")  # token, as an issuer "not printable ASCII"
    check_exposure(host, admin_token)
    if vneid_port == vssid_port != 0:
        raise ConfigError(
            f"--vneid-port and --vssid-port are both {vneid_port}; each provider "
            "needs a port of its own (0 picks a free one)"
        )
    if public_host is not None:
        public_host = check_public_host(public_host)
    personas = load_personas(personas_file) if personas_file is not None else []
    with contextlib.ExitStack() as on_failure:  # what is open is closed if a step fails
        state = _open_state(state_file)
        if state is not None:
            on_failure.callback(state.close)
        vneid_sock = bind_loopback(vneid_port, host, option="--vneid-port")
        on_failure.callback(vneid_sock.close)
        vssid_sock = bind_loopback(vssid_port, host, option="--vssid-port")
        on_failure.callback(vssid_sock.close)
        sockets = (vneid_sock, vssid_sock)
        shown = public_host or (HOST if host in _WILDCARDS else host)
        vneid_url, vssid_url = (_url(shown, sock.getsockname()[1]) for sock in sockets)
        try:
            vneid, vssid = _providers(vneid_url, vssid_url, profile, admin_token, state, broken)
            check_capacity(
                personas,
                personas_file,
                stored_personas=[p.personal_id for p in vneid.personas()],
                stored_accounts=[a.bhxh_code for a in vssid.accounts()],
            )
            replaced, backup = _seed(vneid, vssid, personas, personas_file, state, state_file)
        except (StateFileError, ProtocolError, ValueError) as exc:
            raise ConfigError(str(exc)) from None
        on_failure.pop_all()  # served: the caller closes them
    return ServedProviders(
        vneid, vssid, vneid_url, vssid_url, sockets, state, tuple(replaced), backup
    )


def _providers(
    vneid_url: str,
    vssid_url: str,
    profile: Profile,
    admin_token: str | None,
    state: Any,
    broken: BrokenMocks | None,
) -> tuple[Any, Any]:
    """The VNeID mock with ``vneid_url`` as its issuer, and the VssID mock at ``vssid_url``
    trusting it (reached over HTTP), both keeping their records in ``state`` if given."""
    from mock_providers.vneid import VNeIDProvider, VNeIDSettings
    from mock_providers.vssid import VssIDProvider, VssIDSettings

    entropy = SystemEntropy()
    vneid = VNeIDProvider(
        VNeIDSettings(
            issuer=vneid_url,
            profile=profile,
            admin_token=admin_token,
            **(broken.vneid_settings() if broken else {}),
        ),
        entropy=entropy,
        state=state,
    )
    vssid = VssIDProvider(
        VssIDSettings(
            profile=profile,
            issuer=vneid_url,
            base_url=vssid_url,
            admin_token=admin_token,
            skip_checks=broken.rp if broken else frozenset(),
        ),
        entropy=entropy,
        issuer_transport=None,
        state=state,
    )
    return vneid, vssid


def _seed(
    vneid: Any,
    vssid: Any,
    personas: Sequence[Persona],
    personas_file: Path | None,
    state: Any,
    state_file: Path | None,
) -> tuple[list[str], Path | None]:
    """Load the personas into both providers; with a state file, write it once (and not at
    all when seeding fails), after backing it up if the personas replaced records in it.
    The replaced citizens' ids and the backup's path."""
    if state is None:
        seed_personas(vneid, vssid, personas, source=personas_file)
        return [], None
    backup = None
    try:
        with state.deferred():
            replaced = seed_personas(vneid, vssid, personas, source=personas_file)
            if replaced:  # the write drops what the control API changed there
                backup = state.back_up()
        state.save()
    except StateWriteError as exc:  # its own words are for a change at run time
        raise ConfigError(
            f"cannot write the state file {state_file} ({exc.reason}); serve did not "
            "start and left the file as it was: make it writable, free space on its "
            "disk (a write needs room for a second copy), or give another --state "
            "file"
        ) from None
    return replaced, backup


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _servers(apps: Sequence[Any], log_level: str, http: str = "h11") -> list[_Server]:
    from mock_providers._served import uvicorn_config

    return [_Server(uvicorn_config(app, log_level=log_level, http=http)) for app in apps]


async def _serve_all(
    servers: Sequence[_Server],
    sockets: Sequence[socket.socket],
    on_ready: Callable[[], None] | None,
    *,
    signals: bool,
) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            # a second signal ends the wait for running requests at once
            server.force_exit = server.should_exit
            server.should_exit = True

    if signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop)
    tasks = [
        asyncio.create_task(server.serve(sockets=[sock]))
        for server, sock in zip(servers, sockets, strict=True)
    ]
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


def run_servers(
    served: ServedProviders,
    *,
    on_ready: Callable[[], None] | None = None,
    log_level: str = "warning",
    http: str = "h11",
) -> None:
    """Serve both providers until SIGINT or SIGTERM; then close the sockets. ``http``: the
    stack (:data:`mock_providers._served.HTTP_STACKS`)."""
    from mock_providers._served import run_loop

    try:
        servers = _servers((served.vneid.app, served.vssid.app), log_level, http)
        run_loop(_serve_all(servers, served.sockets, on_ready, signals=True), http)
    finally:
        for sock in served.sockets:
            sock.close()
        if served.state is not None:
            served.lost = lost = served.state.write_pending()
            if lost is not None:
                print(f"warning: {lost}", file=sys.stderr)
            served.state.close()


class ServedInThread:
    """A :class:`ServedProviders` pair served in a background thread (a context manager): it
    waits until both listen, and on exit stops them and closes their sockets, also when the
    body failed."""

    def __init__(
        self,
        served: ServedProviders,
        *,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
        http: str = "h11",
    ) -> None:
        self.served = served
        self._http = http
        self._servers = _servers((served.vneid.app, served.vssid.app), log_level, http)
        self._timeout = startup_timeout
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="served-providers", daemon=True)

    def _main(self) -> None:
        from mock_providers._served import run_loop

        try:
            run_loop(
                _serve_all(self._servers, self.served.sockets, self._ready.set, signals=False),
                self._http,
            )
        finally:
            self._ready.set()

    def __enter__(self) -> ServedProviders:
        self._thread.start()
        self._ready.wait(self._timeout)
        if not all(server.started for server in self._servers):
            self.__exit__()
            raise ConfigError(
                f"the providers did not start on {self.served.vneid_url} and "
                f"{self.served.vssid_url} within {self._timeout} s"
            )
        return self.served

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        for sock in self.served.sockets:
            sock.close()
        if self.served.state is not None:
            self.served.state.close()


class ServedVNeID:
    """The harness VNeID served on loopback in a background thread (a context manager), for
    a relying party under test that must reach it over HTTP."""

    def __init__(
        self,
        port: int,
        *,
        admin_token: str | None = None,
        profile: Profile = DEFAULT_PROFILE,
        startup_timeout: float = 10.0,
        client_secret: str | None = None,
        auth_method: str = "client_secret_basic",
        seed: int | str | None = None,
    ) -> None:
        """``client_secret`` and ``auth_method``: how the relying party under test
        authenticates as the profile's ``vssid`` client (default: §11's). ``seed``: the
        run's; its signing key, pairwise ``sub`` values, codes and tokens are drawn from it
        (the same command draws the same ones), at random without it."""
        from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
        from mock_providers.vneid import VNeIDProvider, VNeIDSettings
        from mock_providers.vneid.settings import secret_auth_method

        check_admin_token(admin_token)
        if client_secret is not None and not client_secret:
            raise ConfigError(
                "--rp-client-secret is empty; give the client secret the "
                "relying party under test uses, or leave the option out"
            )
        try:
            method = secret_auth_method(auth_method)
        except ValueError as exc:
            raise ConfigError(f"--rp-auth-method {exc}") from None
        self._sock = bind_loopback(
            port,
            option="--serve-vneid-port",
            who="the harness VNeID",
            # the relying party looks for its issuer at one port: another one fails the run
            busy="give another --serve-vneid-port, one your relying party's issuer names, "
            "or stop what holds it",
        )
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        try:
            self.provider = VNeIDProvider(
                VNeIDSettings(
                    issuer=self.url,
                    profile=profile,
                    admin_token=admin_token,
                    vssid_client_secret=client_secret or DEFAULT_VSSID_CLIENT_SECRET,
                    vssid_auth_method=method,
                ),
                entropy=SystemEntropy() if seed is None else SeededEntropy(f"{seed}/served-vneid"),
            )
        except ProtocolError as exc:  # the vssid client's record refused the secret
            self._sock.close()
            if client_secret is None:
                raise
            raise ConfigError(  # a traceback and exit 1, a failed verdict's status, before
                f"--rp-client-secret (or VNEID_HARNESS_RP_CLIENT_SECRET): {exc}; give the "
                "secret the relying party under test uses, as it sends it (a secret read "
                "from a file may end in a newline)"
            ) from None
        self._server = _servers((self.provider.app,), "warning")[0]
        self._timeout = startup_timeout
        self._thread: threading.Thread | None = None
        self.client_id = profile.vssid_client_id
        self.auth_method: str = method
        self.secret_given = client_secret is not None
        self.refusals: list[str] = []
        """Why the token endpoint refused the relying party under test's own client
        authentication (``invalid_client`` for the ``vssid`` client), oldest first: a
        relying party set up with another method or secret than the run was told fails most
        of the plan, each test for the same reason (:meth:`refusal_hint`)."""
        self.provider.client_auth.on_refusal = self._refused
        self.unknown_clients: dict[str | None, int] = {}
        """The ``client_id`` values of authorization requests refused as not registered
        (S-3; ``None``: none given), with how many times: a relying party set up with
        another client id than the run's profile fails at ``/authorize``, before any token
        request (:meth:`refusal_hint`)."""
        self.provider.on_unknown_client = self._unknown_client

    def _refused(self, claimed: str | None, refusal: Any) -> None:
        """The provider's ``on_refusal``: an ``invalid_client`` refusal of the relying
        party under test's own client is kept (the first hundred)."""
        if claimed == self.client_id and len(self.refusals) < 100:
            self.refusals.append(str(refusal.description))

    def _unknown_client(self, claimed: str | None) -> None:
        """The provider's ``on_unknown_client``: counted (the first hundred ids, each cut
        to 80 characters as the provider's own refusal does: it comes from the relying
        party, and the hint prints it)."""
        if claimed is not None:
            claimed = claimed[:80]
        if claimed in self.unknown_clients or len(self.unknown_clients) < 100:
            self.unknown_clients[claimed] = self.unknown_clients.get(claimed, 0) + 1

    def refusal_hint(self) -> str | None:
        """What to do when the relying party's authorization requests named a client the
        harness VNeID does not know, or its own token requests were refused as
        ``invalid_client`` (``None``: neither happened)."""
        hints = [hint for hint in (self._unknown_client_hint(), self._token_hint()) if hint]
        return "; and ".join(hints) if hints else None

    def _unknown_client_hint(self) -> str | None:
        # a copy: the server's thread may still count a late request while this reads
        unknown = dict(self.unknown_clients)
        if not unknown:
            return None
        claimed = max(unknown, key=lambda c: unknown[c])
        times = sum(unknown.values())
        named = ", ".join(repr(c) if c is not None else "none" for c in unknown)
        if claimed is None:
            fix = (
                "send the client_id in every authorization request of your relying "
                f"party ({self.client_id!r}, or yours with a profile file: "
                "--protocol-profile FILE with vssid_client_id)"
            )
        else:
            fix = (
                f"give the run a protocol profile naming your relying party's client: "
                f"--protocol-profile FILE with vssid_client_id: {claimed} (and its "
                "callbacks, vssid_scheme, vssid_link_host and callback_path, where they "
                'differ; docs/conformance.md "Profile files")'
            )
        return (
            f"the harness VNeID refused the relying party's authorization requests "
            f"{times} time(s) as invalid_client (S-3): they named the client_id(s) "
            f"{named}, and it registers only {self.client_id!r} (the protocol profile's "
            f"vssid_client_id), so no login reached /token: {fix}, and run again (the "
            "failures above may all be this)"
        )

    def _token_hint(self) -> str | None:
        from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET

        if not self.refusals:
            return None
        secret = (
            "the secret given (--rp-client-secret or $VNEID_HARNESS_RP_CLIENT_SECRET)"
            if self.secret_given
            else f"the default secret {DEFAULT_VSSID_CLIENT_SECRET}"
        )
        auth_method = self.auth_method
        return (
            f"the harness VNeID refused the relying party's client authentication at "
            f"/token {len(self.refusals)}{'+' if len(self.refusals) == 100 else ''} "
            f"time(s) as invalid_client (T-1), first: {self.refusals[0]}; it was told "
            f"to expect the {self.client_id} client with {auth_method} and {secret}: "
            "give the method and secret your relying party uses with --rp-auth-method "
            "and --rp-client-secret, and run again (the failures above may all be this)"
        )

    def __enter__(self) -> ServedVNeID:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[self._sock])),
            name="served-vneid",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.__exit__()
                raise ConfigError(
                    f"the harness VNeID did not start on {self.url} within {self._timeout} s"
                )
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()
