"""The VNeID mock's operations for its OpenAPI document (:mod:`mock_providers.openapi`).

Schemas come from the constants the handlers and validators use; :func:`build` refuses a route
of the app without an entry here (and an entry without a route).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from harness.protocol import ACR_LEVEL1, ACR_LEVEL2, FULL_NAME_PATTERN, MAX_FULL_NAME, paths
from harness.protocol.links import MAX_LINK_LENGTH
from mock_providers import openapi as oa
from mock_providers._lease import lease_operations
from mock_providers.openapi import (
    CONTROL_SECURITY,
    Body,
    Operation,
    Reply,
    array,
    header,
    integer,
    number,
    obj,
    path_param,
    query,
    string,
)
from mock_providers.vneid.authorize import DECISIONS, SUPPORTED_SCOPES
from mock_providers.vneid.client_auth import ASSERTION_TYPE
from mock_providers.vneid.control import MAX_CLOCK_OFFSET, package_version
from mock_providers.vneid.faults import FAULTS, MAX_FAULT_TIMES
from mock_providers.vneid.oidc_api import CLAIMS_SUPPORTED
from mock_providers.vneid.records import AUTH_METHODS, MAX_REDIRECT_URIS

__all__ = ["OPERATIONS", "build", "docs_routes"]

NO_CONTROL = r"^[^\u0000-\u001f\u007f]+$"
"""Text fields refuse control characters (records.py ``_text``)."""
VSCHAR = r"^[ -~]+$"
"""Client ids and secrets are printable ASCII (RFC 6749 Appendix A, records.py ``_vschar``)."""
PERSONAL_ID = string(
    12,
    min_length=12,
    pattern=r"^[0-9]{12}$",
    description="§1: the 12-digit personal identification number",
)
APP_HEADERS = (
    header(
        "X-VNeID-App-Version",
        oa.VERSION_SCHEMA,
        "V-5: the VNeID app version (≥ 2.1.0)",
        required=True,
    ),
    header(
        "X-Device-Platform",
        string(),
        "ios or android: the platform whose store link a 426 carries (informational: "
        "another value gets no store_url)",
    ),
)
SESSION: tuple[dict[str, list[str]], ...] = ({"appSession": []},)
IDENTITY_CLAIMS = ("personal_id", "name", "birthdate", "gender")
"""T-3, T-5: the identity claims (a subset of the discovery's claims_supported)."""
assert set(IDENTITY_CLAIMS) <= set(CLAIMS_SUPPORTED)

PERSONA = obj(
    {
        "personal_id": PERSONAL_ID,
        "passcode": string(128, min_length=1, pattern=NO_CONTROL),
        "level": integer(enum=[1, 2]),
        "full_name": string(MAX_FULL_NAME, min_length=1, pattern=FULL_NAME_PATTERN),
        "birthdate": string(10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", fmt="date"),
        "gender": string(enum=["male", "female"]),
        "status": string(enum=["active", "locked"]),
    },
    ["personal_id", "passcode", "level", "full_name", "birthdate", "gender"],
    additional=False,
    description="§11: a citizen; §1 makes the personal_id agree with gender and birthdate",
)
PERSONA_OUT = obj(
    {**PERSONA["properties"], "passcode": string(description="redacted")},
    [*PERSONA["required"], "status"],
)
JWKS = obj({"keys": array(obj({"kty": string()}, ["kty"]))}, ["keys"])
CLIENT = obj(
    {
        "client_id": string(255, min_length=1, pattern=VSCHAR),
        "redirect_uris": array(
            string(2048, min_length=1), min_items=1, max_items=MAX_REDIRECT_URIS
        ),
        "token_endpoint_auth_method": string(enum=list(AUTH_METHODS)),
        "client_secret": string(512, min_length=1, pattern=VSCHAR),
        "jwks_uri": string(2048, pattern=r"^https?://"),
        "jwks": JWKS,
        "client_name": string(200, min_length=1, pattern=NO_CONTROL),
    },
    ["client_id", "redirect_uris"],
    additional=False,
    description="§11: a relying party (client_secret for the secret methods, jwks for "
    "private_key_jwt)",
)
CLIENT_OUT = obj(
    {
        "client_id": string(),
        "client_name": {"type": ["string", "null"]},
        "redirect_uris": array(string()),
        "token_endpoint_auth_method": string(),
        "client_secret": {"type": ["string", "null"], "description": "redacted"},
        "jwks_uri": {"type": ["string", "null"]},
        "jwks": {"type": ["object", "null"]},
    },
    ["client_id", "redirect_uris", "token_endpoint_auth_method"],
)
FAULT_ARMED = obj(
    {"client_id": string(), "fault": string(), "remaining": integer(1)},
    ["client_id", "fault", "remaining"],
)
EXCHANGE = obj(
    {
        "at": number(),
        "method": string(),
        "path": string(),
        "url": string(),
        "headers": {"type": "object"},
        "body": {},
        "status": integer(),
        "response": {},
    },
    ["at", "method", "path", "status"],
)
CLOCK = oa.CLOCK_SCHEMA
HTML = Reply("an HTML screen (§9)", string(), "text/html")
REDIRECT = Reply(
    "a redirect to the client's registered redirect_uri (A-6, A-7)", headers={"Location": string()}
)

_AUTHORIZE_PARAMS = tuple(
    query(name, string(MAX_LINK_LENGTH), what)
    for name, what in (
        ("response_type", "A-2: code"),
        ("client_id", "A-2"),
        ("redirect_uri", "A-2, S-2: exactly as registered"),
        ("scope", f"A-2: contains openid ({' '.join(SUPPORTED_SCOPES)})"),
        ("state", "A-2"),
        ("nonce", "A-2"),
        ("code_challenge", "S-1: 43 base64url characters"),
        ("code_challenge_method", "S-1: S256"),
        ("acr_values", f"A-2: {ACR_LEVEL2} (or {ACR_LEVEL1})"),
        ("login_hint", "A-2: a personal_id"),
        ("ui_locales", "A-2: vi"),
    )
)

OPERATIONS: dict[tuple[str, str], Operation] = {
    **oa.DOCS_OPERATIONS,
    # -- OpenID Provider (§5) -----------------------------------------------------------
    ("GET", paths.DISCOVERY): Operation(
        "Discovery document",
        "T-4",
        "openid",
        {
            200: Reply(
                "the provider's metadata",
                obj(
                    {
                        "issuer": string(),
                        "authorization_endpoint": string(),
                        "token_endpoint": string(),
                        "userinfo_endpoint": string(),
                        "jwks_uri": string(),
                        "code_challenge_methods_supported": array(string(enum=["S256"])),
                        "acr_values_supported": array(string()),
                        "authorization_response_iss_parameter_supported": {"type": "boolean"},
                        "vneid_app_minimum_version": string(),
                    },
                    [
                        "issuer",
                        "authorization_endpoint",
                        "token_endpoint",
                        "jwks_uri",
                        "code_challenge_methods_supported",
                        "authorization_response_iss_parameter_supported",
                    ],
                ),
            )
        },
    ),
    ("GET", paths.JWKS): Operation(
        "The ID-token signing keys (public)",
        "T-3",
        "openid",
        {200: Reply("a JWK Set (ES256 keys with kid)", JWKS)},
    ),
    ("POST", paths.TOKEN): Operation(
        "Redeem an authorization code (PKCE, client authentication)",
        "T-1",
        "openid",
        {
            200: Reply(
                "the tokens",
                obj(
                    {
                        "access_token": string(),
                        "token_type": string(enum=["Bearer"]),
                        "expires_in": integer(1),
                        "id_token": string(),
                        "scope": string(),
                    },
                    ["access_token", "token_type", "expires_in", "id_token"],
                ),
            )
        },
        {
            400: "invalid_request, invalid_grant (T-2: unknown, expired, reused code; S-1, S-4: "
            "verifier) or unsupported_grant_type",
            401: "invalid_client: missing, wrong or ambiguous client authentication",
            503: "the store of client-assertion ids (kept against replay, RFC 7523 §3) is "
            "full (temporarily_unavailable)",
        },
        body=Body(
            obj(
                {
                    "grant_type": string(enum=["authorization_code"]),
                    "code": string(),
                    "redirect_uri": string(),
                    "code_verifier": string(128),
                    "client_id": string(),
                    "client_secret": string(),
                    "client_assertion_type": string(enum=[ASSERTION_TYPE]),
                    "client_assertion": string(),
                },
                ["grant_type", "code", "redirect_uri", "code_verifier"],
            ),
            "application/x-www-form-urlencoded",
        ),
        security=({"clientSecretBasic": []}, {}),
        description="client_secret_basic (Authorization: Basic), client_secret_post "
        "(client_id and client_secret in the form) or private_key_jwt "
        "(client_assertion), as the client registered; a parameter given twice "
        "is invalid_request. Armed faults (§11) change this answer on purpose.",
    ),
    **{
        (method, paths.USERINFO): Operation(
            "The identity claims of an access token",
            "T-5",
            "openid",
            {
                200: Reply(
                    "the claims",
                    obj(
                        {name: string() for name in ("sub", *IDENTITY_CLAIMS)},
                        ["sub", "personal_id", "name", "birthdate", "gender"],
                    ),
                )
            },
            {401: "invalid_token: missing, unknown, expired or revoked access token"},
            security=({"accessToken": []},),
            description="Armed faults (§11) change this answer on purpose.",
        )
        for method in ("GET", "POST")
    },
    # -- the VNeID app API (§4) ---------------------------------------------------------
    ("POST", paths.APP_SESSIONS): Operation(
        "Log a citizen in (level-2 account)",
        "A-4",
        "app",
        {
            200: Reply(
                "an app session",
                obj(
                    {
                        "session_token": string(),
                        "level": integer(enum=[1, 2]),
                        "expires_in": integer(1),
                    },
                    ["session_token", "level", "expires_in"],
                ),
            )
        },
        {
            400: "invalid_request (fields), app_version_invalid (V-3)",
            401: "invalid_credentials",
            423: "account_locked",
            426: "app_update_required: the app is below the minimum version (V-5)",
        },
        body=Body(
            obj({"personal_id": string(64), "passcode": string(128)}, ["personal_id", "passcode"])
        ),
        parameters=APP_HEADERS,
    ),
    ("POST", paths.APP_AUTHORIZATIONS): Operation(
        "Answer an authorization request (the link as received, the citizen's decision)",
        "A-5",
        "app",
        {
            200: Reply(
                "where the app sends the citizen: the client's redirect_uri with a code "
                "or an error (A-7)",
                obj({"redirect_to": string()}, ["redirect_to"]),
            )
        },
        {
            400: "invalid_request, invalid_client or invalid_redirect_uri (never redirected, "
            "S-3), app_version_invalid",
            401: "invalid_token: no live app session (expired, unknown, or its citizen was "
            "locked since the login: the login then answers account_locked)",
            426: "app_update_required (V-5)",
        },
        body=Body(
            obj(
                {"link": string(MAX_LINK_LENGTH), "decision": string(enum=list(DECISIONS))},
                ["link", "decision"],
            )
        ),
        parameters=APP_HEADERS,
        security=SESSION,
    ),
    # -- the web flow (§9 screens) ------------------------------------------------------
    ("GET", paths.AUTHORIZE): Operation(
        "Start the web authorization flow: the level-2 login screen",
        "A-2",
        "web",
        {200: HTML, 302: REDIRECT},
        {
            400: "the request cannot be shown (unknown client, unregistered redirect_uri: never "
            "redirected, S-3), as the §9 error screen"
        },
        parameters=_AUTHORIZE_PARAMS,
        html_errors=True,
    ),
    ("POST", paths.AUTHORIZE): Operation(
        "The same as GET /authorize, the request form-encoded in the body (OpenID Connect "
        "Core §3.1.2.1)",
        "A-2",
        "web",
        {200: HTML, 303: REDIRECT},
        {
            400: "the request cannot be shown (unknown client, unregistered redirect_uri: never "
            "redirected, S-3), or the body is not form-encoded, as the §9 error screen"
        },
        body=Body(
            obj({p["name"]: string(MAX_LINK_LENGTH) for p in _AUTHORIZE_PARAMS}),
            "application/x-www-form-urlencoded",
        ),
        html_errors=True,
    ),
    ("POST", paths.AUTHORIZE_LOGIN): Operation(
        "The web login form (A-4)",
        "A-4",
        "web",
        {200: HTML, 303: REDIRECT},
        {
            400: "expired or unknown request_id, malformed form (error screen)",
            401: "invalid_credentials (the login screen again)",
            423: "account_locked (the login screen again)",
        },
        body=Body(
            obj({"request_id": string(), "personal_id": string(), "passcode": string()}),
            "application/x-www-form-urlencoded",
        ),
        html_errors=True,
    ),
    ("POST", paths.AUTHORIZE_DECISION): Operation(
        "The web consent form (A-5)",
        "A-5",
        "web",
        {303: REDIRECT},
        {400: "expired or unknown request_id, no login, bad decision (error screen)"},
        body=Body(
            obj({"request_id": string(), "decision": string(enum=list(DECISIONS))}),
            "application/x-www-form-urlencoded",
        ),
        html_errors=True,
    ),
    # -- the test-control API (§11) ----------------------------------------------------
    ("GET", paths.HEALTH): Operation(
        "Health",
        "S-6",
        "control",
        {
            200: Reply(
                "up",
                obj(
                    {"status": string(enum=["ok"]), "version": string(), "issuer": string()},
                    ["status", "version"],
                ),
            )
        },
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.PERSONAS): Operation(
        "List the citizens (passcodes redacted)",
        "A-4",
        "control",
        {200: Reply("the personas", obj({"personas": array(PERSONA_OUT)}, ["personas"]))},
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.PERSONAS): Operation(
        "Add or replace a citizen",
        "A-4",
        "control",
        {200: Reply("the persona (passcode redacted)", PERSONA_OUT)},
        {
            400: "invalid_request naming the field, or the persona limit reached",
            503: "stored in memory, but the state file could not be written",
        },
        body=Body(PERSONA),
        security=CONTROL_SECURITY,
    ),
    ("DELETE", paths.PERSONAS + "/{personal_id}"): Operation(
        "Remove a citizen",
        "A-4",
        "control",
        {200: Reply("removed", obj({"deleted": string()}, ["deleted"]))},
        {
            404: "no such persona (not_found)",
            503: "removed in memory, but the state file could not be written",
        },
        parameters=(path_param("personal_id", string(64), "§1"),),
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.CLIENTS): Operation(
        "List the registered relying parties (secrets redacted)",
        "T-1",
        "control",
        {200: Reply("the clients", obj({"clients": array(CLIENT_OUT)}, ["clients"]))},
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.CLIENTS): Operation(
        "Register or replace a relying party",
        "T-1",
        "control",
        {200: Reply("the client (secret redacted)", CLIENT_OUT)},
        {
            400: "invalid_request naming the field, or the client limit reached",
            503: "stored in memory, but the state file could not be written",
        },
        body=Body(CLIENT),
        security=CONTROL_SECURITY,
    ),
    ("DELETE", paths.CLIENTS + "/{client_id:path}"): Operation(
        "Unregister a relying party (its armed faults go with it)",
        "T-1",
        "control",
        {200: Reply("removed", obj({"deleted": string()}, ["deleted"]))},
        {
            404: "no such client (not_found)",
            503: "removed in memory, but the state file could not be written",
        },
        parameters=(
            path_param(
                "client_id", string(256), "RFC 6749 §2.2 (percent-encoded; it may hold '/')"
            ),
        ),
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.CLOCK): Operation(
        "Move this provider's clock",
        "T-2",
        "control",
        {200: Reply("the offset and the provider's now", CLOCK)},
        {400: "offset_seconds missing, not finite or beyond ten years"},
        body=Body(
            obj({"offset_seconds": number(-MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET)}, ["offset_seconds"])
        ),
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.FAULTS): Operation(
        "The armed faults and the fault catalog",
        "R-12",
        "control",
        {
            200: Reply(
                "armed faults and catalog",
                obj(
                    {
                        "faults": array(
                            obj({"client_id": string(), "fault": string(), "remaining": integer()})
                        ),
                        "catalog": array(
                            obj({"name": string(), "clause": string()}, ["name", "clause"])
                        ),
                    },
                    ["faults", "catalog"],
                ),
            )
        },
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.FAULTS): Operation(
        "Arm a relying-party fault for a client",
        "R-12",
        "control",
        {200: Reply("armed", FAULT_ARMED)},
        {400: "unknown field or fault, times out of range", 404: "no such client (not_found)"},
        body=Body(
            obj(
                {
                    "client_id": string(256),
                    "fault": string(enum=FAULTS.names()),
                    "times": integer(1, MAX_FAULT_TIMES),
                },
                ["client_id", "fault"],
                additional=False,
            )
        ),
        security=CONTROL_SECURITY,
    ),
    ("DELETE", paths.FAULTS): Operation(
        "Disarm every fault, or one client's",
        "R-12",
        "control",
        {200: Reply("how many were armed", obj({"cleared": integer(0)}, ["cleared"]))},
        {404: "no such client (not_found)"},
        parameters=(query("client_id", string(256), "only this client's faults"),),
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.REQUESTS): Operation(
        "The requests this provider received, newest last, secrets redacted (S-5)",
        "S-5",
        "control",
        {200: Reply("the request log", obj({"requests": array(EXCHANGE)}, ["requests"]))},
        security=CONTROL_SECURITY,
    ),
    ("DELETE", paths.REQUESTS): Operation(
        "Empty the request log",
        "S-5",
        "control",
        {200: Reply("how many went", obj({"cleared": integer(0)}, ["cleared"]))},
        security=CONTROL_SECURITY,
    ),
    **lease_operations(),
}

SECURITY_SCHEMES = {
    "appSession": {
        "type": "http",
        "scheme": "bearer",
        "description": "A-5: the session_token of POST /api/app/v1/sessions",
    },
    "accessToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "T-5: the access_token of POST /token",
    },
    "clientSecretBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "T-1: client_secret_basic",
    },
    "adminToken": oa.ADMIN_TOKEN_SCHEME,
}


def build(routes: Sequence[BaseRoute], server: str) -> oa.Schema:
    return oa.build_spec(
        routes,
        OPERATIONS,
        title="Mock VNeID identity provider",
        version=package_version(),
        description="The harness's VNeID (PROTOCOL.md): OpenID Provider (§5), the VNeID app "
        "API (§4), the web flow (§9) and the test-control API (§11). Every error "
        "is the §8 JSON body (the web flow shows it as its error screen).",
        server=server,
        security_schemes=SECURITY_SCHEMES,
    )


def docs_routes(routes: Sequence[BaseRoute], *, server: str) -> list[BaseRoute]:
    """``/openapi.json`` and ``/docs`` for the VNeID app."""
    return oa.docs_routes(routes, lambda all_routes: build(all_routes, server))
