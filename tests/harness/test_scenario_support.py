"""The scenario suites' helpers that decide what a vendor's provider is held to
(scenarios/support.py): ``Cache-Control`` parsing, the status of ``invalid_client`` and the
discovered endpoint paths."""

from __future__ import annotations

import httpx
import pytest

from harness.apps.screens import Screen
from harness.rp import TokenResult
from harness.targets import VNeIDHandle
from scenarios.support import (
    answered,
    assert_error_body,
    assert_error_screen,
    assert_home,
    assert_invalid_client,
    cache_directives,
    challenge_schemes,
    endpoint_path,
)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (["no-store"], {"no-store": None}),
        (["No-Store"], {"no-store": None}),  # RFC 9111 §5.2: names are case-insensitive
        (["NO-STORE, no-cache"], {"no-store": None, "no-cache": None}),
        (["no-cache ,\tNo-Store"], {"no-cache": None, "no-store": None}),
        (["max-age=0", "no-store"], {"max-age": "0", "no-store": None}),  # two fields, one list
        ([", ,no-store,"], {"no-store": None}),  # empty elements (RFC 9110 §5.6.1)
        (['private="a, no-store", max-age=5'], {"private": "a, no-store", "max-age": "5"}),
        (['no-cache="x\\"y"'], {"no-cache": 'x"y'}),
        (["max-age=1, max-age=2"], {"max-age": "1"}),
        ([], {}),
        ([""], {}),
    ],
)
def test_cache_directives_are_parsed_as_rfc_9111_says(
    fields: list[str], expected: dict[str, str | None]
) -> None:
    assert cache_directives(*fields) == expected


@pytest.mark.parametrize(
    "field",
    [
        "nostore",
        "no-store-please",
        "no store",
        "x=no-store",
        '"no-store"',
        'private="no-store',
        "no-stor",
    ],
)
def test_cache_directives_find_no_store_only_as_a_directive(field: str) -> None:
    assert "no-store" not in cache_directives(field)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("a" + " " * 65536 + "x", {}),  # malformed: two names in one element
        ("\t" * 65536 + "no-store" + " \t" * 32768, {"no-store": None}),
        ("max-age" + " " * 65536 + "=" + "\t" * 65536 + "0", {"max-age": "0"}),
        ("private=" + " " * 65536 + '"a" b', {}),
    ],
)
def test_cache_directives_of_a_vendors_long_runs_of_blanks(
    field: str, expected: dict[str, str | None]
) -> None:
    """A run of 64 KiB blanks in a vendor's ``Cache-Control`` is read as RFC 9110 §5.6.3's
    optional whitespace, the malformed element skipped."""
    assert cache_directives(field) == expected


def test_the_directive_pattern_holds_no_blanks_at_its_ends() -> None:
    """The element is stripped before the pattern sees it: with ``[ \t]*`` both before and
    after the optional argument, a malformed element (``a``, 64 KiB of blanks, ``x``) was
    tried at every split of the blanks between the two: quadratic, about 0.6 s at 16 KiB and
    25 s at the 100 KiB head httpx accepts."""
    from scenarios.support import _DIRECTIVE

    assert _DIRECTIVE.fullmatch("no-store ") is None
    assert _DIRECTIVE.fullmatch(" no-store") is None
    assert _DIRECTIVE.fullmatch("max-age \t= 0") is not None


@pytest.mark.parametrize(
    ("embedded", "status", "header", "ok"),
    [
        (True, 401, False, True),
        (True, 400, False, False),  # the embedded mock is held to its 401
        (True, 400, True, False),
        (False, 401, False, True),
        (False, 400, False, True),  # RFC 6749 §5.2: 400 or 401 without the Authorization header
        (False, 400, True, False),  # with it, 401
        (False, 401, True, True),
        (False, 403, False, False),
    ],
)
def test_invalid_client_status_follows_rfc_6749_section_5_2(
    embedded: bool, status: int, header: bool, ok: bool
) -> None:
    result = TokenResult(
        status,
        {"error": "invalid_client"},
        sent_authorization=header,
        sent_scheme="basic" if header else None,
        challenges=('Basic realm="idp"',) if status == 401 else (),
    )
    if ok:
        assert_invalid_client(result, embedded=embedded)
    else:
        with pytest.raises(AssertionError, match=r"RFC 6749 §5\.2"):
            assert_invalid_client(result, embedded=embedded)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (['Basic realm="VNeID token endpoint", charset="UTF-8"'], {"basic"}),
        (["Bearer"], {"bearer"}),
        (['bearer error="invalid_token"'], {"bearer"}),  # RFC 9110 §11.1: case-insensitive
        (['Bearer realm="a, Basic b", error=x, Basic realm=y'], {"bearer", "basic"}),
        (
            ['Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'],
            {"newauth", "basic"},
        ),  # RFC 9110 §11.6.1's example
        (["Negotiate abc==", "Bearer"], {"negotiate", "bearer"}),  # token68; two fields
        (["realm=x"], set()),
        ([" , ,"], set()),
        ([], set()),
    ],
)
def test_challenge_schemes_are_parsed_as_rfc_9110_says(
    fields: list[str], expected: set[str]
) -> None:
    assert challenge_schemes(*fields) == expected


@pytest.mark.parametrize(
    ("scheme", "challenges", "ok"),
    [
        ("basic", ('Basic realm="idp"',), True),
        ("basic", ('Form realm="idp"', 'basic realm="idp"'), True),
        ("basic", (), False),  # RFC 6749 §5.2: a 401 MUST carry WWW-Authenticate
        ("basic", ('Bearer error="invalid_client"',), False),  # not the scheme the client used
        ("bearer", ('Basic realm="idp"',), True),  # a scheme the endpoint does not take
        (None, ('Basic realm="idp"',), True),
        (None, (), False),  # RFC 9110 §15.5.2: every 401
    ],
)
def test_a_401_invalid_client_challenges_for_the_clients_scheme(
    scheme: str | None, challenges: tuple[str, ...], ok: bool
) -> None:
    result = TokenResult(
        401,
        {"error": "invalid_client"},
        sent_authorization=scheme is not None,
        sent_scheme=scheme,
        challenges=challenges,
    )
    if ok:
        assert_invalid_client(result, embedded=False)
    else:
        with pytest.raises(AssertionError, match=r"WWW-Authenticate"):
            assert_invalid_client(result, embedded=False)


def test_a_token_result_knows_the_scheme_it_sent_and_the_challenges() -> None:
    request = httpx.Request(
        "POST", "http://idp.test/token", headers={"Authorization": "BASIC dXNlcjpwdw=="}
    )
    response = httpx.Response(
        401,
        request=request,
        headers=[("WWW-Authenticate", 'Basic realm="a"'), ("WWW-Authenticate", "Bearer")],
    )
    result = TokenResult.of(response, {"error": "invalid_client"})
    assert (result.sent_authorization, result.sent_scheme) == (True, "basic")
    assert result.challenges == ('Basic realm="a"', "Bearer")
    bare = TokenResult.of(httpx.Response(200, request=httpx.Request("GET", "http://idp.test")), {})
    assert (bare.sent_authorization, bare.sent_scheme, bare.challenges) == (False, None, ())


@pytest.mark.parametrize("embedded", [True, False])
def test_invalid_client_needs_the_code_invalid_client(embedded: bool) -> None:
    result = TokenResult(401, {"error": "invalid_grant"}, sent_authorization=True)
    with pytest.raises(AssertionError, match="expected invalid_client"):
        assert_invalid_client(result, embedded=embedded)


def test_endpoint_path_is_the_path_of_the_discovered_url() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "token_endpoint": "https://api.idp.test/oauth2/token",
                "userinfo_endpoint": "https://api.idp.test",
            },
        )

    vneid = VNeIDHandle("vneid", "http://idp.test", httpx.MockTransport(handle))
    assert endpoint_path(vneid, "token_endpoint") == "/oauth2/token"
    assert endpoint_path(vneid, "userinfo_endpoint") == "/"
    vneid.close()


def test_a_login_that_did_not_reach_home_says_what_the_user_saw() -> None:
    """``assert 'app-error' == 'vssid-home'`` said nothing of why: 24 of a relying party's
    59 failures read so, and an expected-failures ``match`` could not name the cause."""
    home = Screen("vssid", "vssid-home")
    assert assert_home(home) is home
    error = Screen(
        "vssid",
        "app-error",
        error="invalid_client",
        data={"error": "invalid_client", "clause": "T-1", "error_description": "wrong secret"},
    )
    with pytest.raises(AssertionError) as failed:
        assert_home(error, "VssID 1.6.7 (minimum) must log in")
    assert str(failed.value) == (
        "VssID 1.6.7 (minimum) must log in: expected VssID's home screen (vssid-home), "
        "observed vssid showing app-error: error invalid_client (clause T-1): wrong secret"
    )
    with pytest.raises(AssertionError, match=r"observed vneid showing vneid-login \{"):
        assert_home(Screen("vneid", "vneid-login", data={"x": 1}))


@pytest.mark.parametrize(("status", "ok"), [(200, True), (201, True), (302, False), (401, False)])
def test_a_vneid_session_may_answer_any_2xx(status: int, ok: bool) -> None:
    """A-4 names no status: a vendor's 201 Created failed 47 tests of other clauses when the
    helper asked for 200 (the simulated VNeID app takes any 2xx)."""
    from harness.personas import PersonaFactory
    from scenarios.support import app_session_token

    persona = PersonaFactory("any-2xx").new()
    answer = {"session_token": "t0k3n", "level": 2, "expires_in": 900}
    with httpx.Client(
        base_url="http://vneid.test",
        transport=httpx.MockTransport(lambda request: httpx.Response(status, json=answer)),
    ) as http:
        if ok:
            assert app_session_token(http, persona) == "t0k3n"
        else:
            with pytest.raises(AssertionError, match=f"observed HTTP {status}"):
                app_session_token(http, persona)


def test_an_error_screen_may_cite_one_of_several_clauses() -> None:
    """A vendor's relying party may name the failed check by either clause PROTOCOL.md
    gives (R-11's "else vssid_account_not_found (P-1)")."""
    screen = Screen(
        "vssid",
        "app-error",
        error="vssid_account_not_found",
        texts=("Bạn chưa có tài khoản VssID, vui lòng đăng ký",),
        data={"clause": "R-11"},
    )
    assert_error_screen(screen, app="vssid", code="vssid_account_not_found", clause={"P-1", "R-11"})
    with pytest.raises(
        AssertionError,
        match=r"expected vssid_account_not_found to cite one "
        r"of the clauses P-1, R-10, observed R-11",
    ):
        assert_error_screen(
            screen, app="vssid", code="vssid_account_not_found", clause={"P-1", "R-10"}
        )
    with pytest.raises(AssertionError, match=r"to cite clause P-1, observed R-11"):
        assert_error_screen(screen, app="vssid", code="vssid_account_not_found", clause="P-1")


def test_an_error_screen_in_the_other_app_says_what_that_app_shows() -> None:
    """A provider without the app API (a general-purpose OpenID Connect server) stopped
    the citizen's cancel in VNeID's own error screen: the failure said only ``expected the
    error in vssid, observed it in vneid``, not the 404 that VNeID's screen names."""
    screen = Screen(
        "vneid",
        "app-error",
        error="invalid_request",
        data={
            "error_description": "POST /api/app/v1/sessions answered 404 with a body that is "
            "not JSON (0 bytes)"
        },
    )
    with pytest.raises(
        AssertionError,
        match=r"expected the error in vssid, observed it in vneid: vneid showing app-error: "
        r"error invalid_request \(no clause\): POST /api/app/v1/sessions answered 404",
    ):
        assert_error_screen(screen, app="vssid", code="access_denied")


def test_a_redirect_where_an_answer_was_expected_says_where_it_points() -> None:
    """A provider behind a proxy that redirects its app API (to https, to a login page)
    failed as ``observed HTTP 302 text/plain: ''``."""
    moved = httpx.Response(302, headers={"location": "https://idp.test/login?next=x"})
    with pytest.raises(
        AssertionError,
        match=r"observed HTTP 302 \(a redirect to https://idp.test/login, which the harness "
        r"does not follow\) without a content type: an empty body",
    ):
        assert_error_body(moved, 400, "app_version_invalid")
    assert answered(moved).startswith(
        "HTTP 302 (a redirect to https://idp.test/login, which the harness does not follow): "
    )
    assert answered(httpx.Response(404, text="no")) == "HTTP 404: no"


def test_an_error_answer_that_is_not_json_says_what_came() -> None:
    """A server's HTML 500 page said only ``JSONDecodeError: Expecting value``."""
    page = httpx.Response(500, text="<html>boom</html>", headers={"content-type": "text/html"})
    with pytest.raises(
        AssertionError,
        match=r"expected HTTP 400 invalid_request with the §8 "
        r"JSON body .*, observed HTTP 500 text/html: "
        r"an HTML page: boom$",
    ):
        assert_error_body(page, 400, "invalid_request")
    with pytest.raises(AssertionError, match=r"JSON object .*observed HTTP 400: \['a'\]"):
        assert_error_body(httpx.Response(400, json=["a"]), 400, "invalid_request")


def test_a_web_page_where_json_was_due_is_shown_by_its_title_and_text() -> None:
    """MockPass's (Express's) 404 page was quoted as markup cut at 300 characters, before
    the words that said what was wrong (``Cannot POST …``); a review."""
    express = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Error</title>\n<style>body { font: 13px sans-serif }</style>\n"
        + "<!-- "
        + "x" * 300
        + " -->\n"
        + "</head>\n<body>\n<pre>Cannot POST /singpass/v2/api/app/v1/sessions</pre>\n"
        "<script>var code = 'not shown';</script>\n</body>\n</html>\n"
    )
    page = httpx.Response(404, text=express, headers={"content-type": "text/html; charset=utf-8"})
    with pytest.raises(AssertionError) as raised:
        assert_error_body(page, 400, "app_version_invalid")
    assert str(raised.value).endswith(
        "observed HTTP 404 text/html; charset=utf-8: an HTML page titled 'Error': Cannot POST "
        "/singpass/v2/api/app/v1/sessions"
    ), str(raised.value)
    assert answered(page) == (
        "HTTP 404: an HTML page titled 'Error': Cannot POST /singpass/v2/api/app/v1/sessions"
    )
    heading = httpx.Response(
        502, html="<html><title>Bad Gateway</title><h1>Bad Gateway</h1><p>nginx</p></html>"
    )
    assert answered(heading) == "HTTP 502: an HTML page titled 'Bad Gateway': nginx"
    untitled = httpx.Response(500, html="<html><body></body></html>")
    assert answered(untitled) == "HTTP 500: an HTML page"


def test_a_vendors_alternative_code_comes_with_its_own_clauses() -> None:
    """identity_level_insufficient citing T-3 passed: the codes and clauses a vendor may
    use were two sets, any code with any clause."""
    from types import SimpleNamespace

    from scenarios.test_id_token_checks import accepted

    vendor = SimpleNamespace(is_embedded=False)
    allowed = accepted("id_token_acr_missing", "identity_level_insufficient", "R-10", vendor)  # type: ignore[arg-type]
    assert allowed == {
        "identity_level_insufficient": frozenset({"R-10"}),
        "id_token_invalid": frozenset({"T-3", "R-10"}),
    }
    mock = SimpleNamespace(is_embedded=True)
    assert accepted("id_token_acr_missing", "identity_level_insufficient", "R-10", mock) == {
        "identity_level_insufficient": frozenset({"R-10"})
    }  # type: ignore[arg-type]


def test_discovery_missing_several_fields_is_told_all_of_them_at_once() -> None:
    """A general-purpose OpenID server without ``userinfo_endpoint`` and the ``vneid_``
    fields was told of one per run (the first the T-4 test read); a review."""
    from typing import Any, cast

    from scenarios import test_tokens as tokens_suite

    class _Partial:
        issuer = "http://idp.test"

        def discovery(self) -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "code_challenge_methods_supported": ["S256"],
                "acr_values_supported": ["urn:vneid:loa:2"],
                "id_token_signing_alg_values_supported": ["ES256"],
            }

    with pytest.raises(AssertionError) as raised:
        tokens_suite.test_discovery_lists_what_t4_requires(cast(Any, None), cast(Any, _Partial()))
    assert str(raised.value).startswith(
        "T-4: discovery lacks userinfo_endpoint, authorization_response_iss_parameter_supported, "
        "vneid_app_link_template, vneid_app_minimum_version (OpenID Connect Discovery §3"
    ), str(raised.value)
    assert "it lists: issuer, authorization_endpoint, token_endpoint, jwks_uri" in str(raised.value)
