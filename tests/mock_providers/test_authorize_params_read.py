"""The property suites' "unknown" authorization parameters are unknown to VNeID: every
parameter its authorization endpoint reads is in ``READ_BY_VNEID``, which they leave out (an
extra ``response_mode=0`` was refused with invalid_request, and the property test of state
round trips failed on it now and then)."""

from __future__ import annotations

import re
from pathlib import Path

import mock_providers.vneid.authorize as authorize
from scenarios.properties.test_links_props import READ_BY_VNEID

_READ = re.compile(r"""given\.get\(\s*["']([^"']+)["']|["']([^"']+)["']\s+in\s+given\b""")


def test_every_parameter_vneid_reads_is_reserved_from_the_extras() -> None:
    source = Path(authorize.__file__).read_text(encoding="utf-8")
    read = {a or b for a, b in _READ.findall(source)}
    assert {"redirect_uri", "response_mode", "max_age"} <= read, "the pattern finds the reads"
    assert read <= set(READ_BY_VNEID), sorted(read - set(READ_BY_VNEID))
