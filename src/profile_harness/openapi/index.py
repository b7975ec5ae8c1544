"""An index of the bundled spec's operations: what each one takes and how its errors look."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from profile_harness.errors import ErrorShape, shape_for_tag
from profile_harness.openapi.bundle import iter_operations
from profile_harness.openapi.paths import compile_template

__all__ = ["OperationIndex", "OperationInfo", "media_essence"]


def media_essence(value: str) -> str:
    """``type/subtype`` of a media type, lower case, without parameters (``; version=1``)."""
    return value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class OperationInfo:
    operation_id: str
    method: str
    path: str
    tag: str | None
    shape: ErrorShape
    body_media_types: frozenset[str]
    #: The same types as the spec writes them (case kept, no parameters), for messages.
    body_media_labels: tuple[str, ...] = ()

    @property
    def strict_media_type(self) -> bool:
        """Edge services answer a wrong body type with 415; everything else with the gateway's 400."""
        return self.shape is ErrorShape.PROBLEM and self.tag in ("Edge destinations", "Edge projections")


class OperationIndex:
    """Operations of a bundled document by operationId."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.by_id: dict[str, OperationInfo] = {}
        for path, method, operation in iter_operations(doc):
            operation_id = operation["operationId"]
            tags = operation.get("tags") or [None]
            body = operation.get("requestBody") or {}
            if "$ref" in body:
                body = doc["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[1]]
            keys = list(body.get("content") or {})
            labels = tuple(dict.fromkeys(key.split(";", 1)[0].strip() for key in keys))
            media = frozenset(media_essence(key) for key in keys)
            self.by_id[operation_id] = OperationInfo(
                operation_id, method.upper(), path, tags[0], shape_for_tag(tags[0]), media, labels
            )

    def get(self, operation_id: str | None) -> OperationInfo | None:
        return self.by_id.get(operation_id or "")

    def on_path(self, path: str) -> list[OperationInfo]:
        """The operations of the path template that routes ``path`` (literal segments beat parameters)."""
        bare = path.rstrip("/")
        matches = [
            (len(template.names), info)
            for info in self.by_id.values()
            if (template := compile_template(info.path)).matches(bare)
        ]
        fewest = min((count for count, _info in matches), default=0)
        return [info for count, info in matches if count == fewest]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_id.values())
