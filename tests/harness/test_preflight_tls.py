"""A vendor's provider over https: the checks before a run name what is wrong with its TLS
(a certificate from a CA the harness does not trust, one expired or for another host, plain
HTTP given as https and the other way round, an unreadable ``SSL_CERT_FILE``) and how to fix
it, in one line, instead of "does not answer; is it running?" or a traceback."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.preflight import PreflightTargets, preflight

_VALID = (datetime.datetime(2020, 1, 1), datetime.datetime(2099, 1, 1))
_EXPIRED = (datetime.datetime(2020, 1, 1), datetime.datetime(2020, 2, 1))


def _key(n: int) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(1000 + n, ec.SECP256R1())  # fixed: no randomness


def _cert(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None,
    serial: int,
    *,
    names: list[x509.GeneralName] | None = None,
    valid: tuple[datetime.datetime, datetime.datetime] = _VALID,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
    return builder.sign(issuer_key, hashes.SHA256())


_LOOPBACK: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private CA (ca.pem) and the server certificates it issued: good, expired and
    wronghost; and self (self-signed, for 127.0.0.1). Each NAME.pem with NAME.key."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key = _key(0)
    ca = ("Test Internal CA", ca_key)

    def write(name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / f"{name}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    write("ca", _cert("Test Internal CA", ca_key, None, 1), ca_key)
    write("good", _cert("good", _key(1), ca, 2, names=_LOOPBACK), _key(1))
    write("expired", _cert("expired", _key(2), ca, 3, names=_LOOPBACK, valid=_EXPIRED), _key(2))
    wrong: list[x509.GeneralName] = [x509.DNSName("idp.other.test")]
    write("wronghost", _cert("wronghost", _key(3), ca, 4, names=wrong), _key(3))
    write("self", _cert("127.0.0.1", _key(4), None, 5, names=_LOOPBACK), _key(4))
    return folder


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve(pki: Path) -> Iterator[Callable[[str | None], int]]:
    """``serve(NAME)``: a server answering 404 on 127.0.0.1 over TLS with NAME's certificate
    (``None``: plain HTTP); its port."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(name: str | None) -> int:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
        server.daemon_threads = True
        if name is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(pki / f"{name}.pem", pki / f"{name}.key")
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def _refusal(url: str) -> str:
    said = preflight(PreflightTargets(vneid_url=url), timeout=5.0)
    assert said is not None
    assert "\n" not in said
    assert "is it running" not in said, said
    return said


@pytest.mark.usefixtures("no_ca")
def test_a_certificate_of_a_private_ca_is_named_with_how_to_trust_the_ca(
    serve: Callable[[str | None], int],
) -> None:
    said = _refusal(f"https://127.0.0.1:{serve('good')}")
    assert "has a TLS certificate the harness does not trust" in said
    assert "issued by CN=Test Internal CA" in said
    assert "give that CA's certificate as a PEM file in SSL_CERT_FILE" in said


def test_with_the_ca_in_ssl_cert_file_the_run_gets_past_tls(
    serve: Callable[[str | None], int], pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    said = preflight(PreflightTargets(vneid_url=f"https://127.0.0.1:{serve('good')}"))
    assert said is not None
    assert "answered 404 to GET /_harness/health" in said  # the health check was read


@pytest.mark.usefixtures("no_ca")
def test_a_self_signed_certificate_is_named_so(serve: Callable[[str | None], int]) -> None:
    said = _refusal(f"https://127.0.0.1:{serve('self')}")
    assert "self-signed, give that certificate as a PEM file in SSL_CERT_FILE" in said


def test_an_expired_certificate_is_named_with_its_dates(
    serve: Callable[[str | None], int], pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    said = _refusal(f"https://127.0.0.1:{serve('expired')}")
    assert "has a TLS certificate that has expired" in said
    assert "valid 2020-01-01 to 2020-02-01" in said


def test_a_certificate_for_another_host_names_the_hosts_it_is_for(
    serve: Callable[[str | None], int], pki: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki / "ca.pem"))
    said = _refusal(f"https://127.0.0.1:{serve('wronghost')}")
    assert "has a TLS certificate that is not for 127.0.0.1" in said
    assert "the certificate is for idp.other.test" in said


@pytest.mark.usefixtures("no_ca")
def test_http_given_for_an_https_port_is_told_to_give_https(
    serve: Callable[[str | None], int],
) -> None:
    port = serve("good")
    said = _refusal(f"http://127.0.0.1:{port}")
    assert f"it serves https, give https://127.0.0.1:{port}" in said


@pytest.mark.usefixtures("no_ca")
def test_https_given_for_a_plain_http_port_is_told_to_give_http(
    serve: Callable[[str | None], int],
) -> None:
    port = serve(None)
    said = _refusal(f"https://127.0.0.1:{port}")
    assert f"it serves plain HTTP there; give http://127.0.0.1:{port}" in said


@pytest.mark.parametrize("content", [None, b"not a certificate\n"], ids=["missing", "not-pem"])
def test_an_unreadable_ssl_cert_file_is_refused_not_a_traceback(
    content: bytes | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    said = preflight(PreflightTargets(vneid_url="https://127.0.0.1:9"))
    assert said is not None
    assert said.startswith(f"SSL_CERT_FILE={path} cannot be read as a PEM file")
