"""Profile export jobs (/data/core/ups/export/jobs)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


async def createExportJob(body: dict[str, Any], **_: Any) -> Answer:
    """POST /export/jobs: the new job, in status NEW."""
    return context.tenant().export_jobs.create(body).to_dict(), 200


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
    body: dict[str, Any] = {"records": [job.to_dict() for job in found.jobs], "page": info}
    if found.next_offset:
        # The cursor names the last job shown, so the next page follows it whatever was skipped.
        info["pageOffset"] = found.next_offset
        query = {"limit": size, "offset": found.next_offset, **({"status": status} if status else {})}
        body["link"] = {"next": "/export/jobs/?" + urlencode(query)}
    return body, 200


async def getExportJob(exportJobId: str) -> Answer:
    """GET /export/jobs/{exportJobId}: reading a job moves it along its lifecycle."""
    return context.tenant().export_jobs.get(int(exportJobId)).to_dict(), 200


async def cancelExportJob(exportJobId: str) -> Answer:
    """DELETE /export/jobs/{exportJobId}: 204, no body."""
    context.tenant().export_jobs.cancel(int(exportJobId))
    return None, 204
