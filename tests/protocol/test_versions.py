"""V-1…V-3: version parsing and ordering."""

from __future__ import annotations

import pytest

from harness.protocol import Version, VersionError, parse_version, require_min_version

pytestmark = pytest.mark.clause("V-1", "V-2", "V-3")


@pytest.mark.parametrize(
    ("text", "components", "pre", "build"),
    [
        ("2.1.0", (2, 1, 0), (), ()),
        ("0", (0,), (), ()),
        ("1.6.10.4", (1, 6, 10, 4), (), ()),
        ("2.1.0-rc.1", (2, 1, 0), ("rc", 1), ()),
        ("2.1.0+build.7", (2, 1, 0), (), ("build", "7")),
        ("2.1-beta+exp.sha.5114f85", (2, 1), ("beta",), ("exp", "sha", "5114f85")),
    ],
)
def test_parses_well_formed_versions(
    text: str, components: tuple[int, ...], pre: tuple[object, ...], build: tuple[str, ...]
) -> None:
    v = parse_version(text)
    assert (v.components, v.prerelease, v.build) == (components, pre, build)
    assert str(v) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v2.1.0",
        "2..1",
        "02.1.0",
        "2.01",
        "1.2.3.4.5",
        "2.1.0-",
        "2.1.0+",
        "2.1.0-01",
        "2.1.0-rc..1",
        ".2.1",
        "2.1.",
        " 2.1.0",
        "2.1.0 ",
        "2,1,0",
        "1" * 65,
        "２.１",
        "-1.0",
    ],
)
def test_refuses_malformed_versions_with_app_version_invalid(text: str) -> None:
    with pytest.raises(VersionError) as info:
        parse_version(text)
    assert info.value.code == "app_version_invalid"
    assert info.value.clause == "V-3"
    assert info.value.status == 400


def test_missing_version_is_refused_not_treated_as_new() -> None:
    with pytest.raises(VersionError) as info:
        parse_version(None)
    assert info.value.code == "app_version_invalid"
    assert "missing" in info.value.description


def test_missing_components_are_zero() -> None:
    assert parse_version("2.1") == parse_version("2.1.0") == parse_version("2.1.0.0")
    assert hash(parse_version("2.1")) == hash(parse_version("2.1.0.0"))


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("2.9.9", "2.10.0"),
        ("2.1.0-rc.1", "2.1.0"),
        ("2.1.0-alpha", "2.1.0-alpha.1"),
        ("2.1.0-alpha.1", "2.1.0-alpha.beta"),
        ("2.1.0-1", "2.1.0-alpha"),
        ("2.1.0-beta.2", "2.1.0-beta.11"),
        ("1.6.6", "1.6.7"),
        ("1.6.7", "1.6.10"),
        ("1.6.10", "1.7"),
        ("2.0.9", "2.1.0"),
        ("2.1.0", "2.1.0.1"),
    ],
)
def test_orders_numerically_with_prerelease_below_release(low: str, high: str) -> None:
    assert parse_version(low) < parse_version(high)
    assert parse_version(high) > parse_version(low)


def test_build_metadata_is_ignored() -> None:
    assert parse_version("2.1.0+a") == parse_version("2.1.0+b") == parse_version("2.1.0")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2.0.9", False),
        ("2.1.0", True),
        ("2.1", True),
        ("2.10.0", True),
        ("2.1.0-rc.1", False),
        ("2.1.0+7", True),
    ],
)
def test_minimum_check(text: str, ok: bool) -> None:
    version, new_enough = require_min_version(text, "2.1.0")
    assert isinstance(version, Version)
    assert new_enough is ok
