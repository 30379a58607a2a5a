"""Targets: the pair of providers a run talks to, embedded in-process or reached over HTTP.

A :class:`Target` holds a :class:`VNeIDHandle` and a :class:`VssIDHandle`. Each handle builds
``httpx.Client`` instances for the apps and drives the provider's test-control API (§11) over
HTTP, so the same scenario code works against the embedded mocks (no sockets, through
:class:`harness.embedded.SyncASGITransport`), against ``vneid-harness serve``, or against
another server that offers the control API.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.parse
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness import ADMIN_TOKEN_ENV
from harness.embedded import SyncASGITransport
from harness.errors import ConfigError, HarnessError
from harness.http_client import HarnessClient, redirect_note
from harness.protocol import (
    DEFAULT_PROFILE,
    Clock,
    Entropy,
    Profile,
    SeededEntropy,
    finite_number,
    paths,
)
from harness.protocol.redaction import REDACTED, URL_REDACTED, redact_json, redact_url
from harness.run_checks import admin_token_problem, target_url_problem
from harness.trace import HarnessAction, Trace, ensure_traced

SCENARIO_PARTY = "scenario"
"""The trace party of a scenario's own calls to a provider (drawn as "Scenario")."""

__all__ = [
    "SCENARIO_PARTY",
    "ControlError",
    "ProviderHandle",
    "Target",
    "VNeIDHandle",
    "VssIDHandle",
    "embedded_target",
    "remote_target",
]

HTTP_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
HTTP_DEADLINE = 30.0
"""Seconds a whole exchange with a provider reached over HTTP may take (``HTTP_TIMEOUT``
bounds each read only: an answer trickled a byte at a time never tripped it)."""


def health_problem(body: Any) -> str | None:
    """What is wrong with the JSON answer to ``GET /_harness/health``, if anything: §11
    asks for the object ``{status: "ok", version}``."""
    if isinstance(body, dict) and body.get("status") == "ok":
        return None
    return f'{str(body)[:80]}, not {{"status": "ok", …}} (PROTOCOL.md §11)'


def check_target_url(option: str, url: str | None) -> None:
    """``url`` (given as ``option``, ``None``: not given) is an http(s) URL with a host the
    HTTP client can use, or a :class:`ConfigError` that says so
    (:func:`harness.run_checks.target_url_problem`)."""
    problem = target_url_problem(option, url)
    if problem is not None:
        raise ConfigError(problem)


def check_admin_token(admin_token: str | None) -> None:
    """S-6: a token callers can present, or a :class:`ConfigError` that says why not
    (:func:`harness.run_checks.admin_token_problem`)."""
    problem = admin_token_problem(admin_token)
    if problem is not None:
        raise ConfigError(problem)


class TargetUnreachable(HarnessError):
    """A provider under test did not answer (down, refusing, or silent past the timeout).
    Not a :class:`ConfigError`: the options may be right and the target down for a while;
    a run stops after a few tests in a row that could not reach it
    (:data:`harness.plugin_remote.UNREACHABLE_IN_A_ROW`)."""


class ControlError(HarnessError):
    """A test-control API call was refused; carries the provider's §8 error body."""

    def __init__(self, what: str, status: int, body: Any, hint: str | None = None) -> None:
        self.status = status
        self.body = body
        super().__init__(
            f"{what} failed with HTTP {status}: {redact_json(body)}" + (f"; {hint}" if hint else "")
        )


_URL_WITH_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_PROTOCOL_ROOTS = (
    "/api/",
    paths.CONTROL_PREFIX,
    "/.well-known/",
    paths.AUTHORIZE,
    paths.TOKEN,
    paths.USERINFO,
    paths.JWKS,
)
"""Where PROTOCOL.md's paths begin: a logged path that does is taken as relative already (a
provider at ``https://h/api`` logging ``/api/app/v1/sessions``), whatever its base URL; a
whole URL's path is always made relative."""
MISSING_STATUSES = (404, 405, 501)
"""The answers of a server that has no such endpoint (not found, not that method, not
implemented): a target without a §11 call it is asked for."""
CHECKLISTS = {
    "vneid": "What your provider must offer",
    "vssid": "What a relying party of yours must offer for the plan to run",
}
"""docs/conformance.md's list of what a target of each role must offer, by its heading."""


@dataclass(repr=False)
class ProviderHandle:
    """One provider as the harness sees it: a base URL and how to reach it."""

    name: str
    base_url: str
    transport: httpx.BaseTransport | None = None
    admin_token: str | None = None
    embedded: Any = None
    """The provider object when it runs in-process (``None`` when reached over HTTP)."""
    trace: Trace | None = field(default=None, repr=False)
    """Where the calls of clients from :meth:`client` are recorded, as the scenario's own
    (the pytest plugin sets it per test, so probes of a provider get Allure steps too)."""
    _control: httpx.Client | None = field(default=None, init=False, repr=False)
    _clock_offset: float = field(default=0.0, init=False, repr=False)
    """The offset :meth:`set_clock` last gave a provider reached over HTTP."""

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    def now(self) -> float:
        """The provider's time as the harness knows it, in seconds since the epoch: an
        embedded provider's own clock (a test's ``ManualClock`` or moved offset), else real
        time plus the offset :meth:`set_clock` last gave it. What a client stamps on what it
        sends (a ``private_key_jwt`` assertion's ``iat`` and ``exp``) reads this, so a moved
        or frozen provider clock does not make the harness's own requests stale."""
        clock = getattr(self.embedded, "clock", None)
        if clock is not None:
            return float(clock.now())
        return time.time() + self._clock_offset

    def __repr__(self) -> str:
        """Without secrets (S-5): pytest prints it in a failure's explanation (``where [] =
        <bound method VNeIDHandle.requests of VNeIDHandle(…)>``), where the dataclass's
        showed a URL's password and the admin token."""
        where = "embedded" if self.is_embedded else "remote"
        token = ", admin token set" if self.admin_token else ""
        return f"{type(self).__name__}({self.name!r}, {self.shown_url!r}, {where}{token})"

    @property
    def shown_url(self) -> str:
        """:attr:`base_url` as messages show it: a password in it redacted (S-5)."""
        return redact_url(self.base_url)

    def relative_path(self, url: str) -> str:
        """The path of ``url`` (or a path) relative to :attr:`base_url`, as PROTOCOL.md
        writes paths: ``/api/app/v1/sessions`` for ``https://h/idp/vneid/api/app/v1/sessions``
        when the provider's base URL is ``https://h/idp/vneid`` (a provider served under a
        path, as OpenID Connect Discovery allows an issuer to be). Any other path as it is."""
        whole = _URL_WITH_SCHEME.match(url) is not None
        # a log's path is taken as it is: decoded, it may hold a ``?`` (or ``://``) that is
        # no query's; and it may be relative already (PROTOCOL.md's paths are left whole)
        path = urllib.parse.urlsplit(url).path if whole else url
        prefix = urllib.parse.urlsplit(self.base_url).path.rstrip("/")
        if (
            prefix
            and path.startswith(prefix + "/")
            and (whole or not path.startswith(_PROTOCOL_ROOTS))
        ):
            return path[len(prefix) :]
        return path

    def client(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        event_hooks: Mapping[str, list[Any]] | None = None,
        traced: bool = True,
    ) -> httpx.Client:
        """A new synchronous client for this provider (apps, tests). With :attr:`trace` set
        and ``traced``, its exchanges are recorded there as the scenario's; apps and the
        harness RP pass ``traced=False`` and record into their own traces instead."""
        client = HarnessClient(
            base_url=self.base_url,
            transport=self.transport,
            headers=dict(headers or {}),
            event_hooks={k: list(v) for k, v in (event_hooks or {}).items()},
            timeout=HTTP_TIMEOUT,
            follow_redirects=False,
            deadline=HTTP_DEADLINE if self.transport is None else None,
        )
        if traced and self.trace is not None:
            ensure_traced(client, self.trace, SCENARIO_PARTY, self.party)
        return client

    @property
    def control(self) -> httpx.Client:
        if self._control is None:
            headers = {"X-Harness-Admin-Token": self.admin_token} if self.admin_token else {}
            self._control = self.client(headers=headers, traced=False)
        return self._control

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        try:
            response = self.control.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            said = f"{type(exc).__name__}: {exc}"
            if self.admin_token:  # a client may quote the header it refused to send (S-5)
                said = said.replace(self.admin_token, REDACTED)
            raise TargetUnreachable(
                f"{what}: cannot reach the {self.name} provider at {self.shown_url} ({said}); "
                "is it running (your server, or vneid-harness serve), and is the URL right?"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = response.text[:500]
        if response.status_code >= 400:
            raise ControlError(
                what, response.status_code, body, self._refusal_hint(response.status_code, body)
            )
        if isinstance(body, str) and (body or response.status_code != 204):
            kind = response.headers.get("content-type", "no content type")
            offering = (  # discovery is no part of §11's test-control API
                "the test-control API of PROTOCOL.md §11"
                if path.startswith(paths.CONTROL_PREFIX)
                else f"{method} {path}"
            )
            raise ConfigError(
                f"{what}: the {self.name} provider at {self.shown_url} answered "
                f"{response.status_code}{redirect_note(response)} with a body that is not "
                f"JSON ({kind}: {body[:80]!r}); is the URL the provider's base address, "
                f"offering {offering}?"
            )
        return body if body != "" else {}

    def _refusal_hint(self, status: int, body: Any) -> str | None:
        """How to fix a refusal that is the run's set-up, not the test's: the admin token
        (S-6; a 401 or 403 of the test-control API, whatever its error code)."""
        if status not in (401, 403):
            return None
        if self.admin_token:
            return (
                f"if the {self.name} provider at {self.shown_url} was served with an admin "
                f"token, the one given (--admin-token or ${ADMIN_TOKEN_ENV}) is not it"
            )
        return (
            f"give the admin token the {self.name} provider at {self.shown_url} was served "
            f"with: --admin-token TOKEN, or ${ADMIN_TOKEN_ENV}; served without one, its "
            "test-control API answers loopback callers only"
        )

    def _required(self, method: str, path: str, what: str, why: str, **kwargs: Any) -> Any:
        """:meth:`_call` for a §11 endpoint every target must offer: a 404, 405 or 501 is a
        :class:`ConfigError` naming it (``why``: what the harness uses it for), which stops
        a run once instead of failing every test."""
        try:
            return self._call(method, path, what, **kwargs)
        except ControlError as exc:
            if exc.status not in MISSING_STATUSES:
                raise
            raise ConfigError(
                f"{what}: the {self.name} provider at {self.shown_url} answered HTTP "
                f"{exc.status} to {method} {path}; {why} (PROTOCOL.md §11): offer it "
                f'(docs/conformance.md, "{CHECKLISTS[self.name]}", lists all that a '
                "target of this role must offer, in the order a run finds it missing)"
            ) from None

    # -- §11 control API shared by both providers --------------------------------------
    def health(self) -> dict[str, Any]:
        """``GET /_harness/health``: ``{status: "ok", version}`` (§11), or a
        :class:`ConfigError` naming what came instead."""
        result = self._call("GET", paths.HEALTH, "health check")
        problem = health_problem(result)
        if problem is not None:
            raise ConfigError(
                f"health check: the {self.name} provider at {self.shown_url} answered {problem}"
            )
        assert isinstance(result, dict)
        return result

    def set_clock(self, offset_seconds: float) -> dict[str, Any]:
        """Move this provider's clock to ``offset_seconds`` from real time (§11)."""
        if finite_number(offset_seconds) is None:  # 10**400: not OverflowError from isfinite
            raise ConfigError(
                f"set_clock({offset_seconds!r:.40}): the offset is a finite "
                "number of seconds (negative: the provider's clock runs behind)"
            )
        result: dict[str, Any] = self._required(
            "POST",
            paths.CLOCK,
            "moving the clock",
            "the harness sets both providers' "
            "clocks back to real time before each test, and moves them in the R-8 and T-2 "
            "tests",
            json={"offset_seconds": offset_seconds},
        )
        self._clock_offset = float(offset_seconds)
        if offset_seconds:  # moving it back to real time (before each test) is no event
            self._record_action(f"clock moved to {offset_seconds:+g} s from real time")
        return result

    @property
    def party(self) -> str:
        """This provider's party in a trace (:mod:`harness.trace`)."""
        return "vneid-server" if self.name == "vneid" else "vssid-backend"

    def _record_action(self, action: str) -> None:
        """Put what the harness did to this provider into the test's trace (its evidence)."""
        if self.trace is not None:
            self.trace.record(HarnessAction(target=self.party, action=action))

    def requests(
        self, path: str | None = None, method: str | None = None, *, direction: str | None = None
    ) -> list[dict[str, Any]]:
        """The requests this provider received, oldest first, secrets redacted (§11), of
        ``path`` and ``method`` when given. ``direction="outgoing"`` (VssID only): the calls
        VssID's backend made to the issuer instead."""
        for name, value in (("path", path), ("method", method), ("direction", direction)):
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"requests({name}={value!r:.40}): {name} is text or None")
        params: dict[str, str] = {}
        if direction is not None:
            if self.name != "vssid" or direction not in ("incoming", "outgoing"):
                raise ConfigError(
                    f"requests(direction={direction!r:.40}): only the vssid provider keeps two "
                    "logs; give direction='incoming' (the default) or 'outgoing' there, and "
                    "leave it out for vneid"
                )
            params["direction"] = direction
        body = self._call("GET", paths.REQUESTS, "reading the request log", params=params)
        if not isinstance(body, dict) or not isinstance(body.get("requests", []), list):
            raise ConfigError(
                f"reading the request log: the {self.name} provider at {self.shown_url} answered "
                f'{str(body)[:80]}, not {{"requests": [...]}} (PROTOCOL.md §11)'
            )
        items = [self._relative_entry(r) for r in body.get("requests", [])]
        return [
            r
            for r in items
            if (path is None or r.get("path") == path)
            and (method is None or r.get("method") == method)
        ]

    def _relative_entry(self, entry: Any) -> Any:
        """A log entry with its ``path`` relative to :attr:`base_url`: a provider served
        under a path may log the path it received whole (``/idp/vneid/api/app/v1/sessions``)
        or relative to its base (``/api/app/v1/sessions``); the scenarios ask for the
        latter, as PROTOCOL.md writes it."""
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            return entry
        relative = self.relative_path(entry["path"])
        return entry if relative == entry["path"] else {**entry, "path": relative}

    def clear_requests(self) -> None:
        """``DELETE /_harness/requests``: each test starts with an empty log (a target under
        test must offer it, docs/conformance.md)."""
        self._required(
            "DELETE",
            paths.REQUESTS,
            "clearing the request log",
            "the harness empties the log before each test, answered 200 or 204, "
            'and reads it with GET /_harness/requests as {"requests": [...]}',
        )

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None


@dataclass(repr=False)
class VNeIDHandle(ProviderHandle):
    _no_faults: bool = field(default=False, repr=False)
    """The provider answered that it has no ``/_harness/faults`` (a vendor's)."""

    def add_persona(self, persona_json: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", paths.PERSONAS, "adding a persona", json=dict(persona_json)
        )
        return result

    def register_client(self, client_json: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", paths.CLIENTS, "registering a client", json=dict(client_json)
        )
        return result

    def remove_client(self, client_id: str) -> dict[str, Any]:
        """Unregister ``client_id`` (``DELETE /_harness/clients/{client_id}``, §11)."""
        result: dict[str, Any] = self._call(
            "DELETE",
            f"/_harness/clients/{urllib.parse.quote(client_id, safe='')}",
            f"removing client {client_id[:64]!r}",
        )
        return result

    def arm_fault(self, client_id: str, fault: str, times: int = 1) -> dict[str, Any]:
        """Make the provider misbehave for ``client_id`` the next ``times`` times (§11)."""
        result: dict[str, Any] = self._call(
            "POST",
            paths.FAULTS,
            f"arming fault {fault}",
            json={"client_id": client_id, "fault": fault, "times": times},
        )
        left = result.get("remaining") if isinstance(result, dict) else None
        left = left if isinstance(left, int) and not isinstance(left, bool) else times
        uses = f"{left} use" + ("s" if left != 1 else "")  # arming again adds to what remains
        self._record_action(f"fault {fault} armed for client {client_id} ({uses} left)")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", paths.FAULTS, "clearing faults")

    def fault_description(self, fault: str) -> str:
        """What fault ``fault`` of the provider's catalog does (``GET /_harness/faults``;
        empty when the provider does not say), for a failure to tell what was sent."""
        body = self._call("GET", paths.FAULTS, "reading the fault catalog")
        catalog = body.get("catalog") if isinstance(body, dict) else None
        for entry in catalog if isinstance(catalog, list) else ():
            if isinstance(entry, dict) and entry.get("name") == fault:
                return str(entry.get("description", ""))
        return ""

    def clear_faults_if_offered(self) -> None:
        """Clear the armed faults of a provider that offers ``/_harness/faults`` (the
        harness's own mock; a vendor's provider need not: a 404 or 405 once, and it is not
        asked again)."""
        if self._no_faults:
            return
        try:
            self.clear_faults()
        except ControlError as exc:
            if exc.status not in MISSING_STATUSES:
                raise
            self._no_faults = True

    def discovery(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", paths.DISCOVERY, "reading discovery")
        return result

    @property
    def issuer(self) -> str:
        return self.base_url


@dataclass(repr=False)
class VssIDHandle(ProviderHandle):
    _no_account_list: bool = field(default=False, repr=False)
    """The relying party does not let the harness list or remove its accounts (a vendor's
    may not: ``GET``/``DELETE /_harness/accounts`` are the VssID mock's, beyond §11), and
    is not asked again."""

    def add_account(self, account_json: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", paths.ACCOUNTS, "adding a VssID account", json=dict(account_json)
        )
        return result

    def remove_account(self, bhxh_code: str) -> dict[str, Any]:
        """Remove the account ``bhxh_code`` (``DELETE /_harness/accounts/{bhxh_code}``)."""
        result: dict[str, Any] = self._call(
            "DELETE",
            f"/_harness/accounts/{urllib.parse.quote(bhxh_code, safe='')}",
            f"removing VssID account {bhxh_code[:16]!r}",
        )
        return result

    def accounts_of(self, personal_id: str) -> list[str] | None:
        """The ``bhxh_code`` of each account linked to ``personal_id``
        (``GET /_harness/accounts``, the mock's; ``None``: the relying party does not list
        its accounts, and is not asked again)."""
        if self._no_account_list:
            return None
        try:
            body = self._call(
                "GET", paths.ACCOUNTS, "listing VssID accounts", params={"personal_id": personal_id}
            )  # the mock's filter
        except (ControlError, ConfigError) as exc:  # refused, or answered with no JSON
            if isinstance(exc, ControlError) and exc.status not in MISSING_STATUSES:
                raise
            self._no_account_list = True  # beyond §11: a relying party need not offer it
            return None
        listed = body.get("accounts") if isinstance(body, dict) else None
        if not isinstance(listed, list):
            self._no_account_list = True
            return None
        return [
            str(a["bhxh_code"])
            for a in listed
            if isinstance(a, dict) and a.get("personal_id") == personal_id and "bhxh_code" in a
        ]

    def keep_only_account(self, personal_id: str, bhxh_code: str | None) -> list[str]:
        """Remove the accounts linked to ``personal_id`` other than ``bhxh_code`` (``None``:
        every one), and return their codes: a relying party reached over HTTP keeps what
        earlier runs and tests gave it, and a citizen made again from the same seed, now
        without an account (P-1) or with another, must not find the old one there."""
        stale = [code for code in self.accounts_of(personal_id) or () if code != bhxh_code]
        for code in stale:
            try:
                self.remove_account(code)
            except ControlError as exc:
                if exc.status in (405, 501):  # lists, but does not remove: not asked again
                    self._no_account_list = True
                    return []
                if exc.status != 404:  # 404: gone meanwhile, as good
                    raise
        return stale

    def config(self) -> dict[str, Any]:
        """The relying party's configuration (§11; the secret redacted)."""
        result: dict[str, Any] = self._call("GET", paths.CONFIG, "reading the config")
        return result

    def configure(self, **config: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._required(
            "POST",
            paths.CONFIG,
            "configuring the relying party",
            "the harness points "
            "the relying party at its callback before each test and restores its "
            "configuration at the end",
            json=config,
        )
        return result


@dataclass
class Target:
    """The providers of one run, and the profile they follow."""

    vneid: VNeIDHandle
    vssid: VssIDHandle
    profile: Profile = DEFAULT_PROFILE
    kind: str = "embedded"
    _vssid_config: dict[str, str] = field(default_factory=dict, repr=False)
    _vssid_original: dict[str, str] = field(default_factory=dict, repr=False)
    _registered_rp: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.vneid.is_embedded or self.vssid.is_embedded:  # its secrets: SecretSink
            _open_targets[id(self)] = self

    def register_relying_party(self) -> None:
        """Against a provider under test (``--vneid-url`` without ``--vssid-url``): register
        the in-process VssID's client on it (§11 ``POST /_harness/clients``, add or replace),
        as the plan registers every citizen and client it uses: the profile's client id
        (``vssid``), both A-6 callbacks, ``client_secret_basic`` and the secret the in-process
        VssID authenticates with. Without it every login ends in ``invalid_client``. Nothing
        to do for other targets (the embedded VNeID has it; a relying party under test
        trusts the harness's own VNeID, which has it). :meth:`begin_test` calls it before
        the first test."""
        if self.kind != "remote-vneid" or self.vssid.embedded is None:
            return
        settings = self.vssid.embedded.settings
        try:
            self.vneid.register_client(
                {
                    "client_id": self.profile.vssid_client_id,
                    "client_secret": settings.client_secret,
                    "redirect_uris": list(self.profile.vssid_redirect_uris),
                    "token_endpoint_auth_method": settings.token_endpoint_auth_method,
                }
            )
        except ControlError as exc:
            fix = (
                "offer §11 POST /_harness/clients"
                if exc.status in MISSING_STATUSES
                else ""
                if exc.status in (401, 403)
                # the admin token's hint is in exc
                else f"it was sent {{client_id: {self.profile.vssid_client_id!r}, client_secret "
                f"(the harness's), redirect_uris: "
                f"{list(self.profile.vssid_redirect_uris)}, token_endpoint_auth_method: "
                f"{settings.token_endpoint_auth_method!r}}}: accept that registration, or "
                "give --protocol-profile a vssid_client_id and callbacks your provider "
                "takes"
            )
            raise ConfigError(
                f"the provider plan logs in at the VNeID under test as the client "
                f"{self.profile.vssid_client_id!r} and registers it first; {exc}"
                f"{'; ' + fix if fix else ''} (docs/conformance.md, \"The provider plan's "
                'relying party")'
            ) from None

    def snapshot(self) -> None:
        """Remember the relying party's configuration, to restore it before each test and,
        for one under test, at the end of the run (:meth:`restore`). A relying party under
        test (not in this process) is given the custom-scheme callback of A-6 as its
        ``redirect_uri`` before each test (§11 ``POST /_harness/config``): the suites catch
        its callbacks on that scheme (a hijacking app, S-4), and the tests of the claimed
        https form configure that one themselves."""
        config = self.vssid.config()
        self._vssid_original = {
            k: v
            for k, v in config.items()
            if k in ("issuer", "client_id", "redirect_uri", "link_form")
            and isinstance(v, str)
            and URL_REDACTED not in v
        }
        # (an issuer with a password is shown redacted, S-5: it is left as it is, not
        # configured back as the redacted text)
        self._vssid_config = dict(self._vssid_original)
        if self.vssid.embedded is None:
            self._vssid_config["redirect_uri"] = self.profile.callback_custom

    def restore(self) -> None:
        """Put a relying party under test back as :meth:`snapshot` found it (the run changed
        its ``redirect_uri``, and tests may have changed more)."""
        if self.vssid.embedded is None and self._vssid_original:
            self.vssid.configure(**self._vssid_original)

    def begin_test(self, seed: int | str | None = None) -> None:
        """Isolate a test on shared providers: clocks back to real time, faults cleared, the
        relying party's configuration as it was at the start, request logs empty (so "no
        token request was made" means: during this test). With ``seed``, an in-process VssID
        draws from it (as an embedded target of that seed does), so a test run alone
        makes the same ``state``, ``nonce`` and verifier as in the whole run."""
        if seed is not None and self.vssid.embedded is not None:
            self.vssid.embedded.entropy = SeededEntropy(seed).fork("vssid")
        self.reset_clocks()
        if not self._registered_rp:  # at the first test: a target gone by then counts
            self.register_relying_party()  # toward the three unreachable tests in a row
            self._registered_rp = True
        if self._vssid_config:
            self.vssid.configure(**self._vssid_config)
        self.vneid.clear_faults_if_offered()
        for handle in (self.vneid, self.vssid):
            handle.clear_requests()

    def reset_clocks(self) -> None:
        for handle in (self.vneid, self.vssid):
            handle.set_clock(0)

    def held_secrets(self) -> set[str]:
        """The secrets the embedded providers hold (``held_secrets()`` of each; none of a
        provider reached over HTTP), for the scrubbing of reports (S-5)."""
        found: set[str] = set()
        for handle in (self.vneid, self.vssid):
            held = getattr(handle.embedded, "held_secrets", None)
            if held is not None:
                found.update(held())
        return found

    def close(self) -> None:
        if _open_targets.pop(id(self), None) is not None and _sink is not None:
            _sink.kept.update(self.held_secrets())
        self.vneid.close()
        self.vssid.close()


_open_targets: weakref.WeakValueDictionary[int, Target] = weakref.WeakValueDictionary()
"""Every target with an embedded provider, not closed yet, whoever made it (a test, a module-
or session-scoped fixture, the plugin's target beside a remote VNeID)."""


class SecretSink:
    """What one test's reports are scrubbed of beyond its traces (:func:`secrets_collected`):
    the secrets of the targets closed while it collects, kept as text (a property test makes
    and closes hundreds of worlds), those noted (:func:`note_secrets`), and, read when asked,
    those of every embedded target still open."""

    def __init__(self) -> None:
        self.kept: set[str] = set()

    def known(self) -> set[str]:
        found = set(self.kept)
        for target in list(_open_targets.values()):
            found.update(target.held_secrets())
        return found


_sink: SecretSink | None = None


def note_secrets(*values: str | None) -> None:
    """Give the collecting sink (:func:`secrets_collected`) secrets made outside the
    providers (the harness's relying party's verifiers); nothing when none collects."""
    if _sink is not None:
        _sink.kept.update(v for v in values if v)


@contextlib.contextmanager
def secrets_collected() -> Iterator[SecretSink]:
    """While in the block, every embedded target closed gives its providers' secrets to the
    sink yielded, which also reads those of every target still open: the pytest plugin opens
    one per test, and scrubs the test's reports of what it knows (S-5: a verifier a team's
    assertion or ``pytest -l`` printed, in a world the test made and closed itself, or held
    by a target of a wider scope)."""
    global _sink
    previous, _sink = _sink, SecretSink()
    try:
        yield _sink
    finally:
        _sink = previous


def embedded_target(
    *,
    seed: int | str = 0,
    profile: Profile = DEFAULT_PROFILE,
    clock: Clock | None = None,
    entropy: Entropy | None = None,
    vssid_skip_checks: frozenset[str] = frozenset(),
    vneid_fault: str | None = None,
    vneid_skip_checks: frozenset[str] = frozenset(),
) -> Target:
    """Both mock providers in-process, the VssID mock trusting the VNeID mock beside it.

    ``vssid_skip_checks`` makes the VssID mock a deliberately broken relying party (names
    from ``mock_providers.vssid.SKIPPABLE_CHECKS``), and ``vneid_fault`` the VNeID mock a
    deliberately broken provider (a name of ``FAULTS.bugs()`` in
    ``mock_providers.vneid.faults``, on every request) or ``vneid_skip_checks`` one that
    forgets checks (names from ``mock_providers.vneid.settings.SKIPPABLE_CHECKS``), to show
    that a plan catches it."""
    from mock_providers._http import mark_bodies_in_memory
    from mock_providers.defaults import EMBEDDED_VNEID_ISSUER, EMBEDDED_VSSID_BASE_URL
    from mock_providers.vneid import VNeIDProvider, VNeIDSettings
    from mock_providers.vssid import VssIDProvider, VssIDSettings

    root = entropy or SeededEntropy(seed)
    fork = getattr(root, "fork", None)
    vneid_entropy = fork("vneid") if fork else root
    vssid_entropy = fork("vssid") if fork else root
    vneid = VNeIDProvider(
        VNeIDSettings(
            issuer=EMBEDDED_VNEID_ISSUER,
            profile=profile,
            broken_fault=vneid_fault,
            skip_checks=vneid_skip_checks,
        ),
        clock=clock,
        entropy=vneid_entropy,
    )
    vssid = VssIDProvider(
        VssIDSettings(
            profile=profile,
            issuer=EMBEDDED_VNEID_ISSUER,
            base_url=EMBEDDED_VSSID_BASE_URL,
            skip_checks=vssid_skip_checks,
        ),
        clock=clock,
        entropy=vssid_entropy,
        issuer_transport=httpx.ASGITransport(app=vneid.app),
    )
    for app in (vneid.app, vssid.app):  # reached only through in-process transports
        mark_bodies_in_memory(app)
    return Target(
        vneid=VNeIDHandle(
            "vneid", EMBEDDED_VNEID_ISSUER, SyncASGITransport(vneid.app), embedded=vneid
        ),
        vssid=VssIDHandle(
            "vssid", EMBEDDED_VSSID_BASE_URL, SyncASGITransport(vssid.app), embedded=vssid
        ),
        profile=profile,
        kind="embedded",
    )


def remote_target(
    vneid_url: str,
    vssid_url: str | None = None,
    *,
    admin_token: str | None = None,
    seed: int | str = 0,
    profile: Profile = DEFAULT_PROFILE,
) -> Target:
    """Providers reached over HTTP. Without ``vssid_url`` the VssID mock runs in-process and
    trusts the VNeID at ``vneid_url``, where :meth:`Target.register_relying_party` registers
    its client."""
    check_target_url("--vneid-url", vneid_url)
    check_target_url("--vssid-url", vssid_url)
    vneid = VNeIDHandle("vneid", vneid_url.rstrip("/"), admin_token=admin_token)
    if vssid_url is not None:
        vssid = VssIDHandle("vssid", vssid_url.rstrip("/"), admin_token=admin_token)
        return Target(vneid=vneid, vssid=vssid, profile=profile, kind="remote")
    from mock_providers.defaults import EMBEDDED_VSSID_BASE_URL
    from mock_providers.vssid import VssIDProvider, VssIDSettings

    provider = VssIDProvider(
        VssIDSettings(profile=profile, issuer=vneid.base_url, base_url=EMBEDDED_VSSID_BASE_URL),
        entropy=SeededEntropy(f"{seed}/vssid"),
        issuer_transport=None,
    )
    vssid = VssIDHandle(
        "vssid", EMBEDDED_VSSID_BASE_URL, SyncASGITransport(provider.app), embedded=provider
    )
    return Target(vneid=vneid, vssid=vssid, profile=profile, kind="remote-vneid")


@contextlib.contextmanager
def opened(target: Target) -> Iterator[Target]:
    try:
        yield target
    finally:
        target.close()
