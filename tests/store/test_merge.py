"""Merging fragments: timestampOrdered and dataSetPrecedence (DESIGN.md, DOC-MPO)."""

from __future__ import annotations

from profile_harness.store.datasets import Fragment
from profile_harness.store.merge import merge_fragments


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
