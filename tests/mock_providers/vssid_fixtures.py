"""Fixtures for the VssID backend tests: a controllable fake VNeID issuer and a wired world.

The fake issuer is deliberately small and *obedient*: a test sets the exact ID-token claims,
header and signing mode, the token and userinfo answers, and it records every call it gets,
so each relying-party check (R-1…R-12, T-1…T-5) can be faulted one at a time. It still checks
what the relying party sends (client authentication, PKCE, redirect URI) so the happy path
proves T-1 too. Test files import what they need from here explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus

import httpx
from joserfc import jws
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.embedded import SyncASGITransport
from harness.protocol import (
    ACR_LEVEL2,
    Clock,
    ManualClock,
    add_query,
    parse_authorize_link,
    verify_s256,
)
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET, EMBEDDED_VSSID_BASE_URL
from mock_providers.vssid import AccountRecord, VssIDProvider, VssIDSettings
from scenarios.scripted_issuer import (  # one definition for the scenario and unit tests
    APP_HEADERS,
    BHXH_CODE,
    CLIENT_ID,
    DROP,
    FULL_NAME,
    PERSONAL_ID,
    START,
    SUB,
    patched,
)

__all__ = [
    "APP_HEADERS",
    "BHXH_CODE",
    "CLIENT_ID",
    "DROP",
    "FULL_NAME",
    "ISSUER",
    "PERSONAL_ID",
    "START",
    "SUB",
    "FakeIssuer",
    "VssIDWorld",
    "assert_error",
    "b64url",
    "world_fixture",
]

ISSUER = "http://id.fake-vneid.test"

SignMode = Literal["es256", "none", "hs256_public_key", "wrong_key", "tampered"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class IssuerCall:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class _Grant:
    challenge: str
    redirect_uri: str
    nonce: str | None
    used: bool = False


@dataclass
class FakeIssuer:
    """A fake VNeID: discovery, JWKS, token and userinfo, all steerable from a test."""

    clock: Clock
    issuer: str = ISSUER
    client_id: str = CLIENT_ID
    client_secret: str = DEFAULT_VSSID_CLIENT_SECRET
    sign_mode: SignMode = "es256"
    claims_patch: dict[str, Any] = field(default_factory=dict)
    header_patch: dict[str, Any] = field(default_factory=dict)
    token_patch: dict[str, Any] = field(default_factory=dict)
    token_error: tuple[int, dict[str, Any]] | None = None
    userinfo_patch: dict[str, Any] = field(default_factory=dict)
    deliver_to: str | None = None
    """Where :meth:`approve` sends the callback instead of the request's ``redirect_uri``."""
    discovery_patch: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Path → (status, body): answer that path with this text instead (garbage, HTML, …)."""
    calls: list[IssuerCall] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = ECKey.generate_key("P-256", parameters={"kid": "key-1"}, private=True)
        self.signing_key = self.key
        self.published: list[ECKey] = [self.key]
        self._grants: dict[str, _Grant] = {}
        self._access_tokens: set[str] = set()
        self.app = Starlette(
            routes=[
                Route(
                    "/.well-known/openid-configuration",
                    self._serve(self._discovery),
                    methods=["GET"],
                ),
                Route("/jwks", self._serve(self._jwks), methods=["GET"]),
                Route("/token", self._serve(self._token), methods=["POST"]),
                Route("/userinfo", self._serve(self._userinfo), methods=["GET"]),
            ]
        )

    # -- steering ------------------------------------------------------------------------
    def rotate_key(self, kid: str = "key-2") -> ECKey:
        """Sign with a new key from now on, and publish only it."""
        self.signing_key = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
        self.published = [self.signing_key]
        return self.signing_key

    def calls_to(self, path: str) -> list[IssuerCall]:
        return [c for c in self.calls if c.path == path]

    def approve(self, authorize_url: str, **params: str | None) -> str:
        """Play VNeID approving the request: the callback URL (``params`` override or, with
        ``None``, drop ``code``, ``state`` or ``iss``)."""
        _, link = parse_authorize_link(authorize_url)
        request = link.params
        code = f"code-{len(self._grants) + 1}"
        self._grants[code] = _Grant(
            request["code_challenge"], request["redirect_uri"], request.get("nonce")
        )
        response: dict[str, str | None] = {
            "code": code,
            "state": request["state"],
            "iss": self.issuer,
            **params,
        }
        pairs = [(k, v) for k, v in response.items() if v is not None]
        return add_query(self.deliver_to or request["redirect_uri"], pairs)

    def deny(self, authorize_url: str, error: str = "access_denied", **params: str) -> str:
        """Play VNeID sending an error back by redirect (A-7)."""
        _, link = parse_authorize_link(authorize_url)
        response = {
            "error": error,
            "error_description": "the user cancelled",
            "state": link.params["state"],
            "iss": self.issuer,
            **params,
        }
        return add_query(link.params["redirect_uri"], list(response.items()))

    # -- the ID token ----------------------------------------------------------------------
    def claims_for(self, nonce: str | None) -> dict[str, Any]:
        now = int(self.clock.now())
        base = {
            "iss": self.issuer,
            "sub": SUB,
            "aud": self.client_id,
            "exp": now + 600,
            "iat": now,
            "auth_time": now - 5,
            "nonce": nonce,
            "acr": ACR_LEVEL2,
            "amr": ["pwd"],
            "personal_id": PERSONAL_ID,
            "name": FULL_NAME,
            "birthdate": "1990-05-17",
            "gender": "male",
        }
        return patched(base, self.claims_patch)

    def sign(self, claims: Mapping[str, Any]) -> str:
        payload = json.dumps(claims).encode()
        mode = self.sign_mode
        if mode == "none":
            header = patched({"alg": "none"}, self.header_patch)
            return f"{b64url(json.dumps(header).encode())}.{b64url(payload)}."
        if mode == "hs256_public_key":
            # The attack of R-5: HMAC keyed with the issuer's *public* key.
            header = patched({"alg": "HS256", "kid": self.key.kid}, self.header_patch)
            secret = self.key.as_pem(private=False)
            signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
            mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{b64url(mac)}"
        key = self.signing_key
        if mode == "wrong_key":
            key = ECKey.generate_key("P-256", private=True)
        header = patched({"alg": "ES256", "kid": self.signing_key.kid}, self.header_patch)
        token = jws.serialize_compact(header, payload, key, algorithms=["ES256"])
        if mode == "tampered":
            head, _, sig = token.split(".")
            forged = json.dumps({**claims, "personal_id": "079300000001"}).encode()
            return f"{head}.{b64url(forged)}.{sig}"
        return token

    # -- endpoints -------------------------------------------------------------------------
    def _serve(
        self, handler: Callable[[IssuerCall], Response]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Record the call, then answer with ``raw`` for its path or with ``handler``."""

        async def endpoint(request: Request) -> Response:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            call = IssuerCall(request.method, request.url.path, dict(request.headers), form)
            self.calls.append(call)
            if call.path in self.raw:
                status, text = self.raw[call.path]
                return Response(text, status_code=status, media_type="text/html")
            return handler(call)

        return endpoint

    def _discovery(self, call: IssuerCall) -> Response:
        doc = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["urn:vneid:loa:1", ACR_LEVEL2],
            "authorization_response_iss_parameter_supported": True,
        }
        return JSONResponse(patched(doc, self.discovery_patch))

    def _jwks(self, call: IssuerCall) -> Response:
        return JSONResponse({"keys": [k.as_dict(private=False) for k in self.published]})

    def _client_ok(self, call: IssuerCall) -> bool:
        auth = call.headers.get("authorization", "")
        if auth.startswith("Basic "):
            raw = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = raw.partition(":")
            pair = (unquote_plus(client_id), unquote_plus(secret))
        else:
            pair = (call.form.get("client_id", ""), call.form.get("client_secret", ""))
        return pair == (self.client_id, self.client_secret)

    def _token(self, call: IssuerCall) -> Response:
        if self.token_error is not None:
            status, body = self.token_error
            return JSONResponse(body, status_code=status)
        if not self._client_ok(call):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = call.form
        grant = self._grants.get(form.get("code", ""))
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.used
            or form.get("redirect_uri") != grant.redirect_uri
            or not verify_s256(form.get("code_verifier", ""), grant.challenge)
        ):
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "code, redirect_uri or verifier wrong",
                },
                status_code=400,
            )
        grant.used = True
        access_token = f"at-{len(self._access_tokens) + 1}"
        self._access_tokens.add(access_token)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 600,
            "id_token": self.sign(self.claims_for(grant.nonce)),
        }
        return JSONResponse(patched(body, self.token_patch))

    def _userinfo(self, call: IssuerCall) -> Response:
        token = call.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self._access_tokens:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims = self.claims_for(None)
        info = {
            "sub": claims.get("sub"),
            "personal_id": claims.get("personal_id"),
            "name": claims.get("name"),
        }
        return JSONResponse(patched(info, self.userinfo_patch))


class VssIDWorld:
    """A VssID provider wired to a :class:`FakeIssuer`, and an app-API client for it."""

    def __init__(
        self, *, transport: httpx.AsyncBaseTransport | None = None, **settings: Any
    ) -> None:
        self.clock = ManualClock(START)
        self.fake = FakeIssuer(self.clock)
        base = VssIDSettings(issuer=ISSUER, client_id=CLIENT_ID, issuer_timeout=2.0)
        self.settings = base.evolve(**settings)
        self.fake.client_secret = self.settings.client_secret
        self.provider = VssIDProvider(
            self.settings,
            clock=self.clock,
            issuer_transport=transport or httpx.ASGITransport(app=self.fake.app),
        )
        self.provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME))
        self.client = self.client_from(("127.0.0.1", 50000))

    def client_from(
        self, address: tuple[str, int], headers: Mapping[str, str] = APP_HEADERS
    ) -> httpx.Client:
        transport = SyncASGITransport(self.provider.app, client=address)
        return httpx.Client(
            transport=transport, base_url=EMBEDDED_VSSID_BASE_URL, headers=dict(headers)
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> VssIDWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the flow ----------------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        response = self.client.post("/api/v1/auth/vneid/start", json={})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def complete(self, transaction_id: str, callback_url: str) -> httpx.Response:
        return self.client.post(
            "/api/v1/auth/vneid/complete",
            json={"transaction_id": transaction_id, "callback_url": callback_url},
        )

    def login(self, **callback_params: str | None) -> httpx.Response:
        """Start, let the fake approve (``callback_params`` tamper with the callback), complete."""
        started = self.start()
        callback = self.fake.approve(started["authorize_url"], **callback_params)
        return self.complete(started["transaction_id"], callback)


def world_fixture(**settings: Any) -> Iterator[VssIDWorld]:
    """Body of a ``world`` fixture: ``yield from world_fixture()``."""
    with VssIDWorld(**settings) as world:
        yield world


def assert_error(response: httpx.Response, status: int, error: str, clause: str) -> dict[str, Any]:
    """The §8 error JSON with this status, code and clause (and a description)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert body["clause"] == clause, body
    assert isinstance(body["error_description"], str), body
    assert body["error_description"], body
    return body
