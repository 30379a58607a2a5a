"""Shortening text for messages and reports without changing what it says."""

from __future__ import annotations

import unicodedata

__all__ = ["clip"]


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, never ending between a letter and its
    combining marks: a name written decomposed (NFD, as some keyboards and macOS file names
    give it) has "ị" as "i" + U+0323, and a cut between them turned "Nguyễn Thị" into
    "Nguyễn Thi", another name. The letter goes with its marks instead; a letter with more
    marks than ``limit`` (or text of marks alone) is cut where ``limit`` says, not dropped."""
    if len(text) <= limit:
        return text
    limit = end = max(limit, 0)
    while end > 0 and unicodedata.category(text[end]).startswith("M"):
        end -= 1  # text[end] is a mark the cut would separate: back to its letter
    return text[: end or limit]
