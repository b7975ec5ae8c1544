"""Run a scenario against a target: the in-process app or any base URL, through one httpx client."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import httpx

from profile_harness.openapi.conformance import ConformanceChecker, default_checker
from profile_harness.scenarios.matching import Difference, interpolate, match, pick
from profile_harness.scenarios.model import Expectation, Request, Scenario, Step

__all__ = ["Outcome", "OutcomeKind", "StepFailure", "Target", "run_scenario"]


class OutcomeKind(Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    PENDING = "pending"


@dataclass(frozen=True)
class StepFailure:
    step: str
    request: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        lines = [f"{self.step}: {self.request}"] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    kind: OutcomeKind
    detail: str = ""
    seconds: float = 0.0
    failure: StepFailure | None = None


@dataclass
class Target:
    """Where scenarios go: an httpx client (a TestClient for in-process) and the Platform credentials.

    ``admin`` says the target is a profile-harness server, so the runner may reset the scenario's
    tenant and load its fixtures and faults through ``/__admin``.
    """

    client: httpx.Client
    token: str = "harness-token"
    api_key: str = "profile-harness"
    org: str = "HARNESS0000000000000000@AdobeOrg"
    sandbox: str = "prod"
    admin: bool = True
    checker: ConformanceChecker | None = None
    sleep: Any = field(default=time.sleep)

    def headers(self, scenario: Scenario) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "x-api-key": self.api_key,
            "x-gw-ims-org-id": scenario.tenant.get("org", self.org),
            "x-sandbox-name": scenario.tenant.get("sandbox", self.sandbox),
        }


class _ScenarioError(Exception):
    """The scenario could not be carried out (not a mismatch): a missing variable, a failed set-up."""


def _build(request: Request, base_headers: dict[str, str], variables: dict[str, Any]) -> dict[str, Any]:
    headers: dict[str, str] = dict(base_headers) if request.credentials else {}
    for name, value in interpolate(request.headers, variables).items():
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        if value is not None:
            headers[name] = str(value)
    kwargs: dict[str, Any] = {
        "method": request.method,
        "url": interpolate(request.path, variables),
        "headers": headers,
    }
    if request.query:  # httpx drops a query string written in the path when params is given, even empty
        kwargs["params"] = interpolate(request.query, variables)
    if request.form is not None:
        kwargs["data"] = interpolate(request.form, variables)
    elif request.raw is not None:
        kwargs["content"] = interpolate(request.raw, variables).encode()
    elif request.has_body:
        kwargs["content"] = json.dumps(interpolate(request.body, variables)).encode()
        if not any(k.lower() == "content-type" for k in request.headers):
            headers["Content-Type"] = "application/json"
    return kwargs


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _check(expect: Expectation, response: httpx.Response, variables: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if expect.status and response.status_code not in expect.status:
        wanted = " or ".join(map(str, expect.status))
        problems.append(f"status: expected {wanted}, got {response.status_code}: {response.text[:500]}")
    if expect.empty and response.content:
        problems.append(f"body: expected empty, got {response.text[:200]!r}")
    if expect.has_body:
        diffs: list[Difference] = match(
            interpolate(expect.body, variables), _json(response), exact=expect.exact
        )
        problems += [f"body {d}" for d in diffs]
    for name, value in interpolate(expect.headers, variables).items():
        actual = response.headers.get(name)
        if actual is None or not actual.lower().startswith(str(value).lower()):
            problems.append(f"header {name}: expected {value!r}, got {actual!r}")
    return problems


def _holds(expect: Expectation, response: httpx.Response, variables: dict[str, Any]) -> bool:
    return not _check(expect, response, variables)


def _run_step(
    step: Step, target: Target, scenario: Scenario, variables: dict[str, Any]
) -> StepFailure | None:
    try:
        kwargs = _build(step.request, target.headers(scenario), variables)
    except KeyError as exc:
        raise _ScenarioError(f"{step.name}: {exc.args[0]}") from exc
    described = f"{kwargs['method']} {kwargs['url']}"
    response = target.client.request(**kwargs)
    if step.poll is not None:
        for _ in range(step.poll.max - 1):
            if _holds(step.poll.until, response, variables):
                break
            target.sleep(step.poll.interval)
            response = target.client.request(**kwargs)
        else:
            if not _holds(step.poll.until, response, variables):
                problems = _check(step.poll.until, response, variables)
                return StepFailure(
                    step.name, described, (f"still not true after {step.poll.max} polls:", *problems)
                )
    problems = _check(step.expect, response, variables)
    if step.expect.conforms:
        checker = target.checker or default_checker()
        problems += [str(v) for v in checker.check(response.request, response)]
    if problems:
        return StepFailure(step.name, described, tuple(problems))
    source = {"status": response.status_code, "body": _json(response), "headers": dict(response.headers)}
    for name, expression in step.capture.items():
        try:
            variables[name] = pick(source, expression)
        except (KeyError, IndexError, TypeError) as exc:
            return StepFailure(step.name, described, (f"capture {name}: {exc}",))
    return None


def _prepare(scenario: Scenario, target: Target) -> None:
    """Reset the scenario's tenant on a harness target and load its fixtures and faults."""
    if not target.admin:
        if scenario.fixtures or scenario.faults:
            raise _ScenarioError("needs fixtures or faults, which only a profile-harness target can load")
        return
    headers = target.headers(scenario)
    tenant = {"org": headers["x-gw-ims-org-id"], "sandbox": headers["x-sandbox-name"]}
    calls: list[tuple[str, dict[str, Any]]] = [("/__admin/reset", {"params": tenant})]
    if scenario.fixtures:
        calls.append(("/__admin/fixtures", {"json": scenario.fixtures}))
    calls += [("/__admin/faults", {"json": {**tenant, **fault}}) for fault in scenario.faults]
    for path, kwargs in calls:
        response = target.client.post(path, **kwargs)
        if response.status_code >= 400:
            raise _ScenarioError(f"set-up {path} answered {response.status_code}: {response.text[:300]}")


def run_scenario(scenario: Scenario, target: Target) -> Outcome:
    """Run every step in order; stop at the first failing one."""
    if scenario.pending:
        return Outcome(scenario, OutcomeKind.PENDING, scenario.pending)
    started = time.monotonic()
    now = datetime.now(UTC)
    variables: dict[str, Any] = {"today": now.strftime("%Y-%m-%d"), "now_ms": int(now.timestamp() * 1000)}
    variables.update(scenario.variables)
    try:
        _prepare(scenario, target)
        for step in scenario.steps:
            failure = _run_step(step, target, scenario, variables)
            if failure is not None:
                return Outcome(
                    scenario, OutcomeKind.FAILED, str(failure), time.monotonic() - started, failure
                )
    except (_ScenarioError, httpx.HTTPError) as exc:
        return Outcome(
            scenario, OutcomeKind.ERRORED, f"{type(exc).__name__}: {exc}", time.monotonic() - started
        )
    return Outcome(scenario, OutcomeKind.PASSED, "", time.monotonic() - started)
