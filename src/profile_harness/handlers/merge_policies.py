"""Merge policies: /data/core/ups/config/mergePolicies (thin: validated input -> backend -> body)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


async def getMany(**query: Any) -> Answer:
    """GET /config/mergePolicies"""
    filters = {
        "default": query.get("default"),
        "isActiveOnEdge": query.get("isActiveOnEdge"),
        "schema.name": query.get("schemaname"),
        "identityGraph.type": query.get("identityGraphtype"),
        "attributeMerge.type": query.get("attributeMergetype"),
        "version": query.get("version"),
    }
    order_by = query.get("orderBy") or query.get("orderby") or "name"
    limit = int(query.get("limit") or 20)
    page = context.tenant().merge_policies.page(
        filters={k: v for k, v in filters.items() if v is not None},
        order_by=order_by,
        limit=limit,
        start=query.get("start"),
    )
    links = ""
    if page.next_token:
        links = "@/mergePolicies?" + urlencode(
            {"start": page.next_token, "orderBy": order_by, "limit": limit}
        )
    _page: dict[str, Any] = {
        "totalCount": page.total,
        "pageSize": len(page.policies),
        "count": len(page.policies),
    }
    if page.next_token:
        _page["next"] = page.next_token
    body = {
        "_page": _page,
        "children": [p.to_dict() for p in page.policies],
        "_links": {"next": {"href": links}},
    }
    return body, 200


async def createMergePolicy(body: dict[str, Any], **_: Any) -> Answer:
    """POST /config/mergePolicies"""
    return context.tenant().merge_policies.create(body).to_dict(), 200


async def retrieveMergePolicy(mergePolicyId: str) -> Answer:
    """GET /config/mergePolicies/{mergePolicyId}"""
    return context.tenant().merge_policies.get(mergePolicyId).to_dict(), 200


async def updateMergePolicy(mergePolicyId: str, body: dict[str, Any], **_: Any) -> Answer:
    """PUT /config/mergePolicies/{mergePolicyId}"""
    return context.tenant().merge_policies.replace(mergePolicyId, body).to_dict(), 200


async def patchMergePolicy(mergePolicyId: str, body: Any, **_: Any) -> Answer:
    """PATCH /config/mergePolicies/{mergePolicyId}: one operation object (DOC-MP) or an array (SPEC)."""
    operations = body if isinstance(body, list) else [body]
    return context.tenant().merge_policies.patch(mergePolicyId, operations).to_dict(), 200


async def deleteMergePolicy(mergePolicyId: str) -> Answer:
    """DELETE /config/mergePolicies/{mergePolicyId}: 200 with an empty body (DOC-MP)."""
    context.tenant().merge_policies.delete(mergePolicyId)
    return None, 200


async def bulkGetMergePolicies(body: dict[str, Any]) -> Answer:
    """POST /config/mergePolicies/bulk-get: 207 with the policies found."""
    found = context.tenant().merge_policies.bulk_get([item["id"] for item in body["ids"]])
    return {"results": {p.id: p.to_dict() for p in found}}, 207
