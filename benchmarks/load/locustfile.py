"""A Locust load profile: full VNeID → VssID logins against served providers (ours or a
vendor's), with a mix of citizens, app versions and platforms.

Each simulated phone (a Locust user) logs in over and over the way the two apps do (§4):
VssID ``start`` (A-1) → VNeID ``sessions`` (A-4) → VNeID ``authorizations`` (A-5, the
callback link) → VssID ``complete`` (A-6: the backend redeems the code, verifies the ID
token, fetches userinfo) → VssID ``me``. Locust reports each step and the whole login
(``LOGIN full login``, the logins that finished) with throughput and latency percentiles,
and the logins a step refused (``LOGIN refused login``); a refused step is recorded
as a failure named by its §8 code and clause (``app_update_required (V-4)``,
``id_token_invalid (R-5)``, …), so the failures table counts error codes by clause.

Run it (one machine)::

    .venv/bin/vneid-harness serve --vneid-port 8801 --vssid-port 8802 &
    .venv/bin/locust -f benchmarks/load/locustfile.py --headless -u 50 -r 10 -t 1m \\
        -H http://127.0.0.1:8802 --vneid-url http://127.0.0.1:8801 --csv load

Distributed: one ``--master`` and any number of ``--worker --master-host HOST`` processes,
on one machine or several (benchmarks/README.md). Options (also sent from the master to
its workers): ``--vneid-url`` (default: VssID's configured issuer, read from its control
API), ``--personas FILE`` (citizens that already exist at a vendor's providers; without
it every user registers a fresh citizen through the §11 control API), ``--admin-token``
(for a control API beyond loopback), ``--vssid-versions`` / ``--vneid-versions`` (the
version mix, comma-separated), ``--protocol-profile FILE`` (providers served with a profile
file: the default version mixes start at its minimum versions), ``--android-share`` (the
share of Android phones).
"""

from __future__ import annotations

import csv
import functools
import itertools
import logging
import os
import random
import time
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_STOPPED, MasterRunner, WorkerRunner

from harness import ADMIN_TOKEN_ENV
from harness.errors import HarnessError
from harness.lease import TargetLeases, holder_text
from harness.personas import Persona, PersonaFactory, load_personas
from harness.preflight import TargetReads
from harness.profile_file import load_profile
from harness.protocol import Profile, Version, paths
from harness.protocol.redaction import redact_url
from harness.targets import check_admin_token, check_target_url

logging.getLogger("httpx").setLevel(logging.WARNING)  # the checks before the run: a line a
# request at INFO in Locust's log otherwise

VSSID_VERSIONS = "1.6.7,1.6.9,1.7.2,2.0.0"
VNEID_VERSIONS = "2.1.0,2.1.3,2.2.0,2.4.1"
_user_numbers = itertools.count()
_file_personas: list[Persona] | None = None


def _options(parser: Any) -> None:
    group = parser.add_argument_group("vneid-harness")
    group.add_argument("--vneid-url", default="", help="the VNeID provider's base URL")
    group.add_argument("--personas", default="", help="persona file of existing citizens")
    group.add_argument(
        "--admin-token",
        default=os.environ.get(ADMIN_TOKEN_ENV, ""),
        help=f"X-Harness-Admin-Token (S-6) [default: ${ADMIN_TOKEN_ENV}]",
    )
    group.add_argument(
        "--protocol-profile",
        default="",
        help="profile file of the providers' overrides of PROTOCOL.md's "
        "defaults: the version mixes start at its minimum versions",
    )
    group.add_argument(
        "--vssid-versions",
        default=None,
        help=f"VssID versions, comma-separated [default: {VSSID_VERSIONS}, or "
        "the profile's minimum and three above it]",
    )
    group.add_argument(
        "--vneid-versions",
        default=None,
        help=f"VNeID versions, comma-separated [default: {VNEID_VERSIONS}, or "
        "the profile's minimum and three above it]",
    )
    group.add_argument("--android-share", type=float, default=0.5)
    group.add_argument(
        "--logins",
        type=int,
        default=0,
        help="end the run after this many logins (finished or refused) in "
        "each Locust process, -t still the limit [default: 0, no limit]",
    )


events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]


class LoginRefused(Exception):
    """A step answered with a §8 error; the message is ``code (clause)``."""


def _refusal(response: Any, *, explain: bool = False) -> str:
    """``code (clause)`` of a §8 refusal (with its ``error_description`` when ``explain``),
    or what else went wrong: no connection at all (status 0), no §8 body."""
    if not response.status_code:
        return f"no answer: {getattr(response, 'error', None) or 'connection failed'}"
    try:
        body = response.json()
    except Exception:
        body = {}
    if isinstance(body, dict) and body.get("error"):
        said = f"{body['error']} ({body.get('clause') or 'no clause'})"
        description = body.get("error_description")
        return f"{said}: {str(description)[:200]}" if explain and description else said
    return f"HTTP {response.status_code} (no §8 body)"


class Phone(FastHttpUser):
    """One phone with both apps, logging in again and again. ``host`` is VssID's URL."""

    broken = ""
    """Why setup failed (then the user does nothing while the run stops)."""
    backoff = 0.0
    """Seconds this phone waits after a login that got no answer (doubling, at most 2 s)."""

    def on_start(self) -> None:
        if _refused:  # the run's options were refused before it started: no user works
            self.broken = _refused[0]
            return
        options = self.environment.parsed_options
        self.vneid_url = (getattr(options, "vneid_url", "") or self._issuer()).rstrip("/")
        if self.broken:
            return
        self.control_headers = (
            {"X-Harness-Admin-Token": options.admin_token}
            if getattr(options, "admin_token", "")
            else {}
        )
        self.rng = random.Random()
        try:
            self.vssid_versions, self.vneid_versions = version_mixes(options)
        except HarnessError as exc:  # a worker without the master's profile file
            self._give_up(f"--protocol-profile: {exc}")
            return
        self.android_share = options.android_share
        persona = self._citizen(options)
        if persona is not None:
            self.persona = persona

    def _issuer(self) -> str:
        with self.client.get(
            "/_harness/config",
            name="SETUP read VssID config",
            headers=self._admin(),
            catch_response=True,
        ) as response:
            issuer: Any = None
            if response.status_code != 200:
                reason = _refusal(response, explain=True)
            else:
                try:
                    issuer = response.json().get("issuer")
                except Exception:
                    issuer = None
                reason = (
                    ""
                    if isinstance(issuer, str) and issuer
                    else ("HTTP 200 without the §11 JSON {issuer: …}")
                )
            if reason:
                response.failure(reason)
        if reason:
            given = bool(self._admin())
            hint = (
                "the admin token was refused: give the one the providers were served "
                "with (--admin-token)"
                if response.status_code == 403 and given
                else "the test-control API needs the admin token the providers were served "
                "with: give it with --admin-token"
                if response.status_code == 403
                else "is -H VssID's base URL? Or pass --vneid-url"
            )
            self._give_up(
                f"cannot read VssID's configuration at "
                f"{redact_url(self.host or '')} ({reason}): {hint}"
            )
            return ""
        return str(issuer)

    def _give_up(self, reason: str) -> None:
        """Setup failed: every login would fail for the same reason (a refused admin token,
        a full store, no provider at the URL). Say it once and stop the run, exit code 2."""
        environment = self.environment
        if environment.process_exit_code != 2:
            print(f"vneid-harness load: error: {reason}; the run stops", flush=True)
            runner = environment.runner
            if isinstance(runner, WorkerRunner):  # the master ends the run, with its code
                runner.send_message(_STOP_MESSAGE, {"reason": reason})
            _stop(environment)
        self.broken = reason

    def _admin(self) -> dict[str, str]:
        token = getattr(self.environment.parsed_options, "admin_token", "")
        return {"X-Harness-Admin-Token": token} if token else {}

    def _citizen(self, options: Any) -> Persona | None:
        global _file_personas
        if options.personas:
            if _file_personas is None:
                try:
                    _file_personas = _citizens_of(options.personas)
                except HarnessError as exc:  # a worker without the master's file, say
                    self._give_up(f"--personas: {exc}")
                    return None
            return self.rng.choice(_file_personas)
        # Seeded by the worker's index and the user's number, not a random id: a run makes
        # the same citizens as the last one (added or replaced by the control API), so runs
        # against a provider that keeps its state (--state) do not pile up new ones.
        worker = max(getattr(self.environment.runner, "worker_index", 0), 0)
        persona = PersonaFactory(f"locust/{worker}/{next(_user_numbers)}").new()
        for url, body, what in (
            (
                f"{self.vneid_url}/_harness/personas",
                persona.to_vneid_json(),
                "SETUP add VNeID persona",
            ),
            ("/_harness/accounts", persona.to_vssid_account_json(), "SETUP add VssID account"),
        ):
            with self.client.post(
                url, json=body, name=what, headers=self.control_headers, catch_response=True
            ) as response:
                failed = not response.status_code or response.status_code >= 400
                reason = _refusal(response, explain=True) if failed else ""
                if failed:
                    response.failure(reason)
            if failed:
                self._give_up(f"{what} refused ({reason}); without it every login fails")
                return None
        return persona

    def _same_person(self, body: dict[str, Any]) -> str:
        """A-6: ``complete`` and ``me`` name the citizen who logged in (empty), or why not."""
        account = self.persona.vssid_account
        expected = {
            "personal_id": self.persona.personal_id,
            "bhxh_code": account.bhxh_code if account is not None else None,
        }
        for field, value in expected.items():
            if field in body and value is not None and body[field] != value:
                return f"another person's {field} (A-6)"
        if "bhxh_code" not in body:
            return "no bhxh_code (A-6)"
        return ""

    def _step(
        self, name: str, method: str, url: str, *, check: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """One step, counted as a failure of its own row when it gets no answer (status 0),
        a refusal, an answer that is not a JSON object, or one ``check`` finds wrong."""
        with self.client.request(method, url, name=name, catch_response=True, **kwargs) as response:
            reason = ""
            if not response.status_code or response.status_code >= 400:
                reason = _refusal(response)
            else:
                try:
                    body = response.json()
                except Exception:
                    body = None
                if not isinstance(body, dict):
                    reason = f"HTTP {response.status_code}: not a JSON object"
                elif check is not None:
                    reason = check(body)
            if reason:
                response.failure(reason)
                raise LoginRefused(reason)
            assert isinstance(body, dict)
            return body

    @task
    def login(self) -> None:
        if self.broken:
            raise StopUser()
        if _made_its_logins(self.environment):  # the master ends the run: no more logins
            gevent.sleep(0.25)
            return
        platform = "android" if self.rng.random() < self.android_share else "ios"
        vssid = {
            "X-VssID-App-Version": self.rng.choice(self.vssid_versions),
            "X-Device-Platform": platform,
        }
        vneid = {
            "X-VNeID-App-Version": self.rng.choice(self.vneid_versions),
            "X-Device-Platform": platform,
        }
        started = time.perf_counter()
        try:
            start = self._step(
                "1 VssID start", "POST", "/api/v1/auth/vneid/start", headers=vssid, json={}
            )
            session = self._step(
                "2 VNeID session",
                "POST",
                f"{self.vneid_url}/api/app/v1/sessions",
                headers=vneid,
                json={"personal_id": self.persona.personal_id, "passcode": self.persona.passcode},
            )
            redirect = self._step(
                "3 VNeID authorize",
                "POST",
                f"{self.vneid_url}/api/app/v1/authorizations",
                headers={**vneid, "Authorization": f"Bearer {session['session_token']}"},
                json={"link": start["authorize_url"], "decision": "approve"},
            )
            done = self._step(
                "4 VssID complete",
                "POST",
                "/api/v1/auth/vneid/complete",
                headers=vssid,
                json={
                    "transaction_id": start["transaction_id"],
                    "callback_url": redirect["redirect_to"],
                },
                check=self._same_person,
            )
            self._step(
                "5 VssID me",
                "GET",
                "/api/v1/me",
                headers={**vssid, "Authorization": f"Bearer {done['session_token']}"},
                check=self._same_person,
            )
        except LoginRefused as exc:
            self._whole(started, exc)
        except Exception as exc:  # a broken answer (no JSON, a missing field): a failure too
            self._whole(started, LoginRefused(f"{type(exc).__name__}: {exc}"[:200]))
        else:
            self._whole(started, None)

    def _whole(self, started: float, error: Exception | None) -> None:
        """One login on its row: ``full login`` when it finished (its percentiles are those
        of whole logins), ``refused login`` when a step failed (ending early, its time would
        pull the percentiles down), named by the refusal's code and clause. After a login
        that got no answer the phone waits before the next (0.1 s, doubling to 2 s) instead of
        flooding the statistics with connection errors; an answer resets the wait."""
        self.environment.events.request.fire(
            request_type="LOGIN",
            name="full login" if error is None else "refused login",
            context={},
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            response=None,
            exception=error,
        )
        if error is not None and str(error).startswith("no answer"):
            self.backoff = min(2.0, self.backoff * 2 if self.backoff else 0.1)
            gevent.sleep(self.backoff)
        else:
            self.backoff = 0.0
        _count_login(self.environment)


_STOP_MESSAGE = "vneid_harness_stop"
"""What a worker sends its master when setup failed there: the master ends the run."""


_run: dict[str, Environment] = {}
"""The run's environment, the latest one (Locust's ``quit`` event does not pass it)."""


class _MasterEnd:
    """How a master ends a run with ``--logins``: once every worker that runs users has made
    its logins (the first ended it, and on a loaded machine a worker slow to start took no
    part) and has sent a statistics report since (workers report every few seconds: a master
    that quit at once printed none of their logins on a loaded machine); a worker given no
    user (fewer users than workers) or gone is not waited for. Which workers run users is
    known once the master has seen them all spawned. A worker whose setup failed stops the
    run (:data:`_STOP_MESSAGE`)."""

    def __init__(self, environment: Environment, master: MasterRunner) -> None:
        self.environment = environment
        self.master = master
        self.finished: set[str] = set()
        """The workers that made their ``--logins``."""
        self.reported: set[str] = set()
        """Those of them that sent a statistics report since."""
        self.spawned = False
        self.quitting = False
        self.watching: gevent.Greenlet | None = None
        master.register_message(_STOP_MESSAGE, self.worker_failed)
        master.register_message(_DONE_MESSAGE, self.worker_done)
        events = environment.events
        events.spawning_complete.add_listener(self.all_spawned)  # type: ignore[no-untyped-call]
        events.worker_report.add_listener(self.report)  # type: ignore[no-untyped-call]
        events.test_start.add_listener(self.new_run)  # type: ignore[no-untyped-call]

    def worker_failed(self, environment: Environment, msg: Any, **_: Any) -> None:
        if environment.process_exit_code != 2:
            said = msg.data.get("reason") if isinstance(msg.data, dict) else msg.data
            print(f"vneid-harness load: error (from a worker): {said}; the run stops", flush=True)
            _stop(environment)

    def end_when_all_done(self) -> None:
        if not self.spawned or not self.finished:
            return
        master = self.master
        connected = (*master.clients.ready, *master.clients.spawning, *master.clients.running)
        if master.state == STATE_STOPPED and connected:
            return  # stopped from the web UI with its workers idle, or by -t: not ours
        working = {str(node.id) for node in connected if node.user_count > 0}
        if working <= self.finished and working <= self.reported and not self.quitting:
            self.quitting = True
            if not working:
                print(
                    "vneid-harness load: no worker is left to send its last statistics "
                    "(a worker that made its --logins stopped or died before its next "
                    "report): the run ends with what reached the master",
                    flush=True,
                )
            gevent.spawn(master.quit)

    def watch(self) -> None:
        """Look again every second once a worker made its logins: a worker that dies or
        quits before its next report sends no event, and the last one gone would leave the
        master waiting for ``-t`` (or, without it, for Ctrl-C)."""
        while not self.quitting:
            gevent.sleep(1)
            self.end_when_all_done()

    def all_spawned(self, user_count: int, **_: Any) -> None:
        self.spawned = True
        self.end_when_all_done()

    def worker_done(self, environment: Environment, msg: Any, **_: Any) -> None:
        self.finished.add(str(msg.node_id))
        self.reported.discard(str(msg.node_id))  # its last logins come in its next report
        print(
            f"vneid-harness load: worker {msg.node_id} made its --logins; the run ends "
            "once every worker has, at their next statistics reports",
            flush=True,
        )
        self.end_when_all_done()
        if self.watching is None:
            self.watching = gevent.spawn(self.watch)

    def report(self, client_id: str, data: Any, **_: Any) -> None:
        """A worker's statistics, merged into the master's before this listener runs
        (Locust's own is added first); also the moment to notice a worker gone."""
        if str(client_id) in self.finished:
            self.reported.add(str(client_id))
        if self.finished:
            self.end_when_all_done()

    def new_run(self, **_: Any) -> None:
        """A run started from the web UI after another: nothing of the last one counts."""
        self.finished.clear()
        self.reported.clear()
        self.spawned = self.quitting = False
        if self.watching is not None:
            self.watching.kill(block=False)
            self.watching = None


def _on_init(environment: Environment, **_: Any) -> None:
    _run["environment"] = environment
    if isinstance(environment.runner, MasterRunner):
        _MasterEnd(environment, environment.runner)


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]


_logins = [0]
"""This process's logins in this run."""


def _limit(environment: Environment) -> int:
    return getattr(environment.parsed_options, "logins", 0) or 0


def _made_its_logins(environment: Environment) -> bool:
    """This process made its ``--logins`` in this run: a worker's users then log in no more
    while its master waits for the worker's next statistics report to end the run."""
    limit = _limit(environment)
    return bool(limit) and _logins[0] >= limit


def _new_run(**_: Any) -> None:
    """A run starts: the count starts again (a worker driven from the web UI serves one run
    after another)."""
    _logins[0] = 0


events.test_start.add_listener(_new_run)  # type: ignore[no-untyped-call]


_hidden_host: list[str] = []
"""The VssID URL with its password, while the environment shows it redacted (between runs)."""


def _hide_password(environment: Environment, **_: Any) -> None:
    """A run stopped: the host Locust writes into its HTML report (``--html``) and shows in
    its web UI loses its ``user:password@`` (S-5), until the next run needs it back."""
    host = environment.host or ""
    if redact_url(host) != host:
        _hidden_host[:] = [host]
        environment.host = redact_url(host)


def _restore_password(environment: Environment, **_: Any) -> None:
    if _hidden_host and environment.host == redact_url(_hidden_host[0]):
        environment.host = _hidden_host.pop()


events.test_stop.add_listener(_hide_password)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_restore_password)  # type: ignore[no-untyped-call]


def _count_login(environment: Environment) -> None:
    """With ``--logins N``, end the run (its exit code as Locust gives it) at this process's
    N-th login: a run of a known size, however fast the machine is."""
    limit = _limit(environment)
    _logins[0] += 1
    if limit and _logins[0] == limit and environment.runner is not None:
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            print(
                f"vneid-harness load: this worker made its {limit} logins; the master ends "
                "the run at its next statistics report",
                flush=True,
            )
        gevent.spawn(
            runner.quit
            if not isinstance(runner, WorkerRunner)
            else lambda: runner.send_message(_DONE_MESSAGE, {})
        )


_DONE_MESSAGE = "vneid_harness_done"
"""What a worker sends its master when it has made its ``--logins``: the master ends the run."""


def _stop(environment: Environment) -> None:
    """End the run now with exit code 2, as Ctrl-C would (the ``-t`` limit is not waited
    for): from a greenlet of its own, not the caller's (a user, or the runner starting)."""
    environment.process_exit_code = 2
    runner = environment.runner
    if runner is None:
        return

    def stop() -> None:
        runner.quit()
        if environment.shape_class is None and hasattr(runner, "greenlet"):
            runner.greenlet.kill(block=False)

    gevent.spawn(stop)


@functools.lru_cache(maxsize=4)
def _profile(path: str) -> Profile:
    return load_profile(path)


def _above(minimum: Version) -> list[str]:
    """The minimum and three versions above it: a patch, a minor and a major later."""
    major, minor, patch, _ = minimum.release
    return [
        str(minimum),
        f"{major}.{minor}.{patch + 2}",
        f"{major}.{minor + 1}.0",
        f"{major + 1}.0.0",
    ]


def version_mixes(options: Any) -> tuple[list[str], list[str]]:
    """The VssID and VNeID versions the phones pick from: the options', or from the profile
    file's minimum versions, or PROTOCOL.md's defaults' mix."""
    profile_file = getattr(options, "protocol_profile", "") or ""
    profile = _profile(profile_file) if profile_file else None
    mixes = []
    for name, app, default in (
        ("vssid_versions", "vssid", VSSID_VERSIONS),
        ("vneid_versions", "vneid", VNEID_VERSIONS),
    ):
        given = getattr(options, name, None)
        if given is not None:  # given, maybe empty (which options_problem refuses)
            mixes.append([v.strip() for v in str(given).split(",") if v.strip()])
        elif profile is not None:
            mixes.append(_above(profile.min_version("vssid" if app == "vssid" else "vneid")))
        else:
            mixes.append(default.split(","))
    return mixes[0], mixes[1]


def options_problem(options: Any) -> str | None:
    """What is wrong with this run's own options, if anything (found before any user starts,
    instead of each user dying on it while the run idles until ``-t`` ends)."""
    try:  # a newline read from a secret file: the HTTP client quoted it in its error (S-5)
        check_admin_token(getattr(options, "admin_token", "") or None)
    except HarnessError as exc:
        return str(exc)
    vneid_url = getattr(options, "vneid_url", "") or ""
    if vneid_url and not vneid_url.startswith(("http://", "https://")):
        return f"--vneid-url {vneid_url!r} must start with http:// or https://"
    host = getattr(options, "host", "") or ""
    if not host:
        return "no VssID to load: give its base URL with -H (e.g. -H http://127.0.0.1:8802)"
    if not host.startswith(("http://", "https://")):
        return f"-H {host!r} must start with http:// or https://"
    personas = getattr(options, "personas", "") or ""
    if personas:
        try:
            _citizens_of(personas)
        except HarnessError as exc:
            return f"--personas: {exc}"
    try:
        mixes = version_mixes(options)
    except HarnessError as exc:
        return f"--protocol-profile: {exc}"
    for name, mix in zip(("vssid_versions", "vneid_versions"), mixes, strict=True):
        if not mix:
            return f"--{name.replace('_', '-')} is empty"
    logins = getattr(options, "logins", 0) or 0
    if logins < 0:
        return f"--logins {logins} must be 0 (no limit) or more"
    share = getattr(options, "android_share", 0.5)
    if not 0 <= share <= 1:
        return f"--android-share {share} must be between 0 and 1"
    return None


NO_CONTROL_API = frozenset({401, 403, 404, 405, 501})
"""What a provider without a test-control API (or one this run may not use) answers its
health check."""


def targets_problem(
    options: Any, host: str, *, master: bool = False, reads: TargetReads | None = None
) -> tuple[str | None, list[str]]:
    """What ``vneid-harness run`` checks before its tests, checked before any user starts:
    each target answers its health check and is the party it is given as (not swapped), the
    VssID trusts the VNeID given (else every login fails with issuer_mismatch), and, as
    warnings, the VNeID's issuer and published minimum version against the run's profile.
    Certificates are not checked, as the users do not check them (Locust's default).

    A target is left out of the checks, with a warning, and the run goes on: with
    ``--personas`` (citizens that exist at a vendor's providers), one without a test-control
    API (its health check answered 401, 403, 404, 405 or 501); on a ``master`` (which runs no
    user), one it cannot reach, which its workers on other machines may. The other target is
    still checked. ``reads``: the targets' answers, each read once (:func:`_announce` shares
    them with :func:`_take_leases`)."""
    import httpx

    from harness.preflight import PreflightTargets, preflight, target_warnings

    token = getattr(options, "admin_token", "") or None
    profile = getattr(options, "protocol_profile", "") or ""
    reads = reads or _reads(options)
    checked: dict[str, str | None] = {
        "VNeID": getattr(options, "vneid_url", "") or None,
        "VssID": host or None,
    }
    warnings: list[str] = []
    for name, url in checked.items():
        if url is None:
            continue
        option = "-H" if name == "VssID" else "--vneid-url"
        try:
            check_target_url(option, url)
            status: int | None = reads.get(url, "/_harness/health").status_code
        except HarnessError as exc:  # not a usable URL
            return str(exc), []
        except httpx.HTTPError:
            status = None
        shown = redact_url(url)
        if master and status is None:
            warnings.append(
                f"the {name} target at {shown} does not answer this master (the "
                "run goes on: the master runs no user, and its workers may reach "
                "it)"
            )
            checked[name] = None
        elif getattr(options, "personas", "") and status in NO_CONTROL_API:
            warnings.append(
                f"the {name} target at {shown} answered {status} to GET "
                "/_harness/health: no test-control API to check it with (the run "
                "goes on: with --personas it needs none)"
            )
            checked[name] = None
    run = PreflightTargets(
        vneid_url=checked["VNeID"],
        vssid_url=checked["VssID"],
        admin_token=token,
        profile=Path(profile) if profile else None,
    )
    try:
        problem = preflight(run, reads=reads)
        warnings += [] if problem is not None else target_warnings(run, reads=reads)
    except HarnessError as exc:
        problem = str(exc)
    warnings = [w.replace("--vssid-url", "-H") for w in warnings]
    return (problem.replace("--vssid-url", "-H") if problem is not None else None), warnings


def _citizens_of(path: str) -> list[Persona]:
    """The citizens of a ``--personas`` file; :class:`HarnessError` when it has none or
    cannot be read (a worker's copy too)."""
    if not Path(path).is_file():
        raise HarnessError(
            f"{path!r} is a folder, not a persona file"
            if Path(path).is_dir()
            else f"{path!r} is not a regular file (a device or a named pipe)"
            if Path(path).exists()
            else f"{path!r}: no such file"
        )
    citizens = load_personas(Path(path))
    if not citizens:
        raise HarnessError(f"{path!r} holds no citizen; give at least one")
    return citizens


_refused: list[str] = []
"""Why this run's options were refused (set before any user starts; then none works)."""


def _standalone_headless(options: Any) -> bool:
    """A ``--headless`` run that is neither a master nor a worker: one run, from the
    command line."""
    return bool(
        getattr(options, "headless", False)
        and not getattr(options, "master", False)
        and not getattr(options, "worker", False)
    )


def _refuse_early(environment: Environment, **_: Any) -> None:
    """A standalone ``--headless`` run makes its checks when Locust is set up, before its
    runner starts: at the run's start the refusal came after Locust had begun to spawn the
    users ("Ramping to 2 users … All users spawned", users that stopped at once). A master
    checks at the run's start as before (its workers, not yet connected, must hear that it
    stops), and so does a run started from the web UI (its host is chosen there)."""
    options = environment.parsed_options
    if options is None or not _standalone_headless(options):
        return
    _announce(environment)
    if _refused:
        environment.process_exit_code = 2
        raise SystemExit(2)  # Locust's main ends here: nothing spawned, no report written


events.init.add_listener(_refuse_early)  # type: ignore[no-untyped-call]


def _announce_at_start(environment: Environment, **_: Any) -> None:
    """A run's checks as it starts (a master's, a web UI's runs); a standalone headless run
    made them at ``init``."""
    if not _standalone_headless(environment.parsed_options):
        _announce(environment)


def _announce(environment: Environment) -> None:
    options = environment.parsed_options
    if options is None or getattr(options, "worker", False):
        return
    if environment.host and environment.host.endswith("/"):  # '//api/…' otherwise
        environment.host = environment.host.rstrip("/")
        options.host = environment.host
    problem = options_problem(options)
    warnings: list[str] = []
    reads = _reads(options)
    if problem is None:
        problem, warnings = targets_problem(
            options,
            environment.host or "",
            master=isinstance(environment.runner, MasterRunner),
            reads=reads,
        )
    if problem is None:
        problem = _take_leases(environment, options, warnings, reads)
    if problem is not None:
        _refused.append(problem)
        print(f"vneid-harness load: error: {problem}", flush=True)
        # users the runner still spawns must not fail to build on a missing or unusable
        # host (they stop at once: _refused)
        environment.host = Phone.host = "http://refused.invalid"
        options.html_file = None  # an earlier run's report stays (Locust would write it empty)
        _stop(environment)
        return
    for warning in warnings:
        print(f"vneid-harness load: warning: {warning}", flush=True)
    print(
        f"vneid-harness load: VssID {redact_url(environment.host or '')}, VNeID "
        f"{redact_url(getattr(options, 'vneid_url', '') or '') or '(from VssID config)'}"
    )


events.test_start.add_listener(_announce_at_start)  # type: ignore[no-untyped-call]


_leases: list[TargetLeases] = []
"""The leases this run holds (a master's or a standalone run's; never a worker's)."""


def _reads(options: Any) -> TargetReads:
    """The targets' answers for the checks before a run, each read once; certificates not
    checked, as the users do not check them (Locust's default)."""
    return TargetReads(getattr(options, "admin_token", "") or None, verify=False)


def _take_leases(
    environment: Environment, options: Any, warnings: list[str], reads: TargetReads
) -> str | None:
    """Hold the targets for the run (``/_harness/lease``, :mod:`harness.lease`), as a test
    run does: a run's tests move the providers' clocks and arm faults, which fail this load's
    logins (R-8 by the hundred), and this load's logins fill that run's request logs. Why
    another user holding one refuses the run; warnings (a provider left unreleased) are
    added to ``warnings``. Providers without a lease, or this process cannot reach, are
    loaded without one."""
    from harness.lease import LeaseRefused, LeaseTarget

    token = getattr(options, "admin_token", "") or None
    host = environment.host or ""
    vneid_url = getattr(options, "vneid_url", "") or _trusted_issuer(host, reads)
    targets = [
        LeaseTarget(f"{name} target", url, redact_url(url), token)
        for name, url in (("VNeID", vneid_url), ("VssID", host))
        if url
    ]
    role = "master" if isinstance(environment.runner, MasterRunner) else "run"
    leases = TargetLeases(targets, holder_text(f"vneid-harness load, Locust {role}"), verify=False)
    try:
        warnings += leases.acquire()
    except LeaseRefused as exc:
        return str(exc)
    _leases.append(leases)
    return None


def _trusted_issuer(host: str, reads: TargetReads) -> str:
    """The VNeID the users log in at when ``--vneid-url`` is not given: the issuer the VssID
    trusts (``GET /_harness/config``, as :meth:`Phone._issuer` reads it, and the checks
    before the run read it already); ``""`` when it cannot be read (then only the VssID's
    lease is taken)."""
    config = reads.json(host, paths.CONFIG) if host else None
    issuer = config.get("issuer") if isinstance(config, dict) else None
    return issuer.rstrip("/") if isinstance(issuer, str) and issuer.startswith("http") else ""


def _release_leases(**_: Any) -> None:
    while _leases:
        _leases.pop().release()


events.test_stop.add_listener(_release_leases)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_release_leases)  # type: ignore[no-untyped-call]


def _final_csv(**_: Any) -> None:
    """Write ``--csv``'s request, failure and exception tables once more as the run ends.

    Locust writes them every second while the run goes and not at its end, so the last second
    (on a short or loaded run, every failure) was missing from the files CI reads, while the
    console's summary had it. Same columns and rows as Locust's own writer; each file is
    replaced whole (written beside it, then renamed), so a failed write leaves Locust's."""
    environment = _run.get("environment")
    options = environment.parsed_options if environment is not None else None
    prefix = getattr(options, "csv_prefix", None) if options is not None else None
    if environment is None or not prefix or isinstance(environment.runner, WorkerRunner):
        return
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

    tables = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, write in (
        ("_stats.csv", tables.requests_csv),
        ("_failures.csv", tables.failures_csv),
        ("_exceptions.csv", tables.exceptions_csv),
    ):
        path = f"{prefix}{suffix}"
        try:
            with open(f"{path}.partial", "w", newline="", encoding="utf-8") as handle:
                write(csv.writer(handle))
            os.replace(f"{path}.partial", path)
        except OSError as exc:
            print(
                f"vneid-harness load: warning: could not write the final {path} "
                f"({exc.strerror or exc}); it holds Locust's last periodic write",
                flush=True,
            )


events.quit.add_listener(_final_csv)  # type: ignore[no-untyped-call]


def _nothing_measured(environment: Environment, **_: Any) -> None:
    """A run in which no login finished measured nothing (a VssID that never answers, a run
    too short for a login): say so and exit 2, not 0, which CI would read as a pass."""
    if isinstance(environment.runner, WorkerRunner) or environment.process_exit_code:
        return
    logins = sum(
        entry.num_requests
        for key, entry in environment.stats.entries.items()
        if key in (("full login", "LOGIN"), ("refused login", "LOGIN"))
    )
    if logins == 0:
        print(
            "vneid-harness load: error: no login finished or was refused in this run: is "
            "the VssID at -H answering, and is -t long enough for a login?",
            flush=True,
        )
        environment.process_exit_code = 2


events.quitting.add_listener(_nothing_measured)  # type: ignore[no-untyped-call]
