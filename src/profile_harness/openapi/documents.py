"""The project's own JSON Schemas (fixtures, scenarios): cached validators and readable error places."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from jsonschema import Draft202012Validator

from profile_harness.openapi.bundle import spec_dir

__all__ = ["schema_errors", "where"]


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((spec_dir() / name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def where(path: Iterable[Any]) -> str:
    """``tenants[0].datasets[1].id`` for a JSON path; ``(top level)`` for the root."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top level)"


def schema_errors(schema_file: str, document: Any, source: str, *, limit: int = 5) -> list[str]:
    """``<source>: <place>: <message>`` for each way ``document`` breaks ``spec/<schema_file>``."""
    found = _validator(schema_file).iter_errors(document)
    errors = sorted(found, key=lambda e: list(map(str, e.absolute_path)))
    return [f"{source}: {where(e.absolute_path)}: {e.message}" for e in errors[:limit]]
