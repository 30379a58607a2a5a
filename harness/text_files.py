"""Reading a user's text files (persona, profile, expected-failures and Appium capabilities
files): a regular file of a bounded size, UTF-8 with or without a byte-order mark. A FIFO
blocked the reader for ever, a device (``/dev/zero``, or a link to it) or a huge file by
mistake filled the memory."""

from __future__ import annotations

import stat
from pathlib import Path

__all__ = ["UnreadableFile", "read_text_file"]


class UnreadableFile(Exception):
    """Why a file cannot be read as text; the message completes "cannot read FILE: …"."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def read_text_file(path: Path, limit: int) -> str:
    """The text of ``path``, a regular file of at most ``limit`` bytes (UTF-8, a BOM as
    Windows editors save it allowed), or :class:`UnreadableFile` saying why not."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise UnreadableFile(
                "not a regular file (a folder, pipe or device); give the file's path"
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    if len(data) > limit:
        raise UnreadableFile(f"larger than {_size(limit)}; is this the right file?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not UTF-8 (byte {exc.start}); save it as UTF-8") from None
