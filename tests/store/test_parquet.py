"""Parquet writing: every shape of rows is written and read back as it was (null, absent and {} alike)."""

from __future__ import annotations

import io
from typing import Any

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.store.parquet import JSON_ENCODED, MAX_DEPTH, read_parquet, to_parquet


def normal(value: Any) -> Any:
    """``value`` as Parquet keeps it: absent keys, nulls and objects without fields are all null, and
    an integral double is its integer.
    """
    if isinstance(value, dict):
        kept = {k: n for k, v in value.items() if (n := normal(v)) is not None}
        return kept or None
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def same_rows(written: list[dict[str, Any]], read: list[dict[str, Any]]) -> bool:
    return len(written) == len(read) and all(
        (normal(w) or {}) == (normal(r) or {}) for w, r in zip(written, read, strict=True)
    )


def _schema(data: bytes) -> Any:
    return pq.read_schema(io.BytesIO(data))


def test_to_parquet__empty_objects_are_written_as_null() -> None:
    """Issue 13.1: `Cannot write struct type 'element' with no child field to Parquet`."""
    rows = [{"eventList": [{}], "a": {}}, {"eventList": [], "a": {"b": {}}}]
    assert read_parquet(to_parquet(rows)) == [
        {"eventList": [None], "a": {"b": None}},
        {"eventList": [], "a": {"b": None}},
    ]


def test_to_parquet__asked_for_columns_exist_in_every_row() -> None:
    rows = [{"eventList": [{}]}, {"eventList": []}, {}]
    read = read_parquet(to_parquet(rows, ["person.name", "eventList.environment.browserDetails.name"]))
    assert read == [
        {"eventList": [{"environment": None}], "person": None},
        {"eventList": [], "person": None},
        {"eventList": None, "person": None},
    ]
    # A path through an array names a field of its elements.
    arrays = [{"identities": [{"id": "1"}]}, {}]
    assert read_parquet(to_parquet(arrays, ["identities.id", "identities.primary"])) == [
        {"identities": [{"id": "1", "primary": None}]},
        {"identities": None},
    ]


def test_to_parquet__rows_without_any_field_are_kept() -> None:
    """Issue 13.1: rows with nothing selected were dropped (a table with no column has no rows)."""
    assert read_parquet(to_parquet([{}, {}])) == [{}, {}]
    assert read_parquet(to_parquet([])) == []
    assert read_parquet(to_parquet([], ["a.b"])) == []


def test_to_parquet__mixed_types_at_one_place_are_json_text() -> None:
    rows = [{"a": 1}, {"a": "x"}, {"a": {"b": [1, 2.5]}}, {"a": None}, {"a": [True]}]
    data = to_parquet(rows)
    assert _schema(data).field("a").metadata == JSON_ENCODED
    assert read_parquet(data) == rows


def test_to_parquet__numbers() -> None:
    mixed = [{"n": 1}, {"n": 2.5}]
    assert read_parquet(to_parquet(mixed)) == [{"n": 1.0}, {"n": 2.5}]
    huge = [{"n": 2**70}, {"n": -(2**64)}, {"n": 1}]
    assert read_parquet(to_parquet(huge)) == huge
    inexact = [{"n": 2**53 + 1}, {"n": 0.5}]
    assert read_parquet(to_parquet(inexact)) == inexact
    flags = [{"f": True}, {"f": 1}]
    assert read_parquet(to_parquet(flags)) == flags


def test_to_parquet__text_that_is_not_utf8_and_deep_nesting() -> None:
    odd = [{"s": "\ud800"}, {"s": "ok"}, {"\udc00": 1}]
    assert read_parquet(to_parquet(odd)) == [{"s": "\ud800"}, {"s": "ok"}, {"\udc00": 1}]
    deep: Any = 1
    for _ in range(MAX_DEPTH + 10):
        deep = {"k": [deep]}
    assert read_parquet(to_parquet([{"deep": deep}])) == [{"deep": deep}]


def test_to_parquet__maps_with_many_and_odd_keys() -> None:
    rows = [{"m": {"": 1, "a.b": 2, "x y": 3}}, {"m": {str(i): i for i in range(200)}}]
    assert same_rows(rows, read_parquet(to_parquet(rows)))


_KEYS = st.sampled_from(["a", "b", "c", "id", ""])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=12,
)
_ROWS = st.lists(st.dictionaries(_KEYS, _VALUES, max_size=3), max_size=5)
_PATHS = st.lists(st.lists(_KEYS, min_size=1, max_size=3).map(".".join), max_size=3)


@settings(max_examples=300, deadline=None)
@given(_ROWS, _PATHS)
def test_to_parquet__any_rows_are_read_back_as_written(
    rows: list[dict[str, Any]], columns: list[str]
) -> None:
    read = read_parquet(to_parquet(rows, columns))
    assert same_rows(rows, read)
    for row in read:
        for path in columns:
            top = path.split(".")[0]
            assert top in row or not top  # every asked-for column is there


def test_normal__treats_null_absent_and_empty_alike() -> None:
    assert normal({"a": {}, "b": None, "c": [{}], "d": 2.0}) == {"c": [None], "d": 2}
    assert normal({"a": {"b": {}}}) is None
