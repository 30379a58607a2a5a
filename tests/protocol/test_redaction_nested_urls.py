"""S-5: a URL with a secret parameter is redacted wherever it sits, also as the value of
another parameter or JSON field, percent-encoded once or more (``callback_url=vssid%3A%2F%2F
cb%3Fcode%3D…``): a form field, a query parameter, a fragment parameter, a JSON string."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocol import redaction
from harness.protocol.redaction import (
    REDACTED,
    redact_body,
    redact_form,
    redact_json,
    redact_url,
    redact_value,
)

CALLBACK = "vssid://auth/vneid/callback?code=S3CRET&state=xyz&iss=http://id.vneid.test"


def encoded(text: str, times: int) -> str:
    for _ in range(times):
        text = quote(text, safe="")
    return text


@pytest.mark.clause("S-5")
@pytest.mark.parametrize("times", [0, 1, 2, 3])
def test_a_callback_url_in_a_form_value_is_redacted(times: int) -> None:
    form = f"transaction_id=t1&callback_url={encoded(CALLBACK, times + 1)}"
    out = redact_form(form)
    assert "S3CRET" not in out
    assert REDACTED in out
    assert out.startswith("transaction_id=t1&callback_url=")
    assert "state" in out  # the rest of the URL is kept


@pytest.mark.clause("S-5")
def test_the_redacted_value_keeps_its_encoding() -> None:
    """Decoded once per level of encoding, redacted, encoded again as many times."""
    once = quote(redact_url(CALLBACK), safe="[]")
    assert redact_value(quote(CALLBACK, safe="")) == once
    assert redact_value(encoded(CALLBACK, 2)) == quote(once, safe="[]")
    assert redact_value(CALLBACK) == redact_url(CALLBACK)
    assert redact_url(CALLBACK) == (
        "vssid://auth/vneid/callback?code=[REDACTED]&state=xyz&iss=http://id.vneid.test"
    )


def test_text_that_only_holds_an_encoded_url_is_not_decoded() -> None:
    """Only a value that is itself a URL once decoded is decoded: encoded JSON or form text
    comes back as it is (the body's own redaction reads it as what it is)."""
    for text in (
        '{"callback_url": "' + quote(CALLBACK, safe="") + '"}',
        "callback_url=" + quote(CALLBACK, safe=""),
    ):
        assert redact_value(quote(text, safe="")) == quote(text, safe="")


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    "where",
    [
        "https://rp.test/next?to={url}&a=b",
        "https://rp.test/app#to={url}&a=b",
        "https://rp.test/app#/route?to={url}",
    ],
)
def test_a_callback_url_in_a_query_or_fragment_parameter_is_redacted(where: str) -> None:
    out = redact_url(where.format(url=quote(CALLBACK, safe="")))
    assert "S3CRET" not in out
    assert REDACTED in out


@pytest.mark.clause("S-5")
def test_a_callback_url_in_a_json_string_is_redacted() -> None:
    body = {"callback_url": quote(CALLBACK, safe=""), "note": "50% off", "ratio": "a=b"}
    out = redact_json(body)
    assert "S3CRET" not in str(out)
    assert out["note"] == "50% off"
    assert out["ratio"] == "a=b"
    assert "S3CRET" not in str(
        redact_body(
            b'{"callback_url": "' + quote(CALLBACK, safe="").encode() + b'"}', "application/json"
        )
    )


@pytest.mark.parametrize(
    "value",
    [
        "https%3A%2F%2Fapp.test%2Fcb",
        "openid profile",
        "50%",
        "%zz",
        "%E1%BA%A0",
        "a%3Db",
        "%25%25%25%25",
        "",
    ],
)
def test_values_without_a_url_with_parameters_come_back_as_they_are(value: str) -> None:
    assert redact_value(value) == value


@given(st.text(max_size=40))
def test_redact_value_never_raises_and_keeps_plain_text(value: str) -> None:
    out = redact_value(value)
    if "=" not in value and "%" not in value:
        assert out == value


def test_a_chunk_that_may_hold_a_secret_is_never_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache of public pairs (``redirect_uri=…``) never keeps a value with parameters.
    (Watched by the calls it gets, not its size, which a provider served in a thread of the
    same pytest-xdist worker may change meanwhile.)"""
    cached: list[str] = []
    real = redaction._reencode_public

    def spy(chunk: str) -> str:
        cached.append(chunk)
        return real(chunk)

    monkeypatch.setattr(redaction, "_reencode_public", spy)
    redact_form(f"callback_url={quote(CALLBACK, safe='')}")
    redact_form(f"callback_url={encoded(CALLBACK, 2)}")
    redact_form(f"redirect_uri={quote('vssid://auth/vneid/callback', safe='')}")
    assert f"redirect_uri={quote('vssid://auth/vneid/callback', safe='')}" in cached
    for chunk in cached:  # public pairs only: a plain name, a value without parameters
        name, _, value = chunk.partition("=")
        assert not redaction.is_secret_key(unquote_plus(name)), chunk
        assert "=" not in value, chunk
        assert "%3D" not in value.upper(), chunk
