"""S-6: the test-control API is refused off loopback without the admin token, the token is
compared in constant time, and `serve --host 0.0.0.0` without a token refuses to start."""

from __future__ import annotations

import hmac
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from harness.errors import ConfigError
from harness.serve import ServedProviders, check_exposure, is_loopback
from mock_providers import _request_checks
from tests.robustness.served_pair import BIN, pair_in_thread

FAR_AWAY = {"X-Forwarded-For": "203.0.113.9"}
"""uvicorn trusts X-Forwarded-For from loopback (a local reverse proxy), so this request from
127.0.0.1 is seen as coming from 203.0.113.9 (TEST-NET-3): a caller off loopback."""
TOKEN = "s3cret-admin-token"


@pytest.fixture(scope="module")
def guarded() -> Iterator[ServedProviders]:
    with pair_in_thread(admin_token=TOKEN) as pair:
        yield pair


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("path", ["/_harness/health", "/_harness/personas", "/_harness/clients"])
def test_off_loopback_without_a_token_is_refused(served: ServedProviders, path: str) -> None:
    r = httpx.get(f"{served.vneid_url}{path}", headers=FAR_AWAY, timeout=10)
    assert r.status_code == 403
    body = r.json()
    assert (body["error"], body["clause"]) == ("forbidden", "S-6")
    assert "not 203.0.113.9" in body["error_description"]
    assert httpx.get(f"{served.vneid_url}{path}", timeout=10).status_code == 200  # loopback


@pytest.mark.clause("S-6")
def test_off_loopback_writes_are_refused_on_both_providers(served: ServedProviders) -> None:
    for url in (f"{served.vneid_url}/_harness/clock", f"{served.vssid_url}/_harness/clock"):
        r = httpx.post(url, json={"offset_seconds": 3600}, headers=FAR_AWAY, timeout=10)
        assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert served.vneid.clock.offset == 0
    assert served.vssid.clock.offset == 0


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Harness-Admin-Token": "wrong"},
        {"X-Harness-Admin-Token": TOKEN[:-1]},
        {"Authorization": "Bearer wrong"},
        {"X-Harness-Admin-Token": TOKEN + "x"},
    ],
)
def test_with_a_token_configured_everyone_needs_it(
    guarded: ServedProviders, headers: dict[str, str]
) -> None:
    for url in (guarded.vneid_url, guarded.vssid_url):
        r = httpx.get(f"{url}/_harness/health", headers=headers, timeout=10)
        assert (r.status_code, r.json()["clause"]) == (403, "S-6")


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    "headers",
    [
        {"X-Harness-Admin-Token": TOKEN},
        {"Authorization": f"Bearer {TOKEN}"},
        {"X-Harness-Admin-Token": TOKEN, **FAR_AWAY},
    ],
)
def test_the_token_opens_the_control_api_from_anywhere(
    guarded: ServedProviders, headers: dict[str, str]
) -> None:
    for url in (guarded.vneid_url, guarded.vssid_url):
        assert httpx.get(f"{url}/_harness/health", headers=headers, timeout=10).status_code == 200


@pytest.mark.clause("S-6")
def test_the_token_is_compared_in_constant_time(
    guarded: ServedProviders, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(_request_checks.hmac, "compare_digest", spy)
    r = httpx.get(
        f"{guarded.vneid_url}/_harness/health",
        headers={"X-Harness-Admin-Token": "guess"},
        timeout=10,
    )
    assert r.status_code == 403
    assert compared == [(b"guess", TOKEN.encode())]


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_serve_beyond_loopback_without_a_token_refuses_to_start(host: str) -> None:
    result = subprocess.run(
        [str(BIN), "serve", "--host", host, "--vneid-port", "0", "--vssid-port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "300", "PATH": "/usr/bin:/bin"},
    )
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, out
    assert f"--host {host} serves the providers beyond loopback" in out
    assert "--admin-token" in out
    assert "VNEID_HARNESS_ADMIN_TOKEN" in out


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    ("caller", "answered"),
    [
        ("127.0.0.2", 200),
        ("::ffff:127.0.0.1", 200),
        ("::1", 200),
        ("::ffff:203.0.113.9", 403),
        ("10.0.0.1", 403),
    ],
)
def test_the_control_api_takes_as_loopback_what_serve_does(
    served: ServedProviders, caller: str, answered: int
) -> None:
    """``serve`` read all of 127.0.0.0/8 as loopback (no token needed to listen there), the
    control API three names: a caller from 127.0.0.2, or an IPv4 one a dual-stack server
    reports as ``::ffff:127.0.0.1``, was refused. Now one rule (harness.protocol.hosts)."""
    for url in (served.vneid_url, served.vssid_url):
        r = httpx.get(f"{url}/_harness/health", headers={"X-Forwarded-For": caller}, timeout=10)
        assert r.status_code == answered, r.text


def test_exposure_rules() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost", "::ffff:127.0.0.1", "LOCALHOST"):
        assert is_loopback(host)
        check_exposure(host, None)
    for host in (
        "0.0.0.0",
        "::",
        "",
        "10.0.0.1",
        "example.test",
        "localhost.example",
        "::ffff:10.0.0.1",
    ):
        assert not is_loopback(host)
        with pytest.raises(ConfigError, match="S-6"):
            check_exposure(host, None)
        check_exposure(host, TOKEN)  # with a token it may serve there
