"""T-1's client authentication as both sides name it: the methods a client registers one of
(``token_endpoint_auth_method``), those that send a secret, and RFC 7523's assertion type
for ``private_key_jwt``. One place, so the mock VNeID, the mock VssID and the harness's own
relying party cannot drift apart."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ASSERTION_TYPE",
    "AUTH_METHODS",
    "SECRET_AUTH_METHODS",
    "AuthMethod",
    "SecretAuthMethod",
]

SecretAuthMethod = Literal["client_secret_basic", "client_secret_post"]
"""The methods that send a client secret (RFC 6749 §2.3.1)."""
AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
"""T-1: every method a client may register."""
SECRET_AUTH_METHODS: tuple[SecretAuthMethod, ...] = get_args(SecretAuthMethod)
AUTH_METHODS: tuple[AuthMethod, ...] = get_args(AuthMethod)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""RFC 7523 §2.2: the ``client_assertion_type`` of ``private_key_jwt``."""
