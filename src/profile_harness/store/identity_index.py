"""The identity index of one tenant: which records carry an identity, and the identity graph, in arrays.

Built in one vectorized pass over every fragment-holding batch (plain or packed records alike):
identities are the 64-bit :func:`~profile_harness.store.records.identity_key` of (namespace, id);
each record links its first identity to the others, and the connected components come from
hooking roots together (min label) with pointer jumping until no link crosses two components. A
record is addressed by its *global position*: its batch's base plus its position in the batch.
Identities themselves (strings) are read back from a record that carries them, when asked for.

Keys are hashes: two different identities with the same 64-bit key would be taken as one (odds
about 1e-7 for a million people); nothing else is approximate.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from profile_harness.store.bounded import Kept, keep
from profile_harness.store.clock import xid_for
from profile_harness.store.identity import Identity
from profile_harness.store.records import PackedRecords, identity_key, identity_rows

if TYPE_CHECKING:
    from profile_harness.store.datasets import Batch, Dataset, Fragment

__all__ = ["IdentityIndex", "Segment", "connected_components"]

Ints = npt.NDArray[np.int64]
#: Answers kept per index (components, identity numbers, record positions): each cache drops its
#: oldest when it holds this many. The index never changes, so a kept answer stays right.
_KEPT = 1 << 16


@dataclass(frozen=True, slots=True, eq=False)
class Segment:
    """One batch in the index: records ``base`` .. ``base + size - 1`` are its records."""

    dataset: Dataset
    batch: Batch
    base: int


def connected_components(n: int, a: Ints, b: Ints) -> Ints:
    """The root of each of ``n`` nodes linked by edges ``a[i] - b[i]`` (the same root: the same component)."""
    parent = np.arange(n, dtype=np.int64)
    while len(a):
        ra, rb = parent[a], parent[b]
        crossing = ra != rb
        if not crossing.any():
            break
        a, b, ra, rb = a[crossing], b[crossing], ra[crossing], rb[crossing]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))  # hook the larger root
        while True:  # pointer jumping: every node points at its root again
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return parent


def _starts(groups: Ints, n: int) -> Ints:
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(groups, minlength=n), out=starts[1:])
    return starts


class IdentityIndex:
    """Records by identity and identities by component, over a fixed set of batches."""

    def __init__(self, segments: list[tuple[Dataset, Batch]]) -> None:
        self.segments: list[Segment] = []
        self._bases: list[int] = []
        keys, positions, slots = [], [], []
        base = 0
        for dataset, batch in segments:
            rows = identity_rows(batch.records)
            keys.append(rows.keys)
            positions.append(rows.records + base)
            slots.append(rows.slots)
            self.segments.append(Segment(dataset, batch, base))
            self._bases.append(base)
            base += len(batch.records)
        self.size = base
        key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        position = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
        slot = np.concatenate(slots) if slots else np.zeros(0, dtype=np.int64)
        del keys, positions, slots
        self._keys, dense = np.unique(key, return_inverse=True)
        del key
        n = len(self._keys)
        first = slot == 0
        #: Dense id of each record's first identity (-1: a record without identities).
        self.first = np.full(base, -1, dtype=np.int64)
        self.first[position[first]] = dense[first]
        others = ~first
        self.root = connected_components(n, self.first[position[others]], dense[others])
        by_identity = np.argsort(dense, kind="stable")
        self._record_start = _starts(dense, n)
        self._records = position[by_identity]
        self._slots = slot[by_identity]
        del by_identity, dense, position, slot
        self._member_start = _starts(self.root, n)
        self._members = np.argsort(self.root, kind="stable")
        self._by_xid: dict[str, Identity] | None = None
        self._components: Kept[int, frozenset[Identity]] = Kept()
        self._dense: Kept[Identity, int] = Kept()
        self._positions: Kept[frozenset[Identity], list[int]] = Kept()

    # -- identities --------------------------------------------------------------------------

    def dense(self, identity: Identity) -> int | None:
        """The index's number for ``identity``, or None when no record carries it (the last ones
        asked for are kept: a lookup asks for each identity of a profile several times).
        """
        found = self._dense.get(identity)
        if found is None:
            key = identity_key(identity)
            at = int(self._keys.searchsorted(key))
            found = at if at < len(self._keys) and int(self._keys[at]) == key else -1
            keep(self._dense, identity, found, _KEPT)
        return None if found < 0 else found

    def __contains__(self, identity: object) -> bool:
        return isinstance(identity, tuple) and self.dense(identity) is not None

    def identity(self, dense: int) -> Identity:
        """The identity numbered ``dense``, read from the first record that carries it."""
        from profile_harness.store.datasets import identities_of

        at = int(self._record_start[dense])
        return identities_of(self.record(int(self._records[at])))[int(self._slots[at])]

    def members(self, dense: int) -> Ints:
        root = int(self.root[dense])
        return self._members[self._member_start[root] : self._member_start[root + 1]]

    def component_size(self, identity: Identity) -> int:
        dense = self.dense(identity)
        return 1 if dense is None else len(self.members(dense))

    def component(self, identity: Identity) -> frozenset[Identity]:
        """Every identity linked to ``identity`` (itself alone when no record carries it).

        Components are read back from records, so the last ones asked for are kept (the index never
        changes: a change to the data builds a new one).
        """
        dense = self.dense(identity)
        if dense is None:
            return frozenset({identity})
        root = int(self.root[dense])
        found = self._components.get(root)
        if found is None:
            found = frozenset(self.identity(int(d)) for d in self.members(dense))
            keep(self._components, root, found, _KEPT)
        return found

    def components(self) -> list[frozenset[Identity]]:
        roots = np.flatnonzero(self.root == np.arange(len(self.root)))
        return [frozenset(self.identity(int(d)) for d in self.members(int(r))) for r in roots]

    def by_xid(self, xid: str) -> Identity | None:
        # Hashing every identity is most of what the XID map costs; lookups by value never need it.
        if self._by_xid is None:
            from profile_harness.store.datasets import identities_of

            mapping: dict[str, Identity] = {}
            for segment in self.segments:
                records = segment.batch.records
                stored = records.stored_order() if isinstance(records, PackedRecords) else records
                for record in stored:
                    for found in identities_of(record):
                        mapping.setdefault(xid_for(*found), found)
            self._by_xid = mapping
        return self._by_xid.get(xid)

    # -- records -----------------------------------------------------------------------------

    def locate(self, position: int) -> tuple[Segment, int]:
        """The batch holding the record at global ``position``, and its position in that batch."""
        segment = self.segments[bisect_right(self._bases, position) - 1]
        return segment, position - segment.base

    def located(self, positions: list[int]) -> Iterator[tuple[Segment, int]]:
        """:meth:`locate` of each of ``positions`` (ascending), searching only where a batch ends."""
        segment: Segment | None = None
        end = -1  # where the current segment's records end
        for position in positions:
            if segment is None or position >= end:
                number = bisect_right(self._bases, position)
                segment = self.segments[number - 1]
                end = self._bases[number] if number < len(self._bases) else self.size
            yield segment, position - segment.base

    def record(self, position: int) -> dict[str, object]:
        segment, at = self.locate(position)
        return segment.batch.records[at]

    def fragment(self, position: int) -> Fragment:
        from profile_harness.store.datasets import fragment_of

        segment, at = self.locate(position)
        return fragment_of(segment.dataset, segment.batch, at, segment.batch.records[at])

    def positions(self, identities: Iterable[Identity]) -> list[int]:
        """Global positions of the records carrying any of ``identities``, each once, ascending
        (kept for the last sets of identities asked for, which are a profile's related identities).
        """
        if isinstance(identities, frozenset):
            kept = self._positions.get(identities)
            if kept is None:
                kept = self._positions_of(identities)
                keep(self._positions, identities, kept, _KEPT)
            return list(kept)
        return self._positions_of(identities)

    def _positions_of(self, identities: Iterable[Identity]) -> list[int]:
        found: set[int] = set()
        for identity in identities:
            dense = self.dense(identity)
            if dense is not None:
                found.update(
                    self._records[self._record_start[dense] : self._record_start[dense + 1]].tolist()
                )
        return sorted(found)

    def groups(self, schema_class: str, stitched: bool) -> Iterator[Ints]:
        """The records of ``schema_class`` as profiles: global positions per profile, in order.

        Stitched: one profile per connected component; else one per (first) identity of a record.
        Profiles come in the order of their first record, records in global order; records without
        identities are in no profile.
        """
        chosen = [
            np.arange(s.base, s.base + len(s.batch.records), dtype=np.int64)
            for s in self.segments
            if s.dataset.schema_class == schema_class
        ]
        if not chosen:
            return
        position = np.concatenate(chosen)
        first = self.first[position]
        position, first = position[first >= 0], first[first >= 0]
        group = self.root[first] if stitched else first
        order = np.lexsort((position, group))
        position, group = position[order], group[order]
        bounds = np.flatnonzero(np.diff(group)) + 1
        starts = np.concatenate(([0], bounds)) if len(position) else np.zeros(0, dtype=np.int64)
        ends = np.concatenate((bounds, [len(position)])) if len(position) else starts
        for g in np.argsort(position[starts], kind="stable").tolist():
            yield position[starts[g] : ends[g]]
