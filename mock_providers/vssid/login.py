"""The login flow of the relying party: start (A-1, A-2) and complete (A-6, R-1…R-12, T-1…T-5).

``complete_login`` runs the checks in protocol order and stops at the first failure, so a
fault that must stop the login (R-3, R-5…R-11) is never followed by a call it should prevent:
no token request after a bad callback, no userinfo request after a bad ID token.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from harness.protocol import (
    ACR_LEVEL2,
    AuthorizationRequest,
    Clock,
    Entropy,
    ProtocolError,
    s256_challenge,
)
from mock_providers.vssid.accounts import AccountRecord, AccountStore
from mock_providers.vssid.callback import check_callback
from mock_providers.vssid.idtoken import ClaimContext, IdTokenIdentity, check_claims
from mock_providers.vssid.issuer_client import IssuerClient
from mock_providers.vssid.settings import VssIDSettings
from mock_providers.vssid.signature import (
    keys_for,
    read_claims_unverified,
    read_unverified,
    verify_signature,
)
from mock_providers.vssid.transactions import LoginTransaction

__all__ = ["authorize_url", "check_userinfo", "complete_login", "find_account", "new_transaction"]


def new_transaction(settings: VssIDSettings, clock: Clock, entropy: Entropy) -> LoginTransaction:
    """A-1: fresh ``state`` and ``nonce`` (256 bits each, ≥128 required) and a 43-character
    PKCE ``code_verifier`` (RFC 7636 §4.1), living ``profile.transaction_ttl`` seconds."""
    now = clock.now()
    return LoginTransaction(
        transaction_id=entropy.token(16),
        state=entropy.token(32),
        nonce=entropy.token(32),
        code_verifier=entropy.token(32),
        settings=settings,
        created_at=now,
        expires_at=now + settings.profile.transaction_ttl,
    )


def authorize_url(tx: LoginTransaction) -> str:
    """A-2: the VNeID app link with ``response_type=code``, ``client_id``, ``redirect_uri``,
    ``scope``, ``state``, ``nonce``, the S256 ``code_challenge`` and ``acr_values`` level 2."""
    s = tx.settings
    request = AuthorizationRequest(
        client_id=s.client_id,
        redirect_uri=s.redirect_uri,
        state=tx.state,
        nonce=tx.nonce,
        code_challenge=s256_challenge(tx.code_verifier),
        scope=s.profile.scope,
        acr_values=ACR_LEVEL2,
    )
    return request.to_link(s.link_form, s.profile)


def find_account(accounts: AccountStore, personal_id: str) -> AccountRecord:
    """P-1: "The user has a VssID account … linked to the same ``personal_id``."

    None → 404 ``vssid_account_not_found``; a locked account → 423 ``account_locked``.
    """
    account = accounts.find_by_personal_id(personal_id)
    if account is None:
        raise ProtocolError(
            f"no VssID account is linked to personal_id {personal_id}",
            code="vssid_account_not_found",
            clause="P-1",
        )
    if not account.active:
        raise ProtocolError(
            f"the VssID account {account.bhxh_code} linked to this personal_id is locked",
            code="account_locked",
            clause="P-1",
        )
    return account


def check_userinfo(info: Mapping[str, Any], identity: IdTokenIdentity) -> None:
    """T-5: userinfo "returns the same identity claims": its ``sub`` (OpenID Connect Core
    §5.3.2) and, when present, its ``personal_id`` equal the ID token's."""
    sub = info.get("sub")
    if not isinstance(sub, str) or not hmac.compare_digest(  # a lone surrogate: unequal, no raise
        sub.encode("utf-8", "surrogatepass"), identity.sub.encode("utf-8", "surrogatepass")
    ):
        raise ProtocolError(
            f"the userinfo sub {sub!r:.80} is not the ID token's sub",
            code="id_token_invalid",
            clause="T-5",
        )
    personal_id = info.get("personal_id")
    if personal_id is not None and personal_id != identity.personal_id:
        raise ProtocolError(
            "the userinfo personal_id is not the ID token's", code="id_token_invalid", clause="T-5"
        )


async def complete_login(
    tx: LoginTransaction,
    callback_url: str,
    *,
    issuer: IssuerClient,
    accounts: AccountStore,
    clock: Clock,
) -> AccountRecord:
    """A-6: check the callback, redeem the code, validate the ID token, find the account."""
    s = tx.settings
    code = check_callback(
        callback_url,
        redirect_uri=tx.redirect_uri,
        state=tx.state,
        issuer=s.issuer,
        profile=s.profile,
        skip=s.skip_checks,
    )
    async with issuer.session(s) as conn:
        tokens = await conn.redeem_code(
            code, redirect_uri=tx.redirect_uri, code_verifier=tx.code_verifier
        )
        if "signature" in s.skip_checks:  # test only: a deliberately broken RP skips R-5
            claims = read_claims_unverified(tokens.id_token)
        else:
            unverified = read_unverified(tokens.id_token)
            candidates = keys_for(unverified, await conn.signing_keys())
            if not candidates and unverified.kid is not None:
                # R-5 / OIDF rp-key-rotation: an unknown kid re-fetches the JWKS once.
                candidates = keys_for(unverified, await conn.signing_keys(refresh=True))
            claims = verify_signature(unverified, candidates)
        identity = check_claims(
            claims,
            ClaimContext(
                issuer=s.issuer,
                client_id=s.client_id,
                nonce=tx.nonce,
                now=clock.now(),
                skew=s.profile.clock_skew,
                skip=s.skip_checks,
            ),
        )
        find_account(accounts, identity.personal_id)  # refused before userinfo is asked
        if s.fetch_userinfo:
            info = await conn.userinfo(tokens.access_token)
            if "userinfo" not in s.skip_checks:  # test only: a broken RP skips T-5
                check_userinfo(info, identity)
    # again after the last await (userinfo, and the connection's close at the end of the
    # block, which yields on a served VssID): the account may have been locked, removed or
    # linked to another person (§11) meanwhile (P-1)
    return find_account(accounts, identity.personal_id)
