"""Entities as profile access answers them: field selection, a record by XID, a page of events."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from profile_harness.store.datasets import Fragment
from profile_harness.store.identity import Identity
from profile_harness.store.merge import MergedEntity
from profile_harness.store.merge_policies import MergePolicy

__all__ = ["B2B_CLASSES", "UNKNOWN_LAST_MODIFIED", "EventPage", "ProfileView", "iso_utc", "project"]

B2B_CLASSES = ("_xdm.context.account", "_xdm.context.opportunity")
#: DOC-ENT's ``lastModifiedAt`` of an identity the Profile store does not know.
UNKNOWN_LAST_MODIFIED = "1970-01-01T00:00:00Z"


def iso_utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_WHOLE: dict[str, Any] = {}  # a selector node that takes the whole value: no sub-field named below it
_MISSING = object()  # nothing of a value is selected


def _selector(fields: list[str]) -> dict[str, Any]:
    """The dotted paths as a tree of field names; a path that ends at a node takes all of it."""
    root: dict[str, Any] = {}
    for path in fields:
        parts = [p for p in path.strip().split(".") if p]
        node = root
        for i, part in enumerate(parts):
            child = node.get(part)
            if child is _WHOLE:
                break  # an enclosing field is already taken whole
            if i == len(parts) - 1:
                node[part] = _WHOLE
            else:
                if child is None:
                    child = node[part] = {}
                node = child
    return root


def _select(value: Any, selector: dict[str, Any]) -> Any:
    if selector is _WHOLE:
        return value
    if isinstance(value, list):
        # An array is transparent: the selected part of each element, elements with none left out.
        kept = [part for part in (_select(element, selector) for element in value) if part is not _MISSING]
        return kept if kept else _MISSING
    if not isinstance(value, dict):
        return _MISSING
    out: dict[str, Any] = {}
    for name, below in selector.items():
        if name in value:
            part = _select(value[name], below)
            if part is not _MISSING:
                out[name] = part
    return out if out else _MISSING


def project(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The part of ``record`` that the dotted ``fields`` select; everything when ``fields`` is empty.

    The selector rules of DOC-EP ("Selectors"), which DOC-ENT's `fields` follow: a field comes with
    its enclosing objects (and nothing else of them) and with all its sub-fields; a path through an
    array selects that part of every element (an element without it is left out). Maps such as
    ``identityMap`` are objects like any other. The result shares its selected values with ``record``.
    """
    if not fields:
        return record
    return _project(record, _selector(fields))


def _project(record: dict[str, Any], selector: dict[str, Any]) -> dict[str, Any]:
    selected = _select(record, selector)
    return {} if selected is _MISSING else selected


@dataclass(frozen=True)
class ProfileView:
    """One entity looked up by identity: its merge under ``policy``, or None when the store has none."""

    schema_name: str
    xid: str
    identity: Identity
    merged: MergedEntity | None
    policy: MergePolicy
    related: frozenset[Identity]

    @property
    def found(self) -> bool:
        return self.merged is not None

    def with_entity(self, entity: dict[str, Any]) -> ProfileView:
        """The same view with another entity (computed attributes attached); the kept merge is untouched."""
        if self.merged is None:
            return self
        return replace(self, merged=replace(self.merged, entity=entity))

    def to_dict(
        self, fields: list[str] | None = None, requested: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The record keyed by its XID: ``fields`` selects from the entity; ``requested`` is the identity
        a B2B lookup of several entities echoes (DOC-ENT).
        """
        b2b = self.schema_name in B2B_CLASSES
        if self.merged is None:
            # The documented body for an identity the Profile store does not know (DOC-ENT).
            body: dict[str, Any] = {
                "entityId": self.xid,
                "sources": [""],
                "entity": {},
                "lastModifiedAt": UNKNOWN_LAST_MODIFIED,
            }
        else:
            body = {
                "entityId": self.xid,
                # B2B entities are entity-resolved; DOC-ENT shows their source as er_m_attr.
                "sources": ["er_m_attr"] if b2b else self.merged.sources,
                "entity": project(self.merged.entity, fields),
                "lastModifiedAt": iso_utc(self.merged.last_modified_ms),
            }
            if b2b:
                body["mergePolicy"] = {"id": self.policy.id}
        if b2b and requested is not None:
            body["requestedIdentity"] = requested
        return body


@dataclass(frozen=True)
class EventPage:
    """One page of a profile's experience events, with the query's field selection and order."""

    related_xid: str
    events: list[tuple[str, int, Fragment]]  # (event id, timestamp ms, fragment)
    next_cursor: str
    fields: tuple[str, ...] = ()
    orderby: str = "timestamp"  # as the request wrote it, echoed in `_page.orderby`

    def to_dict(self, next_href: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """The page; ``next_href`` and ``payload`` (a POST lookup's next request) come from the request."""
        selector = _selector(list(self.fields)) if self.fields else None  # built once for the page
        children = [
            {
                "relatedEntityId": self.related_xid,
                "entityId": event_id,
                "timestamp": timestamp,
                "entity": fragment.record if selector is None else _project(fragment.record, selector),
                "lastModifiedAt": iso_utc(fragment.updated_ms),
            }
            for event_id, timestamp, fragment in self.events
        ]
        links: dict[str, Any] = {"href": next_href if self.next_cursor else ""}
        if payload is not None and self.next_cursor:
            links["payload"] = payload
        return {
            "_page": {
                "orderby": self.orderby,
                "start": children[0]["entityId"] if children else "",
                "count": len(children),
                "next": self.next_cursor,
            },
            "children": children,
            "_links": {"next": links},
        }
