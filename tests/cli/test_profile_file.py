"""Profile files (PROTOCOL.md: a vendor overrides the defaults "in a profile file"): loading
and checking them, the ``profile`` commands, and every suite run under one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from harness.cli import app
from harness.errors import ConfigError
from harness.profile_file import (
    FIELDS,
    dump_profile,
    load_profile,
    profile_from_mapping,
    profile_overrides,
)
from harness.protocol import DEFAULT_PROFILE, parse_version
from harness.run import RunOptions, run_suites
from tests.cli.test_cli_serve import start, stop, trust_a_free_port

runner = CliRunner()
BIN = Path(sys.executable).parent / "vneid-harness"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "vendor-profile.yaml"


def test_the_example_changes_every_field() -> None:
    profile = load_profile(EXAMPLE)
    changed = profile_overrides(profile)
    assert {name.split(".")[0] for name in changed} == set(FIELDS)
    assert profile.vneid_min_version == parse_version("2.3.0")
    assert profile.callback_custom == "bank-app://oauth/vneid/return"
    assert profile.authorize_link_https == "https://id.bank.example/oidc/authorize"
    # store links: the entries given replace their app and platform only
    assert profile.store_link("vneid", "android") == (
        "https://play.google.com/store/apps/details?id=vn.example.id"
    )
    assert profile.store_link("vneid", "ios") == DEFAULT_PROFILE.store_link("vneid", "ios")


def test_the_printed_defaults_read_back_as_the_defaults(tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", "default"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "defaults.yaml"
    path.write_text(result.output)
    assert load_profile(path) == DEFAULT_PROFILE
    assert dump_profile() == result.output
    assert profile_overrides(load_profile(path)) == {}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.yaml", "code_ttl: 30\nscope: openid\n"),
        ("p.yml", "code_ttl: 30\nscope: openid\n"),
        ("p.json", '{"code_ttl": 30, "scope": "openid"}'),
        ("p.toml", 'code_ttl = 30\nscope = "openid"\n'),
    ],
)
def test_yaml_json_and_toml(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert load_profile(path) == DEFAULT_PROFILE.evolve(code_ttl=30, scope="openid")


def test_a_yaml_merge_key_is_read(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text("<<: {code_ttl: 30}\nscope: openid\n")
    assert load_profile(path) == DEFAULT_PROFILE.evolve(code_ttl=30, scope="openid")


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing changed\n")
    assert load_profile(path) == DEFAULT_PROFILE


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ({"code_tl": 30}, "unknown field 'code_tl'; did you mean 'code_ttl'?"),
        ({"colour": 1}, "unknown field 'colour'; fields: vneid_min_version"),
        ([1, 2], "a profile file is a mapping of field names to values (got a list)"),
        ("text", "(got a string)"),
        ({"code_ttl": 0}, "code_ttl: must be a whole number of seconds from 1 to 31536000, got 0"),
        ({"code_ttl": True}, "code_ttl: must be a whole number of seconds"),
        ({"code_ttl": 1.5}, "code_ttl: must be a whole number of seconds"),
        ({"clock_skew": -1}, "clock_skew: must be a whole number of seconds from 0 to 60 (R-8"),
        ({"clock_skew": 61}, "clock_skew: must be a whole number of seconds from 0 to 60 (R-8"),
        (
            {"id_token_ttl": 601},
            "id_token_ttl: must be a whole number of seconds from 1 to 600 (T-3",
        ),
        ({"callback_path": "/" + "a" * 200}, "callback_path: must be a path"),
        ({"callback_path": "/a:b/callback"}, "no ':', '@' or '%'"),
        ({"authorize_path": "/u@h/authorize"}, "no ':', '@' or '%'"),
        ({"authorize_path": "/%41/authorize"}, "no ':', '@' or '%'"),
        ({"scope": "openid " + "x " * 300}, "at most 500 characters"),
        ({"vneid_link_host": "a" * 254}, "vneid_link_host: must be a host name"),
        ({"code_ttl": {"a": [[[["deep"] * 5000]]]}}, "code_ttl: must be a whole number"),
        (
            {"vneid_min_version": 2.1},
            "vneid_min_version: must be a string, got a number 2.1; quote it",
        ),
        ({"vssid_min_version": "1.06.7"}, "vssid_min_version: not a version (V-1)"),
        ({"vneid_scheme": "Vneid"}, "vneid_scheme: must be a URI scheme in lower case"),
        ({"vneid_scheme": "vneid://"}, "vneid_scheme: must be a URI scheme"),
        ({"vssid_scheme": "vneid"}, "vneid_scheme and vssid_scheme are both 'vneid'"),
        ({"vssid_scheme": "https"}, "cannot be http or https"),
        ({"vneid_link_host": "vneid.test:443"}, "vneid_link_host: must be a host name"),
        ({"vssid_link_host": "vneid.test"}, "vneid_link_host and vssid_link_host are both"),
        ({"authorize_path": "authorize"}, "authorize_path: must be a path such as '/authorize'"),
        ({"callback_path": "/cb?x=1"}, "callback_path: must be a path"),
        ({"callback_path": "/a//b"}, "no empty segment"),
        ({"vssid_client_id": "a b"}, "vssid_client_id: must be 1-128 visible ASCII characters"),
        ({"vssid_client_id": ""}, "vssid_client_id: must be 1-128"),
        ({"scope": "profile"}, "'openid' among them (A-2)"),
        ({"scope": "openid  profile"}, "separated by single spaces"),
        ({"store_links": ["x"]}, "store_links: must map an app (vneid, vssid)"),
        ({"store_links": {"zalo": {}}}, "store_links: unknown app 'zalo'"),
        (
            {"store_links": {"vneid": {"windows": "https://x.example"}}},
            "unknown platform 'windows'",
        ),
        (
            {"store_links": {"vneid": {"ios": "http://x.example"}}},
            "store_links.vneid.ios: must be an https URL of the store listing (§10)",
        ),
        ({"store_links": {"vneid": "https://x.example"}}, "store_links.vneid: must map a platform"),
        # a store listing is public; every 426 and report would show the password
        (
            {"store_links": {"vneid": {"ios": "https://u:s3cretpw@x.example/app"}}},
            "store_links.vneid.ios: a store listing is public; give its URL without user:password@",
        ),
    ],
)
def test_bad_values_name_the_field_and_what_to_write(document: object, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        profile_from_mapping(document, source="vendor.yaml")
    assert str(caught.value).startswith("vendor.yaml: ")
    assert said in str(caught.value)
    assert "s3cretpw" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("p.ini", "x", "a profile file ends in .yaml, .yml, .json or .toml"),
        ("p.yaml", "[unclosed", "not valid YAML"),
        ("p.json", "{", "not valid JSON"),
        ("p.toml", "x = ", "not valid TOML"),
        ("p.yaml", b"\xff\xfe", "cannot read the profile file"),
        ("p.yaml", "a: " + "[" * 5000, "not valid YAML"),
        ("p.yaml", "x" * (65 * 1024), "larger than 64 KiB; is this the right file?"),
        ("p.yaml", "a: &a [1, 2]\nb: *a\n", "aliases (*name) are not allowed in a profile file"),
        ("p.yaml", "code_ttl: 30\ncode_ttl: 40\n", "the key 'code_ttl' is given twice"),
        (
            "p.json",
            '{"code_ttl": "x", "code_ttl": 30}',
            "the key 'code_ttl' is given twice in one object",
        ),
        ("p.toml", "code_ttl = 30\ncode_ttl = 40\n", "not valid TOML"),
        ("p.yaml", "scope: openid\n[x\n", "not valid YAML: line 3, column 1: "),
        # Python's own words ended in "use sys.set_int_max_str_digits()", not the user's to do
        (
            "p.toml",
            "code_ttl = " + "9" * 5000 + "\n",
            "not valid TOML: a number has more than 4300 digits; no field takes one that long",
        ),
    ],
)
def test_unreadable_files_are_one_line_errors(
    tmp_path: Path, name: str, content: str | bytes, said: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    assert said in str(caught.value)
    assert "\n" not in str(caught.value), "one line"
    with pytest.raises(ConfigError, match="cannot read"):
        load_profile(tmp_path / "absent.yaml")


def test_paths_may_end_in_a_slash_and_hold_percent_encoded_segments() -> None:
    profile = profile_from_mapping(
        {"authorize_path": "/authorize/", "callback_path": "/cb/vneid%20return/"}
    )
    assert profile.authorize_link_custom == "vneid://authorize/"
    assert profile.callback_custom == "vssid://cb/vneid%20return/"


def test_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    for name in ("p.json", "p.yaml"):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + b'{"code_ttl": 30}')
        assert load_profile(path).code_ttl == 30


def test_a_device_or_a_folder_is_not_read(tmp_path: Path) -> None:
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_profile(zero)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_profile(folder)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join([*lines, "code_ttl: *i"]) + "\n")
    with pytest.raises(ConfigError, match="aliases"):
        load_profile(path)


def test_profile_check_lists_the_changed_defaults(tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", "check", str(EXAMPLE)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "vssid_client_id" in result.output
    assert "bank-client" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("code_ttl: never\n")
    result = runner.invoke(app, ["profile", "check", str(bad)], env={"COLUMNS": "250"})
    assert result.exit_code == 2
    assert "code_ttl: must be a whole number of seconds" in result.output


def test_pytest_refuses_a_bad_profile_before_any_test(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("scope: profile\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "--protocol-profile",
            str(bad),
            "scenarios/test_happy_path.py",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLE.parents[2],
        check=False,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout[-2000:]
    assert "--protocol-profile: " in done.stderr
    assert "'openid' among them (A-2)" in done.stderr


OTHER_LIFETIMES = Path(__file__).resolve().parent / "profiles" / "other-lifetimes-and-stores.yaml"


def test_every_suite_passes_under_a_vendor_profile(tmp_path: Path) -> None:
    """All suites on the embedded mocks, which follow the profile as the suites expect: every
    check reads the run's profile (versions, links, client id, scope, lifetimes, store
    links), not PROTOCOL.md's defaults."""
    console = Console(record=True, width=200)
    options = RunOptions(out=tmp_path / "out", profile=EXAMPLE, workers=1)
    status = run_suites(options, console)
    text = console.export_text()
    assert status == 0, text[-4000:]
    verdict = json.loads(options.result_file.read_text())
    assert verdict["ok"] is True
    assert verdict["counts"]["FAILED"] == 0
    assert verdict["counts"]["PASSED"] > 500
    assert verdict["target"]["profile"] == str(EXAMPLE)
    assert verdict["target"]["profile_overrides"]["vssid_client_id"] == "bank-client"
    page = options.result_file.with_suffix(".html").read_text()
    assert "vssid_client_id = bank-client" in page


def test_every_scenario_follows_the_profiles_lifetimes(tmp_path: Path) -> None:
    """Code, token, session and transaction lifetimes longer and shorter than PROTOCOL.md's,
    another clock skew, listings in other stores: the expiry checks move with them
    (code_ttl + 1, not 61), the store checks expect the profile's stores."""
    console = Console(record=True, width=200)
    options = RunOptions(
        out=tmp_path / "out",
        profile=OTHER_LIFETIMES,
        workers=1,
        paths=[str(EXAMPLE.parents[2] / "scenarios")],
        keyword="not properties",
    )
    status = run_suites(options, console)
    text = console.export_text()
    assert status == 0, text[-4000:]
    verdict = json.loads(options.result_file.read_text())
    assert verdict["counts"]["FAILED"] == 0
    assert verdict["counts"]["PASSED"] > 500
    assert verdict["target"]["profile_overrides"]["clock_skew"] == "5"


def test_a_served_provider_and_the_plan_follow_the_same_profile(tmp_path: Path) -> None:
    """``serve --protocol-profile`` and ``conformance --protocol-profile`` agree; without
    the profile, the plan expects the defaults and the served provider is found wrong."""
    served = start("--protocol-profile", str(EXAMPLE))
    env = {"COLUMNS": "200", "PATH": "/usr/bin"}
    try:
        agreed = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--no-report",
                "--plan",
                "vneid-provider",
                "--vneid-url",
                served.vneid,
                "--protocol-profile",
                str(EXAMPLE),
                "--out",
                str(tmp_path / "agreed"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            check=False,
        )
        assert agreed.returncode == 0, agreed.stdout[-3000:]
        verdict = json.loads((tmp_path / "agreed" / "conformance-vneid-provider.json").read_text())
        assert verdict["target"]["profile_overrides"]["callback_path"] == "/oauth/vneid/return"
        default = subprocess.run(
            [
                str(BIN),
                "run",
                "--vneid-url",
                served.vneid,
                "-k",
                "happy",
                "--no-report",
                "--out",
                str(tmp_path / "default"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            check=False,
        )
        assert default.returncode == 1, default.stdout[-3000:]
    finally:
        stop(served)


def test_serve_refuses_a_bad_profile() -> None:
    result = runner.invoke(app, ["serve", "--protocol-profile", "absent.yaml"])
    assert result.exit_code == 2
    assert "absent.yaml: cannot read the profile file" in result.output


def test_a_served_relying_party_and_the_plan_follow_the_same_profile(tmp_path: Path) -> None:
    """Plan vssid-relying-party against a VssID served with the profile: the harness VNeID it
    trusts (served by ``conformance``) registers the profile's client and callback too."""
    served = start("--protocol-profile", str(EXAMPLE))
    try:
        port = trust_a_free_port(served)
        done = subprocess.run(
            [
                str(BIN),
                "conformance",
                "--no-report",
                "--plan",
                "vssid-relying-party",
                "--vssid-url",
                served.vssid,
                "--serve-vneid-port",
                str(port),
                "--protocol-profile",
                str(EXAMPLE),
                "--out",
                str(tmp_path / "r"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env={"COLUMNS": "200", "PATH": "/usr/bin"},
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:]
        verdict = json.loads((tmp_path / "r" / "conformance-vssid-relying-party.json").read_text())
        assert verdict["counts"]["PASSED"] > 50
        assert verdict["target"]["profile_overrides"]["vssid_scheme"] == "bank-app"
    finally:
        stop(served)
