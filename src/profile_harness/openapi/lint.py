"""Check a bundled OpenAPI document: the OpenAPI rules, and every example against its schema."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, OAS31Validator
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from profile_harness.openapi.bundle import SpecError, bundle, iter_operations, spec_dir

__all__ = ["LintProblem", "lint_document", "lint_paths", "spec_dir"]


class LintProblem(str):
    """One problem found, worded for a person: where it is and what is wrong."""


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _media_examples(media: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield "example", media["example"]
    for name, example in (media.get("examples") or {}).items():
        if isinstance(example, dict) and "value" in example:
            yield f"examples/{name}", example["value"]


def _examples(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Yield (where, schema, example) for every example attached to a request or response body."""
    for path, method, operation in iter_operations(doc):
        here = f"{method.upper()} {path}"
        body = _resolve(doc, operation.get("requestBody")) or {}
        for media_type, media in (body.get("content") or {}).items():
            for name, value in _media_examples(media):
                yield f"{here} request {media_type} {name}", media.get("schema") or {}, value
        for status, response in (operation.get("responses") or {}).items():
            response = _resolve(doc, response)
            for media_type, media in (response.get("content") or {}).items():
                for name, value in _media_examples(media):
                    yield f"{here} {status} {media_type} {name}", media.get("schema") or {}, value
        for parameter in operation.get("parameters", []):
            parameter = _resolve(doc, parameter)
            if "example" in parameter and "schema" in parameter:
                where = f"{here} parameter {parameter.get('name')} example"
                yield where, parameter["schema"], parameter["example"]


def lint_document(doc: dict[str, Any]) -> list[LintProblem]:
    """Every problem in ``doc``: OpenAPI structure first, then examples that break their schema."""
    try:
        validate_openapi(doc)
    except OpenAPIValidationError as exc:
        where = "/".join(str(part) for part in exc.path) or "(top level)"
        return [LintProblem(f"not valid OpenAPI at {where}: {exc.message}")]
    validator_class = OAS31Validator if str(doc.get("openapi", "")).startswith("3.1") else OAS30Validator
    problems: list[LintProblem] = []
    for where, schema, example in _examples(doc):
        # Wrap the schema so that its local references resolve against the whole document.
        wrapped = {**schema, "components": doc.get("components", {})}
        validator = validator_class(wrapped)
        errors: list[ValidationError] = sorted(validator.iter_errors(example), key=str)
        for error in errors[:3]:
            at = "/".join(str(part) for part in error.absolute_path) or "(top)"
            problems.append(LintProblem(f"{where}: example at {at}: {error.message}"))
    return problems


def _is_spec(path: Path) -> bool:
    try:
        head = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(head, dict) and "openapi" in head


def lint_paths(paths: Iterable[Path]) -> Iterator[tuple[str, list[LintProblem]]]:
    """(name, problems) per spec root and per scenario file under ``paths``."""
    from profile_harness.scenarios.checks import check_scenario
    from profile_harness.scenarios.loader import ScenarioFileError, find_scenario_files, load_scenario

    for path in paths:
        if path.is_file() and _is_spec(path):
            try:
                yield path.name, lint_document(bundle(path))
            except SpecError as exc:
                yield path.name, [LintProblem(str(exc))]
            continue
        for file in find_scenario_files([path]):
            try:
                problems = [LintProblem(p) for p in check_scenario(load_scenario(file))]
            except ScenarioFileError as exc:
                problems = [LintProblem(str(exc))]
            yield str(file), problems
