"""A scripted relying party: the harness playing a VNeID client to probe the provider.

Where a scenario needs the code, the verifier or the token response in its own hands (code
reuse T-2, PKCE S-1/S-4, redirect URIs S-2/S-3), it registers a client of its own through the
control API (§11), builds the authorization link (A-2) itself, lets the phone's VNeID app log
the user in, receives the callback in an app that claims its own scheme, and calls the token
and userinfo endpoints directly — as the OpenID conformance suite does when it tests a
provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from harness.protocol import (
    ACR_LEVEL2,
    AuthorizationRequest,
    Entropy,
    LinkForm,
    Profile,
    SeededEntropy,
    parse_callback,
    s256_challenge,
)
from harness.targets import VNeIDHandle

__all__ = ["Login", "TestRelyingParty", "TokenResult"]

RP_SCHEME = "harnessrp"


@dataclass(frozen=True)
class Login:
    """One authorization request the relying party made, with its secrets."""

    request: AuthorizationRequest
    code_verifier: str
    link: str


@dataclass(frozen=True)
class TokenResult:
    status: int
    body: dict[str, Any]

    @property
    def error(self) -> str | None:
        value = self.body.get("error")
        return value if isinstance(value, str) else None


@dataclass
class TestRelyingParty:
    """A confidential client registered at the VNeID provider under test."""

    __test__ = False  # not a pytest test class

    vneid: VNeIDHandle
    profile: Profile
    entropy: Entropy = field(default_factory=lambda: SeededEntropy(0))
    client_id: str = "harness-rp"
    client_secret: str = "harness-rp-secret"
    redirect_uri: str = f"{RP_SCHEME}://callback"
    auth_method: str = "client_secret_basic"
    extra_redirect_uris: tuple[str, ...] = ()
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    def register(self) -> TestRelyingParty:
        self.vneid.register_client({
            "client_id": self.client_id, "client_secret": self.client_secret,
            "redirect_uris": [self.redirect_uri, *self.extra_redirect_uris],
            "token_endpoint_auth_method": self.auth_method,
        })
        return self

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = self.vneid.client()
        return self._http

    def login(self, *, form: LinkForm = LinkForm.CUSTOM_SCHEME, **overrides: Any) -> Login:
        """A fresh authorization request (A-2) as an app link; ``overrides`` change fields."""
        verifier = self.entropy.token(32)
        request = AuthorizationRequest(
            client_id=self.client_id, redirect_uri=self.redirect_uri,
            state=self.entropy.token(16), nonce=self.entropy.token(16),
            code_challenge=s256_challenge(verifier), scope=self.profile.scope,
            acr_values=ACR_LEVEL2,
        )
        request = replace(request, **overrides)
        return Login(request, verifier, request.to_link(form, self.profile))

    def redeem(self, code: str | None, verifier: str | None, *,
               redirect_uri: str | None = None, client_id: str | None = None,
               client_secret: str | None = None) -> TokenResult:
        """POST /token (T-1) with ``client_secret_basic``; ``None`` leaves a parameter out."""
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri or self.redirect_uri, "code_verifier": verifier}
        data = {k: v for k, v in form.items() if v is not None}
        auth = (client_id or self.client_id, client_secret or self.client_secret)
        response = self.http.post("/token", data=data, auth=auth)
        return TokenResult(response.status_code, _json(response))

    def userinfo(self, access_token: str) -> TokenResult:
        response = self.http.get("/userinfo",
                                 headers={"Authorization": f"Bearer {access_token}"})
        return TokenResult(response.status_code, _json(response))

    def code_from(self, callback_url: str) -> str:
        code = parse_callback(callback_url, self.profile).code
        if code is None:
            raise AssertionError(f"the callback carries no code: {callback_url[:200]}")
        return code

    def close(self) -> None:
        if self._http is not None:
            self._http.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"_raw": response.text[:500]}
    return body if isinstance(body, dict) else {"_raw": body}
