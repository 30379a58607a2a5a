"""The Allure results a scenario run writes (pytest in a subprocess with --alluredir): one
step per hop with its attachments, the sequence diagram, tags, parameters, clause links, the
failure message with its clauses, and nothing of it without --alluredir."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.plugin_options import ALLURE_PLUGIN, OPT_PROTOCOL_URL
from reports.allure_steps import (
    DIAGRAM_ATTACHMENT,
    HTTP_ATTACHMENT,
    LINK_ATTACHMENT,
    MERMAID_ATTACHMENT,
    OFF_THREAD_STEP,
)
from tests.reports.allure_run import AllureRun, run_pytest, walk_steps

SCENARIOS = '''
    """Theme of these scenarios.

    More words."""
    import threading

    import allure
    import pytest

    from harness.flows import login_with_vneid
    from harness.pytest_plugin import item_traces
    from harness.rp import RP_SCHEME
    from harness.trace import ScreenShown
    from scenarios.support import authorize_on_phone

    @pytest.fixture
    def phone(device):
        dev = device("android", vssid="1.6.8")
        dev.driver.open_app("vssid")  # recorded while the fixture is set up
        return dev

    @pytest.mark.clause("A-1", "A-6")
    def test_login(phone, persona, request):
        with allure.step("the user logs in"):
            screen = login_with_vneid(phone.driver, persona)
        assert screen.id == "vssid-home"
        assert item_traces(request.node) == [phone.trace]

    @pytest.mark.clause("T-1")
    def test_token(device, rp, persona, request):
        phone = device("ios", vneid="2.1.3")
        phone.install_receiver(RP_SCHEME)
        login = rp.login()
        authorize_on_phone(phone, rp, persona, login.link)
        code = rp.code_from(phone.last_link_to(f"{RP_SCHEME}://"))
        assert rp.redeem(code, login.code_verifier).status == 200
        assert item_traces(request.node) == [rp.trace, phone.trace]

    @pytest.mark.clause("R-1", "R-3")
    def test_fails(device, persona):
        phone = device("ios")
        screen = login_with_vneid(phone.driver, persona)
        assert screen.id == "app-error", f"expected the error screen, observed {screen.id}"

    def test_off_thread(device):
        phone = device("ios", vssid=None)
        record = lambda: phone.trace.record(ScreenShown(app="vneid", screen_id="elsewhere"))
        worker = threading.Thread(target=record)
        worker.start()
        worker.join()

    @pytest.mark.clause("R-3", "R-1")
    def test_no_phone(request):
        assert item_traces(request.node) == []

    def test_two_phones(device, persona):
        for phone in (device("ios"), device("android")):
            assert login_with_vneid(phone.driver, persona).id == "vssid-home"

    @pytest.mark.parametrize("payload", [b"[1, 2]", b"null"])
    def test_bytes(payload):
        pass

    @pytest.mark.parametrize("text", ["id_token_invalid", "urn:vneid:loa:1 urn:vneid:loa:2",
                                      "", "approve ", "None", "121", "a\tb"])
    def test_texts(text):
        pass

    def test_who_logged_in(device, personas):
        personas.new(full_name="Lê Văn Đứng Ngoài")
        chosen = personas.new(full_name="Trần Thị Đăng Nhập")
        assert login_with_vneid(device("ios").driver, chosen).id == "vssid-home"

    def test_nobody_logged_in(device, personas):
        personas.new(full_name="Lê Văn Đứng Ngoài")
        device("android", vssid="1.6.6").driver.open_app("vssid")

    def test_own_backend(adopt_trace):
        from scenarios.scripted_issuer import ScriptedWorld

        world = ScriptedWorld()
        adopt_trace(world.trace)
        try:
            world.start()
        finally:
            world.close()
'''


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> AllureRun:
    path = tmp_path_factory.mktemp("allure-results-run")
    (path / "test_theme.py").write_text(textwrap.dedent(SCENARIOS), encoding="utf-8")
    done = run_pytest(
        path, OPT_PROTOCOL_URL, "https://docs.example.test/PROTOCOL.md", "--junitxml", "junit.xml"
    )
    assert "1 failed, 17 passed" in done.output, done.output[-3000:]
    return done


def _titles(steps: list[dict[str, Any]]) -> list[str]:
    return [s["name"] for s in walk_steps(steps)]


def _labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def _attachments(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["name"], a["type"]) for a in result.get("attachments", [])]


def test_one_step_per_hop_inside_the_tests_own_step(run: AllureRun) -> None:
    result = run.result("test_login")
    [own] = result["steps"]
    assert own["name"] == "the user logs in"
    hops = [s["name"] for s in own["steps"]]
    assert hops == [
        "VssID app → VssID backend: POST /api/v1/auth/vneid/start → 200",
        "VssID app opens vneid://authorize?… → VNeID app",
        "foreground: VssID app → VNeID app (link)",
        "screen vneid:vneid-login",
        "VNeID app → VNeID server: POST /api/app/v1/sessions → 200",
        "screen vneid:vneid-consent",
        "VNeID app → VNeID server: POST /api/app/v1/authorizations → 200",
        "screen vneid:vneid-home",
        "VNeID app opens vssid://auth/vneid/callback?… → VssID app",
        "foreground: VNeID app → VssID app (link)",
        "VssID app → VssID backend: POST /api/v1/auth/vneid/complete → 200",
        "VssID app → VssID backend: GET /api/v1/me → 200",
        "screen vssid:vssid-home",
    ]
    assert all(s["status"] == "passed" and s["start"] <= s["stop"] for s in own["steps"])


def test_hops_recorded_during_set_up_are_steps_of_the_fixture(run: AllureRun) -> None:
    fixture = run.befores(run.result("test_login"))["phone"]
    assert _titles(fixture["steps"]) == [
        "foreground: launcher → VssID app (user)",
        "screen vssid:vssid-login",
    ]


def test_http_and_link_steps_carry_their_evidence(run: AllureRun) -> None:
    steps = walk_steps(run.result("test_login")["steps"])
    http = [s for s in steps if ": POST " in s["name"] or ": GET " in s["name"]]
    links = [s for s in steps if " opens " in s["name"]]
    assert len(http) == 5
    assert len(links) == 2
    for step in http:
        assert _attachments(step) == [(HTTP_ATTACHMENT, "application/json")]
        assert step["parameters"][0]["name"] == "duration"
        exchange = json.loads(run.attachment(step["attachments"][0]))
        assert set(exchange) >= {"from", "to", "request", "response"}
        assert set(exchange["request"]) == {"method", "url", "headers", "body"}
        assert set(exchange["response"]) == {"status", "headers", "body"}
        assert exchange["response"]["status"] == 200
    [sessions] = [s for s in http if "/sessions" in s["name"]]
    body = json.loads(run.attachment(sessions["attachments"][0]))
    assert body["request"]["body"]["passcode"] == "[REDACTED]"
    assert body["response"]["body"]["session_token"] == "[REDACTED]"
    for step in links:
        assert _attachments(step) == [(LINK_ATTACHMENT, "text/html")]
        page = run.attachment(step["attachments"][0])
        assert "<table>" in page
        assert '<th scope="row">scheme</th>' in page
    callback = run.attachment(links[1]["attachments"][0])
    assert '<th scope="row">query: code</th><td>[REDACTED]</td>' in callback
    assert '<th scope="row">query: state</th>' in callback


def test_the_diagram_is_attached_to_the_test(run: AllureRun) -> None:
    result = run.result("test_login")
    assert _attachments(result) == [
        (DIAGRAM_ATTACHMENT, "image/svg+xml"),
        (MERMAID_ATTACHMENT, "text/plain"),
    ]
    svg = ET.fromstring(run.attachment(result["attachments"][0]))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"VssID app", "OS", "VNeID app", "VNeID server", "VssID backend"} <= texts
    assert "vssid-login" in texts, "the set-up's hops are in the diagram too"
    assert "GET /api/v1/me" in texts
    mermaid = run.attachment(result["attachments"][1])
    assert mermaid.startswith("sequenceDiagram\n")
    assert "p_vssid->>p_vssid_backend: GET /api/v1/me" in mermaid


def test_two_phones_in_one_test_get_lifelines_of_their_own(run: AllureRun) -> None:
    result = run.result("test_two_phones")
    svg = ET.fromstring(run.attachment(result["attachments"][0]))
    heads = [
        t.text
        for t in svg.iter("{http://www.w3.org/2000/svg}text")
        if t.get("class") == "head-text"
    ]
    assert heads == [
        "VssID app (phone 1)",
        "OS (phone 1)",
        "VNeID app (phone 1)",
        "VssID app (phone 2)",
        "OS (phone 2)",
        "VNeID app (phone 2)",
        "VNeID server",
        "VssID backend",
    ]
    mermaid = run.attachment(result["attachments"][1])
    for phone in ("p_vssid_phone_1", "p_vssid_phone_2"):
        assert f"{phone}->>p_vssid_backend: GET /api/v1/me" in mermaid


def test_the_relying_partys_calls_are_steps_too(run: AllureRun) -> None:
    result = run.result("test_token")
    titles = _titles(result["steps"])
    assert titles[0] == "Harness RP opens vneid://authorize?… → VNeID app"
    assert "VNeID app opens harnessrp://callback?… → Harness RP" in titles
    assert titles[-1] == "Harness RP → VNeID server: POST /token → 200"
    svg = run.attachment(result["attachments"][0])
    assert ">Harness RP<" in svg


def test_tags_parameters_and_clause_links(run: AllureRun) -> None:
    login, token = run.result("test_login"), run.result("test_token")
    assert _labels(login, "tag") == ["android", "driver:sim", "vssid 1.6.8", "vneid 2.1.0"]
    assert _labels(token, "tag") == ["ios", "driver:sim", "vssid 1.6.7", "vneid 2.1.3"]
    params = {p["name"]: p for p in login["parameters"]}
    # as they read, not as Python reprs ('android', quoted, in a QA lead's read)
    assert params["platform"]["value"] == "android"
    assert params["VssID app"]["value"] == "1.6.8"
    assert params["VNeID app"]["value"] == "2.1.0"
    persona = params["persona"]["value"]
    assert "*******" in persona
    assert persona.endswith(")"), persona
    assert not persona.startswith("'"), persona
    assert all(p.get("excluded") for p in params.values()), "history ids stay stable"
    links = {link["name"].split(":")[0]: link for link in login["links"]}
    assert set(links) == {"A-1", "A-6"}
    # named by the clause's id and what it asks (clipped), not the id alone
    assert links["A-6"]["name"].startswith("A-6: The OS delivers redirect_to to VssID"), links
    assert (
        links["A-6"]["name"]
        == "A-6: The OS delivers redirect_to to VssID, whose backend completes the login and…"
    )
    assert (
        links["A-1"]["name"]
        == "A-1: VssID start creates a transaction with fresh state, nonce (>=128 bits) and…"
    )
    assert links["A-1"]["type"] == "link"
    assert (
        links["A-1"]["url"]
        == "https://docs.example.test/PROTOCOL.md#4-the-flow-a:~:text=A%2D1,-The"
    )
    assert _labels(login, "feature") == ["Theme of these scenarios."]
    assert sorted(_labels(login, "story")) == ["A-1", "A-6"]
    # one label with all of them, which the report's failure categories group by
    assert _labels(login, "clauses") == ["A-1, A-6"]


def test_the_persona_parameter_names_who_logged_in(run: AllureRun) -> None:
    """A QA team's test that logged nobody in showed every citizen of its persona file: the
    parameter names the citizens who logged in, else those registered, said so."""

    def persona(name: str) -> str:
        params = {p["name"]: p["value"] for p in run.result(name)["parameters"]}
        return str(params["persona"])

    assert "Trần Thị Đăng Nhập" in persona("test_who_logged_in")
    assert "Lê Văn Đứng Ngoài" not in persona("test_who_logged_in")
    assert "Lê Văn Đứng Ngoài" in persona("test_nobody_logged_in")
    assert persona("test_nobody_logged_in").endswith(" (registered; none logged in)")


def test_a_failure_names_its_clauses_and_what_was_observed(run: AllureRun) -> None:
    result = run.result("test_fails")
    assert result["status"] == "failed"
    message = result["statusDetails"]["message"]
    assert message.startswith(
        "Clause(s) R-1, R-3: AssertionError: expected the error screen, observed vssid-home"
    )
    assert "expected the error screen" in result["statusDetails"]["trace"]
    # the error box says how to run it again alone, as the console's section does: at the
    # head of the trace it unfolds, not in the message, which the categories group by
    assert re.match(
        r"how to replay: \S*pytest --seed \S+ \S*test_theme\.py::test_fails\n\n",
        result["statusDetails"]["trace"],
    ), result["statusDetails"]["trace"]
    assert "replay" not in message, message
    assert "test_fails" not in message, message
    junit = (run.path / "junit.xml").read_text(encoding="utf-8")
    assert 'message="Clause(s) R-1, R-3: AssertionError: expected the error screen' in junit
    assert "FAILED test_theme.py::test_fails - Clause(s) R-1, R-3: AssertionError" in run.output
    assert _labels(result, "tag")[0] == "ios"
    assert "VssID app → VssID backend: GET /api/v1/me → 200" in _titles(result["steps"]), (
        "the hops up to the failure are there"
    )


def test_one_fault_in_several_tests_is_one_message(tmp_path: Path) -> None:
    """A vendor's read of the Categories tab: the four cases of one state check, failing on
    the same fault, were four groups of one test each, as each message ended with its own
    replay line (its test id). The message is the failure alone; the replay heads the
    trace."""
    (tmp_path / "test_same.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.mark.clause("R-1")
        @pytest.mark.parametrize("state", ["forged", "cut-short"])
        def test_state(state):
            assert False, "expected state_mismatch, observed a session"
    """),
        encoding="utf-8",
    )
    done = run_pytest(tmp_path)
    assert done.returncode == 1, done.output[-3000:]
    details = {r["name"]: r["statusDetails"] for r in done.results}
    assert {d["message"] for d in details.values()} == {
        "Clause(s) R-1: AssertionError: expected state_mismatch, observed a session\nassert False"
    }, details
    for name, said in details.items():
        head = said["trace"].split("\n\n", 1)[0]
        assert head.startswith("how to replay: "), said["trace"]
        assert f"test_same.py::{name}" in head, said["trace"]


def test_events_from_another_thread_are_replayed_under_one_step(run: AllureRun) -> None:
    result = run.result("test_off_thread")
    [step] = result["steps"]
    assert step["name"] == OFF_THREAD_STEP
    assert _titles(step["steps"]) == ["screen vneid:elsewhere"]
    assert _labels(result, "tag") == ["ios", "driver:sim", "vssid not installed", "vneid 2.1.0"]
    assert ">elsewhere<" in run.attachment(result["attachments"][0])


def test_a_test_without_a_trace_gets_no_steps_diagram_or_tags(run: AllureRun) -> None:
    result = run.result("test_no_phone")
    assert result["status"] == "passed"
    assert result.get("steps", []) == []
    assert result.get("attachments", []) == []
    assert _labels(result, "tag") == []
    assert [p["name"] for p in result.get("parameters", [])] == []


def test_nothing_of_it_without_alluredir(tmp_path: Path) -> None:
    (tmp_path / "test_which.py").write_text(
        textwrap.dedent(f'''
        def test_plugin(request):
            print("ALLURE-REPORTER", request.config.pluginmanager.get_plugin("{ALLURE_PLUGIN}"))
    '''),
        encoding="utf-8",
    )
    bare = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "ALLURE-REPORTER None" in bare.stdout, bare.stdout
    with_allure = run_pytest(tmp_path, "-s")
    assert "ALLURE-REPORTER <reports.allure_steps.AllureFlowReporter" in with_allure.output


def test_a_trace_the_test_made_itself_counts_once_adopted(run: AllureRun) -> None:
    """A backend the test built (``ScriptedWorld``): its trace, handed to ``adopt_trace``,
    gives the test its steps and diagram like the fixtures' traces."""
    result = run.result("test_own_backend")
    assert _titles(result["steps"]) == [
        "Scenario → VssID backend: POST /api/v1/auth/vneid/start → 200"
    ]
    assert [a["name"] for a in result["attachments"]] == [DIAGRAM_ATTACHMENT, MERMAID_ATTACHMENT]


def test_web_screenshots_are_steps_among_the_flows_steps(tmp_path: Path) -> None:
    """Under the web driver each new screen's PNG is a step of its own right after the step
    of the screen it shows, not a pile of attachments at the end of the test."""
    (tmp_path / "test_shots.py").write_text(
        textwrap.dedent("""
        from harness.flows import start_vneid_login

        def test_to_the_store(device):
            start_vneid_login(device("android", vneid=None).driver)
    """),
        encoding="utf-8",
    )
    done = run_pytest(tmp_path, "--driver", "web")
    assert "1 passed" in done.output, done.output[-3000:]
    result = done.result("test_to_the_store")
    titles = _titles(result["steps"])
    shots = [t for t in titles if t.startswith("screenshot ")]
    assert shots == ["screenshot vssid · vssid-login", "screenshot store · store"], titles
    assert titles.index(shots[0]) > titles.index("screen vssid:vssid-login")
    step = next(s for s in walk_steps(result["steps"]) if s["name"] == shots[0])
    assert [(a["name"], a["type"]) for a in step["attachments"]] == [
        ("vssid · vssid-login", "image/png")
    ]
    assert not any(a["type"] == "image/png" for a in result.get("attachments", []))


def test_cases_parametrized_with_bytes_are_told_apart(run: AllureRun) -> None:
    """allure-pytest shows every bytes parameter as ``<class 'bytes'>``: the cases looked
    alike, and the Allure report merged them into one test with the others as retries."""
    shown = {
        r["name"]: [p["value"] for p in r["parameters"] if p["name"] == "payload"]
        for r in run.results
        if r["name"].startswith("test_bytes")
    }
    assert shown == {"test_bytes[[1, 2]]": ["b'[1, 2]'"], "test_bytes[null]": ["b'null'"]}


def test_text_parameters_read_as_themselves_unless_that_would_mislead(run: AllureRun) -> None:
    """A QA lead's read: every text parameter was quoted, ``'id_token_invalid'``; one reads as
    itself, and keeps its quotes only where they say something (empty, a trailing space, a
    tab, a text that would read as None or a number)."""
    shown = {
        p["value"]
        for r in run.results
        if r["name"].startswith("test_texts")
        for p in r["parameters"]
    }
    assert shown == {
        "id_token_invalid",
        "urn:vneid:loa:1 urn:vneid:loa:2",
        "''",
        "'approve '",
        "'None'",
        "'121'",
        "'a\\tb'",
    }, shown


def test_the_clauses_label_is_in_protocol_order(run: AllureRun) -> None:
    """The Categories group failures by this label: a test marked clause("S-4", "S-1") was a
    group "S-4, S-1" beside the "S-1, S-4" of the others failing on the same fault."""
    assert _labels(run.result("test_no_phone"), "clauses") == ["R-1, R-3"]
