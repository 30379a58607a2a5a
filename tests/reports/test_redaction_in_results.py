"""S-5 proven on the published results: run representative scenarios (the happy path, the
token endpoint probed by the harness's relying party, refusals) and tests that fail while
holding tokens, in a subprocess with --alluredir and --junitxml; a spy plugin in that run
records, unredacted, every secret that crossed HTTP there (passcodes, client secrets, codes,
verifiers, tokens, credentials) and every citizen's passcode; then every file of the results
(result JSON, containers, HTTP exchanges, deep links, diagrams, JUnit) and the console output
are searched for each of them.

It cannot pass by finding nothing: it checks that secrets of each kind were collected, that
the results hold many HTTP exchanges and diagrams, and that the failures' text was scrubbed
(``[REDACTED]`` where pytest printed a token)."""

from __future__ import annotations

import json
import re
import textwrap
from collections import Counter
from typing import Any

import pytest

from harness.run import scenarios_dir
from reports.allure_steps import DIAGRAM_ATTACHMENT, HTTP_ATTACHMENT, LINK_ATTACHMENT
from tests.reports.allure_run import AllureRun, run_pytest, walk_steps

SCENARIO_FILES = (
    "test_happy_path.py",
    "test_token_endpoint.py",
    "test_preconditions.py",
    "test_callback_security.py",
    "test_user_actions.py",
)

SPY = '''
    """Writes secrets.json: every secret value that crossed HTTP in this run, unredacted."""
    import base64
    import json
    from pathlib import Path
    from urllib.parse import parse_qsl, urlsplit

    import httpx

    NAMES = {"passcode", "client_secret", "code", "code_verifier", "access_token", "id_token",
             "refresh_token", "session_token", "client_assertion"}
    FOUND = {}

    def note(kind, value):  # what the control API and request logs show is already redacted
        if isinstance(value, str) and value and "[REDACTED]" not in value:
            FOUND.setdefault(kind, set()).add(value)

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in NAMES:
                    note(key, item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and "?" in value and "=" in value:
            pairs(urlsplit(value).query)

    def pairs(text):
        for key, item in parse_qsl(text, keep_blank_values=True):
            if key in NAMES:
                note(key, item)

    def body(raw, ctype):
        if not raw:
            return
        text = raw.decode("utf-8", "replace")
        if "json" in ctype:
            try:
                walk(json.loads(text))
            except ValueError:
                pass
        elif "form" in ctype:
            pairs(text)

    def exchange(request, response):
        pairs(request.url.query.decode())
        auth = request.headers.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        note("authorization", credential)
        if scheme.lower() == "basic":
            note("client_secret", base64.b64decode(credential).decode().partition(":")[2])
        body(request.content, request.headers.get("content-type", ""))
        body(response.content, response.headers.get("content-type", ""))
        walk(response.headers.get("location", ""))

    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def send(self, request, **kwargs):
        response = sync_send(self, request, **kwargs)
        response.read()
        exchange(response.request, response)
        return response

    async def asend(self, request, **kwargs):
        response = await async_send(self, request, **kwargs)
        await response.aread()
        exchange(response.request, response)
        return response

    def pytest_configure(config):
        httpx.Client.send, httpx.AsyncClient.send = send, asend

    PUBLIC = set()

    def pytest_runtest_teardown(item):
        pool = (getattr(item, "funcargs", None) or {}).get("personas")
        for persona in getattr(pool, "made", []):
            note("passcode", persona.passcode)
        # what a test is called and parametrized with is written in its source: public
        PUBLIC.add(item.nodeid)
        callspec = getattr(item, "callspec", None)
        PUBLIC.update(repr(v) for v in (callspec.params.values() if callspec else ()))

    def pytest_unconfigure(config):
        Path("secrets.json").write_text(json.dumps({
            kind: sorted(v for v in values if not any(v in p for p in PUBLIC))
            for kind, values in FOUND.items()}))
'''

FAILING = '''
    """Tests that fail while holding secrets: what pytest prints must be scrubbed."""
    import pytest

    from harness.flows import login_with_vneid
    from harness.rp import RP_SCHEME
    from scenarios.support import get_code

    @pytest.fixture
    def tokens(device, rp, persona):
        phone = device("android")
        phone.install_receiver(RP_SCHEME)
        login, code = get_code(phone, rp, persona)
        return rp, login, code

    @pytest.mark.clause("T-1")
    def test_token_response_in_the_message(tokens):
        rp, login, code = tokens
        result = rp.redeem(code, login.code_verifier)
        assert result.status == 201, result.body

    @pytest.mark.clause("T-1", "S-4")
    def test_code_and_verifier_in_the_explanation(tokens):
        rp, login, code = tokens
        assert rp.redeem(code, login.code_verifier).status == 201

    @pytest.mark.clause("T-2")
    def test_token_printed_then_failing(tokens):
        rp, login, code = tokens
        print("token response:", rp.redeem(code, login.code_verifier).body)
        assert False, "look at the captured output"

    @pytest.mark.clause("S-4")
    def test_unsent_verifier_in_an_error(rp):
        login = rp.login()
        raise RuntimeError(f"could not use {login.code_verifier} with {rp.client_secret}")

    @pytest.mark.clause("P-2")
    def test_passcode_compared(persona):
        assert persona.passcode == "not-the-passcode"

    @pytest.mark.clause("A-6")
    def test_delivered_links_in_the_message(device, persona):
        phone = device("ios")
        login_with_vneid(phone.driver, persona)
        assert not phone.delivered_links(), phone.delivered_links()

    def _session_token(device, persona):
        phone = device("android")
        login_with_vneid(phone.driver, persona)
        return phone.vssid_app.storage["session_token"]

    @pytest.fixture
    def broken_setup(device, persona):
        raise RuntimeError(f"setup failed holding {_session_token(device, persona)}")

    @pytest.fixture
    def broken_teardown(device, persona):
        token = _session_token(device, persona)
        yield
        raise RuntimeError(f"teardown failed holding {token}")

    @pytest.mark.clause("A-6")
    def test_a_fixture_fails_to_set_up_holding_a_token(broken_setup):
        pass

    @pytest.mark.clause("A-6")
    def test_a_fixture_fails_to_tear_down_holding_a_token(broken_teardown):
        pass

    @pytest.mark.xfail(reason="a known issue")
    def test_an_expected_failure_holding_a_token(device, persona):
        raise AssertionError(f"the session {_session_token(device, persona)} was refused")

    def test_a_skip_holding_a_token(device, persona):
        pytest.skip(f"skipped holding {_session_token(device, persona)}")

    @pytest.mark.clause("A-6")
    def test_a_token_shortened_by_pytest(device, persona):
        assert _session_token(device, persona) == "x"

    @pytest.mark.clause("A-5")
    def test_the_web_login_hands_back_a_code(rp, vneid, persona):
        """Passes: the code leaves in the 303's Location, and a page reached from there
        sends it on in Referer."""
        import re
        from urllib.parse import urlsplit

        with vneid.client() as http:
            page = http.get(f"/authorize?{urlsplit(rp.login().link).query}")
            request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
            http.post("/authorize/login", data={"request_id": request_id,
                                               "personal_id": persona.personal_id,
                                               "passcode": persona.passcode})
            done = http.post("/authorize/decision", data={"request_id": request_id,
                                                          "decision": "approve"})
            assert done.status_code == 303
            assert "code=" in done.headers["location"]
            http.get("/jwks", headers={"Referer": done.headers["location"]})

    @pytest.mark.clause("A-6")
    def test_a_scenario_attaches_its_own_evidence(device, persona, tmp_path):
        """Passes: what a scenario attaches itself (allure.attach, allure.attach.file)."""
        import json

        import allure

        phone = device("android")
        login_with_vneid(phone.driver, persona)
        allure.attach("\\n".join(phone.delivered_links()), name="own links",
                      attachment_type=allure.attachment_type.URI_LIST)
        allure.attach(json.dumps({"passcode": persona.passcode,
                                  "session": phone.vssid_app.storage["session_token"]}),
                      name="own json", attachment_type=allure.attachment_type.JSON)
        evidence = tmp_path / "evidence.txt"
        evidence.write_text(f"typed {persona.passcode}; links {phone.delivered_links()}")
        allure.attach.file(str(evidence), name="own file",
                           attachment_type=allure.attachment_type.TEXT)
        allure.attach(f"caf\\xe9 typed {persona.passcode} links {phone.delivered_links()}"
                      .encode("latin-1"), name="own latin-1",
                      attachment_type=allure.attachment_type.TEXT)
        allure.attach(f"typed {persona.passcode}".encode("utf-16"), name="own utf-16",
                      attachment_type=allure.attachment_type.TEXT)
        allure.attach(b"caf\\xe9 next=vssid%3A%2F%2Fcb%3Fcode%3DSECRETCODE123 who=%C4%90",
                      name="own escaped", attachment_type=allure.attachment_type.TEXT)
        allure.attach(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(range(256)), name="own binary",
                      attachment_type=allure.attachment_type.PNG)

    @pytest.mark.clause("A-4")
    def test_an_unregistered_citizens_passcode(personas):
        citizen = personas.new(register=False)
        assert citizen.passcode == "x", f"the passcode {citizen.passcode} was typed"
'''

MIN_SECRETS = {
    "passcode": 5,
    "code": 5,
    "code_verifier": 5,
    "access_token": 3,
    "id_token": 3,
    "session_token": 5,
    "client_secret": 2,
    "authorization": 5,
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> AllureRun:
    path = tmp_path_factory.mktemp("s5-run")
    (path / "secret_spy.py").write_text(textwrap.dedent(SPY), encoding="utf-8")
    (path / "test_failing_with_secrets.py").write_text(textwrap.dedent(FAILING), encoding="utf-8")
    project = scenarios_dir().parent
    done = run_pytest(
        path,
        "-c",
        str(project / "pyproject.toml"),
        "-p",
        "secret_spy",
        "--junitxml",
        str(path / "allure" / "junit.xml"),
        *(str(scenarios_dir() / name) for name in SCENARIO_FILES),
        str(path / "test_failing_with_secrets.py"),
    )
    summary = re.search(r"(\d+) failed, (\d+) passed", done.output)
    assert summary is not None, done.output[-3000:]
    assert int(summary.group(1)) == 8, done.output[-5000:]
    assert re.search(r"\b1 skipped\b", done.output), done.output[-3000:]
    assert re.search(r"\b1 xfailed\b", done.output), done.output[-3000:]
    assert re.search(r"\b2 errors\b", done.output), done.output[-3000:]
    assert int(summary.group(2)) >= 61
    return done


@pytest.fixture(scope="module")
def secrets(run: AllureRun) -> dict[str, list[str]]:
    found: dict[str, list[str]] = json.loads((run.path / "secrets.json").read_text())
    return found


def test_the_spy_saw_secrets_of_every_kind(secrets: dict[str, list[str]]) -> None:
    counts = {kind: len(secrets.get(kind, [])) for kind in MIN_SECRETS}
    assert all(counts[k] >= n for k, n in MIN_SECRETS.items()), counts
    assert "harness-rp-secret" in secrets["client_secret"]


def test_the_results_hold_the_evidence(run: AllureRun) -> None:
    attached: Counter[str] = Counter()
    for result in run.results:
        attached.update(a["name"] for a in result.get("attachments", []))
        for step in walk_steps(result.get("steps", [])):
            attached.update(a["name"] for a in step.get("attachments", []))
    for container in run.containers:
        for fixture in container.get("befores", []) + container.get("afters", []):
            for step in walk_steps(fixture.get("steps", [])):
                attached.update(a["name"] for a in step.get("attachments", []))
    assert attached[HTTP_ATTACHMENT] >= 200, attached
    assert attached[LINK_ATTACHMENT] >= 100, attached
    assert attached[DIAGRAM_ATTACHMENT] >= 50, attached
    files = [p for p in run.results_dir.iterdir() if p.is_file()]
    assert len([p for p in files if p.suffix == ".svg"]) == attached[DIAGRAM_ATTACHMENT]
    assert len([p for p in files if p.suffix == ".json"]) > attached[HTTP_ATTACHMENT]


def test_the_failures_were_scrubbed_not_lucky(run: AllureRun) -> None:
    failed = [r for r in run.results if r["status"] in ("failed", "broken")]
    assert len(failed) == 10, [r["name"] for r in failed]
    details = " ".join(r["statusDetails"]["message"] + r["statusDetails"]["trace"] for r in failed)
    assert details.count("[REDACTED]") >= 10
    assert all(r["statusDetails"]["message"].startswith("Clause(s) ") for r in failed)
    junit = (run.results_dir / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("[REDACTED]") >= 10
    assert "[REDACTED]" in run.output
    [printed] = [r for r in failed if r["name"] == "test_token_printed_then_failing"]
    [stdout] = [a for a in printed["attachments"] if a["name"] == "stdout"]
    captured = run.attachment(stdout)
    assert captured.startswith("token response: {"), "the captured output is kept, scrubbed"
    assert "'access_token': '[REDACTED]'" in captured
    shortened = run.result("test_a_token_shortened_by_pytest")["statusDetails"]["message"]
    assert "'[REDACTED]...[REDACTED]'" in shortened, "both ends of pytest's shortened repr"
    unregistered = run.result("test_an_unregistered_citizens_passcode")["statusDetails"]
    assert "the passcode [REDACTED] was typed" in unregistered["message"]
    befores = {b["name"]: b for c in run.containers for b in c.get("befores", [])}
    # allure-pytest names a fixture's teardowns ``name::<index of the finalizer>``; the
    # harness names one that failed by its fixture (reports.allure_steps.QuietTeardowns)
    [teardown] = [
        a
        for c in run.containers
        for a in c.get("afters", [])
        if a["name"] == "broken_teardown" and "statusDetails" in a
    ]
    for fixture in (befores["broken_setup"], teardown):
        assert fixture["statusDetails"]["message"].endswith("holding [REDACTED]\n")
    expected = run.result("test_an_expected_failure_holding_a_token")["statusDetails"]
    assert expected["message"].endswith("the session [REDACTED] was refused")
    skipped = run.result("test_a_skip_holding_a_token")["statusDetails"]["message"]
    assert skipped == "Skipped: skipped holding [REDACTED]"


def test_a_scenarios_own_attachments_are_kept_scrubbed(run: AllureRun) -> None:
    """A scenario's own allure.attach reached the results as given: a code in a delivered
    link, a passcode in JSON, a file's text. Binary ones are kept byte for byte."""
    own = {
        a["name"]: a
        for a in run.result("test_a_scenario_attaches_its_own_evidence").get("attachments", [])
    }
    assert {
        "own binary",
        "own file",
        "own json",
        "own links",
        "own latin-1",
        "own utf-16",
        "own escaped",
    } <= set(own), own
    assert "code=[REDACTED]" in run.attachment(own["own links"])
    assert json.loads(run.attachment(own["own json"])) == {
        "passcode": "[REDACTED]",
        "session": "[REDACTED]",
    }
    assert run.attachment(own["own file"]).startswith("typed [REDACTED]; links [")
    # text in other encodings too (a Latin-1 log, UTF-16), written back in its own
    legacy = (run.results_dir / own["own latin-1"]["source"]).read_bytes().decode("latin-1")
    assert legacy.startswith("caf\xe9 typed [REDACTED] links ['"), legacy
    assert "code=[REDACTED]" in legacy
    wide = (run.results_dir / own["own utf-16"]["source"]).read_bytes().decode("utf-16")
    assert wide == "typed [REDACTED]"
    # Latin-1 whose %-escapes the scrub decodes into characters Latin-1 has not (Đ): it
    # failed the test (UnicodeEncodeError) and kept the code; written as UTF-8 now
    escaped = (run.results_dir / own["own escaped"]["source"]).read_bytes()
    assert b"SECRETCODE123" not in escaped
    assert b"[REDACTED]" in escaped
    binary = (run.results_dir / own["own binary"]["source"]).read_bytes()
    assert binary == b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    assert list(run.results_dir.glob("*.tmp")) == []


def test_no_end_of_a_token_is_left_either(run: AllureRun, secrets: dict[str, list[str]]) -> None:
    """pytest shortens a long string to its first and last 12 characters: neither end of
    any random token may be left (a JWT's first characters are its public header)."""
    texts = [
        run.output,
        *(
            p.read_text(encoding="utf-8", errors="replace")
            for p in run.results_dir.rglob("*")
            if p.is_file()
        ),
    ]
    ends = {
        end
        for kind, values in secrets.items()
        for secret in values
        if len(secret) >= 32 and not secret.startswith("eyJ")
        for end in (secret[:12], secret[-12:])
    }
    assert len(ends) >= 20
    assert [end[:4] for end in ends if any(end in text for text in texts)] == []


def _occurs(secret: str, text: str) -> bool:
    if secret.isdigit():  # a passcode: not inside a longer number or word (a timestamp, an
        # id, a UUID's hex: "…-83b799982c6f-attachment.svg" is no leak of 799982)
        return re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text) is not None
    return secret in text


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ('{"passcode": "799982"}', True),
        ("passcode=799982&x=1", True),
        ("typed 799982 into the field", True),
        ("83b799982c6f-attachment.svg", False),
        ("'start': 1796429982001", False),
    ],
)
def test_a_passcode_counts_as_leaked_where_it_stands_alone(text: str, leaked: bool) -> None:
    assert _occurs("799982", text) is leaked


def test_no_secret_in_any_file_of_the_results_or_the_console(
    run: AllureRun, secrets: dict[str, list[str]]
) -> None:
    texts: dict[str, str] = {"console": run.output}
    for path in sorted(run.results_dir.rglob("*")):
        if path.is_file():
            texts[path.name] = path.read_text(encoding="utf-8", errors="replace")
    assert len(texts) > 500
    leaks: list[dict[str, Any]] = []
    checked = 0
    for kind, values in secrets.items():
        for secret in values:
            if len(secret) < 6:
                continue
            checked += 1
            leaks.extend(
                {"kind": kind, "file": name, "starts": secret[:4]}
                for name, text in texts.items()
                if _occurs(secret, text)
            )
    assert checked >= sum(MIN_SECRETS.values())
    assert leaks == [], f"{len(leaks)} leaks, e.g. {leaks[:10]}"
