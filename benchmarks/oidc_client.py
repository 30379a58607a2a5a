"""One OpenID Connect client (aiohttp) for every provider ``bench_served.py`` measures.

The same code drives each provider through the authorization-code flow with PKCE (S256):
discovery and JWKS once per provider (as any client caches them), then per flow the
authorization request, the login the provider's page asks for, the token request with the
client authentication its discovery document offers (``client_secret_basic``, else
``private_key_jwt``, else ``none``), and the ID token's validation (signature against the
JWKS, ``iss``, ``aud``, ``exp``, ``nonce``; an encrypted ID token is decrypted first).

The logins the client knows, chosen by what the authorization endpoint answers: a redirect
straight back (oauth2-mock-server approves at once); MockPass's login page, whose profile
list carries each profile's assertion URL (the client takes the first profile); the VNeID
login form and then its consent form (the harness's provider, A-4 and A-5).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from joserfc import jwe, jws, jwt
from joserfc.jwk import ECKey, KeySet

__all__ = ["Client", "ClientConfig", "FlowError"]

_REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')
_ASSERT_URL = re.compile(r'data-asserturl="([^"]+)"')
_FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class FlowError(Exception):
    """A flow that did not end in a valid ID token; ``kind`` names the step."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


@dataclass
class ClientConfig:
    """The client as registered at a provider, and the citizen it logs in as."""

    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str | None = None
    signing_key: ECKey | None = None
    """For ``private_key_jwt``."""
    signing_alg: str = "ES256"
    decryption_keys: KeySet | None = None
    """For an encrypted ID token."""
    username: str | None = None
    password: str | None = None
    discovery_path: str = "/.well-known/openid-configuration"
    scope: str = "openid"


@dataclass
class Client:
    config: ClientConfig
    discovery: dict[str, Any] = field(default_factory=dict)
    keys: KeySet | None = None
    auth_method: str = "none"

    async def prepare(self, http: aiohttp.ClientSession) -> None:
        """Discovery and JWKS, once."""
        url = self.config.issuer.rstrip("/") + self.config.discovery_path
        async with http.get(url) as response:
            self.discovery = await response.json(content_type=None)
        async with http.get(self.discovery["jwks_uri"]) as response:
            self.keys = KeySet.import_key_set(await response.json(content_type=None))
        offered = self.discovery.get(
            "token_endpoint_auth_methods_supported", ["client_secret_basic"]
        )
        if "client_secret_basic" in offered and self.config.client_secret is not None:
            self.auth_method = "client_secret_basic"
        elif "private_key_jwt" in offered and self.config.signing_key is not None:
            self.auth_method = "private_key_jwt"
        else:
            self.auth_method = "none"

    async def flow(self, http: aiohttp.ClientSession) -> dict[str, Any]:
        """One authorization-code flow with PKCE; the validated ID token's claims."""
        cfg = self.config
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        params = {
            "response_type": "code",
            "client_id": cfg.client_id,
            "redirect_uri": cfg.redirect_uri,
            "scope": cfg.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        async with http.get(
            self.discovery["authorization_endpoint"], params=params, allow_redirects=False
        ) as response:
            callback = await self._login(http, response)
        query = parse_qs(urlsplit(callback).query)
        if query.get("state") != [state] or "code" not in query:
            raise FlowError("callback", f"no code or a wrong state in {callback[:200]}")
        form = {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": cfg.redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        if self.auth_method == "client_secret_basic":
            pair = f"{cfg.client_id}:{cfg.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            form["client_id"] = cfg.client_id
            if self.auth_method == "private_key_jwt":
                form["client_assertion_type"] = ASSERTION_TYPE
                form["client_assertion"] = self._assertion()
        async with http.post(
            self.discovery["token_endpoint"], data=form, headers=headers
        ) as response:
            body = await response.json(content_type=None)
            if response.status != 200 or "id_token" not in body:
                raise FlowError("token", f"HTTP {response.status}: {str(body)[:200]}")
        return self._validate(body["id_token"], nonce)

    async def _login(self, http: aiohttp.ClientSession, response: aiohttp.ClientResponse) -> str:
        """Whatever the provider's authorization page asks for, up to the redirect back."""
        for _ in range(4):
            if response.status in (302, 303):
                return response.headers["Location"]
            page = await response.text()
            if response.status != 200:
                raise FlowError("authorize", f"HTTP {response.status}: {page[:200]}")
            profile = _ASSERT_URL.search(page)
            if profile is not None:  # MockPass: the first profile's assertion URL
                return html.unescape(profile.group(1))
            request_id, action = _REQUEST_ID.search(page), _FORM_ACTION.search(page)
            if request_id is None or action is None:
                raise FlowError("authorize", f"an unknown login page: {page[:200]}")
            form = {"request_id": html.unescape(request_id.group(1))}
            if 'name="passcode"' in page:  # VNeID: the login form ...
                form |= {
                    "personal_id": self.config.username or "",
                    "passcode": self.config.password or "",
                }
            else:  # ... then the consent form
                form["decision"] = "approve"
            async with http.post(
                html.unescape(action.group(1)), data=form, allow_redirects=False
            ) as next_response:
                if next_response.status in (302, 303):
                    return next_response.headers["Location"]
                response = next_response
                await response.read()
        raise FlowError("authorize", "the login took more than four pages")

    def _assertion(self) -> str:
        key = self.config.signing_key
        assert key is not None
        now = int(time.time())
        claims = {
            "iss": self.config.client_id,
            "sub": self.config.client_id,
            "aud": self.discovery["issuer"],
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        }
        alg = self.config.signing_alg
        return jwt.encode({"alg": alg, "typ": "JWT", "kid": key.kid}, claims, key, algorithms=[alg])

    def _validate(self, id_token: str, nonce: str) -> dict[str, Any]:
        if id_token.count(".") == 4:  # a JWE: decrypt, then verify the JWS inside
            if self.config.decryption_keys is None:
                raise FlowError("id_token", "encrypted, and no decryption key")
            decrypted = jwe.decrypt_compact(
                id_token,
                self.config.decryption_keys,
                algorithms=["ECDH-ES+A256KW", "ECDH-ES+A192KW", "ECDH-ES+A128KW", "A256CBC-HS512"],
            )
            id_token = (decrypted.plaintext or b"").decode()
        compact = jws.extract_compact(id_token.encode())
        alg = compact.headers().get("alg", "")
        assert self.keys is not None
        try:
            token = jwt.decode(id_token, self.keys, algorithms=[alg])
        except Exception as exc:
            raise FlowError("id_token", f"signature: {exc}") from None
        claims = token.claims
        now = time.time()
        if claims.get("iss") != self.discovery["issuer"]:
            raise FlowError("id_token", f"iss {claims.get('iss')!r}")
        aud = claims.get("aud")
        if self.config.client_id not in (aud if isinstance(aud, list) else [aud]):
            raise FlowError("id_token", f"aud {aud!r}")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] + 60 < now:
            raise FlowError("id_token", "expired")
        if "nonce" in claims and claims["nonce"] != nonce:
            raise FlowError("id_token", "nonce")
        return claims
