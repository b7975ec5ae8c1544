"""Thin handlers, one module per spec tag; ``HANDLERS`` maps operationId -> handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profile_harness.handlers import admin, entities, ims, merge_policies

__all__ = ["ADMIN_HANDLERS", "HANDLERS"]

HANDLERS: dict[str, Callable[..., Any]] = {
    "imsToken": ims.imsToken,
    "retrieveEntity": entities.retrieveEntity,
    "retrieveMultipleEntities": entities.retrieveMultipleEntities,
    "deleteEntity": entities.deleteEntity,
    "getMany": merge_policies.getMany,
    "createMergePolicy": merge_policies.createMergePolicy,
    "retrieveMergePolicy": merge_policies.retrieveMergePolicy,
    "updateMergePolicy": merge_policies.updateMergePolicy,
    "patchMergePolicy": merge_policies.patchMergePolicy,
    "deleteMergePolicy": merge_policies.deleteMergePolicy,
    "bulkGetMergePolicies": merge_policies.bulkGetMergePolicies,
}

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
