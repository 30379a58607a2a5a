"""What the checks before a run say of a remote target's TLS (an https provider): a
certificate the harness does not trust, one expired or for another host, a plain-HTTP server
given as ``https://`` and the other way round, and a CA file (``SSL_CERT_FILE``) that cannot
be read. Each is a one-line refusal that names the problem and what to change, instead of
"does not answer; is it running?".

The harness's clients (httpx) trust the public CAs of ``certifi``, or, when set, only the CA
certificates of ``SSL_CERT_FILE`` (a PEM file) or of ``SSL_CERT_DIR`` (a directory prepared
with ``openssl rehash``): the way to trust a vendor's private CA or self-signed
certificate. Nothing here turns certificate checks off."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["CA_FILE_ENV", "CA_DIR_ENV", "ca_environment_problem", "tls_problem"]

CA_FILE_ENV = "SSL_CERT_FILE"
CA_DIR_ENV = "SSL_CERT_DIR"

_UNTRUSTED = {
    2,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT
    18,  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
    19,  # X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN
    20,  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21,  # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
}
_EXPIRED = 10  # X509_V_ERR_CERT_HAS_EXPIRED
_NOT_YET_VALID = 9  # X509_V_ERR_CERT_NOT_YET_VALID
_WRONG_HOST = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH


def _trusted(env: Mapping[str, str]) -> str:
    """What the harness trusts now, as said in a message (``SSL_CERT_FILE`` wins)."""
    if env.get(CA_FILE_ENV):
        return f"it trusts only the CA certificates of {CA_FILE_ENV}={env[CA_FILE_ENV]}"
    if env.get(CA_DIR_ENV):
        return f"it trusts the CA certificates of {CA_DIR_ENV}={env[CA_DIR_ENV]}"
    return f"it trusts the public CAs only ({CA_FILE_ENV} is not set)"


def ca_environment_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the CA certificates the harness is told to trust cannot be loaded, or ``None``:
    httpx reads ``SSL_CERT_FILE`` (or, when it is unset, ``SSL_CERT_DIR``) as it makes each
    client, and a missing file or one without a PEM certificate ended the run in a
    traceback."""
    env = os.environ if environ is None else environ
    name = CA_FILE_ENV if env.get(CA_FILE_ENV) else CA_DIR_ENV if env.get(CA_DIR_ENV) else None
    if name is None:
        return None
    path = env[name]
    try:
        if name == CA_FILE_ENV:
            ssl.create_default_context(cafile=path)
        elif not os.path.isdir(path):
            raise NotADirectoryError("no such directory")
    except (OSError, ssl.SSLError) as exc:
        said = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        what = "a PEM file of CA certificates" if name == CA_FILE_ENV else "a directory of them"
        return (
            f"{name}={path} cannot be read as {what} ({said}): the harness trusts the CAs "
            f"it names for https targets; give the PEM certificate of the CA that issued "
            f"the provider's certificate (or unset {name})"
        )
    return None


def tls_problem(
    exc: BaseException,
    name: str,
    url: str,
    shown: str,
    timeout: float = 5.0,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """What a failed call to the ``name`` target at ``url`` says of its TLS, as the
    preflight's refusal (``shown``: the URL as it may be printed), or ``None`` when the
    failure is not one of TLS."""
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    cause = _ssl_cause(exc)
    target = f"the {name} target at {shown}"
    if parts.scheme == "http":
        import httpx

        # a TLS server closes a plain-HTTP connection without an answer
        closed = isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError)
        if closed and _speaks_tls(host, port, timeout):
            https = shown.replace("http://", "https://", 1)
            return (
                f"{target} closed the connection without an answer, and it answers TLS at "
                f"that port: it serves https, give {https}"
            )
        return None
    if isinstance(cause, ssl.SSLCertVerificationError):
        return _certificate_problem(cause, target, host, port, timeout, env)
    if isinstance(cause, ssl.SSLError) and cause.reason in (
        "WRONG_VERSION_NUMBER",
        "RECORD_LAYER_FAILURE",
        "HTTP_REQUEST",
    ):
        http = shown.replace("https://", "http://", 1)
        return (
            f"{target} does not answer TLS at that port ({cause.reason}): it serves plain "
            f"HTTP there; give {http}, or the provider's https port"
        )
    if isinstance(cause, ssl.SSLError):
        return (
            f"{target} refused the TLS handshake ({type(cause).__name__}: {cause}); "
            "is that port the provider's https one?"
        )
    return None


def _certificate_problem(
    cause: ssl.SSLCertVerificationError,
    target: str,
    host: str,
    port: int,
    timeout: float,
    env: Mapping[str, str],
) -> str:
    said = f"{cause.verify_message}"
    about = _describe(_peer_certificate(host, port, timeout))
    code = cause.verify_code
    if code in _UNTRUSTED:
        self_signed = code == 18
        return (
            f"{target} has a TLS certificate the harness does not trust ({said}{about}); "
            f"{_trusted(env)}. If the provider's certificate is "
            + (
                "self-signed, give that certificate"
                if self_signed
                else "issued by a private CA, give that CA's certificate"
            )
            + f" as a PEM file in {CA_FILE_ENV} (e.g. {CA_FILE_ENV}=/path/ca.pem "
            f"vneid-harness …; it then replaces the public CAs, so put them in the same file "
            f"if other targets need them), or a directory of them in {CA_DIR_ENV} "
            '(docs/conformance.md, "Providers over https")'
        )
    if code in (_EXPIRED, _NOT_YET_VALID):
        when = "has expired" if code == _EXPIRED else "is not valid yet"
        return (
            f"{target} has a TLS certificate that {when} ({said}{about}): the provider must "
            "serve a certificate valid now (check its clock, and this machine's)"
        )
    if code in _WRONG_HOST:
        return (
            f"{target} has a TLS certificate that is not for {host} ({said}{about}): give "
            "the URL with a host name the certificate names, or have the provider serve one "
            f"whose subjectAltName names {host}"
        )
    return f"{target} has a TLS certificate the harness refuses ({said}{about})"


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ``ssl.SSLError`` under an httpx error (httpx, then httpcore, then ssl)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _unverified_context() -> ssl.SSLContext:
    """Only to look at a server that already failed a checked call: what it serves, never
    to trust it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _peer_certificate(host: str, port: int, timeout: float) -> bytes | None:
    """The DER certificate the server at ``host:port`` presents, unchecked; ``None`` if it
    cannot be read."""
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            _unverified_context().wrap_socket(raw, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except (OSError, ValueError):
        return None


def _speaks_tls(host: str, port: int, timeout: float) -> bool:
    return _peer_certificate(host, port, timeout) is not None


def _describe(der: bytes | None) -> str:
    """``; it is for …, issued by …, valid … to …`` of a certificate, or ``""``."""
    if der is None:
        return ""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            named = ", ".join(
                [*names.get_values_for_type(x509.DNSName)]
                + [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
            )
        except x509.ExtensionNotFound:
            named = cert.subject.rfc4514_string()
        start = cert.not_valid_before_utc.date().isoformat()
        end = cert.not_valid_after_utc.date().isoformat()
        issuer = cert.issuer.rfc4514_string()
    except ValueError:
        return ""
    return (
        f"; the certificate is for {named or '(no name)'}, issued by {issuer}, "
        f"valid {start} to {end}"
    )
