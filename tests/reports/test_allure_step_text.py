"""reports.allure_steps without Allure running: step titles, step parameters, the HTTP and
deep-link attachments, tags and the persona parameter."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser

from harness.personas import Persona
from harness.protocol import ManualClock
from harness.protocol.redaction import REDACTED
from harness.trace import AppSwitched, LinkOpened, ScreenShown, StoreOpened, Trace
from reports.allure_steps import (
    deep_link_html,
    device_tags,
    http_exchange_json,
    masked_personal_id,
    merged_events,
    persona_label,
    step_parameters,
    step_title,
)
from tests.reports.events import CALLBACK, http, login_trace


def test_step_titles() -> None:
    titles = [step_title(e) for e in login_trace()]
    assert titles == [
        "foreground: launcher → VssID app (user)",
        "screen vssid:vssid-login",
        "VssID app → VssID backend: POST /api/v1/auth/vneid/start → 200",
        "VssID app opens vneid://authorize?… → VNeID app",
        "VNeID app → VNeID server: POST /api/app/v1/sessions → 200",
        "VNeID app opens vssid://auth/vneid/callback?… → VssID app",
        "VssID app → VssID backend: POST /api/v1/auth/vneid/complete → 400 state_mismatch",
        "screen vssid:app-error",
        "OS opens the store listing of VNeID app (ios)",
    ]
    nowhere = LinkOpened(source="vssid", url="vneid://authorize", target=None, form="custom")
    assert step_title(nowhere) == (
        "VssID app opens vneid://authorize → nothing (no app claims vneid://)"
    )
    app_only = LinkOpened(
        source="vssid", url="https://vneid.test/authorize?x=1", target=None, form="https"
    )
    assert step_title(app_only) == (
        "VssID app opens https://vneid.test/authorize?… → nothing (no app verified for vneid.test)"
    )
    assert (
        step_title(AppSwitched(from_app="vneid", to_app=None, reason="user"))
        == "foreground: VNeID app → launcher (user)"
    )


def test_step_parameters() -> None:
    trace = login_trace()
    by_type = {type(e).__name__: step_parameters(e) for e in trace}
    assert by_type["HttpExchange"] == {"duration": "1.5 ms"}
    assert by_type["ScreenShown"] == {"texts": "state_mismatch"}
    assert by_type["StoreOpened"] == {"url": "https://apps.apple.com/x"}
    link = trace.of_type(LinkOpened)[1]
    assert step_parameters(link) == {"form": "custom", "url": link.url}
    assert f"code={REDACTED}" in link.url
    assert step_parameters(AppSwitched(from_app=None, to_app="vssid", reason="user")) == {}
    long = ScreenShown(app="x", screen_id="y", texts=("a" * 500,))
    assert len(step_parameters(long)["texts"]) == 300


def test_http_exchange_attachment_is_the_redacted_exchange() -> None:
    trace = Trace(ManualClock())
    exchange = trace.record(
        http(
            "harness-rp",
            "vneid-server",
            url="http://id.vneid.test/token?x=1",
            request_headers={
                "Authorization": "Basic aGFybmVzczpzM2NyZXQ=",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            request_body="grant_type=authorization_code&code=C0DE&code_verifier=V3R1F13R",
            response_body={
                "access_token": "AT-SECRET",
                "id_token": "eyJ.x.y",
                "token_type": "Bearer",
            },
            response_headers={"content-type": "application/json", "set-cookie": "sid=S3SS"},
        )
    )
    text = http_exchange_json(exchange)
    data = json.loads(text)
    assert data["from"] == "Harness RP"
    assert data["to"] == "VNeID server"
    assert data["request"]["method"] == "POST"
    assert data["request"]["url"] == "http://id.vneid.test/token?x=1"
    assert data["request"]["headers"]["Authorization"] == f"Basic {REDACTED}"
    assert "grant_type=authorization_code" in data["request"]["body"]
    assert data["response"]["status"] == 200
    assert data["response"]["body"]["access_token"] == REDACTED
    assert data["response"]["body"]["token_type"] == "Bearer"
    assert data["response"]["headers"]["content-type"] == "application/json"
    assert data["response"]["headers"]["set-cookie"] == REDACTED
    assert data["duration_ms"] == 1.5
    for secret in ("C0DE", "V3R1F13R", "AT-SECRET", "eyJ.x.y", "S3SS", "aGFybmVzczpzM2NyZXQ="):
        assert secret not in text


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1] in ("th", "td") and self.rows:
            self.rows[-1].append(data)


def test_deep_link_attachment_is_a_table_of_the_link() -> None:
    trace = Trace(ManualClock())
    link = trace.record(LinkOpened(source="vneid", url=CALLBACK, target="vssid", form="custom"))
    page = deep_link_html(link)
    parser = _Table()
    parser.feed(page)
    rows = {row[0]: (row[1] if len(row) > 1 else "") for row in parser.rows}
    assert rows["opened by"] == "VNeID app"
    assert rows["delivered to"] == "VssID app"
    assert rows["scheme"] == "vssid"
    assert rows["host"] == "auth"
    assert rows["path"] == "/vneid/callback"
    assert rows["query: code"] == REDACTED
    assert rows["query: state"] == "s1"
    assert rows["query: iss"] == "http://id"
    assert "C0DE-SECRET-0001" not in page
    assert "script" not in parser.tags


def test_deep_link_attachment_is_in_english_with_row_headers() -> None:
    """Allure shows the page in a frame of its own: without ``lang`` a screen reader reads it
    in the user's default language (WCAG 3.1.1); each name is the header of its row."""
    link = LinkOpened(source="vneid", url=CALLBACK, target="vssid", form="custom")
    page = deep_link_html(link)
    assert page.startswith('<!DOCTYPE html><html lang="en">')
    assert page.count("<th") == page.count('<th scope="row">') == page.count("<tr>")


def test_deep_link_attachment_escapes_the_link() -> None:
    link = LinkOpened(
        source="vssid", url='vneid://a?x=<b>"&y=</td><script>', target=None, form="custom"
    )
    page = deep_link_html(link)
    parser = _Table()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "&lt;script&gt;" in page
    rows = {row[0]: row[1:] for row in parser.rows}
    assert rows["delivered to"] == ["nothing: no app claims vneid://"]
    assert rows["query: y"] == ["</td><script>"]


def test_device_tags_and_persona() -> None:
    assert device_tags("ios", "sim", "1.6.7", "2.1.0") == [
        "ios",
        "driver:sim",
        "vssid 1.6.7",
        "vneid 2.1.0",
    ]
    assert device_tags("android", "sim", None, "2.0.9") == [
        "android",
        "driver:sim",
        "vssid not installed",
        "vneid 2.0.9",
    ]
    assert masked_personal_id("079203000012") == "079*******12"
    assert masked_personal_id("123") == "***"
    citizen = Persona(
        personal_id="079203000012",
        full_name="Nguyễn Văn An",
        birthdate=dt.date(2003, 1, 2),
        gender="male",
        passcode="482915",
    )
    label = persona_label(citizen)
    assert label == "Nguyễn Văn An (079*******12)"
    assert "482915" not in label


def test_merged_events_interleave_traces_by_time() -> None:
    clock = ManualClock()
    phone, rp = Trace(clock), Trace(clock)
    phone.record(ScreenShown(app="vssid", screen_id="one"))
    clock.advance(1)
    rp.record(StoreOpened(app_id="vneid", platform="ios", url=None))
    clock.advance(1)
    phone.record(ScreenShown(app="vssid", screen_id="three"))
    merged = merged_events([phone, rp])
    assert [type(e).__name__ for e in merged] == ["ScreenShown", "StoreOpened", "ScreenShown"]
    assert [e.at for e in merged] == sorted(e.at for e in merged)
