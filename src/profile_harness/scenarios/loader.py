"""Read scenario files: YAML, checked against spec/scenario.schema.json, errors naming file and place."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from profile_harness.openapi.documents import schema_errors
from profile_harness.scenarios.model import Scenario

__all__ = ["ScenarioFileError", "find_scenario_files", "load_scenario", "load_scenarios"]


class ScenarioFileError(ValueError):
    """A scenario file is unreadable or breaks the scenario schema; the message says where."""


def load_scenario(path: Path) -> Scenario:
    """Load one scenario file, or raise :class:`ScenarioFileError` naming the file and the place."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioFileError(f"{path}: is not valid YAML: {exc}") from exc
    errors = schema_errors("scenario.schema.json", data, str(path))
    if errors:
        raise ScenarioFileError("\n".join(errors))
    return Scenario.from_dict(path, data)


def find_scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files under ``paths`` (files as given, folders searched for *.yaml), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        else:
            found.append(path)
    return found


def load_scenarios(paths: Iterable[Path]) -> list[Scenario]:
    return [load_scenario(path) for path in find_scenario_files(paths)]
