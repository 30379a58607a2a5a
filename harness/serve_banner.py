"""What ``vneid-harness serve`` prints once both providers listen: where each one is, what it
trusts, and every warning a user must not miss (a deliberately broken mock, a public host
that does not resolve here, state-file records a persona file replaced).

Plain text, apart from any console: :func:`ready_banner` builds the lines and the CLI prints
them (a warning's ``warning:`` in colour on a terminal), so the wording is tested without
starting a server.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from harness.broken_mocks import BrokenMocks
from harness.protocol import Profile
from harness.serve import ServedProviders

__all__ = ["BannerLine", "listening", "ready_banner", "unresolved"]

_SHOWN_REPLACED = 10
"""How many replaced citizens the warning names before it says "and N more"."""


@dataclass(frozen=True, slots=True)
class BannerLine:
    text: str
    warning: bool = False
    """Printed after ``warning:``: something a user must act on or know before testing."""


def listening(url: str, sock: socket.socket) -> str:
    """Where a provider listens: its URL, or with ``--public-host`` the address bound and the
    URL its clients use (which only names the host)."""
    bound_host, bound_port = sock.getsockname()[:2]
    if ":" in bound_host:  # IPv6, as a URL writes it
        bound_host = f"[{bound_host}]"
    bound = f"http://{bound_host}:{bound_port}"
    return url if url == bound else f"{bound_host}:{bound_port} as {url}"


def unresolved(host: str, timeout: float = 3.0) -> str | None:
    """Why ``host`` does not resolve here (``None``: it does; a lookup still running after
    ``timeout`` seconds counts as resolving, to say nothing rather than something wrong)."""
    found: list[str | None] = []

    def look() -> None:
        try:
            socket.getaddrinfo(host, None)
            found.append(None)
        except OSError as exc:
            found.append(str(exc.strerror or exc))

    worker = threading.Thread(target=look, daemon=True)
    worker.start()
    worker.join(timeout)
    return found[0] if found else None


def ready_banner(
    served: ServedProviders,
    *,
    profile: Profile,
    broken: BrokenMocks,
    profile_file: Path | None = None,
    personas_file: Path | None = None,
    state_file: Path | None = None,
    public_host: str | None = None,
    public_host_problem: str | None = None,
) -> list[BannerLine]:
    """The lines ``serve`` prints when both providers listen, in order; the last says how to
    stop. ``public_host_problem``: why ``public_host`` does not resolve here
    (:func:`unresolved`, looked up before serving: a lookup may take seconds)."""
    vneid_at = listening(served.vneid_url, served.sockets[0])
    vssid_at = listening(served.vssid_url, served.sockets[1])
    lines = [
        BannerLine(
            f"VNeID identity provider listening on {vneid_at}  (issuer; discovery at "
            f"{served.vneid_url}/.well-known/openid-configuration)"
        ),
        BannerLine(
            f"VssID backend listening on {vssid_at}  "
            f"(trusts {served.vneid_url}; client_id {profile.vssid_client_id})"
        ),
    ]
    for role, how in (("VNeID", broken.describe_vneid()), ("VssID", broken.describe_rp())):
        if how:  # never to be taken for a correct one
            lines.append(BannerLine(f"the {role} mock is {how}", warning=True))
    for what, path in (
        ("protocol profile", profile_file),
        ("personas loaded from", personas_file),
        ("state kept in", state_file),
    ):
        if path is not None:
            lines.append(BannerLine(f"{what} {path}"))
    if public_host_problem is not None:
        lines.append(
            BannerLine(
                f"{public_host or ''} does not resolve on this machine ({public_host_problem}): "
                "the VssID mock reaches the VNeID mock at its issuer URL, so logins through "
                "the VssID mock fail with provider_unavailable; give a --public-host that "
                "resolves here too (or add it to /etc/hosts)",
                warning=True,
            )
        )
    if served.replaced:
        lines.append(_replaced_warning(served))
    lines.append(BannerLine(f"API docs at {served.vneid_url}/docs and {served.vssid_url}/docs"))
    lines.append(BannerLine("Press Ctrl-C to stop."))
    return lines


def _replaced_warning(served: ServedProviders) -> BannerLine:
    """The persona file replaced records the state file held (changed through the control
    API): which, and how to get them back."""
    count = len(served.replaced)
    shown = ", ".join(served.replaced[:_SHOWN_REPLACED])
    more = f" and {count - _SHOWN_REPLACED} more" if count > _SHOWN_REPLACED else ""
    kept = (
        f"the state file as it was is in {served.backup}: to serve its records instead, "
        "stop, move that copy over the state file and start with --state alone"
        if served.backup is not None
        else "start with --state alone to keep the state file's records"
    )
    return BannerLine(
        f"the persona file replaced {count} citizen(s) the state file held otherwise: "
        f"{shown}{more}. The persona file's records are served; {kept}",
        warning=True,
    )
