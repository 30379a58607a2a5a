"""``encode_query`` builds exactly the query ``urllib.parse.urlencode`` builds, and
``parse_query`` reads exactly the pairs ``urllib.parse.parse_qsl`` reads (both skip the
quoting or unquoting of keys and values that need none, for speed)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocol.links import (
    UndecodableParameter,
    _quoted,
    _unquoted,
    encode_query,
    parse_query,
)

UNRESERVED = st.text(alphabet="abcXYZ019_.~-", max_size=12)
ANY_TEXT = st.text(max_size=12)
QUERYISH = st.text(alphabet="ab=&+%2F0fgé;\x00 ", max_size=40)
"""Separators, escapes (good, short and bad), plus signs and text beyond ASCII."""


@given(st.lists(st.tuples(UNRESERVED | ANY_TEXT, UNRESERVED | ANY_TEXT), max_size=8))
def test_the_query_is_what_urlencode_builds(pairs: list[tuple[str, str]]) -> None:
    assert encode_query(pairs) == urlencode(pairs)


def test_examples() -> None:
    pairs = [
        ("redirect_uri", "vssid://auth/vneid/callback"),
        ("scope", "openid profile"),
        ("state", "a-B_c.d~9"),
        ("x y", "é&=+"),
        ("", ""),
    ]
    assert encode_query(pairs) == urlencode(pairs)
    assert encode_query([]) == ""


@given(QUERYISH | ANY_TEXT, st.integers(min_value=1, max_value=6))
def test_the_pairs_are_what_parse_qsl_reads(query: str, max_fields: int) -> None:
    try:
        want = parse_qsl(query, keep_blank_values=True, max_num_fields=max_fields, errors="strict")
    except UnicodeDecodeError:  # percent-encoded bytes that are not UTF-8
        with pytest.raises(UndecodableParameter, match="its percent-encoding is not UTF-8"):
            parse_query(query, max_fields=max_fields)
        skipped: list[str] = []  # or, asked to, left out and named
        kept = parse_query(query, max_fields=max_fields, undecodable=skipped)
        assert skipped
        assert len(kept) + len(skipped) == len(parse_qsl(query, keep_blank_values=True))
    except ValueError:
        with pytest.raises(ValueError, match="Max number of fields exceeded"):
            parse_query(query, max_fields=max_fields)
    else:
        assert parse_query(query, max_fields=max_fields) == want


@given(st.lists(st.tuples(UNRESERVED | ANY_TEXT, UNRESERVED | ANY_TEXT), max_size=8))
def test_what_encode_query_builds_parse_query_reads_back(pairs: list[tuple[str, str]]) -> None:
    assert parse_query(encode_query(pairs), max_fields=100) == pairs


def test_a_secrets_value_is_decoded_and_encoded_but_never_remembered() -> None:
    """The caches behind the two keep public values only (``redirect_uri``, ``scope``…), as
    the redaction cache does: a secret must not stay in memory after its request."""
    _unquoted.cache_clear()
    _quoted.cache_clear()
    assert parse_query("client_secret=a%2Bb+c&code_verifier=x%7Ey", max_fields=10) == [
        ("client_secret", "a+b c"),
        ("code_verifier", "x~y"),
    ]
    assert encode_query([("client_secret", "a+b c"), ("code", "x/y")]) == urlencode(
        [("client_secret", "a+b c"), ("code", "x/y")]
    )
    assert _unquoted.cache_info().currsize == 0
    assert _quoted.cache_info().currsize == 0
    assert parse_query("redirect_uri=vssid%3A%2F%2Fcb&scope=openid+profile", max_fields=10) == [
        ("redirect_uri", "vssid://cb"),
        ("scope", "openid profile"),
    ]
    assert encode_query([("redirect_uri", "vssid://cb")]) == "redirect_uri=vssid%3A%2F%2Fcb"
    assert _unquoted.cache_info().currsize == 2
    assert _quoted.cache_info().currsize == 1
