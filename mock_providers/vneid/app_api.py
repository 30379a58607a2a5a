"""The VNeID app's API (A-4, A-5); every call is gated on ``X-VNeID-App-Version`` (V-3, V-5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from harness.protocol import ProtocolError, parse_authorize_link, paths
from harness.protocol.links import MAX_LINK_LENGTH
from mock_providers._http import (
    FastJSONResponse,
    bearer_token,
    check_app_version,
    read_json_object,
    require_str,
)
from mock_providers.vneid.authorize import DECISIONS, RedirectedError

if TYPE_CHECKING:
    from mock_providers.vneid.provider import VNeIDProvider

__all__ = ["AppApi"]

NO_STORE = {"Cache-Control": "no-store"}


class AppApi:
    def __init__(self, provider: VNeIDProvider) -> None:
        self.provider = provider
        self._gated = "app_version" not in provider.settings.skip_checks
        """False only for a deliberately broken provider (test only: ``skip_checks``)."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route(paths.APP_SESSIONS, self.sessions, methods=["POST"]),
            Route(paths.APP_AUTHORIZATIONS, self.authorizations, methods=["POST"]),
        ]

    async def sessions(self, request: Request) -> Response:
        """A-4: ``{personal_id, passcode}`` → ``{session_token, level, expires_in}``."""
        p = self.provider
        if self._gated:
            check_app_version(request, "vneid", p.profile)
        body = await read_json_object(request, clause="A-4")
        persona = p.login(
            require_str(body, "personal_id", clause="A-4", max_len=64),
            require_str(body, "passcode", clause="A-4", max_len=128),
        )
        return FastJSONResponse(
            {
                "session_token": p.grants.open_session(persona.personal_id),
                "level": persona.level,
                "expires_in": p.profile.vneid_session_ttl,
            },
            headers=NO_STORE,
        )

    async def authorizations(self, request: Request) -> Response:
        """A-5: ``{link, decision}`` with a Bearer session → ``{redirect_to}``, or a §8 error
        where the provider must not redirect (S-3)."""
        p = self.provider
        if self._gated:
            check_app_version(request, "vneid", p.profile)
        token = bearer_token(request, clause="A-5")
        p.session(token)  # a dead session is refused before its body is read
        body = await read_json_object(request, clause="A-5")
        # Again after the await: the citizen may have been lowered to level 1, locked or
        # removed (§11) while the body arrived, and the code must carry them as they are now.
        session, persona = p.session(token)
        link = require_str(body, "link", clause="A-5", max_len=MAX_LINK_LENGTH)
        decision = body.get("decision")
        if decision not in DECISIONS:
            raise ProtocolError(
                f"decision must be 'approve' or 'deny', got {decision!r:.40}", clause="A-5"
            )
        _, parsed = parse_authorize_link(
            link,
            p.profile,
            extra_bases=(p.url(paths.AUTHORIZE),),
            allow_repeated=True,
            allow_undecodable=True,
        )
        try:
            verified = p.verify_authorization(parsed.params, parsed.undecodable, parsed.repeated)
        except RedirectedError as redirect:
            return FastJSONResponse({"redirect_to": redirect.redirect_to}, headers=NO_STORE)
        if decision == "approve" and verified.needs_login(session.auth_time, p.clock.now()):
            # OpenID Connect Core §3.1.2.1: max_age passed, or prompt=login: the OP "MUST
            # attempt to actively re-authenticate": the app logs the citizen in again
            raise ProtocolError(
                "this request asks for a newer login (max_age or prompt=login) than this app "
                "session's; log the citizen in again (POST /api/app/v1/sessions), then "
                "forward the link again",
                code="login_required",
                clause="A-4",
            )
        redirect_to = p.authorize(verified, decision, persona, session.auth_time)
        return FastJSONResponse({"redirect_to": redirect_to}, headers=NO_STORE)
