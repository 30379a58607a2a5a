"""``encode_query`` builds exactly the query ``urllib.parse.urlencode`` builds (it skips the
quoting of keys and values that need none, for speed)."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from harness.protocol.links import encode_query

UNRESERVED = st.text(alphabet="abcXYZ019_.~-", max_size=12)
ANY_TEXT = st.text(max_size=12)


@given(st.lists(st.tuples(UNRESERVED | ANY_TEXT, UNRESERVED | ANY_TEXT), max_size=8))
def test_the_query_is_what_urlencode_builds(pairs: list[tuple[str, str]]) -> None:
    assert encode_query(pairs) == urlencode(pairs)


def test_examples() -> None:
    pairs = [("redirect_uri", "vssid://auth/vneid/callback"), ("scope", "openid profile"),
             ("state", "a-B_c.d~9"), ("x y", "é&=+"), ("", "")]
    assert encode_query(pairs) == urlencode(pairs)
    assert encode_query([]) == ""
