"""One strict JSON reader (``harness.protocol.strict_json``) for the providers' bodies, the
files a user keeps and the redaction: which leniency of Python's ``json`` each refuses."""

from __future__ import annotations

import math

import pytest

from harness.protocol.strict_json import DuplicateKey, NotStrictJSON, loads


def test_by_default_a_repeated_key_and_a_non_finite_number_are_refused() -> None:
    with pytest.raises(DuplicateKey, match="'a' is given twice") as caught:
        loads('{"a": 1, "b": {"a": 2}, "a": 3}')
    assert caught.value.key == "a"
    for text in ("NaN", "[Infinity]", '{"x": -Infinity}', "1e999"):
        with pytest.raises(NotStrictJSON):
            loads(text)


def test_each_leniency_is_kept_only_when_asked() -> None:
    assert loads('{"a": 1, "a": 2}', unique=False) == {"a": 2}
    assert math.isnan(loads("NaN", finite=False))
    assert loads("1e999", finite=False) == math.inf
    with pytest.raises(NotStrictJSON):
        loads('{"a": 1, "a": NaN}', unique=False)
    with pytest.raises(DuplicateKey):
        loads('{"a": 1, "a": NaN}', finite=False)


def test_both_errors_are_value_errors_as_json_s_own() -> None:
    assert issubclass(DuplicateKey, ValueError)
    assert issubclass(NotStrictJSON, ValueError)
    with pytest.raises(ValueError):
        loads("{")
    assert loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
