"""reports.diagram: the SVG is valid XML, escapes every label, shows the lifelines and each
hop, stays readable for long flows, gives each of a test's phones lifelines of its own; the
Mermaid text says the same."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from harness.protocol import ManualClock
from harness.trace import AppSwitched, Event, LinkOpened, ScreenShown, StoreOpened, Trace
from reports.allure_steps import laned_events, phone_lanes
from reports.diagram import (
    MAX_LABEL,
    MAX_ROWS,
    Message,
    Note,
    flow_rows,
    sequence_mermaid,
    sequence_svg,
)
from reports.evidence import evidence_of
from tests.reports.events import http, login_trace

SVG = "{http://www.w3.org/2000/svg}"
BASE = ["VssID app", "OS", "VNeID app", "VNeID server", "VssID backend"]


def _texts(svg: str) -> list[str]:
    """The visible text of each ``<text>`` (a clipped label keeps its full text in a
    ``<title>`` child, the tooltip)."""
    out = []
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        tip = element.find(f"{SVG}title")
        out.append((tip.tail if tip is not None else element.text) or "")
    return out


def _heads(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "head-text"]


def test_a_login_is_a_valid_svg_with_the_five_lifelines_in_order() -> None:
    svg = sequence_svg(login_trace(), title="test_login[ios]")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert _heads(svg) == ["VssID app", "OS", "Store", "VNeID app", "VNeID server", "VssID backend"]
    texts = _texts(svg)
    assert "test_login[ios]" in texts
    assert "POST /api/v1/auth/vneid/start" in texts
    assert "200" in texts
    assert "400 state_mismatch" in texts, "an answer shows the §8 error code"
    assert "open vneid://authorize?…" in texts
    assert "deliver (custom)" in texts
    assert "vssid-login" in texts, "screens are notes"
    assert "listing of VNeID app (ios)" in texts
    lines = [e for e in root.iter(f"{SVG}line") if e.get("class") in ("msg", "answer")]
    assert len(lines) == 2 * 3 + 2 * 2 + 1, "3 exchanges (2 arrows), 2 links (2), 1 store"


def test_the_same_events_give_the_same_bytes() -> None:
    assert sequence_svg(login_trace()) == sequence_svg(login_trace())
    assert sequence_mermaid(login_trace()) == sequence_mermaid(login_trace())


def test_secrets_stay_redacted_in_the_picture() -> None:
    svg = sequence_svg(login_trace()) + sequence_mermaid(login_trace())
    for secret in ("C0DE-SECRET-0001", "482915", "SESSION-SECRET-0001"):
        assert secret not in svg


def test_every_label_is_escaped() -> None:
    hostile = "<script>alert(\"x\")</script> & 'q' \x00\x1b"
    events = [
        ScreenShown(app="vssid", screen_id=hostile),
        http(url=f"http://api.vssid.test/{hostile}"),
        LinkOpened(source="vssid", url=f"vneid://{hostile}?a=1", target=None, form="custom"),
    ]
    svg = sequence_svg(events, title=hostile)
    root = ET.fromstring(svg)  # would raise on a raw "<", "&" or a control character
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert root.find(f"{SVG}script") is None
    assert any("<script>" in t for t in _texts(svg)), "escaped, not dropped"


def test_a_screen_reader_gets_the_whole_flow_as_text() -> None:
    """``role="img"`` hides the labels from assistive technology: the ``<title>`` names the
    diagram and the ``<desc>`` says each row in order, labels whole (WCAG 1.1.1)."""
    path = "/api/v1/" + "x" * 200
    svg = sequence_svg(
        [*login_trace(), http(url=f"http://api.vssid.test{path}")], title="t.py::test_login"
    )
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "t.py::test_login"
    desc = root.findtext(f"{SVG}desc") or ""
    assert desc.startswith("Sequence diagram, 16 rows. 1. note on OS: user switches to VssID app;")
    assert (
        "3. message VssID app → VssID backend: POST /api/v1/auth/vneid/start; "
        "4. answer VssID backend → VssID app: 200;" in desc
    )
    assert "12. answer VssID backend → VssID app: 400 state_mismatch;" in desc
    assert (
        "13. note on VssID app: app-error; 14. message OS → Store: listing of VNeID app "
        "(ios);" in desc
    )
    assert desc.endswith(
        f"15. message VssID app → VssID backend: POST {path}; "
        "16. answer VssID backend → VssID app: 200"
    )
    assert "C0DE-SECRET-0001" not in desc
    assert (
        ET.fromstring(sequence_svg([])).findtext(f"{SVG}desc")
        == "Sequence diagram, nothing recorded."
    )


def test_long_flows_grow_and_long_labels_end_in_an_ellipsis() -> None:
    short = sequence_svg([http()])
    path = "/api/v1/" + "x" * 200
    events = [http(url=f"http://api.vssid.test{path}") for _ in range(45)]
    svg = sequence_svg(events)
    heights = [int(ET.fromstring(s).get("height", "0")) for s in (short, svg)]
    assert heights[1] > heights[0] + 44 * 2 * 25, "each exchange adds two rows"
    labels = [t for t in _texts(svg) if t.startswith("POST ")]
    assert len(labels) == 45
    assert all(len(t) <= MAX_LABEL and t.endswith("…") for t in labels)
    tips = [e.text for e in ET.fromstring(svg).iter(f"{SVG}title")]
    assert f"POST {path}" in tips, "the full label is kept as a tooltip"


def test_a_flow_of_thousands_of_rows_draws_its_start_and_end_and_says_what_it_leaves_out() -> None:
    """A test of hundreds of logins: the diagram stays a picture a browser draws (its first
    and last rows, the end where a failure is), and says which rows it does not draw; the
    test's steps keep every exchange."""
    events = [http(url=f"http://api.vssid.test/api/v1/n/{i}") for i in range(2_000)]
    svg = sequence_svg(events, title="t.py::test_many")
    root = ET.fromstring(svg)
    assert len(svg) < 150_000, f"{len(svg):,} bytes"
    assert int(root.get("height", "0")) < (MAX_ROWS + 10) * 30
    texts = _texts(svg)
    half = MAX_ROWS // 4  # rows are 2 an exchange: half the rows are MAX_ROWS // 4 exchanges
    assert "POST /api/v1/n/0" in texts
    assert f"POST /api/v1/n/{half - 1}" in texts
    assert f"POST /api/v1/n/{half}" not in texts
    assert "POST /api/v1/n/1999" in texts
    assert f"POST /api/v1/n/{2_000 - half}" in texts
    first, last = MAX_ROWS // 2 + 1, 4_000 - MAX_ROWS // 2
    gap = f"… {4_000 - MAX_ROWS:,} rows not drawn (rows {first}–{last:,}); "
    assert any(t.startswith(gap) for t in texts), "the picture says what it leaves out"
    desc = root.findtext(f"{SVG}desc") or ""
    assert desc.startswith("Sequence diagram, 4000 rows. ")
    assert gap in desc
    assert desc.endswith("4000. answer VssID backend → VssID app: 200")
    mermaid = sequence_mermaid(events)
    assert len(mermaid.splitlines()) < MAX_ROWS + 20
    assert f"Note over p_vssid,p_vssid_backend: … {4_000 - MAX_ROWS:,} rows not drawn" in mermaid
    assert sequence_svg(events[: MAX_ROWS // 2]).count("rows not drawn") == 0, "no cut below"


def test_other_parties_get_a_lifeline_only_when_present() -> None:
    events = [
        LinkOpened(
            source="vneid",
            url="vssid://auth/vneid/callback?code=x",
            target="hijacker",
            form="custom",
        ),
        http("harness-rp", "vneid-server", url="http://id.vneid.test/token"),
        LinkOpened(source="vssid", url="http://example.test/", target="browser", form="http"),
        StoreOpened(app_id="vneid", platform="android", url=None),
    ]
    heads = _heads(sequence_svg(events))
    assert heads == [
        "Harness RP",
        "Hijacking app",
        "VssID app",
        "OS",
        "Store",
        "Browser",
        "VNeID app",
        "VNeID server",
        "VssID backend",
    ]
    assert _heads(sequence_svg([])) == BASE
    assert _heads(sequence_svg([http("scanner", "vneid-server")]))[-1] == "scanner"


def test_a_link_no_app_took_says_why() -> None:
    """A custom scheme nobody claims, or an https link opened app-only (A-3) that no app is
    verified for: the note names which."""
    rows = flow_rows(
        [
            LinkOpened(
                source="vssid", url="https://vneid.test/authorize?x=1", target=None, form="https"
            ),
            LinkOpened(source="vssid", url="vneid://authorize?x=1", target=None, form="custom"),
        ]
    )
    assert [r for r in rows if isinstance(r, Note)] == [
        Note("os", "no app verified for vneid.test"),
        Note("os", "no app claims vneid://"),
    ]


def test_rows_follow_the_events() -> None:
    rows = flow_rows(
        [
            LinkOpened(source="vssid", url="vneid://authorize?x=1", target=None, form="custom"),
            AppSwitched(from_app="vssid", to_app="vneid", reason="link"),
            AppSwitched(from_app="vneid", to_app="vssid", reason="user"),
            http(status=426, response_body={"error": "app_update_required"}),
        ]
    )
    assert rows == [
        Message("vssid", "os", "open vneid://authorize?…"),
        Note("os", "no app claims vneid://"),
        Note("os", "user switches to VssID app"),
        Message("vssid", "vssid-backend", "POST /api/v1/auth/vneid/start"),
        Message("vssid-backend", "vssid", "426 app_update_required", dashed=True),
    ]


def test_mermaid_source() -> None:
    text = sequence_mermaid(
        [*login_trace(), ScreenShown(app="vssid", screen_id="a;b#c")], title="t"
    )
    lines = text.splitlines()
    assert lines[:3] == ["sequenceDiagram", "    title t", "    participant p_vssid as VssID app"]
    assert "    participant p_vssid_backend as VssID backend" in lines
    assert "    p_vssid->>p_vssid_backend: POST /api/v1/auth/vneid/start" in lines
    assert "    p_vssid_backend-->>p_vssid: 400 state_mismatch" in lines
    assert "    Note over p_vssid: vssid-login" in lines
    assert "    Note over p_vssid: a#59;b#35;c" in lines, "; and # are entity-coded"


def _two_phones() -> tuple[list[Event], list[str | None]]:
    """A login on each of two phones, and a relying party's call on no phone."""
    events: list[Event] = []
    lanes: list[str | None] = []
    for lane in ("phone 1", "phone 2"):
        for event in (
            ScreenShown(app="vssid", screen_id="vssid-login"),
            http(),
            LinkOpened(source="vssid", url="vneid://authorize?x=1", target="vneid", form="custom"),
        ):
            events.append(event)
            lanes.append(lane)
    events.append(http("harness-rp", "vneid-server", url="http://id.vneid.test/token"))
    lanes.append(None)
    return events, lanes


def test_each_phone_gets_lifelines_of_its_own_and_the_servers_stay_shared() -> None:
    events, lanes = _two_phones()
    svg = sequence_svg(events, lanes=lanes)
    assert _heads(svg) == [
        "Harness RP",
        "VssID app (phone 1)",
        "OS (phone 1)",
        "VNeID app (phone 1)",
        "VssID app (phone 2)",
        "OS (phone 2)",
        "VNeID app (phone 2)",
        "VNeID server",
        "VssID backend",
    ]
    rows = flow_rows(events, lanes)
    assert rows[1] == Message("vssid@phone 1", "vssid-backend", "POST /api/v1/auth/vneid/start")
    assert rows[5] == Note("vssid@phone 2", "vssid-login")
    assert rows[7] == Message("vssid-backend", "vssid@phone 2", "200", dashed=True)
    assert rows[-2] == Message("harness-rp", "vneid-server", "POST /token"), "no phone: no lane"
    mermaid = sequence_mermaid(events, lanes=lanes).splitlines()
    assert "    participant p_vssid_phone_2 as VssID app (phone 2)" in mermaid
    assert "    p_os_phone_1->>p_vneid_phone_1: deliver (custom)" in mermaid
    assert "    p_vssid_phone_2->>p_vssid_backend: POST /api/v1/auth/vneid/start" in mermaid


def test_no_lanes_draw_the_usual_diagram_and_a_lane_per_event_is_required() -> None:
    events, _ = _two_phones()
    assert sequence_svg(events, lanes=[None] * len(events)) == sequence_svg(events)
    assert _heads(sequence_svg(events))[1:4] == ["VssID app", "OS", "VNeID app"]
    with pytest.raises(ValueError, match="one per event"):
        sequence_svg(events, lanes=["phone 1"])


def test_phones_are_numbered_in_order_only_when_a_test_has_two() -> None:
    clock = ManualClock()
    first, rp, second = Trace(clock, phone=True), Trace(clock), Trace(clock, phone=True)
    assert phone_lanes([first, rp]) == [None, None], "one phone keeps the usual lifelines"
    assert phone_lanes([first, rp, second]) == ["phone 1", None, "phone 2"]
    second.record(ScreenShown(app="vssid", screen_id="two"))
    clock.advance(1)
    first.record(ScreenShown(app="vssid", screen_id="one"))
    rp.record(http("harness-rp", "vneid-server"))
    events, lanes = laned_events([first, rp, second])
    assert [getattr(e, "screen_id", "rp") for e in events] == ["two", "one", "rp"]
    assert lanes == ["phone 2", "phone 1", None]
    svg = evidence_of([first, rp, second], "t")
    assert svg is not None
    assert "VssID app (phone 2)" in _heads(svg["diagram_svg"])


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b_ = (channel(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_line_of_the_diagram_stands_out_from_the_page() -> None:
    """WCAG 1.4.11: the graphics a reader needs (lifelines, arrows, the boxes of parties and
    notes) at least 3:1 against the white page (an accessibility review measured the
    lifelines at 2.5:1 and the notes' borders at 2.2:1)."""
    import re

    style = re.search(r"<style>(.*?)</style>", sequence_svg(login_trace()), re.DOTALL)
    assert style is not None
    strokes = dict(re.findall(r"\.([a-z-]+)\{[^}]*?stroke:(#[0-9a-f]{6})", style.group(1)))
    assert {"life", "msg", "answer", "note", "head"} <= strokes.keys()
    weak = {
        name: round(_contrast(colour, "#ffffff"), 2)
        for name, colour in strokes.items()
        if name != "label" and _contrast(colour, "#ffffff") < 3
    }
    assert weak == {}
