"""The runner passes what holds and fails, readably, on a wrong status, a missing field, a spec violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from starlette.testclient import TestClient

from profile_harness import handlers
from profile_harness.app import create_app
from profile_harness.cli import main
from profile_harness.options import HarnessOptions
from profile_harness.scenarios import (
    OutcomeKind,
    ScenarioFileError,
    Target,
    load_scenario,
    run_scenario,
)
from profile_harness.scenarios.targets import in_process_target

HEALTH_STEP = {"request": {"method": "GET", "path": "/__admin/health"}, "expect": {"status": 200}}


def _scenario(tmp_path: Path, steps: list[dict[str, Any]], **extra: Any) -> Path:
    doc = {"name": "t", "source": {"doc": "x.md"}, "steps": steps, **extra}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _run(path: Path, target: Target | None = None):  # type: ignore[no-untyped-def]
    return run_scenario(load_scenario(path), target or in_process_target())


def test_runner__passes_and_captures(tmp_path):
    steps = [
        {**HEALTH_STEP, "capture": {"v": "body.version"}},
        {
            "request": {"method": "GET", "path": "/__admin/health"},
            "expect": {"status": 200, "body": {"version": "{{v}}", "status": "ok"}, "match": "exact"},
        },
    ]
    assert _run(_scenario(tmp_path, steps)).kind is OutcomeKind.PASSED


def test_runner__wrong_status_fails(tmp_path):
    outcome = _run(_scenario(tmp_path, [{**HEALTH_STEP, "expect": {"status": 201}}]))
    assert outcome.kind is OutcomeKind.FAILED
    assert "status: expected 201, got 200" in outcome.detail


def test_runner__missing_field_fails(tmp_path):
    step = {**HEALTH_STEP, "expect": {"status": 200, "body": {"uptime": {"$any": True}}}}
    outcome = _run(_scenario(tmp_path, [step]))
    assert outcome.kind is OutcomeKind.FAILED
    assert "uptime: expected" in outcome.detail
    assert "(absent)" in outcome.detail


def test_runner__spec_violation_fails(tmp_path, monkeypatch):
    """A server that answers a Platform call with a body its spec does not allow is caught."""

    async def bad_token(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        return {"access_token": 42, "token_type": "bearer", "expires_in": 1}, 200

    monkeypatch.setattr(handlers.ims, "imsToken", bad_token)
    app = create_app(options=HarnessOptions(validate_responses=False))
    target = Target(client=TestClient(app))
    step = {
        "request": {
            "method": "POST",
            "path": "/ims/token/v3",
            "credentials": False,
            "form": {"grant_type": "client_credentials", "client_id": "a", "client_secret": "b"},
        },
        "expect": {"status": 200},
    }
    outcome = _run(_scenario(tmp_path, [step]), target)
    assert outcome.kind is OutcomeKind.FAILED
    assert "response does not conform to the spec" in outcome.detail


def test_runner__pending_is_reported(tmp_path):
    outcome = _run(_scenario(tmp_path, [HEALTH_STEP], pending="not built"))
    assert outcome.kind is OutcomeKind.PENDING
    assert outcome.detail == "not built"


def test_runner__missing_variable_errors(tmp_path):
    step = {"request": {"method": "GET", "path": "/x/{{nope}}"}}
    outcome = _run(_scenario(tmp_path, [step]))
    assert outcome.kind is OutcomeKind.ERRORED
    assert "nope" in outcome.detail


def test_runner__poll_is_bounded(tmp_path):
    step = {**HEALTH_STEP, "poll": {"until": {"body": {"status": "never"}}, "max": 3, "interval": 0}}
    outcome = _run(_scenario(tmp_path, [step]))
    assert outcome.kind is OutcomeKind.FAILED
    assert "after 3 polls" in outcome.detail


def test_loader__malformed_file_names_file_and_place(tmp_path):
    path = _scenario(tmp_path, [{"request": {"method": "FETCH", "path": "/x"}}])
    with pytest.raises(ScenarioFileError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert "steps[0].request.method" in str(info.value)


def test_loader__invalid_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [")
    with pytest.raises(ScenarioFileError, match="not valid YAML"):
        load_scenario(path)


def test_replay_cli__exit_codes_and_junit(tmp_path):
    good = _scenario(tmp_path, [HEALTH_STEP])
    junit = tmp_path / "out.xml"
    result = CliRunner().invoke(main, ["replay", str(good), "--junit-xml", str(junit)])
    assert result.exit_code == 0, result.output
    assert 'tests="1"' in junit.read_text()
    pending = tmp_path / "p.yaml"
    pending.write_text(good.read_text() + "pending: later\n")
    assert CliRunner().invoke(main, ["replay", str(pending)]).exit_code == 0
    assert CliRunner().invoke(main, ["replay", str(pending), "--strict"]).exit_code == 1
    bad = _scenario(tmp_path, [{**HEALTH_STEP, "expect": {"status": 404}}])
    assert CliRunner().invoke(main, ["replay", str(bad)]).exit_code == 1
