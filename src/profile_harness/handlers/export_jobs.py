"""Profile export jobs (/data/core/ups/export/jobs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from profile_harness.server import context
from profile_harness.store.export_jobs import EXPORT_LIFECYCLE, ExportJob

Answer = tuple[Any, int]


def _timing(start: int, end: int | None) -> dict[str, int]:
    timing = {"startTimeInMs": start}
    if end is not None:
        timing.update(endTimeInMs=end, totalTimeInMs=end - start)
    return timing


def _dict(job: ExportJob) -> dict[str, Any]:
    lifecycle = job.job
    metrics: dict[str, Any] = {"totalTime": _timing(lifecycle.created_ms, lifecycle.ended_ms)}
    if lifecycle.started_ms is not None:
        metrics["profileExportTime"] = _timing(lifecycle.started_ms, lifecycle.ended_ms)
    if lifecycle.state == EXPORT_LIFECYCLE.succeeded and lifecycle.ended_ms is not None:
        metrics["aCPDatasetWriteTime"] = _timing(lifecycle.ended_ms, lifecycle.ended_ms)
    body: dict[str, Any] = {
        "profileInstanceId": "ups",
        "jobType": "BATCH",
        "id": job.id,
        "schema": {"name": job.schema_name},
        "mergePolicy": {"id": job.policy.id, "version": job.policy.version},
        "status": lifecycle.state,
        "requestId": job.request_id,
        "computeGatewayJobId": dict(job.compute_ids),
        "metrics": metrics,
        "destination": {
            "dataSetId": job.dataset.id,
            "segmentPerBatch": job.segment_per_batch,
            "batchId": job.batch_id,
        },
        "updateTime": job.updated_ms,
        "imsOrgId": context.tenant().org,
        "creationTime": lifecycle.created_ms,
    }
    if lifecycle.errors:
        body["errors"] = lifecycle.errors
    return body


async def createExportJob(body: dict[str, Any], **_: Any) -> Answer:
    """POST /export/jobs: the new job, in status NEW."""
    return _dict(context.tenant().export_jobs.create(body)), 200


async def listExportJobs(
    limit: int | None = None,
    offset: str | None = None,
    status: str | None = None,
    start: int | None = None,
    page: int | None = None,
    sort: str | None = None,
) -> Answer:
    """GET /export/jobs: newest first (or by `sort`), `records` / `page` / `link.next`."""
    size = limit or 20
    found = context.tenant().export_jobs.page(
        limit=size, offset=offset, status=status, start=start, page=page, sort=sort
    )
    field, descending = found.order
    info: dict[str, Any] = {
        "sortField": field,
        "sort": "desc" if descending else "asc",
        "pageSize": len(found.jobs),
    }
    body: dict[str, Any] = {"records": [_dict(job) for job in found.jobs], "page": info}
    if found.next_offset:
        # The cursor names the last job shown, so the next page follows it whatever was skipped.
        info["pageOffset"] = found.next_offset
        query = {"limit": size, "offset": found.next_offset, **({"status": status} if status else {})}
        body["link"] = {"next": "/export/jobs/?" + urlencode(query)}
    return body, 200


async def getExportJob(exportJobId: str) -> Answer:
    """GET /export/jobs/{exportJobId}: reading a job moves it along its lifecycle."""
    return _dict(context.tenant().export_jobs.get(int(exportJobId))), 200


async def cancelExportJob(exportJobId: str) -> Answer:
    """DELETE /export/jobs/{exportJobId}: 204, no body."""
    context.tenant().export_jobs.cancel(int(exportJobId))
    return None, 204


OPERATIONS: dict[str, Callable[..., Any]] = {
    "createExportJob": createExportJob,
    "listExportJobs": listExportJobs,
    "getExportJob": getExportJob,
    "cancelExportJob": cancelExportJob,
}
