"""The VssID backend as one object: its state, its ASGI app and a Python API mirroring §11.

With a :class:`~mock_providers.state.StateFile` its accounts survive a restart (written on
every change, restored on start).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from harness.protocol import Clock, Entropy, OffsetClock, SystemEntropy
from mock_providers._http import (
    RequestLog,
    provider_app,
)
from mock_providers._lease import Lease
from mock_providers.state import held_once
from mock_providers.vssid.accounts import AccountRecord, AccountStore
from mock_providers.vssid.api_docs import docs_routes
from mock_providers.vssid.app import app_routes
from mock_providers.vssid.control import control_routes
from mock_providers.vssid.issuer_client import IssuerClient
from mock_providers.vssid.outgoing import OutgoingLog
from mock_providers.vssid.settings import (
    VssIDSettings,
    validate_client_id,
    validate_client_secret,
    validate_issuer,
    validate_redirect_uri,
)
from mock_providers.vssid.transactions import SessionStore, TransactionStore

if TYPE_CHECKING:
    from mock_providers.state import StateFile

__all__ = ["VssIDProvider"]

_KEPT_CONFIG = ("client_id", "client_secret", "redirect_uri")
"""What the state file keeps of the configuration: the client registration at VNeID, which
VNeID keeps too. Not the issuer (the serve's URL, whose port may change) nor the link form."""


class VssIDProvider:
    """The mock VssID backend: the OpenID Connect relying party of VNeID and the app API.

    ``issuer_transport`` carries every call to the issuer (``httpx.ASGITransport(vneid.app)``
    when embedded; ``None`` for the real network). ``clock`` is the base clock; ``.clock`` is
    an :class:`OffsetClock` over it that ``POST /_harness/clock`` moves.
    """

    def __init__(
        self,
        settings: VssIDSettings | None = None,
        *,
        clock: Clock | None = None,
        entropy: Entropy | None = None,
        issuer_transport: httpx.AsyncBaseTransport | None = None,
        state: StateFile | None = None,
    ) -> None:
        self._settings = settings if settings is not None else VssIDSettings()
        self.clock = clock if isinstance(clock, OffsetClock) else OffsetClock(clock)
        self.entropy: Entropy = entropy if entropy is not None else SystemEntropy()
        self.requests = RequestLog()
        self.outgoing = OutgoingLog()
        self.lease = Lease(self.clock.base)
        """One user at a time (``/_harness/lease``), on real time."""
        self.account_store = AccountStore()
        self.transactions = TransactionStore(self.clock)
        self.sessions = SessionStore(self.clock)
        self.issuer_client = IssuerClient(
            clock=self.clock, outgoing=self.outgoing, transport=issuer_transport
        )
        self._state: StateFile | None = None
        self._client_config: dict[str, str] = {}
        """The client settings changed through :meth:`configure`, kept in the state file."""
        if state is not None:
            state.restore("vssid", self._restore)
            state.attach("vssid", self._snapshot)
            self._state = state
        routes = [*app_routes(self), *control_routes(self)]
        self.app = provider_app(
            [*routes, *docs_routes(routes, server=self._settings.base_url)],
            log=self.requests,
            clock=self.clock,
        )

    @property
    def state_file(self) -> StateFile | None:
        """The state file this provider's accounts and client settings are kept in
        (``serve --state``), or None; the test-control API's changes go through it
        (:func:`mock_providers._http.persisting`)."""
        return self._state

    @property
    def settings(self) -> VssIDSettings:
        """The current settings; a login keeps those it was started with."""
        return self._settings

    # -- accounts (P-1) -------------------------------------------------------------------
    def add_account(self, record: AccountRecord) -> AccountRecord:
        """Add or replace the account with ``record.bhxh_code``."""
        self.account_store.put(record)
        self._persist()
        return record

    def remove_account(self, bhxh_code: str) -> bool:
        """Remove an account; ``False`` when there was none."""
        removed = self.account_store.remove(bhxh_code)
        if removed:
            self._persist()
        return removed

    # -- the state file --------------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        section: dict[str, Any] = {"accounts": [a.to_json() for a in self.account_store.all()]}
        if self._client_config:
            section["client"] = dict(self._client_config)
        return section

    def _restore(self, data: Any) -> None:
        accounts = data.get("accounts", []) if isinstance(data, Mapping) else None
        if not isinstance(accounts, list):
            raise ValueError("'accounts' must be a list")
        restored: set[str] = set()
        for item in accounts:
            account = AccountRecord.from_json(item)
            held_once(restored, account.bhxh_code, f"account {account.bhxh_code}")
            self.add_account(account)
        client = data.get("client", {})
        if (
            not isinstance(client, Mapping)
            or set(client) - set(_KEPT_CONFIG)
            or not all(isinstance(v, str) for v in client.values())
        ):
            raise ValueError(f"'client' must be an object of {', '.join(_KEPT_CONFIG)} (text)")
        if client:
            self.configure(**client)  # validated as through the control API

    def _persist(self) -> None:
        if self._state is not None:
            self._state.save()

    def accounts(self) -> list[AccountRecord]:
        return self.account_store.all()

    def held_secrets(self) -> list[str]:
        """Every secret this relying party holds (S-5): its client secret, the PKCE verifiers
        of its login transactions, the session tokens it issued. A test's report is scrubbed
        of them (the pytest plugin), whoever printed one."""
        return [
            self.settings.client_secret,
            *self.transactions.verifiers(),
            *self.sessions.tokens(),
        ]

    # -- configuration ---------------------------------------------------------------------
    def configure(
        self,
        issuer: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        link_form: str | None = None,
    ) -> VssIDSettings:
        """Point the relying party elsewhere (partial update, each value validated); clears
        the discovery and JWKS caches. Logins already started keep their settings.
        ``link_form`` (``custom`` or ``https``) is the form of the authorize links it hands
        out (A-1)."""
        changes: dict[str, Any] = {}
        if issuer is not None:
            changes["issuer"] = validate_issuer(issuer)
        if client_id is not None:
            changes["client_id"] = validate_client_id(client_id)
        if client_secret is not None:
            changes["client_secret"] = validate_client_secret(client_secret)
        if redirect_uri is not None:
            changes["redirect_uri"] = validate_redirect_uri(redirect_uri)
        if link_form is not None:
            changes["link_form"] = link_form  # VssIDSettings checks it
        before = self._settings
        self._settings = before.evolve(**changes)
        self.issuer_client.clear_caches()
        # the registration at VNeID (kept there too) must match after a restart; a value
        # set again as it was (each test of a remote run restores the config) changes nothing
        kept = {k: v for k, v in changes.items() if k in _KEPT_CONFIG and getattr(before, k) != v}
        if kept:
            self._client_config.update(kept)
            self._persist()
        return self._settings
