"""Small assertions shared by the scenario suites (what a failure message must show).

Every message says what was expected and what was observed; the plugin puts the test's
clauses in front of it (``Clause(s) R-1: expected …, observed …``)."""

from __future__ import annotations

from typing import Any

from harness.apps.screens import APP_ERROR, Screen
from harness.protocol import ERRORS
from harness.targets import ProviderHandle

__all__ = [
    "app_headers",
    "assert_error_body",
    "assert_error_screen",
    "authorize_on_phone",
    "calls",
    "replace_param",
]


def assert_error_screen(screen: Screen, *, app: str, code: str,
                        clause: str | None = None) -> None:
    """``screen`` is ``app``'s error screen for ``code`` with the §8 Vietnamese message."""
    assert screen.id == APP_ERROR, (
        f"expected {app}'s error screen ({APP_ERROR}) with {code}, observed {screen.app} "
        f"showing {screen.id} {screen.data}"
    )
    assert screen.app == app, f"expected the error in {app}, observed it in {screen.app}"
    assert screen.error == code, (
        f"expected error {code}, observed {screen.error}: {screen.data}")
    spec = ERRORS.get(code)
    if spec is not None:
        assert spec.message_vi in screen.texts, (
            f"expected the §8 message {spec.message_vi!r} for {code}, observed the texts "
            f"{list(screen.texts)}")
    if clause is not None:
        assert screen.data.get("clause") == clause, (
            f"expected {code} to cite clause {clause}, observed {screen.data.get('clause')}")


def assert_error_body(response: Any, status: int, code: str, clause: str | None = None) -> dict[
        str, Any]:
    """An HTTP response carrying the §8 error JSON with this status, code and clause."""
    body: dict[str, Any] = response.json()
    assert response.status_code == status, (
        f"expected HTTP {status} {code}, observed {response.status_code}: {body}")
    assert body.get("error") == code, (
        f"expected error {code}, observed {body.get('error')}: {body}")
    assert isinstance(body.get("error_description"), str), (
        f"expected an error_description string (§8), observed {body}")
    if clause is not None:
        assert body.get("clause") == clause, (
            f"expected {code} to cite clause {clause}, observed {body.get('clause')}: {body}")
    return body


def calls(provider: ProviderHandle, path: str, method: str = "POST") -> list[dict[str, Any]]:
    """What ``provider`` received on ``path`` (from its request log, §11)."""
    return provider.requests(path=path, method=method)


def replace_param(url: str, name: str, value: str | None) -> str:
    """``url`` with query parameter ``name`` set to ``value`` (``None``: removed)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    if value is not None:
        pairs.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


def app_headers(app: str, version: str, platform: str = "ios") -> dict[str, str]:
    """The headers an app sends on every app API call (A-1, A-4)."""
    name = "X-VNeID-App-Version" if app == "vneid" else "X-VssID-App-Version"
    return {name: version, "X-Device-Platform": platform}


def authorize_on_phone(phone: Any, rp: Any, persona: Any, link: str, *,
                       decision: str = "approve") -> Screen:
    """Open the relying party's ``link`` on the phone and log ``persona`` in to VNeID.

    The phone must have a receiver for ``rp``'s scheme (``phone.install_receiver``)."""
    from harness.apps.screens import VNEID_CONSENT, VNEID_LOGIN
    from harness.flows import decide, enter_credentials

    phone.phone.open_url(link, source="harness-rp")
    screen: Screen = phone.screen()
    if screen.id == VNEID_LOGIN:
        screen = enter_credentials(phone.driver, persona)
    if screen.id == VNEID_CONSENT:
        screen = decide(phone.driver, "approve" if decision == "approve" else "deny")
    return screen


def get_code(phone: Any, rp: Any, persona: Any, **overrides: Any) -> tuple[Any, str]:
    """Start a login of the harness RP (``rp.login(**overrides)``), log ``persona`` in on the
    phone, and return the login with the code its callback carried."""
    from harness.rp import RP_SCHEME

    login = rp.login(**overrides)
    authorize_on_phone(phone, rp, persona, login.link)
    return login, rp.code_from(phone.last_link_to(f"{RP_SCHEME}://"))
