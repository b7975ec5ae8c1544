"""Validate a deployment: schemathesis over its read operations, then the scenarios safe for it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from profile_harness.contract.auth import Credentials
from profile_harness.contract.deadline import AnswerTooLarge, DeadlineTransport, RunClock
from profile_harness.contract.drift import Drift, body_diff, clip, shape_diff
from profile_harness.contract.production import (
    PRODUCTION,
    ProductionSandbox,
    is_production,
    production_reason,
    sandbox_type,
)
from profile_harness.contract.spec import Contract
from profile_harness.contract.transport import UNDOABLE_CREATES, GuardedTransport, WriteRefused
from profile_harness.openapi.conformance import ConformanceChecker

__all__ = [
    "PRODUCTION",
    "ProductionSandbox",
    "Report",
    "Row",
    "ValidateOptions",
    "WriteRefused",
    "is_production",
    "run_validation",
]

_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
#: Requests in a row that got no answer at all (refused, reset, timed out) before the run stops.
UNREACHABLE_AFTER = 3
#: Where the run first asks the deployment something: reachable at all, and what its sandbox is.
PROBE = "/data/core/ups/config/mergePolicies"


@dataclass
class ValidateOptions:
    base_url: str
    credentials: Credentials
    contract: Contract
    allow_writes: bool = False
    rate: float = 10.0
    max_examples: int = 10
    coverage: bool = True
    fuzz: bool = True
    scenario_paths: list[Path] = field(default_factory=lambda: [Path("scenarios")])
    operations: str | None = None  # a regex on "METHOD /path" to narrow the schemathesis phase
    timeout: float = 30.0  # seconds one request may take in all (headers and body): --request-timeout
    total_timeout: float | None = 1800.0  # seconds the whole run may take (None or 0: no limit): --timeout
    max_body: int = 16 * 1024 * 1024  # answers longer than this are not read to the end nor checked
    production_confirmed: bool = False  # --allow-writes twice: writes go ahead in a production sandbox
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None  # tests hand in their own


@dataclass
class Row:
    """One line of the summary: an operation fuzzed, a scenario replayed, or the clean-up."""

    phase: str  # "schemathesis", "scenario", "cleanup"
    name: str
    status: str  # "passed", "drift", "skipped", "errored"
    cases: int = 0
    note: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    base_url: str
    spec: str
    read_only: bool
    sandbox: str
    spec_notes: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    drifts: list[Drift] = field(default_factory=list)
    requests_sent: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    created: int = 0
    deleted: int = 0
    unsafe_scenarios: int = 0  # scenario files not marked safe, never replayed here
    seconds: float = 0.0
    unreachable: str = ""  # why the deployment could not be reached (the run stopped)
    timed_out: bool = False  # the run's --timeout ended it before everything ran
    sandbox_type: str | None = None  # what the deployment says the sandbox is (sandbox.type)

    @property
    def failed(self) -> bool:
        return bool(self.drifts) or self.incomplete

    @property
    def incomplete(self) -> bool:
        """Not everything could be checked: unreachable, out of time, or a request that got no answer."""
        return bool(self.unreachable) or self.timed_out or any(row.status == "errored" for row in self.rows)

    @property
    def verdict(self) -> str:
        if self.drifts:
            return "DRIFT"
        if self.unreachable:
            return "UNREACHABLE"
        if self.timed_out:
            return "TIMED OUT"
        if self.incomplete:
            return "INCOMPLETE"
        return "conforms"

    @property
    def exit_code(self) -> int:
        """0 conforms; 1 drift found; 3 nothing drifted but not everything was checked (see README)."""
        return 1 if self.drifts else (3 if self.incomplete else 0)


class _Run:
    def __init__(self, options: ValidateOptions, report: Report, progress: Callable[[str], None]) -> None:
        self.options = options
        self.report = report
        self.progress = progress
        self.clock = RunClock(options.total_timeout or None)
        inner = options.transport or DeadlineTransport(
            request_timeout=options.timeout, max_body=options.max_body, run=self.clock
        )
        self.transport = GuardedTransport(
            inner=inner,
            contract=options.contract,
            allow_writes=options.allow_writes,
            rate=options.rate,
            sleep=options.sleep,
            run=self.clock,
        )
        self.client = httpx.Client(
            base_url=options.base_url.rstrip("/"), transport=self.transport, timeout=options.timeout
        )
        self.checker = ConformanceChecker(options.contract.document)
        self.seen: dict[tuple[str, str, str], int] = {}

    def stop_reason(self) -> str | None:
        """Why nothing more should be sent, or None: the run's time is up, or the deployment is gone."""
        if self.clock.expired:
            self.report.timed_out = True
            return f"the run's --timeout ({self.options.total_timeout:g}s) was reached"
        if self.transport.failures_in_a_row >= UNREACHABLE_AFTER:
            self.report.unreachable = (
                f"{self.transport.failures_in_a_row} requests in a row got no answer "
                f"(last: {clip(self.transport.last_failure, 300)})"
            )
            return self.report.unreachable
        return None

    def probe(self) -> bool:
        """One read before anything else: is the deployment there, and what does it say the sandbox is."""
        try:
            response = self.client.get(PROBE, headers=self.options.credentials.headers())
        except AnswerTooLarge:
            return True  # it answered; what it says about the sandbox is past the read cap
        except httpx.HTTPError as exc:
            self.report.unreachable = (
                f"{self.options.base_url} could not be reached: {type(exc).__name__}: {exc}"
            )
            self.report.unreachable = clip(self.report.unreachable, 500)
            return False
        try:
            body = response.json() if response.is_success else None
        except ValueError:
            body = None
        self.report.sandbox_type = sandbox_type(body, self.options.credentials.sandbox)
        return True

    def add_drift(self, drift: Drift) -> None:
        # The same finding from many generated cases is one drift: the first one, as it was seen.
        key = (drift.operation, drift.kind, drift.expected[:200])
        if key in self.seen:
            return
        self.seen[key] = len(self.report.drifts)
        self.report.drifts.append(drift)

    # -- schemathesis ------------------------------------------------------------------------------

    def schemathesis_operations(self) -> list[Any]:
        import schemathesis

        schema = schemathesis.openapi.from_dict(self.options.contract.document)
        from schemathesis.core.result import Ok

        chosen: list[Any] = []
        pattern = re.compile(self.options.operations) if self.options.operations else None
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):  # the description itself is broken here; say so and go on
                note = str(result.err())
                self.report.rows.append(Row("schemathesis", "(unloadable operation)", "skipped", note=note))
                continue
            operation = result.ok()
            if operation.path.startswith(("/ims/", "/__admin")):
                continue
            writable = (
                self.options.allow_writes
                and operation.method.upper() == "POST"
                and (operation.path in UNDOABLE_CREATES)
            )
            if operation.method.upper() != "GET" and not writable:
                continue
            if pattern is not None and not pattern.search(operation.label):
                continue
            chosen.append(operation)
        return chosen

    def fuzz_operation(self, operation: Any) -> None:
        started = time.monotonic()
        before = len(self.report.drifts)
        cases = refused = 0
        errors: list[str] = []
        for case in self._cases(operation):
            if self.clock.expired:
                break
            if case.method.upper() != operation.method.upper():
                continue  # coverage also tries undocumented methods on the path; those could write
            cases += 1
            try:
                self._send_case(operation, case)
            except WriteRefused:
                refused += 1
            except httpx.HTTPError as exc:
                errors.append(clip(f"{type(exc).__name__}: {exc}", 500))
                if len(errors) >= 3 or self.stop_reason() is not None:
                    break
        status = "errored" if errors else ("drift" if len(self.report.drifts) > before else "passed")
        note = "; ".join(errors[:1]) or (
            f"{len(self.report.drifts) - before} drift(s)" if status == "drift" else ""
        )
        if refused:
            note = f"{note}; {refused} case(s) refused by the write guard".lstrip("; ")
        self.report.rows.append(
            Row("schemathesis", operation.label, status, cases, note, time.monotonic() - started)
        )

    def _cases(self, operation: Any) -> Iterator[Any]:
        from schemathesis import GenerationMode

        schema = operation.schema
        if self.options.coverage:
            config = schema.config.generation_for(operation=operation, phase="coverage")
            yield from schema.iter_coverage_cases(
                operation,
                generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                generation_config=config,
            )
        if self.options.fuzz and self.options.max_examples > 0:
            yield from _hypothesis_cases(
                operation, self.options.max_examples, self.options.credentials.headers()
            )

    def _send_case(self, operation: Any, case: Any) -> None:
        if isinstance(case.body, dict):
            # Only a create validate can undo is sent (see UNDOABLE_CREATES).
            case.body = {**case.body, **UNDOABLE_CREATES.get(operation.path, {})}
        kwargs = case.as_transport_kwargs(base_url=self.client.base_url.__str__().rstrip("/"))
        headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()}
        target = _coverage_target(case)
        for name, value in self.options.credentials.headers().items():
            if target is not None and target == name.lower():
                continue  # this case is about that very header being wrong or missing
            for existing in [k for k in headers if k.lower() == name.lower()]:
                del headers[existing]
            headers[name] = value
        body: dict[str, Any] = {}
        if "json" in kwargs:
            body["content"] = json.dumps(kwargs["json"]).encode()
        elif isinstance(kwargs.get("data"), bytes | str):
            body["content"] = kwargs["data"]
        request = self.client.build_request(
            kwargs["method"], kwargs["url"], headers=headers, params=kwargs.get("params") or None, **body
        )
        response = self.client.send(request)
        self._check_case(operation, case, request, response)

    def _check_case(
        self, operation: Any, case: Any, request: httpx.Request, response: httpx.Response
    ) -> None:
        from schemathesis.checks import not_a_server_error
        from schemathesis.core.failures import FailureGroup
        from schemathesis.specs.openapi.checks import (
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
            status_code_conformance,
        )

        described = f"{request.method} {request.url.raw_path.decode()}"
        target = _coverage_target(case)
        if target is not None and _is_missing(case) and response.is_success:
            self.add_drift(
                Drift(
                    "schemathesis",
                    operation.label,
                    f"missing required header {target!r} was not rejected",
                    "a 4xx answer (the header is required)",
                    f"{response.status_code} {_short(response.text)}",
                    described,
                )
            )
        try:
            case.validate_response(
                response,
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    content_type_conformance,
                    response_headers_conformance,
                    response_schema_conformance,
                ],
                headers=dict(request.headers),
            )
        except FailureGroup as group:
            for failure in group.exceptions:
                self.add_drift(self._drift_from_failure(operation, failure, described, response))
        except Exception as exc:  # a check that cannot run on this answer is itself a finding
            self.add_drift(
                Drift(
                    "schemathesis",
                    operation.label,
                    "response could not be checked",
                    "a checkable response",
                    f"{type(exc).__name__}: {exc}",
                    described,
                )
            )

    def _drift_from_failure(
        self, operation: Any, failure: Any, described: str, response: httpx.Response
    ) -> Drift:
        kind = str(getattr(failure, "title", "") or type(failure).__name__)
        got = f"{response.status_code} {response.headers.get('content-type', '(no content type)')}"
        expected = (
            str(getattr(failure, "message", "")).strip().splitlines()[0]
            if getattr(failure, "message", "")
            else ""
        )
        diff = ""
        name = type(failure).__name__
        if name == "UndefinedStatusCode":
            expected = "a documented status: " + ", ".join(map(str, failure.defined_status_codes))
            got = f"{response.status_code} {_short(response.text)}"
        elif name == "UndefinedContentType":
            expected = "a documented media type: " + ", ".join(failure.defined_content_types)
            got = str(failure.content_type)
        elif name == "MissingHeaders":
            expected = "response headers " + ", ".join(failure.missing_headers)
            got = "without " + ", ".join(failure.missing_headers)
        elif name == "JsonSchemaError":
            path = "/".join(map(str, failure.instance_path)) or "(body)"
            expected = (
                f"a body matching the schema ({path}: {_short(str(failure.message).splitlines()[0], 200)})"
            )
            got = f"{response.status_code} {_short(response.text)}"
            schema = _response_schema(self.options.contract.document, operation, response)
            try:
                diff = "\n".join(shape_diff(self.options.contract.document, schema, response.json()))
            except ValueError:
                diff = ""
        elif name == "ServerError":
            expected = "no server error (status below 500)"
            got = f"{response.status_code} {_short(response.text)}"
        return Drift("schemathesis", operation.label, kind, expected, got, described, diff)

    # -- scenarios ---------------------------------------------------------------------------------

    def scenarios(self) -> list[tuple[Any, str | None, int]]:
        """(scenario as it will run, why it is skipped or None, its step count in the file) for each file."""
        from profile_harness.scenarios import load_scenarios

        paths = [p for p in self.options.scenario_paths if p.exists()]
        chosen: list[tuple[Any, str | None, int]] = []
        for scenario in load_scenarios(paths) if paths else []:
            if scenario.safe:  # only a scenario marked safe ever goes to a real deployment
                chosen.append((*self._prepare_scenario(scenario), len(scenario.steps)))
            else:
                self.report.unsafe_scenarios += 1
        return chosen

    def _prepare_scenario(self, scenario: Any) -> tuple[Any, str | None]:
        if scenario.pending:
            return scenario, f"pending: {scenario.pending}"
        if scenario.fixtures or scenario.faults:
            return scenario, "needs fixtures or faults (a profile-harness server only)"
        if scenario.tenant:
            return scenario, "pins its own tenant; validate stays in the sandbox it was given"
        if self.options.allow_writes:
            return scenario, None
        kept = [s for s in scenario.steps if s.request.method in ("GET", "HEAD", "OPTIONS")]
        dropped = [s for s in scenario.steps if s not in kept]
        needed = {v for s in kept for v in _VAR.findall(json.dumps(dataclasses.asdict(s.request)))}
        if any(set(s.capture) & needed for s in dropped):
            return scenario, "its reads depend on writes (runs with --allow-writes)"
        if not kept:
            return scenario, "only writes (runs with --allow-writes)"
        if dropped:
            steps = tuple(dataclasses.replace(s, index=i) for i, s in enumerate(kept))
            return dataclasses.replace(scenario, steps=steps), None
        return scenario, None

    def replay(self, scenario: Any, skip: str | None, original_steps: int) -> None:
        from profile_harness.scenarios import OutcomeKind, Target, run_scenario

        name = str(scenario.path)
        if skip is not None:
            self.report.rows.append(Row("scenario", name, "skipped", note=skip))
            return
        creds = self.options.credentials
        target = Target(
            client=self.client,
            token=creds.token,
            api_key=creds.api_key,
            org=creds.org,
            sandbox=creds.sandbox,
            admin=False,
            checker=self.checker,
            sleep=self.options.sleep,
        )
        outcome = run_scenario(scenario, target)
        last = self.transport.last_response
        note = ""
        if len(scenario.steps) < original_steps:
            note = f"{original_steps - len(scenario.steps)} write step(s) left out (read-only)"
        if outcome.kind is OutcomeKind.PASSED:
            status = "passed"
        elif outcome.kind is OutcomeKind.FAILED and outcome.failure is not None:
            status = "drift"
            self.add_drift(self._drift_from_step(scenario, outcome.failure, last))
        elif "WriteRefused" in outcome.detail:
            status, note = "skipped", outcome.detail
        else:
            status, note = "errored", outcome.detail
        self.cleanup(name)
        self.report.rows.append(Row("scenario", name, status, len(scenario.steps), note, outcome.seconds))

    def _drift_from_step(self, scenario: Any, failure: Any, response: httpx.Response | None) -> Drift:
        step = next((s for s in scenario.steps if s.name == failure.step), None)
        method, _, path = failure.request.partition(" ")
        template = self.options.contract.operation_for(method, httpx.URL(path).path) or path
        expected = "the documented answer"
        diff = ""
        if step is not None:
            parts = []
            if step.expect.status:
                parts.append("status " + " or ".join(map(str, step.expect.status)))
            if step.expect.has_body:
                parts.append("the scenario's body")
            expected = ", ".join(parts) or "a conforming answer"
            if step.expect.has_body and response is not None:
                try:
                    actual = response.json()
                except ValueError:
                    actual = response.text
                diff = body_diff(step.expect.body, actual)
        got = "; ".join(failure.problems)
        return Drift(
            str(scenario.path),
            f"{method} {template}",
            f"scenario step failed: {failure.step}",
            expected,
            got,
            failure.request,
            diff,
        )

    # -- clean-up ----------------------------------------------------------------------------------

    def cleanup(self, where: str) -> None:
        for created in reversed(self.transport.created):
            if created.deleted:
                continue
            if not created.path:
                created.deleted = True
                self.add_drift(
                    Drift(
                        "cleanup",
                        created.by,
                        "created something validate cannot find again",
                        "an id in the create answer (body id or Location)",
                        "none",
                        created.by,
                    )
                )
                continue
            try:
                response = self.client.delete(created.path, headers=self.options.credentials.headers())
            except httpx.HTTPError as exc:
                self.add_drift(
                    Drift(
                        "cleanup",
                        f"DELETE {created.path}",
                        "clean-up failed",
                        "the resource deleted",
                        f"{type(exc).__name__}: {exc}",
                        f"after {where}",
                    )
                )
                created.deleted = True
                continue
            created.deleted = True
            if not (response.is_success or response.status_code == 404):
                self.add_drift(
                    Drift(
                        "cleanup",
                        f"DELETE {created.path}",
                        "clean-up failed",
                        "a 2xx answer",
                        f"{response.status_code} {_short(response.text)}",
                        f"after {where}",
                    )
                )

    def close(self) -> None:
        self.report.requests_sent = self.transport.requests_sent
        self.report.rate_limited = self.transport.rate_limited
        self.report.waited = self.transport.waited
        self.report.created = sum(1 for c in self.transport.created if c.path)
        self.report.deleted = sum(1 for c in self.transport.created if c.path and c.deleted)
        self.client.close()


def _hypothesis_cases(operation: Any, max_examples: int, headers: dict[str, str]) -> list[Any]:
    """Up to ``max_examples`` positive cases, derandomized so two runs send the same requests."""
    from hypothesis import HealthCheck, Phase, given, settings

    found: list[Any] = []
    strategy = operation.as_strategy(headers=headers)

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def collect(case: Any) -> None:
        found.append(case)

    with contextlib.suppress(Exception):  # an unsatisfiable schema: whatever was drawn is still sent
        collect()
    return found


def _coverage_target(case: Any) -> str | None:
    """The header a coverage case is about (lower-cased), when it is about a header."""
    meta = getattr(case, "meta", None)
    data = getattr(getattr(meta, "phase", None), "data", None)
    parameter = getattr(data, "parameter", None)
    location = getattr(getattr(data, "parameter_location", None), "value", None)
    mode = getattr(getattr(getattr(meta, "generation", None), "mode", None), "value", None)
    if parameter and location == "header" and mode == "negative":
        return str(parameter).lower()
    return None


def _is_missing(case: Any) -> bool:
    data = case.meta.phase.data
    return getattr(getattr(data, "scenario", None), "value", "") == "missing_parameter"


def _response_schema(doc: dict[str, Any], operation: Any, response: httpx.Response) -> Any:
    item = (doc.get("paths") or {}).get(operation.path) or {}
    responses = (item.get(operation.method.lower()) or {}).get("responses") or {}
    documented = responses.get(str(response.status_code)) or responses.get("default") or {}
    if "$ref" in documented:
        node: Any = doc
        for part in documented["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {})
        documented = node
    content = documented.get("content") or {}
    media = response.headers.get("content-type", "").split(";")[0].strip()
    chosen: dict[str, Any] = content.get(media) or next(iter(content.values()), {})
    return chosen.get("schema")


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text[: limit * 8].split())  # only the head is shown: never split a whole large body
    return text if len(text) <= limit else text[: limit - 1] + "…"


def run_validation(
    options: ValidateOptions,
    *,
    on_total: Callable[[int], None] = lambda _n: None,
    on_step: Callable[[str], None] = lambda _s: None,
) -> Report:
    """Run both phases, clean up, and return the report (nothing is printed here)."""
    started = time.monotonic()
    report = Report(
        base_url=options.base_url,
        spec=options.contract.name,
        read_only=not options.allow_writes,
        sandbox=options.credentials.sandbox,
        spec_notes=list(options.contract.notes),
    )
    run = _Run(options, report, on_step)
    try:
        if not run.probe():
            return report
        reason = production_reason(options.credentials.sandbox, report.sandbox_type)
        if options.allow_writes and reason and not options.production_confirmed:
            raise ProductionSandbox(
                f"sandbox {options.credentials.sandbox!r} is production ({reason}); writes there need "
                "--allow-writes twice (or --i-know-this-is-production)"
            )
        operations = run.schemathesis_operations() if (options.coverage or options.fuzz) else []
        scenarios = run.scenarios()
        on_total(len(operations) + len(scenarios))
        work: list[Any] = [*operations, *scenarios]
        for done, item in enumerate(work):
            stop = run.stop_reason()
            if stop is not None:
                left = f"({len(work) - done} operation(s) / scenario(s) not run)"
                report.rows.append(Row("run", left, "skipped", note=stop))
                break
            if isinstance(item, tuple):
                on_step(str(item[0].path))
                run.replay(*item)
            else:
                on_step(item.label)
                run.fuzz_operation(item)
        else:
            run.stop_reason()  # the last request may have been the one that ran out of time
    finally:
        run.clock.total = None  # what this run created is deleted even when its time is up
        run.cleanup("the run")
        run.close()
        report.seconds = time.monotonic() - started
    return report
