"""Allure steps, attachments, tags, parameters and links from the trace (the Allure reporter).

Registered by the harness plugin only when allure-pytest writes results (``--alluredir``), so
a run without it pays nothing. It consumes trace events (:mod:`harness.trace`, redacted when
recorded, S-5) and never looks inside the apps:

- **one step per event**, titled like ``VssID app → VssID backend: POST
  /api/v1/auth/vneid/start → 200``, ``VssID app opens vneid://authorize?… → VNeID app``,
  ``screen vssid:vssid-home``; an HTTP step carries the exchange as JSON (``HTTP exchange``),
  a link step the link decoded into a table (``Deep link``);
- **a sequence diagram** of everything the test recorded (``Sequence diagram``, SVG, and its
  Mermaid source ``Sequence diagram (Mermaid)``), attached to the test at teardown;
- **tags** for the phones (``ios``, ``driver:sim``, ``vssid 1.6.7``, ``vneid 2.1.0``),
  **parameters** (platform, app versions, persona as name and masked ``personal_id``: never
  a passcode; excluded from Allure's history id, so history survives another ``--seed``),
  **a link per clause** to PROTOCOL.md (:mod:`reports.protocol_links`);
- the failure message Allure shows, prefixed with the clauses and scrubbed like the pytest
  report (:mod:`reports.failures`).

A Hypothesis test's world per example (the ``fresh_world`` fixture) makes each example one
parent step, ``example 3: salt=17``, with that example's hops inside it and its outcome as
its status; the example Hypothesis reports (its final run of the shrunk failing example)
reads ``falsifying example 41: salt=3`` and carries its phones as parameters. The sequence
diagram, tags and parameters of such a test are those of the falsifying example (without
one, the diagram is the last example's; tags and parameters every example's phones).

Live rather than replayed: each step is written when its event is recorded (a
:meth:`~harness.trace.Trace.subscribe` listener), so steps sit inside the test's own
``allure.step`` blocks and its fixtures' set-up and tear-down, in the order and at the time
they happened, and a test that fails half-way shows the hops up to the failure. Events the
listener could not place live (recorded on another thread, where Allure has no current test)
are replayed at teardown under one step, so none is lost.
"""

from __future__ import annotations

import contextlib
import heapq
import html
import json
import re
import threading
import uuid
import weakref
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from allure_commons import hookimpl

from harness.plugin_options import CLAUSES_LABEL
from harness.protocol.text import clip
from harness.replay import replay_of
from harness.trace import (
    AppSwitched,
    Event,
    HarnessAction,
    HttpExchange,
    LinkOpened,
    ScreenShown,
    StoreOpened,
    Trace,
)
from reports.allure_scrub import AllureResultScrubber, already_scrubbed, with_replay
from reports.diagram import (
    nobody_took,
    party_name,
    sequence_mermaid,
    sequence_svg,
    short_url,
    status_text,
)

if TYPE_CHECKING:
    from harness.personas import Persona

__all__ = [
    "DIAGRAM_ATTACHMENT",
    "FALSIFYING",
    "HTTP_ATTACHMENT",
    "LINK_ATTACHMENT",
    "MERMAID_ATTACHMENT",
    "NODEID_LABEL",
    "AllureFlowReporter",
    "QuietTeardowns",
    "deep_link_html",
    "device_tags",
    "http_exchange_json",
    "laned_events",
    "masked_personal_id",
    "merged_events",
    "parameter_text",
    "persona_label",
    "phone_lanes",
    "step_parameters",
    "step_title",
]

NODEID_LABEL = "nodeid"
"""The label of each Allure result that names its pytest node id: after a stop, ``vneid-harness
run`` removes the results of tests its verdict does not have (workers finish or start a few
tests after the controller stopped recording)."""

HTTP_ATTACHMENT = "HTTP exchange"
LINK_ATTACHMENT = "Deep link"
DIAGRAM_ATTACHMENT = "Sequence diagram"
MERMAID_ATTACHMENT = "Sequence diagram (Mermaid)"
OFF_THREAD_STEP = "events recorded outside the test's thread"
FALSIFYING = "falsifying example"
"""How the step of the example Hypothesis reports begins (``falsifying example 41: salt=3``)."""


# -- what a step says ------------------------------------------------------------------------
def _link_title(e: LinkOpened) -> str:
    to = party_name(e.target) if e.target else f"nothing ({nobody_took(e)})"
    return f"{party_name(e.source)} opens {short_url(e.url)} → {to}"


def _http_title(e: HttpExchange) -> str:
    path = urlsplit(e.url).path or "/"
    return f"{party_name(e.actor)} → {party_name(e.target)}: {e.method} {path} → {status_text(e)}"


def _switch_title(e: AppSwitched) -> str:
    before = party_name(e.from_app) if e.from_app else "launcher"
    after = party_name(e.to_app) if e.to_app else "launcher"
    return f"foreground: {before} → {after} ({e.reason})"


_TITLES: dict[type[Event], Callable[[Any], str]] = {
    LinkOpened: _link_title,
    HttpExchange: _http_title,
    ScreenShown: lambda e: f"screen {e.app}:{e.screen_id}",
    StoreOpened: lambda e: f"OS opens the store listing of {party_name(e.app_id)} ({e.platform})",
    AppSwitched: _switch_title,
    HarnessAction: lambda e: f"harness → {party_name(e.target)}: {e.action}",
}


def step_title(event: Event) -> str:
    """The Allure step title of ``event``."""
    make = _TITLES.get(type(event))
    return make(event) if make is not None else type(event).__name__


def step_parameters(event: Event) -> dict[str, str]:
    """Small facts shown beside the step (no file written for them)."""
    if isinstance(event, HttpExchange):
        return {"duration": f"{event.duration_ms:g} ms"}
    if isinstance(event, LinkOpened):
        return {"form": event.form, "url": event.url}
    if isinstance(event, ScreenShown):
        return {"texts": clip(" | ".join(event.texts), 300)}
    if isinstance(event, StoreOpened):
        return {"url": event.url or "(none)"}
    return {}


def http_exchange_json(e: HttpExchange) -> str:
    """The exchange as the ``HTTP exchange`` attachment (already redacted, S-5)."""
    return json.dumps(
        {
            "from": party_name(e.actor),
            "to": party_name(e.target),
            "request": {
                "method": e.method,
                "url": e.url,
                "headers": dict(e.request_headers),
                "body": e.request_body,
            },
            "response": {
                "status": e.status,
                "headers": dict(e.response_headers),
                "body": e.response_body,
            },
            "duration_ms": e.duration_ms,
            "seq": e.seq,
        },
        ensure_ascii=False,
        indent=2,
        default=str,
    )


_TABLE_STYLE = (
    "body{font-family:Helvetica,Arial,sans-serif;font-size:13px}"
    "table{border-collapse:collapse}th,td{border:1px solid #ccd;padding:3px 8px;"
    "text-align:left;vertical-align:top}th{background:#eef}"
    "td{font-family:monospace;word-break:break-all}"
)


def deep_link_html(e: LinkOpened) -> str:
    """The ``Deep link`` attachment: the link's parts and query parameters as a table
    (redacted values stay ``[REDACTED]``)."""
    try:
        parts = urlsplit(e.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        parts, query = None, []
    rows: list[tuple[str, str]] = [
        ("opened by", party_name(e.source)),
        ("delivered to", party_name(e.target) if e.target else f"nothing: {nobody_took(e)}"),
        ("form", e.form),
    ]
    if parts is not None:
        rows += [("scheme", parts.scheme), ("host", parts.netloc), ("path", parts.path)]
        rows += [(f"query: {name}", value) for name, value in query]
        if parts.fragment:
            rows.append(("fragment", parts.fragment))
    rows.append(("link", e.url))
    body = "".join(
        f'<tr><th scope="row">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>' for k, v in rows
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Deep link</title>'
        f"<style>{_TABLE_STYLE}</style></head><body><table>{body}</table>"
        "</body></html>\n"
    )


def _attachments(event: Event) -> list[tuple[str, str, Any]]:
    from allure_commons.types import AttachmentType

    if isinstance(event, HttpExchange):
        return [(http_exchange_json(event), HTTP_ATTACHMENT, AttachmentType.JSON)]
    if isinstance(event, LinkOpened):
        return [(deep_link_html(event), LINK_ATTACHMENT, AttachmentType.HTML)]
    return []


def emit_step(event: Event) -> None:
    """Write ``event`` as an Allure step of the current test (or fixture, or step)."""
    import allure
    from allure_commons import plugin_manager

    title, step = step_title(event), str(uuid.uuid4())
    plugin_manager.hook.start_step(uuid=step, title=title, params=step_parameters(event))
    try:
        with already_scrubbed():
            for body, name, kind in _attachments(event):
                allure.attach(body, name=name, attachment_type=kind)
    finally:
        plugin_manager.hook.stop_step(
            uuid=step, title=title, exc_type=None, exc_val=None, exc_tb=None
        )


# -- who and what ------------------------------------------------------------------------------
def device_tags(platform: str, driver: str, vssid: str | None, vneid: str | None) -> list[str]:
    """``["ios", "driver:sim", "vssid 1.6.7", "vneid 2.1.0"]``."""
    return [
        platform,
        f"driver:{driver}",
        f"vssid {vssid}" if vssid else "vssid not installed",
        f"vneid {vneid}" if vneid else "vneid not installed",
    ]


def masked_personal_id(personal_id: str) -> str:
    """The province code and the last two digits only: ``079*******12``."""
    if len(personal_id) <= 5:
        return "*" * len(personal_id)
    return personal_id[:3] + "*" * (len(personal_id) - 5) + personal_id[-2:]


def persona_label(persona: Persona) -> str:
    """``Full Name (079*******12)``: who, without a secret."""
    return f"{persona.full_name} ({masked_personal_id(persona.personal_id)})"


def merged_events(traces: Iterable[Trace]) -> list[Event]:
    """The events of several traces in time order (each trace's own order kept)."""
    return laned_events(list(traces))[0]


def phone_lanes(traces: Sequence[Trace]) -> list[str | None]:
    """Each trace's lane in a diagram: ``phone 1``, ``phone 2``… in the order given, when
    more than one of ``traces`` records a phone; otherwise ``None`` for all (one phone keeps
    the usual lifelines)."""
    phones = [t for t in traces if t.phone]
    if len(phones) < 2:
        return [None] * len(traces)
    number = {id(t): n for n, t in enumerate(phones, 1)}
    return [f"phone {number[id(t)]}" if id(t) in number else None for t in traces]


def laned_events(traces: Sequence[Trace]) -> tuple[list[Event], list[str | None]]:
    """The events of ``traces`` in time order (each trace's own order kept) and, for each
    event, its lane (:func:`phone_lanes`)."""
    pairs = heapq.merge(
        *(
            [(lane, e) for e in t.events]
            for t, lane in zip(traces, phone_lanes(traces), strict=True)
        ),
        key=lambda pair: pair[1].at,
    )
    lanes: list[str | None] = []
    events: list[Event] = []
    for lane, event in pairs:
        lanes.append(lane)
        events.append(event)
    return events, lanes


def _joined(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values))


# -- per-test state and the pytest hooks ----------------------------------------------------
Phone = tuple[str, str, str | None, str | None]
"""A phone as :func:`device_tags` takes it: platform, driver, VssID and VNeID versions."""


@dataclass(eq=False)
class _Example:
    """One Hypothesis example of a test (a ``fresh_world`` block): its step and what it made."""

    number: int
    title: str
    step: str
    """The uuid of its Allure step."""
    context: weakref.ref[Any]
    """Hypothesis's build context of the run it belongs to (a second world in the same run is
    the same example; weak: a failing test runs hundreds of examples)."""
    reported: bool
    """Run as one Hypothesis reports (``is_final``): an explicit ``@example``, or the last run
    of the shrunk failing example."""
    world: int = 1
    """Which world of the example (a test may open several in one example)."""
    result: Any = None
    """Its step as allure-pytest writes it (to rename it once its outcome is known)."""
    traces: list[Trace] = field(default_factory=list)
    devices: list[Phone] = field(default_factory=list)
    falsifying: bool = False

    def mark_falsifying(self) -> None:
        self.falsifying = True
        self.title = f"{FALSIFYING} {self.title.removeprefix('example ')}"
        if self.result is not None:
            self.result.name = self.title


@dataclass
class _Flow:
    """What one test recorded, for its steps and diagram."""

    thread: threading.Thread = field(default_factory=threading.current_thread)
    events: list[Event] = field(default_factory=list)
    sources: list[Trace] = field(default_factory=list)
    """The trace of each of ``events``."""
    traces: list[Trace] = field(default_factory=list)
    """The traces watched, in the order they were."""
    off_thread: list[Event] = field(default_factory=list)
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)
    devices: list[Phone] = field(default_factory=list)
    personas: list[Sequence[Persona]] = field(default_factory=list)
    loose_devices: list[Phone] = field(default_factory=list)
    """The phones made outside any example."""
    examples: list[_Example] = field(default_factory=list)
    """The Hypothesis examples' worlds, in the order they ran; the last may still be open."""
    current: _Example | None = None
    """The example whose step is open."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shown(self) -> list[_Example]:
        """The worlds of the examples whose diagram the test shows: the falsifying ones (one
        unless the test is flaky or Hypothesis reports several distinct failures), else the
        last."""
        numbers = {e.number for e in self.examples if e.falsifying}
        numbers = numbers or {e.number for e in self.examples[-1:]}
        return [e for e in self.examples if e.number in numbers]

    def on_event(self, event: Event, source: Trace) -> None:
        with self.lock:
            self.events.append(event)
            self.sources.append(source)
        if threading.current_thread() is self.thread:
            emit_step(event)
        else:
            with self.lock:
                self.off_thread.append(event)


_flow_key = pytest.StashKey[_Flow]()


def _logged_in(events: Sequence[Event]) -> set[str]:
    """The ``personal_id`` values a test's apps logged in with (A-4's request body)."""
    found: set[str] = set()
    for event in events:
        body = getattr(event, "request_body", None)
        if isinstance(event, HttpExchange) and isinstance(body, Mapping):
            said = body.get("personal_id")
            if isinstance(said, str):
                found.add(said)
    return found


class AllureFlowReporter:
    """The Allure side of the harness plugin (module doc), one per run.

    ``protocol_url`` is ``--protocol-url`` (or its default), ``protocol_file`` the
    PROTOCOL.md read for anchors (``None``: built-in headings); ``clause_ids(item)`` gives a
    test's clauses, ``clean_message(item, text)`` the failure text as reports must show it
    (clauses in front, secrets out)."""

    def __init__(
        self,
        config: pytest.Config,
        *,
        protocol_url: str,
        protocol_file: Path | None,
        clause_ids: Callable[[pytest.Item], Sequence[str]],
        clean_message: Callable[[pytest.Item, str], str],
        scrub: Callable[[pytest.Item | None, str], str],
    ) -> None:
        from allure_commons import plugin_manager

        self.config = config
        self.protocol_url = protocol_url
        self.protocol_file = protocol_file
        self.clause_ids = clause_ids
        self.clean_message = clean_message
        self._running: pytest.Item | None = None
        # every status message allure-pytest writes, with the secrets of the running test
        results = getattr(config.option, "allure_report_dir", None)
        self._scrubber = AllureResultScrubber(
            lambda text: scrub(self._running, text), Path(results).absolute() if results else None
        )
        plugin_manager.register(self._scrubber)
        self._teardowns = QuietTeardowns()
        plugin_manager.register(self._teardowns)
        self._labels = OrderedLabels()
        plugin_manager.register(self._labels)

    # called by the harness plugin's fixtures
    def watch(self, item: pytest.Item, trace: Trace) -> None:
        """Write ``trace``'s events as steps of ``item`` from now on (earlier ones at once)."""
        flow = self._flow(item)
        flow.traces.append(trace)
        if flow.current is not None:
            flow.current.traces.append(trace)
        for event in trace.events:
            flow.on_event(event, trace)
        flow.unsubscribe.append(trace.subscribe(lambda event: flow.on_event(event, trace)))

    def device(
        self, item: pytest.Item, platform: str, driver: str, vssid: str | None, vneid: str | None
    ) -> None:
        """A phone of ``item``: tags and parameters at teardown."""
        flow = self._flow(item)
        flow.devices.append((platform, driver, vssid, vneid))
        (flow.current.devices if flow.current is not None else flow.loose_devices).append(
            (platform, driver, vssid, vneid)
        )

    @contextlib.contextmanager
    def example(self, item: pytest.Item, arguments: str = "") -> Iterator[None]:
        """Inside a Hypothesis test, one example of ``item`` (a ``fresh_world`` block) as one
        parent step titled ``example N: ARGUMENTS``, its status the block's outcome; the run
        Hypothesis reports (its final run) and that fails is renamed ``falsifying example N:
        ARGUMENTS``. Outside a Hypothesis test, or nested in an example, nothing."""
        from hypothesis.control import current_build_context, currently_in_test_context

        flow = self._flow(item)
        if flow.current is not None or not currently_in_test_context():
            yield
            return
        context = current_build_context()
        last = flow.examples[-1] if flow.examples else None
        number, world = (last.number + 1 if last else 1), 1
        if last is not None and last.context() is context:  # another world of one example
            number, world = last.number, last.world + 1
        title = (
            f"example {number}"
            + (f": {arguments}" if arguments else "")
            + (f" (world {world})" if world > 1 else "")
        )
        example = _Example(
            number,
            title,
            str(uuid.uuid4()),
            weakref.ref(context),
            reported=context.is_final,
            world=world,
        )
        flow.examples.append(example)
        flow.current = example
        _start_step(example.step, title)
        example.result = _allure_item(self.config, example.step)
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            flow.current = None
            self._stop_example(example, error)

    def _stop_example(self, example: _Example, error: BaseException | None) -> None:
        from allure_commons import plugin_manager
        from allure_commons.model2 import Parameter
        from hypothesis.errors import StopTest, UnsatisfiedAssumption

        if isinstance(error, UnsatisfiedAssumption | StopTest):  # assume(False), an overrun
            example.title += " (rejected by Hypothesis)"
            error = None
        if error is not None and example.reported:
            example.mark_falsifying()
        if example.result is not None:
            example.result.name = example.title
            example.result.parameters += [
                Parameter(
                    name=f"phone {n}" if len(example.devices) > 1 else "phone",
                    value=", ".join(device_tags(*d)),
                )
                for n, d in enumerate(example.devices, 1)
            ]
        # the traceback of the falsifying example only: the others' messages say enough, and
        # a shrink makes a hundred of them
        plugin_manager.hook.stop_step(
            uuid=example.step,
            title=example.title,
            exc_type=type(error) if error is not None else None,
            exc_val=error,
            exc_tb=error.__traceback__ if error is not None and example.falsifying else None,
        )

    def personas(self, item: pytest.Item, registered: Sequence[Persona]) -> None:
        """``registered`` (a list that grows as the test adds citizens) gives the parameter
        ``persona`` at teardown."""
        self._flow(item).personas.append(registered)

    def _flow(self, item: pytest.Item) -> _Flow:
        flow = item.stash.get(_flow_key, None)
        if flow is None:
            flow = item.stash[_flow_key] = _Flow()
        return flow

    # pytest hooks
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        """Around allure-pytest's own: the test whose results and fixtures it writes."""
        self._running = item
        try:
            return (yield)
        finally:
            self._running = None

    def pytest_unconfigure(self) -> None:
        from allure_commons import plugin_manager

        for plugin in (self._scrubber, self._teardowns, self._labels):
            if plugin_manager.is_registered(plugin):
                plugin_manager.unregister(plugin)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from reports.protocol_links import clause_url, load_anchors

        anchors = load_anchors(self.protocol_file)
        links: dict[str, tuple[str, str]] = {}
        for item in items:
            item.add_marker(pytest.mark.allure_label(item.nodeid, label_type=NODEID_LABEL))
            for cid in self.clause_ids(item):
                if cid not in links:
                    links[cid] = (
                        clause_url(cid, self.protocol_url, anchors),
                        clause_link_name(cid),
                    )
                url, name = links[cid]
                item.add_marker(pytest.mark.allure_link(url, link_type="link", name=name))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield)
        finally:
            _show_bytes_parameters(item)
            flow = item.stash.get(_flow_key, None)
            if flow is not None:
                del item.stash[_flow_key]  # the item outlives the test: let the flow go
                self._finish(item, flow)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        flow = item.stash.get(_flow_key, None)
        if report.when == "call" and report.failed and flow is not None:
            _failed_after_its_world(flow)
        if report.failed:
            details = _allure_status_details(self.config)
            # the trace Allure took from the report is already clean (the harness plugin's
            # innermost wrapper); the message it took from the exception is not
            if details is not None and isinstance(details.message, str):
                details.message = self.clean_message(item, details.message)
                replay = replay_of(report)
                if replay:  # heads the trace, which the error box unfolds under the message
                    details.trace = with_replay(details.trace, replay)
        return report

    def _finish(self, item: pytest.Item, flow: _Flow) -> None:
        import allure
        from allure_commons import plugin_manager
        from allure_commons.types import AttachmentType

        for unsubscribe in flow.unsubscribe:
            unsubscribe()
        flow.unsubscribe.clear()
        if flow.off_thread:
            with allure.step(OFF_THREAD_STEP):
                for event in flow.off_thread:
                    emit_step(event)
        devices = flow.devices
        if any(e.falsifying for e in flow.examples):  # tagged with the phones that failed
            devices = [*flow.loose_devices, *(d for e in flow.shown() for d in e.devices)]
        if devices:
            tags = dict.fromkeys(t for d in devices for t in device_tags(*d))
            plugin_manager.hook.add_label(label_type="tag", labels=list(tags))
            platforms, _, vssids, vneids = zip(*devices, strict=True)
            _parameter("platform", _joined(platforms))
            _parameter("VssID app", _joined(v or "not installed" for v in vssids))
            _parameter("VNeID app", _joined(v or "not installed" for v in vneids))
        people = [p for registered in flow.personas for p in registered]
        if people:
            # who logged in, else who was registered (a persona file's whole cast, or a
            # citizen a test refuses before any login): a QA team read every citizen of its
            # file on a test that logged nobody in
            tried = _logged_in(flow.events)
            shown = [p for p in people if p.personal_id in tried]
            note = "" if shown else " (registered; none logged in)"
            shown = shown or people
            labels = [persona_label(p) for p in shown[:3]]
            more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
            _parameter("persona", "; ".join(labels) + more + note)
        traces, events, sources, title = flow.traces, flow.events, flow.sources, item.nodeid
        if flow.examples:  # one example's diagram: all of them at once read as nothing
            drawn = flow.shown()
            others = {id(t) for e in flow.examples if e not in drawn for t in e.traces}
            traces = [t for t in flow.traces if id(t) not in others]
            kept = [(e, s) for e, s in zip(events, sources, strict=True) if id(s) not in others]
            events, sources = [e for e, _ in kept], [s for _, s in kept]
            title = f"{item.nodeid}: {_examples_title(drawn)}"
        if events:
            lane_of = dict(zip(map(id, traces), phone_lanes(traces), strict=True))
            lanes = [lane_of[id(source)] for source in sources]
            with already_scrubbed():
                allure.attach(
                    sequence_svg(events, title=title, lanes=lanes),
                    name=DIAGRAM_ATTACHMENT,
                    attachment_type=AttachmentType.SVG,
                )
                allure.attach(
                    sequence_mermaid(events, title=title, lanes=lanes),
                    name=MERMAID_ATTACHMENT,
                    attachment_type=AttachmentType.TEXT,
                )


def _examples_title(worlds: Sequence[_Example]) -> str:
    """``falsifying example 41: salt=3``: the examples of ``worlds``, as their first world's
    step names them, marked when one of their worlds is falsifying."""
    titles: dict[int, str] = {}
    for e in worlds:
        title = titles.setdefault(e.number, e.title.removesuffix(f" (world {e.world})"))
        if e.falsifying and not title.startswith(FALSIFYING):
            titles[e.number] = f"{FALSIFYING} {title.removeprefix('example ')}"
    return ", ".join(titles.values())


def _failed_after_its_world(flow: _Flow) -> None:
    """A test that failed with no example failing inside its world (an assertion after the
    ``fresh_world`` block): the last example Hypothesis reported is the falsifying one."""
    if any(e.falsifying for e in flow.examples):
        return
    reported = [e for e in flow.examples if e.reported]
    if reported:
        example = reported[-1]
        example.mark_falsifying()
        if example.result is not None:
            example.result.status = "failed"


def _start_step(step: str, title: str) -> None:
    from allure_commons import plugin_manager

    plugin_manager.hook.start_step(uuid=step, title=title, params={})


def _allure_item(config: pytest.Config, step: str) -> Any:
    """The step ``step`` allure-pytest is writing (to rename it once its outcome is known;
    there is no public API for that), or ``None``."""
    listener = config.pluginmanager.get_plugin("allure_listener")
    logger = getattr(listener, "allure_logger", None)
    get_item = getattr(logger, "get_item", None)
    return get_item(step) if callable(get_item) else None


def _parameter(name: str, text: str) -> None:
    """A parameter of the harness's own, shown as ``text`` (allure-commons would quote a
    string: ``'ios'``), and out of the history id (another ``--seed``, other personas)."""
    import allure

    allure.dynamic.parameter(name, _Represented(text), excluded=True)


_FINALIZER_NAME = re.compile(r"(?P<fixture>.+)::(?:\d+|<lambda>)")
"""How allure-pytest names a fixture's finalizer it knows no name of: pytest's own
(``vssid::<lambda>``) and a generator fixture's tear-down (``device::1``, its index)."""


class QuietTeardowns:
    """The Tear down section of a test lists what tore something down, not pytest's
    bookkeeping: allure-pytest writes every finalizer of every fixture, and a scenario read
    13 entries such as ``vssid::<lambda>``, ``device::1``, ``personas::<lambda>``, one per
    fixture and parameter, each empty. An ``allure_commons`` plugin that runs before the
    writer: such an entry that holds nothing (no step, attachment or parameter, no failure)
    is left out; one that does (the hops a fixture's tear-down recorded, a failed tear-down)
    is kept, named by its fixture (``device``). The Set up section likewise leaves out a
    private fixture's (a name starting with ``_``: ``_session_faker``, ``_remote_target``)
    that holds nothing."""

    @hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        befores = getattr(container, "befores", None)
        if befores:  # a private fixture's set-up (``_remote_target``) that did nothing to see
            container.befores = [
                b
                for b in befores
                if not (str(getattr(b, "name", "") or "").startswith("_") and _empty(b))
            ]
        afters = getattr(container, "afters", None)
        if not afters:
            return
        kept = []
        for after in afters:
            named = _FINALIZER_NAME.fullmatch(str(getattr(after, "name", "") or ""))
            if named is None:
                kept.append(after)
                continue
            if _empty(after):
                continue
            after.name = named["fixture"]
            kept.append(after)
        container.afters = kept


LINK_TEXT_LIMIT = 80
"""Characters of a clause's text in its link's name (the rest is on the linked page)."""


def clause_link_name(cid: str) -> str:
    """The name of clause ``cid``'s link: its id and the start of its text, so the Links of a
    test say what each clause asks without a click (``A-6: The OS delivers redirect_to to
    VssID, whose backend completes the login…``); the id alone for one PROTOCOL.md
    does not list."""
    from harness.protocol import CLAUSES

    clause = CLAUSES.get(cid)
    if clause is None:
        return cid
    text = " ".join(clause.text.split())
    if len(text) > LINK_TEXT_LIMIT:  # cut after a whole word
        cut = clip(text, LINK_TEXT_LIMIT - 1)
        text = (cut[: cut.rindex(" ")] if " " in cut else cut).rstrip(" ,;:") + "…"
    return f"{cid}: {text}"


_LABEL_ORDER = {
    name: rank
    for rank, name in enumerate(
        (
            "epic",
            "feature",
            "story",
            CLAUSES_LABEL,
            "severity",
            "tag",
            "parentSuite",
            "suite",
            "subSuite",
            "seed",
            "nodeid",
        )
    )
}


class OrderedLabels:
    """A test's labels in one order, whatever the process: allure-pytest gathers the ones
    its markers give into a set, so their order in the result (and on the test's page)
    followed the interpreter's string hashing and changed from run to run (``S-4`` before
    ``S-1`` in one, after it in the next; results of one seed differed). An
    ``allure_commons`` plugin that runs before the writer: epics by their section number
    (``§4 The flow`` before ``§7 Security``), then the feature, the stories in the order
    of the test's ``clauses`` label (PROTOCOL.md's), that label, the severity, the tags as
    the phones gave them, the suites, the seed, the node id, then allure-pytest's own
    (host, thread, framework, ...) as it wrote them."""

    @hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        labels = getattr(result, "labels", None)
        if not labels:
            return
        clauses = next((str(label.value) for label in labels if label.name == CLAUSES_LABEL), "")
        places = {cid: place for place, cid in enumerate(clauses.split(", "))}

        def key(label: Any) -> tuple[int, int, int]:
            rank = _LABEL_ORDER.get(str(label.name), len(_LABEL_ORDER))
            if label.name == "story":
                return rank, places.get(str(label.value), len(places)), 0
            if label.name == "epic":
                number = re.match(r"§(\d+)", str(label.value))
                return rank, int(number[1]) if number else 1 << 30, 0
            return rank, 0, 0

        result.labels = sorted(labels, key=key)  # stable: ties keep the order they came in


def _empty(fixture: Any) -> bool:
    """A set-up or tear-down that passed and holds nothing: no step, attachment, parameter
    or status details."""
    return (
        fixture.status in (None, "passed")
        and not fixture.statusDetails
        and not fixture.steps
        and not fixture.attachments
        and not fixture.parameters
    )


def _allure_status_details(config: pytest.Config) -> Any:
    """The status details allure-pytest just set on the current test result, if any (its
    listener keeps them; there is no public API to change the message)."""
    listener = config.pluginmanager.get_plugin("allure_listener")
    logger = getattr(listener, "allure_logger", None)
    get_test = getattr(logger, "get_test", None)
    result = get_test(None) if callable(get_test) else None
    return getattr(result, "statusDetails", None)


def _show_bytes_parameters(item: pytest.Item) -> None:
    """How the test's own pytest parameters read (allure-pytest shows each as its ``repr``;
    the history id is made from the values, not from this):

    - ``bytes`` as their ``repr``: allure-pytest showed every one as ``<class 'bytes'>``, so
      the cases of a test parametrized with bytes looked alike, and Allure 3 merged them into
      one test with the others as its retries (597 of 600 tests listed);
    - a string as itself (``id_token_invalid``, not ``'id_token_invalid'``) when that cannot
      be read as another value (:func:`parameter_text`)."""
    import allure

    callspec = getattr(item, "callspec", None)
    for name, value in callspec.params.items() if callspec is not None else ():
        if isinstance(value, bytes | bytearray):
            allure.dynamic.parameter(name, _Represented(repr(value)))
        elif isinstance(value, str):
            allure.dynamic.parameter(name, _Represented(parameter_text(value)))


def parameter_text(value: str) -> str:
    """``value`` as a report shows it: as itself, without quotes, unless bare it would read
    as something else: the empty string, surrounding spaces, a character that does not
    print (a tab), or a text Python reads as another value (``None``, ``121``, ``'x'``), which
    keep their ``repr`` (``''``, ``'approve '``, ``'None'``)."""
    import ast

    if not value or value != value.strip() or not value.isprintable():
        return repr(value)
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return value
    return repr(value)


class _Represented:
    """A value allure-commons' ``represent`` shows as ``text`` (its ``repr``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text
