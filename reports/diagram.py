"""Sequence diagrams of a recorded flow: SVG for Allure, Mermaid text for pasting elsewhere.

Input is the trace's event stream only (:mod:`harness.trace`, already redacted, S-5): each
:class:`~harness.trace.HttpExchange` becomes a request arrow and a dashed answer, each
:class:`~harness.trace.LinkOpened` an arrow to the OS and the OS's delivery, each
:class:`~harness.trace.StoreOpened` an arrow to the store, each
:class:`~harness.trace.ScreenShown` a note on the app's lifeline, and a user's own app switch
a note on the OS. Lifelines: VssID app, OS, VNeID app, VNeID server and VssID backend always,
plus the harness's relying party, a hijacking app, the store and the browser when they take
part. When a test has more than one phone, each phone's apps, OS, store and browser get
lifelines of their own (``VssID app (phone 2)``: the events' ``lanes``), and the servers
stay shared.

Why a small SVG writer of our own rather than the tools of TOOLCHAIN.md: PlantUML needs Java,
mermaid-cli a headless browser and beautiful-mermaid Node. Spawning any of them for each of
~1,500 tests would cost seconds per hundred tests and add a non-Python install that must work
offline; the diagrams we need are lifelines, arrows, labels and notes, which a few lines of
``xml.sax.saxutils``-escaped SVG draw deterministically (same events, same bytes) in well
under a millisecond. The Mermaid text is emitted too, for anyone who wants a richer rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from harness.protocol.text import clip
from harness.trace import (
    AppSwitched,
    Event,
    HarnessAction,
    HttpExchange,
    LinkOpened,
    ScreenShown,
    StoreOpened,
)

__all__ = [
    "LANE_SEP",
    "MAX_ROWS",
    "SERVERS",
    "Gap",
    "Message",
    "Note",
    "Row",
    "bounded",
    "describe",
    "flow_rows",
    "party_name",
    "sequence_mermaid",
    "sequence_svg",
    "short_url",
    "status_text",
]

OS = "os"
BASE_PARTIES = ("vssid", OS, "vneid", "vneid-server", "vssid-backend")
"""Lifelines every diagram shows, left to right."""
SERVERS = frozenset({"vneid-server", "vssid-backend"})
"""The parties every phone of a test talks to: one lifeline each, whatever the lanes."""
LANE_SEP = "@"
"""A phone-side party in a lane is ``<party>@<lane>`` (``vssid@phone 2``)."""
_ORDER = (
    "scenario",
    "harness-rp",
    "hijacker",
    "vssid",
    OS,
    "store",
    "browser",
    "vneid",
    "vneid-server",
    "vssid-backend",
)
_NAMES = {
    "vssid": "VssID app",
    OS: "OS",
    "vneid": "VNeID app",
    "vneid-server": "VNeID server",
    "vssid-backend": "VssID backend",
    "store": "Store",
    "browser": "Browser",
    "hijacker": "Hijacking app",
    "harness-rp": "Harness RP",
    "scenario": "Scenario",
}
MAX_LABEL = 72
"""Labels longer than this (characters) end in an ellipsis; the steps keep the full text."""
MAX_ROWS = 300
"""Rows a diagram draws at most: its first and last ``MAX_ROWS // 2``, with a band between
them saying how many it leaves out (the test's steps keep every one). A login is ~20 rows
and the harness's suites draw at most ~50; a test of hundreds of logins would otherwise draw
a picture hundreds of thousands of pixels tall (megabytes of SVG in each report that holds
it, more than a browser shows or a reader scrolls)."""

# layout, in pixels
_COL = 168
_MARGIN = 24
_HEAD = 34
_TOP = 56
_ROW = 30
_NOTE = 26
_CHAR = 6.6  # average width of an 11px sans-serif character


def party_name(party: str | None) -> str:
    """The display name of a trace party id (``vssid-backend`` → ``VssID backend``;
    ``vssid@phone 2`` → ``VssID app (phone 2)``)."""
    if party is None:
        return "nothing"
    base, sep, lane = party.partition(LANE_SEP)
    if sep and base in _NAMES:
        return f"{_NAMES[base]} ({lane})"
    return _NAMES.get(party, party)


def nobody_took(e: LinkOpened) -> str:
    """Why the OS handed a link to no app: nothing claims a custom scheme, or (an app that
    opens links app-only, A-3) no app is verified for an http(s) link's host."""
    try:
        parts = urlsplit(e.url)
    except ValueError:
        return "no app claims it"
    if e.form in ("http", "https"):
        return f"no app verified for {parts.hostname or parts.netloc}"
    return f"no app claims {parts.scheme}://"


def short_url(url: str) -> str:
    """``scheme://host/path`` with ``?…`` when there is a query (the full, redacted URL is
    in the step's attachment)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _clip(url, 48)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else parts.path
    return base + ("?…" if parts.query or parts.fragment else "")


@dataclass(frozen=True)
class Message:
    """An arrow from ``source`` to ``target`` (dashed: an answer)."""

    source: str
    target: str
    label: str
    dashed: bool = False


@dataclass(frozen=True)
class Note:
    """A note over ``party``'s lifeline."""

    party: str
    text: str


Row = Message | Note


@dataclass(frozen=True)
class Gap:
    """Where a diagram of more than :data:`MAX_ROWS` rows leaves ``skipped`` rows out, the
    first of them row number ``first`` (counted from 1)."""

    first: int
    skipped: int

    @property
    def text(self) -> str:
        last = self.first + self.skipped - 1
        return (
            f"… {self.skipped:,} rows not drawn (rows {self.first:,}–{last:,}); "
            "the test's steps list every one"
        )


def bounded(rows: list[Row], limit: int = MAX_ROWS) -> list[Row | Gap]:
    """``rows`` when there are at most ``limit``, else their first and last ``limit // 2``
    with a :class:`Gap` between (the start of the flow, and the end where a failure is)."""
    if len(rows) <= limit:
        return list(rows)
    head = limit // 2
    tail = limit - head
    skipped = len(rows) - head - tail
    return [*rows[:head], Gap(head + 1, skipped), *rows[len(rows) - tail :]]


def _link(e: LinkOpened) -> list[Row]:
    rows: list[Row] = [Message(e.source, OS, f"open {short_url(e.url)}")]
    if e.target is None:
        rows.append(Note(OS, nobody_took(e)))
    else:
        rows.append(Message(OS, e.target, f"deliver ({e.form})"))
    return rows


def _store(e: StoreOpened) -> list[Row]:
    return [Message(OS, "store", f"listing of {party_name(e.app_id)} ({e.platform})")]


def _http(e: HttpExchange) -> list[Row]:
    return [
        Message(e.actor, e.target, f"{e.method} {_path(e.url)}"),
        Message(e.target, e.actor, status_text(e), dashed=True),
    ]


def _screen(e: ScreenShown) -> list[Row]:
    return [Note(e.app, e.screen_id)]


def _switch(e: AppSwitched) -> list[Row]:
    if e.reason != "user":  # link and store switches are the arrows themselves
        return []
    return [Note(OS, f"user switches to {party_name(e.to_app)}")]


def _action(e: HarnessAction) -> list[Row]:
    return [Note(e.target, f"harness: {e.action}")]


_ROWS_OF: dict[type[Event], Callable[[Any], list[Row]]] = {
    LinkOpened: _link,
    StoreOpened: _store,
    HttpExchange: _http,
    ScreenShown: _screen,
    AppSwitched: _switch,
    HarnessAction: _action,
}


def status_text(e: HttpExchange) -> str:
    """``200``, or ``400 state_mismatch`` when the answer carries a §8 error code."""
    body = e.response_body
    error = body.get("error") if isinstance(body, dict) else None
    return f"{e.status} {error}" if isinstance(error, str) and error else str(e.status)


def _path(url: str) -> str:
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return _clip(url, 40)


def flow_rows(events: Iterable[Event], lanes: Iterable[str | None] | None = None) -> list[Row]:
    """The diagram's rows for ``events``, in order (unknown event types are skipped).

    ``lanes``, one per event: the phone each event happened on (``None``: none in
    particular). An event's phone-side parties move to that phone's lane; the
    :data:`SERVERS` stay shared."""
    events = list(events)
    lane_of = [None] * len(events) if lanes is None else list(lanes)
    if len(lane_of) != len(events):
        raise ValueError(f"{len(lane_of)} lanes for {len(events)} events: give one per event")
    rows: list[Row] = []
    for event, lane in zip(events, lane_of, strict=True):
        make = _ROWS_OF.get(type(event))
        if make is not None:
            made = make(event)
            rows.extend(made if lane is None else (_in_lane(row, lane) for row in made))
    return rows


def _laned(party: str, lane: str) -> str:
    return party if party in SERVERS else f"{party}{LANE_SEP}{lane}"


def _in_lane(row: Row, lane: str) -> Row:
    if isinstance(row, Message):
        return Message(_laned(row.source, lane), _laned(row.target, lane), row.label, row.dashed)
    return Note(_laned(row.party, lane), row.text)


def _parties(rows: list[Row | Gap]) -> list[str]:
    present: dict[str, None] = {}  # in order of appearance
    for row in rows:
        if isinstance(row, Gap):
            continue
        for name in (row.source, row.target) if isinstance(row, Message) else (row.party,):
            present.setdefault(name)
    lanes = dict.fromkeys(p.partition(LANE_SEP)[2] for p in present if LANE_SEP in p)
    if not lanes:
        seen = set(BASE_PARTIES) | set(present)
        return [p for p in _ORDER if p in seen] + [p for p in present if p not in _ORDER]
    # each phone's lifelines side by side (its base apps and OS always), the servers last
    phone_side = [p for p in _ORDER if p not in SERVERS]
    base = {p for p in BASE_PARTIES if p not in SERVERS}
    order = [p for p in phone_side if p in present]  # a party of no phone (the scenario)
    for lane in lanes:
        order += [_laned(p, lane) for p in phone_side if p in base or _laned(p, lane) in present]
    order += [p for p in _ORDER if p in SERVERS]
    return order + [p for p in present if p not in order]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else clip(text, max(limit - 1, 1)) + "…"


# -- SVG ------------------------------------------------------------------------------------
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """``text`` escaped for XML, with characters XML 1.0 cannot hold replaced by U+FFFD."""
    return escape(_NOT_XML.sub("\ufffd", text))


_STYLE = (
    "text{font-family:Helvetica,Arial,sans-serif;font-size:11px;fill:#1f2933}"
    ".head{fill:#e8f0fe;stroke:#3b5bdb}.head-text{font-size:12px;font-weight:bold}"
    ".life{stroke:#7b8794;stroke-dasharray:4 4}.msg{stroke:#1f2933;fill:none}"
    ".answer{stroke:#52606d;stroke-dasharray:5 3;fill:none}"
    ".note{fill:#fff8c5;stroke:#9a6700}.gap{fill:#f0f4f8;stroke:#7b8794;stroke-dasharray:6 3}"
    ".title{font-size:13px;font-weight:bold}"
    ".label{paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}"
)


def sequence_svg(
    events: Iterable[Event], *, title: str | None = None, lanes: Iterable[str | None] | None = None
) -> str:
    """An SVG sequence diagram of ``events`` (valid XML, every label escaped, labels over
    :data:`MAX_LABEL` characters or wider than their arrow cut with an ellipsis; the height
    grows with the number of events, up to :data:`MAX_ROWS` rows: see :func:`bounded`).
    ``lanes``: see :func:`flow_rows`."""
    rows = bounded(flow_rows(events, lanes))
    parties = _parties(rows)
    x_of = {p: _MARGIN + _COL // 2 + i * _COL for i, p in enumerate(parties)}
    width = _MARGIN * 2 + _COL * len(parties)
    top = _TOP + (22 if title else 0)
    heights = [_ROW if isinstance(r, Message) else _NOTE for r in rows]
    height = top + _HEAD + sum(heights) + 30
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f"<title>{_xml(title or 'Sequence diagram')}</title>",
        f"<desc>{_xml(describe(rows))}</desc>",
        f"<style>{_STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#1f2933"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(_text(_MARGIN, 28, _clip(title, int((width - 2 * _MARGIN) / 7)), "title"))
    bottom = height - 12
    for party, x in x_of.items():
        out.append(f'<line class="life" x1="{x}" y1="{top + _HEAD}" x2="{x}" y2="{bottom}"/>')
        out.append(
            f'<rect class="head" x="{x - _COL // 2 + 8}" y="{top}" '
            f'width="{_COL - 16}" height="{_HEAD - 6}" rx="4"/>'
        )
        out.append(_text(x, top + 19, _clip(party_name(party), 24), "head-text", "middle"))
    y = top + _HEAD
    for row, step in zip(rows, heights, strict=True):
        if isinstance(row, Message):
            out.extend(_arrow(row, x_of, y + step - 8))
        elif isinstance(row, Gap):
            out.extend(_gap(row, y + 3, step - 6, width))
        else:
            out.extend(_note(row, x_of[row.party], y + 3, step - 6, width))
        y += step
    out.append("</svg>")
    return "\n".join(out) + "\n"


def describe(rows: Iterable[Row | Gap]) -> str:
    """The diagram as one line of text, its rows numbered in order (the SVG's ``<desc>``:
    what a screen reader says of it; labels whole, not cut to fit an arrow; a :class:`Gap`
    says which rows it leaves out)."""
    parts: list[str] = []
    number = 0
    for row in rows:
        if isinstance(row, Gap):
            parts.append(row.text)
            number += row.skipped
            continue
        number += 1
        if isinstance(row, Message):
            kind = "answer" if row.dashed else "message"
            parts.append(
                f"{number}. {kind} {party_name(row.source)} → "
                f"{party_name(row.target)}: {' '.join(row.label.split())}"
            )
        else:
            parts.append(f"{number}. note on {party_name(row.party)}: {' '.join(row.text.split())}")
    return (
        f"Sequence diagram, {number} rows. " + "; ".join(parts)
        if parts
        else "Sequence diagram, nothing recorded."
    )


def _text(
    x: float,
    y: float,
    text: str,
    cls: str | None = None,
    anchor: str = "start",
    full: str | None = None,
) -> str:
    attrs = f' class="{cls}"' if cls else ""
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    tip = f"<title>{_xml(full)}</title>" if full and full != text else ""
    return f'<text x="{x:g}" y="{y:g}"{attrs}>{tip}{_xml(text)}</text>'


def _arrow(row: Message, x_of: dict[str, int], y: int) -> list[str]:
    x1, x2 = x_of[row.source], x_of[row.target]
    cls = "answer" if row.dashed else "msg"
    if x1 == x2:  # a party talking to itself: a small loop
        return [
            f'<path class="{cls}" d="M{x1},{y - 10} h30 v10 h-30" marker-end="url(#arrow)"/>',
            _text(x1 + 36, y - 2, _clip(row.label, MAX_LABEL), full=row.label),
        ]
    span = abs(x2 - x1) + _COL * 0.6  # a label may overhang its arrow a little
    limit = min(MAX_LABEL, int(span / _CHAR))
    label = _clip(row.label, limit)
    mid = (x1 + x2) / 2
    return [
        f'<line class="{cls}" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" marker-end="url(#arrow)"/>',
        _text(mid, y - 5, label, "label", "middle", full=row.label),
    ]


def _gap(row: Gap, y: int, h: int, page: int) -> list[str]:
    return [
        f'<rect class="gap" x="4" y="{y}" width="{page - 8}" height="{h}"/>',
        _text(page / 2, y + h / 2 + 4, row.text, anchor="middle"),
    ]


def _note(row: Note, x: int, y: int, h: int, page: int) -> list[str]:
    text = _clip(row.text, int((2 * _COL - 28) / _CHAR))
    width = max(_COL - 28, int(len(text) * _CHAR) + 16)
    left = max(4, min(x - width // 2, page - width - 4))  # stay on the page
    return [
        f'<rect class="note" x="{left}" y="{y}" width="{width}" height="{h}" rx="2"/>',
        _text(left + width / 2, y + h / 2 + 4, text, anchor="middle", full=row.text),
    ]


# -- Mermaid ----------------------------------------------------------------------------------
_MERMAID_ID = re.compile(r"[^A-Za-z0-9_]")


def _mermaid_id(party: str) -> str:
    return "p_" + _MERMAID_ID.sub("_", party)


def _mermaid_text(text: str) -> str:
    """Mermaid breaks on ``;``, ``#`` and newlines in a message: entity-code them."""
    return _MERMAID_SPECIAL.sub(lambda m: f"#{ord(m.group())};", _clip(text, 200))


_MERMAID_SPECIAL = re.compile(r"[#;]")


def sequence_mermaid(
    events: Iterable[Event], *, title: str | None = None, lanes: Iterable[str | None] | None = None
) -> str:
    """The same diagram as Mermaid ``sequenceDiagram`` source (the same rows:
    :func:`bounded`)."""
    rows = bounded(flow_rows(events, lanes))
    lines = ["sequenceDiagram"]
    if title:
        lines.append(f"    title {_mermaid_text(title)}")
    parties = _parties(rows)
    for party in parties:
        lines.append(f"    participant {_mermaid_id(party)} as {_mermaid_text(party_name(party))}")
    for row in rows:
        if isinstance(row, Gap):
            over = ",".join(_mermaid_id(p) for p in dict.fromkeys((parties[0], parties[-1])))
            lines.append(f"    Note over {over}: {_mermaid_text(row.text)}")
        elif isinstance(row, Message):
            arrow = "-->>" if row.dashed else "->>"
            lines.append(
                f"    {_mermaid_id(row.source)}{arrow}{_mermaid_id(row.target)}: "
                f"{_mermaid_text(row.label)}"
            )
        else:
            lines.append(f"    Note over {_mermaid_id(row.party)}: {_mermaid_text(row.text)}")
    return "\n".join(lines) + "\n"
