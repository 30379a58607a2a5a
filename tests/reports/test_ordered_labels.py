"""A test's Allure labels come in one order whatever the process: allure-pytest gathers them
in a set, so the order followed the interpreter's string hashing
(:class:`reports.allure_steps.OrderedLabels`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from allure_commons import model2 as allure_model

from reports.allure_steps import OrderedLabels
from tests.reports.allure_run import run_pytest

Label = allure_model.Label


def _ordered(*labels: tuple[str, str]) -> list[tuple[str, str]]:
    result = allure_model.TestResult(labels=[Label(name=n, value=v) for n, v in labels])
    OrderedLabels().report_result(result)
    return [(label.name, label.value) for label in result.labels]


def test_stories_follow_the_clauses_label_and_epics_their_section_number() -> None:
    assert _ordered(
        ("host", "vm"),
        ("story", "S-4"),
        ("epic", "§7 Security"),
        ("tag", "ios"),
        ("seed", "0"),
        ("clauses", "A-2, S-4"),
        ("epic", "§4 The flow"),
        ("story", "A-2"),
        ("severity", "blocker"),
        ("feature", "The token endpoint"),
        ("tag", "driver:sim"),
        ("thread", "1-MainThread"),
    ) == [
        ("epic", "§4 The flow"),
        ("epic", "§7 Security"),
        ("feature", "The token endpoint"),
        ("story", "A-2"),
        ("story", "S-4"),
        ("clauses", "A-2, S-4"),
        ("severity", "blocker"),
        ("tag", "ios"),
        ("tag", "driver:sim"),
        ("seed", "0"),
        ("host", "vm"),
        ("thread", "1-MainThread"),
    ]


def test_labels_of_a_test_without_clauses_keep_their_order_within_a_name() -> None:
    assert _ordered(
        ("tag", "b"),
        ("story", "x"),
        ("tag", "a"),
        ("framework", "pytest"),
        ("language", "cpython3"),
    ) == [
        ("story", "x"),
        ("tag", "b"),
        ("tag", "a"),
        ("framework", "pytest"),
        ("language", "cpython3"),
    ]
    assert _ordered() == []


def test_two_processes_hashing_strings_differently_write_the_same_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = (
        "import pytest\n\n"
        "@pytest.mark.clause('S-4', 'A-2', 'S-1', 'R-9')\n"
        "def test_one(device):\n"
        "    device('ios')\n"
    )
    orders = []
    for hash_seed in ("1", "2", "3"):
        folder = tmp_path / hash_seed
        folder.mkdir()
        (folder / "test_one.py").write_text(test, encoding="utf-8")
        monkeypatch.setenv("PYTHONHASHSEED", hash_seed)
        done = run_pytest(folder)
        assert done.returncode == 0, done.output[-3000:]
        labels = [
            (label["name"], label["value"])
            for label in done.result("test_one")["labels"]
            if label["name"] != "thread"
        ]  # the process id
        orders.append(labels)
    assert orders[0] == orders[1] == orders[2]
    assert [value for name, value in orders[0] if name == "story"] == ["A-2", "R-9", "S-1", "S-4"]
    assert [value for name, value in orders[0] if name == "epic"][:1] == ["§4 The flow"]
