"""The clause registry: every clause id of PROTOCOL.md with its one-line text.

Tests, conformance results and reports cite clauses by id; :func:`clause` refuses an id that
PROTOCOL.md does not have, so a typo in a marker fails loudly instead of covering nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = ["CLAUSES", "SECTIONS", "Clause", "clause", "validate_clause_ids"]

Weight = Literal["blocker", "critical", "normal", "minor"]


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    section: str
    text: str
    weight: Weight = "normal"

    @property
    def family(self) -> str:
        """The letter before the dash: ``P``, ``V``, ``A``, ``T``, ``R`` or ``S``."""
        return self.id.split("-", 1)[0]


SECTIONS: Mapping[str, str] = MappingProxyType(
    {
        "P": "§2 Preconditions",
        "V": "§3 Versions",
        "A": "§4 The flow",
        "T": "§5 Token endpoint and tokens",
        "R": "§6 What the relying party must check",
        "S": "§7 Security",
    }
)

_ROWS: tuple[tuple[str, str, Weight], ...] = (
    ("P-1", "The user has a VssID account linked to the same personal_id.", "critical"),
    ("P-2", "The user's VNeID account is level 2.", "critical"),
    (
        "P-3",
        "VNeID app >= 2.1.0 and VssID app >= 1.6.7, installed from the platform's store.",
        "critical",
    ),
    (
        "V-1",
        "A version is 1-4 dot-separated integers without leading zeros, optional "
        "-prerelease and +build; missing components are zero.",
        "normal",
    ),
    (
        "V-2",
        "Ordering is numeric per component; a pre-release sorts before its release; build "
        "metadata is ignored.",
        "normal",
    ),
    (
        "V-3",
        "A missing or malformed version is refused with app_version_invalid, never a crash.",
        "critical",
    ),
    (
        "V-4",
        "The VssID backend refuses X-VssID-App-Version below 1.6.7 with 426 "
        "app_update_required and the platform's store link.",
        "critical",
    ),
    (
        "V-5",
        "The VNeID server refuses X-VNeID-App-Version below 2.1.0 with 426 "
        "app_update_required and the store link.",
        "critical",
    ),
    (
        "V-6",
        "VssID below 1.6.7 shows no VNeID entry; VNeID below 2.1.0 shows its update screen; "
        "minimum versions are configuration.",
        "normal",
    ),
    (
        "A-1",
        "VssID start creates a transaction with fresh state, nonce (>=128 bits) and PKCE "
        "verifier and returns transaction_id, authorize_url, expires_in.",
        "critical",
    ),
    (
        "A-2",
        "The authorization request carries response_type=code, client_id, redirect_uri, "
        "scope with openid, state, nonce, S256 code_challenge, acr_values level 2.",
        "critical",
    ),
    (
        "A-3",
        "VssID opens authorize_url through the OS; with no VNeID app it sends the user to "
        "the VNeID store listing.",
        "normal",
    ),
    (
        "A-4",
        "The VNeID app logs in with POST /api/app/v1/sessions {personal_id, passcode}; every "
        "app API call carries the version and platform headers.",
        "critical",
    ),
    (
        "A-5",
        "The VNeID app forwards the link with the decision to POST "
        "/api/app/v1/authorizations and gets redirect_to with code, state and iss.",
        "critical",
    ),
    (
        "A-6",
        "The OS delivers redirect_to to VssID, whose backend completes the login and "
        "answers session_token, bhxh_code, full_name; /me returns the same person.",
        "critical",
    ),
    (
        "A-7",
        "access_denied, unmet_authentication_requirements, invalid_request, invalid_scope "
        "and unsupported_response_type go back by redirect; client and redirect_uri errors "
        "never redirect.",
        "critical",
    ),
    (
        "T-1",
        "POST /token with grant_type=authorization_code, code, the identical redirect_uri "
        "and code_verifier, with the registered client authentication.",
        "critical",
    ),
    (
        "T-2",
        "Codes live 60 s and redeem once; a second redemption fails with invalid_grant and "
        "revokes the tokens of the first.",
        "blocker",
    ),
    (
        "T-3",
        "The ID token is ES256-signed with kid and carries iss, sub, aud, exp (<=10 min), "
        "iat, auth_time, nonce, acr, amr, personal_id, name, birthdate, gender.",
        "critical",
    ),
    (
        "T-4",
        "Discovery lists the endpoints, jwks_uri, S256, acr values, the iss response "
        "parameter, the app-link template and the minimum VNeID version.",
        "normal",
    ),
    ("T-5", "GET /userinfo with the access token returns the same identity claims.", "normal"),
    (
        "R-1",
        "state in the callback equals the transaction's; a transaction completes once and "
        "expires after 10 min.",
        "blocker",
    ),
    ("R-2", "iss in the callback equals the expected issuer (RFC 9207).", "critical"),
    (
        "R-3",
        "An error in the callback ends the transaction with that error; no token request.",
        "critical",
    ),
    ("R-4", "The callback came to the registered redirect_uri.", "critical"),
    (
        "R-5",
        "The ID token signature verifies against the issuer's JWKS; alg none and "
        "HMAC-with-public-key are refused.",
        "blocker",
    ),
    ("R-6", "ID token iss equals the issuer.", "critical"),
    ("R-7", "ID token aud contains the client id, and azp matches when present.", "critical"),
    ("R-8", "exp in the future and iat not in the future, with <= 60 s skew.", "critical"),
    ("R-9", "ID token nonce equals the transaction's.", "blocker"),
    ("R-10", "acr is urn:vneid:loa:2; a level-1 token is refused.", "critical"),
    (
        "R-11",
        "personal_id is well-formed and maps to a VssID account, else vssid_account_not_found.",
        "critical",
    ),
    ("R-12", "A failed check yields a specific error code, never a session.", "blocker"),
    ("S-1", "PKCE with S256 is mandatory; plain or no challenge is refused.", "blocker"),
    ("S-2", "redirect_uri must match a registered one exactly.", "blocker"),
    ("S-3", "The provider never redirects to an unverified redirect_uri.", "blocker"),
    (
        "S-4",
        "A code intercepted by another app cannot be redeemed without the verifier.",
        "blocker",
    ),
    ("S-5", "Secrets never appear in logs or published reports unredacted.", "critical"),
    (
        "S-6",
        "The test-control API is served only on loopback unless an admin token is configured.",
        "critical",
    ),
)

CLAUSES: Mapping[str, Clause] = MappingProxyType(
    {cid: Clause(cid, SECTIONS[cid.split("-", 1)[0]], text, weight) for cid, text, weight in _ROWS}
)


def clause(clause_id: str) -> Clause:
    """The clause with this id; ``KeyError`` with the list of ids when there is none."""
    try:
        return CLAUSES[clause_id]
    except KeyError:
        raise KeyError(
            f"unknown clause id {clause_id!r}: PROTOCOL.md has {', '.join(CLAUSES)}"
        ) from None


def validate_clause_ids(ids: Iterable[str]) -> tuple[str, ...]:
    """Return ``ids`` as a tuple after checking each is a PROTOCOL.md clause id."""
    out = tuple(ids)
    for cid in out:
        clause(cid)
    return out
