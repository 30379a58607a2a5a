"""The VssID app API (A-1, A-6), every call gated on the app version (V-3, V-4).

| method and path | what |
| --- | --- |
| ``POST /api/v1/auth/vneid/start`` | A-1: a login transaction and the authorize app link |
| ``POST /api/v1/auth/vneid/complete`` | A-6: the callback checked, the code redeemed, a session |
| ``GET /api/v1/me`` | A-6: the logged-in person |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.protocol import ProtocolError, paths
from harness.protocol.links import MAX_LINK_LENGTH
from mock_providers._http import (
    FastJSONResponse,
    bearer_token,
    check_app_version,
    read_json_object,
    require_str,
)
from mock_providers.vssid.login import authorize_url, complete_login, new_transaction
from mock_providers.vssid.transactions import VssIDSession

if TYPE_CHECKING:
    from mock_providers.vssid.provider import VssIDProvider

__all__ = ["app_routes"]

_NO_STORE = {"Cache-Control": "no-store"}


def _gate(provider: VssIDProvider, request: Request) -> None:
    """V-4: refuse ``X-VssID-App-Version`` below the profile's minimum (426, store link);
    V-3: a missing or malformed version is 400 ``app_version_invalid``."""
    check_app_version(request, "vssid", provider.settings.profile)


def app_routes(provider: VssIDProvider) -> list[Route]:
    async def start(request: Request) -> Response:
        """A-1: body ``{}`` or absent; answers ``{transaction_id, authorize_url, expires_in}``."""
        _gate(provider, request)
        await read_json_object(request, clause="A-1", optional=True)
        settings = provider.settings
        tx = new_transaction(settings, provider.clock, provider.entropy)
        provider.transactions.add(tx)
        return FastJSONResponse(
            {
                "transaction_id": tx.transaction_id,
                "authorize_url": authorize_url(tx),
                "expires_in": settings.profile.transaction_ttl,
            },
            headers=_NO_STORE,
        )

    async def complete(request: Request) -> Response:
        """A-6: ``{transaction_id, callback_url}`` → ``{session_token, bhxh_code, full_name,
        expires_in}``. R-1: the first attempt consumes the transaction, whatever its outcome."""
        _gate(provider, request)
        body = await read_json_object(request, clause="A-6")
        transaction_id = require_str(body, "transaction_id", clause="A-6", max_len=256)
        callback_url = require_str(body, "callback_url", clause="A-6", max_len=MAX_LINK_LENGTH)
        tx = provider.transactions.consume(transaction_id)  # no await before this point
        tx.outcome = "pending"
        try:
            account = await complete_login(
                tx,
                callback_url,
                issuer=provider.issuer_client,
                accounts=provider.account_store,
                clock=provider.clock,
            )
        except ProtocolError as exc:
            tx.outcome = exc.code
            raise
        except Exception:
            tx.outcome = "server_error"
            raise
        tx.outcome = "ok"
        ttl = tx.settings.profile.vssid_session_ttl
        token = provider.entropy.token(32)
        provider.sessions.add(
            token,
            VssIDSession(
                account.bhxh_code,
                account.personal_id,
                account.full_name,
                provider.clock.now() + ttl,
            ),
        )
        return FastJSONResponse(
            {
                "session_token": token,
                "bhxh_code": account.bhxh_code,
                "full_name": account.full_name,
                "expires_in": ttl,
            },
            headers=_NO_STORE,
        )

    async def me(request: Request) -> Response:
        """A-6: Bearer ``session_token`` → ``{bhxh_code, full_name, personal_id}``."""
        _gate(provider, request)
        token = bearer_token(request, clause="A-6")
        session = provider.sessions.get(token)
        if session is None:
            raise ProtocolError(
                "the session token is unknown or expired; log in again",
                code="invalid_token",
                clause="A-6",
            )
        account = provider.account_store.get(session.bhxh_code)
        if account is None or not account.active or account.personal_id != session.personal_id:
            provider.sessions.revoke(token)
            raise ProtocolError(
                "the account behind this session was removed or locked",
                code="invalid_token",
                clause="A-6",
            )
        return FastJSONResponse(
            {
                "bhxh_code": account.bhxh_code,
                "full_name": account.full_name,
                "personal_id": account.personal_id,
            },
            headers=_NO_STORE,
        )

    return [
        Route(paths.VSSID_START, start, methods=["POST"]),
        Route(paths.VSSID_COMPLETE, complete, methods=["POST"]),
        Route(paths.VSSID_ME, me, methods=["GET"]),
    ]
