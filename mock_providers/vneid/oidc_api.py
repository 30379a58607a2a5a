"""The OpenID Provider endpoints: discovery (T-4), JWKS (T-3), token (T-1, T-2), userinfo (T-5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from harness.protocol import ACR_LEVEL1, ACR_LEVEL2, Profile, ProtocolError, paths
from mock_providers._http import FastJSONResponse, bearer_token, header, read_form
from mock_providers.vneid.authorize import SUPPORTED_SCOPES
from mock_providers.vneid.client_auth import ASSERTION_ALGS
from mock_providers.vneid.faults import TOKEN_RESPONSE, USERINFO
from mock_providers.vneid.id_token import id_token_claims, identity_claims
from mock_providers.vneid.keys import SIGNING_ALG
from mock_providers.vneid.records import AUTH_METHODS

if TYPE_CHECKING:
    from mock_providers.vneid.provider import VNeIDProvider

__all__ = ["CLAIMS_SUPPORTED", "OidcApi", "discovery_document"]

CLAIMS_SUPPORTED = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "personal_id",
    "name",
    "birthdate",
    "gender",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def discovery_document(issuer: str, profile: Profile) -> dict[str, Any]:
    """T-4: "the endpoints, jwks_uri, code_challenge_methods_supported: ["S256"],
    acr_values_supported, authorization_response_iss_parameter_supported: true, and the
    app-link template and the minimum VNeID app version"."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}{paths.AUTHORIZE}",
        "token_endpoint": f"{issuer}{paths.TOKEN}",
        "userinfo_endpoint": f"{issuer}{paths.USERINFO}",
        "jwks_uri": f"{issuer}{paths.JWKS}",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [SIGNING_ALG],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "claims_supported": list(CLAIMS_SUPPORTED),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [ACR_LEVEL1, ACR_LEVEL2],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,  # OpenID Discovery §3: true when omitted
        "authorization_response_iss_parameter_supported": True,
        "ui_locales_supported": ["vi"],
        "vneid_app_link_template": f"{profile.authorize_link_custom}?{{query}}",
        "vneid_app_link_https_template": f"{profile.authorize_link_https}?{{query}}",
        "vneid_app_minimum_version": str(profile.vneid_min_version),
        "vneid_app_api": {
            "sessions": f"{issuer}/api/app/v1/sessions",
            "authorizations": f"{issuer}/api/app/v1/authorizations",
        },
    }


def _required(form: Mapping[str, str], name: str, clause: str) -> str:
    value = form.get(name)
    if not value:
        raise ProtocolError(f"{name} is missing", code="invalid_request", clause=clause)
    return value


class OidcApi:
    def __init__(self, provider: VNeIDProvider) -> None:
        self.provider = provider
        self.document = discovery_document(provider.issuer, provider.profile)
        self._skip = provider.settings.skip_checks
        """Empty but for a deliberately broken provider (test only, ``skip_checks``)."""
        self._token_headers = {} if "no_store" in self._skip else NO_STORE
        """What the token response's head says about caching: NO_STORE (T-1; none from a
        deliberately broken provider)."""

    def routes(self) -> list[BaseRoute]:
        return [
            Route(paths.DISCOVERY, self.discovery, methods=["GET"]),
            Route(paths.JWKS, self.jwks, methods=["GET"]),
            Route(paths.TOKEN, self.token, methods=["POST"]),
            Route(paths.USERINFO, self.userinfo, methods=["GET", "POST"]),
        ]

    async def discovery(self, request: Request) -> Response:
        return FastJSONResponse(self.document)

    async def jwks(self, request: Request) -> Response:
        return FastJSONResponse(self.provider.jwks())

    async def token(self, request: Request) -> Response:
        form = await read_form(request, clause="T-1")
        p = self.provider
        fetched = None
        source = p.client_auth.keys_to_fetch(form)
        if source is not None:  # the client's keys are at its jwks_uri (§11)
            uri, kid = source
            fetched = uri, await p.client_keys.for_jwks_uri(uri, kid)
        # No await from here on: the code is checked and marked used atomically (T-2).
        return FastJSONResponse(
            self.exchange(header(request, b"authorization"), form, fetched),
            headers=self._token_headers,
        )

    def exchange(
        self,
        authorization: str | None,
        form: Mapping[str, str],
        fetched: tuple[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """T-1: ``grant_type=authorization_code``, ``code``, the identical ``redirect_uri``,
        ``code_verifier``, and the registered client authentication (``fetched``: the keys
        fetched from a ``private_key_jwt`` client's ``jwks_uri``, with that URI)."""
        p = self.provider
        client = p.client_auth.authenticate(authorization, form, fetched)
        grant_type = _required(form, "grant_type", "T-1")
        if grant_type != "authorization_code":
            raise ProtocolError(
                f"grant_type {grant_type[:40]!r} is not supported; use authorization_code",
                code="unsupported_grant_type",
                clause="T-1",
            )
        code_value = _required(form, "code", "T-1")
        redirect_uri = _required(form, "redirect_uri", "T-1")
        if "code_verifier" not in form and self._skip and self._no_verifier_needed(code_value):
            verifier = ""  # a deliberately broken provider's (test only)
        else:
            verifier = _required(form, "code_verifier", "S-1")
        code, access_token, grant = p.grants.redeem(
            code_value,
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            code_verifier=verifier,
        )
        gone = p.gone_since(code.persona.personal_id)
        if gone is not None:
            p.grants.access_tokens.pop(access_token)  # nothing issued for a citizen gone
            raise ProtocolError(
                f"the citizen's account was {gone} since the consent; the code is void",
                code="invalid_grant",
                clause="A-4",
            )
        claims = id_token_claims(
            issuer=p.issuer,
            client_id=client.client_id,
            sub=grant.sub,
            persona=code.persona,
            acr=code.acr,
            auth_time=code.auth_time,
            nonce=code.nonce,
            now=p.clock.now(),
            ttl=p.profile.id_token_ttl,
        )
        return p.inject(
            TOKEN_RESPONSE,
            client.client_id,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": p.profile.access_token_ttl,
                "id_token": p.mint_id_token(client.client_id, claims),
                "scope": code.scope,
            },
        )

    def _no_verifier_needed(self, code_value: str) -> bool:
        """A deliberately broken provider's token request may leave ``code_verifier`` out:
        when it forgets the ``verifier`` check, or, forgetting the ``challenge`` check, for a
        code issued without a challenge (test only)."""
        if "verifier" in self._skip:
            return True
        code = self.provider.grants.codes.get(code_value) if "challenge" in self._skip else None
        return code is not None and not code.code_challenge

    async def userinfo(self, request: Request) -> Response:
        """T-5: "GET {vneid}/userinfo with the access token returns the same identity
        claims"; an unknown, expired or revoked token is 401 ``invalid_token`` (RFC 6750), and
        so is the token of a citizen locked or removed (§11) since it was issued: it is revoked
        then, as the app session of a locked citizen ends (A-5)."""
        token = bearer_token(request, clause="T-5")
        p = self.provider
        grant = p.grants.access_tokens.get(token)
        if grant is None:
            raise ProtocolError(
                "the access token is unknown, expired or revoked",
                code="invalid_token",
                clause="T-5",
            )
        gone = p.gone_since(grant.persona.personal_id)
        if gone is not None:
            p.grants.access_tokens.pop(token)
            raise ProtocolError(
                "the access token is revoked: the citizen's account was "
                f"{gone} since it was issued",
                code="invalid_token",
                clause="T-5",
            )
        body = {"sub": grant.sub, **identity_claims(grant.persona)}
        return FastJSONResponse(p.inject(USERINFO, grant.client_id, body), headers=NO_STORE)
