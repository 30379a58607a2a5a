"""``finite_number`` (every numeric field a provider reads) and ``oauth_description`` (every
``error_description`` on the wire)."""

from __future__ import annotations

import re

import pytest

from harness.protocol import ProtocolError, finite_number, oauth_description


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0.0),
        (-5, -5.0),
        (1_900_000_000, 1.9e9),
        (1.5, 1.5),
        (10**300, 1e300),
    ],
)
def test_numbers_a_float_holds_are_read(value: object, expected: float) -> None:
    assert finite_number(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        "1",
        [1],
        {"n": 1},
        float("nan"),
        float("inf"),
        float("-inf"),
        10**400,
        -(10**400),
    ],
    ids=repr,
)
def test_anything_else_is_none_never_an_exception(value: object) -> None:
    assert finite_number(value) is None


_ALLOWED = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "code_challenge must be 43 characters (RFC 7636 §4.2)",
            "code_challenge must be 43 characters (RFC 7636 section 4.2)",
        ),
        (
            'scope "openid\tprofile" is not space-separated',
            "scope 'openid<U+0009>profile' is not space-separated",
        ),
        ("a back\\slash", "a back<U+005C>slash"),
        (
            "expected vneid://authorize?… or https://vneid.test/authorize?…",
            "expected vneid://authorize?... or https://vneid.test/authorize?...",
        ),
        ("offset within ±316224000 s (≤ 10 years)", "offset within +/-316224000 s (<= 10 years)"),
        ("a “quoted” – dash → arrow", "a 'quoted' - dash -> arrow"),
        ("漢字 and a bell\x07", "<U+6F22><U+5B57> and a bell<U+0007>"),
        # echoed input is shown as it was sent, never as a look-alike
        ("malformed app version '2.1.0\xff'", "malformed app version '2.1.0<U+00FF>'"),
        ("malformed app version '２.1.0'", "malformed app version '<U+FF12>.1.0'"),
        ("full_name 'Đỗ Văn An'", "full_name '<U+0110><U+1ED7> V<U+0103>n An'"),
        # what repr() escaped in an echoed value is its code point too
        (
            "version "
            + repr("2.1\t.0")
            + ", path "
            + repr("a\\b")
            + ", "
            + repr("\x07")
            + ", "
            + repr("\u200b")
            + ", "
            + repr("\U0001f600"),
            "version '2.1<U+0009>.0', path 'a<U+005C>b', '<U+0007>', '<U+200B>', '<U+1F600>'",
        ),
        (repr("it's") + " " + repr("'\""), "'it's' ''<U+0022>'"),
        # typography in an echoed value is shown as sent, in the description's own text spelt
        (
            "malformed app version " + repr("2.1.0\u2013rc.1") + " \u2013 see \u00a74",
            "malformed app version '2.1.0<U+2013>rc.1' - see section 4",
        ),
        ("path " + repr("/v\u2026") + " and " + repr('a"b'), "path '/v<U+2026>' and 'a<U+0022>b'"),
        ("plain ASCII stays as it is: A-7", "plain ASCII stays as it is: A-7"),
    ],
)
def test_descriptions_keep_to_the_oauth_character_set(text: str, expected: str) -> None:
    """RFC 6749 §4.1.2.1, §5.2: %x20-21 / %x23-5B / %x5D-7E only."""
    assert oauth_description(text) == expected
    assert _ALLOWED.fullmatch(oauth_description(text))


def test_error_bodies_carry_the_clean_description_and_the_exception_keeps_its_own() -> None:
    err = ProtocolError(
        "the code must redeem once (RFC 6749 §4.1.2)", code="invalid_grant", clause="T-2"
    )
    assert (
        err.to_body()["error_description"] == "the code must redeem once (RFC 6749 section 4.1.2)"
    )
    assert "§" in err.description  # logs and reports keep the original text
