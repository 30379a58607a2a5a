"""An answer's body as a failure message shows it: one short line a person can read.

A vendor's server that answers a web page where JSON was due (a framework's 404, a proxy's
500) was quoted as raw markup cut at 300 characters: ``'<!DOCTYPE html>\\n<html lang="en">
<head><meta charset="utf-8">…'``, and the words that said what was wrong (``Cannot POST
/api/app/v1/sessions``) came after the cut. A page is shown by its title and the text a
browser would show (scripts and styles left out); JSON and other text with their lines
joined. Secrets are not this module's business: callers redact what it gives (S-5).
"""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

__all__ = ["body_text", "looks_like_html"]

_UNSEEN = frozenset({"script", "style", "head", "template", "noscript"})


class _VisibleText(HTMLParser):
    """The ``<title>`` and the text outside unseen elements, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.text: list[str] = []
        self._unseen = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _UNSEEN:
            self._unseen += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _UNSEEN and self._unseen:
            self._unseen -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._unseen:
            self.text.append(data)


def looks_like_html(response: httpx.Response) -> bool:
    """Whether the body is a web page: by its content type, or by how it starts."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return "html" in kind or response.text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


def body_text(response: httpx.Response, limit: int = 200) -> str:
    """``an HTML page titled 'Error': Cannot POST /x`` for a web page, the text itself (lines
    joined) otherwise, ``an empty body`` for none; at most ``limit`` characters of text."""
    if looks_like_html(response):
        page = _VisibleText()
        page.feed(response.text)
        page.close()
        title = " ".join("".join(page.title).split())
        text = " ".join(" ".join(page.text).split())
        if title and text.startswith(title):  # a heading that repeats the title
            text = text[len(title) :].lstrip(" :-")
        said = f"an HTML page{f' titled {_clip(title, 120)!r}' if title else ''}"
        return f"{said}: {_clip(text, limit)}" if text else said
    line = " ".join(response.text.split())
    return _clip(line, limit) if line else "an empty body"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
