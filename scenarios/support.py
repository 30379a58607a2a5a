"""Small assertions shared by the scenario suites (what a failure message must show).

Every message says what was expected and what was observed; the plugin puts the test's
clauses in front of it (``Clause(s) R-1: expected …, observed …``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import httpx

from harness.apps.screens import APP_ERROR, Screen
from harness.body_text import body_text
from harness.http_client import redirect_note
from harness.protocol import DEFAULT_PROFILE, ERRORS, Profile
from harness.targets import ProviderHandle, VNeIDHandle

if TYPE_CHECKING:
    import httpx

    from harness.personas import Persona
    from harness.rp import TokenResult
    from harness.targets import Target

__all__ = [
    "ACCOUNT_NOT_FOUND_CLAUSES",
    "COMPLETE_PATH",
    "FromNow",
    "answered",
    "app_headers",
    "assert_error_body",
    "assert_error_screen",
    "assert_consent",
    "assert_home",
    "assert_invalid_client",
    "assert_refused_at_complete",
    "authorize_on_phone",
    "callback_since",
    "cache_directives",
    "calls",
    "challenge_schemes",
    "complete",
    "endpoint_path",
    "error_json",
    "hand_off",
    "no_token_request",
    "public",
    "replace_param",
    "resolve_times",
    "shown",
]

ACCOUNT_NOT_FOUND_CLAUSES = frozenset({"P-1", "R-11"})
"""What a relying party's ``vssid_account_not_found`` may cite: R-11 is the check ("maps to a
VssID account; else vssid_account_not_found (P-1)"), P-1 the precondition (the mock's)."""

COMPLETE_PATH = "/api/v1/auth/vneid/complete"
"""A-6: where the VssID app completes a login."""

F = TypeVar("F", bound=Callable[..., Any])


class _LabelledCallable:
    """A callable shown as ``label``: see :func:`shown`."""

    __slots__ = ("_fn", "_label")

    def __init__(self, label: str, fn: Callable[..., Any]) -> None:
        self._label, self._fn = label, fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        return self._label


def shown(label: str, fn: F) -> F:
    """``fn`` shown as ``label`` in reports. A test parametrized with a lambda was shown as
    ``<function <lambda> at 0x…>``, which differs in every process: Allure keys a test's
    history on its parameters, so such a test started a new history every run."""
    return cast(F, _LabelledCallable(label, fn))


@dataclass(frozen=True)
class FromNow:
    """A time ``seconds`` from the moment the test runs (resolved by :func:`resolve_times`),
    for a parameter: a time taken when the tests were collected changed the test's identity
    in reports every run, and went stale in a run longer than its margin."""

    seconds: int

    def __repr__(self) -> str:
        return f"now{self.seconds:+d}"


def resolve_times(claims: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """``claims`` with each :class:`FromNow` value replaced by that time from ``now``: the
    provider's time (``vneid.now()``, which follows a moved or frozen clock), real time when
    not given."""
    start = int(time.time() if now is None else now)
    return {k: start + v.seconds if isinstance(v, FromNow) else v for k, v in claims.items()}


def assert_error_screen(
    screen: Screen, *, app: str, code: str | None, clause: str | Collection[str] | None = None
) -> None:
    """``screen`` is ``app``'s error screen for ``code`` (``None``: for any error code) with
    the §8 Vietnamese message when the code is one of §8's, citing ``clause`` (or one of
    several, where PROTOCOL.md lets the failed check be named by more than one)."""
    assert screen.id == APP_ERROR, (
        f"expected {app}'s error screen ({APP_ERROR}) with {code or 'an error'}, observed "
        f"{screen.describe()}"
    )
    assert screen.app == app, (  # what the other app shows: why it stopped there
        f"expected the error in {app}, observed it in {screen.app}: {screen.describe()}"
    )
    if code is None:
        # any refusal, but the server's: a call it never answered (a connection dropped, a
        # timeout) is an error screen the app makes itself, §8's clause filled in, without
        # a status; taken for the refusal, a relying party that died on a forged callback
        # passed its R-4 test
        assert "status" not in screen.data or screen.data["status"] is not None, (
            f"expected {app}'s server to refuse with a §8 error, observed no answer from it "
            f"(the app's own error): {screen.describe()}"
        )
        assert isinstance(screen.error, str), (
            f"expected an error code, observed {screen.error!r}: {screen.describe()}"
        )
        assert screen.error, f"expected an error code, observed {screen.describe()}"
        code = screen.error
    assert screen.error == code, f"expected error {code}, observed {screen.describe()}"
    spec = ERRORS.get(code)
    if spec is not None:
        assert spec.message_vi in screen.texts, (
            f"expected the §8 message {spec.message_vi!r} for {code}, observed the texts "
            f"{list(screen.texts)}"
        )
    said = screen.data.get("clause")
    assert isinstance(said, str), (  # §8: every error body names its clause
        f"expected {code} to cite a clause (§8: every error body is {{error, "
        f"error_description, clause}}), observed {screen.describe()}"
    )
    if isinstance(clause, str):
        assert said == clause, f"expected {code} to cite clause {clause}, observed {said}"
    elif clause is not None:
        assert said in clause, (
            f"expected {code} to cite one of the clauses "
            f"{', '.join(sorted(clause))}, observed {said}"
        )


def decide_after_login(phone: Any, persona: Any) -> Screen:
    """On VNeID's login screen (A-3, the authorize link opened): log ``persona`` in (A-4),
    then approve on the consent screen (A-5); the failure names the screen seen instead."""
    from harness.apps.screens import VNEID_LOGIN
    from harness.flows import decide, enter_credentials

    screen: Screen = phone.screen()
    assert screen.id == VNEID_LOGIN, (
        f"A-3: expected VNeID's login screen, observed {screen.describe()}"
    )
    screen = enter_credentials(phone.driver, persona)
    assert_consent(screen)
    return decide(phone.driver)


def assert_consent(screen: Screen, clause: str = "A-4") -> None:
    """VNeID's consent screen: where the login leads (A-4, the default), or where the
    forwarded authorization request waits for the user's decision (A-5)."""
    from harness.apps.screens import VNEID_CONSENT

    what = "VNeID's consent screen" + (" after the login" if clause == "A-4" else "")
    assert screen.id == VNEID_CONSENT, f"{clause}: expected {what}, observed {screen.describe()}"


def assert_home(screen: Screen, why: str = "") -> Screen:
    """``screen`` is VssID's home screen (A-6: the login ended); otherwise the failure says
    what the user saw instead, with its error code, clause and description (after ``why``,
    what the test expected of the login)."""
    from harness.apps.screens import VSSID_HOME

    if screen.id != VSSID_HOME:
        raise AssertionError(
            f"{why + ': ' if why else ''}expected VssID's home screen "
            f"({VSSID_HOME}), observed {screen.describe()}"
        )
    return screen


def error_json(response: Any, expected: str) -> dict[str, Any]:
    """``response``'s §8 JSON error object, or an AssertionError saying what came instead (a
    server's HTML 500 page said only ``JSONDecodeError: Expecting value``); ``expected``: what
    the test expected, for the message."""
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(
            f"expected {expected} with the §8 JSON body {{error, error_description, clause}}, "
            f"observed HTTP {response.status_code}{redirect_note(response)} "
            f"{response.headers.get('content-type', 'without a content type')}: "
            f"{public(body_text(response, 300), 400)}"
        ) from None
    assert isinstance(body, dict), (
        f"expected {expected} with the §8 JSON object {{error, error_description, clause}}, "
        f"observed HTTP {response.status_code}: {body!r:.300}"
    )
    return body


def assert_error_body(
    response: Any, status: int, code: str, clause: str | None = None
) -> dict[str, Any]:
    """An HTTP response carrying the §8 error JSON with this status, code and clause
    (``None``: any clause, which the body must still name, §8)."""
    body = error_json(response, f"HTTP {status} {code}")
    assert response.status_code == status, (
        f"expected HTTP {status} {code}, observed {response.status_code}: {body}"
    )
    assert body.get("error") == code, f"expected error {code}, observed {body.get('error')}: {body}"
    assert isinstance(body.get("error_description"), str), (
        f"expected an error_description string (§8), observed {body}"
    )
    if clause is not None:
        assert body.get("clause") == clause, (
            f"expected {code} to cite clause {clause}, observed {body.get('clause')}: {body}"
        )
    cited = body.get("clause")
    assert isinstance(cited, str), (
        f"expected {code} to cite a clause (§8: every error body is {{error, "
        f"error_description, clause}}), observed {body}"
    )
    assert cited, f"expected {code} to cite a clause (§8), observed an empty one: {body}"
    return body


def assert_invalid_client(result: TokenResult, *, embedded: bool) -> None:
    """A token response refusing the client's authentication: ``invalid_client`` with 401
    when the client sent an ``Authorization`` header, else with 400 or 401 (RFC 6749 §5.2).
    The embedded mock (``embedded``) answers 401 every time (its choice), and is held to it."""
    strict = embedded or result.sent_authorization
    allowed = (401,) if strict else (400, 401)
    assert result.error == "invalid_client", (
        f"expected invalid_client, observed HTTP {result.status} {result.error}: "
        f"{public(result.body)}"
    )
    assert result.status in allowed, (
        f"expected invalid_client with HTTP {' or '.join(map(str, allowed))} (RFC 6749 §5.2"
        f"{', Authorization header sent' if result.sent_authorization else ''}), observed "
        f"{result.status}: {public(result.body)}"
    )
    if result.status != 401:
        return
    schemes = challenge_schemes(*result.challenges)  # RFC 9110 §15.5.2: every 401 has one
    assert schemes, (
        "expected the 401 invalid_client to carry a WWW-Authenticate challenge "
        "(RFC 6749 §5.2, RFC 9110 §15.5.2), observed none"
    )
    if result.sent_scheme == "basic":  # "matching the authentication scheme used by the client"
        assert "basic" in schemes, (
            f"expected the 401 invalid_client to challenge for Basic, the scheme the client "
            f"used (RFC 6749 §5.2), observed WWW-Authenticate: {list(result.challenges)}"
        )


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_DIRECTIVE = re.compile(
    rf"(?P<name>{_TOKEN})"
    rf'(?:[ \t]*=[ \t]*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>{_TOKEN})))?'
)
"""One element of a list, its surrounding blanks stripped: with ``[ \t]*`` on both sides of
an optional part, a malformed element (``a``, a 64 KiB run of blanks, ``x``) was tried at
each split of the run between the two, quadratic (seconds for a vendor's header)."""
_ELEMENT = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)*')


def cache_directives(*values: str) -> dict[str, str | None]:
    """The directives of ``Cache-Control`` field ``values`` (RFC 9111 §5.2), by name in lower
    case (names are case-insensitive), each with its argument (unquoted) or ``None``.

    A field is a comma-separated list (RFC 9110 §5.6.1; a comma inside a quoted argument does
    not separate), several fields make one list (RFC 9110 §5.3); empty and malformed elements
    are skipped, and a repeated directive keeps its first argument."""
    directives: dict[str, str | None] = {}
    for value in values:
        for element in _ELEMENT.findall(value):
            match = _DIRECTIVE.fullmatch(element.strip(" \t"))
            if match is None:
                continue
            quoted, token = match.group("quoted"), match.group("token")
            argument = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else token
            directives.setdefault(match.group("name").lower(), argument)
    return directives


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"?')
_SCHEME = re.compile(rf"[ \t]*({_TOKEN})(?P<rest>.*)", re.DOTALL)


def challenge_schemes(*values: str) -> set[str]:
    """The auth-schemes the ``WWW-Authenticate`` field ``values`` challenge for (RFC 9110
    §11.6.1), in lower case (they are case-insensitive). A field is a comma-separated list in
    which an element is a challenge's scheme (with its token68 or first parameter) or one more
    ``name=value`` parameter of the challenge before it; quoted strings may hold commas."""
    schemes: set[str] = set()
    for value in values:
        for element in _QUOTED.sub('""', value).split(","):
            match = _SCHEME.fullmatch(element)
            if match is not None and not match.group("rest").lstrip(" \t").startswith("="):
                schemes.add(match.group(1).lower())
    return schemes


def endpoint_path(vneid: VNeIDHandle, name: str) -> str:
    """The path of the endpoint ``vneid``'s discovery lists as ``name`` (``token_endpoint``,
    ``userinfo_endpoint``, ``jwks_uri``; OpenID Connect Discovery §3), as its request log
    (§11) names it."""
    return urlsplit(str(vneid.discovery()[name])).path or "/"


def assert_refused_at_complete(vssid: ProviderHandle, code: str) -> None:
    """R-12: the relying party refused the login at ``complete`` with the §8 status of
    ``code`` (when §8 gives one), and gave no session: the app never called ``me`` with one.
    A screen alone cannot tell a refusal from a session refused later, at ``me``."""
    from harness.apps.vssid import COMPLETE_PATH, ME_PATH

    answered = [entry["status"] for entry in calls(vssid, COMPLETE_PATH)]
    assert answered, f"expected the app to call {COMPLETE_PATH}, observed no such call"
    spec = ERRORS.get(code)
    expected = spec.status if spec is not None and spec.status is not None else None
    if expected is not None:
        assert answered[-1] == expected, (
            f"expected {COMPLETE_PATH} to refuse with HTTP {expected} {code} (§8), observed "
            f"HTTP {answered[-1]}"
        )
    else:
        assert 400 <= answered[-1] < 500, (
            f"expected {COMPLETE_PATH} to refuse with a 4xx §8 error, observed HTTP "
            f"{answered[-1]}: a refused login gets no session (R-12)"
        )
    assert calls(vssid, ME_PATH, method="GET") == [], (
        f"R-12: no session, so no {ME_PATH}; the app called it, so {COMPLETE_PATH} gave a session"
    )


def public(value: Any, limit: int = 200) -> str:
    """``value`` (a callback's parameters, a JSON answer, a response's text) as text for a
    failure message, at most ``limit`` characters: whatever is shaped like a secret (the value
    of ``code``, ``id_token``, ``session_token`` …, a JWS) replaced (S-5)."""
    from harness.protocol.redaction import redact_secret_shapes

    text = value if isinstance(value, str) else repr(value)
    return redact_secret_shapes(text)[:limit]


def answered(response: Any) -> str:
    """``HTTP 400: {…}``: what ``response`` (an HTTP response, or a token exchange's
    :class:`~harness.rp.TokenResult`) said, for a failure message (:func:`public`)."""
    if hasattr(response, "status_code"):  # a 3xx: where it points, not followed
        said = body_text(response) if isinstance(response, httpx.Response) else response.text
        return f"HTTP {response.status_code}{redirect_note(response)}: {public(said)}"
    return f"HTTP {response.status}: {public(response.body)}"


def assert_redeemed(result: Any, how: str = "") -> None:
    """T-1: the code redeemed (HTTP 200); ``result`` a token exchange's
    :class:`~harness.rp.TokenResult` or an HTTP response, ``how`` what the redemption was
    (``"with private_key_jwt"``)."""
    status = result.status_code if hasattr(result, "status_code") else result.status
    assert status == 200, (
        f"T-1: expected the code to redeem{' ' + how if how else ''} (HTTP 200), observed "
        f"{answered(result)}"
    )


def no_token_request(vneid: ProviderHandle, clause: str) -> None:
    """``clause``: the relying party refused the callback before redeeming its code (no
    request at VNeID's ``/token``, as its request log shows, §11)."""
    made = calls(vneid, "/token")
    assert made == [], (
        f"{clause}: expected no token request after the refused callback, observed {len(made)}"
    )


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


def store_origin(profile: Profile, app: str, platform: str) -> str:
    """``https://apps.apple.com/`` …: the origin of ``profile``'s store listing of ``app`` on
    ``platform`` (§10, P-3), which a store link of a provider under test must start with (the
    listing's own path is the provider's)."""
    origin = profile.store_origin("vneid" if app == "vneid" else "vssid", platform)
    if origin is None:
        raise AssertionError(f"the profile has no {app} store link for {platform!r}")
    return origin


def app_headers(
    app: str,
    version: str | None = None,
    platform: str = "ios",
    *,
    profile: Profile = DEFAULT_PROFILE,
) -> dict[str, str]:
    """The headers an app sends on every app API call (A-1, A-4); without ``version``, the
    ``profile``'s minimum version of ``app`` (pass the run's: ``target.profile``)."""
    if version is None:
        version = str(profile.min_version("vneid" if app == "vneid" else "vssid"))
    name = "X-VNeID-App-Version" if app == "vneid" else "X-VssID-App-Version"
    return {name: version, "X-Device-Platform": platform}


def app_session_token(http: Any, persona: Any) -> str:
    """A-4: log ``persona`` in over the VNeID app API (``POST /api/app/v1/sessions`` with the
    client ``http``) and return the session token; a refusal fails with the answer (a
    ``KeyError: 'session_token'`` said nothing of what the provider said)."""
    response = http.post(
        "/api/app/v1/sessions",
        json={"personal_id": persona.personal_id, "passcode": persona.passcode},
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    token = body.get("session_token") if isinstance(body, dict) else None
    # A-4 names no status: any 2xx, as the simulated VNeID app takes (a vendor's 201 failed
    # 47 tests of other clauses when this asked for 200)
    if not 200 <= response.status_code < 300 or not isinstance(token, str):
        raise AssertionError(
            f"A-4: expected POST /api/app/v1/sessions to give citizen {persona.personal_id} a "
            f"VNeID app session (HTTP 2xx with a session_token), observed HTTP "
            f"{response.status_code}: {response.text[:300] or '(an empty body)'}"
        )
    return token


def authorize_on_phone(
    phone: Any, rp: Any, persona: Any, link: str, *, decision: str = "approve"
) -> Screen:
    """Open the relying party's ``link`` on the phone and log ``persona`` in to VNeID.

    The phone must have a receiver for ``rp``'s scheme (``phone.install_receiver``)."""
    from harness.apps.screens import VNEID_CONSENT, VNEID_LOGIN
    from harness.flows import decide, enter_credentials

    phone.phone.open_url(link, source="harness-rp")
    screen: Screen = phone.screen()
    # twice at most: an app session the phone still holds may have expired at the server
    # (the provider's clock moved on), which refuses the consent and asks for a new login
    for _ in range(2):
        if screen.id == VNEID_LOGIN:
            screen = enter_credentials(phone.driver, persona)
        if screen.id != VNEID_CONSENT:
            break
        screen = decide(phone.driver, "approve" if decision == "approve" else "deny")
        if screen.id != VNEID_LOGIN:
            break
    return screen


def get_code(phone: Any, rp: Any, persona: Any, **overrides: Any) -> tuple[Any, str]:
    """Start a login of the harness RP (``rp.login(**overrides)``), log ``persona`` in on the
    phone, and return the login with the code its callback carried."""
    login = rp.login(**overrides)
    before = len(phone.delivered_links())
    screen = authorize_on_phone(phone, rp, persona, login.link)
    return login, rp.code_from(callback_since(phone, before, screen))


def callback_since(phone: Any, before: int, screen: Screen) -> str:
    """The last callback link to the test relying party delivered to ``phone`` after its
    first ``before`` links (``len(phone.delivered_links())`` before the login): this login's;
    an earlier login's (a spent code) must not stand in for it. ``screen``: what the phone
    shows, for the failure's message."""
    from harness.rp import RP_SCHEME

    prefix = f"{RP_SCHEME}://"
    new = [url for url in phone.delivered_links()[before:] if url.startswith(prefix)]
    assert new, (
        f"no callback link ({prefix}) came back from this login; the phone shows "
        f"{screen.describe()}"
    )
    return str(new[-1])


def hand_off(target: Target, persona: Persona, decision: str = "approve") -> tuple[str, str]:
    """A-1…A-5 over the app APIs, each app at the profile's minimum version: the transaction
    id and VNeID's ``redirect_to``."""
    with target.vssid.client(headers=app_headers("vssid", profile=target.profile)) as app:
        started = app.post("/api/v1/auth/vneid/start", json={})
        assert 200 <= started.status_code < 300, (
            f"expected start to answer 2xx (A-1), observed HTTP {started.status_code}: "
            f"{started.text}"
        )
    with target.vneid.client(headers=app_headers("vneid", profile=target.profile)) as app:
        token = app_session_token(app, persona)
        answer = app.post(
            "/api/app/v1/authorizations",
            json={"link": started.json()["authorize_url"], "decision": decision},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, (
            f"A-5: expected authorizations to answer HTTP 200 with redirect_to, observed "
            f"{answered(answer)}"
        )
    return started.json()["transaction_id"], answer.json()["redirect_to"]


def complete(target: Target, transaction_id: str, callback_url: str) -> httpx.Response:
    """A-6: the VssID app's ``complete`` of ``transaction_id`` with ``callback_url``, from the
    profile's minimum VssID app."""
    with target.vssid.client(headers=app_headers("vssid", profile=target.profile)) as app:
        return app.post(
            COMPLETE_PATH, json={"transaction_id": transaction_id, "callback_url": callback_url}
        )
