"""Writing a report file atomically: the whole new text or the old file, never half of one."""

from __future__ import annotations

from pathlib import Path

from reports.errors import ReportError

__all__ = ["write_atomic"]


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file renamed over it (removed if that
    fails); a :class:`ReportError` naming ``path`` and why it cannot be written (a folder in
    its place, a full disk, no permission)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        blocker = " (a folder is in its place: remove it)" if path.is_dir() else ""
        raise ReportError(f"cannot write {path}: {reason}{blocker}") from None
    return path
