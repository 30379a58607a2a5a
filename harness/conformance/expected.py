"""The expected-failures file: deviations a vendor knows about and records, as the OpenID
conformance suite allows. A matching failure is reported as expected and does not fail the
run; an expected failure that passes is reported as an unexpected pass.

Format (YAML or JSON)::

    expected_failures:
      - test: "scenarios/test_tokens.py::test_discovery*"   # glob on the pytest node id
        clause: T-4                                          # a clause the test covers
        status: FAILED                                       # FAILED or WARNING
        reason: "discovery lists plain as well until release 3.2"
        match: "'plain'"                                     # optional: a regular expression
                                                             # the failure message must hold

Without ``match``, any failure of that test on that clause is taken as the known one, a new
fault in the same test included; with it, only a failure whose whole message (pytest's
``AssertionError: …`` with its explanation, line breaks kept) the pattern is found in
(``re.search``). Several entries may name one test, one per known reason: the first whose
status and ``match`` fit takes the failure.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness import strict_yaml
from harness.errors import ConfigError, parse_problem
from harness.protocol import CLAUSES, strict_json
from harness.text_files import UnreadableFile, read_text_file

__all__ = ["ExpectedFailure", "load_expected_failures"]

_STATUSES = ("FAILED", "WARNING")
_KEYS = {"test", "clause", "status", "reason", "match"}


@dataclass(frozen=True)
class ExpectedFailure:
    test: str
    clause: str
    status: str
    reason: str
    match: str | None = None
    """A regular expression the failure's message must hold (``re.search``), if given."""

    def matches(self, nodeid: str, clauses: Sequence[str]) -> bool:
        if self.clause not in clauses:
            return False
        return any(
            fnmatch.fnmatchcase(candidate, self.test)
            for candidate in (nodeid, nodeid.split("/")[-1], f"scenarios/{nodeid}")
        )

    def explains(self, message: str) -> bool:
        """Whether a failure with this message is the one recorded (always, without
        ``match``)."""
        return self.match is None or re.search(self.match, message) is not None

    def to_json(self) -> dict[str, str]:
        out = {
            "test": self.test,
            "clause": self.clause,
            "status": self.status,
            "reason": self.reason,
        }
        if self.match is not None:
            out["match"] = self.match
        return out


def _entry(path: Path, index: int, raw: Any) -> ExpectedFailure:
    where = f"{path}: entry {index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping with {', '.join(sorted(_KEYS))}")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where} has unknown keys {sorted(map(str, unknown))}; allowed: {sorted(_KEYS)}"
        )
    values: dict[str, str] = {}
    for key in ("test", "clause", "reason"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: '{key}' must be a non-empty string")
        values[key] = value.strip()
    status = str(raw.get("status", "FAILED"))
    # any case of the ASCII names ('faıled'.upper() is 'FAILED': a dotless i is no i)
    status = status.upper() if status.isascii() else status
    if status not in _STATUSES:
        raise ConfigError(f"{where}: 'status' must be one of {', '.join(_STATUSES)}")
    if values["clause"] not in CLAUSES:
        raise ConfigError(f"{where}: clause {values['clause']!r} is not in PROTOCOL.md")
    match = raw.get("match")
    if match is not None:
        if not isinstance(match, str) or not match.strip():
            raise ConfigError(
                f"{where}: 'match' must be a non-empty string (a regular "
                "expression the failure message holds), or left out"
            )
        try:
            re.compile(match)
        except re.error as exc:
            raise ConfigError(
                f"{where}: 'match' is not a regular expression: {exc}; escape "
                "characters such as ( [ . * with a backslash"
            ) from None
    return ExpectedFailure(values["test"], values["clause"], status, values["reason"], match)


MAX_FILE_BYTES = 4 * 1024 * 1024
"""The largest expected-failures file read (thousands of entries)."""


def load_expected_failures(path: Path) -> list[ExpectedFailure]:
    """Read and validate an expected-failures file; errors name the file and the entry."""
    try:
        text = read_text_file(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        raise ConfigError(f"cannot read expected-failures file {path}: {exc}") from None
    kind = path.suffix.lstrip(".") or "YAML"
    try:
        data = (
            strict_json.loads(text, finite=False)
            if path.suffix == ".json"
            else strict_yaml.load(text, what="an expected-failures file")
        )
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not valid {kind}: {parse_problem(exc)}") from None
    except RecursionError:
        raise ConfigError(
            f"{path} is not valid {kind}: nested too deeply; it holds a flat "
            "list under 'expected_failures'"
        ) from None
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("expected_failures"), list):
        raise ConfigError(f"{path} must hold a list under 'expected_failures'")
    others = sorted(str(key) for key in data if key != "expected_failures")
    if others:  # a misspelt or misplaced entry list would be silently left out
        raise ConfigError(
            f"{path} has unknown top-level keys {others}; it holds only "
            "'expected_failures' (indent the entries under it)"
        )
    return [_entry(path, i, raw) for i, raw in enumerate(data["expected_failures"])]
