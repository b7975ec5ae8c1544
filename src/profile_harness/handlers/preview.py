"""Preview sample status and its reports: /data/core/ups/previewsamplestatus (query -> backend -> body)."""

from __future__ import annotations

from typing import Any

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


async def previewSampleStatus(**_: Any) -> Answer:
    """GET /previewsamplestatus"""
    return context.tenant().preview.status().to_dict(), 200


async def profileDatasetReport(date: str | None = None, **_: Any) -> Answer:
    """GET /previewsamplestatus/report/dataset"""
    return context.tenant().preview.dataset_report(date).to_dict(), 200


async def profileNamespaceReport(date: str | None = None, **_: Any) -> Answer:
    """GET /previewsamplestatus/report/namespace"""
    return context.tenant().preview.namespace_report(date).to_dict(), 200


async def profileDatasetOverlapReport(date: str | None = None, **_: Any) -> Answer:
    """GET /previewsamplestatus/report/dataset/overlap (``x-model-name`` is accepted and ignored)."""
    return context.tenant().preview.dataset_overlap_report(date).to_dict(), 200


async def profileNamespaceOverlapReport(date: str | None = None, **_: Any) -> Answer:
    """GET /previewsamplestatus/report/namespace/overlap"""
    return context.tenant().preview.namespace_overlap_report(date).to_dict(), 200


async def profileUnstitchedReport(**_: Any) -> Answer:
    """GET /previewsamplestatus/report/unstitchedProfiles"""
    return context.tenant().preview.unstitched_report().to_dict(), 200
