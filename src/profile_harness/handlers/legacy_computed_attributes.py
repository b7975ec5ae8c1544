"""Computed attributes, legacy API (/data/core/ups/config/computedAttributes): thin handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profile_harness.server import context

Answer = tuple[Any, int]


async def legacyListComputedAttributes(**_: Any) -> Answer:
    """GET /config/computedAttributes: every attribute on one page (no paging is documented)."""
    backend = context.tenant().legacy_computed_attributes
    children = [backend.to_dict(a) for a in backend.all()]
    body = {
        "_page": {"totalCount": len(children), "pageSize": len(children)},
        "children": children,
        "_links": {"next": {}},
    }
    return body, 200


async def legacyCreateComputedAttribute(body: dict[str, Any], **_: Any) -> Answer:
    """POST /config/computedAttributes: 200 with the stored attribute (DOC-CA-OLD)."""
    backend = context.tenant().legacy_computed_attributes
    return backend.to_dict(backend.create(body)), 200


async def legacyRetrieveComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """GET /config/computedAttributes/{id}"""
    backend = context.tenant().legacy_computed_attributes
    return backend.to_dict(backend.get(attributeId)), 200


async def legacyUpdateComputedAttribute(attributeId: str, body: list[dict[str, Any]], **_: Any) -> Answer:
    """PATCH /config/computedAttributes/{id}: a JSON Patch document, 204 with no body (DOC-CA-OLD)."""
    context.tenant().legacy_computed_attributes.patch(attributeId, body)
    return None, 204


async def legacyDeleteComputedAttribute(attributeId: str, **_: Any) -> Answer:
    """DELETE /config/computedAttributes/{id}: 200 with no body (DOC-CA-OLD)."""
    context.tenant().legacy_computed_attributes.delete(attributeId)
    return None, 200


#: operationId -> handler; operations not listed answer 501.
OPERATIONS: dict[str, Callable[..., Any]] = {
    "legacyListComputedAttributes": legacyListComputedAttributes,
    "legacyCreateComputedAttribute": legacyCreateComputedAttribute,
    "legacyRetrieveComputedAttribute": legacyRetrieveComputedAttribute,
    "legacyUpdateComputedAttribute": legacyUpdateComputedAttribute,
    "legacyDeleteComputedAttribute": legacyDeleteComputedAttribute,
}
