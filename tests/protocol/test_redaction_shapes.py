"""S-5: secrets inside ordinary string values of a recorded JSON body (an error message that
quotes a link, an issuer's answer relayed as text, a credential or a JWS) are redacted by
their shape, as failure text is (``redact_secret_shapes``, shared with
``reports.failures.scrub``); more secret parameter names; nothing else is touched."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from harness.protocol.redaction import (
    REDACTED,
    redact_form,
    redact_json,
    redact_path,
    redact_secret_shapes,
    redact_url,
)
from reports.failures import scrub

JWS = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    "text",
    [
        "the link 'auth/vneid/callback?code=S3CRETCODE&state=x' has no scheme",
        "token: the issuer's answer is not JSON: b'access_token=S3CRETCODE&token_type=Bearer'",
        "the issuer said: invalid_grant for code_verifier=S3CRETCODE",
        "echo: Authorization: Basic UzNDUkVUQ09ERTpTM0NSRVRDT0RF",
        "echo: Authorization: Bearer S3CRETCODE",
        f"echo: client_assertion={JWS}",
        f"a token {JWS} in the text",
        f"id_token%3D{JWS}%26x",
        f"'{JWS}'",
        f"({JWS})",
        f"id_token={JWS}",
        f"'<pre>\\n{JWS}'",
        f'"a\\u0026{JWS}"',
        f"'\\t{JWS}'",
        '{"code": "S3CRETCODE"} as text',
        "id_token_hint=S3CRETCODE",
        "no route /authorize%3Fcode=S3CRETCODE; see PROTOCOL.md",
        "no route /a%23code=S3CRETCODE%26x=1",
        "callback_url=vssid%3A%2F%2Fcb%3Fcode%3DS3CRETCODE&x=1",
        "callback_url=vssid%253A%252F%252Fcb%253Fcode%253DS3CRETCODE",
    ],
)
def test_a_secret_in_a_string_value_is_redacted(text: str) -> None:
    out = redact_json(
        {"error": "provider_unavailable", "error_description": text, "details": [text]}
    )
    assert "S3CRETCODE" not in str(out)
    assert "UzNDUkVU" not in str(out)
    assert JWS not in str(out)
    assert REDACTED in out["error_description"]
    assert out["error"] == "provider_unavailable"


@pytest.mark.parametrize(
    "text",
    [
        "status code: 400",
        "a: b",
        "the code was refused",
        "Basic auth is not allowed",
        "code 401 with Bearer",
        "2026-12-05T03:10:44Z",
        "openid profile",
        "vssid://auth/vneid/callback?state=x&iss=y",
        "T-1: the Basic credentials are not base64 of 'client_id:secret'",
        "use Basic authentication",
        "send a Bearer token",
        "50% off, a%20b",
        '{"userinfo": {"name": null}}',
        '{"userinfo": ["name"]}',
    ],
)
def test_text_without_a_secret_is_kept(text: str) -> None:
    assert redact_json({"error_description": text}) == {"error_description": text}


@pytest.mark.parametrize(
    "text",
    [
        "code=[REDACTED]&x=1",
        "'code': '[REDACTED]'",
        "code=[REDACTED]",
        "Bearer [REDACTED]",
    ],
)
def test_already_redacted_text_is_left_as_it_is(text: str) -> None:
    """It used to become ``code=[REDACTED]]&x=1`` in failure text."""
    assert redact_secret_shapes(text) == text
    assert scrub(text) == text


@pytest.mark.clause("S-5")
@pytest.mark.parametrize("name", ["id_token_hint", "assertion", "token"])
def test_more_secret_parameter_names(name: str) -> None:
    assert redact_url(f"/authorize?{name}=S3CRETCODE&x=1") == f"/authorize?{name}={REDACTED}&x=1"
    assert redact_json({name: "S3CRETCODE"}) == {name: REDACTED}


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            "data=%7B%22code%22%3A%22S3CRETCODE%22%7D&a=b",
            "data=%7B%22code%22%3A%22[REDACTED]%22%7D&a=b",
        ),
        ("x=1?code=S3CRETCODE&y=2", "x=1?code=[REDACTED]&y=2"),  # written back as it came
        ("code%3DS3CRETCODE", "code%3D[REDACTED]="),
    ],
)
def test_secrets_hidden_inside_a_public_pair_are_redacted(given: str, shown: str) -> None:
    """JSON sent as one form field, a second ``?`` in a query, ``=`` encoded in a name."""
    assert redact_form(given) == shown


@pytest.mark.clause("S-5")
@pytest.mark.parametrize("key", ["sessionToken", "Passcode ", "client-secret", "CodeVerifier"])
def test_secret_names_in_other_spellings(key: str) -> None:
    assert redact_json({key: "S3CRETCODE"}) == {key: REDACTED}
    assert "S3CRETCODE" not in redact_secret_shapes(f"{key.strip()}=S3CRETCODE")


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/authorize?code=S3CRETCODE", "/authorize?code=[REDACTED]"),
        ("/cb#code=S3CRETCODE&state=x", "/cb#code=[REDACTED]&state=x"),
        ("/files/what?.txt", "/files/what?.txt"),
        ("/x?n=A", "/x?n=A"),
        ("/plain", "/plain"),
        # a secret as a path segment (the S-5 sweep: the request log kept it)
        ("/nonexistent/code=PATHCODE26", "/nonexistent/code=[REDACTED]"),
        ("/authorize/passcode=PATHPASS27/x", "/authorize/passcode=[REDACTED]"),  # to its end
        ("/a=b/c", "/a=b/c"),
        ("/x/code=S3CRETCODE?state=1", "/x/code=[REDACTED]?state=1"),  # and a query (%3F)
    ],
)
def test_a_decoded_path_is_changed_only_to_take_a_secret_out(path: str, logged: str) -> None:
    assert redact_path(path) == logged


def test_the_claims_request_parameter_is_kept_readable() -> None:
    """OpenID Connect Core §5.5: ``claims`` names ``id_token`` as a structure. In a query it
    is kept; as JSON text in a JSON value it is read as the JSON it is (its ``id_token``
    member redacted whole, as in a JSON body), never cut in the middle."""
    claims = '{"id_token": {"acr": {"essential": true}}, "userinfo": {"name": null}}'
    assert "essential" in redact_url("/authorize?claims=" + quote(claims, safe=""))
    out = redact_json({"claims": claims})["claims"]
    assert json.loads(out) == {"id_token": REDACTED, "userinfo": {"name": None}}


def test_a_jws_shape_is_found_in_linear_time() -> None:
    """A long run of token characters holding many ``eyJ`` and no JWS (``eyJaeyJa…``, a
    16 KB body) made the old pattern rescan the rest of the run at each ``eyJ``: about 60 ms a
    body, seconds for a request log of them. Now a JWS starts where a token starts (or after
    an escape); the text is left as it is."""
    text = "note: " + "eyJa" * 4000 + ".x"
    assert redact_secret_shapes(text) == text
    assert redact_secret_shapes(f"{'eyJa' * 4000} {JWS}") == f"{'eyJa' * 4000} {REDACTED}"


@pytest.mark.parametrize(
    "name", ["Authorization", "proxy-authorization", "Cookie", "X-Harness-Admin-Token"]
)
def test_credential_headers_are_redacted(name: str) -> None:
    from harness.protocol.redaction import redact_headers

    out = redact_headers({name: "Basic UzNDUkVUQ09ERTpTM0NSRVQ=", "Accept": "*/*"})
    assert "UzNDUkVU" not in str(out)
    assert out["Accept"] == "*/*"


def test_a_value_running_into_a_redacted_marker_is_redacted_when_decoded() -> None:
    """A percent-encoded ``code%3D<value>`` cut short right before a ``[REDACTED]`` (pytest's
    shortened repr): decoded, the value ran on into the marker and was taken for one already
    redacted, so the decoded redaction was dropped and the value stayed."""
    text = 'x=vssid%3A%2F%2Fcb%3Fcode%3DTQtAGaKp9srpYDjSSh5O...[REDACTED]", "scope": "o"'
    assert "TQtAGaKp" not in redact_secret_shapes(text)
    assert redact_secret_shapes("code=abcdef[REDACTED]") == "code=[REDACTED][REDACTED]"
    assert redact_secret_shapes("code=[REDACTED]&state=s") == "code=[REDACTED]&state=s"


def test_an_error_code_after_code_is_no_secret() -> None:
    """A failing test's source line ``assert_error_screen(..., code="id_token_invalid")``
    was shown as ``code="[REDACTED]"``, hiding the error the test expected. §8's codes and
    those of RFC 6749 and OpenID Connect are kept; any other value of ``code`` still goes."""
    line = 'assert_error_screen(screen, app="vssid", code="id_token_invalid", clause="R-9")'
    assert redact_secret_shapes(line) == line
    assert redact_secret_shapes("code=access_denied&state=s") == "code=access_denied&state=s"
    assert redact_secret_shapes("{'code': 'invalid_grant'}") == "{'code': 'invalid_grant'}"
    assert redact_secret_shapes('code="x_id_token_invalid"') == 'code="[REDACTED]"'
    assert redact_secret_shapes("code=Id_Token_Invalid") == "code=[REDACTED]"
    for other in (
        'passcode="access_denied"',
        "client_secret=invalid_client",
        "access_token=server_error",
        "{'session_token': 'login_required'}",
    ):
        assert "[REDACTED]" in redact_secret_shapes(other), other  # another name: a secret


def test_a_comparison_with_a_secrets_name_is_no_assignment() -> None:
    """A failing test's source line ``assert persona.passcode == "not-it"`` reached junit.xml
    and Allure as ``assert persona.passcode =[REDACTED] "not-it"``: the second ``=`` was
    taken for the value (a CI review). The code shown is the code that ran; an assignment
    still loses its value."""
    for line in (
        'assert persona.passcode == "not-it"',
        "if code == expected:",
        "assert session_token==other",
    ):
        assert redact_secret_shapes(line) == line
    assert redact_secret_shapes("passcode=123456") == "passcode=[REDACTED]"
    assert redact_secret_shapes("code=abc&state=s") == "code=[REDACTED]&state=s"


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("http://user:s3cretpw@127.0.0.1:8801/x", "http://user:[REDACTED]@127.0.0.1:8801/x"),
        (
            "VNeIDHandle(base_url='https://ci:t0ken@idp.example.test')",
            "VNeIDHandle(base_url='https://ci:[REDACTED]@idp.example.test')",
        ),
        ("a://:pw@h", "a://:[REDACTED]@h"),
        ("https://user:pa'ss@host/x", "https://user:[REDACTED]@host/x"),  # ' is a sub-delim
        ("https://user:p@ss@host/x", "https://user:[REDACTED]@host/x"),  # urlsplit: 'p@ss'
        ("//u:pw123@host/x", "//u:[REDACTED]@host/x"),  # a scheme-relative reference
        ("https://u:pw@h?next=a@b", "https://u:[REDACTED]@h?next=a@b"),
        ('{"url": "https:\\/\\/u:pw@h\\/x"}', '{"url": "https:\\/\\/u:[REDACTED]@h\\/x"}'),
        ("['http://h:80','me@x.org']", "['http://h:80','me@x.org']"),  # two strings, no password
        ("['http://h:80', 'me@x.org']", "['http://h:80', 'me@x.org']"),
        ("http://o'brien:s3cretpw@host/x", "http://o'brien:[REDACTED]@host/x"),  # ' in the user
        ("http://host:8080/p@x", "http://host:8080/p@x"),  # no user information
        ("http://user@host/", "http://user@host/"),  # a user name alone is no credential
        ("mailto:a@b.test", "mailto:a@b.test"),
    ],
)
def test_a_urls_password_is_redacted_wherever_a_url_is_written_out(text: str, clean: str) -> None:
    """Failure text quoting a handle (pytest's ``where … = <bound method VNeIDHandle…>``)
    showed the password of a target URL given as ``https://user:pw@host``."""
    assert redact_secret_shapes(text) == clean
    assert scrub(text) == clean
    assert redact_secret_shapes(clean) == clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        # pytest -l prints a failing frame's locals as ``name = repr``, padded
        ("verifier   = 'iCeTZfmYALbtrd4HIyfrPT8SUncqsYI3pZT68d69QP8'", "verifier   = '[REDACTED]'"),
        (
            "DEFAULT_VSSID_CLIENT_SECRET = 'vssid-harness-client-secret'",
            "DEFAULT_VSSID_CLIENT_SECRET = '[REDACTED]'",
        ),
        ("passcode = '111111'", "passcode = '[REDACTED]'"),
        ("x.code_verifier='abc'", "x.code_verifier='[REDACTED]'"),
        # no secret: another name, an unquoted number, an error code after a *_code name
        ("token_type = 'Bearer'", "token_type = 'Bearer'"),
        ("status_code = 200", "status_code = 200"),
        ("error_code = 'invalid_grant'", "error_code = 'invalid_grant'"),
        ("bhxh_code = '0123456789'", "bhxh_code = '0123456789'"),  # an identity, not a secret
        ("status_code = '200'", "status_code = '200'"),
        ("x_d = 'abc'", "x_d = 'abc'"),
        ("the code = 5 here", "the code = 5 here"),
    ],
)
def test_a_local_named_like_a_secret_is_redacted(text: str, clean: str) -> None:
    """The S-5 sweep: ``pytest -l`` showed ``verifier = '…'`` and a module's
    ``DEFAULT_…_CLIENT_SECRET = '…'``: a name ending in a secret's name, then spaces."""
    assert redact_secret_shapes(text) == clean
