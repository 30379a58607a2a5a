"""The mock VNeID identity server (OpenID Provider) as one object: state, Python API, ASGI app.

With a :class:`~mock_providers.state.StateFile` its personas, clients and pairwise-subject
secret survive a restart (written on every change, restored on start).

It mirrors its test-control API (§11) in Python: :meth:`VNeIDProvider.add_persona`,
:meth:`~VNeIDProvider.register_client`, :meth:`~VNeIDProvider.arm_fault`, ``clock.offset``,
``requests``. The HTTP surfaces are
small route modules over this object: discovery/JWKS/token/userinfo (:mod:`.oidc_api`), the
app API (:mod:`.app_api`), the web form flow (:mod:`.web`) and the control API
(:mod:`.control`).
"""

from __future__ import annotations

import dataclasses
import hmac
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from joserfc.jwk import ECKey

from harness.protocol import (
    DEFAULT_PROFILE,
    Clock,
    Entropy,
    OffsetClock,
    Profile,
    ProtocolError,
    SystemEntropy,
    parse_personal_id,
    paths,
)
from mock_providers._http import (
    RequestLog,
    provider_app,
)
from mock_providers._lease import Lease
from mock_providers.state import held_once
from mock_providers.vneid import app_api, control, oidc_api, web
from mock_providers.vneid.api_docs import docs_routes
from mock_providers.vneid.authorize import VerifiedRequest, complete
from mock_providers.vneid.client_auth import ClientAuthenticator
from mock_providers.vneid.client_keys import ClientKeys
from mock_providers.vneid.faults import (
    AUTHZ_RESPONSE,
    FAULTS,
    ID_TOKEN_CLAIMS,
    ID_TOKEN_HEADER,
    ID_TOKEN_JWS,
    SIGNING_KEY,
    ArmedFaults,
    Fault,
    FaultContext,
    Stage,
)
from mock_providers.vneid.grants import Grants, Session
from mock_providers.vneid.id_token import id_token_header, mint_jwt
from mock_providers.vneid.keys import PairwiseSubjects, derive_signing_key, public_jwks
from mock_providers.vneid.records import MAX_REDIRECT_URIS, ClientRecord, PersonaRecord
from mock_providers.vneid.settings import VNeIDSettings
from mock_providers.vneid.undecodable import verify_decodable

if TYPE_CHECKING:
    from mock_providers.state import StateFile

__all__ = ["MAX_CLIENTS", "MAX_PERSONAS", "VNeIDProvider"]

MAX_PERSONAS = 100_000
MAX_CLIENTS = 1_000
T = TypeVar("T")


def _records(data: Mapping[str, Any], key: str) -> list[Any]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise ValueError(f"{key!r} must be a list")
    return items


class VNeIDProvider:
    """The VNeID identity server of PROTOCOL.md, in memory.

    ``clock`` is the base clock (wrapped in :class:`~harness.protocol.OffsetClock` as
    ``self.clock``); ``entropy`` draws the signing key, the pairwise-subject secret and every
    token, so a seeded entropy makes a run replayable.
    """

    def __init__(
        self,
        settings: VNeIDSettings | None = None,
        *,
        clock: Clock | None = None,
        entropy: Entropy | None = None,
        state: StateFile | None = None,
        client_keys_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or VNeIDSettings()
        self.clock = OffsetClock(clock)
        self.entropy: Entropy = entropy or SystemEntropy()
        self.requests = RequestLog()
        self.lease = Lease(self.clock.base)
        """One user at a time (``/_harness/lease``), on real time."""
        self.signing_key = derive_signing_key(self.entropy)
        self.retired_keys: list[ECKey] = []
        """Keys rotated out (``signing_key_rotated``), still published: the newest one only."""
        self.faults = ArmedFaults()
        self.broken: Fault[Any] | None = (
            FAULTS.get(self.settings.broken_fault) if self.settings.broken_fault else None
        )
        """TEST ONLY (``settings.broken_fault``): the fault applied on every use, by every
        client, never consumed nor cleared; ``None`` for a correct provider."""
        self._subject_secret = self.entropy.randbytes(32)
        self.grants = Grants(
            self.clock,
            self.entropy,
            self.profile,
            PairwiseSubjects(self._subject_secret),
            skip=self.settings.skip_checks,
        )
        self._personas: dict[str, PersonaRecord] = {}
        self._clients: dict[str, ClientRecord] = {}
        self._lock = threading.Lock()
        self._state: StateFile | None = None
        self.client_auth = ClientAuthenticator(
            self._clients,
            issuer=self.issuer,
            token_endpoint=self.url(paths.TOKEN),
            clock=self.clock,
            skew=self.profile.clock_skew,
            check_secrets="client_secret" not in self.settings.skip_checks,
        )
        self.on_unknown_client: Callable[[str | None], None] | None = None
        """Told of each authorization request refused because no client with its
        ``client_id`` is registered (the ``client_id``; ``None``: it had none), before any
        token request could follow: the harness serving this provider to a relying party
        under test says, at the end, which ``client_id`` to give the run."""
        self.client_keys = ClientKeys(self.clock, client_keys_transport)
        """The JWK Sets of clients registered with a ``jwks_uri`` (fetched over the network
        unless ``client_keys_transport`` is given)."""
        if self.settings.register_vssid_client:
            self.register_client(
                ClientRecord(
                    self.profile.vssid_client_id,
                    self.profile.vssid_redirect_uris,
                    self.settings.vssid_auth_method,
                    self.settings.vssid_client_secret,
                    client_name="VssID",
                )
            )
        if state is not None:
            state.restore("vneid", self._restore)
            state.attach("vneid", self._snapshot)
            self._state = state
        routes = [
            *oidc_api.OidcApi(self).routes(),
            *app_api.AppApi(self).routes(),
            *web.WebFlow(self).routes(),
            *control.ControlApi(self).routes(),
        ]
        self.app = provider_app(
            [*routes, *docs_routes(routes, server=self.issuer)], log=self.requests, clock=self.clock
        )

    # -- the state file ----------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "personas": [p.to_json(redact=False) for p in self._personas.values()],
                "clients": [c.to_json(redact=False) for c in self._clients.values()],
                "subject_secret": self._subject_secret.hex(),
                # the callbacks of the profile it was written under (see _restore)
                "profile_redirect_uris": list(self.profile.vssid_redirect_uris),
            }

    def _restore(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise ValueError("the section must be an object")
        secret = data.get("subject_secret")
        if secret is not None:
            if (
                not isinstance(secret, str)
                or len(secret) != 64
                or not all(c in "0123456789abcdefABCDEF" for c in secret)
            ):
                raise ValueError(
                    "subject_secret must be 64 hexadecimal digits, as serve wrote "
                    "it; put back the value from a copy of the file, or remove "
                    "the field to draw a new secret (every citizen's sub then "
                    "changes, T-3)"
                )
            self._subject_secret = bytes.fromhex(secret)
            self.grants.subjects = PairwiseSubjects(self._subject_secret)
        restored: set[str] = set()
        for item in _records(data, "personas"):
            persona = PersonaRecord.from_json(item)
            held_once(restored, persona.personal_id, f"personal_id {persona.personal_id}")
            self.add_persona(persona)
        clients: set[str] = set()
        for item in _records(data, "clients"):
            try:
                client = ClientRecord.from_json(item)
            except ProtocolError as exc:  # e.g. stored before ids and secrets had to be ASCII
                named = item.get("client_id") if isinstance(item, Mapping) else None
                raise ProtocolError(
                    f"client {str(named)[:64]!r}: {exc.description}; remove "
                    "it from the file, then register it again with valid "
                    "values (POST /_harness/clients)",
                    clause=exc.clause,
                ) from None
            held_once(clients, client.client_id, f"client {client.client_id!r}")
            self.register_client(client, restoring=True)
        written_under = data.get("profile_redirect_uris", list(DEFAULT_PROFILE.vssid_redirect_uris))
        if self.settings.register_vssid_client and written_under != list(
            self.profile.vssid_redirect_uris
        ):
            self._add_profile_redirect_uris()

    def _add_profile_redirect_uris(self) -> None:
        """The state file was written under a profile with other callbacks (a file without
        the record: PROTOCOL.md's defaults), so its VssID client may lack this profile's:
        they are registered too, the stored ones kept. Under the same profile the stored
        registration stands as it is (a client re-registered through §11 stays so)."""
        wanted = self.profile.vssid_redirect_uris
        stored = self._clients.get(self.profile.vssid_client_id)
        if stored is None or all(uri in stored.redirect_uris for uri in wanted):
            return
        uris = (*wanted, *(uri for uri in stored.redirect_uris if uri not in wanted))
        if len(uris) > MAX_REDIRECT_URIS:
            raise ValueError(
                f"the client {stored.client_id!r} holds {len(stored.redirect_uris)} redirect "
                f"URIs; with this profile's callbacks it would hold more than "
                f"{MAX_REDIRECT_URIS}: remove some through POST /_harness/clients under the "
                "earlier profile, or start without this state file"
            )
        self.register_client(dataclasses.replace(stored, redirect_uris=uris))

    def _persist(self) -> None:
        if self._state is not None:
            self._state.save()

    # -- identity ------------------------------------------------------------------------
    @property
    def state_file(self) -> StateFile | None:
        """The state file this provider's personas and client registrations are kept in
        (``serve --state``), or None; the test-control API's changes go through it
        (:func:`mock_providers._http.persisting`)."""
        return self._state

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    @property
    def profile(self) -> Profile:
        return self.settings.profile

    def url(self, path: str) -> str:
        """``{issuer}{path}``: the public address of one of this provider's endpoints."""
        return f"{self.issuer}{path}"

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set served at ``jwks_uri`` (T-3, T-4)."""
        return public_jwks(self.signing_key, *self.retired_keys)

    def rotate_signing_key(self, key: ECKey | None = None) -> ECKey:
        """Sign with ``key`` (default: a new one from the entropy) from now on; the previous key
        stays published beside it (OIDF rp-key-rotation-op-sign-key)."""
        new = key if key is not None else derive_signing_key(self.entropy)
        with self._lock:
            self.retired_keys = [self.signing_key]
            self.signing_key = new
        return new

    # -- personas (§11) ------------------------------------------------------------------
    def add_persona(self, persona: PersonaRecord) -> PersonaRecord:
        """Add a citizen, or replace the one with the same ``personal_id``."""
        with self._lock:
            if persona.personal_id not in self._personas and len(self._personas) >= MAX_PERSONAS:
                raise ProtocolError(
                    f"the provider holds {MAX_PERSONAS} personas, its limit; "
                    "remove some first (DELETE /_harness/personas/{id})",
                    clause="A-4",
                )
            self._personas[persona.personal_id] = persona
        self._persist()
        return persona

    def remove_persona(self, personal_id: str) -> bool:
        with self._lock:
            removed = self._personas.pop(personal_id, None) is not None
        if removed:
            self._persist()
        return removed

    def persona(self, personal_id: str) -> PersonaRecord | None:
        return self._personas.get(personal_id)

    def personas(self) -> list[PersonaRecord]:
        with self._lock:
            return list(self._personas.values())

    # -- clients (§11) -------------------------------------------------------------------
    def register_client(self, client: ClientRecord, *, restoring: bool = False) -> ClientRecord:
        """Register a relying party, or replace the one with the same ``client_id``.
        ``restoring``: from the state file, which holds what this provider accepted, so the
        limit does not apply (its built-in client, deleted and registered again at the start,
        would otherwise make a full registry unrestorable)."""
        with self._lock:
            if (
                not restoring
                and client.client_id not in self._clients
                and len(self._clients) >= MAX_CLIENTS
            ):
                raise ProtocolError(
                    f"the provider holds {MAX_CLIENTS} clients, its limit; "
                    "remove some first (DELETE /_harness/clients/{client_id}) "
                    "or replace one (same client_id)",
                    clause="T-1",
                )
            self._clients[client.client_id] = client
        if client.jwks_uri is not None:  # registered again: fetch its keys anew
            self.client_keys.forget(client.jwks_uri)
        self._persist()
        return client

    def remove_client(self, client_id: str) -> bool:
        """Unregister a relying party (its armed faults and cached keys go with it)."""
        with self._lock:
            client = self._clients.pop(client_id, None)
        if client is None:
            return False
        self.faults.clear(client_id)
        if client.jwks_uri is not None:
            self.client_keys.forget(client.jwks_uri)
        self._persist()
        return True

    def client(self, client_id: str) -> ClientRecord | None:
        return self._clients.get(client_id)

    def clients(self) -> list[ClientRecord]:
        with self._lock:
            return list(self._clients.values())

    def verify_authorization(
        self, params: Mapping[str, str], undecodable: Sequence[str], repeated: Collection[str]
    ) -> VerifiedRequest:
        """An authorization request (A-2) of the web flow (``/authorize``) or of the VNeID
        app (``/api/app/v1/authorizations``), checked against the registered clients
        (:func:`~mock_providers.vneid.undecodable.verify_decodable`); one refused because its
        ``client_id`` is missing or not registered (``invalid_client``, S-3) is told to
        :attr:`on_unknown_client` first."""
        try:
            return verify_decodable(
                params, undecodable, self._clients, self.issuer, repeated, self.settings.skip_checks
            )
        except ProtocolError as exc:
            if exc.code == "invalid_client" and self.on_unknown_client is not None:
                self.on_unknown_client(params.get("client_id") or None)
            raise

    # -- faults (§11) -------------------------------------------------------------------
    def _known_client(self, client_id: str) -> str:
        if client_id not in self._clients:
            raise ProtocolError(
                f"no client with client_id {client_id[:80]!r}", code="not_found", clause="R-12"
            )
        return client_id

    def arm_fault(self, client_id: str, fault: str, times: int = 1) -> dict[str, Any]:
        """Arm ``fault`` (a name of :data:`~mock_providers.vneid.faults.FAULTS`) for the next
        ``times`` uses by ``client_id`` → ``{client_id, fault, remaining}``; arming it again
        adds to what remains. Unknown fault or bad ``times``: ``invalid_request``; unknown
        client: ``not_found``."""
        self.faults.check(fault, times)
        remaining = self.faults.arm(self._known_client(client_id), fault, times)
        return {"client_id": client_id, "fault": fault, "remaining": remaining}

    def clear_faults(self, client_id: str | None = None) -> int:
        """Disarm every fault, or only ``client_id``'s; returns how many were armed."""
        return self.faults.clear(None if client_id is None else self._known_client(client_id))

    def armed_faults(self) -> list[dict[str, Any]]:
        """``[{client_id, fault, remaining, clause, stage}]``."""
        return self.faults.armed()

    def inject(self, stage: Stage[T], client_id: str, value: T) -> T:
        """``value`` through the faults armed for ``client_id`` at ``stage`` (consumed), then
        through the provider's own bug (:attr:`broken`) when it is of ``stage``."""
        armed = self.faults.any_armed(client_id)
        if not armed and self.broken is None:
            return value
        ctx = FaultContext(
            issuer=self.issuer,
            client_id=client_id,
            now=self.clock.now(),
            signing_key=self.signing_key,
            entropy=self.entropy,
        )
        if armed:
            value = self.faults.apply(stage, value, ctx)
        if self.broken is not None and self.broken.stage is stage:
            value = self.broken.transform(value, ctx)
        return value

    def mint_id_token(self, client_id: str, claims: Mapping[str, Any]) -> str:
        """Sign an ID token for ``client_id`` (T-3) through the faults armed for it: the key,
        then the claims and the header, then the signed JWS."""
        key = self.inject(SIGNING_KEY, client_id, self.signing_key)
        if key is not self.signing_key:
            self.rotate_signing_key(key)
        payload = self.inject(ID_TOKEN_CLAIMS, client_id, dict(claims))
        header = self.inject(ID_TOKEN_HEADER, client_id, id_token_header(key))
        if "kid" not in header and self.retired_keys:
            # A token without kid is valid from a provider that publishes one key (OIDC Core
            # §10.1): a key rotated out earlier is withdrawn first (id_token_kid_absent).
            with self._lock:
                self.retired_keys = []
        return self.inject(ID_TOKEN_JWS, client_id, mint_jwt(payload, key, header))

    def held_secrets(self) -> list[str]:
        """Every secret this provider holds (S-5): the citizens' passcodes, the clients'
        secrets, the app sessions, codes and access tokens it issued. A test's report is
        scrubbed of them (the pytest plugin), whoever printed one (``pytest -l``'s locals, a
        team's assertion)."""
        with self._lock:
            found = [p.passcode for p in self._personas.values()]
            found += [c.client_secret for c in self._clients.values() if c.client_secret]
        grants = self.grants
        return [*found, *grants.sessions.keys(), *grants.codes.keys(), *grants.access_tokens.keys()]

    def is_locked(self, persona: PersonaRecord) -> bool:
        """Whether ``persona`` is locked, as this provider sees it (a deliberately broken one,
        ``skip_checks`` ``locked``, sees no lock; test only)."""
        return persona.locked and "locked" not in self.settings.skip_checks

    def gone_since(self, personal_id: str) -> str | None:
        """``"removed"`` or ``"locked"`` when the citizen can no longer use what they were
        given (§11 changed them since: a code, an access token), else ``None``."""
        persona = self._personas.get(personal_id)
        if persona is None:
            return "removed"
        return "locked" if self.is_locked(persona) else None

    # -- the flow ------------------------------------------------------------------------
    def login(self, personal_id: str, passcode: str) -> PersonaRecord:
        """A-4: the citizen's credentials. An unknown ``personal_id`` and a wrong passcode get
        the same ``invalid_credentials``; ``account_locked`` only after a correct passcode."""
        parse_personal_id(personal_id, clause="A-4")
        persona = self._personas.get(personal_id)
        expected = persona.passcode if persona is not None else ""
        matches = hmac.compare_digest(passcode.encode(), expected.encode())
        if persona is None or not matches:
            raise ProtocolError(
                "the personal_id or the passcode is wrong", code="invalid_credentials", clause="A-4"
            )
        if self.is_locked(persona):
            raise ProtocolError("the account is locked", code="account_locked", clause="A-4")
        return persona

    def session(self, session_token: str) -> tuple[Session, PersonaRecord]:
        """A-5: the live app session behind a Bearer token, and its (still active) citizen."""
        session = self.grants.sessions.get(session_token)
        persona = self._personas.get(session.personal_id) if session is not None else None
        if session is None or persona is None:
            raise ProtocolError(
                "the session is unknown or expired; log in again (A-4)",
                code="invalid_token",
                clause="A-5",
            )
        if self.is_locked(persona):  # locked since the session began: it ends with it
            self.grants.sessions.pop(session_token)
            raise ProtocolError(
                "the session ended: the account was locked since it began; "
                "log in again (A-4 refuses a locked account with "
                "account_locked)",
                code="invalid_token",
                clause="A-5",
            )
        return session, persona

    def authorize(
        self, request: VerifiedRequest, decision: str, persona: PersonaRecord, auth_time: float
    ) -> str:
        """The ``redirect_to`` for a verified request and the citizen's decision (A-5)."""
        client_id = request.client.client_id
        return complete(
            request,
            decision,
            persona,
            auth_time,
            self.grants,
            self.issuer,
            hook=lambda params: self.inject(AUTHZ_RESPONSE, client_id, params),
            skip=self.settings.skip_checks,
        )
