"""The one TLS context of the providers' outgoing calls (VssID to its issuer, VNeID to a
client's ``jwks_uri``)."""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["certificate_hint", "tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every outgoing client: building one costs ~30 ms of CPU, which
    capped a served VssID at ~30 logins a second."""
    return httpx.create_ssl_context()


def certificate_hint(exc: BaseException) -> str:
    """What to add to an outgoing call's failure when the server's certificate was refused
    (a vendor's VNeID with a certificate of a private CA): how this process is told to trust
    it. ``""`` for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return (
                "; this process trusts the CAs of SSL_CERT_FILE (or SSL_CERT_DIR) as it "
                "was started: start it with SSL_CERT_FILE naming the PEM certificate of "
                "the CA that issued the server's (docs/conformance.md, Providers over https)"
            )
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return ""
