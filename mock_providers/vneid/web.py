"""The web authorization flow at ``GET /authorize`` (§9 screens), for browsers and any
standard OIDC client with a form scraper.

The request is verified exactly as in the app API (A-5): errors before ``redirect_uri`` is
verified are shown on the error page and never redirected (S-3); later ones redirect (A-7).
The verified request waits server-side under an opaque id (a hidden field) for
``profile.transaction_ttl`` seconds while the citizen logs in and decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from harness.protocol import ProtocolError, parse_link, paths
from harness.protocol.links import parse_query, single_values
from mock_providers._http import read_form, read_form_text
from mock_providers.vneid import pages
from mock_providers.vneid.authorize import (
    DECISIONS,
    RedirectedError,
    VerifiedRequest,
    error_redirect,
)
from mock_providers.vneid.ttl import TTLStore

if TYPE_CHECKING:
    from mock_providers.vneid.provider import VNeIDProvider

__all__ = ["MAX_PENDING", "WebFlow"]

MAX_PENDING = 10_000
_REQUEST_ID_CHARS = 22
"""A pending login's id: 16 random bytes in unpadded base64url."""
Handler = Callable[[Request], Awaitable[Response]]


@dataclass(slots=True)
class _Pending:
    request: VerifiedRequest
    personal_id: str | None = None
    auth_time: float = 0.0


def _html_errors(handler: Handler) -> Handler:
    """Render a refusal as the §9 error screen instead of JSON."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ProtocolError as err:
            return pages.error_page(err)

    return wrapped


def _redirect(url: str, request: Request) -> Response:
    """The redirect back to the client: 303 after a POST (RFC 9700 §4.12: a 307 would have the
    browser post the passcode on, and "AS SHOULD use HTTP status code 303"), 302 after a GET."""
    return RedirectResponse(
        url,
        status_code=303 if request.method == "POST" else 302,
        headers={"Cache-Control": "no-store"},
    )


class WebFlow:
    def __init__(self, provider: VNeIDProvider) -> None:
        self.provider = provider
        self.pending: TTLStore[str, _Pending] = TTLStore(
            provider.clock, MAX_PENDING, name="web logins", clause="A-5"
        )
        self.login_action = provider.url(paths.AUTHORIZE_LOGIN)
        self.decision_action = provider.url(paths.AUTHORIZE_DECISION)

    def routes(self) -> list[BaseRoute]:
        return [
            Route(paths.AUTHORIZE, _html_errors(self.start), methods=["GET", "POST"]),
            Route(paths.AUTHORIZE_LOGIN, _html_errors(self.login), methods=["POST"]),
            Route(paths.AUTHORIZE_DECISION, _html_errors(self.decide), methods=["POST"]),
        ]

    def _take(self, form: dict[str, str]) -> tuple[str, _Pending]:
        request_id = form.get("request_id", "")
        pending = self.pending.get(request_id)
        if pending is None:
            raise ProtocolError(
                "this login page expired or was already used; start again from the service",
                clause="A-5",
            )
        return request_id, pending

    async def start(self, request: Request) -> Response:
        """A-2 over the web: verify, then show the level-2 login screen. The request comes as
        the query of a GET or as the form body of a POST (OpenID Connect Core §3.1.2.1:
        "Authorization Servers MUST support the use of the HTTP GET and POST methods")."""
        p = self.provider
        undecodable: list[str] = []
        if request.method == "POST":  # the body's pairs as they are (a raw '#' is a value)
            try:
                pairs = parse_query(
                    await read_form_text(request, clause="A-2"),
                    max_fields=100,
                    undecodable=undecodable,
                )
            except ValueError as exc:
                raise ProtocolError(
                    f"the form body cannot be decoded: {exc}", clause="A-2"
                ) from None
            params, repeated = single_values(pairs, clause="A-2", allow_repeated=True)
        else:
            link = parse_link(
                p.url(f"{paths.AUTHORIZE}?{request.url.query}"),
                clause="A-2",
                allow_repeated=True,
                allow_undecodable=True,
            )
            params, repeated = dict(link.params), link.repeated
            undecodable = list(link.undecodable)
        try:
            verified = p.verify_authorization(params, undecodable, repeated)
        except RedirectedError as redirect:
            return _redirect(redirect.redirect_to, request)
        if "none" in verified.prompt:  # the web flow keeps no login between requests
            return _redirect(
                error_redirect(
                    verified.redirect_uri,
                    p.issuer,
                    verified.state,
                    ProtocolError(
                        "prompt=none, but the citizen must log in here: this endpoint keeps no "
                        "session (OpenID Connect Core section 3.1.2.6)",
                        code="login_required",
                        clause="A-2",
                    ),
                ),
                request,
            )
        if request.method == "HEAD":  # RFC 9110 §9.3.2: safe; the same head, nothing kept
            request_id = "0" * _REQUEST_ID_CHARS  # (a pending login, a draw of the seed's)
        else:
            request_id = p.entropy.token(16)
            self.pending.put(request_id, _Pending(verified), p.profile.transaction_ttl)
        hint = verified.login_hint or ""  # a personal_id, ASCII digits (§1), not any
        hint = hint if hint.isascii() and hint.isdigit() else ""  # str.isdigit() ('٠', '²')
        return pages.login_page(
            action=self.login_action, request_id=request_id, personal_id=hint[:12]
        )

    async def login(self, request: Request) -> Response:
        """A-4 over the web; a citizen below the requested level is sent back with
        ``unmet_authentication_requirements`` (P-2)."""
        p = self.provider
        form = await read_form(request, clause="A-4")
        request_id, pending = self._take(form)
        personal_id = form.get("personal_id", "")
        try:
            persona = p.login(personal_id, form.get("passcode", ""))
        except ProtocolError as err:
            return pages.login_page(
                action=self.login_action,
                request_id=request_id,
                personal_id=personal_id[:64],
                error=err,
                status=err.status,
            )
        if persona.level < pending.request.required_level:
            # No consent screen: complete() answers unmet_authentication_requirements.
            self.pending.pop(request_id)
            return _redirect(
                p.authorize(pending.request, "approve", persona, p.clock.now()), request
            )
        pending.personal_id, pending.auth_time = persona.personal_id, p.clock.now()
        return pages.consent_page(
            action=self.decision_action,
            request_id=request_id,
            client_name=pending.request.client.display_name,
            full_name=persona.full_name,
        )

    async def decide(self, request: Request) -> Response:
        """A-5 over the web: approve → code; deny → ``access_denied`` (A-7)."""
        p = self.provider
        form = await read_form(request, clause="A-5")
        decision = form.get("decision")
        if decision not in DECISIONS:
            raise ProtocolError("decision must be 'approve' or 'deny'", clause="A-5")
        request_id, pending = self._take(form)
        persona = p.persona(pending.personal_id) if pending.personal_id else None
        if persona is None or p.is_locked(persona):
            raise ProtocolError("log in before deciding", clause="A-4")
        self.pending.pop(request_id)
        return _redirect(
            p.authorize(pending.request, decision, persona, pending.auth_time), request
        )
