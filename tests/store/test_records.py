"""Packed records: read back exactly as written, removals and orders, identities as the index reads them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from profile_harness.store.datasets import identities_of
from profile_harness.store.records import BLOCK, identity_key, identity_rows, pack


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {
            "identityMap": {"email": [{"id": f"p{i}@example.com"}], "crmid": [{"id": f"C-{i}"}]}
            if i % 5
            else {},
            "person": {"name": {"firstName": "Zoë" if i % 2 else "Jane"}},
            "n": i,
            "f": i / 3,
            "ok": i % 3 == 0,
            "none": None,
        }
        for i in range(n)
    ]


def test_pack__reads_back_what_was_written_across_blocks() -> None:
    records = _records(3 * BLOCK + 7)
    packed = pack(records)
    assert len(packed) == len(records)
    assert list(packed) == records
    assert packed[0] == records[0]
    assert packed[-1] == records[-1]
    assert packed[BLOCK - 1 : BLOCK + 2] == records[BLOCK - 1 : BLOCK + 2]
    with pytest.raises(IndexError):
        packed[len(records)]


def test_pack__each_read_is_a_fresh_copy() -> None:
    packed = pack(_records(3))
    packed[1]["n"] = "changed"
    assert packed[1]["n"] == 1


def test_without__drops_those_positions_and_shares_the_blocks() -> None:
    records = _records(2 * BLOCK)
    packed = pack(records)
    smaller = packed.without([0, 5, BLOCK + 1])
    expected = [r for i, r in enumerate(records) if i not in (0, 5, BLOCK + 1)]
    assert list(smaller) == expected
    assert list(smaller.without([0])) == expected[1:]
    assert len(packed) == 2 * BLOCK  # the original is unchanged
    assert list(smaller.stored_order()) == expected


def test_reordered__reads_in_the_new_order() -> None:
    import numpy as np

    records = _records(BLOCK + 3)
    order = np.arange(len(records))[::-1].copy()
    packed = pack(records).reordered(order)
    assert list(packed) == records[::-1]
    assert sorted(r["n"] for r in packed.stored_order()) == list(range(len(records)))


@pytest.mark.parametrize("removed", [[], [0, 1, 7], list(range(0, 100, 3))])
def test_identity_rows__packed_and_plain_agree(removed: list[int]) -> None:
    import numpy as np

    records = _records(100)
    plain = [r for i, r in enumerate(records) if i not in removed]
    packed = pack(records).reordered(np.arange(100)[::-1].copy()).without([99 - i for i in removed][::-1])
    assert list(packed) == plain[::-1]

    def triples(rows: Any) -> list[tuple[int, int, int]]:
        return sorted(zip(rows.keys.tolist(), rows.records.tolist(), rows.slots.tolist(), strict=True))

    assert triples(identity_rows(packed)) == triples(identity_rows(plain[::-1]))
    expected = [
        (identity_key(identity), position, slot)
        for position, record in enumerate(plain[::-1])
        for slot, identity in enumerate(identities_of(record))
    ]
    assert triples(identity_rows(packed)) == sorted(expected)


def test_deepcopy__shares_the_immutable_records() -> None:
    packed = pack(_records(2))
    assert copy.deepcopy({"records": packed})["records"] is packed


def test_decompressed_blocks_kept_are_bounded_and_reads_stay_right() -> None:
    from profile_harness.store import records as module

    plain = [{"identityMap": {"email": [{"id": f"p{i}@x"}]}, "n": i} for i in range(module.BLOCK * 5 + 3)]
    packed = pack(plain)
    order = list(range(len(plain)))[::-1] + list(range(0, len(plain), 7))
    assert [packed[i] for i in order] == [plain[i] for i in order]
    kept_before = module.BLOCKS_KEPT
    try:
        module.BLOCKS_KEPT = 2
        small = pack(plain)
        assert [small[i] for i in order] == [plain[i] for i in order]
        assert len(small._cached) <= 2
    finally:
        module.BLOCKS_KEPT = kept_before
