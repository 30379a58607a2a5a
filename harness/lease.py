"""A run's hold on served providers: their leases (``/_harness/lease``,
:mod:`mock_providers._lease`), taken before the first test, renewed while the run goes and
released at its end.

Runs sharing a provider fail each other's tests (each test sets the clocks back, clears the
faults and empties the request logs, and faults are armed for the one ``vssid`` client), under
clauses the cause has nothing to do with. So a run against served providers takes the lease
of each first; a second run, conformance plan or load test is refused before its first test
(:class:`LeaseRefused`, naming the holder) instead of failing, and is told when the providers
were left by a run that never released them (killed: what it changed may still be there).

A provider without a lease (a vendor's, an older harness: 404, 405 or 501) is used without
one. A renewal runs in a thread of its own with its own HTTP clients, every
:data:`RENEW_EVERY` seconds of a :data:`LEASE_SECONDS` lease, so a test of any length keeps
it, and a killed run's lease runs out within a minute.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.errors import HarnessError
from harness.protocol import paths

__all__ = [
    "LEASE_SECONDS",
    "RELEASE_TIMEOUT",
    "RENEW_EVERY",
    "LeaseRefused",
    "LeaseTarget",
    "TargetLeases",
    "holder_text",
    "in_use_message",
]

LEASE_SECONDS = 60.0
RENEW_EVERY = 20.0
RELEASE_TIMEOUT = 2.0
"""Seconds a release waits for each provider: one that does not answer by then lets the
lease run out by itself, and the run's end is not held up."""
_NO_LEASE = frozenset({404, 405, 501})
"""A provider answering these to ``POST /_harness/lease`` offers none."""


class LeaseRefused(HarnessError):
    """Another user holds a provider of the run (409 ``in_use``)."""


def holder_text(command: str) -> str:
    """Who takes a lease, as another user is shown it: the command, this process and host,
    and when (UTC)."""
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{command} (pid {os.getpid()} on {socket.gethostname()}, since {started})"[:200]


@dataclass(frozen=True)
class LeaseTarget:
    """A provider to take the lease of: its name as the user knows it, its base URL, how it
    is shown (password-free), and the admin token its control API wants."""

    name: str
    base_url: str
    shown_url: str
    admin_token: str | None = None


@dataclass
class _Held:
    target: LeaseTarget
    client: httpx.Client
    lease_id: str


@dataclass
class TargetLeases:
    """The leases of one run's providers. :meth:`acquire` before the first test,
    :meth:`release` at the end; :attr:`lost` says what the renewals could not keep."""

    targets: Sequence[LeaseTarget]
    holder: str
    seconds: float = LEASE_SECONDS
    renew_every: float | None = RENEW_EVERY
    """Seconds between renewals in a background thread; ``None``: none (call :meth:`renew`)."""
    verify: bool = True
    """Whether an https target's certificate is checked (the load profile's users do not)."""
    client_factory: Callable[[LeaseTarget], httpx.Client] | None = None
    """The HTTP client for a target's lease calls (tests give an in-process transport)."""
    lost: list[str] = field(default_factory=list)
    _held: list[_Held] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _renewing: threading.Thread | None = None

    def _client(self, target: LeaseTarget) -> httpx.Client:
        if self.client_factory is not None:
            return self.client_factory(target)
        headers = {"X-Harness-Admin-Token": target.admin_token} if target.admin_token else {}
        return httpx.Client(
            base_url=target.base_url, headers=headers, timeout=5.0, verify=self.verify
        )

    def acquire(self) -> list[str]:
        """Take every target's lease; the warnings to show (a provider left by a run that
        never released it). :class:`LeaseRefused` when another holds one (the leases taken
        are released first); a provider that offers no lease, or cannot be asked, is used
        without one."""
        warnings: list[str] = []
        for target in self.targets:
            client = self._client(target)
            try:
                status, body = self._post(client, {"holder": self.holder, "seconds": self.seconds})
            except httpx.HTTPError:  # the health checks and the tests say what is wrong
                status, body = None, None
            granted = body if status == 200 and isinstance(body, dict) else {}
            lease_id = granted.get("lease_id")
            if not isinstance(lease_id, str):  # no lease offered (404, 405, 501), or refused
                client.close()
                if status == 409:
                    self.release()
                    raise LeaseRefused(_refusal(target, body))
                continue
            self._held.append(_Held(target, client, lease_id))
            warning = _left_unreleased(target, granted.get("previous"))
            if warning:
                warnings.append(warning)
        if self._held and self._renewing is None and self.renew_every is not None:
            self._renewing = threading.Thread(
                target=self._renew_loop, name="vneid-harness-lease", daemon=True
            )
            self._renewing.start()
        return warnings

    @staticmethod
    def _post(client: httpx.Client, body: dict[str, Any]) -> tuple[int, Any]:
        response = client.post(paths.LEASE, json=body)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            self.renew()

    def renew(self) -> None:
        """Renew every lease held (the background thread's round)."""
        for held in list(self._held):
            self._renew(held)

    def _renew(self, held: _Held) -> None:
        body = {"holder": self.holder, "seconds": self.seconds, "lease_id": held.lease_id}
        try:
            status, answer = self._post(held.client, body)
            if self._stop.is_set():
                # the run released its leases while this renewal was under way: its answer
                # is about a lease let go (a 404 is not "ran out": taking it again would hold
                # the provider for a run that has ended; a 409 is not "lost": whoever took
                # it after the release holds it by right)
                return
            if status == 404:  # ran out (the process was paused): take it again if free
                body.pop("lease_id")
                status, answer = self._post(held.client, body)
                if status == 200 and isinstance(answer, dict):
                    held.lease_id = str(answer.get("lease_id"))
                    self._used_meanwhile(held.target, answer.get("previous"))
                    return
            if status == 409 and isinstance(answer, dict):
                self.lost.append(
                    f"the lease of the {held.target.name} at {held.target.shown_url} ran out "
                    f"before it was renewed and {_shown(answer.get('holder'))} took it: "
                    "failures from then on may be that user's doing, not the provider's"
                )
                self._held.remove(held)
                held.client.close()
        except (httpx.HTTPError, RuntimeError):  # (RuntimeError: closed by a late release)
            return  # the next renewal tries again; the tests say if the provider is gone

    def _used_meanwhile(self, target: LeaseTarget, previous: Any) -> None:
        """A lease taken again after it ran out: another user who held the provider in the
        gap (and let it go) is said as a lease lost to them is."""
        if not isinstance(previous, dict) or previous.get("holder") == self.holder:
            return
        self.lost.append(
            f"the lease of the {target.name} at {target.shown_url} ran out before it was "
            f"renewed and {_shown(previous.get('holder'))} held it meanwhile (this run took "
            "it again): failures in that time may be that user's doing, not the provider's"
        )

    def release(self) -> None:
        """Stop renewing and release every lease held (a provider gone by then is left to
        let it run out)."""
        self._stop.set()
        if self._renewing is not None:
            self._renewing.join(timeout=RELEASE_TIMEOUT)  # a renewal under way may hang 5 s
            self._renewing = None
        for held in list(self._held):  # (a renewal still under way may drop one)
            with contextlib.suppress(httpx.HTTPError, RuntimeError):
                held.client.delete(f"{paths.LEASE}/{held.lease_id}", timeout=RELEASE_TIMEOUT)
            held.client.close()
        self._held.clear()


def _refusal(target: LeaseTarget, body: Any) -> str:
    holder = body.get("holder") if isinstance(body, dict) else None
    ends = body.get("expires_in") if isinstance(body, dict) else None
    return in_use_message(target.name, target.shown_url, holder, ends)


def in_use_message(name: str, shown_url: str, holder: Any, expires_in: Any) -> str:
    """What a run refused for a provider someone else holds is told (the run's checks
    before its tests say it too, from ``GET /_harness/lease``)."""
    until = (
        f"; its lease ends in {expires_in:.0f} s unless renewed (a holder killed without "
        "releasing it renews it no more: retry then)"
        if isinstance(expires_in, int | float)
        and not isinstance(expires_in, bool)
        and 0 <= expires_in <= 86_400  # a vendor's answer is shown only if it makes sense
        else ""
    )
    who = _shown(holder) if holder else "another user"
    return (
        f"the {name} at {shown_url} is in use by {who}{until}. Runs, conformance plans and "
        "load tests sharing providers fail each other's tests (each test sets the clocks "
        "back, clears the faults and empties the request logs), so one at a time: wait for "
        "it to end, or serve a pair of your own (vneid-harness serve --vneid-port 0 "
        '--vssid-port 0; README "Sharing a served pair")'
    )


def _left_unreleased(target: LeaseTarget, previous: Any) -> str | None:
    if not isinstance(previous, dict) or previous.get("released") is not False:
        return None
    return (
        f"the {target.name} at {target.shown_url} was left by {_shown(previous.get('holder'))} "
        "without releasing it (stopped by SIGKILL, or its machine lost): what it changed may "
        "still be there. A test run sets the clocks back and clears the faults and request "
        "logs before each test, but takes a VssID's configuration (redirect_uri, link_form) "
        "as it finds it: check it (GET /_harness/config), or restart vneid-harness serve"
    )


def _shown(holder: Any) -> str:
    """A holder's description as a message shows it: printable, at most 200 characters (a
    vendor's server may answer anything)."""
    return "".join(c if c.isprintable() else "?" for c in str(holder)[:200])
