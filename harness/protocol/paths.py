"""The endpoint paths PROTOCOL.md fixes, by name: one home for the mocks' routes, their
OpenAPI documents, the harness's calls (targets, apps, preflight) and the paths that tell
which clause a refusal cites. Tests keep their literals: they pin the protocol.

A vendor's profile may move the authorization endpoint (``Profile.authorize_path``); its
default is :data:`AUTHORIZE`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCOUNTS",
    "APP_API_PREFIX",
    "APP_AUTHORIZATIONS",
    "APP_SESSIONS",
    "AUTHORIZE",
    "AUTHORIZE_DECISION",
    "AUTHORIZE_LOGIN",
    "CLIENTS",
    "CLOCK",
    "CONFIG",
    "CONTROL_PREFIX",
    "DISCOVERY",
    "FAULTS",
    "HEALTH",
    "JWKS",
    "LEASE",
    "PERSONAS",
    "REQUESTS",
    "TOKEN",
    "USERINFO",
    "VSSID_COMPLETE",
    "VSSID_ME",
    "VSSID_START",
]

# -- the mock VNeID: OpenID Connect (A-2, T-1, T-4, T-5) ------------------------------------
DISCOVERY: Final = "/.well-known/openid-configuration"
"""T-4: the discovery document."""
JWKS: Final = "/jwks"
AUTHORIZE: Final = "/authorize"
"""A-2: the authorization endpoint (the web login's too)."""
AUTHORIZE_LOGIN: Final = "/authorize/login"
"""The web login's form posts (the browser's path, no app)."""
AUTHORIZE_DECISION: Final = "/authorize/decision"
TOKEN: Final = "/token"
USERINFO: Final = "/userinfo"

# -- the VNeID app's API (A-4, A-5) ------------------------------------------------------------
APP_API_PREFIX: Final = "/api/app/"
APP_SESSIONS: Final = "/api/app/v1/sessions"
APP_AUTHORIZATIONS: Final = "/api/app/v1/authorizations"

# -- the VssID app's API (A-1, A-6) ------------------------------------------------------------
VSSID_START: Final = "/api/v1/auth/vneid/start"
VSSID_COMPLETE: Final = "/api/v1/auth/vneid/complete"
VSSID_ME: Final = "/api/v1/me"

# -- the test-control API (§11), under /_harness/ on each provider ----------------------------
CONTROL_PREFIX: Final = "/_harness/"
HEALTH: Final = "/_harness/health"
PERSONAS: Final = "/_harness/personas"
CLIENTS: Final = "/_harness/clients"
FAULTS: Final = "/_harness/faults"
CLOCK: Final = "/_harness/clock"
ACCOUNTS: Final = "/_harness/accounts"
CONFIG: Final = "/_harness/config"
REQUESTS: Final = "/_harness/requests"
LEASE: Final = "/_harness/lease"
"""Beyond §11: one user of a provider at a time (:mod:`mock_providers._lease`)."""
