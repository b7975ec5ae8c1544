"""Drift: one place where the deployment differs from the contract, worded for a person."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["CLIP", "Drift", "body_diff", "clip", "shape_diff"]

#: How much of a body or message a report shows (characters); the rest is counted, not printed.
CLIP = 2048
#: Lines of each side a body diff compares; longer bodies are cut first (difflib is not linear).
DIFF_LINES = 400


@dataclass(frozen=True)
class Drift:
    """What was sent, what the contract expected and what came back."""

    source: str  # "schemathesis", a scenario file, or "cleanup"
    operation: str  # "GET /data/core/ups/config/mergePolicies/{mergePolicyId}"
    kind: str  # a short title: "undocumented status code", "response body breaks the schema", ...
    expected: str
    got: str
    request: str = ""  # the concrete request: "GET /data/...?limit=2"
    diff: str = ""  # a body diff, when there is a body to compare

    def __post_init__(self) -> None:
        for name, limit in (("expected", CLIP), ("got", CLIP), ("request", CLIP), ("diff", 4 * CLIP)):
            object.__setattr__(self, name, clip(getattr(self, name), limit))

    def text(self) -> str:
        lines = [
            f"{self.operation}: {self.kind}",
            f"  request:  {self.request}" if self.request else "",
            f"  expected: {self.expected}",
            f"  got:      {self.got}",
            f"  found by: {self.source}",
        ]
        if self.diff:
            lines.append("  body diff:")
            lines.extend(f"    {line}" for line in self.diff.splitlines())
        return "\n".join(line for line in lines if line)


def clip(text: str, limit: int = CLIP) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was: ``... (10485760 bytes)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text.encode('utf-8', 'replace'))} bytes)"


def _dump(value: Any) -> list[str]:
    lines = json.dumps(value, indent=2, sort_keys=True, default=str).splitlines()
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... ({len(lines) - DIFF_LINES} more lines not compared)"]
    return lines


def body_diff(expected: Any, actual: Any) -> str:
    """A unified diff of two JSON values, keys sorted (the first ``DIFF_LINES`` lines of each)."""
    return "\n".join(
        difflib.unified_diff(_dump(expected), _dump(actual), "expected", "got", lineterm="", n=2)
    )


def _resolve(doc: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 20:
        node: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        schema, depth = node, depth + 1
    return schema


def _properties(doc: dict[str, Any], schema: Any, body: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Documented properties and required names of an object schema (allOf merged, best anyOf branch)."""
    schema = _resolve(doc, schema)
    if not isinstance(schema, dict):
        return {}, set()
    props = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        p, r = _properties(doc, part, body)
        props.update(p)
        required |= r
    branches = [_properties(doc, b, body) for b in (schema.get("anyOf") or schema.get("oneOf") or [])]
    if branches:
        p, r = max(branches, key=lambda pr: len(set(pr[0]) & set(body)) - len(pr[1] - set(body)))
        props.update(p)
        required |= r
    return props, required


def shape_diff(doc: dict[str, Any], schema: Any, body: Any, where: str = "", depth: int = 0) -> list[str]:
    """Fields the schema requires but the body lacks (``-``), and body fields the schema lacks (``+``)."""
    if depth > 3:
        return []
    schema = _resolve(doc, schema)
    if isinstance(body, list) and isinstance(schema, dict):
        items = schema.get("items")
        prefix = where.rstrip(".") + "[0]."
        return shape_diff(doc, items, body[0], prefix, depth + 1) if body and items else []
    if not isinstance(body, dict):
        return []
    props, required = _properties(doc, schema, body)
    if not props and not required:
        return []
    lines = []
    for name in sorted(required - set(body)):
        lines.append(f"- {where}{name}  (required by the schema, missing)")
    for name in sorted(set(body) - set(props)):
        lines.append(f"+ {where}{name}  (not in the schema)")
    for name in sorted(set(body) & set(props)):
        lines.extend(shape_diff(doc, props[name], body[name], f"{where}{name}.", depth + 1))
    return lines
