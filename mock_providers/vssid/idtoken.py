"""ID-token claims validation (R-6…R-11, T-3), pure: the clock and expected values passed in.

R-12: "A failed check yields a specific error code, never a session." Every check below
raises :class:`ProtocolError` ``id_token_invalid`` (401) naming its clause, except R-10 which
is ``identity_level_insufficient`` (403) and R-11 which is ``vssid_account_not_found`` (404).
The signature (R-5) is checked first, in :mod:`mock_providers.vssid.signature`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.protocol import ACR_LEVEL2, ProtocolError, finite_number, parse_personal_id

__all__ = [
    "CLAIM_CHECKS",
    "ClaimCheck",
    "ClaimContext",
    "IdTokenIdentity",
    "check_claims",
]

Claims = Mapping[str, Any]


def _invalid(clause: str, description: str) -> ProtocolError:
    return ProtocolError(description, code="id_token_invalid", clause=clause)


@dataclass(frozen=True, slots=True)
class ClaimContext:
    """What the claims are checked against."""

    issuer: str
    client_id: str
    nonce: str
    now: float
    skew: float
    skip: frozenset[str] = frozenset()
    """Test only (:attr:`VssIDSettings.skip_checks`): the :attr:`ClaimCheck.skip_as` names
    whose checks are left out, to play a broken relying party."""


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """A named, clause-tagged check of the ID token's claims."""

    name: str
    clause: str
    run: Callable[[Claims, ClaimContext], None]
    skip_as: str | None = None
    """The name in :data:`~mock_providers.vssid.settings.SKIPPABLE_CHECKS` that leaves this
    check out (test only); ``None``: it always runs."""


def _number(claims: Claims, name: str) -> float | None:
    """The claim as a float, or ``None`` when it is not a number a float can hold (NaN, an
    infinity, an integer too large such as ``10**400``: refused, never an ``OverflowError``)."""
    return finite_number(claims.get(name))


def check_iss(claims: Claims, ctx: ClaimContext) -> None:
    """R-6: "``iss`` equals the issuer" (exact string comparison)."""
    if claims.get("iss") != ctx.issuer:
        raise _invalid(
            "R-6", f"the ID token's iss {claims.get('iss')!r:.100} is not the issuer {ctx.issuer!r}"
        )


def check_aud(claims: Claims, ctx: ClaimContext) -> None:
    """R-7: "``aud`` contains the client id (and ``azp`` matches when present)", and no other
    audience: this client trusts none, and OpenID Connect Core §3.1.3.7 item 3 says "The ID
    Token MUST be rejected if ... it contains additional audiences not trusted by the
    Client", an ``azp`` naming this client or not."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if (
        not isinstance(audiences, list)
        or not audiences
        or not all(isinstance(a, str) for a in audiences)
    ):
        raise _invalid(
            "R-7", f"the ID token's aud must be a string or an array of strings, got {aud!r:.100}"
        )
    if ctx.client_id not in audiences:
        raise _invalid(
            "R-7",
            f"the ID token's aud {audiences!r:.100} does not contain the "
            f"client id {ctx.client_id!r}",
        )
    others = sorted(set(audiences) - {ctx.client_id})
    if others:
        raise _invalid(
            "R-7",
            f"the ID token's aud also names {others!r:.100}, audiences this "
            "client does not trust (OpenID Connect Core 3.1.3.7, item 3)",
        )
    azp = claims.get("azp")
    if azp is not None and azp != ctx.client_id:
        raise _invalid(
            "R-7", f"the ID token's azp {azp!r:.100} is not the client id {ctx.client_id!r}"
        )


def check_exp(claims: Claims, ctx: ClaimContext) -> None:
    """R-8: "``exp`` in the future … with ≤ 60 s skew"."""
    exp = _number(claims, "exp")
    if exp is None:
        raise _invalid("R-8", "the ID token has no numeric exp")
    if ctx.now >= exp + ctx.skew:
        raise _invalid(
            "R-8", f"the ID token expired {ctx.now - exp:.0f} s ago (allowed skew {ctx.skew:g} s)"
        )


def check_iat(claims: Claims, ctx: ClaimContext) -> None:
    """R-8: "``iat`` not in the future, with ≤ 60 s skew"; T-3: ``iat`` is present."""
    iat = _number(claims, "iat")
    if iat is None:
        raise _invalid("R-8", "the ID token has no numeric iat")
    if iat > ctx.now + ctx.skew:
        raise _invalid(
            "R-8",
            f"the ID token's iat is {iat - ctx.now:.0f} s in the future "
            f"(allowed skew {ctx.skew:g} s)",
        )


def check_nonce(claims: Claims, ctx: ClaimContext) -> None:
    """R-9: "``nonce`` equals the transaction's" (constant-time comparison)."""
    nonce = claims.get("nonce")
    if not isinstance(nonce, str):
        raise _invalid("R-9", "the ID token has no nonce")
    # surrogatepass: the issuer's JSON may hold a lone surrogate escape ("\\ud800"), which
    # is no nonce this login sent, and must be refused as one, not raise
    if not hmac.compare_digest(nonce.encode("utf-8", "surrogatepass"), ctx.nonce.encode()):
        raise _invalid("R-9", "the ID token's nonce is not the one this login sent")


def check_sub(claims: Claims, ctx: ClaimContext) -> None:
    """T-3: the ID token carries ``sub`` (a non-empty string of at most 255 characters)."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise _invalid("T-3", f"the ID token's sub is missing or malformed: {sub!r:.60}")


def check_acr(claims: Claims, ctx: ClaimContext) -> None:
    """R-10: "``acr`` is ``urn:vneid:loa:2``: a level-1 token is refused even if the provider
    issued it" (P-2)."""
    acr = claims.get("acr")
    if acr != ACR_LEVEL2:
        raise ProtocolError(
            f"the ID token's acr is {acr!r:.60}; VssID needs {ACR_LEVEL2} (level 2, P-2)",
            code="identity_level_insufficient",
            clause="R-10",
        )


def check_personal_id(claims: Claims, ctx: ClaimContext) -> None:
    """R-11: "``personal_id`` is well-formed (§1) and maps to a VssID account; else
    ``vssid_account_not_found``". A missing or malformed ``personal_id`` names no account: 404
    ``vssid_account_not_found`` citing R-11 (a well-formed one without an account is refused
    later, by the account lookup, citing P-1)."""
    try:
        parse_personal_id(claims.get("personal_id"), clause="R-11")
    except ProtocolError as exc:
        raise ProtocolError(
            f"the ID token's {exc.description}", code="vssid_account_not_found", clause="R-11"
        ) from None


CLAIM_CHECKS: tuple[ClaimCheck, ...] = (
    ClaimCheck("iss", "R-6", check_iss, skip_as="iss"),
    ClaimCheck("aud", "R-7", check_aud, skip_as="aud"),
    ClaimCheck("exp", "R-8", check_exp, skip_as="expiry"),
    ClaimCheck("iat", "R-8", check_iat, skip_as="expiry"),
    ClaimCheck("nonce", "R-9", check_nonce, skip_as="nonce"),
    ClaimCheck("sub", "T-3", check_sub),
    ClaimCheck("acr", "R-10", check_acr, skip_as="acr"),
    ClaimCheck("personal_id", "R-11", check_personal_id),
)


@dataclass(frozen=True, slots=True)
class IdTokenIdentity:
    """Who the verified ID token names."""

    sub: str
    personal_id: str
    name: str | None


def check_claims(claims: Claims, ctx: ClaimContext) -> IdTokenIdentity:
    """Run :data:`CLAIM_CHECKS` in order; the first failure is raised (R-12). A check whose
    ``skip_as`` is in ``ctx.skip`` is left out (test only: a deliberately broken RP)."""
    for check in CLAIM_CHECKS:
        if check.skip_as is not None and check.skip_as in ctx.skip:
            continue
        check.run(claims, ctx)
    name = claims.get("name")
    return IdTokenIdentity(
        claims["sub"], claims["personal_id"], name if isinstance(name, str) else None
    )
