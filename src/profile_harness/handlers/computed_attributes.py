"""Computed attributes, current API (/data/core/ca/attributes): thin handlers over the tenant's backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion import request

from profile_harness.server import context

Answer = tuple[Any, int]


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
        "computedAttributes": [backend.to_dict(a) for a in page.attributes],
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
    backend = context.tenant().computed_attributes
    return backend.to_dict(backend.create(body)), 200


async def retrieveComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """GET /attributes/{id}; each read moves an evaluation along."""
    backend = context.tenant().computed_attributes
    return backend.to_dict(backend.get(attributeId)), 200


async def updateComputedAttribute(attributeId: str, body: dict[str, Any], **_: Any) -> Answer:
    """PATCH /attributes/{id}: a partial object, 200 with the attribute after the change."""
    backend = context.tenant().computed_attributes
    return backend.to_dict(backend.update(attributeId, body)), 200


async def deleteComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """DELETE /attributes/{id}: only a DRAFT; 202 with the attribute as it was (DOC-CA)."""
    return context.tenant().computed_attributes.delete(attributeId), 202


#: operationId -> handler; operations not listed answer 501.
OPERATIONS: dict[str, Callable[..., Any]] = {
    "listComputedAttributes": listComputedAttributes,
    "createComputedAttribute": createComputedAttribute,
    "retrieveComputedAttribute": retrieveComputedAttribute,
    "updateComputedAttribute": updateComputedAttribute,
    "deleteComputedAttribute": deleteComputedAttribute,
}
