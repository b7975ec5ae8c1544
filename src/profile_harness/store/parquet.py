"""Write records as Parquet, the format Platform's exports are read back in."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["read_parquet", "to_parquet"]


def to_parquet(rows: Iterable[dict[str, Any]]) -> bytes:
    """Parquet bytes of ``rows``, keeping nested XDM objects as nested columns.

    Records of one batch need not share a shape; where pyarrow cannot unify their types, each row
    is written whole as a JSON string column (``_json``) rather than failing the export.
    """
    items = list(rows)
    try:
        table = pa.Table.from_pylist(items)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        table = pa.table({"_json": [json.dumps(row, sort_keys=True) for row in items]})
    if table.num_columns == 0:
        table = pa.table({"_json": pa.array([], pa.string())})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


def read_parquet(data: bytes) -> list[dict[str, Any]]:
    """Rows of Parquet bytes (for tests and tools)."""
    rows: list[dict[str, Any]] = pq.read_table(io.BytesIO(data)).to_pylist()
    if rows and set(rows[0]) == {"_json"}:
        return [json.loads(row["_json"]) for row in rows]
    return rows
