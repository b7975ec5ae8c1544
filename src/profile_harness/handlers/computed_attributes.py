"""Computed attributes, current API (/data/core/ca/attributes): thin handlers over the tenant's backend."""

from __future__ import annotations

from typing import Any

from connexion import request

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


async def listComputedAttributes(**query: Any) -> Answer:
    """GET /attributes: one page, HAL links relative to /data/core/ca (DOC-CA)."""
    backend = context.tenant().computed_attributes
    page = backend.page(
        limit=int(query["limit"]) if query.get("limit") is not None else 20,
        offset=int(query.get("offset") or 0),
        sort_by=query.get("sortBy") or "-updateEpoch",
        # Each repeated `property` as sent: Connexion splits form arrays at commas, which would cut
        # `status=contains(new,processing)` into pieces.
        filters=list(request.query_params.getlist("property")),
    )
    body = {
        "_links": page.links,
        "computedAttributes": [a.to_dict() for a in page.attributes],
        "_page": {
            "offset": page.offset,
            "limit": page.limit,
            "count": len(page.attributes),
            "totalCount": page.total,
        },
    }
    return body, 200


async def createComputedAttribute(body: dict[str, Any], **_: Any) -> Answer:
    """POST /attributes: 200 with the stored attribute (DOC-CA)."""
    return context.tenant().computed_attributes.create(body).to_dict(), 200


async def retrieveComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """GET /attributes/{id}; each read moves an evaluation along."""
    return context.tenant().computed_attributes.get(attributeId).to_dict(), 200


async def updateComputedAttribute(attributeId: str, body: dict[str, Any], **_: Any) -> Answer:
    """PATCH /attributes/{id}: a partial object, 200 with the attribute after the change."""
    return context.tenant().computed_attributes.update(attributeId, body).to_dict(), 200


async def deleteComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """DELETE /attributes/{id}: only a DRAFT; 202 with the attribute as it was (DOC-CA)."""
    return context.tenant().computed_attributes.delete(attributeId).to_dict(), 202
