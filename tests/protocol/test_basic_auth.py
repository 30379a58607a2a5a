"""RFC 6749 §2.3.1's Basic client credentials, written and read in one place
(``harness.protocol.basic_auth``): what the mock VNeID reads, the mock VssID and the harness's
relying party send, and the trace redacts."""

from __future__ import annotations

import base64

import pytest

from harness.protocol.basic_auth import (
    BasicCredentialsError,
    basic_pair,
    decode_basic,
    encode_basic,
    is_basic,
)


def _basic(pair: bytes) -> str:
    return "Basic " + base64.b64encode(pair).decode("ascii")


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [
        ("vssid", "s3cret"),
        ("id:with:colons", "p@ss:w0rd/+ %&="),
        ("đăng-nhập", "mật khẩu ✓"),
        ("x", ""),
    ],
)
def test_what_is_encoded_decodes_back(client_id: str, secret: str) -> None:
    assert decode_basic(encode_basic(client_id, secret)) == (client_id, secret)


def test_each_part_is_form_urlencoded_before_base64() -> None:
    header = encode_basic("vssid", "p@ss:w0rd/+ %&=")
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]) == b"vssid:p%40ss%3Aw0rd%2F%2B+%25%26%3D"


def test_a_plain_colon_in_the_secret_is_kept() -> None:
    """RFC 7617 §2: the user-id ends at the first colon; the password may hold more."""
    assert decode_basic(_basic(b"rp:se:cr:et")) == ("rp", "se:cr:et")


def test_plus_and_percent_escapes_are_decoded() -> None:
    assert decode_basic(_basic(b"my+rp%3A1:a%2Bb+c")) == ("my rp:1", "a+b c")


@pytest.mark.parametrize(
    "header", ["basic dnNzaWQ6cw==", "BASIC dnNzaWQ6cw==", "Basic   dnNzaWQ6cw==  "]
)
def test_the_scheme_is_case_insensitive_and_spaces_around_are_ignored(header: str) -> None:
    assert is_basic(header)
    assert decode_basic(header) == ("vssid", "s")


@pytest.mark.parametrize("header", [None, "Bearer x", "Basicx", "Basi"])
def test_other_schemes_are_not_basic(header: str | None) -> None:
    assert not is_basic(header)


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("Basic not*base64", "not base64"),
        ("Basic " + base64.b64encode(b"rp:s").decode() + "!", "not base64"),
        (_basic(b"rp:\xff"), "not base64"),
        (_basic(b"no-colon"), "not 'client_id:secret'"),
        (_basic(b":secret"), "not 'client_id:secret'"),
        (_basic(b"rp:%FF"), "not form-urlencoded UTF-8"),
        (_basic(b"%C3:s"), "not form-urlencoded UTF-8"),
        # whitespace to str.strip(), not to HTTP (RFC 9110 §5.6.3: OWS is SP and HTAB)
        ("Basic \xa0dnNzaWQ6cw==", "not base64"),
        ("Basic dnNzaWQ6cw==\x85", "not base64"),
        ("Basic dnNzaWQ6cw==\x1f", "not base64"),
        ("Basic \x0bdnNzaWQ6cw==", "not base64"),
    ],
)
def test_a_header_without_a_pair_is_refused_with_why(header: str, said: str) -> None:
    with pytest.raises(BasicCredentialsError, match=said):
        decode_basic(header)


def test_the_pair_is_the_text_before_decoding() -> None:
    assert basic_pair(_basic(b"a%20b:c+d")) == "a%20b:c+d"
    with pytest.raises(BasicCredentialsError):
        basic_pair("Basic ???")
