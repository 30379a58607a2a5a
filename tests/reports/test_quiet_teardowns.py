"""The Tear down section lists what tore something down: pytest's empty finalizers
(``vssid::<lambda>``, ``device::1``), 13 entries of a scenario, are left out
(:class:`reports.allure_steps.QuietTeardowns`)."""

from __future__ import annotations

from pathlib import Path

from allure_commons import model2 as allure_model

from reports.allure_steps import QuietTeardowns
from tests.reports.allure_run import AllureRun, run_pytest

After = allure_model.TestAfterResult
Step = allure_model.TestStepResult


def _afters(*afters: allure_model.TestAfterResult) -> list[str]:
    container = allure_model.TestResultContainer(afters=list(afters))
    QuietTeardowns().report_container(container)
    return [a.name for a in container.afters]


def test_empty_finalizers_are_left_out() -> None:
    assert (
        _afters(
            After(name="vssid::<lambda>"),
            After(name="device::1", status="passed"),
            After(name="clause::<lambda>"),
        )
        == []
    )


def test_a_finalizer_that_holds_something_is_kept_named_by_its_fixture() -> None:
    failed = After(
        name="device::1", status="broken", statusDetails=allure_model.StatusDetails(message="boom")
    )
    hops = After(name="target::1", status="passed", steps=[Step(name="screen vssid:home")])
    assert _afters(failed, hops) == ["device", "target"]


def test_a_private_fixtures_empty_set_up_is_left_out() -> None:
    Before = allure_model.TestBeforeResult
    container = allure_model.TestResultContainer(
        befores=[
            Before(name="_session_faker", status="passed"),
            Before(name="persona", status="passed"),
            Before(
                name="_remote_target",
                status="broken",
                statusDetails=allure_model.StatusDetails(message="unreachable"),
            ),
        ]
    )
    QuietTeardowns().report_container(container)
    assert [b.name for b in container.befores] == ["persona", "_remote_target"]


def test_a_named_finalizer_is_kept_as_it_is() -> None:
    assert _afters(After(name="phone::close", status="passed")) == ["phone::close"]


def test_a_scenarios_tear_down_has_no_empty_finalizer(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def phone(device):\n"
        "    yield device('ios')\n\n"
        "@pytest.mark.parametrize('kind', ['a'])\n"
        "def test_one(phone, persona, kind):\n"
        "    pass\n",
        encoding="utf-8",
    )
    done: AllureRun = run_pytest(tmp_path)
    assert done.returncode == 0, done.output[-3000:]
    afters = [a["name"] for c in done.containers for a in c.get("afters", [])]
    assert not [name for name in afters if "<lambda>" in name or name.endswith("::1")], afters
    befores = [b["name"] for c in done.containers for b in c.get("befores", [])]
    assert "persona" in befores
    assert not [name for name in befores if name.startswith("_")], befores
