"""The pair-by-pair redaction of query strings and forms gives exactly what decoding and
re-encoding the whole string does (``urlencode(parse_qsl(...))`` with secrets replaced):
the fast path for plain pairs and the cache for repeated public pairs change no output."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocol.redaction import (
    REDACTED,
    is_secret_key,
    redact_form,
    redact_secret_shapes,
    redact_url,
    redact_value,
)

PIECES = st.sampled_from([
    "a", "C", "0", "_", "-", ".", "~", "[", "]", "%", "+", "=", "&", ";", "/", " ", ":", "?",
    "é", "code", "Code", "state", "passcode", "%2", "%41", "%zz", "%E1%BA%A0", "%3D", "%26",
    "client%5Fsecret", "code%3D", "redirect_uri", "vssid%3A%2F%2Fcb", "%3F", "%253D", "%23",
])


def reference(encoded: str) -> str:
    """The whole round trip, pair by pair; a pair that is not UTF-8 once decoded is shown as
    it came (its value redacted when its name is a secret's), not decoded with replacement."""
    out = []
    for chunk in filter(None, encoded.split("&")):
        try:
            pairs = parse_qsl(chunk, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            name = chunk.partition("=")[0]
            secret = is_secret_key(unquote_plus(name, errors="replace"))
            out.append(f"{name}={REDACTED}" if secret else chunk)
            continue
        out.append(urlencode([(k, REDACTED) if is_secret_key(k)
                              else (redact_secret_shapes(k), redact_secret_shapes(redact_value(v)))
                              for k, v in pairs], safe="[]"))
    return "&".join(o for o in out if o)


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_form_redaction_matches_the_whole_string_round_trip(encoded: str) -> None:
    assert redact_form(encoded) == reference(encoded)
    assert redact_form(encoded) == reference(encoded)  # again: the cached pairs agree


def test_plain_and_escaped_pairs() -> None:
    url = ("vssid://auth/vneid/callback?code=c0De-._~&state=s&iss=http%3A%2F%2Fid.vneid.test"
           "&scope=openid+profile&client_secret=a%20b&x&&y=")
    assert redact_url(url) == (
        "vssid://auth/vneid/callback?code=[REDACTED]&state=s&iss=http%3A%2F%2Fid.vneid.test"
        "&scope=openid+profile&client_secret=[REDACTED]&x=&y=")


def test_the_password_of_a_urls_user_information_is_redacted() -> None:
    """RFC 3986 §3.2.1: ``user:password@`` is a credential; a target URL holding one was
    repeated in an error message (S-5, a review)."""
    assert redact_url("http://user:s3cret@host:80/p") == "http://user:[REDACTED]@host:80/p"
    assert redact_url("http://user:s3cret@host/p?code=c&a=1") == (
        "http://user:[REDACTED]@host/p?code=[REDACTED]&a=1")
    assert redact_url("http://user@host/p") == "http://user@host/p"  # no password, as it was
    assert redact_url("http://host/p?a=1") == "http://host/p?a=1"
