"""System jobs (delete requests): /data/core/ups/system/jobs, in the Azure or the AWS flavour."""

from __future__ import annotations

from typing import Any

from connexion import request

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


def _flavor() -> str:
    """The tenant's flavour (fixture ``systemJobsFlavor``), else the server's (``serve
    --system-jobs-flavor``): the two shapes of DOC-SJ.
    """
    default = context.current().options.system_jobs_flavor
    return context.tenant().system_jobs.flavor_or(default)


async def listDeleteRequests(
    start: int | None = None,
    limit: int | None = None,
    page: int | None = None,
    sort: str | None = None,
    **_: Any,
) -> Answer:
    """GET /system/jobs: a `_page` + `children` page (Azure) or a bare array, newest first (AWS)."""
    backend, flavor = context.tenant().system_jobs, _flavor()
    if flavor == "aws":
        # DOC-SJ: AWS takes no query parameters.
        return [job.to_dict(flavor) for job in backend.newest()], 200
    result = backend.page(start=start, limit=limit, page=page, sort=sort)
    _page: dict[str, Any] = {"count": result.total}
    if result.next_token:
        _page["next"] = result.next_token
    return {"_page": _page, "children": [job.to_dict(flavor) for job in result.jobs]}, 200


async def createDeleteRequest(body: Any, **_: Any) -> Answer:
    """POST /system/jobs: 200 with the new job (SPEC, DOC-SJ)."""
    sandbox_id = request.headers.get("x-sandbox-id") or None
    return context.tenant().system_jobs.create(body, sandbox_id=sandbox_id).to_dict(_flavor()), 200


async def retrieveDeleteRequest(deleteRequestId: str, **_: Any) -> Answer:
    """GET /system/jobs/{deleteRequestId}"""
    return context.tenant().system_jobs.get(deleteRequestId).to_dict(_flavor()), 200


async def deleteDeleteRequest(deleteRequestId: str, **_: Any) -> Answer:
    """DELETE /system/jobs/{deleteRequestId}: 200 with an empty body (DOC-SJ, SPEC)."""
    context.tenant().system_jobs.delete(deleteRequestId)
    return None, 200
