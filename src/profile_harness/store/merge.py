"""Merge fragments into one profile under a merge policy (timestampOrdered or dataSetPrecedence)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from profile_harness.store.datasets import Fragment

__all__ = ["MergedEntity", "merge_fragments"]


@dataclass(frozen=True)
class MergedEntity:
    """A merged profile. ``entity`` shares its unchanged parts with the stored records: read it,
    copy it before changing it."""

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

    def _own(self, value: Any, empty: Any) -> Any:
        if id(value) in self._owned:
            return value
        copied = type(empty)(value) if isinstance(value, type(empty)) else empty
        self._owned.add(id(copied))
        return copied

    def _union_identity_maps(self, target: dict[str, Any], incoming: dict[str, Any]) -> None:
        for namespace, entries in incoming.items():
            existing = target[namespace] = self._own(target.get(namespace), [])
            seen = {e.get("id") for e in existing if isinstance(e, dict)}
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("id") not in seen:
                    existing.append(entry)
                    seen.add(entry.get("id"))

    def overlay(self, target: dict[str, Any], incoming: dict[str, Any]) -> None:
        """Leaf fields of ``incoming`` override ``target``; objects merge; identityMap is a union."""
        for key, value in incoming.items():
            if key == "identityMap" and isinstance(value, dict):
                current = target.get("identityMap", {})
                identity_map = target["identityMap"] = self._own(current, {})
                self._union_identity_maps(identity_map, value)
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                child = target[key] = self._own(target[key], {})
                self.overlay(child, value)
            else:
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
