"""The account store's ``personal_id`` index (P-1): lookups by ``personal_id`` stay exact
through replacing, re-linking and removing accounts, and one person still has one account."""

from __future__ import annotations

import pytest

from harness.protocol import ProtocolError
from mock_providers.vssid.accounts import AccountRecord, AccountStore

ALICE, BOB = "001301012345", "001301054321"


def test_lookup_follows_replace_relink_and_remove() -> None:
    store = AccountStore()
    store.put(AccountRecord("1000000001", ALICE, "Alice"))
    found = store.find_by_personal_id(ALICE)
    assert found is not None
    assert found.bhxh_code == "1000000001"
    store.put(AccountRecord("1000000001", BOB, "Alice, re-linked"))  # same code, other person
    assert store.find_by_personal_id(ALICE) is None
    relinked = store.find_by_personal_id(BOB)
    assert relinked is not None
    assert relinked.full_name == "Alice, re-linked"
    store.put(AccountRecord("1000000002", ALICE, "Alice again"))  # ALICE is free again
    assert store.remove("1000000001")
    assert store.find_by_personal_id(BOB) is None
    again = store.find_by_personal_id(ALICE)
    assert again is not None
    assert again.bhxh_code == "1000000002"
    assert [a.bhxh_code for a in store.all()] == ["1000000002"]


def test_a_second_account_for_one_person_is_refused_and_changes_nothing() -> None:
    store = AccountStore()
    store.put(AccountRecord("1000000001", ALICE, "Alice"))
    with pytest.raises(ProtocolError, match="already linked to bhxh_code 1000000001") as err:
        store.put(AccountRecord("1000000002", ALICE, "Alice twice"))
    assert err.value.clause == "P-1"
    assert store.get("1000000002") is None
    found = store.find_by_personal_id(ALICE)
    assert found is not None
    assert found.bhxh_code == "1000000001"


def test_a_refused_put_at_the_limit_leaves_the_index_alone() -> None:
    store = AccountStore(limit=1)
    store.put(AccountRecord("1000000001", ALICE, "Alice"))
    with pytest.raises(ProtocolError, match="holds 1 accounts"):
        store.put(AccountRecord("1000000002", BOB, "Bob"))
    assert store.find_by_personal_id(BOB) is None
    store.put(AccountRecord("1000000001", ALICE, "Alice, renamed"))  # replacing is fine
    found = store.find_by_personal_id(ALICE)
    assert found is not None
    assert found.full_name == "Alice, renamed"
