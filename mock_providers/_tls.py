"""The one TLS context of the providers' outgoing calls (VssID to its issuer, VNeID to a
client's ``jwks_uri``)."""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every outgoing client: building one costs ~30 ms of CPU, which
    capped a served VssID at ~30 logins a second."""
    return httpx.create_ssl_context()
