"""VssID accounts (P-1): keyed by ``bhxh_code``, looked up by ``personal_id``.

P-1: "The user has a VssID account (electronic transaction account with BHXH) linked to the
same ``personal_id``." One person has one account: a second account for a ``personal_id``
that already has one is refused, so a login always maps to exactly one account.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from harness.protocol import (
    ProtocolError,
    is_valid_bhxh_code,
    parse_personal_id,
)
from harness.protocol.identifiers import full_name_problem
from harness.protocol.json_names import json_kind

__all__ = ["MAX_ACCOUNTS", "AccountRecord", "AccountStatus", "AccountStore"]

AccountStatus = Literal["active", "locked"]
_STATUSES: tuple[str, ...] = get_args(AccountStatus)
_FIELDS = frozenset({"bhxh_code", "personal_id", "full_name", "status"})
MAX_ACCOUNTS = 10_000


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A VssID account: ``{bhxh_code, personal_id, full_name, status}`` (§11)."""

    bhxh_code: str
    personal_id: str
    full_name: str
    status: AccountStatus = "active"

    def __post_init__(self) -> None:
        if not is_valid_bhxh_code(self.bhxh_code):
            raise ProtocolError(
                f"'bhxh_code' must be 10 ASCII digits, got {self.bhxh_code!r:.40}", clause="P-1"
            )
        try:
            parse_personal_id(self.personal_id, clause="P-1")
        except ProtocolError as exc:
            raise ProtocolError(f"'personal_id': {exc.description}", clause="P-1") from None
        problem = (
            full_name_problem(self.full_name)
            if isinstance(self.full_name, str)
            else f"must be a non-empty string, got {json_kind(self.full_name)}"
        )
        if problem is not None:
            raise ProtocolError(f"'full_name' {problem}", clause="P-1")
        if self.status not in _STATUSES:
            raise ProtocolError(
                f"'status' must be one of {', '.join(_STATUSES)}, got {self.status!r:.40}",
                clause="P-1",
            )

    @property
    def active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_json(cls, data: object) -> AccountRecord:
        """Validate a control-API body; ``invalid_request`` names the offending field."""
        if not isinstance(data, Mapping):
            raise ProtocolError(
                f"an account must be a JSON object, got {json_kind(data)}", clause="P-1"
            )
        unknown = sorted(str(k) for k in data if k not in _FIELDS)
        if unknown:
            raise ProtocolError(
                f"unknown account field(s) {', '.join(unknown)}; expected "
                f"{', '.join(sorted(_FIELDS))}",
                clause="P-1",
            )
        missing = [k for k in ("bhxh_code", "personal_id", "full_name") if k not in data]
        if missing:
            raise ProtocolError(f"account lacks {', '.join(missing)}", clause="P-1")
        return cls(
            data["bhxh_code"], data["personal_id"], data["full_name"], data.get("status", "active")
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "bhxh_code": self.bhxh_code,
            "personal_id": self.personal_id,
            "full_name": self.full_name,
            "status": self.status,
        }


class AccountStore:
    """The accounts, safe to change from a test thread while the provider serves."""

    def __init__(self, limit: int = MAX_ACCOUNTS) -> None:
        self._by_code: dict[str, AccountRecord] = {}
        self._code_of: dict[str, str] = {}
        """``personal_id -> bhxh_code``: lookups stay O(1) with a million accounts."""
        self._lock = threading.Lock()
        self._limit = limit

    def put(self, record: AccountRecord) -> AccountRecord:
        """Add or replace the account with ``record.bhxh_code``."""
        with self._lock:
            other = self._code_of.get(record.personal_id)
            if other is not None and other != record.bhxh_code:
                raise ProtocolError(
                    f"personal_id {record.personal_id} is already linked to bhxh_code "
                    f"{other}; delete that account first (one account per person)",
                    clause="P-1",
                )
            if record.bhxh_code not in self._by_code and len(self._by_code) >= self._limit:
                raise ProtocolError(
                    f"the VssID backend holds {self._limit} accounts, its "
                    "limit; remove some first (DELETE /_harness/accounts/{code})",
                    clause="P-1",
                )
            replaced = self._by_code.get(record.bhxh_code)
            if replaced is not None:
                del self._code_of[replaced.personal_id]
            self._by_code[record.bhxh_code] = record
            self._code_of[record.personal_id] = record.bhxh_code
        return record

    def remove(self, bhxh_code: str) -> bool:
        with self._lock:
            removed = self._by_code.pop(bhxh_code, None)
            if removed is not None:
                del self._code_of[removed.personal_id]
            return removed is not None

    def get(self, bhxh_code: str) -> AccountRecord | None:
        with self._lock:
            return self._by_code.get(bhxh_code)

    def find_by_personal_id(self, personal_id: str) -> AccountRecord | None:
        """P-1: the account linked to ``personal_id``, active or not."""
        with self._lock:
            code = self._code_of.get(personal_id)
            return self._by_code[code] if code is not None else None

    def all(self) -> list[AccountRecord]:
        with self._lock:
            return list(self._by_code.values())
