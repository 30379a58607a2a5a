"""A tiny HTML reader for the rendering tests: elements by ``data-testid``, the body's
attributes, the screen-data blob and the visible text (stdlib ``html.parser``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

_VOID = {"input", "meta", "link", "br", "img", "hr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page:
    html_attrs: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    testids: dict[str, Node] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    blob: Any = None
    visible: str = ""
    meta: list[dict[str, str]] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[Node] = []
        self._label_for: str | None = None
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page.html_attrs = values
        if tag == "body":
            self.page.body = values
        if tag == "meta":
            self.page.meta.append(values)
        if tag == "label":
            self._label_for = values.get("for")
        node = Node(tag, values)
        if "data-testid" in values:
            self.page.testids[values["data-testid"]] = node
        if tag not in _VOID:
            self._open.append(node)
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_for = None
        if self._in and self._in[-1] == tag:
            self._in.pop()
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if "script" in self._in:
            self.page.scripts.append(data)
            node = self._open[-1]
            if node.attrs.get("id") == "screen-data":
                self.page.blob = json.loads(data)
            return
        if "style" in self._in or "title" in self._in:
            return
        self.page.visible += data
        if self._label_for:
            self.page.labels[self._label_for] = self.page.labels.get(self._label_for, "") + data
        for node in self._open:
            node.text += data


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    page = reader.page
    page.visible = " ".join(page.visible.split())
    for node in page.testids.values():
        node.text = " ".join(node.text.split())
    return page
