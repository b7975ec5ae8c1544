"""Thin handlers, one module per spec tag; each is the function named after the operationId it serves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from profile_harness.handlers import (
    admin,
    catalog,
    computed_attributes,
    data_access,
    edge,
    entities,
    export_jobs,
    ims,
    legacy_computed_attributes,
    merge_policies,
    preview,
    system_jobs,
)

__all__ = ["MODULES", "find"]

#: spec tag -> the module whose functions serve the operations of that tag.
MODULES: Mapping[str, ModuleType] = {
    "Admin": admin,
    "Entities": entities,
    "Merge policies": merge_policies,
    "Export jobs": export_jobs,
    "System jobs": system_jobs,
    "Preview sample status": preview,
    "Computed attributes": computed_attributes,
    "Computed attributes (legacy)": legacy_computed_attributes,
    "Edge destinations": edge,
    "Edge projections": edge,
    "Catalog": catalog,
    "Data access": data_access,
    "IMS": ims,
}


def find(operation: Mapping[str, Any]) -> Callable[..., Any] | None:
    """The handler of a spec operation: the function named after its operationId in the module of
    its (first) tag; None when there is none, and the operation answers 501.
    """
    tags = operation.get("tags") or [""]
    module = MODULES.get(tags[0])
    handler = getattr(module, operation["operationId"], None) if module is not None else None
    return handler if callable(handler) else None
