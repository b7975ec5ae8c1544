"""JSON Patch (RFC 6902) through the jsonpatch library, a failing operation as the 400 naming it."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import jsonpatch
import jsonpointer

from profile_harness.errors import BadRequest

__all__ = ["apply"]


def apply(document: Any, operations: Sequence[Mapping[str, Any]]) -> Any:
    """The document after the operations, applied in order to a copy: a failing one refuses them all."""
    out = copy.deepcopy(document)
    for operation in operations:
        # One operation at a time, so the refusal can name the operation that failed.
        try:
            out = jsonpatch.JsonPatch([dict(operation)]).apply(out, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise BadRequest(_refusal(operation, exc)) from None
    return out


def _refusal(operation: Mapping[str, Any], exc: Exception) -> str:
    op, path = operation.get("op"), operation.get("path")
    where = f"from {operation.get('from')} to {path}" if op in ("move", "copy") else f"at {path}"
    if isinstance(exc, jsonpatch.JsonPatchTestFailed):
        return f"test failed: {path} is not {operation.get('value')!r}"
    if isinstance(exc, jsonpointer.JsonPointerException):
        if str(exc).startswith("Location must start with /"):
            return f"{op} {where}: a path is not a JSON Pointer (one starts with /)"
        # jsonpointer's own text quotes the whole document; the path is what the client needs.
        return f"{op} {where}: the path does not exist"
    if isinstance(exc, jsonpatch.JsonPatchPathNotFound):
        return f"{op} {where}: the path does not exist"
    return f"{op} {where}: {exc}"
