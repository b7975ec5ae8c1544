"""Packed records: compressed JSON text in blocks, each record's identities as 64-bit keys in flat arrays.

A million generated people are 6.6 million records; as Python dicts they take about 10 GiB. Packed,
a record costs its compact JSON text compressed (zstd, about a sixth of it) plus a few array slots,
and is decoded (a fresh dict) on each read. A batch's ``records`` is either a plain list of dicts
(fixtures, ingestion, tests) or a :class:`PackedRecords` (generated worlds); both are sequences of
dicts to every reader.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa

from profile_harness.store.bounded import Kept, keep
from profile_harness.store.identity import Identity

__all__ = ["IdentityRows", "PackedBuilder", "PackedRecords", "identity_key", "identity_rows", "pack"]

#: Records per compressed block: small enough to read one record fast, large enough to compress well.
BLOCK = 64
_CODEC = pa.Codec("zstd", compression_level=1)
#: Decompressed blocks kept per sequence (the oldest dropped when full): about 256 x 64 records.
BLOCKS_KEPT = 256

Int64s = npt.NDArray[np.int64]


def identity_key(identity: Identity) -> int:
    """The 64-bit key an identity is indexed by (its hash: stable within the process, never stored)."""
    return hash(identity)


class IdentityRows:
    """Every identity occurrence of a sequence of records: key, record position, slot in the record."""

    __slots__ = ("keys", "records", "slots")

    def __init__(self, keys: Int64s, records: Int64s, slots: Int64s) -> None:
        self.keys, self.records, self.slots = keys, records, slots


class PackedRecords(Sequence[dict[str, Any]]):
    """An immutable sequence of records kept as compressed JSON; each read decodes a fresh dict.

    Raw records sit in blocks of :data:`BLOCK` (their JSON text joined and zstd-compressed) in the
    order they were written; ``ends[r + 1]`` is where raw record ``r`` ends in the uncompressed
    stream. ``order`` (position -> raw record), when set, is the sequence's order and leaves removed
    records out. Raw record ``r`` carries ``keys[starts[r]:starts[r + 1]]``, the
    :func:`identity_key` of its identities in ``identityMap`` order. A change (:meth:`without`) makes
    a new sequence sharing the same blocks. The last :data:`BLOCKS_KEPT` blocks read stay decompressed (a
    few MiB), so reading in raw order decompresses each block once and the profiles a test reads
    again and again are not decompressed again.
    """

    __slots__ = ("_blocks", "_cached", "_ends", "_keys", "_order", "_starts")

    def __init__(
        self,
        blocks: list[bytes],
        ends: array[int],
        keys: Int64s,
        starts: Int64s,
        order: Int64s | None = None,
    ) -> None:
        self._blocks, self._ends = blocks, ends
        self._keys, self._starts = keys, starts
        self._order = order
        self._cached: Kept[int, bytes] = Kept()  # decompressed blocks, by number

    @property
    def raw_count(self) -> int:
        return len(self._ends) - 1

    def __len__(self) -> int:
        return self.raw_count if self._order is None else len(self._order)

    def _block(self, number: int) -> bytes:
        data = self._cached.get(number)
        if data is None:
            ends = self._ends
            first, last = number * BLOCK, min((number + 1) * BLOCK, len(ends) - 1)
            data = _CODEC.decompress(
                self._blocks[number], decompressed_size=ends[last] - ends[first], asbytes=True
            )
            keep(self._cached, number, data, BLOCKS_KEPT)
        return data

    def raw(self, r: int) -> dict[str, Any]:
        """Raw record ``r``, decoded."""
        data = self._block(r // BLOCK)
        ends = self._ends
        base = ends[r - r % BLOCK]
        text = data[ends[r] - base : ends[r + 1] - base]
        try:
            record: dict[str, Any] = orjson.loads(text)
        except orjson.JSONDecodeError:  # what orjson will not read (an integer beyond 64 bits) json will
            record = json.loads(text)
        return record

    def raw_index(self, position: int) -> int:
        return position if self._order is None else int(self._order[position])

    @overload
    def __getitem__(self, position: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, position: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, position: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError("record position out of range")
        return self.raw(self.raw_index(position))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        raw = self.raw
        if self._order is None:
            return (raw(r) for r in range(self.raw_count))
        return (raw(r) for r in self._order.tolist())

    def stored_order(self) -> Iterator[dict[str, Any]]:
        """The records in the order they are stored (each block decompressed once), for full scans."""
        raw = self.raw
        if self._order is None:
            return (raw(r) for r in range(self.raw_count))
        return (raw(r) for r in np.sort(self._order).tolist())

    def __deepcopy__(self, memo: dict[int, Any]) -> PackedRecords:
        return self  # immutable: copies share it

    @property
    def packed_bytes(self) -> int:
        """Bytes the records take packed (blocks and arrays), for reports."""
        arrays = self._keys.nbytes + self._starts.nbytes + (0 if self._order is None else self._order.nbytes)
        return sum(map(len, self._blocks)) + len(self._ends) * 8 + arrays

    def identity_rows(self) -> IdentityRows:
        """Every identity occurrence, by position in this sequence (removed records left out)."""
        counts = np.diff(self._starts)
        raw_of = np.repeat(np.arange(self.raw_count, dtype=np.int64), counts)
        slots = np.arange(len(self._keys), dtype=np.int64) - self._starts[raw_of]
        if self._order is None:
            return IdentityRows(self._keys, raw_of, slots)
        position_of_raw = np.full(self.raw_count, -1, dtype=np.int64)
        position_of_raw[self._order] = np.arange(len(self._order), dtype=np.int64)
        positions = position_of_raw[raw_of]
        kept = positions >= 0
        return IdentityRows(self._keys[kept], positions[kept], slots[kept])

    def without(self, positions: Iterable[int]) -> PackedRecords:
        """The same sequence less the records at ``positions`` (the blocks are shared, not copied)."""
        order = self._order if self._order is not None else np.arange(self.raw_count, dtype=np.int64)
        doomed = np.fromiter(positions, dtype=np.int64)
        return self._with_order(np.delete(order, doomed))

    def reordered(self, order: Int64s) -> PackedRecords:
        """The raw records in ``order`` (raw indexes), e.g. sorted by a column kept while writing."""
        return self._with_order(order.astype(np.int64))

    def _with_order(self, order: Int64s) -> PackedRecords:
        return PackedRecords(self._blocks, self._ends, self._keys, self._starts, order)


class PackedBuilder:
    """Appends records (JSON text, ASCII, e.g. ``json.dumps``' default) and their identities."""

    def __init__(self) -> None:
        self._blocks: list[bytes] = []
        self._ends = array("q", [0])
        self._texts: list[str] = []
        self._identities: list[Identity] = []
        self._keys = array("q")
        self._counts = array("q")

    def add(self, text: str, identities: Sequence[Identity]) -> None:
        self._texts.append(text)
        self._identities.extend(identities)
        self._counts.append(len(identities))
        if len(self._texts) == BLOCK:
            self._seal()

    def _seal(self) -> None:
        if not self._texts:
            return
        data = "".join(self._texts).encode("ascii")  # ASCII: character offsets are byte offsets
        self._ends.extend(accumulate(map(len, self._texts), initial=self._ends[-1]))
        self._ends.pop(len(self._ends) - len(self._texts) - 1)  # accumulate repeats the start
        self._blocks.append(_CODEC.compress(data, asbytes=True))
        self._keys.extend(map(hash, self._identities))
        self._texts, self._identities = [], []

    def build(self) -> PackedRecords:
        self._seal()
        starts = np.zeros(len(self._counts) + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(self._counts, dtype=np.int64), out=starts[1:])
        keys = np.frombuffer(self._keys, dtype=np.int64).copy()
        return PackedRecords(self._blocks, self._ends, keys, starts)


def pack(records: Iterable[dict[str, Any]]) -> PackedRecords:
    """Records (dicts) packed, identities and all."""
    from profile_harness.store.datasets import identities_of  # datasets imports this module

    builder = PackedBuilder()
    for record in records:
        builder.add(json.dumps(record, separators=(",", ":")), identities_of(record))
    return builder.build()


def identity_rows(records: Sequence[dict[str, Any]]) -> IdentityRows:
    """The identity occurrences of any batch's records (packed: from its arrays; a list: read here)."""
    if isinstance(records, PackedRecords):
        return records.identity_rows()
    from profile_harness.store.datasets import identities_of

    keys: list[int] = []
    positions: list[int] = []
    slots: list[int] = []
    for position, record in enumerate(records):
        for slot, identity in enumerate(identities_of(record)):
            keys.append(hash(identity))
            positions.append(position)
            slots.append(slot)
    return IdentityRows(
        np.array(keys, dtype=np.int64), np.array(positions, dtype=np.int64), np.array(slots, dtype=np.int64)
    )
