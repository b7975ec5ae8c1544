"""`profile-harness lint` checks scenario files: schema errors and requests to no operation."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from profile_harness.cli import main


def _write(tmp_path: Path, steps: list[dict[str, object]]) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "source": {"doc": "x.md"}, "steps": steps}))
    return path


def test_lint__good_scenario(tmp_path):
    steps = [{"request": {"method": "GET", "path": "/data/core/ups/config/mergePolicies/{{id}}"}}]
    result = CliRunner().invoke(main, ["lint", str(_write(tmp_path, steps))])
    assert result.exit_code == 0, result.output


def test_lint__request_to_no_operation(tmp_path):
    steps = [{"request": {"method": "PATCH", "path": "/data/core/ups/config/mergePolicies"}}]
    result = CliRunner().invoke(main, ["lint", str(_write(tmp_path, steps))])
    assert result.exit_code == 1
    assert "PATCH /data/core/ups/config/mergePolicies is not an operation of the spec" in result.output


def test_lint__malformed_scenario_names_the_place(tmp_path):
    steps = [{"request": {"method": "GET"}}]
    result = CliRunner().invoke(
        main, ["lint", str(tmp_path / "scenarios")] if _write(tmp_path, steps) else []
    )
    assert result.exit_code == 1
    assert "steps[0].request: 'path' is a required property" in result.output
