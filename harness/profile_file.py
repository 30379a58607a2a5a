"""Profile files: a vendor's overrides of PROTOCOL.md's defaults.

"Parameter names, paths, lifetimes and store links below are the profile's defaults. A vendor
whose real integration differs overrides them in a profile file; the clauses stay the same."

A profile file is a YAML, JSON or TOML mapping (by extension) of :class:`Profile` field names
to values; a field it does not name keeps its default, and ``store_links`` entries replace the
default of their app and platform only. Every value is checked here, before any provider or
test starts, so a mistake is one line naming the file, the field and what to write instead::

    # vendor-profile.yaml
    vneid_min_version: "2.3.0"
    vssid_scheme: vssid-bank
    callback_path: /oauth/vneid/return
    code_ttl: 30
    store_links:
      vneid: {android: "https://play.google.com/store/apps/details?id=vn.example.id"}

``vneid-harness profile default`` prints every field with its default, as a starting point;
``vneid-harness profile check FILE`` validates a file.
"""

from __future__ import annotations

import difflib
import os
import re
import reprlib
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from harness import strict_yaml
from harness.errors import ConfigError, parse_problem
from harness.protocol import DEFAULT_PROFILE, Profile, ProtocolError, parse_version, strict_json
from harness.protocol.profile import APP_IDS, PLATFORMS
from harness.protocol.redaction import redact_url
from harness.text_files import UnreadableFile, read_text_file

__all__ = [
    "FIELDS",
    "dump_profile",
    "load_profile",
    "profile_as_text",
    "profile_from_mapping",
    "profile_overrides",
]

FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Profile))
"""The field names a profile file may hold."""

_MAX_FILE_BYTES = 64 * 1024
_MAX_TTL = 365 * 24 * 3600
_MAX_ID_TOKEN_TTL = 600  # T-3: "exp (≤ 10 min)"
_MAX_SKEW = 60  # "with ≤ 60 s skew"
_MAX_PATH = 200
_MAX_SCOPE = 500
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,62}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")
_FIRST = r"[A-Za-z0-9._~!$&'()*+,;=-]+"  # the custom link's authority: no ':', '@' or '%'
_SEGMENT = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+"
_PATH = re.compile(rf"/{_FIRST}(?:/{_SEGMENT})*/?")
_CLIENT_ID = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,128}")  # visible ASCII but " and \
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3 scope-token
_PATH_RULE = (
    "a path such as '{example}' of at most 200 characters: '/' and segments "
    "(percent-encoded where needed), no query, no fragment, no empty segment; the "
    "first segment is the custom link's host part (no ':', '@' or '%')"
)
_MAX_LENGTHS = {"authorize_path": _MAX_PATH, "callback_path": _MAX_PATH}
_TTLS = (
    "code_ttl",
    "id_token_ttl",
    "access_token_ttl",
    "transaction_ttl",
    "vneid_session_ttl",
    "vssid_session_ttl",
)


_TEXT_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "vneid_scheme": (_SCHEME, "a URI scheme in lower case, e.g. 'vneid' (RFC 3986 §3.1)"),
    "vssid_scheme": (_SCHEME, "a URI scheme in lower case, e.g. 'vssid' (RFC 3986 §3.1)"),
    "vneid_link_host": (_HOST, "a host name in lower case, e.g. 'vneid.test'"),
    "vssid_link_host": (_HOST, "a host name in lower case, e.g. 'vssid.test'"),
    "authorize_path": (_PATH, _PATH_RULE.format(example="/authorize")),
    "callback_path": (_PATH, _PATH_RULE.format(example="/auth/vneid/callback")),
    "vssid_client_id": (
        _CLIENT_ID,
        "1-128 visible ASCII characters other than '\"' and '\\' (an RFC 6749 client_id)",
    ),
}
"""The pattern each text field must match, and what to write instead."""


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and check a profile file (``.yaml``/``.yml``, ``.json`` or ``.toml``)."""
    p = Path(path)
    kind = _format(p)
    text = _read(p)
    try:
        if kind == "toml":
            document: object = tomllib.loads(text)
        elif kind == "json":
            document = strict_json.loads(text, finite=False)
        else:
            document = strict_yaml.load(text, what="a profile file")
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{p}: not valid {kind.upper()}: {parse_problem(exc)}") from None
    return profile_from_mapping(document, source=str(p))


def _read(path: Path) -> str:
    """The file's text: a regular file (not a device or pipe, which could block or never
    end) of at most 64 KiB, UTF-8 with or without a byte-order mark."""
    try:
        return read_text_file(path, _MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise ConfigError(f"{path}: cannot read the profile file: {exc}") from None


def profile_from_mapping(
    document: object, *, source: str = "profile", base: Profile = DEFAULT_PROFILE
) -> Profile:
    """``base`` with the overrides of ``document`` (a profile file's content), every value
    checked; :class:`ConfigError` names the field and what it must be."""
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise ConfigError(
            f"{source}: a profile file is a mapping of field names to values "
            f"(got {_kind(document)}); fields: {', '.join(FIELDS)}"
        )
    changes: dict[str, Any] = {}
    for key, value in document.items():
        if not isinstance(key, str) or key not in FIELDS:
            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; fields: {', '.join(FIELDS)}"
            raise ConfigError(f"{source}: unknown field {str(key)[:80]!r}{hint}")
        changes[key] = _check(key, value, base, source)
    profile = base.evolve(**changes)
    _check_whole(profile, source)
    return profile


def _check(key: str, value: object, base: Profile, source: str) -> object:
    where = f"{source}: {key}"
    if key == "store_links":
        return _store_links(value, base, where)
    if key in _TTLS or key == "clock_skew":
        low, high, why = _BOUNDS.get(key, (1, _MAX_TTL, ""))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(
                f"{where}: must be a whole number of seconds from {low} to "
                f"{high}{why}, got {_shown(value)}"
            )
        return value
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}: must be a string, got {_kind(value)} {_shown(value)}"
            + ('; quote it, e.g. "2.1.0"' if key.endswith("_version") else "")
        )
    if key.endswith("_min_version"):
        try:
            return parse_version(value)
        except ProtocolError as exc:
            raise ConfigError(f"{where}: not a version (V-1): {exc.description}") from None
    if key == "scope":
        tokens = value.split(" ")
        if (
            len(value) > _MAX_SCOPE
            or "openid" not in tokens
            or not all(_SCOPE_TOKEN.fullmatch(t) for t in tokens)
        ):
            raise ConfigError(
                f"{where}: must be scope tokens separated by single spaces, "
                f"'openid' among them (A-2), at most {_MAX_SCOPE} characters, "
                f"got {_shown(value)}"
            )
        return value
    pattern, what = _TEXT_RULES[key]
    if len(value) > _MAX_LENGTHS.get(key, 253) or not pattern.fullmatch(value):
        raise ConfigError(f"{where}: must be {what}, got {_shown(value)}")
    return value


_BOUNDS: dict[str, tuple[int, int, str]] = {
    "clock_skew": (0, _MAX_SKEW, " (R-8: 'with ≤ 60 s skew')"),
    "id_token_ttl": (1, _MAX_ID_TOKEN_TTL, " (T-3: 'exp (≤ 10 min)')"),
}


def _store_links(value: object, base: Profile, where: str) -> Mapping[str, Mapping[str, str]]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: must map an app ({', '.join(APP_IDS)}) to its links by "
            f"platform ({', '.join(PLATFORMS)}), got {_kind(value)}"
        )
    links = {app: dict(base.store_links.get(app, {})) for app in APP_IDS}
    for app, by_platform in value.items():
        if app not in APP_IDS:
            raise ConfigError(f"{where}: unknown app {str(app)[:40]!r}; apps: {', '.join(APP_IDS)}")
        if not isinstance(by_platform, Mapping):
            raise ConfigError(
                f"{where}.{app}: must map a platform ({', '.join(PLATFORMS)}) "
                f"to an https URL, got {_kind(by_platform)}"
            )
        for platform, url in by_platform.items():
            if platform not in PLATFORMS:
                raise ConfigError(
                    f"{where}.{app}: unknown platform {str(platform)[:40]!r}; "
                    f"platforms: {', '.join(PLATFORMS)}"
                )
            if not _https_url(url):
                raise ConfigError(
                    f"{where}.{app}.{platform}: must be an https URL of the "
                    f"store listing (§10), got {_shown(url)}"
                )
            assert isinstance(url, str)
            if urlsplit(url).password is not None:  # every 426 and report would show it
                raise ConfigError(
                    f"{where}.{app}.{platform}: a store listing is public; give "
                    f"its URL without user:password@, got "
                    f"{_shown(redact_url(url))}"
                )
            links[app][platform] = url
    return MappingProxyType(
        {app: MappingProxyType(by_platform) for app, by_platform in links.items()}
    )


def _https_url(url: object) -> bool:
    if not isinstance(url, str) or len(url) > 2048 or not url.isprintable() or " " in url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def _check_whole(profile: Profile, source: str) -> None:
    """Rules between fields: the two apps' links must not be taken for each other's."""
    if profile.vneid_scheme == profile.vssid_scheme:
        raise ConfigError(
            f"{source}: vneid_scheme and vssid_scheme are both "
            f"{profile.vneid_scheme!r}; each app claims its own scheme (A-3, A-6)"
        )
    if profile.vneid_scheme in ("http", "https") or profile.vssid_scheme in ("http", "https"):
        raise ConfigError(
            f"{source}: an app's custom scheme cannot be http or https; the "
            "claimed https links are vneid_link_host and vssid_link_host"
        )
    if profile.vneid_link_host == profile.vssid_link_host:
        raise ConfigError(
            f"{source}: vneid_link_host and vssid_link_host are both "
            f"{profile.vneid_link_host!r}; each app verifies its own domain"
        )


def dump_profile(profile: Profile = DEFAULT_PROFILE) -> str:
    """``profile`` as a YAML profile file (every field), which :func:`load_profile` reads back
    as the same profile."""
    document: dict[str, object] = {}
    for name in FIELDS:
        value = getattr(profile, name)
        if name == "store_links":
            value = {app: dict(links) for app, links in value.items()}
        elif name.endswith("_min_version"):
            value = str(value)
        document[name] = value
    header = (
        "# A vneid-harness profile file (PROTOCOL.md: a vendor overrides the defaults in a\n"
        "# profile file). Keep the fields your integration changes; delete the rest.\n"
    )
    return header + str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def profile_as_text(profile: Profile) -> dict[str, str]:
    """Every field of ``profile`` as text, store links one per app and platform
    (``store_links.vneid.ios``), in the order of :data:`FIELDS`."""
    text: dict[str, str] = {}
    for name in FIELDS:
        if name == "store_links":
            for app in APP_IDS:
                for platform in PLATFORMS:
                    text[f"store_links.{app}.{platform}"] = str(profile.store_link(app, platform))
        else:
            text[name] = str(getattr(profile, name))
    return text


def profile_overrides(profile: Profile, base: Profile = DEFAULT_PROFILE) -> dict[str, str]:
    """The fields where ``profile`` differs from ``base``, as text (for reports)."""
    defaults = profile_as_text(base)
    return {
        name: value for name, value in profile_as_text(profile).items() if value != defaults[name]
    }


def _format(path: Path) -> Literal["yaml", "json", "toml"]:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".json", ".toml"):
        return "json" if suffix == ".json" else "toml"
    raise ConfigError(f"{path}: a profile file ends in .yaml, .yml, .json or .toml")


def _kind(value: object) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlevel = 2


def _shown(value: object) -> str:
    """``value`` for a message: short, even for a huge or deeply nested one."""
    return _REPR.repr(value)
