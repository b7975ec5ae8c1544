"""Computed attributes, legacy API (/data/core/ups/config/computedAttributes): thin handlers."""

from __future__ import annotations

from typing import Any

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


async def legacyListComputedAttributes(**_: Any) -> Answer:
    """GET /config/computedAttributes: every attribute on one page (no paging is documented)."""
    children = [a.to_dict() for a in context.tenant().legacy_computed_attributes.all()]
    body = {
        "_page": {"totalCount": len(children), "pageSize": len(children)},
        "children": children,
        "_links": {"next": {}},
    }
    return body, 200


async def legacyCreateComputedAttribute(body: dict[str, Any], **_: Any) -> Answer:
    """POST /config/computedAttributes: 200 with the stored attribute (DOC-CA-OLD)."""
    return context.tenant().legacy_computed_attributes.create(body).to_dict(), 200


async def legacyRetrieveComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """GET /config/computedAttributes/{id}"""
    return context.tenant().legacy_computed_attributes.get(attributeId).to_dict(), 200


async def legacyUpdateComputedAttribute(attributeId: str, body: list[dict[str, Any]], **_: Any) -> Answer:
    """PATCH /config/computedAttributes/{id}: a JSON Patch document, 204 with no body (DOC-CA-OLD)."""
    context.tenant().legacy_computed_attributes.patch(attributeId, body)
    return None, 204


async def legacyDeleteComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """DELETE /config/computedAttributes/{id}: 200 with no body (DOC-CA-OLD)."""
    context.tenant().legacy_computed_attributes.delete(attributeId)
    return None, 200
