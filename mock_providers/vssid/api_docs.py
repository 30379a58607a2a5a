"""The VssID mock's operations for its OpenAPI document (:mod:`mock_providers.openapi`).

Schemas come from the constants the handlers and validators use; :func:`build` refuses a route
of the app without an entry here (and an entry without a route).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from harness.protocol import FULL_NAME_PATTERN, MAX_FULL_NAME, paths
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
from mock_providers.vssid.control import MAX_CLOCK_OFFSET, package_version
from mock_providers.vssid.settings import SKIPPABLE_CHECKS

__all__ = ["OPERATIONS", "build", "docs_routes"]

PRINTABLE = r"^[ -~]+$"
"""Configuration values are printable ASCII (RFC 6749 Appendix A)."""
APP_HEADERS = (
    header(
        "X-VssID-App-Version",
        oa.VERSION_SCHEMA,
        "V-4: the VssID app version (≥ 1.6.7)",
        required=True,
    ),
    header(
        "X-Device-Platform",
        string(),
        "ios or android: the platform whose store link a 426 carries (informational: "
        "another value gets no store_url)",
    ),
)
APP_ERRORS = {
    400: "invalid_request, app_version_invalid (V-3)",
    426: "app_update_required: the app is below the minimum version (V-4)",
}
ACCOUNT = obj(
    {
        "bhxh_code": string(10, min_length=10, pattern=r"^[0-9]{10}$"),
        "personal_id": string(12, min_length=12, pattern=r"^[0-9]{12}$"),
        "full_name": string(MAX_FULL_NAME, min_length=1, pattern=FULL_NAME_PATTERN),
        "status": string(enum=["active", "locked"]),
    },
    ["bhxh_code", "personal_id", "full_name"],
    additional=False,
    description="§11: a VssID account; one per personal_id (P-1)",
)
ACCOUNT_OUT = obj(ACCOUNT["properties"], [*ACCOUNT["required"], "status"])


def _or_null(schema: oa.Schema) -> oa.Schema:
    return {"anyOf": [schema, {"type": "null"}]}


CONFIG_IN = obj(
    {
        "issuer": _or_null(string(2048, pattern=r"^https?://[ -~]+$")),
        "client_id": _or_null(string(255, min_length=1, pattern=PRINTABLE)),
        "client_secret": _or_null(string(1024, min_length=1, pattern=PRINTABLE)),
        "redirect_uri": _or_null(string(2048, min_length=1, pattern=PRINTABLE)),
        "link_form": _or_null(
            string(enum=["custom", "https"], description="the form of the authorize links (A-1)")
        ),
    },
    additional=False,
    description="a partial update: a field left out or null is unchanged; each value validated",
)
CONFIG_OUT = obj(
    {
        "issuer": string(),
        "client_id": string(),
        "client_secret": string(description="redacted"),
        "redirect_uri": string(),
        "link_form": string(),
        "token_endpoint_auth_method": string(),
        "fetch_userinfo": {"type": "boolean"},
        "base_url": string(),
        "admin_token_set": {"type": "boolean"},
        "skip_checks": array(string(enum=list(SKIPPABLE_CHECKS))),
    },
    ["issuer", "client_id", "redirect_uri", "skip_checks"],
)
CLOCK = oa.CLOCK_SCHEMA
DIRECTION = query(
    "direction",
    string(enum=["incoming", "outgoing"]),
    "which log: requests received (default) or calls made to the issuer",
)

OPERATIONS: dict[tuple[str, str], Operation] = {
    **oa.DOCS_OPERATIONS,
    # -- the VssID app API (§4) ---------------------------------------------------------
    ("POST", paths.VSSID_START): Operation(
        "Start a login with VNeID: a transaction and the authorize app link",
        "A-1",
        "app",
        {
            200: Reply(
                "the transaction",
                obj(
                    {
                        "transaction_id": string(),
                        "authorize_url": string(),
                        "expires_in": integer(1),
                    },
                    ["transaction_id", "authorize_url", "expires_in"],
                ),
            )
        },
        APP_ERRORS,
        body=Body(obj({}), required=False, description="{} or nothing"),
        parameters=APP_HEADERS,
    ),
    ("POST", paths.VSSID_COMPLETE): Operation(
        "Complete a login with the callback as delivered: checks, code redemption, session",
        "A-6",
        "app",
        {
            200: Reply(
                "the VssID session of the person the ID token names",
                obj(
                    {
                        "session_token": string(),
                        "bhxh_code": string(),
                        "full_name": string(),
                        "expires_in": integer(1),
                    },
                    ["session_token", "bhxh_code", "full_name", "expires_in"],
                ),
            )
        },
        {
            **APP_ERRORS,
            400: "invalid_request, state_mismatch (R-1), issuer_mismatch (R-2), an error in the "
            "callback (R-3), a foreign redirect_uri (R-4), app_version_invalid",
            401: "id_token_invalid with the failed clause (R-5 … R-9, T-5)",
            403: "identity_level_insufficient (R-10)",
            404: "transaction_not_found, vssid_account_not_found (P-1, R-11)",
            409: "transaction_already_used (R-1)",
            410: "transaction_expired (R-1)",
            423: "account_locked: the VssID account is locked (P-1)",
            502: "provider_unavailable: the issuer could not be reached or answered garbage",
        },
        body=Body(
            obj(
                {"transaction_id": string(256), "callback_url": string(MAX_LINK_LENGTH)},
                ["transaction_id", "callback_url"],
            )
        ),
        parameters=APP_HEADERS,
    ),
    ("GET", paths.VSSID_ME): Operation(
        "The logged-in person",
        "A-6",
        "app",
        {
            200: Reply(
                "the person of the session",
                obj(
                    {"bhxh_code": string(), "full_name": string(), "personal_id": string()},
                    ["bhxh_code", "full_name", "personal_id"],
                ),
            )
        },
        {**APP_ERRORS, 401: "invalid_token: unknown or expired session, or the account went away"},
        parameters=APP_HEADERS,
        security=({"vssidSession": []},),
    ),
    # -- the test-control API (§11) ----------------------------------------------------
    ("GET", paths.HEALTH): Operation(
        "Health",
        "S-6",
        "control",
        {
            200: Reply(
                "up",
                obj({"status": string(enum=["ok"]), "version": string()}, ["status", "version"]),
            )
        },
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.ACCOUNTS): Operation(
        "List the VssID accounts",
        "P-1",
        "control",
        {200: Reply("the accounts", obj({"accounts": array(ACCOUNT_OUT)}, ["accounts"]))},
        parameters=(
            query(
                "personal_id",
                string(64),
                "only the account linked to this personal_id (none or one: P-1)",
            ),
        ),
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.ACCOUNTS): Operation(
        "Add or replace a VssID account",
        "P-1",
        "control",
        {200: Reply("the account", ACCOUNT_OUT)},
        {
            400: "invalid_request naming the field, a second account for one personal_id, or "
            "the account limit reached",
            503: "stored in memory, but the state file could not be written",
        },
        body=Body(ACCOUNT),
        security=CONTROL_SECURITY,
    ),
    ("DELETE", paths.ACCOUNTS + "/{bhxh_code}"): Operation(
        "Remove a VssID account",
        "P-1",
        "control",
        {200: Reply("removed", obj({"deleted": string()}, ["deleted"]))},
        {
            404: "no such account (not_found)",
            503: "removed in memory, but the state file could not be written",
        },
        parameters=(path_param("bhxh_code", string(64), "the 10-digit bhxh_code"),),
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.CONFIG): Operation(
        "The relying-party settings (secret redacted)",
        "R-2",
        "control",
        {200: Reply("the settings", CONFIG_OUT)},
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.CONFIG): Operation(
        "Point the relying party at an issuer (logins already started keep theirs)",
        "R-2",
        "control",
        {200: Reply("the settings", CONFIG_OUT)},
        {400: "unknown field, or a value the validators refuse (naming it)"},
        body=Body(CONFIG_IN),
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.CLOCK): Operation(
        "This provider's clock offset",
        "R-8",
        "control",
        {200: Reply("the offset and now", CLOCK)},
        security=CONTROL_SECURITY,
    ),
    ("POST", paths.CLOCK): Operation(
        "Move this provider's clock",
        "R-8",
        "control",
        {200: Reply("the offset and now", CLOCK)},
        {400: "offset_seconds missing, not finite or beyond ten years"},
        body=Body(
            obj({"offset_seconds": number(-MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET)}, ["offset_seconds"])
        ),
        security=CONTROL_SECURITY,
    ),
    ("GET", paths.REQUESTS): Operation(
        "The requests received (or, ?direction=outgoing, made to the issuer), secrets "
        "redacted (S-5)",
        "S-5",
        "control",
        {200: Reply("the log", obj({"requests": array({"type": "object"})}, ["requests"]))},
        {400: "direction is neither incoming nor outgoing"},
        parameters=(DIRECTION,),
        security=CONTROL_SECURITY,
    ),
    ("DELETE", paths.REQUESTS): Operation(
        "Empty a log (both without direction)",
        "S-5",
        "control",
        {
            200: Reply(
                "which log went",
                obj({"cleared": string(enum=["incoming", "outgoing", "all"])}, ["cleared"]),
            )
        },
        {400: "direction is neither incoming nor outgoing"},
        parameters=(DIRECTION,),
        security=CONTROL_SECURITY,
    ),
    **lease_operations(),
}

SECURITY_SCHEMES = {
    "vssidSession": {
        "type": "http",
        "scheme": "bearer",
        "description": "A-6: the session_token of complete",
    },
    "adminToken": oa.ADMIN_TOKEN_SCHEME,
}


def build(routes: Sequence[BaseRoute], server: str) -> oa.Schema:
    return oa.build_spec(
        routes,
        OPERATIONS,
        title="Mock VssID backend",
        version=package_version(),
        description="The harness's VssID backend (PROTOCOL.md): the relying party of VNeID, "
        "the VssID app API (§4) and the test-control API (§11). Every error is "
        "the §8 JSON body.",
        server=server,
        security_schemes=SECURITY_SCHEMES,
    )


def docs_routes(routes: Sequence[BaseRoute], *, server: str) -> list[BaseRoute]:
    """``/openapi.json`` and ``/docs`` for the VssID app."""
    return oa.docs_routes(routes, lambda all_routes: build(all_routes, server))
