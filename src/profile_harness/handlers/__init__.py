"""Thin handlers, one module per spec tag; ``HANDLERS`` maps operationId -> handler."""

from __future__ import annotations

from collections.abc import Callable
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

__all__ = ["ADMIN_HANDLERS", "HANDLERS"]

_MODULES = (
    ims,
    entities,
    merge_policies,
    export_jobs,
    system_jobs,
    preview,
    computed_attributes,
    legacy_computed_attributes,
    edge,
    catalog,
    data_access,
)

HANDLERS: dict[str, Callable[..., Any]] = {}
for _module in _MODULES:
    HANDLERS.update(_module.OPERATIONS)

ADMIN_HANDLERS: dict[str, Callable[..., Any]] = {
    "adminHealth": admin.adminHealth,
    "adminReset": admin.adminReset,
    "adminLoadFixtures": admin.adminLoadFixtures,
    "adminState": admin.adminState,
    "adminRequests": admin.adminRequests,
    "adminClearRequests": admin.adminClearRequests,
    "adminGetClock": admin.adminGetClock,
    "adminSetClock": admin.adminSetClock,
    "adminGetJobTiming": admin.adminGetJobTiming,
    "adminSetJobTiming": admin.adminSetJobTiming,
    "adminListFaults": admin.adminListFaults,
    "adminAddFault": admin.adminAddFault,
    "adminClearFaults": admin.adminClearFaults,
}
