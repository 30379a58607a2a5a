"""The profile: PROTOCOL.md's defaults (minimum versions, links, lifetimes, store links).

"Parameter names, paths, lifetimes and store links below are the profile's defaults. A vendor
whose real integration differs overrides them in a profile file; the clauses stay the same."
Minimum versions are configuration, not constants in code (V-6): everything reads them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from harness.protocol.paths import AUTHORIZE
from harness.protocol.versions import Version, parse_version

__all__ = [
    "ACR_LEVEL1",
    "ACR_LEVEL2",
    "APP_IDS",
    "DEFAULT_PROFILE",
    "PLATFORMS",
    "AppId",
    "Platform",
    "Profile",
    "acr_for_level",
    "level_for_acr",
]

Platform = Literal["ios", "android"]
AppId = Literal["vneid", "vssid"]
PLATFORMS: tuple[Platform, ...] = ("ios", "android")
APP_IDS: tuple[AppId, ...] = ("vneid", "vssid")

ACR_LEVEL1 = "urn:vneid:loa:1"
ACR_LEVEL2 = "urn:vneid:loa:2"
_ACR_BY_LEVEL = {1: ACR_LEVEL1, 2: ACR_LEVEL2}


def acr_for_level(level: int) -> str:
    """The acr value of an identity level (§1)."""
    return _ACR_BY_LEVEL[level]


def level_for_acr(acr: object) -> int | None:
    """The identity level an acr value stands for, or ``None`` for an unknown value."""
    for level, value in _ACR_BY_LEVEL.items():
        if acr == value:
            return level
    return None


_STORE_LINKS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "vneid": MappingProxyType(
            {
                "ios": "https://apps.apple.com/vn/app/vneid/id1582750311",
                "android": "https://play.google.com/store/apps/details?id=com.vnid",
            }
        ),
        "vssid": MappingProxyType(
            {
                "ios": "https://apps.apple.com/vn/app/vssid-bao-hiem-xa-hoi-so/id1521647442",
                "android": "https://play.google.com/store/apps/details?id=com.bhxhapp",
            }
        ),
    }
)


@dataclass(frozen=True)
class Profile:
    """Everything PROTOCOL.md calls a default. Frozen: derive variants with :meth:`evolve`."""

    vneid_min_version: Version = field(default_factory=lambda: parse_version("2.1.0"))
    vssid_min_version: Version = field(default_factory=lambda: parse_version("1.6.7"))
    vneid_scheme: str = "vneid"
    vneid_link_host: str = "vneid.test"
    vssid_scheme: str = "vssid"
    vssid_link_host: str = "vssid.test"
    authorize_path: str = AUTHORIZE
    callback_path: str = "/auth/vneid/callback"
    vssid_client_id: str = "vssid"
    scope: str = "openid profile"
    code_ttl: int = 60
    id_token_ttl: int = 600
    access_token_ttl: int = 600
    transaction_ttl: int = 600
    vneid_session_ttl: int = 900
    vssid_session_ttl: int = 3600
    clock_skew: int = 60
    store_links: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _STORE_LINKS)

    # -- links -------------------------------------------------------------------------
    @property
    def authorize_link_custom(self) -> str:
        """``vneid://authorize`` (A-1)."""
        return f"{self.vneid_scheme}:/{self.authorize_path}"

    @property
    def authorize_link_https(self) -> str:
        """``https://vneid.test/authorize``: the claimed https form (A-1)."""
        return f"https://{self.vneid_link_host}{self.authorize_path}"

    @property
    def callback_custom(self) -> str:
        """``vssid://auth/vneid/callback`` (A-6)."""
        return f"{self.vssid_scheme}:/{self.callback_path}"

    @property
    def callback_https(self) -> str:
        """``https://vssid.test/auth/vneid/callback``: the claimed https form (A-6)."""
        return f"https://{self.vssid_link_host}{self.callback_path}"

    @property
    def vssid_redirect_uris(self) -> tuple[str, str]:
        """The two redirect URIs the ``vssid`` client has registered (§11 defaults)."""
        return (self.callback_custom, self.callback_https)

    def min_version(self, app: AppId) -> Version:
        return self.vneid_min_version if app == "vneid" else self.vssid_min_version

    def store_link(self, app: AppId, platform: str | None) -> str | None:
        """The store listing of ``app`` for ``platform`` (§10), ``None`` for an unknown one."""
        if platform is None:
            return None
        return self.store_links.get(app, {}).get(platform)

    def store_origin(self, app: AppId, platform: str | None) -> str | None:
        """``https://apps.apple.com/`` …: the origin of :meth:`store_link` (the listing's own
        path is a provider's choice; the store is the platform's, P-3), ``None`` for an
        unknown platform."""
        link = self.store_link(app, platform)
        if link is None:
            return None
        parts = urlsplit(link)
        return f"{parts.scheme}://{parts.netloc}/"

    def evolve(self, **changes: Any) -> Profile:
        """A copy with ``changes``; version strings are parsed (V-1)."""
        for name in ("vneid_min_version", "vssid_min_version"):
            if isinstance(changes.get(name), str):
                changes[name] = parse_version(changes[name])
        return replace(self, **changes)


DEFAULT_PROFILE = Profile()
