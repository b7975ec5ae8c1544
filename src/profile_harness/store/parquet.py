"""Write records as Parquet, the format Platform's exports are read back in, whatever their shape.

Parquet columns have one type each and cannot be empty structs; XDM records read back from
Platform's JSON need neither. So the column types are worked out here from every row (and the
paths a request asked for); pyarrow's own guess is kept only where it is the same (choices in
spec/DECISIONS.md, "Export jobs"):

* objects become structs holding every key seen at that place in any row; arrays become lists;
  a key absent from a row, ``null`` and an object with no fields all read back as null;
* integers and numbers mixed at one place become doubles (while every integer is exact in one);
* anything else that does not fit one type at one place (a string in one row, an object in another;
  integers beyond 64 bits; text that is not UTF-8; nesting deeper than :data:`MAX_DEPTH`) is written
  as its JSON text in a string column marked :data:`JSON_ENCODED`, which :func:`read_parquet`
  decodes;
* a place no row has a value for is a column of nulls when it was asked for (``columns``), and is
  left out otherwise.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["JSON_ENCODED", "MAX_DEPTH", "read_parquet", "to_parquet"]

#: Field metadata of a column whose values are JSON text (decoded by :func:`read_parquet`).
JSON_ENCODED = {b"profile_harness.encoding": b"json"}
#: File metadata of a file whose rows had no field at all: one JSON text column ``_json``.
_WHOLE_ROWS = {b"profile_harness.rows": b"json"}
#: Objects and arrays nested deeper than this are written as JSON text: Parquet readers refuse
#: schemas nested much deeper (pyarrow's limit lies between 50 and 100 levels).
MAX_DEPTH = 24
_INT64 = (-(2**63), 2**63 - 1)
_EXACT_IN_DOUBLE = 2**53

Tree = dict[str, "Tree"]


@dataclass
class _Shape:
    """What the rows hold at one place: the kinds of value seen, and the shapes below."""

    kinds: set[str] = field(default_factory=set)
    children: dict[str, _Shape] = field(default_factory=dict)
    element: _Shape | None = None
    widest_int: int = 0

    def observe(self, value: Any, depth: int) -> None:
        if value is None:
            return
        kind = _kind(value)
        self.kinds.add(kind)
        if depth >= MAX_DEPTH and kind in ("dict", "list"):
            self.kinds.add("deep")
        elif kind == "dict":
            for key, item in value.items():
                if type(key) is not str or not _utf8(key):
                    self.kinds.add("other")
                    return
                child = self.children.get(key)
                if child is None:
                    child = self.children[key] = _Shape()
                child.observe(item, depth + 1)
        elif kind == "list":
            if self.element is None:
                self.element = _Shape()
            for item in value:
                self.element.observe(item, depth + 1)
        elif kind == "int":
            self.widest_int = max(self.widest_int, abs(value))
        elif kind == "str" and not _utf8(value):
            self.kinds.add("other")


def _kind(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return "str"
    if kind is bool:
        return "bool"
    if kind is int:
        return "int"
    if kind is float:
        return "float"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, list | tuple):
        return "list"
    return "other"


def _utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: valid in JSON escapes, not in UTF-8
        return False
    return True


@dataclass
class _Column:
    """How one place is written: its Arrow type, and how a row's value is made to fit it."""

    kind: str  # null | bool | int | float | str | json | struct | list
    fields: dict[str, _Column] = field(default_factory=dict)
    element: _Column | None = None

    def arrow_field(self, name: str) -> pa.Field:
        if self.kind == "json":
            return pa.field(name, pa.string(), metadata=JSON_ENCODED)
        return pa.field(name, self.arrow_type())

    def arrow_type(self) -> pa.DataType:
        if self.kind == "struct":
            return pa.struct([column.arrow_field(name) for name, column in self.fields.items()])
        if self.kind == "list":
            assert self.element is not None
            return pa.list_(self.element.arrow_field("element"))
        return _SCALARS[self.kind]

    def fit(self, value: Any) -> Any:
        if value is None or self.kind == "null":
            return None
        if self.kind == "struct":
            return {name: column.fit(value.get(name)) for name, column in self.fields.items()}
        if self.kind == "list":
            assert self.element is not None
            return [self.element.fit(item) for item in value]
        if self.kind == "float":
            return float(value)
        if self.kind == "json":
            return _json_text(value)
        return value


_WRITTEN_AS_IS = (pa.bool_(), pa.int64(), pa.float64(), pa.string())
_SCALARS = {
    "null": pa.null(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "str": pa.string(),
    "json": pa.string(),
}


def _json_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if _utf8(text) else json.dumps(value, default=str)


def _column(shape: _Shape | None, wanted: Tree) -> _Column:
    """The column of a place, from what the rows hold there and the paths asked for below it."""
    kinds = shape.kinds if shape is not None else set()
    if not kinds:
        if not wanted:
            return _Column("null")
        return _Column("struct", {name: _column(None, below) for name, below in wanted.items()})
    assert shape is not None
    if kinds == {"dict"}:
        fields = {name: _column(child, wanted.get(name, {})) for name, child in shape.children.items()}
        for name, below in wanted.items():
            if name not in fields:
                fields[name] = _column(None, below)
        # An object that never has a field is written as null: Parquet has no empty struct.
        return _Column("struct", fields) if fields else _Column("null")
    if kinds == {"list"}:
        return _Column("list", element=_column(shape.element, wanted))
    if kinds == {"int"} and shape.widest_int <= _INT64[1]:
        return _Column("int")
    if kinds == {"int", "float"} and shape.widest_int <= _EXACT_IN_DOUBLE:
        return _Column("float")
    if len(kinds) == 1 and kinds <= {"bool", "float", "str"}:
        return _Column(next(iter(kinds)))
    return _Column("json")


def _tree(paths: Iterable[str]) -> Tree:
    tree: Tree = {}
    for path in paths:
        node = tree
        for part in (p for p in path.split(".") if p):
            node = node.setdefault(part, {})
    return tree


def _table(items: Sequence[dict[str, Any]], wanted: Tree) -> pa.Table:
    # pyarrow's own guess is right for most batches (one type per place, every asked path present)
    # and several times faster; anything it refuses, or guesses unwritable, gets the careful pass.
    # (``pa.array`` over the rows, not ``Table.from_pylist``, which takes the first row's keys only.)
    try:
        guessed = pa.array(items)
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        guessed = None
    if guessed is not None and pa.types.is_struct(guessed.type) and _fits(guessed.type, wanted, 0):
        return pa.Table.from_struct_array(guessed)
    return _careful_table(items, wanted)


def _fits(kind: pa.DataType, wanted: Tree, depth: int) -> bool:
    """Whether a guessed type is what the careful pass would write: no empty or too deep struct, no
    missing asked-for path.
    """
    if pa.types.is_struct(kind):
        names = {kind.field(i).name for i in range(kind.num_fields)}
        return (
            depth < MAX_DEPTH
            and kind.num_fields > 0
            and set(wanted) <= names
            and all(
                _fits(kind.field(i).type, wanted.get(kind.field(i).name, {}), depth + 1)
                for i in range(kind.num_fields)
            )
        )
    if pa.types.is_list(kind):
        return depth < MAX_DEPTH and _fits(kind.value_type, wanted, depth + 1)
    if pa.types.is_null(kind):
        return not wanted
    return kind in _WRITTEN_AS_IS


def _careful_table(items: Sequence[dict[str, Any]], wanted: Tree) -> pa.Table:
    top = _Shape()
    for row in items:
        top.observe(row, 0)
    top.kinds.add("dict")  # every row is an object, even when there is none
    column = _column(top, wanted)
    if column.kind != "struct" or not column.fields:
        # Rows without any field: Parquet needs a column to count rows in.
        texts = pa.array([json.dumps(row, default=str) for row in items], pa.string())
        return pa.table({"_json": texts}).replace_schema_metadata(_WHOLE_ROWS)
    schema = pa.schema([c.arrow_field(name) for name, c in column.fields.items()])
    rows = [column.fit(row) for row in items]
    return pa.Table.from_pylist(rows, schema=schema)


def to_parquet(rows: Iterable[dict[str, Any]], columns: Iterable[str] = ()) -> bytes:
    """Parquet bytes of ``rows``, nested XDM objects as nested columns, ``columns`` always present.

    ``columns`` are dotted paths (a request's ``fields``): each is a column, null in every row that
    lacks it, even when no row has it; a path through an array names a field of its elements.
    """
    table = _table(list(rows), _tree(columns))
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def read_parquet(data: bytes) -> list[dict[str, Any]]:
    """Rows of Parquet bytes (for tests and tools), JSON text columns decoded."""
    table = pq.read_table(io.BytesIO(data))
    if (table.schema.metadata or {}).get(b"profile_harness.rows") == b"json":
        return [json.loads(text) for text in table.column("_json").to_pylist()]
    decoders = {f.name: _decoder(f) for f in table.schema}
    return [{name: decoders[name](value) for name, value in row.items()} for row in table.to_pylist()]


def _decoder(arrow_field: pa.Field) -> Any:
    """A function that decodes the JSON text columns inside values of ``arrow_field``."""
    if arrow_field.metadata and arrow_field.metadata.get(b"profile_harness.encoding") == b"json":
        return lambda value: None if value is None else json.loads(value)
    kind = arrow_field.type
    if pa.types.is_struct(kind):
        inner = {kind.field(i).name: _decoder(kind.field(i)) for i in range(kind.num_fields)}
        return lambda value: None if value is None else {k: inner[k](v) for k, v in value.items()}
    if pa.types.is_list(kind):
        element = _decoder(kind.value_field)
        return lambda value: None if value is None else [element(v) for v in value]
    return lambda value: value
