"""Secrets a security sweep got past redaction (S-5), after evidence began to keep each
parameter as it came. Three were new with that change, all with a literal ``[REDACTED]`` in
the input: a URL was rewritten only when it came out with more markers than it went in, and
merging or dropping one evened the count. Four were older: a decoded ``?`` in the path, a
non-UTF-8 byte beside a nested URL's code, a JWS as a plain value, a secret encoded twice
beside one encoded once, and one run on from a marker."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.embedded import SyncASGITransport
from harness.protocol.redaction import redact_form, redact_secret_shapes, redact_url
from mock_providers.vneid import VNeIDProvider
from tests.protocol.readable import readable

JWS = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJMRUFLQUFBNiJ9.c2ln"


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    ("given", "secret"),
    [
        ("https://h/cb?x=//u:[REDACTED][REDACTED]@h&code=LEAKAAA2", "LEAKAAA2"),
        ("/cb?code=[REDACTED]LEAKAAA3", "LEAKAAA3"),
        ("vssid://cb#/r?code=SECRET8?[REDACTED]", "SECRET8"),
        ("https://h/cb?next=vssid%3A%2F%2Fcb%3Fcode%3DLEAKAAA5%FF", "LEAKAAA5"),
        (f"https://h/cb?x={JWS}", "eyJzdWIiOiJMRUFLQUFBNiJ9"),
    ],
)
def test_urls(given: str, secret: str) -> None:
    assert secret not in readable(redact_url(given))


@pytest.mark.clause("S-5")
def test_a_form_field_with_a_bad_byte_beside_a_nested_code() -> None:
    assert "LEAK10" not in readable(redact_form("callback_url=vssid%3A%2F%2Fcb%3Fcode%3DLEAK10%FF"))
    assert redact_form("x=%FF&y=1") == "x=%FF&y=1"  # without a secret: as it came


@pytest.mark.clause("S-5")
def test_free_text_at_every_depth() -> None:
    text = (
        "next=vssid%3A%2F%2Fcb%3Fcode%3DAAAA1111&back=https%3A%2F%2Fh%3Fr%3Dvssid%253A"
        "%252F%252Fcb%253Fcode%253DBBBB2222"
    )
    clean = redact_secret_shapes(text)
    assert "AAAA1111" not in clean
    assert "BBBB2222" not in readable(clean)
    assert "CCCC3333" not in redact_secret_shapes("vssid://cb?code=[REDACTED]CCCC3333")
    assert redact_secret_shapes("code=[REDACTED] and 'code': '[REDACTED]'") == (
        "code=[REDACTED] and 'code': '[REDACTED]'"
    )


@pytest.mark.clause("S-5")
def test_a_decoded_question_mark_in_the_path_hides_no_code_in_the_log() -> None:
    provider = VNeIDProvider()
    with httpx.Client(
        transport=SyncASGITransport(provider.app), base_url="http://id.vneid.test"
    ) as client:
        client.get("/authorize%3F?code=LEAKAAA4&state=s%41")
        log = client.get("/_harness/requests").json()["requests"]
    [entry] = [e for e in log if e["path"].startswith("/authorize")]
    assert "LEAKAAA4" not in json.dumps(entry)
    assert entry["url"] == "/authorize??code=[REDACTED]&state=s%41"
