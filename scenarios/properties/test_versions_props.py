"""V-1…V-3 as properties: generated versions parse back to themselves, order as a total order
agreeing with V-2, and anything malformed is refused with ``app_version_invalid``, never a
crash, by the parser and by both providers' version gates (V-4, V-5).

The reference below is written from PROTOCOL.md and SemVer 2.0 §9–§11 by hand, not from the
harness's regular expression, so the two can disagree.
"""

from __future__ import annotations

import functools
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocol import (
    DEFAULT_PROFILE,
    Version,
    VersionError,
    parse_version,
    require_min_version,
)
from harness.protocol.versions import MAX_VERSION_LENGTH
from harness.targets import Target, embedded_target
from scenarios.properties.profiles import active_settings

SETTINGS = active_settings()
ALNUM = string.ascii_letters + string.digits
IDENT_CHARS = ALNUM + "-"


# -- the reference (V-1, V-2, SemVer 2.0) --------------------------------------------------
def _numeric(part: str) -> bool:
    """A decimal number without leading zeros (``0`` itself allowed)."""
    return part != "" and all(c in string.digits for c in part) and (part == "0" or part[0] != "0")


def ref_parse(text: object) -> tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]] | None:
    """``(components, prerelease, build)`` when ``text`` is a V-1 version, else None."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_VERSION_LENGTH:
        return None
    rest, _, build_text = text.partition("+")
    if "+" in build_text:
        return None
    core_text, dash, pre_text = rest.partition("-")
    core = core_text.split(".")
    if not 1 <= len(core) <= 4 or not all(_numeric(c) for c in core):
        return None
    pre: tuple[str, ...] = ()
    if dash:
        pre = tuple(pre_text.split("."))
        for ident in pre:
            if ident == "" or any(c not in IDENT_CHARS for c in ident):
                return None
            if all(c in string.digits for c in ident) and not _numeric(ident):
                return None  # SemVer §9: numeric identifiers have no leading zeros
    build: tuple[str, ...] = ()
    if "+" in text:
        build = tuple(build_text.split("."))
        if any(ident == "" or any(c not in IDENT_CHARS for c in ident) for ident in build):
            return None
    return tuple(int(c) for c in core), pre, build


def ref_key(text: str) -> tuple[Any, ...]:
    """V-2: numeric per component with missing ones zero, a pre-release below its release,
    identifiers numeric-below-alphanumeric and shorter-list-first (SemVer §11), build
    ignored."""
    parsed = ref_parse(text)
    assert parsed is not None
    core, pre, _ = parsed
    padded = tuple(core) + (0,) * (4 - len(core))
    ids = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre)
    return padded, 0 if pre else 1, ids


# -- strategies ----------------------------------------------------------------------------
numbers = st.one_of(st.integers(0, 12), st.integers(0, 10**6))
numeric_ids = numbers.map(str)
alnum_ids = st.text(IDENT_CHARS, min_size=1, max_size=6).filter(
    lambda s: not all(c in string.digits for c in s)
)
build_ids = st.text(IDENT_CHARS, min_size=1, max_size=6)


@st.composite
def versions(draw: st.DrawFn) -> str:
    """A V-1 version as text: 1–4 components, maybe a pre-release, maybe build metadata."""
    core = draw(st.lists(numbers, min_size=1, max_size=4))
    text = ".".join(map(str, core))
    if draw(st.booleans()):
        text += "-" + ".".join(draw(st.lists(numeric_ids | alnum_ids, min_size=1, max_size=3)))
    if draw(st.booleans()):
        text += "+" + ".".join(draw(st.lists(build_ids, min_size=1, max_size=3)))
    return text[:MAX_VERSION_LENGTH] if ref_parse(text[:MAX_VERSION_LENGTH]) else "1.0.0"


MALFORMED_EDITS = {
    "leading zero": lambda v: "0" + v if v[0] != "0" else "00" + v,
    "prefix v": lambda v: "v" + v,
    "empty component": lambda v: v.replace(".", "..", 1) if "." in v else v + "..1",
    "five components": lambda v: "1.2.3.4.5" + v[len(v.split("-")[0].split("+")[0]) :],
    "leading space": lambda v: " " + v,
    "trailing newline": lambda v: v + "\n",
    "empty pre-release": lambda v: v.split("+")[0].split("-")[0] + "-",
    "empty build": lambda v: v.split("+")[0] + "+",
    "pre-release with a leading zero": lambda v: v.split("+")[0].split("-")[0] + "-01",
    "fullwidth digit": lambda v: v.replace(v[0], "\uff12", 1),
    "arabic-indic digit": lambda v: "\u0662" + v[1:],
    "over 64 characters": lambda v: v.split("+")[0] + "+" + "b" * MAX_VERSION_LENGTH,
    "comma separated": lambda v: v.replace(".", ",") if "." in v else v + ",0",
}


# -- V-1 -----------------------------------------------------------------------------------
@pytest.mark.clause("V-1")
@SETTINGS
@given(versions())
def test_a_version_parses_back_to_itself(text: str) -> None:
    """parse(format(v)) == v, and the parts are the ones written."""
    version = parse_version(text)
    assert str(version) == text
    assert parse_version(str(version)) == version
    parsed = ref_parse(text)
    assert parsed is not None
    core, pre, build = parsed
    assert version.components == core
    assert tuple(str(p) for p in version.prerelease) == pre
    assert version.build == build


@pytest.mark.clause("V-1", "V-2")
@SETTINGS
@given(versions(), st.integers(0, 3), build_ids)
def test_missing_components_are_zero_and_build_metadata_is_ignored(
    text: str, pad: int, build: str
) -> None:
    """``2.1`` = ``2.1.0`` = ``2.1.0.0`` (V-1) and ``+build`` changes nothing (V-2)."""
    version = parse_version(text)
    pad = min(pad, 4 - len(version.components))
    core = ".".join([*map(str, version.components), *["0"] * pad])
    pre = "-" + ".".join(map(str, version.prerelease)) if version.prerelease else ""
    other_text = f"{core}{pre}+{build}"
    if len(other_text) <= MAX_VERSION_LENGTH:
        other = parse_version(other_text)
        assert other == version
        assert hash(other) == hash(version)
        assert not other < version
        assert not version < other


# -- V-2 -----------------------------------------------------------------------------------
@pytest.mark.clause("V-2")
@SETTINGS
@given(versions(), versions())
def test_order_agrees_with_the_reference(a: str, b: str) -> None:
    va, vb = parse_version(a), parse_version(b)
    ka, kb = ref_key(a), ref_key(b)
    assert (va < vb) == (ka < kb), (a, b)
    assert (va == vb) == (ka == kb), (a, b)
    assert (va > vb) == (ka > kb), (a, b)
    if va == vb:
        assert hash(va) == hash(vb)


@pytest.mark.clause("V-2")
@SETTINGS
@given(versions(), versions(), versions())
def test_order_is_total(a: str, b: str, c: str) -> None:
    va, vb, vc = parse_version(a), parse_version(b), parse_version(c)
    assert [va < vb, va == vb, va > vb].count(True) == 1
    assert (va <= vb and vb <= va) == (va == vb)
    if va <= vb and vb <= vc:
        assert va <= vc
    assert sorted([va, vb, vc]) == sorted([vc, vb, va])


@pytest.mark.clause("V-2", "P-3")
@SETTINGS
@given(versions(), st.sampled_from(["2.1.0", "1.6.7"]))
def test_the_minimum_check_agrees_with_the_reference(text: str, minimum: str) -> None:
    """P-3 "VNeID app ≥ 2.1.0 and VssID app ≥ 1.6.7": a pre-release of the minimum is below
    it, build metadata does not lift a version over it."""
    _, new_enough = require_min_version(text, minimum)
    assert new_enough == (ref_key(text) >= ref_key(minimum)), (text, minimum)


@pytest.mark.clause("V-2")
@SETTINGS
@given(versions(), st.lists(numeric_ids | alnum_ids, min_size=1, max_size=3))
def test_a_prerelease_sorts_below_its_release(text: str, pre: list[str]) -> None:
    release = text.split("+")[0].split("-")[0]
    candidate = release + "-" + ".".join(pre)
    if len(candidate) <= MAX_VERSION_LENGTH:
        assert parse_version(candidate) < parse_version(release)
        assert not require_min_version(candidate, release)[1]


# -- V-3 -----------------------------------------------------------------------------------
def _refused(text: object) -> VersionError:
    with pytest.raises(VersionError) as info:
        parse_version(text)  # type: ignore[arg-type]
    error = info.value
    assert (error.code, error.clause, error.status) == ("app_version_invalid", "V-3", 400)
    return error


@pytest.mark.clause("V-3")
@SETTINGS
@given(
    st.one_of(
        st.text(max_size=80),
        st.text(alphabet=string.digits + ".-+" + "v0a\uff10 ", max_size=20),
        st.from_regex(r"[0-9.]{1,12}(-[0-9A-Za-z.-]{0,8})?(\+[0-9A-Za-z.-]{0,8})?", fullmatch=True),
    )
)
def test_any_text_is_parsed_exactly_when_v1_allows_it(text: str) -> None:
    """Whatever the text: a Version exactly when the reference accepts it, otherwise
    ``app_version_invalid`` (V-3) — never another exception."""
    if ref_parse(text) is None:
        _refused(text)
    else:
        assert str(parse_version(text)) == text


@pytest.mark.clause("V-3")
@SETTINGS
@given(versions(), st.sampled_from(sorted(MALFORMED_EDITS)))
def test_generated_malformed_versions_are_refused(text: str, edit: str) -> None:
    bad = MALFORMED_EDITS[edit](text)
    if ref_parse(bad) is None:  # an edit may land on something valid ("1" + "0"): skip it
        _refused(bad)


@pytest.mark.clause("V-3")
@SETTINGS
@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.binary(max_size=8),
        st.floats(),
        st.lists(st.integers(), max_size=3),
    )
)
def test_a_missing_or_non_text_version_is_refused(value: object) -> None:
    _refused(value)


# -- V-3, V-4, V-5 at the providers' gates --------------------------------------------------
@functools.cache
def _target() -> Target:
    return embedded_target(seed="properties/versions")


def _status(app: str, header: str | None) -> tuple[int, dict[str, Any]]:
    target = _target()
    headers = {"X-Device-Platform": "android"}
    name = "X-VssID-App-Version" if app == "vssid" else "X-VNeID-App-Version"
    if header is not None:
        headers[name] = header
    handle = target.vssid if app == "vssid" else target.vneid
    path = "/api/v1/auth/vneid/start" if app == "vssid" else "/api/app/v1/sessions"
    body = {} if app == "vssid" else {"personal_id": "001099012345", "passcode": "000000"}
    with handle.client() as http:
        response = http.post(path, headers=headers, json=body)
    return response.status_code, response.json()


header_text = st.text(alphabet=string.printable.strip() + " ", max_size=70).map(str.strip)


@st.composite
def malformed_headers(draw: st.DrawFn) -> str:
    """A valid version edited into a malformed one that still fits in an HTTP header."""
    edits = [
        e
        for e in sorted(MALFORMED_EDITS)
        if e not in ("trailing newline", "leading space", "fullwidth digit", "arabic-indic digit")
    ]
    return str(MALFORMED_EDITS[draw(st.sampled_from(edits))](draw(versions())))


@pytest.mark.usefixtures("embedded_only")
@pytest.mark.clause("V-3", "V-4", "V-5")
@SETTINGS
@given(st.sampled_from(["vssid", "vneid"]), st.one_of(versions(), header_text, malformed_headers()))
def test_both_gates_admit_exactly_the_versions_at_or_above_their_minimum(
    app: str, header: str
) -> None:
    """V-4/V-5: below the minimum is 426 ``app_update_required`` with the store link; V-3:
    malformed is 400 ``app_version_invalid``; only a well-formed version at or above the
    minimum gets past the gate (VNeID then answers the unknown citizen's login, A-4)."""
    status, body = _status(app, header)
    minimum = str(DEFAULT_PROFILE.min_version("vssid" if app == "vssid" else "vneid"))
    if ref_parse(header) is None:
        assert (status, body.get("error"), body.get("clause")) == (
            400,
            "app_version_invalid",
            "V-3",
        ), (header, body)
    elif ref_key(header) < ref_key(minimum):
        clause = "V-4" if app == "vssid" else "V-5"
        assert (status, body.get("error"), body.get("clause")) == (
            426,
            "app_update_required",
            clause,
        ), (header, body)
        store = DEFAULT_PROFILE.store_link("vssid" if app == "vssid" else "vneid", "android")
        assert body.get("store_url") == store
    else:
        assert status == (200 if app == "vssid" else 401), (header, body)


@pytest.mark.clause("V-1", "V-2", "V-3")
def test_the_reference_agrees_with_protocol_md_examples() -> None:
    """The reference itself on PROTOCOL.md's own examples (V-1…V-3)."""
    assert ref_parse("2.1") is not None
    assert ref_key("2.1") == ref_key("2.1.0.0")
    assert ref_key("2.10.0") > ref_key("2.9.9")
    assert ref_key("2.1.0-rc.1") < ref_key("2.1.0")
    for bad in ("v2.1.0", "2..1", "02.1.0", "", "1" * 65):
        assert ref_parse(bad) is None
    assert isinstance(parse_version("2.1.0"), Version)
