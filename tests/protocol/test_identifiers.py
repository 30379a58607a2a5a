"""§1 identifiers: personal_id and bhxh_code."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from harness.protocol import (
    IdentifierError,
    generate_bhxh_code,
    generate_personal_id,
    is_valid_bhxh_code,
    parse_personal_id,
)

pytestmark = pytest.mark.clause("R-11", "P-1")


def test_parses_the_digits() -> None:
    pid = parse_personal_id("001301012345")
    assert (pid.province, pid.sex, pid.birth_year, pid.serial) == (1, "female", 2001, "012345")
    assert pid.matches(birthdate=dt.date(2001, 5, 1), sex="female")
    assert not pid.matches(birthdate=dt.date(1901, 5, 1))
    assert not pid.matches(sex="male")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("00130101234", "12 ASCII digits"),
        ("0013010123456", "12 ASCII digits"),
        ("00130101234a", "12 ASCII digits"),
        ("００１３０１０１２３４５", "12 ASCII digits"),
        ("000301012345", "outside 001-096"),
        ("097301012345", "outside 001-096"),
        ("001401012345", "century/sex digit 4"),
        ("001901012345", "century/sex digit 9"),
    ],
)
def test_refuses_malformed_ids_naming_the_rule(text: str, fragment: str) -> None:
    with pytest.raises(IdentifierError) as info:
        parse_personal_id(text)
    assert fragment in info.value.description
    assert info.value.clause == "R-11"


def test_refuses_non_strings() -> None:
    with pytest.raises(IdentifierError):
        parse_personal_id(1234)


@pytest.mark.parametrize("year", [1900, 1950, 1999, 2000, 2007, 2099])
@pytest.mark.parametrize("sex", ["male", "female"])
def test_generated_ids_validate_and_match(year: int, sex: str) -> None:
    rng = random.Random(year)
    born = dt.date(year, 3, 4)
    text = generate_personal_id(rng, birthdate=born, sex=sex)  # type: ignore[arg-type]
    assert parse_personal_id(text).matches(birthdate=born, sex=sex)  # type: ignore[arg-type]


def test_generation_is_replayable_from_a_seed() -> None:
    born = dt.date(1990, 1, 1)
    a = [generate_personal_id(random.Random(7), birthdate=born, sex="male") for _ in range(2)]
    assert a[0] == a[1]


def test_years_outside_the_century_digits_are_refused() -> None:
    with pytest.raises(IdentifierError):
        generate_personal_id(random.Random(1), birthdate=dt.date(1899, 1, 1), sex="male")


@pytest.mark.parametrize("year", [2100, 2150])
def test_years_after_2099_have_no_century_digit(year: int) -> None:
    """§1: digit 4 is 0-3 (1900s, 2000s) only; a 2100s birth would come out as a 2000s id."""
    with pytest.raises(IdentifierError):
        generate_personal_id(random.Random(1), birthdate=dt.date(year, 1, 1), sex="male")


def test_vschar_is_printable_ascii_only() -> None:
    """RFC 6749 Appendix A VSCHAR (%x20-7E): DEL (0x7F) is outside it."""
    from harness.protocol import is_vschar

    assert is_vschar(" ~abc")
    assert not is_vschar("client\x7f")
    assert not is_vschar("client\x1f")


def test_bhxh_code() -> None:
    code = generate_bhxh_code(random.Random(1))
    assert is_valid_bhxh_code(code)
    assert not is_valid_bhxh_code("123")
    assert not is_valid_bhxh_code(1234567890)


def test_bhxh_code_is_exactly_ten_digits() -> None:
    """§1: "bhxh_code: the 10-digit social-insurance number"."""
    assert is_valid_bhxh_code("0123456789")
    assert not is_valid_bhxh_code("012345678")
    assert not is_valid_bhxh_code("01234567890")
    assert not is_valid_bhxh_code("0" * 64)
