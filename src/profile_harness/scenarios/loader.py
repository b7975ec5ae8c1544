"""Read scenario files: YAML, checked against spec/scenario.schema.json, errors naming file and place."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from profile_harness.scenarios.model import Scenario
from profile_harness.specs import spec_dir

__all__ = ["ScenarioFileError", "find_scenario_files", "load_scenario", "load_scenarios"]


class ScenarioFileError(ValueError):
    """A scenario file is unreadable or breaks the scenario schema; the message says where."""


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads((spec_dir() / "scenario.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _where(path: Iterable[Any]) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return parts.lstrip(".") or "(top level)"


def load_scenario(path: Path) -> Scenario:
    """Load one scenario file, or raise :class:`ScenarioFileError` naming the file and the place."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioFileError(f"{path}: is not valid YAML: {exc}") from exc
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"{path}: {_where(error.absolute_path)}: {error.message}" for error in errors[:5]]
        raise ScenarioFileError("\n".join(lines))
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
