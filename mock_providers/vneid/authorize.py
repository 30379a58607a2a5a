"""The authorization request (A-2, A-5, A-7; RFC 6749 §4.1.2.1), shared by the app API and
the web form flow.

:func:`verify_request` checks a decoded request in the RFC's order. Until ``client_id`` and
``redirect_uri`` are verified an error is a plain :class:`~harness.protocol.ProtocolError`
shown by the provider and never redirected (S-3); after that an error travels back to the
client as :class:`RedirectedError` carrying ``redirect_to`` (A-7). :func:`complete` applies the
citizen's decision and issues the code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from harness.protocol import (
    ProtocolError,
    acr_for_level,
    add_query,
    level_for_acr,
    oauth_description,
)
from mock_providers.vneid.grants import AuthorizationCode, Grants
from mock_providers.vneid.records import ClientRecord, PersonaRecord

__all__ = [
    "DECISIONS",
    "DEFAULT_REQUIRED_LEVEL",
    "FRESH_LOGIN_SECONDS",
    "PROMPT_VALUES",
    "SUPPORTED_SCOPES",
    "ParamsHook",
    "RedirectedError",
    "VerifiedRequest",
    "complete",
    "error_redirect",
    "verify_request",
]

SUPPORTED_SCOPES = ("openid", "profile")
DECISIONS = ("approve", "deny")
"""A-5: the citizen's answer on the consent screen."""
DEFAULT_REQUIRED_LEVEL = 2
"""P-2: without ``acr_values`` naming a level, the citizen must be level 2."""
_S256_CHALLENGE_RE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
ParamsHook = Callable[[list[tuple[str, str]]], list[tuple[str, str]]]
"""Transforms the response parameters just before they are added to ``redirect_uri`` (the
seam for the ``authz_response_*`` faults, §11 ``/_harness/faults``)."""


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """An authorization request that passed every check of :func:`verify_request`."""

    client: ClientRecord
    redirect_uri: str
    state: str | None
    nonce: str | None
    scope: str
    """The granted scope: the requested values this provider supports."""
    code_challenge: str
    """Empty only from a provider that skips the ``challenge`` check (test only): no PKCE."""
    required_level: int
    login_hint: str | None
    prompt: frozenset[str] = frozenset()
    """OpenID Connect Core §3.1.2.1 ``prompt`` values (``none``, ``login``, ``consent``,
    ``select_account``; others are ignored)."""
    max_age: int | None = None
    """``max_age``: the most seconds since the citizen last entered the passcode."""
    code_challenge_method: str = "S256"
    """Other than ``S256`` only from a provider that skips the ``challenge`` check."""

    def needs_login(self, auth_time: float, now: float) -> bool:
        """Whether a login at ``auth_time`` is too old for this request: ``prompt=login``
        (or ``max_age=0``, "equivalent to prompt=login") asks for one and it is older than
        :data:`FRESH_LOGIN_SECONDS` (the citizen logged in for another request), or a
        ``max_age`` above 0 has passed."""
        limits = [FRESH_LOGIN_SECONDS] if "login" in self.prompt or self.max_age == 0 else []
        if self.max_age:
            limits.append(self.max_age)
        return bool(limits) and now - auth_time > min(limits)


FRESH_LOGIN_SECONDS = 120
"""How recent a login answers ``prompt=login``: the app logs the citizen in, then forwards
the link, so this login is for this request."""
PROMPT_VALUES = frozenset({"none", "login", "consent", "select_account"})
_MAX_AGE = re.compile(r"[0-9]{1,10}")


class RedirectedError(Exception):
    """An error that goes back to the client by redirect (A-7)."""

    def __init__(self, redirect_to: str, error: ProtocolError) -> None:
        super().__init__(str(error))
        self.redirect_to = redirect_to
        self.error = error


def _respond(
    redirect_uri: str,
    issuer: str,
    state: str | None,
    params: list[tuple[str, str]],
    hook: ParamsHook | None = None,
) -> str:
    """RFC 6749 §4.1.2 with RFC 9207: the response parameters, ``state`` if sent, ``iss``."""
    if state is not None:
        params.append(("state", state))
    params.append(("iss", issuer))
    if hook is not None:
        params = hook(params)
    return add_query(redirect_uri, params)


def error_redirect(
    redirect_uri: str,
    issuer: str,
    state: str | None,
    error: ProtocolError,
    hook: ParamsHook | None = None,
) -> str:
    """A-7: ``error``, ``error_description`` (citing the clause, in the characters RFC 6749
    §4.1.2.1 allows), ``state``, ``iss``."""
    return _respond(
        redirect_uri,
        issuer,
        state,
        [
            ("error", error.code),
            ("error_description", oauth_description(f"{error.clause}: {error.description}")),
        ],
        hook,
    )


def verify_request(
    params: Mapping[str, str],
    clients: Mapping[str, ClientRecord],
    issuer: str,
    repeated: Collection[str] = (),
    skip: frozenset[str] = frozenset(),
) -> VerifiedRequest:
    """Check an authorization request (A-2) in the order of RFC 6749 §4.1.2.1.

    Empty parameters count as absent and unknown ones are ignored (RFC 6749 §3.1), except
    ``request`` and ``request_uri``, which are refused (OpenID Connect Core §6). ``repeated``
    names the parameters given more than once (``params`` holds their first values): a
    repeated ``client_id`` or ``redirect_uri`` is shown, never redirected to (S-3, S-2); any
    other goes back as ``invalid_request`` (RFC 6749 §4.1.2.1: "includes a parameter more
    than once"). ``skip``: the checks a deliberately broken provider leaves out (test only,
    ``VNeIDSettings.skip_checks``: ``redirect_uri``, ``challenge``).
    """
    given = {k: v for k, v in params.items() if v != ""}
    if "client_id" in repeated:
        raise ProtocolError(
            "client_id appears more than once (RFC 6749 §3.1); send it once",
            code="invalid_request",
            clause="S-3",
        )
    client_id = given.get("client_id")
    client = clients.get(client_id) if client_id is not None else None
    if client is None:
        what = "is missing" if client_id is None else f"{client_id[:80]!r} is not registered"
        raise ProtocolError(f"client_id {what}", code="invalid_client", clause="S-3")
    if "redirect_uri" in repeated:
        raise ProtocolError(
            "redirect_uri appears more than once (RFC 6749 §3.1); send it once",
            code="invalid_request",
            clause="S-2",
        )
    redirect_uri = given.get("redirect_uri")
    if redirect_uri is None:
        raise ProtocolError("redirect_uri is missing", code="invalid_redirect_uri", clause="S-2")
    if redirect_uri not in client.redirect_uris and not (
        "redirect_uri" in skip and redirect_uri.startswith(client.redirect_uris)
    ):
        raise ProtocolError(
            f"redirect_uri {redirect_uri[:120]!r} is not one registered for {client.client_id!r}"
            " (exact match, no prefix, query or fragment added)",
            code="invalid_redirect_uri",
            clause="S-2",
        )
    state = given.get("state")

    def refuse(code: str, clause: str, description: str) -> RedirectedError:
        error = ProtocolError(description, code=code, clause=clause)
        return RedirectedError(error_redirect(redirect_uri, issuer, state, error), error)

    if repeated:
        raise refuse(
            "invalid_request",
            "A-2",
            f"parameter {next(iter(repeated))[:40]!r} "
            "appears more than once (RFC 6749 §3.1); send each parameter once",
        )
    response_type = given.get("response_type")
    if response_type is None:
        raise refuse("invalid_request", "A-2", "response_type is missing; send 'code'")
    if response_type != "code":
        raise refuse(
            "unsupported_response_type",
            "A-2",
            f"response_type {response_type[:40]!r} is not supported; send 'code'",
        )
    response_mode = given.get("response_mode")
    if response_mode is not None and response_mode != "query":
        # discovery lists response_modes_supported ["query"]: a client asking for fragment or
        # form_post must not get its code in a query it did not ask for, so an unsupported
        # response_mode is refused, not ignored (as request objects are)
        raise refuse(
            "invalid_request",
            "A-2",
            f"response_mode {response_mode[:40]!r} is not supported; send 'query' or leave it out",
        )
    requested = given.get("scope", "").split(" ")
    if "openid" not in requested:
        raise refuse("invalid_scope", "A-2", "scope must contain 'openid'")
    scope = " ".join(s for s in SUPPORTED_SCOPES if s in requested)
    # OpenID Connect Core §6.1, §6.2: an OP that does not support request objects "MUST
    # return the request_not_supported [request_uri_not_supported] error"
    if "request" in given:
        raise refuse(
            "request_not_supported",
            "A-2",
            "request objects (the request "
            "parameter) are not supported; send the parameters themselves",
        )
    if "request_uri" in given:
        raise refuse(
            "request_uri_not_supported",
            "A-2",
            "request_uri is not supported; send the parameters themselves",
        )
    challenge = given.get("code_challenge")
    method = given.get("code_challenge_method")
    if "challenge" in skip and (challenge is None or method != "S256"):
        challenge, method = challenge or "", method or "plain"  # RFC 7636 §4.3's default
    else:
        if challenge is None:
            raise refuse("invalid_request", "S-1", "code_challenge is missing; PKCE is mandatory")
        if method != "S256":
            raise refuse(
                "invalid_request",
                "S-1",
                f"code_challenge_method must be 'S256', got {(method or 'none')[:20]!r}",
            )
        if not _S256_CHALLENGE_RE.fullmatch(challenge):
            raise refuse(
                "invalid_request",
                "S-1",
                "code_challenge must be 43 base64url characters (RFC 7636 §4.2)",
            )
    prompt = frozenset(given.get("prompt", "").split(" ")) & PROMPT_VALUES
    if "none" in prompt and len(prompt) > 1:
        raise refuse(
            "invalid_request",
            "A-2",
            "prompt=none cannot be combined with other "
            "values (OpenID Connect Core section 3.1.2.1)",
        )
    max_age = given.get("max_age")
    if max_age is not None and not _MAX_AGE.fullmatch(max_age):
        raise refuse(
            "invalid_request", "A-2", "max_age must be a number of seconds (0 or more, digits only)"
        )
    levels = [level_for_acr(a) for a in given.get("acr_values", "").split(" ")]
    known = [level for level in levels if level is not None]
    return VerifiedRequest(
        client=client,
        redirect_uri=redirect_uri,
        state=state,
        nonce=given.get("nonce"),
        scope=scope,
        code_challenge=challenge,
        required_level=max(known) if known else DEFAULT_REQUIRED_LEVEL,
        login_hint=given.get("login_hint"),
        prompt=prompt,
        max_age=int(max_age) if max_age is not None else None,
        code_challenge_method=method,
    )


def complete(
    request: VerifiedRequest,
    decision: str,
    persona: PersonaRecord,
    auth_time: float,
    grants: Grants,
    issuer: str,
    hook: ParamsHook | None = None,
    skip: frozenset[str] = frozenset(),
) -> str:
    """The ``redirect_to`` for the citizen's decision (A-5).

    ``deny`` → ``access_denied`` (A-7); a citizen below the requested level →
    ``unmet_authentication_requirements`` (P-2); otherwise a fresh code bound to the client,
    redirect_uri, challenge, nonce, citizen, acr, auth_time and scope (T-1, T-2). ``hook``
    sees the response parameters last (the ``authz_response_*`` faults); ``skip`` holding
    ``level`` (a deliberately broken provider, test only) lets a citizen below the level
    through, ``deny`` takes a denial for an approval.
    """
    if decision == "deny" and "deny" not in skip:
        error = ProtocolError(
            "the citizen declined the request", code="access_denied", clause="A-7"
        )
        return error_redirect(request.redirect_uri, issuer, request.state, error, hook)
    if persona.level < request.required_level and "level" not in skip:
        error = ProtocolError(
            f"the account is level {persona.level}; level {request.required_level} is required",
            code="unmet_authentication_requirements",
            clause="P-2",
        )
        return error_redirect(request.redirect_uri, issuer, request.state, error, hook)
    code = grants.issue_code(
        AuthorizationCode(
            client_id=request.client.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            nonce=request.nonce,
            persona=persona,
            code_challenge_method=request.code_challenge_method,
            acr=acr_for_level(persona.level),
            auth_time=auth_time,
            scope=request.scope,
        )
    )
    return _respond(request.redirect_uri, issuer, request.state, [("code", code)], hook)
