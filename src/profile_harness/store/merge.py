"""Merge fragments into one profile under a merge policy (timestampOrdered or dataSetPrecedence)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from profile_harness.store.datasets import Fragment

__all__ = ["MergedEntity", "event_datasets_read", "merge_fragments"]


@dataclass(frozen=True)
class MergedEntity:
    """A merged profile. ``entity`` shares its unchanged parts with the stored records: read it,
    copy it before changing it.
    """

    entity: dict[str, Any]
    sources: list[str]
    last_modified_ms: int
    fragments: int


class _Merge:
    """One merge, copy-on-write: the result shares every part no later fragment changes with the
    stored records, and copies an object (shallowly) only when a later fragment writes into it.
    A merge of a profile touches a handful of keys, so this is far cheaper than copying each record.
    """

    def __init__(self) -> None:
        self.entity: dict[str, Any] = {}
        self._owned: set[int] = {id(self.entity)}  # objects this merge made (and may change)
        self._seen: dict[int, set[Any]] = {}  # ids in each identity list this merge made

    def _own_dict(self, value: Any) -> dict[str, Any]:
        """``value`` if this merge made it, else a shallow copy of it (a new dict if it is none)."""
        if id(value) in self._owned:
            return value  # type: ignore[no-any-return]
        copied: dict[str, Any] = dict(value) if type(value) is dict else {}
        self._owned.add(id(copied))
        return copied

    def _union_identity_maps(self, target: dict[str, Any], incoming: dict[str, Any]) -> None:
        owned, all_seen = self._owned, self._seen
        for namespace, entries in incoming.items():
            existing = target.get(namespace)
            if existing is None or id(existing) not in owned:
                existing = list(existing) if type(existing) is list else []
                owned.add(id(existing))
                target[namespace] = existing
                seen = all_seen[id(existing)] = {e.get("id") for e in existing if type(e) is dict}
            else:
                seen = all_seen[id(existing)]
            if type(entries) is not list:
                continue
            for entry in entries:
                if type(entry) is dict:
                    entry_id = entry.get("id")
                    if entry_id not in seen:
                        existing.append(entry)
                        seen.add(entry_id)

    def _overlay_memberships(self, target: dict[str, Any], incoming: dict[str, Any]) -> None:
        """Namespaces and audiences merge per key, but one audience's membership is taken whole from
        the winning fragment: a later ``exited`` must not keep an earlier ``validUntil`` or payload.
        """
        memberships = target["segmentMembership"] = self._own_dict(target.get("segmentMembership"))
        for namespace, audiences in incoming.items():
            if type(audiences) is dict:
                merged = memberships[namespace] = self._own_dict(memberships.get(namespace))
                merged.update(audiences)
            else:
                memberships[namespace] = audiences

    def overlay(self, target: dict[str, Any], incoming: dict[str, Any]) -> None:
        """Leaf fields of ``incoming`` override ``target``; objects merge; identityMap is a union."""
        for key, value in incoming.items():
            if type(value) is dict:
                if key == "identityMap":
                    identity_map = target["identityMap"] = self._own_dict(target.get("identityMap"))
                    self._union_identity_maps(identity_map, value)
                    continue
                if key == "segmentMembership":
                    self._overlay_memberships(target, value)
                    continue
                current = target.get(key)
                if type(current) is dict:
                    child = target[key] = self._own_dict(current)
                    self.overlay(child, value)
                    continue
            target[key] = value


def merge_fragments(
    fragments: Iterable[Fragment], attribute_merge: str, order: list[str] | None = None
) -> MergedEntity | None:
    """The merged profile, or None when no fragment takes part (e.g. all datasets left out)."""
    chosen = list(fragments)
    if attribute_merge == "dataSetPrecedence":
        rank = {dataset_id: i for i, dataset_id in enumerate(order or [])}
        chosen = [f for f in chosen if f.dataset_id in rank]
        # Lowest priority first, so that the highest-priority dataset is applied last and wins.
        chosen.sort(key=lambda f: (-rank[f.dataset_id], f.updated_ms, f.batch_id, f.index))
    else:
        chosen.sort(key=lambda f: (f.updated_ms, f.dataset_id, f.batch_id, f.index))
    if not chosen:
        return None
    merge = _Merge()
    for fragment in chosen:
        merge.overlay(merge.entity, fragment.record)
    entity = merge.entity
    sources = list(dict.fromkeys(f.dataset_id for f in chosen))
    return MergedEntity(entity, sources, max(f.updated_ms for f in chosen), len(chosen))


def event_datasets_read(
    attribute_merge: str, order: list[str] | None, event_datasets: Iterable[str]
) -> frozenset[str] | None:
    """Which of ``event_datasets`` a merge policy reads a profile's events from; None for all of them.

    ``timestampOrdered`` reads every dataset. Under ``dataSetPrecedence``, datasets left out of
    ``order`` are not merged (DOC-MP), and DOC-MPO has the event datasets chosen alongside the ordered
    profile datasets: the event datasets ``order`` names are read, the others are not. An ``order``
    that names no event dataset (as in every DOC-MP example, which orders record datasets) made no
    choice among them, and all are read (spec/DECISIONS.md).
    """
    if attribute_merge != "dataSetPrecedence":
        return None
    listed = frozenset(order or ()) & frozenset(event_datasets)
    return listed or None
