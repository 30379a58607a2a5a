"""Identifiers of §1: ``personal_id`` (số định danh cá nhân) and ``bhxh_code``.

``personal_id``: 12 digits. Digits 1–3 a province code (001–096); digit 4 century and sex
(0 = 1900s male, 1 = 1900s female, 2 = 2000s male, 3 = 2000s female); digits 5–6 the last two
digits of the birth year; then 6 digits. ``bhxh_code``: 10 digits.

Generation takes a ``random.Random`` so that personas are replayable from a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from harness.protocol.errors import IdentifierError

__all__ = [
    "BIRTHDATE_PATTERN",
    "FULL_NAME_PATTERN",
    "MAX_FULL_NAME",
    "PROVINCE_CODES",
    "PersonalId",
    "Sex",
    "full_name_problem",
    "generate_bhxh_code",
    "generate_personal_id",
    "is_valid_bhxh_code",
    "is_vschar",
    "parse_personal_id",
]

Sex = Literal["male", "female"]
MAX_FULL_NAME = 200
"""The longest ``full_name`` (characters) a citizen's record or a VssID account holds (T-3,
P-1): the providers refuse a longer one, persona files are checked against it."""
_NOT_IN_A_NAME = (
    r"\u0000-\u001f\u007f-\u009f"  # controls, C0 and C1 (NEL, U+0085, a line break)
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # text-direction controls
    r"\u2028\u2029"  # the line and paragraph separators
    r"\ufdd0-\ufdef\ufffe\uffff"
)  # noncharacters
_BLANK = r" \u00a0\u00ad\u1680\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff"
FULL_NAME_PATTERN = f"^[^{_NOT_IN_A_NAME}]*[^{_NOT_IN_A_NAME}{_BLANK}][^{_NOT_IN_A_NAME}]*$"
"""What a ``full_name`` is (T-3, P-1), as the providers' OpenAPI documents give it: one line
of text with something visible in it, without controls (C0, C1), text-direction controls
(which reorder what a screen or a report shows after them), line or paragraph separators or
noncharacters. ECMA-262 (with or without the ``u`` flag), Python and Rust's engines
(Schemathesis validates with ``jsonschema_rs``) read it alike. Lone surrogates, refused too
(:func:`full_name_problem`), are left out of it: a range of them is no regex to an engine
that reads UTF-8 (``jsonschema_rs`` then enforced none of the pattern), and ECMA-262 without
``u`` would refuse every character beyond U+FFFF (a Nôm character, written as two)."""
_FULL_NAME = re.compile(FULL_NAME_PATTERN)
_BEYOND_THE_BMP = "".join(f"\\U{plane:04X}FFFE\\U{plane:04X}FFFF" for plane in range(1, 17))
"""The noncharacters of planes 1 to 16 (U+1FFFE, U+1FFFF, …, U+10FFFF): refused like the
BMP's, by :func:`full_name_problem` only (outside the BMP, ECMA-262 without ``u`` reads a
pattern's character as its two surrogates)."""
_NOT_IN_A_NAME_RE = re.compile(  # lone surrogates too
    f"[{_NOT_IN_A_NAME}\\ud800-\\udfff{_BEYOND_THE_BMP}]"
)


BIRTHDATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
"""A birthdate as the providers' records and the persona files write it (``YYYY-MM-DD``):
Python 3.11's ``date.fromisoformat`` also reads ``19900304`` and ``1990-W09-7``."""


def full_name_problem(value: str) -> str | None:
    """What is wrong with the string ``value`` as a ``full_name`` (T-3, P-1), said so a user
    can mend it, or ``None``: the one rule the providers' records, VssID's accounts and
    persona files share (:data:`FULL_NAME_PATTERN` without lone surrogates or the
    noncharacters beyond the BMP, at most :data:`MAX_FULL_NAME` characters). Callers say
    themselves what else they were given instead of a string."""
    if not value:
        return "must be a non-empty string"
    if len(value) > MAX_FULL_NAME:
        return f"is {len(value)} characters; at most {MAX_FULL_NAME}"
    bad = _NOT_IN_A_NAME_RE.search(value)
    if bad is None:
        return (
            None
            if _FULL_NAME.fullmatch(value)
            else ("has nothing visible in it (only spaces or zero-width characters)")
        )
    char = bad.group()
    if 0xD800 <= ord(char) <= 0xDFFF:
        return (
            "contains a lone surrogate (a \\ud800-style escape that is half of a "
            "character); write the character itself"
        )
    name = unicodedata.name(char, "") or (
        "a noncharacter" if unicodedata.category(char) == "Cn" else "a control character"
    )
    return (
        f"contains U+{ord(char):04X} ({name}) at character {bad.start() + 1}: a name is "
        "one line of text, without control, line-break or text-direction characters; "
        "write it on one line with plain spaces"
    )


PROVINCE_CODES = range(1, 97)
_CENTURY_DIGITS: dict[int, tuple[int, Sex]] = {
    0: (1900, "male"),
    1: (1900, "female"),
    2: (2000, "male"),
    3: (2000, "female"),
}


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


@dataclass(frozen=True, slots=True)
class PersonalId:
    """A well-formed ``personal_id`` and what its digits say."""

    value: str
    province: int
    sex: Sex
    birth_year: int
    serial: str

    def __str__(self) -> str:
        return self.value

    def matches(self, *, birthdate: dt.date | None = None, sex: Sex | None = None) -> bool:
        """Whether the digits agree with a birth date and sex (§1)."""
        if birthdate is not None and birthdate.year != self.birth_year:
            return False
        return sex is None or sex == self.sex


def parse_personal_id(text: object, *, clause: str = "R-11") -> PersonalId:
    """Validate ``text`` per §1, or raise :class:`IdentifierError` saying which rule failed."""
    if not isinstance(text, str):
        raise IdentifierError(
            f"personal_id must be a string of 12 digits, got {type(text).__name__}",
            clause=clause,
        )
    if len(text) != 12 or not _is_ascii_digits(text):
        shown = text if len(text) <= 32 else text[:32] + "…"
        raise IdentifierError(
            f"personal_id must be exactly 12 ASCII digits, got {shown!r}", clause=clause
        )
    province = int(text[:3])
    if province not in PROVINCE_CODES:
        raise IdentifierError(
            f"personal_id province code {text[:3]} is outside 001-096", clause=clause
        )
    century_digit = int(text[3])
    if century_digit not in _CENTURY_DIGITS:
        raise IdentifierError(
            f"personal_id century/sex digit {century_digit} must be 0-3", clause=clause
        )
    century, sex = _CENTURY_DIGITS[century_digit]
    return PersonalId(text, province, sex, century + int(text[4:6]), text[6:])


def generate_personal_id(
    rng: random.Random, *, birthdate: dt.date, sex: Sex, province: int | None = None
) -> str:
    """A synthetic ``personal_id`` consistent with ``birthdate`` and ``sex``.

    Only birth years 1900–2099 have a century digit in §1.
    """
    if not 1900 <= birthdate.year <= 2099:
        raise IdentifierError(
            f"birth year {birthdate.year} has no century digit in §1 (1900-2099 only)",
            clause="P-1",
        )
    if province is None:
        province = rng.randint(PROVINCE_CODES.start, PROVINCE_CODES.stop - 1)
    elif province not in PROVINCE_CODES:
        raise IdentifierError(f"province {province} is outside 001-096", clause="P-1")
    digit = (0 if birthdate.year < 2000 else 2) + (1 if sex == "female" else 0)
    serial = f"{rng.randrange(1_000_000):06d}"
    return f"{province:03d}{digit}{birthdate.year % 100:02d}{serial}"


def is_vschar(text: str) -> bool:
    """Whether ``text`` is printable ASCII, RFC 6749 Appendix A's ``VSCHAR`` (``%x20-7E``):
    what a client id and a client secret are made of (A.1, A.2)."""
    return all(" " <= ch <= "~" for ch in text)


def is_valid_bhxh_code(text: object) -> bool:
    """Whether ``text`` is a 10-digit social-insurance number (§1)."""
    return isinstance(text, str) and len(text) == 10 and _is_ascii_digits(text)


def generate_bhxh_code(rng: random.Random) -> str:
    """A synthetic 10-digit ``bhxh_code``."""
    return f"{rng.randrange(10**10):010d}"
