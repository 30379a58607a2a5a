"""The version-gate scenarios' cases (scenarios/version_cases.py): PROTOCOL.md's defaults give
exactly the versions the scenarios checked before they followed the run's profile, and any
other minimum gives versions on the promised side of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocol import DEFAULT_PROFILE, Version, parse_version
from scenarios.test_versions import VNEID_NEW_ENOUGH, VNEID_TOO_OLD, VSSID_NEW_ENOUGH, VSSID_TOO_OLD
from scenarios.version_cases import MALFORMED_CASES, NEW_ENOUGH_CASES, TOO_OLD_CASES, version_case


def test_the_defaults_give_the_versions_of_protocol_md() -> None:
    cases = {
        ("vssid", tuple(VSSID_NEW_ENOUGH)): [
            "1.6.7",
            "1.6.10",
            "1.7",
            "1.6.7+build.5",
            "2.0",
            "1.7.0-beta.1",
            "1.6.7+" + "b" * 58,
        ],
        ("vssid", tuple(VSSID_TOO_OLD)): [
            "1.6.6",
            "1.6.7-beta.1",
            "1.6",
            "0.9.99",
            "1.6.6+build.5",
        ],
        ("vneid", tuple(VNEID_NEW_ENOUGH)): [
            "2.1.0",
            "2.1",
            "2.10.0",
            "2.1.0.1",
            "2.1.0+77",
            "2.2.0-beta.1",
            "2.1.0+" + "b" * 58,
        ],
        ("vneid", tuple(VNEID_TOO_OLD)): [
            "2.0.9",
            "2.1.0-rc.1",
            "2.0",
            "1.99.99",
            "2.0.99+build.5",
        ],
    }
    for (app, kinds), expected in cases.items():
        assert [version_case(DEFAULT_PROFILE, app, k) for k in kinds] == expected
    assert len(version_case(DEFAULT_PROFILE, "vssid", "minimum-64-chars")) == 64  # V-3's most
    assert [version_case(DEFAULT_PROFILE, "vneid", k) for k in MALFORMED_CASES] == [
        "v2.1.0",
        "02.1.0",
        "2.1.0+",
    ]


_minimums = st.builds(
    lambda parts, pre: Version(tuple(parts), pre),
    st.lists(st.integers(0, 120), min_size=1, max_size=4),
    st.sampled_from([(), ("rc", 2), ("alpha",), (3,)]),
).filter(lambda v: v > Version((0,), (0,)))


@given(_minimums, st.sampled_from([*NEW_ENOUGH_CASES, *TOO_OLD_CASES, *MALFORMED_CASES]))
def test_every_case_is_on_its_side_of_any_minimum(minimum: Version, kind: str) -> None:
    profile = DEFAULT_PROFILE.evolve(vssid_min_version=minimum)
    text = version_case(profile, "vssid", kind)  # asserts its own promise
    if kind in NEW_ENOUGH_CASES:
        assert parse_version(text) >= minimum
    elif kind in TOO_OLD_CASES:
        assert parse_version(text) < minimum


def test_a_minimum_with_nothing_below_it_says_so() -> None:
    profile = DEFAULT_PROFILE.evolve(vssid_min_version="0.0.0-0")
    with pytest.raises(AssertionError, match="has no version below it"):
        version_case(profile, "vssid", "lower-patch")
