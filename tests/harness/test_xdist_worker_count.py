"""How many pytest-xdist workers a run asked for (``harness.plugin_config._workers``), which
decides whether a remote target's one-login-at-a-time rule is broken."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from harness.plugin_config import _workers


def _config(**option: Any) -> pytest.Config:
    return cast(pytest.Config, SimpleNamespace(option=SimpleNamespace(**option)))


@pytest.mark.parametrize(
    ("option", "workers"),
    [
        ({"numprocesses": 3}, 3),
        ({"numprocesses": None, "dist": "no"}, 1),
        ({"numprocesses": None, "dist": "load", "tx": ["2*popen", "popen"]}, 3),
        # '²'.isdigit() is True and int('²') raises: a count in another script's digits is
        # not a count (pytest-xdist refuses the spec itself, with its own message)
        ({"numprocesses": None, "dist": "load", "tx": ["\u00b2*popen"]}, 1),
        ({"numprocesses": None, "dist": "load", "tx": ["\uff12*popen"]}, 1),
    ],
)
def test_workers_counts_each_tx_spec(option: dict[str, Any], workers: int) -> None:
    assert _workers(_config(**option)) == workers


def test_a_worker_counts_itself_alone() -> None:
    config = _config(numprocesses=4)
    config.workerinput = {}  # type: ignore[attr-defined]
    assert _workers(config) == 1
