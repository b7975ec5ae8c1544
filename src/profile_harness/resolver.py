"""Map each operationId to its handler; an operation without one answers 501, it never crashes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connexion.operations import AbstractOperation
from connexion.resolver import Resolution, Resolver

from profile_harness.errors import NotBuilt

__all__ = ["HarnessResolver", "not_built"]


def not_built(operation_id: str) -> Callable[..., Any]:
    """A handler that answers the 501 problem naming ``operation_id``."""

    async def handler(**_kwargs: Any) -> Any:
        raise NotBuilt(operation_id)

    handler.__name__ = f"not_built_{operation_id}"
    return handler


class HarnessResolver(Resolver):  # type: ignore[misc]
    """Resolve from a fixed table rather than by importing dotted names."""

    def __init__(self, handlers: Mapping[str, Callable[..., Any]]) -> None:
        super().__init__()
        self.handlers = handlers

    def resolve(self, operation: AbstractOperation) -> Resolution:
        operation_id = self.resolve_operation_id(operation)
        handler = self.handlers.get(operation_id) or not_built(operation_id)
        return Resolution(handler, operation_id)
