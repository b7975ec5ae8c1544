"""Profiles of one tenant: merged at read time from fragments, through the identity graph, under a policy."""

from __future__ import annotations

import operator
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store.bounded import Kept, keep
from profile_harness.store.datasets import (
    EVENT_CLASS,
    PROFILE_CLASS,
    DatasetBackend,
    Fragment,
    Records,
    fragment_of,
    parse_time_ms,
)
from profile_harness.store.entity_views import EventPage, ProfileView
from profile_harness.store.identity import Identity
from profile_harness.store.identity_index import IdentityIndex, Segment
from profile_harness.store.merge import MergedEntity, event_datasets_read, merge_fragments
from profile_harness.store.merge_policies import MergePolicy, MergePolicyBackend

__all__ = [
    "MAX_PROPERTY_FILTERS",
    "MAX_RELATED_IDENTITIES",
    "EventQuery",
    "ProfileBackend",
    "PropertyFilter",
    "event_id",
    "order_as_sent",
    "refuse_event_filters",
    "require_related_schema",
]

MAX_RELATED_IDENTITIES = 50
MAX_PROPERTY_FILTERS = 3


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
# The query schema's pattern states the path and operator part (spaces only, as `\s` differs between
# Python and JSON Schema's ECMA-262); the value is any text (URL-decoded, so line breaks too).
_FILTER = re.compile(r"^ *([A-Za-z0-9_.:@-]+) *(<=|>=|!=|<|>|=)\s*(.*?)\s*$", re.DOTALL)
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


@dataclass(frozen=True)
class PropertyFilter:
    """One ``property=`` filter of an event lookup: ``path op value`` (DOC-ENT; at most three)."""

    path: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> PropertyFilter:
        match = _FILTER.match(text)
        if match is None:
            raise BadRequest(
                f"property filter {text!r} is not of the form <field><op><value> (ops =, !=, <, <=, >, >=)"
            )
        return cls(match.group(1), match.group(2), match.group(3).strip('"'))

    def holds(self, record: dict[str, Any]) -> bool:
        node: Any = record
        for part in self.path.split("."):
            if not isinstance(node, dict) or part not in node:
                return self.op == "!="
            node = node[part]
        left, right = _comparable(node, self.value)
        try:
            return _OPERATORS[self.op](left, right)
        except TypeError:
            return False


def _comparable(actual: Any, expected: str) -> tuple[Any, Any]:
    if isinstance(actual, bool):
        return actual, expected.lower() == "true"
    if isinstance(actual, int | float):
        try:
            return actual, float(expected)
        except ValueError:
            return str(actual), expected
    date = _DATE.match(expected)
    if date and isinstance(actual, str):
        return actual[:10].replace("-", ""), "".join(date.groups())
    return str(actual), expected


@dataclass(frozen=True)
class EventQuery:
    start_ms: int | None = None
    end_ms: int | None = None
    descending: bool = False
    limit: int = 1000
    cursor: str | None = None
    filters: tuple[PropertyFilter, ...] = ()
    fields: tuple[str, ...] = ()
    orderby: str = "timestamp"  # the order as the request wrote it, echoed in `_page.orderby`

    @classmethod
    def build(
        cls,
        *,
        start_ms: int | None,
        end_ms: int | None,
        orderby: str | None,
        limit: int | None,
        cursor: str | None,
        properties: list[str],
        fields: list[str],
    ) -> EventQuery:
        """The query of an event lookup's parameters, refusing what DOC-ENT does not allow."""
        if len(properties) > MAX_PROPERTY_FILTERS:
            raise BadRequest(
                f"at most {MAX_PROPERTY_FILTERS} property filters are allowed, got {len(properties)}"
            )
        if start_ms is not None and end_ms is not None and end_ms < start_ms:
            raise BadRequest("endTime is before startTime")
        order = order_as_sent(orderby)
        return cls(
            start_ms=start_ms,
            end_ms=end_ms,
            descending=order.startswith("-"),
            limit=limit or 1000,
            cursor=cursor or None,
            filters=tuple(PropertyFilter.parse(p) for p in properties),
            fields=tuple(fields),
            orderby=order,
        )


def order_as_sent(orderby: str | None) -> str:
    """``(+/-)timestamp`` with the sign the client wrote (`timestamp` when it sent none); a ``+`` sent
    unencoded arrives as a space and is given back as ``+``. DOC-ENT's pages echo `timestamp` for a
    request that sent `timestamp` or nothing.
    """
    if not orderby:
        return "timestamp"
    return "+" + orderby[1:] if orderby.startswith(" ") else orderby


def require_related_schema(related_schema: str | None, *, where: str) -> str:
    """The class the looked-up events belong to, which an event lookup must name (DOC-ENT, SPEC)."""
    if not related_schema:
        raise BadRequest(
            f"Missing required {where} relatedSchema.name: an experience event lookup names the class "
            f"of the entity its events belong to (relatedSchema.name={PROFILE_CLASS})"
        )
    return related_schema


def refuse_event_filters(schema_name: str, properties: list[str] | None) -> None:
    """``property`` filters events only (DOC-ENT, SPEC): on a record lookup they are refused."""
    if properties:
        raise BadRequest(
            f"property filters apply only to experience events (schema.name={EVENT_CLASS}), "
            f"not to a {schema_name} lookup"
        )


def event_id(fragment: Fragment) -> str:
    """The event's ``_id``, or a stable UUID derived from where the record sits."""
    value = fragment.record.get("_id")
    if isinstance(value, str) and value:
        return value
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"{fragment.dataset_id}/{fragment.batch_id}/{fragment.index}"))


#: Merged profiles kept per tenant (the oldest dropped when full; all whenever the data changes).
VIEWS_KEPT = 4096


class ProfileBackend:
    """Lookups, event pages and deletes over one tenant's datasets."""

    def __init__(self, datasets: DatasetBackend, policies: MergePolicyBackend) -> None:
        self.datasets = datasets
        self.policies = policies
        self._index: IdentityIndex | None = None
        self._indexed: tuple[tuple[int, int, str], ...] = ()
        self._version = -1
        self._views: Kept[tuple[str, frozenset[Identity], str, tuple[str, ...]], MergedEntity | None] = Kept()
        self._views_of: IdentityIndex | None = None

    # -- identity ----------------------------------------------------------------------------

    @property
    def graph(self) -> IdentityIndex:
        """The identity index (records by identity, and the identity graph), rebuilt after a change.

        A change is any batch of fragments added or removed, or a batch whose records were replaced
        or grew: exports, which only add to union-schema datasets, leave the index as it is.
        """
        if self._index is not None and self._version == self.datasets.version:
            return self._index  # nothing changed since the last look (every change bumps the version)
        batches = self.datasets.fragment_batches()
        signature = tuple((id(b.records), len(b.records), d.schema_class) for d, b in batches)
        if self._index is None or signature != self._indexed:
            self._index, self._indexed = IdentityIndex(batches), signature
        self._version = self.datasets.version
        return self._index

    def identity(self, entity_id: str, namespace: str | None) -> Identity:
        """(namespace, id) named by a request: an id with its namespace code, or an XID alone.

        An XID that names no identity of the sandbox is a 404, as an identity value that matches
        nothing is: an id without namespace cannot be told apart from an XID of nothing.
        """
        if namespace:
            return namespace.lower(), entity_id
        identity = self.graph.by_xid(entity_id)
        if identity is None:
            raise NotFound(
                f"No entity has the XID {entity_id}; an identity value needs its namespace in entityIdNS",
                cause="XDM objects not found.",
            )
        return identity

    def knows(self, identity: Identity) -> bool:
        """Whether any record of the sandbox carries ``identity``."""
        return identity in self.graph

    def policy(self, schema_name: str, merge_policy_id: str | None) -> MergePolicy:
        if merge_policy_id:  # 422 when unknown or of another class than the one read
            return self.policies.lookup(merge_policy_id, schema_name)
        policy = self.policies.default_for(schema_name)
        if policy is None:
            raise Unprocessable(
                f"No default merge policy exists for {schema_name}; give mergePolicyId or create a default"
            )
        return policy

    def related(self, identity: Identity, policy: MergePolicy) -> frozenset[Identity]:
        if policy.identity_graph != "pdg":
            return frozenset({identity})
        size = self.graph.component_size(identity)
        if size > MAX_RELATED_IDENTITIES:
            raise Unprocessable("Too many related identities", cause=f"the graph links {size} identities")
        return self.graph.component(identity)

    # -- profiles ----------------------------------------------------------------------------

    def fragments_of(self, schema_class: str, related: frozenset[Identity]) -> list[Fragment]:
        """The records of ``schema_class`` that carry any of ``related`` (each once), from the index."""
        index = self.graph
        found: list[Fragment] = []
        for segment, at in index.located(index.positions(related)):
            if segment.dataset.schema_class == schema_class:
                found.append(fragment_of(segment.dataset, segment.batch, at, segment.batch.records[at]))
        return found

    def view(self, schema_name: str, identity: Identity, policy: MergePolicy, xid: str) -> ProfileView:
        related = self.related(identity, policy)
        merged = self.merged(schema_name, related, policy)
        return ProfileView(schema_name, xid, identity, merged, policy, related)

    def merged(
        self, schema_name: str, related: frozenset[Identity], policy: MergePolicy
    ) -> MergedEntity | None:
        """The merge of the ``schema_name`` records of ``related`` under ``policy``'s attribute rule.

        Merges are kept until the data changes (a new identity index) and read shared: a merged
        entity is read-only. The key holds everything the merge reads, so a changed policy (another
        rule or dataset order) is merged afresh.
        """
        index = self.graph
        if self._views_of is not index:
            self._views.clear()
            self._views_of = index
        key = (schema_name, related, policy.attribute_merge, tuple(policy.order or ()))
        if key in self._views:
            return self._views[key]
        merged = merge_fragments(
            self.fragments_of(schema_name, related), policy.attribute_merge, policy.order
        )
        return keep(self._views, key, merged, VIEWS_KEPT)

    def delete(self, identity: Identity, policy: MergePolicy) -> int:
        """Remove the profile's fragments and its events; the number of records removed."""
        related = self.related(identity, policy)
        index = self.graph
        doomed: dict[int, tuple[Segment, list[int]]] = {}  # by segment base: positions in its batch
        for position in index.positions(related):
            segment, at = index.locate(position)
            doomed.setdefault(segment.base, (segment, []))[1].append(at)
        removed = 0
        for segment, positions in doomed.values():
            if segment.dataset.schema_class not in (PROFILE_CLASS, EVENT_CLASS):
                continue
            segment.batch.records = _without(segment.batch.records, positions)
            removed += len(positions)
        if removed:
            self.datasets.changed()
        return removed

    # -- events ------------------------------------------------------------------------------

    def event_fragments(self, related: frozenset[Identity], policy: MergePolicy | None) -> list[Fragment]:
        """The experience events of ``related`` from the event datasets ``policy`` reads (all without one).

        Lookups and exports read a profile's events through this, so both leave out the datasets a
        ``dataSetPrecedence`` policy does not list (:func:`~profile_harness.store.merge.event_datasets_read`).
        """
        found = self.fragments_of(EVENT_CLASS, related)
        if policy is None:
            return found
        event_datasets = (d.id for d in self.datasets if d.schema_class == EVENT_CLASS)
        read = event_datasets_read(policy.attribute_merge, policy.order, event_datasets)
        return found if read is None else [f for f in found if f.dataset_id in read]

    def events(
        self,
        related: frozenset[Identity],
        related_xid: str,
        query: EventQuery,
        *,
        policy: MergePolicy | None = None,
    ) -> EventPage:
        """One page of the events of ``related``, from the datasets ``policy`` reads (all without one)."""
        timed: list[tuple[str, int, Fragment]] = []
        for fragment in self.event_fragments(related, policy):
            timestamp = _event_time(fragment)
            if query.start_ms is not None and timestamp < query.start_ms:
                continue
            if query.end_ms is not None and timestamp >= query.end_ms:
                continue
            if not all(f.holds(fragment.record) for f in query.filters):
                continue
            timed.append((event_id(fragment), timestamp, fragment))
        timed.sort(key=lambda e: (e[1], e[0]), reverse=query.descending)
        begin = 0
        if query.cursor:
            ids = [e[0] for e in timed]
            if query.cursor not in ids:
                raise BadRequest(f"start {query.cursor!r} is not an event of this profile and window")
            begin = ids.index(query.cursor)
        page = timed[begin : begin + query.limit]
        rest = timed[begin + query.limit :]
        return EventPage(related_xid, page, rest[0][0] if rest else "", query.fields, query.orderby)


def _without(records: Records, positions: list[int]) -> Records:
    if isinstance(records, list):
        doomed = set(positions)
        return [r for i, r in enumerate(records) if i not in doomed]
    return records.without(positions)


def _event_time(fragment: Fragment) -> int:
    return parse_time_ms(fragment.record.get("timestamp")) or fragment.updated_ms
