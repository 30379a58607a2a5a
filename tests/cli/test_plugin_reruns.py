"""The plugin under a plugin that runs a failed test again on the same item
(pytest-rerunfailures' ``--reruns N``): each attempt's reports are its own."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

RERUN_ONCE = """
import json

import pytest
from _pytest.runner import runtestprotocol


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    # as pytest-rerunfailures does: the same item run again, a failed attempt's reports
    # logged with the outcome "rerun"
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for attempt in (1, 2):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        failed = any(report.failed for report in reports)
        for report in reports:
            if attempt == 1 and report.failed:
                report.outcome = "rerun"
            item.ihook.pytest_runtest_logreport(report=report)
        if not failed:
            break
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        evidence = getattr(report, "vneid_harness_evidence", None) or {}
        with open("evidence.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(evidence.get("steps", [])) + "\\n")
"""


def test_a_rerun_attempt_has_its_own_evidence_and_no_replay_of_the_failed_one(
    pytester: pytest.Pytester,
) -> None:
    """The failed first attempt moved VNeID's clock; the second, passing, did not. Its
    evidence held the first attempt's steps too, and its JUnit test case the failed
    attempt's ``replay`` property."""
    pytester.makeconftest(RERUN_ONCE)
    pytester.makepyfile("""
        import pytest
        from harness.flows import login_with_vneid

        ATTEMPTS = []

        @pytest.mark.clause("A-6")
        def test_flaky(device, persona, vneid):
            ATTEMPTS.append(1)
            if len(ATTEMPTS) == 1:
                vneid.set_clock(60)
                raise AssertionError("the first attempt fails")
            assert login_with_vneid(device("ios").driver, persona).id == "vssid-home"
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--evidence", "--junitxml=junit.xml"
    )
    assert result.ret == 0, result.stdout.str()
    first, second = (
        json.loads(line)
        for line in (pytester.path / "evidence.jsonl").read_text(encoding="utf-8").splitlines()
    )
    assert any("clock moved" in step for step in first)
    assert second
    assert not any("clock moved" in step for step in second), second
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    replays = [
        [p.get("value") for p in case.iter("property") if p.get("name") == "replay"]
        for case in cases
    ]
    assert len(replays) == 2
    assert replays[0], "the failed attempt keeps its replay line"
    assert replays[1] == [], "the passing attempt is no failure"
