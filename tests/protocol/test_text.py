"""``clip``: shortening a message never separates a letter from its combining marks."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from harness.protocol.text import clip

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Đường")


def test_a_decomposed_name_is_cut_before_a_letter_not_between_it_and_its_marks() -> None:
    cut = len(unicodedata.normalize("NFD", "Nguyễn Thi"))  # just after the "i" of "Thị"
    assert clip(NFD_NAME, cut) == unicodedata.normalize("NFD", "Nguyễn Th")
    assert clip(NFD_NAME, len(NFD_NAME)) == NFD_NAME
    assert clip("Nguyễn Thị", 8) == "Nguyễn T"  # composed (NFC): a plain cut
    assert clip("x", 0) == ""
    # a letter with more marks than the limit, or marks alone: a hard cut, not nothing
    assert clip("a" + "\u0323" * 5, 3) == "a\u0323\u0323"
    assert clip("\u0323" * 5, 2) == "\u0323\u0323"


_TEXT = st.text(
    alphabet=st.sampled_from("aeiouđ \u0300\u0301\u0303\u0309\u0323\u0302\u031b"), max_size=40
)


@given(_TEXT, st.integers(min_value=0, max_value=45))
def test_clip_keeps_a_prefix_of_whole_letters(text: str, limit: int) -> None:
    shorter = clip(text, limit)
    assert text.startswith(shorter)
    assert len(shorter) <= limit
    if len(shorter) < min(limit, len(text)):  # backed off: to a letter and its marks
        assert not unicodedata.category(text[len(shorter)]).startswith("M")
        # only the letter being cut, and its marks, are dropped
        dropped = text[len(shorter) : limit]
        assert all(unicodedata.category(c).startswith("M") for c in dropped[1:])
