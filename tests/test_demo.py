"""The demo generator: packed as it goes, and the same world the dict generator made, seed for seed."""

from __future__ import annotations

import json

import pytest

from profile_harness.demo import demo_document, generate_records, generated_document
from profile_harness.store.datasets import identities_of
from profile_harness.store.records import PackedRecords, identity_key
from tests import demo_reference


@pytest.mark.parametrize(("people", "seed"), [(1, 7), (20, 7), (20, 3), (700, 7), (2500, 11)])
def test_demo_document__same_world_as_the_dict_generator(people: int, seed: int) -> None:
    made = demo_document(people, seed=seed)
    reference = demo_reference.demo_document(people, seed=seed)
    # Key order matters too (merges keep it): compare the JSON text, not only the dicts.
    assert json.dumps(made) == json.dumps(reference)


def test_generated_document__packed_records_hold_the_demo_world() -> None:
    packed = generated_document(300, seed=5)
    plain = demo_document(300, seed=5)
    for packed_set, plain_set in zip(
        packed["tenants"][0]["datasets"], plain["tenants"][0]["datasets"], strict=True
    ):
        records = packed_set["batches"][0]["records"]
        assert isinstance(records, PackedRecords)
        assert list(records) == plain_set["batches"][0]["records"]
    assert {k: v for k, v in packed["tenants"][0].items() if k != "datasets"} == {
        k: v for k, v in plain["tenants"][0].items() if k != "datasets"
    }


def test_generate_records__identity_keys_are_those_of_the_records() -> None:
    for records in generate_records(150, seed=2):
        rows = records.identity_rows()
        expected = [
            (identity_key(identity), position, slot)
            for position, record in enumerate(records)
            for slot, identity in enumerate(identities_of(record))
        ]
        got = sorted(zip(rows.keys.tolist(), rows.records.tolist(), rows.slots.tolist(), strict=True))
        assert got == sorted(expected)


def test_generate_records__events_ordered_by_time() -> None:
    _, _, events = generate_records(400, seed=9)
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps)
