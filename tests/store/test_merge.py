"""Merging fragments: timestampOrdered and dataSetPrecedence (DESIGN.md, DOC-MPO)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.store.datasets import Fragment
from profile_harness.store.merge import event_datasets_read, merge_fragments


def _f(dataset: str, updated: int, record: dict[str, object]) -> Fragment:
    return Fragment(dataset, f"b-{dataset}", 0, record, updated)


CRM = _f("crm", 100, {"identityMap": {"email": [{"id": "j@x"}]}, "home": {"city": "Paris", "zip": "75001"}})
LOY = _f("loy", 200, {"identityMap": {"loyaltyid": [{"id": "L"}]}, "home": {"city": "Lyon"}, "points": 5})


def test_timestamp_ordered__latest_leaf_wins_and_objects_merge():
    merged = merge_fragments([LOY, CRM], "timestampOrdered")
    assert merged is not None
    assert merged.entity["home"] == {"city": "Lyon", "zip": "75001"}
    assert merged.entity["points"] == 5
    assert merged.sources == ["crm", "loy"]
    assert merged.last_modified_ms == 200


def test_timestamp_ordered__identity_maps_are_united():
    merged = merge_fragments([CRM, LOY], "timestampOrdered")
    assert merged is not None
    assert set(merged.entity["identityMap"]) == {"email", "loyaltyid"}


def test_dataset_precedence__first_listed_wins_whatever_the_time():
    merged = merge_fragments([CRM, LOY], "dataSetPrecedence", ["crm", "loy"])
    assert merged is not None
    assert merged.entity["home"]["city"] == "Paris"
    assert merged.entity["points"] == 5


def test_dataset_precedence__unlisted_datasets_are_left_out():
    merged = merge_fragments([CRM, LOY], "dataSetPrecedence", ["crm"])
    assert merged is not None
    assert "points" not in merged.entity
    assert merged.sources == ["crm"]
    assert merge_fragments([LOY], "dataSetPrecedence", ["crm"]) is None


# -- copy-on-write: the same result as merging deep copies, and the records are left as they were --

_leaf = st.one_of(st.integers(), st.text(max_size=3), st.none())
_tree = st.recursive(
    _leaf,
    lambda inner: st.dictionaries(st.sampled_from(["a", "b", "c", "identityMap"]), inner, max_size=3),
    max_leaves=8,
)
_identity_map = st.dictionaries(
    st.sampled_from(["email", "ecid"]),
    st.lists(st.one_of(st.fixed_dictionaries({"id": st.sampled_from(["1", "2", "3"])}), _leaf), max_size=3),
    max_size=2,
)
_record = st.dictionaries(
    st.sampled_from(["a", "b", "home", "identityMap"]), st.one_of(_tree, _identity_map), max_size=4
)


def _reference(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The merge as first written: every record deep-copied into the result."""

    def union(target: dict[str, Any], incoming: dict[str, Any]) -> None:
        for namespace, entries in incoming.items():
            existing = target.get(namespace)
            if not isinstance(existing, list):
                existing = target[namespace] = []
            seen = {e.get("id") for e in existing if isinstance(e, dict)}
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("id") not in seen:
                    existing.append(copy.deepcopy(entry))
                    seen.add(entry.get("id"))

    def overlay(target: dict[str, Any], incoming: dict[str, Any]) -> None:
        for key, value in incoming.items():
            if key == "identityMap" and isinstance(value, dict):
                if not isinstance(target.get("identityMap"), dict):
                    target["identityMap"] = {}
                union(target["identityMap"], value)
            elif isinstance(value, dict) and isinstance(target.get(key), dict):
                overlay(target[key], value)
            else:
                target[key] = copy.deepcopy(value)

    entity: dict[str, Any] = {}
    for record in records:
        overlay(entity, record)
    return entity


@settings(max_examples=300, deadline=None)
@given(st.lists(_record, min_size=1, max_size=4))
def test_copy_on_write_merge_is_the_deep_copy_merge_and_changes_no_record(
    records: list[dict[str, Any]],
) -> None:
    before = copy.deepcopy(records)
    fragments = [_f(f"d{i}", i, record) for i, record in enumerate(records)]
    merged = merge_fragments(fragments, "timestampOrdered")
    assert merged is not None
    assert merged.entity == _reference(before)
    assert records == before


def test_event_datasets_read__dataset_precedence_reads_the_listed_event_datasets():
    events = ["web", "app"]
    assert event_datasets_read("dataSetPrecedence", ["crm", "app"], events) == {"app"}
    assert event_datasets_read("dataSetPrecedence", ["app", "crm", "web"], events) == {"app", "web"}
    # An order of record datasets only made no choice among the event datasets: all are read.
    assert event_datasets_read("dataSetPrecedence", ["crm", "loyalty"], events) is None
    assert event_datasets_read("timestampOrdered", None, events) is None
