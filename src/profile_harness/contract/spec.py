"""Load a description to validate against, and make a published one usable as a contract."""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openapi_schema_validator import OAS30Validator, OAS31Validator

from profile_harness.openapi import bundle as specs
from profile_harness.openapi.paths import PathTemplate, compile_template

__all__ = ["Contract", "load_contract", "prepare_document"]

_SCHEMA_CHILDREN = ("items", "additionalProperties", "not")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


@dataclass
class Contract:
    """A prepared description (every path absolute, literal ``$ref`` properties and bad examples gone)."""

    document: dict[str, Any]
    name: str
    #: What was changed to make the description usable, worded for the report.
    notes: list[str] = field(default_factory=list)

    def templates(self) -> list[tuple[str, str, PathTemplate]]:
        """(METHOD, path template, compiled) for every operation; the most specific sort first."""
        found = [
            (method.upper(), path, compile_template(path))
            for path, method, _operation in specs.iter_operations(self.document)
        ]
        return sorted(found, key=lambda item: item[2].specificity)

    def operation_for(self, method: str, path: str) -> str | None:
        """The path template that ``method path`` addresses (a trailing ``/`` allowed), or None."""
        for m, template, compiled in self.templates():
            if m == method.upper() and compiled.matches(path, trailing_slash=True):
                return template
        return None

    def has_operation(self, method: str, template: str) -> bool:
        item = (self.document.get("paths") or {}).get(template) or {}
        return isinstance(item.get(method.lower()), dict)


def load_contract(path: Path | None = None) -> Contract:
    """The project's description, or the one at ``path`` (a single file or a root with parts)."""
    if path is None:
        return Contract(prepare_document(specs.platform_spec(), []), "profile-harness spec")
    notes: list[str] = []
    return Contract(prepare_document(specs.bundle(path), notes), path.name, notes)


def _server_prefix(doc: dict[str, Any]) -> str:
    servers = doc.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return ""
    url = str(servers[0].get("url", ""))
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return urlsplit(url).path.rstrip("/")


def prepare_document(doc: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """A copy of ``doc`` every tool here can load; each change is described in ``notes``.

    - the server's base path (``/data/core`` in Adobe's file) is moved into the paths, so a request
      path is matched the same way whatever host it went to;
    - response status keys become strings (YAML reads ``200`` as an integer);
    - a schema property literally named ``$ref`` is taken out of ``properties`` (it breaks reference
      resolvers; the schema stays open, so the key is still accepted), see ``specs.for_connexion``;
    - unquoted dates and times (YAML 1.1 timestamps to PyYAML, strings to OpenAPI's YAML 1.2) become
      ISO 8601 strings again, so the examples that hold them are not taken for broken ones;
    - examples that break their own schema are dropped, since generated requests would start from them.
    """
    out = _untimestamped(copy.deepcopy(doc), notes)
    prefix = _server_prefix(out)
    if prefix:
        out["paths"] = {prefix + path: item for path, item in (out.get("paths") or {}).items()}
        notes.append(f"server base path {prefix} moved into every path")
    out["servers"] = [{"url": "https://platform.adobe.io"}]
    for _path, _method, operation in specs.iter_operations(out):
        responses = operation.get("responses") or {}
        operation["responses"] = {str(status): value for status, value in responses.items()}
    if _has_literal_ref_property(out):
        notes.append(
            "schema properties literally named $ref are left out of `properties` (schemas stay open)"
        )
    out = specs.for_connexion(out)
    _drop_bad_examples(out, notes)
    return out


def _untimestamped(node: Any, notes: list[str]) -> Any:
    if isinstance(node, dict):
        return {key: _untimestamped(value, notes) for key, value in node.items()}
    if isinstance(node, list):
        return [_untimestamped(item, notes) for item in node]
    if isinstance(node, datetime.date):
        if not any(note.startswith("unquoted dates") for note in notes):
            notes.append("unquoted dates and times are read as strings (YAML 1.2), as ISO 8601")
        return node.isoformat()
    return node


def _has_literal_ref_property(node: Any) -> bool:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict) and isinstance(props.get("$ref"), dict):
            return True
        return any(_has_literal_ref_property(v) for k, v in node.items() if k not in ("example", "examples"))
    if isinstance(node, list):
        return any(_has_literal_ref_property(item) for item in node)
    return False


def _validator(doc: dict[str, Any], schema: Any) -> Any:
    cls = OAS31Validator if str(doc.get("openapi", "")).startswith("3.1") else OAS30Validator
    # Local references resolve against the whole document when its components sit beside the schema.
    return cls({**schema, "components": doc.get("components", {})} if isinstance(schema, dict) else schema)


def _first_error(doc: dict[str, Any], schema: Any, value: Any) -> str | None:
    try:
        error = next(iter(_validator(doc, schema).iter_errors(value)), None)
    except Exception as exc:  # an unresolvable schema: the example cannot be trusted either
        return str(exc)
    if error is None:
        return None
    at = "/".join(str(p) for p in error.absolute_path) or "(top)"
    return f"{at}: {error.message}"


def _drop_bad_examples(doc: dict[str, Any], notes: list[str]) -> None:
    def visit(node: Any, where: str, in_schema: bool) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, f"{where}/{i}", in_schema)
            return
        if not isinstance(node, dict):
            return
        if where == "#/components/schemas":
            for name, value in node.items():
                visit(value, f"{where}/{name}", True)
            return
        schema = node if in_schema else node.get("schema")
        if isinstance(schema, dict):
            bare = {k: v for k, v in schema.items() if k != "example"} if in_schema else schema
            if "example" in node:
                problem = _first_error(doc, bare, node["example"])
                if problem:
                    del node["example"]
                    notes.append(f"example at {where} breaks its schema ({problem}); ignored")
            examples = node.get("examples") if not in_schema else None
            if isinstance(examples, dict):
                for name in list(examples):
                    example = examples[name]
                    if isinstance(example, dict) and "value" in example:
                        problem = _first_error(doc, bare, example["value"])
                        if problem:
                            del examples[name]
                            notes.append(
                                f"example {where}/examples/{name} breaks its schema ({problem}); ignored"
                            )
        for key, value in node.items():
            if key in ("example", "examples"):
                continue
            child_in_schema = key == "schema" or (in_schema and key in _SCHEMA_CHILDREN)
            if in_schema and key == "properties" and isinstance(value, dict):
                for name, prop in value.items():
                    visit(prop, f"{where}/properties/{name}", True)
                continue
            if in_schema and key in _SCHEMA_LISTS and isinstance(value, list):
                for i, item in enumerate(value):
                    visit(item, f"{where}/{key}/{i}", True)
                continue
            visit(value, f"{where}/{key}", child_in_schema)

    visit(doc, "#", False)
