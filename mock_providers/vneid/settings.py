"""Settings of the mock VNeID identity provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.protocol import DEFAULT_PROFILE, Profile
from harness.protocol.client_auth import SECRET_AUTH_METHODS, SecretAuthMethod
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET, EMBEDDED_VNEID_ISSUER
from mock_providers.vneid.faults import FAULTS

__all__ = ["SKIPPABLE_CHECKS", "VSSID_AUTH_METHODS", "VNeIDSettings", "secret_auth_method"]


VSSID_AUTH_METHODS: tuple[SecretAuthMethod, ...] = SECRET_AUTH_METHODS
"""The ways the pre-registered ``vssid`` client may authenticate (a relying party under test
with ``private_key_jwt`` registers its own client through §11)."""


SKIPPABLE_CHECKS: dict[str, str] = {
    "redirect_uri": "S-2: a redirect_uri that merely starts with a registered one is accepted "
    "(prefix match), and the citizen is sent there",
    "challenge": "S-1: an authorization request without an S256 code_challenge is accepted (no "
    "challenge: the code redeems without a verifier; method plain or none: the "
    "verifier is compared as plain text)",
    "level": "P-2: a citizen below the requested level gets a code (its ID token honestly "
    "carries the citizen's own acr)",
    "app_version": "V-3, V-5: the app API does not read X-VNeID-App-Version (an old or "
    "malformed version is served)",
    "client_secret": "T-1: the token endpoint does not compare the client secret (any "
    "secret of the client_secret_basic or _post client is accepted)",
    "code_binding": "T-1: a code redeems for any client and with any redirect_uri",
    "verifier": "S-1, S-4: the token endpoint does not check code_verifier (missing, "
    "malformed or not matching the challenge)",
    "code_reuse": "T-2: a code redeems again, and the tokens of its first redemption stay",
    "code_expiry": "T-2: codes never expire",
    "revocation": "T-2: a second redemption is refused, but the tokens of the first stay valid",
    "no_store": "T-1: the token response comes without Cache-Control: no-store and Pragma: "
    "no-cache",
    "pairwise": "T-3, T-4: discovery says pairwise subjects, yet every client gets the same "
    "sub for one citizen",
    "deny": "A-7: the citizen's deny gets a code, as approve does",
    "locked": "A-4: a locked account logs in and keeps its app sessions",
}
"""The provider checks :attr:`VNeIDSettings.skip_checks` can switch off (TEST ONLY), each with
the clause it breaks and what the provider then does: a *deliberately broken* provider, the
server-side counterpart of the faults of :data:`~mock_providers.vneid.faults.FAULTS` (which
alter what a correct provider sends), to show that plan ``vneid-provider`` catches a provider
that forgets a check (pytest's ``--broken-vneid``)."""


def secret_auth_method(value: object) -> SecretAuthMethod:
    """``value`` as one of :data:`VSSID_AUTH_METHODS`, or :class:`ValueError` naming them."""
    method = next((m for m in VSSID_AUTH_METHODS if m == value), None)
    if method is None:
        raise ValueError(f"must be one of {', '.join(VSSID_AUTH_METHODS)}, got {value!r:.40}")
    return method


@dataclass(frozen=True, slots=True)
class VNeIDSettings:
    """What a VNeID mock is: its issuer, the profile it serves, and how it starts.

    ``issuer`` is the public base URL (no trailing slash, query or fragment): every endpoint
    the discovery document lists is ``{issuer}/<path>`` (T-4). ``admin_token`` opens the
    test-control API to callers off loopback (S-6). ``register_vssid_client`` pre-registers the
    profile's ``vssid`` client with both redirect URIs of A-6 (§11 defaults).
    """

    issuer: str = EMBEDDED_VNEID_ISSUER
    profile: Profile = DEFAULT_PROFILE
    admin_token: str | None = field(default=None, repr=False)  # secrets: not in a repr (S-5)
    vssid_client_secret: str = field(default=DEFAULT_VSSID_CLIENT_SECRET, repr=False)
    vssid_auth_method: SecretAuthMethod = "client_secret_basic"
    """How the pre-registered ``vssid`` client authenticates at ``/token`` (T-1):
    ``client_secret_basic`` or ``client_secret_post``."""
    register_vssid_client: bool = True
    broken_fault: str | None = None
    """TEST ONLY: a fault of :data:`~mock_providers.vneid.faults.FAULTS` (kind ``fault``, see
    ``FAULTS.bugs()``) this provider applies to every request of every client for its whole
    life, unlike an armed fault (§11), which is consumed and which the plan clears before each
    test: a *deliberately broken* provider, so that the conformance plan ``vneid-provider``
    can be shown to catch it (pytest's ``--broken-vneid``). ``None``, as it must be for
    anything else: the provider is correct."""
    skip_checks: frozenset[str] = frozenset()
    """TEST ONLY: names of :data:`SKIPPABLE_CHECKS` this provider does not make, for its whole
    life (pytest's ``--broken-vneid CHECK``). Empty, as it must be for anything else."""

    def __post_init__(self) -> None:
        issuer = self.issuer.rstrip("/") if isinstance(self.issuer, str) else ""
        parts = urlsplit(issuer)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            raise ValueError(
                f"issuer must be an http(s) URL without query or fragment, got {self.issuer!r}"
            )
        object.__setattr__(self, "issuer", issuer)
        if self.admin_token is not None and not self.admin_token:
            raise ValueError("admin_token must be None (loopback only) or non-empty (S-6)")
        secret_auth_method(self.vssid_auth_method)
        if not self.vssid_client_secret:
            raise ValueError("vssid_client_secret must not be empty (T-1)")
        if self.broken_fault is not None and self.broken_fault not in FAULTS.bugs():
            raise ValueError(
                f"broken_fault must be one of {', '.join(FAULTS.bugs())}, "
                f"got {self.broken_fault!r:.80}"
            )
        if isinstance(self.skip_checks, str | bytes) or not isinstance(
            self.skip_checks, set | frozenset | list | tuple
        ):
            raise ValueError(
                f"skip_checks must be a set of names from "
                f"{', '.join(SKIPPABLE_CHECKS)}, got {self.skip_checks!r:.80}"
            )
        unknown = sorted(
            repr(name)[:40] for name in self.skip_checks if name not in SKIPPABLE_CHECKS
        )
        if unknown:
            raise ValueError(
                f"skip_checks names unknown check(s) {', '.join(unknown)}; the "
                f"checks that can be skipped are {', '.join(SKIPPABLE_CHECKS)}"
            )
        object.__setattr__(self, "skip_checks", frozenset(self.skip_checks))
