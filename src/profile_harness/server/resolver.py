"""Map each operationId to its handler; an operation without one answers 501, it never crashes.

Which function serves an operation is the handlers' rule (``handlers.find``: the function named after
the operationId in the module of its tag); the resolver asks it once per operation when the app is
built. Handlers return ``(body, status)``; the resolver adds the ``Content-Type`` the spec documents for
that status (vendor types on the edge services, JSON elsewhere), so handlers stay free of it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from connexion import NoContent
from connexion.operations import AbstractOperation
from connexion.resolver import Resolution, Resolver
from connexion.utils import is_json_mimetype

from profile_harness.errors import NotBuilt
from profile_harness.openapi.bundle import iter_operations
from profile_harness.server.connexion_internals import current_scope
from profile_harness.server.limits import parsed_body

__all__ = ["HarnessResolver", "json_bodies", "media_by_status", "not_built"]

Handler = Callable[..., Awaitable[Any]]


class _QuietMultipleBodyTypes(logging.Filter):
    """Connexion warns on every request to an operation that takes several body media types."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "accepts multiple content types" not in record.getMessage()


logging.getLogger("connexion.operations.openapi3").addFilter(_QuietMultipleBodyTypes())


def not_built(operation_id: str) -> Handler:
    """A handler that answers the 501 problem naming ``operation_id``."""

    async def handler(**_kwargs: Any) -> Any:
        raise NotBuilt(operation_id)

    handler.__name__ = f"not_built_{operation_id}"
    return handler


def media_by_status(doc: dict[str, Any]) -> dict[str, dict[int, str]]:
    """operationId -> {status: first documented media type} for a bundled document."""
    table: dict[str, dict[int, str]] = {}
    responses_section = doc.get("components", {}).get("responses", {})
    for _path, _method, operation in iter_operations(doc):
        media: dict[int, str] = {}
        for status, response in (operation.get("responses") or {}).items():
            if "$ref" in response:
                response = responses_section.get(response["$ref"].rsplit("/", 1)[1], {})
            if str(status).isdigit() and response.get("content"):
                media[int(status)] = next(iter(response["content"]))
        table[operation["operationId"]] = media
    return table


def _with_media_types(handler: Handler, media: dict[int, str]) -> Handler:
    @functools.wraps(handler)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = await handler(*args, **kwargs)
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], int):
            body, status = result
            if body is None:
                # Connexion wants a media type even for an empty body when several are documented.
                return NoContent, status, {"Content-Type": "application/json"}
            if status in media:
                return body, status, {"Content-Type": media[status]}
        return result

    return wrapped


def json_bodies(doc: dict[str, Any]) -> dict[str, Any]:
    """operationId -> what Connexion passes for an empty body, for each operation whose request bodies
    are all JSON (the media types the body limit layer parses).
    """
    components = doc.get("components", {})
    table: dict[str, Any] = {}
    for _path, _method, operation in iter_operations(doc):
        body = operation.get("requestBody") or {}
        if "$ref" in body:
            body = components.get("requestBodies", {}).get(body["$ref"].rsplit("/", 1)[1], {})
        content = body.get("content") or {}
        if content and all(is_json_mimetype(media) for media in content):
            schema = next(iter(content.values())).get("schema") or {}
            if "$ref" in schema:
                schema = components.get("schemas", {}).get(schema["$ref"].rsplit("/", 1)[1], {})
            table[operation["operationId"]] = schema.get("default", {})
    return table


def _with_parsed_body(handler: Handler, default: Any) -> Handler:
    """``handler`` given the JSON body the body limit layer already parsed, so the body is parsed once.

    Connexion parses the body again for a handler whose signature names ``body`` or takes ``**kwargs``
    (its parameter decorator reads ``inspect.signature`` after following ``__wrapped__``). The function
    Connexion sees therefore declares the handler's named parameters only, and has no ``__wrapped__``;
    the body comes from the call's scope, with Connexion's rule for an empty body (the schema's default).
    """
    named = [
        parameter
        for name, parameter in inspect.signature(handler).parameters.items()
        if name != "body" and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    ]

    async def with_body(**kwargs: Any) -> Any:
        parsed = parsed_body(current_scope())
        body = parsed.value if parsed is not None else None
        return await handler(body=copy.deepcopy(default) if body is None else body, **kwargs)

    with_body.__name__ = with_body.__qualname__ = getattr(handler, "__name__", "handler")
    with_body.__doc__ = handler.__doc__
    with_body.__signature__ = inspect.Signature(named)  # type: ignore[attr-defined]
    return with_body


class HarnessResolver(Resolver):  # type: ignore[misc]
    """Resolve each operation of a bundled document through ``find`` rather than by dotted names."""

    def __init__(self, doc: dict[str, Any], find: Callable[[Mapping[str, Any]], Handler | None]) -> None:
        super().__init__()
        self.handlers = {
            operation["operationId"]: find(operation) for _, _, operation in iter_operations(doc)
        }
        self.media = media_by_status(doc)
        self.json_bodies = json_bodies(doc)

    @property
    def not_built(self) -> set[str]:
        """The operations without a handler: they answer 501."""
        return {operation_id for operation_id, handler in self.handlers.items() if handler is None}

    def handler_for(self, operation_id: str) -> Handler:
        """The function that serves ``operation_id``: its handler (with media types) or a 501."""
        handler = self.handlers.get(operation_id)
        if handler is None:
            return not_built(operation_id)
        return _with_media_types(handler, self.media.get(operation_id, {}))

    def resolve(self, operation: AbstractOperation) -> Resolution:
        operation_id = self.resolve_operation_id(operation)
        function = self.handler_for(operation_id)
        handler = self.handlers.get(operation_id)
        takes_body = handler is not None and "body" in inspect.signature(handler).parameters
        if takes_body and operation_id in self.json_bodies:
            function = _with_parsed_body(function, self.json_bodies[operation_id])
        return Resolution(function, operation_id)
