"""Edge destinations and projections: /data/core/ups/config/destinations and /config/projections."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from connexion import request

from profile_harness.handlers.answers import Answer
from profile_harness.server import context
from profile_harness.store.edge import (
    DESTINATIONS_PATH,
    PROJECTIONS_PATH,
    check_accept,
    check_body_media_type,
)

Handler = Callable[..., Awaitable[Answer]]


def _edge(*, negotiates: bool = True) -> Callable[[Handler], Handler]:
    """Header rules of the edge services.

    ``negotiates``: the operation documents 406 (every edge operation except the deletes, which
    answer no body).
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(*args: Any, **kwargs: Any) -> Answer:
            if negotiates:
                check_accept(request.headers.get("accept", ""))
            if "body" in kwargs:
                check_body_media_type(request.headers.get("content-type", ""))
            return await handler(*args, **kwargs)

        return wrapped

    return decorate


def _no_content() -> Answer:
    """204 without a body (the resolver names a media type for it)."""
    return None, 204


@_edge()
async def listProjectionDestinations(**_: Any) -> Answer:
    """GET /config/destinations: every destination, no paging; none is an empty array."""
    items = [d.to_dict(listed=True) for d in context.tenant().edge.list_destinations()]
    body = {
        "_links": {"self": {"href": DESTINATIONS_PATH, "templated": False}},
        "_embedded": {"projectionDestinations": items},
    }
    return body, 200


@_edge()
async def createProjectionDestination(body: dict[str, Any], **_: Any) -> Answer:
    """POST /config/destinations"""
    return context.tenant().edge.create_destination(body).to_dict(), 201


@_edge()
async def retrieveProjectionDestination(destinationId: str, **_: Any) -> Answer:
    """GET /config/destinations/{destinationId}"""
    return context.tenant().edge.get_destination(destinationId).to_dict(), 200


@_edge()
async def putProjectionDestination(destinationId: str, body: dict[str, Any], **_: Any) -> Answer:
    """PUT /config/destinations/{destinationId}: full rewrite, `currentVersion` must be current."""
    return context.tenant().edge.replace_destination(destinationId, body).to_dict(), 200


@_edge(negotiates=False)
async def deleteProjectionDestination(destinationId: str, **_: Any) -> Answer:
    """DELETE /config/destinations/{destinationId}: 204, or 409 while a projection uses it."""
    context.tenant().edge.delete_destination(destinationId)
    return _no_content()


@_edge()
async def listProjectionConfigurations(
    schemaName: str | None = None, name: str | None = None, **_: Any
) -> Answer:
    """GET /config/projections[?schemaName=...[&name=...]]"""
    found = context.tenant().edge.list_projections(schemaName, name)
    body = {
        # DOC-EP's self link is the bare collection path, whatever the query.
        "_links": {"self": {"href": PROJECTIONS_PATH, "templated": False}},
        "_embedded": {"projectionConfigs": [p.to_dict() for p in found]},
    }
    return body, 200


@_edge()
async def createProjectionConfiguration(schemaName: str, body: dict[str, Any], **_: Any) -> Answer:
    """POST /config/projections?schemaName=..."""
    return context.tenant().edge.create_projection(schemaName, body).to_dict(), 201


@_edge()
async def retrieveProjectionConfiguration(projectionId: str, **_: Any) -> Answer:
    """GET /config/projections/{projectionId}"""
    return context.tenant().edge.get_projection(projectionId).to_dict(), 200


@_edge()
async def updateProjectionConfiguration(projectionId: str, body: dict[str, Any], **_: Any) -> Answer:
    """PUT /config/projections/{projectionId}: full rewrite, `currentVersion` must be current."""
    return context.tenant().edge.replace_projection(projectionId, body).to_dict(), 200


@_edge(negotiates=False)
async def deleteProjectionConfiguration(projectionId: str, **_: Any) -> Answer:
    """DELETE /config/projections/{projectionId}"""
    context.tenant().edge.delete_projection(projectionId)
    return _no_content()
