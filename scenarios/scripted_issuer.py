"""A VssID backend of the test's own, wired to a scripted issuer that answers exactly as told.

The fault catalog of the VNeID mock (§11 ``/_harness/faults``) covers the faults a provider
is likely to have; a relying party must also refuse what no catalog lists: an ``aud`` array
without ``azp``, a ``sub`` one character too long, an ``exp`` exactly at the skew, a JWKS
with keys of the wrong type, a payload that is not an object. :class:`ScriptedWorld` builds
its own embedded VssID backend (so it never touches the target under test) whose issuer is a
:class:`ScriptedIssuer`: discovery, JWKS, token and userinfo answers set by the test, on a
manual clock, every call recorded. The backend follows the profile it is given (PROTOCOL.md's
defaults unless told: pass the run's, ``run_profile(request.config)``): its client id, its
redirect URI, its app links and the app version it is called with.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey

from harness.embedded import SyncASGITransport
from harness.http_client import HarnessClient
from harness.protocol import (
    ACR_LEVEL2,
    DEFAULT_PROFILE,
    Entropy,
    ManualClock,
    Profile,
    SeededEntropy,
    add_query,
    parse_authorize_link,
)
from harness.protocol.keys import derive_private_key
from harness.targets import SCENARIO_PARTY
from harness.trace import Trace, ensure_traced
from mock_providers.defaults import EMBEDDED_VSSID_BASE_URL
from mock_providers.vssid import AccountRecord, VssIDProvider, VssIDSettings
from scenarios.support import app_headers

__all__ = [
    "BHXH_CODE",
    "CLIENT_ID",
    "DROP",
    "ISSUER",
    "PERSONAL_ID",
    "START",
    "SUB",
    "ScriptedIssuer",
    "ScriptedWorld",
    "assert_refused",
    "patched",
]

ISSUER = "http://id.scripted-vneid.test"
CLIENT_ID = DEFAULT_PROFILE.vssid_client_id
"""The client id of PROTOCOL.md's defaults (a :class:`ScriptedWorld` uses its profile's)."""
PERSONAL_ID = "001090012345"
BHXH_CODE = "0123456789"
FULL_NAME = "Nguyễn Văn An"
SUB = "sub-0001"
START = 1_767_225_600.0
APP_HEADERS = app_headers("vssid", platform="android", profile=DEFAULT_PROFILE)
"""The VssID app's headers at the minimum version of PROTOCOL.md's defaults."""


class _Drop:
    """A claim to leave out; shown as ``DROP`` (a bare ``object()`` was shown as
    ``<object object at 0x…>``, which changed the test's identity in reports every run)."""

    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
"""A patch value that removes the claim or header member."""


def patched(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch`` applied: a member set to :data:`DROP` is removed."""
    out = dict(base)
    for key, value in patch.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def es256_compact(header: Mapping[str, Any], payload: bytes, key: ECKey) -> str:
    """A compact JWS signed ES256 with ``key``, whatever ``header`` holds (RFC 7515 §7.1)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
    private_key = key.private_key
    assert private_key is not None, "es256_compact needs a private key"
    der = private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


@dataclass
class ScriptedIssuer:
    """Answers discovery, JWKS, token and userinfo as the test sets them."""

    clock: ManualClock
    client_id: str = CLIENT_ID
    """The ``aud`` of the ID tokens: the relying party's client id."""
    id_token_ttl: int = DEFAULT_PROFILE.id_token_ttl
    """How long the ID tokens live (``exp - iat``; a :class:`ScriptedWorld` uses its
    profile's)."""
    access_token_ttl: int = DEFAULT_PROFILE.access_token_ttl
    """The token answer's ``expires_in`` (a :class:`ScriptedWorld` uses its profile's)."""
    claims_patch: dict[str, Any] = field(default_factory=dict)
    header_patch: dict[str, Any] = field(default_factory=dict)
    userinfo_patch: dict[str, Any] = field(default_factory=dict)
    jwks: dict[str, Any] | None = None
    """The JWKS document to serve; ``None``: the public half of :attr:`signing_key`."""
    payload: bytes | None = None
    """Sign these bytes instead of the claims (a payload that is not a JSON object)."""
    id_token: Callable[[str], str] | None = None
    """Rewrites the signed ID token before it is sent."""
    length: int | None = None
    """Pad the claims and header so that the ID token has exactly this many characters."""
    calls: list[str] = field(default_factory=list)
    entropy: Entropy = field(default_factory=lambda: SeededEntropy("scripted/issuer"))
    """Where its keys come from (a :class:`ScriptedWorld` forks its seed's)."""

    def __post_init__(self) -> None:
        self.signing_key = self.key()
        self.nonce: str | None = None

    def key(self, kid: str | None = "key-1") -> ECKey:
        """A new private key with this ``kid`` from the issuer's entropy (a test's seed
        replays it): the signing key, or another to sign or publish instead."""
        return derive_private_key(self.entropy, kid)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def calls_to(self, path: str) -> list[str]:
        return [c for c in self.calls if c == path]

    def claims(self) -> dict[str, Any]:
        now = int(self.clock.now())
        base = {
            "iss": ISSUER,
            "sub": SUB,
            "aud": self.client_id,
            "exp": now + self.id_token_ttl,
            "iat": now,
            "auth_time": now - 5,
            "nonce": self.nonce,
            "acr": ACR_LEVEL2,
            "amr": ["pin"],
            "personal_id": PERSONAL_ID,
            "name": FULL_NAME,
        }
        return patched(base, self.claims_patch)

    def sign(self) -> str:
        token = self._sign(self.claims(), self.header_patch)
        if self.length is not None:
            token = self._padded(self.length)
        return self.id_token(token) if self.id_token is not None else token

    def _sign(self, claims: Mapping[str, Any], header_patch: Mapping[str, Any]) -> str:
        payload = self.payload if self.payload is not None else json.dumps(claims).encode()
        header = patched({"alg": "ES256", "kid": self.signing_key.kid}, header_patch)
        return es256_compact(header, payload, self.signing_key)

    def _padded(self, length: int) -> str:
        claims = self.claims()
        for pad in range(4):
            header = {**self.header_patch, "cty": "c" * (pad + 1)}
            bare = len(self._sign({**claims, "filler": ""}, header))
            guess = max(0, (length - bare) * 3 // 4 - 4)
            for filler in range(guess, guess + 12):
                token = self._sign({**claims, "filler": "x" * filler}, header)
                if len(token) == length:
                    return token
        raise AssertionError(f"no padding gives an ID token of {length} characters")

    def public_jwks(self, *keys: ECKey) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in keys or (self.signing_key,)]}

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "userinfo_endpoint": f"{ISSUER}/userinfo",
                },
            )
        if path == "/jwks":
            return httpx.Response(
                200, json=self.jwks if self.jwks is not None else self.public_jwks()
            )
        if path == "/token":
            form = dict(parse_qsl(request.content.decode()))
            assert form.get("code") == "scripted-code", form
            return httpx.Response(
                200,
                json={
                    "access_token": "scripted-access-token",
                    "token_type": "Bearer",
                    "expires_in": self.access_token_ttl,
                    "id_token": self.sign(),
                },
            )
        if path == "/userinfo":
            claims = self.claims()
            info = {"sub": claims.get("sub"), "personal_id": claims.get("personal_id")}
            return httpx.Response(200, json=patched(info, self.userinfo_patch))
        return httpx.Response(404, json={"error": "not_found"})


class ScriptedWorld:
    """A VssID backend of the test's own whose issuer is a :class:`ScriptedIssuer`, set up
    by ``profile`` (its client id, redirect URI, links and clock skew; called at its minimum
    version; the issuer's tokens live the profile's lifetimes)."""

    def __init__(
        self, *, seed: str = "scripted", profile: Profile = DEFAULT_PROFILE, **settings: Any
    ) -> None:
        """``seed``: what the backend's transaction ids, ``state``, ``nonce``, PKCE verifier
        and session tokens and the issuer's keys are drawn from (give the ``test_seed``
        fixture, so that the run's ``--seed`` replays them)."""
        self.profile = profile
        self.clock = ManualClock(START)
        entropy = SeededEntropy(seed)
        config = VssIDSettings(profile=profile, issuer=ISSUER, issuer_timeout=5.0, **settings)
        self.issuer = ScriptedIssuer(
            self.clock,
            client_id=config.client_id,
            id_token_ttl=profile.id_token_ttl,
            access_token_ttl=profile.access_token_ttl,
            entropy=entropy.fork("issuer"),
        )
        self.provider = VssIDProvider(
            config,
            clock=self.clock,
            entropy=entropy.fork("vssid"),
            issuer_transport=self.issuer.transport,
        )
        self.provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME))
        headers = app_headers("vssid", platform="android", profile=profile)
        self.http = HarnessClient(
            transport=SyncASGITransport(self.provider.app),
            base_url=EMBEDDED_VSSID_BASE_URL,
            headers=headers,
        )
        self.trace = Trace()
        """The test's calls to this backend (hand it to the ``adopt_trace`` fixture)."""
        ensure_traced(self.http, self.trace, SCENARIO_PARTY, "vssid-backend")

    def close(self) -> None:
        self.http.close()

    def start(self) -> tuple[str, dict[str, str]]:
        """A-1: a new login; its transaction id and the authorization request's parameters."""
        response = self.http.post("/api/v1/auth/vneid/start", json={})
        assert response.status_code == 200, response.text
        body = response.json()
        _, link = parse_authorize_link(body["authorize_url"], self.profile)
        return body["transaction_id"], dict(link.params)

    def complete(self, transaction_id: str, callback_url: str) -> httpx.Response:
        return self.http.post(
            "/api/v1/auth/vneid/complete",
            json={"transaction_id": transaction_id, "callback_url": callback_url},
        )

    def callback(self, request: Mapping[str, str], **params: str | None) -> str:
        """The callback the issuer would send for ``request`` (``params`` override, ``None``
        drops a parameter)."""
        response: dict[str, str | None] = {
            "code": "scripted-code",
            "state": request["state"],
            "iss": ISSUER,
            **params,
        }
        return add_query(
            request["redirect_uri"], [(k, v) for k, v in response.items() if v is not None]
        )

    def login(self, **params: str | None) -> httpx.Response:
        """Start, let the scripted issuer answer, complete."""
        transaction_id, request = self.start()
        self.issuer.nonce = request.get("nonce")
        return self.complete(transaction_id, self.callback(request, **params))


def assert_refused(
    response: httpx.Response, status: int, error: str, clause: str
) -> dict[str, Any]:
    """The §8 error JSON with this status, code and clause, and a description (R-12)."""
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert (body.get("error"), body.get("clause")) == (error, clause), body
    assert isinstance(body.get("error_description"), str), body
    assert body["error_description"], body
    assert "session_token" not in body, "R-12: a failed check yields no session"
    return body
