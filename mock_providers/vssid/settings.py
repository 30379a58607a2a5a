"""Settings of the VssID relying party, and the validators the control API shares (§11).

Every validator raises :class:`ProtocolError` ``invalid_request`` naming the field and the
clause it serves, so ``POST /_harness/config`` and the Python API refuse bad values alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import SplitResult, urlsplit

from harness.protocol import (
    DEFAULT_PROFILE,
    LinkForm,
    Profile,
    ProtocolError,
    finite_number,
    is_vschar,
)
from harness.protocol.client_auth import SECRET_AUTH_METHODS, SecretAuthMethod
from harness.protocol.json_names import json_kind
from harness.protocol.redaction import REDACTED, is_secret_key, redact_url
from mock_providers.defaults import (
    DEFAULT_VSSID_CLIENT_SECRET,
    EMBEDDED_VNEID_ISSUER,
    EMBEDDED_VSSID_BASE_URL,
)

__all__ = [
    "SKIPPABLE_CHECKS",
    "TokenEndpointAuthMethod",
    "VssIDSettings",
    "validate_client_id",
    "validate_client_secret",
    "validate_issuer",
    "validate_redirect_uri",
    "validate_skip_checks",
]

TokenEndpointAuthMethod = SecretAuthMethod
_AUTH_METHODS: tuple[str, ...] = SECRET_AUTH_METHODS
_MAX_URL = 2048

SKIPPABLE_CHECKS: tuple[str, ...] = (
    "nonce",
    "state",
    "iss",
    "acr",
    "signature",
    "aud",
    "expiry",
    "replay",
    "transaction_expiry",
    "redirect_uri",
    "userinfo",
)
"""The relying-party checks :attr:`VssIDSettings.skip_checks` can switch off (TEST ONLY), each
where it lives: ``nonce`` R-9, ``state`` R-1 (the callback), ``iss`` R-2 (the callback) and R-6
(the ID token), ``acr`` R-10, ``signature`` R-5 (the claims are read unverified, whatever the
``alg``), ``aud`` R-7, ``expiry`` R-8 (``exp`` and ``iat``), ``replay`` R-1 (a transaction
completes again), ``transaction_expiry`` R-1 (an expired transaction still
completes, while the store keeps it: twice its lifetime), ``redirect_uri``
R-4 (a callback delivered to another URI is taken), ``userinfo`` T-5 (userinfo is fetched and
not compared with the ID token)."""


def _require_text(name: str, value: object, clause: str, max_len: int) -> str:
    if not isinstance(value, str) or not value:
        if is_secret_key(name):  # S-5: its type, never its value (the message reaches logs)
            got = "an empty string" if value == "" else json_kind(value)
        else:
            got = f"{value!r:.80}"
        raise ProtocolError(f"{name!r} must be a non-empty string, got {got}", clause=clause)
    if len(value) > max_len:
        raise ProtocolError(
            f"{name!r} is {len(value)} characters; at most {max_len}", clause=clause
        )
    if not is_vschar(value):
        raise ProtocolError(
            f"{name!r} must be printable ASCII (RFC 6749 Appendix A)", clause=clause
        )
    return value


def _split(name: str, text: str, clause: str) -> SplitResult:
    try:
        return urlsplit(text)
    except ValueError as exc:  # e.g. "http://[": an unbalanced IPv6 bracket
        raise ProtocolError(f"{name!r} is not a URL ({exc})", clause=clause) from None


def _require_http_url(name: str, value: object, clause: str) -> str:
    text = _require_text(name, value, clause, _MAX_URL)
    parts = _split(name, text, clause)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        raise ProtocolError(
            f"{name!r} must be an absolute http(s) URL, got {text!r:.80}", clause=clause
        )
    return text


def validate_issuer(value: object) -> str:
    """R-2/R-6: the issuer is compared exactly, so it must be an http(s) URL without a query
    or fragment (OpenID Connect Discovery §2)."""
    text = _require_http_url("issuer", value, "R-2")
    parts = _split("issuer", text, "R-2")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ProtocolError("'issuer' must not have a query or fragment", clause="R-2")
    return text


def validate_client_id(value: object) -> str:
    """A-2/R-7: the client id sent in the request and expected in ``aud``."""
    return _require_text("client_id", value, "A-2", 255)


def validate_client_secret(value: object) -> str:
    """T-1: the secret of ``client_secret_basic`` / ``client_secret_post``."""
    return _require_text("client_secret", value, "T-1", 1024)


def validate_skip_checks(value: object) -> frozenset[str]:
    """``skip_checks``: a collection of names from :data:`SKIPPABLE_CHECKS` (not one string)."""
    if isinstance(value, str | bytes) or not isinstance(value, set | frozenset | list | tuple):
        raise ProtocolError(
            f"'skip_checks' must be a set of check names from "
            f"{', '.join(SKIPPABLE_CHECKS)}, got {value!r:.80}",
            clause="R-12",
        )
    unknown = sorted(repr(name)[:40] for name in value if name not in SKIPPABLE_CHECKS)
    if unknown:
        raise ProtocolError(
            f"'skip_checks' names unknown check(s) {', '.join(unknown)}; the "
            f"checks that can be skipped are {', '.join(SKIPPABLE_CHECKS)}",
            clause="R-12",
        )
    return frozenset(value)


def validate_redirect_uri(value: object) -> str:
    """R-4/S-2: an absolute URI without a fragment (RFC 6749 §3.1.2), compared exactly."""
    text = _require_text("redirect_uri", value, "R-4", _MAX_URL)
    parts = _split("redirect_uri", text, "R-4")
    if not parts.scheme or "#" in text or " " in text:
        raise ProtocolError(
            "'redirect_uri' must be an absolute URI without a fragment (RFC 6749 §3.1.2)",
            clause="R-4",
        )
    return text


@dataclass(frozen=True)
class VssIDSettings:
    """How the VssID backend is set up as an OpenID Connect relying party of VNeID.

    The transaction keeps the settings it was started with, so a change through
    :meth:`VssIDProvider.configure` affects only logins started afterwards.
    """

    issuer: str = EMBEDDED_VNEID_ISSUER
    client_id: str = ""
    """The relying party's client at VNeID; left empty, the profile's (``vssid`` by default),
    the one the VNeID mock registers under the same profile."""
    client_secret: str = field(default=DEFAULT_VSSID_CLIENT_SECRET, repr=False)
    redirect_uri: str = ""
    """Left empty, the profile's custom-scheme callback (``vssid://auth/vneid/callback``)."""
    link_form: LinkForm = LinkForm.CUSTOM_SCHEME
    token_endpoint_auth_method: TokenEndpointAuthMethod = "client_secret_basic"
    profile: Profile = DEFAULT_PROFILE
    admin_token: str | None = field(default=None, repr=False)
    base_url: str = EMBEDDED_VSSID_BASE_URL
    fetch_userinfo: bool = True
    issuer_timeout: float = 10.0
    """Seconds allowed for each call to the issuer before it counts as unreachable."""
    skip_checks: frozenset[str] = frozenset()
    """TEST ONLY: names from :data:`SKIPPABLE_CHECKS` whose check this relying party leaves
    out, making the mock a *deliberately broken* relying party, so that a conformance plan
    (``vssid-relying-party``) can be shown to catch each missing check on its clause. Empty,
    as it must be for anything else: every check runs."""

    def __post_init__(self) -> None:
        if self.client_id == "":  # the control API refuses an empty one before it gets here
            object.__setattr__(self, "client_id", self.profile.vssid_client_id)
        if self.redirect_uri == "":
            object.__setattr__(self, "redirect_uri", self.profile.callback_custom)
        validate_issuer(self.issuer)
        validate_client_id(self.client_id)
        validate_client_secret(self.client_secret)
        validate_redirect_uri(self.redirect_uri)
        _require_http_url("base_url", self.base_url, "A-1")
        if not isinstance(self.link_form, LinkForm):
            forms = [str(f) for f in LinkForm]
            if self.link_form not in forms:
                raise ProtocolError(
                    f"'link_form' must be one of {', '.join(forms)}, got {self.link_form!r:.40}",
                    clause="A-1",
                )
            object.__setattr__(self, "link_form", LinkForm(self.link_form))
        if self.token_endpoint_auth_method not in _AUTH_METHODS:
            raise ProtocolError(
                f"'token_endpoint_auth_method' {self.token_endpoint_auth_method!r} is not "
                f"supported; use one of {', '.join(_AUTH_METHODS)}",
                clause="T-1",
            )
        if self.admin_token is not None and (
            not isinstance(self.admin_token, str) or not self.admin_token
        ):
            raise ProtocolError("'admin_token' must be a non-empty string or None", clause="S-6")
        timeout = finite_number(self.issuer_timeout)  # 10**400 too: refused, not a 500
        if timeout is None or not 0 < timeout <= 300:
            raise ProtocolError(
                "'issuer_timeout' must be a number of seconds in (0, 300]", clause="A-6"
            )
        object.__setattr__(self, "skip_checks", validate_skip_checks(self.skip_checks))

    def evolve(self, **changes: Any) -> VssIDSettings:
        """A validated copy with ``changes``."""
        return replace(self, **changes)

    def public_json(self) -> dict[str, Any]:
        """The settings as ``GET /_harness/config`` shows them: the secret, and the issuer's
        password if it has one, redacted (S-5)."""
        return {
            "issuer": redact_url(self.issuer),
            "client_id": self.client_id,
            "client_secret": REDACTED,
            "redirect_uri": self.redirect_uri,
            "link_form": str(self.link_form),
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "fetch_userinfo": self.fetch_userinfo,
            "base_url": self.base_url,
            "admin_token_set": self.admin_token is not None,
            "skip_checks": sorted(self.skip_checks),
        }
