"""A scripted relying party: the harness playing a VNeID client to probe the provider.

Where a scenario needs the code, the verifier or the token response in its own hands (code
reuse T-2, PKCE S-1/S-4, redirect URIs S-2/S-3), it registers a client of its own through the
control API (§11), builds the authorization link (A-2) itself, lets the phone's VNeID app log
the user in, receives the callback in an app that claims its own scheme, and calls the token
and userinfo endpoints its discovery document lists (T-4) directly — as the OpenID
conformance suite does when it tests a provider. It authenticates at the token endpoint with
any method of T-1 (``client_secret_basic``, ``client_secret_post``, or ``private_key_jwt``
with an ES256 key of its own, RFC 7523).

Given a :class:`~harness.trace.Trace` (the ``rp`` fixture gives it one), its calls to the
provider are recorded there as the ``harness-rp`` party, like the apps' calls on a phone, so
reports show the probing hops too; its client secret is remembered for scrubbing (S-5).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Final

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey

from harness.apps.vneid import SERVER as VNEID_SERVER
from harness.errors import ConfigError
from harness.http_client import Answer, call_name
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
from harness.protocol.basic_auth import encode_basic
from harness.protocol.client_auth import ASSERTION_TYPE, AUTH_METHODS
from harness.protocol.keys import derive_private_key
from harness.protocol.redaction import redact_json
from harness.protocol.text import clip
from harness.targets import VNeIDHandle, note_secrets
from harness.trace import Trace, ensure_traced

__all__ = ["ASSERTION_TYPE", "AUTH_METHODS", "Login", "RP_PARTY", "TestRelyingParty", "TokenResult"]

RP_SCHEME = "harnessrp"
RP_PARTY = "harness-rp"
"""The name of the harness's relying party in a trace (its receiver app has the same id)."""
ASSERTION_LIFETIME = 60
"""Seconds a client assertion of :meth:`TestRelyingParty.client_assertion` lives."""


DEFAULT_RP_CLIENT_SECRET = "harness-rp-secret"
"""The secret of the harness's own relying party (``client_secret_basic``): known, and still
kept out of reports (S-5)."""


@dataclass(frozen=True)
class Login:
    """One authorization request the relying party made, with its secrets."""

    request: AuthorizationRequest
    code_verifier: str
    link: str


class _Registered(enum.Enum):
    REGISTERED = "the client's registered redirect_uri"

    def __repr__(self) -> str:
        return "REGISTERED"


REGISTERED: Final = _Registered.REGISTERED
"""``redeem``'s default ``redirect_uri``: the client's own (``None`` leaves it out)."""


@dataclass(frozen=True)
class TokenResult:
    status: int
    body: dict[str, Any]
    sent_authorization: bool = False
    """Whether the request carried an ``Authorization`` header (``client_secret_basic``, a
    Bearer token): RFC 6749 §5.2 ties a 401 ``invalid_client`` to it."""
    sent_scheme: str | None = None
    """The auth-scheme of that header in lower case (``basic``, ``bearer``), or ``None``:
    RFC 6749 §5.2 wants the 401's challenge to match it."""
    challenges: tuple[str, ...] = ()
    """The response's ``WWW-Authenticate`` fields as sent (RFC 9110 §11.6.1)."""

    def __repr__(self) -> str:
        """With the body's secrets redacted (S-5): pytest prints it in a failure's explanation,
        shortened in the middle, where the end of an ID token no scrub recognises stayed."""
        return (
            f"TokenResult(status={self.status}, body={redact_json(self.body)!r}, "
            f"sent_scheme={self.sent_scheme!r}, challenges={self.challenges!r})"
        )

    @property
    def error(self) -> str | None:
        value = self.body.get("error")
        return value if isinstance(value, str) else None

    @classmethod
    def of(cls, response: httpx.Response, body: dict[str, Any]) -> TokenResult:
        """The result of ``response`` (with its JSON ``body``): its status, the scheme of the
        ``Authorization`` header its request carried and its challenges."""
        sent = response.request.headers.get("authorization")
        return cls(
            response.status_code,
            body,
            sent_authorization=sent is not None,
            sent_scheme=None if sent is None else sent.split(" ", 1)[0].lower(),
            challenges=tuple(response.headers.get_list("www-authenticate")),
        )


@dataclass
class TestRelyingParty:
    """A confidential client registered at the VNeID provider under test.

    ``auth_method`` is how it authenticates at the token endpoint (T-1); for
    ``private_key_jwt`` it registers the public half of ``signing_key`` (an ES256 key made at
    :meth:`register` when none is given) and signs a fresh assertion for every redemption.
    Use it as a context manager to close its HTTP client."""

    __test__ = False  # not a pytest test class

    vneid: VNeIDHandle
    profile: Profile
    entropy: Entropy = field(default_factory=lambda: SeededEntropy(0))
    client_id: str = "harness-rp"
    client_secret: str = field(default=DEFAULT_RP_CLIENT_SECRET, repr=False)  # S-5
    redirect_uri: str = f"{RP_SCHEME}://callback"
    auth_method: str = "client_secret_basic"
    extra_redirect_uris: tuple[str, ...] = ()
    signing_key: ECKey | None = field(default=None, repr=False)
    trace: Trace | None = field(default=None, repr=False)
    """Where its HTTP calls are recorded (``None``: nowhere); variants share it."""
    party: str = RP_PARTY
    """Who makes its calls in the trace (drawn by name in the sequence diagram): the
    harness's relying party, or e.g. ``"hijacker"``, an app that stole a code."""
    _http: httpx.Client | None = field(default=None, init=False, repr=False)
    _discovery: dict[str, Any] | None = field(default=None, init=False, repr=False)
    """The provider's discovery document, read once (by the first endpoint asked for)."""

    def register(self) -> TestRelyingParty:
        """Register (or replace) this client at the provider through the control API (§11)."""
        if self.auth_method not in AUTH_METHODS:
            raise ConfigError(
                f"auth_method must be one of {', '.join(AUTH_METHODS)}, got {self.auth_method!r}"
            )
        client: dict[str, Any] = {
            "client_id": self.client_id,
            "redirect_uris": [self.redirect_uri, *self.extra_redirect_uris],
            "token_endpoint_auth_method": self.auth_method,
        }
        if self.auth_method == "private_key_jwt":
            if self.signing_key is None:
                self.signing_key = derive_private_key(self.entropy, f"{self.client_id}-key")
            client["jwks"] = {"keys": [self.signing_key.as_dict(private=False)]}
        else:
            client["client_secret"] = self.client_secret
        if self.trace is not None:
            self.trace.remember_secrets(self.client_secret)
        note_secrets(self.client_secret)
        self.vneid.register_client(client)
        return self

    def variant(self, **changes: Any) -> TestRelyingParty:
        """Another client like this one (same provider, profile, entropy and redirect URI)
        with ``changes`` (``client_id``, ``auth_method``, …), registered."""
        return replace(self, **changes).register()

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = self.vneid.client(traced=False)
            if self.trace is not None:
                ensure_traced(self._http, self.trace, self.party, VNEID_SERVER)
        return self._http

    def login(self, *, form: LinkForm = LinkForm.CUSTOM_SCHEME, **overrides: Any) -> Login:
        """A fresh authorization request (A-2) as an app link; ``overrides`` change fields."""
        verifier = self.entropy.token(32)
        if self.trace is not None:
            self.trace.remember_secrets(verifier)
        note_secrets(verifier)  # a client without a trace (a property test's world) too
        request = AuthorizationRequest(
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            state=self.entropy.token(16),
            nonce=self.entropy.token(16),
            code_challenge=s256_challenge(verifier),
            scope=self.profile.scope,
            acr_values=ACR_LEVEL2,
        )
        request = replace(request, **overrides)
        return Login(request, verifier, request.to_link(form, self.profile))

    @property
    def token_endpoint(self) -> str:
        """The provider's token endpoint, from its discovery document (T-4)."""
        return self._endpoint("token_endpoint")

    @property
    def userinfo_endpoint(self) -> str:
        """The provider's userinfo endpoint, from its discovery document (T-4)."""
        return self._endpoint("userinfo_endpoint")

    def _endpoint(self, name: str) -> str:
        """The URL discovery lists under ``name`` (OpenID Connect Discovery §3: an absolute
        URL, on the provider's host or another)."""
        if self._discovery is None:
            self._discovery = self.vneid.discovery()
        url = self._discovery.get(name)
        if not isinstance(url, str) or not url:
            listed = ", ".join(sorted(map(str, self._discovery))) or "nothing"
            raise AssertionError(
                f"T-4: expected the discovery document to list {name} (an absolute URL, "
                "OpenID Connect Discovery §3), observed "
                f"{'none' if url is None else repr(url)[:80]}; it lists {clip(listed, 300)}"
            )
        return url

    def client_assertion(self, *, audience: str | None = None, jti: str | None = None) -> str:
        """A ``private_key_jwt`` assertion (RFC 7523 §3): ``iss`` = ``sub`` = the client id,
        ``aud`` the token endpoint (or ``audience``), a fresh random ``jti`` (or ``jti``),
        living :data:`ASSERTION_LIFETIME` seconds, signed ES256 with ``signing_key``."""
        if self.signing_key is None:
            raise ConfigError(
                f"{self.client_id!r} has no signing key: register it with "
                "auth_method='private_key_jwt' first"
            )
        now = int(self.vneid.now())  # the provider's clock, moved or frozen by the test
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_endpoint if audience is None else audience,
            # random, not from the seed: a provider that remembers the jtis it saw
            # (RFC 7523 §3) would refuse the same test run again as a replay
            "jti": secrets.token_urlsafe(16) if jti is None else jti,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        header = {"alg": "ES256", "typ": "JWT", "kid": self.signing_key.kid}
        return jwt.encode(header, claims, self.signing_key, algorithms=["ES256"])

    def redeem(
        self,
        code: str | None,
        verifier: str | None,
        *,
        redirect_uri: str | _Registered | None = REGISTERED,
        client_id: str | None = None,
        client_secret: str | None = None,
        auth_method: str | None = None,
        client_assertion: str | None = None,
        grant_type: str = "authorization_code",
    ) -> TokenResult:
        """POST to the discovered token endpoint (T-1), authenticated by ``auth_method``
        (default: the registered one); ``client_assertion`` replaces the fresh one of
        ``private_key_jwt``. ``redirect_uri`` is the registered one unless given. A ``None``
        code, verifier or redirect URI leaves that parameter out."""
        form = {
            "grant_type": grant_type,
            "code": code,
            "redirect_uri": self.redirect_uri if redirect_uri is REGISTERED else redirect_uri,
            "code_verifier": verifier,
        }
        data = {k: v for k, v in form.items() if v is not None}
        # None, not "": an empty value is the test's (a provider must refuse it, T-1)
        method = self.auth_method if auth_method is None else auth_method
        who = self.client_id if client_id is None else client_id
        secret = self.client_secret if client_secret is None else client_secret
        headers: dict[str, str] = {}  # no Authorization header but Basic's
        if method == "client_secret_basic":
            headers["Authorization"] = encode_basic(who, secret)
        elif method == "client_secret_post":
            data.update(client_id=who, client_secret=secret)
        elif method == "private_key_jwt":
            data.update(
                client_assertion=self.client_assertion()
                if client_assertion is None
                else client_assertion,
                client_assertion_type=ASSERTION_TYPE,
            )
        else:
            raise ConfigError(
                f"auth_method must be one of {', '.join(AUTH_METHODS)}, got {method!r}"
            )
        # auth=Auth(): no credentials but the method's own; without it httpx sends a token
        # endpoint URL's user info (http://u:p@host/token) as Basic, over Basic's header too
        response = self.http.post(
            self.token_endpoint, data=data, headers=headers, auth=httpx.Auth()
        )
        return TokenResult.of(response, _json(response))

    def userinfo(self, access_token: str | None) -> TokenResult:
        """GET the discovered userinfo endpoint (T-5) with ``access_token`` as Bearer; ``None``
        sends no header."""
        headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
        response = self.http.get(self.userinfo_endpoint, headers=headers)
        return TokenResult.of(response, _json(response))

    def code_from(self, callback_url: str) -> str:
        code = parse_callback(callback_url, self.profile).code
        if code is None:
            raise AssertionError(f"the callback carries no code: {callback_url[:200]}")
        return code

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> TestRelyingParty:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object ``response`` holds, as an :class:`~harness.http_client.Answer` (a key a
    scenario reads that is not there names the call), or ``{"_raw": …}`` when it holds none."""
    where = f"{call_name(response.request)} ({response.status_code})"
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return Answer({"_raw": response.text[:500]}, f"{where}, whose body is not JSON")
    if isinstance(body, dict):
        return body if isinstance(body, Answer) else Answer(body, where)
    return Answer({"_raw": body}, f"{where}, whose JSON is not an object")
