"""Provider plumbing that exists for speed, and must change nothing else.

The request log keeps each exchange's headers packed into one ``bytes`` (a thousand logged
exchanges of thirty small objects each cost every request about 20 µs); reading the log must
give back exactly the headers the request carried, in order. The embedded providers read
bodies without the 408 timer, the others keep it."""

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


def test_only_the_embedded_providers_read_bodies_without_a_timer() -> None:
    """The embedded transports hand over whole bodies, so the embedded providers skip the
    408 timer; a provider built any other way (served, or by a test) keeps it."""
    from harness.targets import embedded_target
    from mock_providers.vneid import VNeIDProvider

    target = embedded_target(seed="timer")
    try:
        for provider in (target.vneid.embedded, target.vssid.embedded):
            assert provider.app.state.bodies_in_memory is True
        assert getattr(VNeIDProvider().app.state, "bodies_in_memory", False) is False
    finally:
        target.close()
