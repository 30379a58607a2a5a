"""``AllureResultScrubber`` scrubs every status message and trace of a result, of its steps
at any depth and of a container's fixtures, before allure-pytest's writer sees them (S-5)."""

from __future__ import annotations

from allure_commons import model2 as allure_model

from reports.allure_scrub import AllureResultScrubber, split_replay, with_replay

# module attributes, not names of this module: pytest would try to collect "Test*" classes
StatusDetails = allure_model.StatusDetails

SECRET = "S3CRET-passcode-424242"


def _scrub(text: str) -> str:
    return text.replace(SECRET, "[REDACTED]")


def _details() -> StatusDetails:
    return StatusDetails(message=f"refused {SECRET}", trace=f"Traceback ... {SECRET}\n")


def test_messages_and_traces_of_a_result_and_its_nested_steps_are_scrubbed() -> None:
    inner = allure_model.TestStepResult(name="inner", statusDetails=_details())
    outer = allure_model.TestStepResult(name="outer", statusDetails=_details(), steps=[inner])
    result = allure_model.TestResult(name="t", statusDetails=_details(), steps=[outer])
    AllureResultScrubber(_scrub).report_result(result)
    for item in (result, outer, inner):
        assert item.statusDetails.message == "refused [REDACTED]"
        assert item.statusDetails.trace == "Traceback ... [REDACTED]\n"


def test_fixtures_of_a_container_are_scrubbed_with_their_steps() -> None:
    step = allure_model.TestStepResult(name="s", statusDetails=_details())
    before = allure_model.TestBeforeResult(name="b", statusDetails=_details(), steps=[step])
    after = allure_model.TestAfterResult(name="a", statusDetails=_details())
    container = allure_model.TestResultContainer(befores=[before], afters=[after])
    AllureResultScrubber(_scrub).report_container(container)
    for item in (before, after, step):
        assert SECRET not in f"{item.statusDetails.message} {item.statusDetails.trace}"


def test_a_result_without_details_is_left_alone() -> None:
    result = allure_model.TestResult(name="t", steps=[allure_model.TestStepResult(name="s")])
    AllureResultScrubber(_scrub).report_result(result)
    assert result.statusDetails is None


def test_the_replay_line_heading_a_trace_is_kept_as_given() -> None:
    """The replay line names the test to paste, whatever the scrub would take for a secret
    in it (a fake verifier as a parameter); the trace under it is scrubbed, and so is a
    message that only looks like one."""
    replay = f"pytest --seed 0 'test_x.py::test_verifier[{SECRET}]'"
    details = StatusDetails(
        message=f"how to replay: {SECRET}\n\n{SECRET}",
        trace=with_replay(f"Traceback ... {SECRET}\n", replay),
    )
    result = allure_model.TestResult(name="t", statusDetails=details)
    AllureResultScrubber(_scrub).report_result(result)
    assert details.trace == f"how to replay: {replay}\n\nTraceback ... [REDACTED]\n"
    assert SECRET not in details.message
    assert split_replay(details.trace) == (
        f"how to replay: {replay}\n\n",
        "Traceback ... [REDACTED]\n",
    )
    assert split_replay("Traceback") == ("", "Traceback")
    assert with_replay(None, "pytest x") == "how to replay: pytest x\n\n"
