"""The request log keeps each exchange's headers packed into one ``bytes`` (a thousand logged
exchanges of thirty small objects each cost every request about 20 µs); reading the log must
give back exactly the headers the request carried, in order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mock_providers._http import _pack_headers, _unpack_headers

TOKEN = st.binary(min_size=1, max_size=20).filter(lambda b: b":" not in b)
"""A header name: RFC 9110 field names never hold ':'."""
VALUE = st.binary(max_size=60)


@given(st.lists(st.tuples(TOKEN, VALUE), max_size=12))
def test_headers_read_back_exactly_as_they_came(headers: list[tuple[bytes, bytes]]) -> None:
    assert _unpack_headers(_pack_headers(headers)) == headers


def test_a_value_holding_cr_lf_is_kept_as_a_list_not_packed() -> None:
    headers = [(b"x-a", b"one\r\ntwo"), (b"host", b"vneid.test")]
    packed = _pack_headers(headers)
    assert packed == headers
    assert packed is not headers  # a copy: the request's own list may be reused
    assert _unpack_headers(packed) == headers


def test_values_with_colons_and_no_headers_at_all() -> None:
    headers = [(b"authorization", b"Basic a:b"), (b"x-empty", b"")]
    assert _pack_headers(headers) == b"authorization:Basic a:b\r\nx-empty:"
    assert _unpack_headers(_pack_headers(headers)) == headers
    assert _unpack_headers(_pack_headers([])) == []
