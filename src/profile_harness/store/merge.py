"""Merge fragments into one profile under a merge policy (timestampOrdered or dataSetPrecedence)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from profile_harness.store.datasets import Fragment

__all__ = ["MergedEntity", "merge_fragments"]


@dataclass(frozen=True)
class MergedEntity:
    entity: dict[str, Any]
    sources: list[str]
    last_modified_ms: int
    fragments: int


def _union_identity_maps(target: dict[str, Any], incoming: dict[str, Any]) -> None:
    for namespace, entries in incoming.items():
        existing = target.setdefault(namespace, [])
        seen = {e.get("id") for e in existing if isinstance(e, dict)}
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and entry.get("id") not in seen:
                existing.append(copy.deepcopy(entry))
                seen.add(entry.get("id"))


def _overlay(target: dict[str, Any], incoming: dict[str, Any]) -> None:
    """Leaf fields of ``incoming`` override ``target``; objects merge; identityMap is a union."""
    for key, value in incoming.items():
        if key == "identityMap" and isinstance(value, dict):
            _union_identity_maps(target.setdefault("identityMap", {}), value)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _overlay(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


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
    entity: dict[str, Any] = {}
    for fragment in chosen:
        _overlay(entity, fragment.record)
    sources = list(dict.fromkeys(f.dataset_id for f in chosen))
    return MergedEntity(entity, sources, max(f.updated_ms for f in chosen), len(chosen))
