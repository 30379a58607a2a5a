"""What a mutation run of ``harness/protocol/redaction.py`` showed (S-5). Every test's
secrets were letters and digits, which the last pass (the shapes) catches whatever the layers
above it do: 29 mutants of those layers survived. With secrets holding ``)``, ``=``, ``@``,
spaces or brackets, each layer is pinned here. The run also found leaks in the code itself:
a cookie kept its first pair (``Cookie: session=…; theme=dark``), a truncated JSON form kept
a list value, a form body that is a URL kept its password, a route fragment's value that is
a URL (plain, or encoded in a pair) kept its code, and names with a ``+`` were no names."""

from __future__ import annotations

import pytest

from harness.protocol.redaction import (
    REDACTED,
    redact_body,
    redact_form,
    redact_headers,
    redact_json,
    redact_secret_shapes,
    redact_url,
)
from tests.protocol.readable import readable

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("headers", "shown"),
    [
        ({"Cookie": "session=SECRET1; theme=dark"}, {"Cookie": REDACTED}),
        ({"Set-Cookie": "sid=SECRET1; Path=/; HttpOnly"}, {"Set-Cookie": REDACTED}),
        ({"Authorization": "Bearer abc def"}, {"Authorization": f"Bearer {REDACTED}"}),
        ({"Authorization": "abcdef"}, {"Authorization": REDACTED}),
        ({"authorization": "Basic dXNlcjpwYXNz"}, {"authorization": f"Basic {REDACTED}"}),
        ({"X-Harness-Admin-Token": "adm in"}, {"X-Harness-Admin-Token": REDACTED}),
        ({"Authorization": "x=y z"}, {"Authorization": REDACTED}),  # no scheme: a credential
    ],
)
def test_headers(headers: dict[str, str], shown: dict[str, str]) -> None:
    assert redact_headers(headers) == shown


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("given", "secret"),
    [
        ("http://u:p@ss@h/", "p@ss"),
        ("http://h/#/cb?access_token=QUJDRA==&state=s", "QUJDRA"),
        ("http://h/#/r?next=vssid:cb#code=SECRET2", "SECRET2"),
        ("http://h/#/r?next=a=vssid%3A%2F%2Fcb%3Fcode%3DSECRET3", "SECRET3"),
        ("http://h/#/r?msg=see%20https://rp/cb%3Fcode%3DSECRET4", "SECRET4"),
        ("http://h/#/r?next=%2Fcb%23code%3DSECRET5", "SECRET5"),
    ],
)
def test_urls(given: str, secret: str) -> None:
    assert secret not in readable(redact_url(given))


@pytest.mark.clause("S-5")
def test_a_fragment_route_without_a_secret_is_kept() -> None:
    url = "http://h/#/r?tab=1&next=vssid:cb#top&x=%41"
    assert redact_url(url) == url


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("https://rp/cb?password=hun)ter2", "ter2"),
        ("a=1&password=hun)ter2", "ter2"),
        ("vssid:cb?password=hun)ter2", "ter2"),
        ("vssid://cb#password=hun)ter2", "ter2"),
        ("see https://rp/cb?password=hun)ter2", "ter2"),
        ("vssid://cb?code+=SECRET6", "SECRET6"),
        ("a=1&code+=SECRET7", "SECRET7"),
        ('\n[{"password": "a\\"bc"}]', "bc"),
        (' {"client_secret": ["s1x"]}', "s1x"),
    ],
)
def test_strings_in_json(value: str, secret: str) -> None:
    assert secret not in readable(redact_json({"v": value}))


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("body", "secret"),
    [
        (b'{"client_secret": ["s1x"], "x', "s1x"),  # JSON cut off (at the log's limit)
        (b' {"client_secret": ["s1x"]}', "s1x"),
        (b"https://u:pw9@h/cb?x", "pw9"),
        (b"https://u:pw9@h/p=1", "pw9"),
        (b"https://u:pw9@h/cb?a=b", "pw9"),
        (b"a b=1&code=sec ret", "ret"),
        # free text sent as a form: a name with spaces made it a "form" whose pair name was
        # the whole phrase, no secret's (a re-read: it had been redacted before)
        (b"login failed for password=hunter2", "hunter2"),
        (b"login+failed+for+password=hunter2", "hunter2"),
        (b"the code=abc123 was wrong", "abc123"),
        (b"my password=hun)ter2", "hun"),
        (b'{"client_secret": [["a1x"], "b2x"], "x', "b2x"),
        (b"msg=see+https://rp/cb?password=hun)ter2", "ter2"),
    ],
)
def test_form_bodies(body: bytes, secret: str) -> None:
    assert secret not in readable(redact_body(body, FORM))


@pytest.mark.clause("S-5")
def test_a_form_without_a_secret_is_kept_whatever_its_names() -> None:
    for form in ("a b=1&c=2", "see the docs=now", "x&y=%41+b"):
        assert redact_form(form) == form
        assert redact_body(form.encode(), FORM) == form


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ('AssertionError: {"client_secret": ["s1x", "s2x"], "x', ("s1x", "s2x")),
        ("got 'passcode': [['p1x'], 'p2x'] back", ("p1x", "p2x")),
        ("sent a=1&code+=c1x&b=2", ("c1x",)),
        ("sent code =c2x", ("c2x",)),
    ],
)
def test_free_text_shapes(text: str, secrets: tuple[str, ...]) -> None:
    """The shapes of free text (failure messages): a secret's list value, nested once, and a
    name with a ``+`` or a space before its ``=``; each layer checked alone."""
    clean = redact_secret_shapes(text)
    assert not any(s in clean for s in secrets), clean
    assert redact_secret_shapes(clean) == clean
