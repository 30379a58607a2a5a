"""The verdict on the console: a failure's message as ``run`` and ``conformance`` print it."""

from __future__ import annotations

from rich.console import Console

from harness.conformance import get_plan
from harness.conformance.results import TestOutcome, evaluate
from harness.protocol.text import clip
from harness.run import RunOptions
from harness.run_reports import print_verdict


def _printed(outcome: TestOutcome) -> str:
    console = Console(record=True, width=120)
    result = evaluate(get_plan("vssid-relying-party"), [outcome], coverage_required=False)
    print_verdict(console, result, RunOptions(seed=7), 1.0)
    return console.export_text()


def test_a_message_shortened_for_the_console_says_where_the_whole_is() -> None:
    """A long hint (the mock VssID's advice on trusting an https issuer) was cut at 300
    characters without a word: the reader took the cut for the whole message."""
    whole = "the issuer's certificate is refused: " + "advice " * 80 + "END-OF-ADVICE"
    outcome = TestOutcome(
        "scenarios/test_tokens.py::test_discovery",
        "failed",
        ("T-4",),
        0.1,
        clip(" ".join(whole.split()), 300),
        False,
        whole,
    )
    text = " ".join(_printed(outcome).split())
    assert "END-OF-ADVICE" not in text
    assert "… (shortened; the whole message is in summary.html and junit.xml)" in text


def test_a_short_message_is_printed_whole_without_a_note() -> None:
    outcome = TestOutcome(
        "scenarios/test_tokens.py::test_discovery",
        "failed",
        ("T-4",),
        0.1,
        "assert 'plain' not in ['S256', 'plain']",
        False,
        "assert 'plain' not in\n ['S256', 'plain']",
    )
    text = _printed(outcome)
    assert "assert 'plain' not in ['S256', 'plain']" in text
    assert "shortened" not in text
