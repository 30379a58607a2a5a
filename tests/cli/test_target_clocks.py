"""A target whose clock is not the harness's is named before the run (the checks before a
run read its ``Date`` header, RFC 9110 §6.6.1): served 300 s ahead, a provider failed 26
tests of its plan, each with a message naming an ID token's ``iat`` in the future, a client
assertion's ``exp`` in the past or an ``exp`` 899 s away, and no line naming the clocks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from harness.preflight import PreflightTargets, TargetReads, target_warnings
from harness.protocol import OffsetClock
from harness.serve import ServedInThread, build_served


@pytest.fixture(scope="module")
def pair() -> Iterator[PreflightTargets]:
    with ServedInThread(build_served(0, 0)) as served:
        yield PreflightTargets(vneid_url=served.vneid_url, vssid_url=served.vssid_url)


def _clock_lines(targets: PreflightTargets, harness_offset: float) -> list[str]:
    """The clock warnings when this machine's clock reads ``harness_offset`` seconds from
    the targets' (a served pair shares the real clock: moving the harness's moves them the
    other way)."""
    reads = TargetReads(None, clock=OffsetClock(offset=harness_offset))
    return [w for w in target_warnings(targets, reads=reads) if "has a clock" in w]


def _seconds(line: str) -> int:
    found = re.search(r"has a clock (\d+) s (ahead of|behind) this machine's", line)
    assert found, line
    return int(found.group(1))


def test_targets_on_the_harness_clock_get_no_clock_warning(pair: PreflightTargets) -> None:
    assert _clock_lines(pair, 0) == []
    assert _clock_lines(pair, -3) == []  # a whole-second Date and a second's caching


@pytest.mark.parametrize(
    "offset", [-300, 300, -30, 30], ids=["ahead-300", "behind-300", "ahead-30", "behind-30"]
)
def test_a_target_clock_off_by_more_than_five_seconds_is_named(
    pair: PreflightTargets, offset: int
) -> None:
    vneid, vssid = _clock_lines(pair, offset)
    way = "ahead of" if offset < 0 else "behind"
    for name, line in (("VNeID", vneid), ("VssID", vssid)):
        assert line.startswith(f"the {name} at http://127.0.0.1:"), line
        assert f" s {way} this machine's (its Date header: " in line, line
        assert abs(_seconds(line) - abs(offset)) <= 2, line
        assert "R-8" in line, line
        assert line.endswith("(NTP)"), line
    if abs(offset) > 60:
        assert "every login fails at R-8" in (vneid if offset < 0 else vssid)
    else:
        assert "the tests allow it (R-8's 60 s of skew)" in vneid
        assert "accepts it and fails R-8 for the clocks alone" in vssid


def test_a_target_answer_without_a_date_gets_no_clock_warning(pair: PreflightTargets) -> None:
    from harness.preflight import _clock_skew
    from harness.protocol import paths

    reads = TargetReads(None, clock=OffsetClock(offset=-300))
    url = pair.vneid_url or ""
    answer = reads.get(url, paths.HEALTH)
    del answer.headers["date"]
    assert _clock_skew("VNeID", url, reads) is None
    answer.headers["date"] = "yesterday"
    assert _clock_skew("VNeID", url, reads) is None


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 2020 00:00:00 -9999999999999999999999",
        "Mon, 01 Jan 99999999999999999999999 00:00:00 GMT",
        "Mon, 01 Jan 2020 00:00:99999999999999999999999 GMT",
    ],
    ids=["zone", "year", "second"],
)
def test_a_date_of_numbers_no_clock_holds_gets_no_clock_warning(
    pair: PreflightTargets, date: str
) -> None:
    """A vendor's ``Date`` with a 23-digit year, second or zone raised ``OverflowError`` in
    ``email.utils`` (not the ``ValueError`` of a date that is no date): the checks before a
    run stopped with a traceback."""
    from harness.preflight import _clock_skew
    from harness.protocol import paths

    reads = TargetReads(None)
    url = pair.vneid_url or ""
    reads.get(url, paths.HEALTH).headers["date"] = date
    assert _clock_skew("VNeID", url, reads) is None
