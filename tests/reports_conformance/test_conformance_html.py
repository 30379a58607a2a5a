"""The vendor conformance report (issue 5 item 4): one self-contained HTML page from a verdict."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from harness.conformance import evaluate, get_plan
from harness.conformance.expected import ExpectedFailure
from harness.conformance.results import TestOutcome
from reports.conformance_html import ReportError, render_conformance_html, write_conformance_report

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>VssID app</text></svg>'


class _Page(HTMLParser):
    """Collects what the tests look at: ids, data-testids, links, resources, text."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.testids: list[str] = []
        self.hrefs: list[str] = []
        self.sources: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if values.get("data-testid"):
            self.testids.append(str(values["data-testid"]))
        if values.get("href"):
            self.hrefs.append(str(values["href"]))
        if values.get("src"):
            self.sources.append(str(values["src"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _verdict(**meta: Any) -> dict[str, Any]:
    plan = get_plan("vssid-relying-party")
    outcomes = [
        TestOutcome(
            "scenarios/test_callback_security.py::test_state[forged]", "passed", ("R-1",), 0.01
        ),
        TestOutcome(
            "scenarios/test_id_token_checks.py::test_nonce",
            "failed",
            ("R-9",),
            0.02,
            "R-9: expected vssid:app-error nonce_mismatch, the phone shows "
            "vssid:vssid-home <script>alert(1)</script>",
        ),
        TestOutcome(
            "scenarios/test_id_token_checks.py::test_acr",
            "failed",
            ("R-10",),
            0.02,
            "R-10: level 1 accepted",
        ),
        TestOutcome("scenarios/test_id_token_checks.py::test_iss", "passed", ("R-6",), 0.01),
    ]
    expected = [
        ExpectedFailure("*test_acr", "R-10", "FAILED", "our RP ships the acr check in 2.3"),
        ExpectedFailure("*test_iss", "R-6", "FAILED", "issuer check pending"),
    ]
    result = evaluate(plan, outcomes, expected)
    verdict = result.to_json(
        target={"vneid": "embedded", "vssid": "http://127.0.0.1:9000"},
        harness_version="0.1.0",
        seed=7,
        duration_s=1.5,
        started_at="2026-11-22T05:00:00Z",
        **meta,
    )
    for test in verdict["tests"]:
        test["evidence"] = {
            "steps": ["VssID app → VssID backend: POST /start → 200", "screen vssid:vssid-home"],
            "diagram_svg": SVG,
        }
    return verdict


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.clause("R-12")
def test_the_page_lists_every_clause_of_the_plan_with_its_status_and_tests() -> None:
    verdict = _verdict()
    html = render_conformance_html(verdict)
    page = _page(html)
    plan_clauses = [c for c in verdict["clauses"] if c["in_plan"]]
    assert page.testids.count("clause-row") == len(plan_clauses)
    for clause in plan_clauses:
        assert f"clause-{clause['clause']}" in page.ids
    row = re.search(r'id="clause-R-9".*?</tr>', html, re.S)
    assert row is not None
    assert "FAILED" in row.group(0)
    assert "test_nonce" in row.group(0)
    # each test row is linked from its clauses, and links back to them
    assert page.testids.count("test-row") == 4
    for href in page.hrefs:
        assert href.startswith("#"), href
        assert href[1:] in page.ids, href


@pytest.mark.clause("R-12")
def test_the_page_names_target_plan_version_date_and_verdict() -> None:
    text = " ".join(_page(render_conformance_html(_verdict())).text)
    for expected in (
        "vssid-relying-party",
        "http://127.0.0.1:9000",
        "embedded",
        "0.1.0",
        "2026-11-22T05:00:00Z",
        "NOT OK",
        "Seed",
        "7",
    ):
        assert expected in text, expected
    assert "Protocol profile PROTOCOL.md defaults" in text  # no profile file was given


def test_the_page_names_the_profile_file_and_what_it_changes() -> None:
    verdict = _verdict()
    verdict["target"] = {
        **verdict["target"],
        "profile": "bank.yaml",
        "profile_overrides": {"code_ttl": "30", "scope": "<openid> x"},
    }
    html = render_conformance_html(verdict)
    assert "bank.yaml: code_ttl = 30; scope = &lt;openid&gt; x" in html
    verdict["target"]["profile_overrides"] = {}
    assert "bank.yaml (no field changed)" in render_conformance_html(verdict)


@pytest.mark.clause("R-12")
def test_expected_failures_and_unexpected_passes_are_shown_as_such() -> None:
    html = render_conformance_html(_verdict())
    text = " ".join(_page(html).text)
    assert "Expected failure (FAILED, R-10): our RP ships the acr check in 2.3" in text
    assert "Unexpected pass" in text
    assert "issuer check pending" in text
    acr_row = re.search(r'<tr id="test-[^"]*test_acr".*?</tr>', html, re.S)
    assert acr_row is not None
    assert '<span class="badge EXPECTED-FAILED">EXPECTED FAILED</span>' in acr_row.group(0)
    clause_row = re.search(r'id="clause-R-10".*?</tr>', html, re.S)
    assert clause_row is not None
    assert '<span class="badge EXPECTED-FAILED">EXPECTED FAILED</span>' in clause_row.group(0)
    assert "1 expected" in clause_row.group(0)


def _badges(html: str) -> dict[str, int]:
    """The page's counts line: each badge and the number beside it."""
    line = re.search(r'data-testid="counts">(.*?)</p>', html, re.S)
    assert line is not None
    return {
        name: int(n)
        for name, n in re.findall(
            r'<span class="badge [A-Z-]+">([A-Z ]+)</span> (\d+)', line.group(1)
        )
    }


@pytest.mark.clause("R-12")
def test_the_badges_count_a_known_deviation_apart_from_failures() -> None:
    """FAILED counts what fails the run; the expected failure has its own badge (a page
    showed FAILED 3 beside a green OK)."""
    verdict = _verdict()
    assert verdict["counts"]["FAILED"] == 1  # test_nonce
    assert verdict["counts"]["EXPECTED FAILED"] == 1  # test_acr
    assert _badges(render_conformance_html(verdict)) == {
        "PASSED": 2,
        "FAILED": 1,
        "EXPECTED FAILED": 1,
        "WARNING": 0,
        "SKIPPED": 0,
    }


def test_a_verdict_written_before_expected_failed_had_its_count_shows_it_apart() -> None:
    """`vneid-harness report` renders older verdict JSON too: their counts.FAILED held the
    expected failures, and their clauses had no expected_failures."""
    verdict = _verdict()
    counts = verdict["counts"]
    counts["FAILED"] += counts.pop("EXPECTED FAILED")
    counts["WARNING"] += counts.pop("EXPECTED WARNING")
    for clause in verdict["clauses"]:
        del clause["expected_failures"], clause["expected_for"]
    assert _badges(render_conformance_html(verdict)) == {
        "PASSED": 2,
        "FAILED": 1,
        "EXPECTED FAILED": 1,
        "WARNING": 0,
        "SKIPPED": 0,
    }


@pytest.mark.clause("S-5")
def test_evidence_is_attached_and_nothing_is_loaded_or_run() -> None:
    html = render_conformance_html(_verdict())
    page = _page(html)
    assert page.testids.count("evidence") == 4
    diagrams = [s for s in page.sources if s.startswith("data:image/svg+xml;base64,")]
    assert len(diagrams) == 4
    assert base64.b64decode(diagrams[0].split(",", 1)[1]).decode() == SVG
    # self-contained: no external resource, no script; hostile text is escaped
    assert all(s.startswith("data:") for s in page.sources)
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html.replace("http://127.0.0.1:9000", "").replace(
        "http://www.w3.org/2000/svg", ""
    )


@pytest.mark.clause("R-12")
def test_a_coverage_error_is_shown() -> None:
    verdict = _verdict()
    assert verdict["missing_clauses"], "the synthetic run covers only four clauses"
    page = _page(render_conformance_html(verdict))
    assert "coverage-error" in page.testids
    assert verdict["missing_clauses"][0] in " ".join(page.text)


@pytest.mark.clause("R-12")
def test_an_interrupted_run_lists_its_unreached_clauses_not_missing_ones() -> None:
    """docs/conformance.md: ``missing_clauses`` is an error of the suite, and the clauses a
    run that stopped early did not reach are no coverage error; such a run's JSON listed
    them as ``missing_clauses`` all the same."""
    plan = get_plan("vssid-relying-party")
    ran = [
        TestOutcome(
            "scenarios/test_callback_security.py::test_state",
            "failed",
            ("R-1",),
            0.01,
            "ConnectError: [Errno 111] Connection refused",
        )
    ]
    result = evaluate(plan, ran, interrupted="the targets stopped answering: 3 tests in a row")
    verdict = result.to_json()
    assert verdict["ok"] is False
    assert verdict["missing_clauses"] == []
    assert set(verdict["unreached_clauses"]) == set(plan.clauses) - {"R-1"}
    page = _page(render_conformance_html(verdict))
    assert "coverage-error" not in page.testids
    assert "interrupted" in page.testids
    assert verdict["unreached_clauses"][0] in " ".join(page.text)
    # a whole run that did not stop early: its untested clauses are missing, none unreached
    whole = evaluate(plan, ran).to_json()
    assert whole["missing_clauses"] == verdict["unreached_clauses"]
    assert whole["unreached_clauses"] == []
    # a partial run (-k) that stopped early: the clauses it never selected were not
    # "not reached" (a review); listed as a partial run lists them, not held to them
    partial = evaluate(plan, ran, coverage_required=False, interrupted="Ctrl-C or SIGINT").to_json()
    assert partial["unreached_clauses"] == []
    assert partial["missing_clauses"] == verdict["unreached_clauses"]
    assert partial["coverage_required"] is False


@pytest.mark.clause("R-12")
def test_write_puts_the_page_beside_the_json(tmp_path: Path) -> None:
    source = tmp_path / "conformance-vssid-relying-party.json"
    source.write_text(json.dumps(_verdict()), encoding="utf-8")
    written = write_conformance_report(source)
    assert written == tmp_path / "conformance-vssid-relying-party.html"
    assert "vssid-relying-party" in written.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "does not exist"),
        ("{not json", "is not a verdict JSON"),
        ("[1, 2]", "is not a verdict JSON"),
        ('{"plan": "x"}', "the verdict has no ok, counts, clauses, tests"),
    ],
)
def test_a_bad_verdict_file_is_a_clear_error(
    tmp_path: Path, content: str | None, needle: str
) -> None:
    source = tmp_path / "summary.json"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=needle):
        write_conformance_report(source)


@pytest.mark.clause("R-12")
def test_each_clause_links_to_its_text_and_no_other_kind_of_link_is_kept() -> None:
    links = {
        "R-1": "file:///s/PROTOCOL.md#6-r",
        "R-9": "https://git.example/P.md#6-r:~:text=R%2D9",
        "R-10": "javascript:alert(1)",
        "R-6": " javascript:alert(2)",
        "R-12": "PROTOCOL.md#6-r:~:text=R%2D12",
    }
    html = render_conformance_html(_verdict(clause_links=links))
    hrefs = _page(html).hrefs
    for clause in ("R-1", "R-9", "R-12"):
        assert links[clause] in hrefs, clause
    assert not [h for h in hrefs if "javascript" in h]
    row = re.search(r'id="clause-R-10".*?</tr>', html, re.S)
    assert row is not None
    assert "<a href" not in row.group(0).split("</td>")[0]


def test_the_run_gives_every_clause_a_link() -> None:
    from harness.protocol import CLAUSES
    from reports.protocol_links import clause_links, find_protocol

    found = find_protocol(Path(__file__).resolve().parents[2])
    links = clause_links(None, found)
    if found is None:
        assert links == {}
        return
    assert set(links) == set(CLAUSES)
    assert links["R-9"] == found.as_uri() + "#6-what-the-relying-party-must-check-r"
    assert (
        clause_links("https://p.example/P.md", None)["R-9"]
        == "https://p.example/P.md#6-what-the-relying-party-must-check-r:~:text=R%2D9"
    )


def test_a_clause_outside_the_plan_is_not_graded_unless_its_test_failed() -> None:
    plan = get_plan("vneid-provider")
    outside = next(c for c in ("R-1", "R-2", "R-5") if c not in plan.clauses)
    outcomes = [
        TestOutcome("scenarios/t.py::test_ok", "passed", (outside,), 0.01),
        TestOutcome("scenarios/t.py::test_bad", "failed", ("R-12",), 0.01, "boom"),
    ]
    html = render_conformance_html(evaluate(plan, outcomes).to_json())
    row = re.search(rf'id="clause-{outside}".*?</tr>', html, re.S)
    assert row is not None
    status_cell = row.group(0).split("<td>")[2]
    assert "NOT GRADED" in status_cell
    assert "PASSED</span>" not in status_cell
    if "R-12" not in plan.clauses:
        failed = re.search(r'id="clause-R-12".*?</tr>', html, re.S)
        assert failed is not None
        assert "FAILED" in failed.group(0)
        assert "NOT GRADED" not in failed.group(0)


def test_a_shortened_failure_message_is_there_whole_too() -> None:
    """The report showed a failure's first 300 characters only, which for a bare assert
    ended in a repr before saying which field was wrong."""
    whole = (
        "AssertionError: assert 300 == 600\n +  where 600 = Profile(vneid_min_version="
        + "x" * 400
        + ").transaction_ttl"
    )
    short = " ".join(whole.split())[:300]
    outcomes = [
        TestOutcome("s.py::test_ttl", "failed", ("A-1",), 0.0, short, False, whole),
        TestOutcome("s.py::test_short", "failed", ("A-1",), 0.0, "boom", False, "boom"),
    ]
    verdict = evaluate(get_plan("vssid-relying-party"), outcomes).to_json()
    tests = {t["test"]: t for t in verdict["tests"]}
    assert tests["s.py::test_ttl"]["detail"] == whole
    huge = "AssertionError: " + "y" * 5000
    cut = evaluate(
        get_plan("vssid-relying-party"),
        [TestOutcome("s.py::test_huge", "failed", ("A-1",), 0.0, huge[:300], False, huge)],
    ).to_json()
    assert cut["tests"][0]["detail"].endswith(
        "y … (cut at 4000 characters; the whole text is in junit.xml)"
    )
    assert "detail" not in tests["s.py::test_short"]  # nothing more to show
    html = render_conformance_html(verdict)
    assert html.count('data-testid="detail"') == 1
    assert ").transaction_ttl</pre>" in html


@pytest.mark.clause("R-9")
def test_a_failure_quotes_what_its_clauses_say() -> None:
    """A vendor read "Clause(s) R-9: …" beside a failure and had to find R-9's text in the
    table above (a vendor's read): each failing test quotes its clauses' text."""
    from harness.protocol import CLAUSES

    html = render_conformance_html(_verdict())
    row = re.search(
        r'<tr id="test-scenarios-test_id_token_checks-py-test_nonce".*?</tr>', html, re.S
    )
    assert row is not None
    quoted = re.search(r'<ul [^>]*data-testid="clause-texts"[^>]*>.*?</ul>', row.group(0), re.S)
    assert quoted is not None, row.group(0)[:500]
    assert html_text(quoted.group(0)) == f"R-9: {CLAUSES['R-9'].text}"
    passing = re.search(
        r'<tr id="test-scenarios-test_callback_security-py-test_state[^"]*"'
        r".*?</tr>",
        html,
        re.S,
    )
    assert passing is not None
    assert "clause-texts" not in passing.group(0)  # a passing test needs no quote


def html_text(fragment: str) -> str:
    import html as html_module

    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", fragment)).split()).replace(
        " :", ":"
    )


def test_a_tests_time_stays_on_one_line() -> None:
    """The Time column wrapped "0.005 s" onto two lines (a visual walk of the page)."""
    html = render_conformance_html(_verdict())
    times = re.findall(r'<td class="time">([^<]*)</td>', html)
    assert times, "every test row has its time"
    assert all(re.fullmatch(r"\d+\.\d{3}&nbsp;s", t) for t in times), times
    assert "td.time { white-space: nowrap; }" in html


class _CountingSet(set[str]):
    """A set that counts the lookups made in it."""

    lookups = 0

    def __contains__(self, item: object) -> bool:
        self.lookups += 1
        return super().__contains__(item)


def test_tests_sharing_a_long_prefix_get_numbered_anchors_in_one_look_each() -> None:
    """The 120 characters an anchor keeps of a node id can be the same for thousands of
    tests (a verdict may come from anywhere): each was numbered by trying ``-2``, ``-3``… up
    from 2, 2,000 tests about 2,000,000 lookups (8,000 took 6 s). Each base now goes on
    from its last number; a base that another test's anchor already took is still skipped."""
    from reports.conformance_html import _anchor

    taken, numbered = _CountingSet(), dict[str, int]()
    prefix = "scenarios/test_x.py::test_" + "a" * 120
    anchors = [_anchor(f"{prefix}[{i}]", taken, numbered) for i in range(2000)]
    base = "test-scenarios-test_x-py-test_" + "a" * 95  # 120 characters after "test-"
    assert anchors[:3] == [base, f"{base}-2", f"{base}-3"]
    assert len(set(anchors)) == 2000
    assert taken.lookups <= 2 * 2000
    assert _anchor(prefix, taken, numbered) == f"{base}-2001"
    small, by_base = set[str](), dict[str, int]()
    assert [_anchor(t, small, by_base) for t in ("t", "t-3", "t", "t", "t")] == [
        "test-t",
        "test-t-3",
        "test-t-2",
        "test-t-4",  # test-t-3 was another test's
        "test-t-5",
    ]
