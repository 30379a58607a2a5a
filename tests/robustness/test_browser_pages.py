"""S-6 against a web browser on the developer's machine: a page the developer visits can make
the browser send requests to ``127.0.0.1:PORT``, a loopback caller. Without an admin token
the control API must still refuse it: a page of another origin (cross-site request forgery:
a ``fetch`` of a body without a content type, or a ``sendBeacon``, needs no CORS preflight,
and a missing content type was read as JSON) and a page whose own name was rebound to
127.0.0.1 (DNS rebinding: same-origin, so it reads the answers too).

Before the fix both went through: from a cross-site page Chromium moved the VssID clock,
added a persona, switched the VssID's ``link_form`` and took the lease; a rebound page read
the personas, clients and request log and armed a fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.errors import ConfigError
from harness.serve import ServedProviders
from tests.robustness.served_pair import pair_in_thread

ATTACKER = "http://attacker.example"
CLOCK = {"offset_seconds": 3600}
NO_TYPE = {"Content-Type": ""}
"""httpx leaves out a header given empty: the request a Blob without a type makes."""


def _port(url: str) -> int:
    port = httpx.URL(url).port
    assert port is not None
    return port


def _post_clock(url: str, headers: dict[str, str]) -> httpx.Response:
    body = json.dumps(CLOCK).encode()
    return httpx.post(f"{url}/_harness/clock", content=body, headers=headers, timeout=10)


def _refused(r: httpx.Response, said: str) -> None:
    assert r.status_code == 403, r.text
    body = r.json()
    assert (body["error"], body["clause"]) == ("forbidden", "S-6")
    assert said in body["error_description"]
    assert "admin token" in body["error_description"]


@pytest.fixture
def pair(served: ServedProviders) -> Iterator[ServedProviders]:
    yield served
    served.vneid.clock.offset = 0
    served.vssid.clock.offset = 0


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("origin", [ATTACKER, "null", "http://localhost:3000"])
def test_a_page_of_another_origin_cannot_change_the_mocks(
    pair: ServedProviders, origin: str
) -> None:
    for url in (pair.vneid_url, pair.vssid_url):
        _refused(_post_clock(url, {**NO_TYPE, "Origin": origin}), "another origin")
        _refused(_post_clock(url, {"Origin": origin, "Content-Type": "application/json"}), origin)
    assert pair.vneid.clock.offset == 0
    assert pair.vssid.clock.offset == 0


@pytest.mark.clause("S-6")
def test_its_own_origin_and_tools_without_one_are_answered(pair: ServedProviders) -> None:
    for url in (pair.vneid_url, pair.vssid_url):
        own = f"http://127.0.0.1:{_port(url)}"
        assert _post_clock(url, {**NO_TYPE, "Origin": own}).status_code == 200
        assert _post_clock(url, NO_TYPE).status_code == 200  # a script: no Origin


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    "name", ["attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io"]
)
def test_a_rebound_name_is_refused(pair: ServedProviders, name: str) -> None:
    for url in (pair.vneid_url, pair.vssid_url):
        host = {"Host": f"{name}:{_port(url)}"}
        _refused(httpx.get(f"{url}/_harness/requests", headers=host, timeout=10), name)
        _refused(_post_clock(url, {**host, "Content-Type": "application/json"}), "DNS rebinding")
    assert pair.vneid.clock.offset == 0


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "localhost", "LocalHost", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_loopback_names_are_answered(pair: ServedProviders, host: str) -> None:
    for url in (pair.vneid_url, pair.vssid_url):
        for value in (host, f"{host}:{_port(url)}"):
            r = httpx.get(f"{url}/_harness/health", headers={"Host": value}, timeout=10)
            assert r.status_code == 200, r.text


@pytest.mark.clause("S-6")
def test_the_public_host_is_answered() -> None:
    """``serve --public-host NAME``: the harness's runs call the control API by that name."""
    with pair_in_thread(public_host="mock.dev.test") as served:
        for url in (served.vneid_url, served.vssid_url):
            local = f"http://127.0.0.1:{_port(url)}"
            host = {"Host": f"mock.dev.test:{_port(url)}"}
            assert httpx.get(f"{local}/_harness/health", headers=host, timeout=10).is_success
            other = {"Host": f"other.dev.test:{_port(url)}"}
            _refused(httpx.get(f"{local}/_harness/health", headers=other, timeout=10), "other")


@pytest.mark.clause("S-6")
def test_with_an_admin_token_the_names_are_not_checked() -> None:
    """A vendor reaching a token-guarded pair through a proxy's name, or a page: the token
    is what is checked (a page can neither know it nor send its header without a CORS
    preflight, which the providers never grant)."""
    token = "s3cret-admin-token"
    with pair_in_thread(admin_token=token) as served:
        for url in (served.vneid_url, served.vssid_url):
            headers = {"Host": "mocks.ci.example", "Origin": ATTACKER}
            r = httpx.get(f"{url}/_harness/health", headers=headers, timeout=10)
            assert r.status_code == 403
            headers["X-Harness-Admin-Token"] = token
            assert httpx.get(f"{url}/_harness/health", headers=headers, timeout=10).is_success
            preflight = httpx.options(
                f"{url}/_harness/health",
                headers={"Origin": ATTACKER, "Access-Control-Request-Method": "GET"},
                timeout=10,
            )
            assert "access-control-allow-origin" not in preflight.headers


_CSRF = """async ([vneid, vssid]) => {
  const blob = (value) => new Blob([JSON.stringify(value)]);  // no type: no preflight
  const send = (url, value) =>
    fetch(url, {method: 'POST', mode: 'no-cors', body: blob(value)}).catch(() => null);
  await send(`${vssid}/_harness/clock`, {offset_seconds: 7200});
  await send(`${vssid}/_harness/config`, {link_form: 'https'});
  await send(`${vssid}/_harness/lease`, {holder: 'a web page'});
  await send(`${vneid}/_harness/personas`, {personal_id: '001099012345', passcode: '123456',
    level: 2, full_name: 'Page', birthdate: '1999-01-01', gender: 'male'});
  navigator.sendBeacon(`${vneid}/_harness/clock`, blob({offset_seconds: 120}));
  await new Promise((done) => setTimeout(done, 300));  // the beacon has no answer to await
}"""

_REBOUND = """async () => {
  const r = await fetch('/_harness/personas');
  const armed = await fetch('/_harness/faults', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({client_id: 'vssid', fault: 'id_token_nonce_invalid', times: 1})});
  return [r.status, armed.status];
}"""


@pytest.mark.clause("S-6")
def test_chromium_pages_cannot_drive_the_control_api(pair: ServedProviders) -> None:
    """The two attacks as a browser makes them. Chromium's Local Network Access checks (a
    permission prompt, since Chromium 142) are turned off: Firefox and Safari have none, and
    one click on "allow" turns them off for a site."""
    from harness.drivers.web import chromium_executable

    try:
        executable = chromium_executable()
    except ConfigError as exc:
        pytest.skip(str(exc))
    from playwright.sync_api import Route, sync_playwright

    port = _port(pair.vneid_url)

    def page_of(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<p>cats</p>")

    urls = [pair.vneid_url, pair.vssid_url]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(executable),
            args=[
                "--disable-features=LocalNetworkAccessChecks",
                "--host-resolver-rules=MAP rebound.example 127.0.0.1",
            ],
        )
        try:
            page = browser.new_page()
            page.route(f"{ATTACKER}/**", page_of)
            page.goto(f"{ATTACKER}/")
            page.evaluate(_CSRF, urls)
            rebound = browser.new_page()
            rebound.route(f"http://rebound.example:{port}/page.html", page_of)
            rebound.goto(f"http://rebound.example:{port}/page.html")
            statuses: Any = rebound.evaluate(_REBOUND)
        finally:
            browser.close()
    assert statuses == [403, 403]
    assert (pair.vneid.clock.offset, pair.vssid.clock.offset) == (0, 0)
    assert pair.vssid.settings.link_form == "custom"
    assert pair.vssid.lease.state()["held"] is False
    assert all(p.personal_id != "001099012345" for p in pair.vneid.personas())
    assert pair.vneid.faults.armed() == []
