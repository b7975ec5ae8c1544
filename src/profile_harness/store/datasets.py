"""Datasets, batches and records of one tenant: the raw data profiles are merged from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from profile_harness.errors import Conflict, NotFound
from profile_harness.store.records import PackedRecords

#: A batch's records: plain dicts (fixtures, ingestion) or packed (generated worlds); read alike.
Records = list[dict[str, Any]] | PackedRecords

__all__ = [
    "EVENT_CLASS",
    "PROFILE_CLASS",
    "UNION_SCHEMA",
    "Batch",
    "Dataset",
    "DatasetBackend",
    "Fragment",
    "Records",
    "fragment_of",
    "identities_of",
    "parse_time_ms",
]

PROFILE_CLASS = "_xdm.context.profile"
#: Datasets on the union schema hold exports (merged profiles), never fragments to merge.
UNION_SCHEMA = "https://ns.adobe.com/xdm/context/profile__union"
EVENT_CLASS = "_xdm.context.experienceevent"


def parse_time_ms(value: Any) -> int | None:
    """Epoch milliseconds of an ISO-8601 string or a number (seconds-sized numbers are taken as ms)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    return None


def identities_of(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace code lower-cased, id) of every identity in a record's ``identityMap``."""
    found: list[tuple[str, str]] = []
    identity_map = record.get("identityMap")
    if not isinstance(identity_map, dict):
        return found
    for namespace, entries in identity_map.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"]:
                found.append((namespace.lower(), entry["id"]))
    return found


@dataclass
class Batch:
    id: str
    ingested_at_ms: int
    records: Records = field(default_factory=list)
    status: str = "success"
    #: Rows held outside ``records`` (an export's rows live only in its Parquet parts).
    record_count: int | None = None

    @property
    def size(self) -> int:
        return self.record_count if self.record_count is not None else len(self.records)


@dataclass
class Dataset:
    id: str
    name: str
    schema_class: str
    created_ms: int
    batches: list[Batch] = field(default_factory=list)
    schema_ref: str | None = None
    description: str | None = None

    @property
    def holds_fragments(self) -> bool:
        """Whether its records take part in profiles (exports on the union schema do not)."""
        return self.schema_ref != UNION_SCHEMA

    def batch(self, batch_id: str) -> Batch | None:
        return next((b for b in self.batches if b.id == batch_id), None)


@dataclass(frozen=True, slots=True)
class Fragment:
    """One record of a dataset, where it came from, and when it was last updated."""

    dataset_id: str
    batch_id: str
    index: int
    record: dict[str, Any]
    updated_ms: int


class DatasetBackend:
    """The datasets of one tenant; ``version`` goes up on every data change (caches key on it)."""

    def __init__(self) -> None:
        self._datasets: dict[str, Dataset] = {}
        self.version = 0

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self._datasets.values())

    def __len__(self) -> int:
        return len(self._datasets)

    def get(self, dataset_id: str) -> Dataset:
        dataset = self._datasets.get(dataset_id)
        if dataset is None:
            raise NotFound(f"Dataset {dataset_id} does not exist")
        return dataset

    def find(self, dataset_id: str) -> Dataset | None:
        return self._datasets.get(dataset_id)

    def add(self, dataset: Dataset) -> Dataset:
        if dataset.id in self._datasets:
            raise Conflict(f"Dataset {dataset.id} already exists")
        self._datasets[dataset.id] = dataset
        self.version += 1
        return dataset

    def add_batch(self, dataset_id: str, batch: Batch) -> Batch:
        dataset = self.get(dataset_id)
        if dataset.batch(batch.id) is not None:
            raise Conflict(f"Batch {batch.id} already exists in dataset {dataset_id}")
        dataset.batches.append(batch)
        self.version += 1
        return batch

    def find_batch(self, batch_id: str) -> tuple[Dataset, Batch] | None:
        for dataset in self._datasets.values():
            batch = dataset.batch(batch_id)
            if batch is not None:
                return dataset, batch
        return None

    def changed(self) -> None:
        self.version += 1

    def fragment_batches(self) -> list[tuple[Dataset, Batch]]:
        """Every batch whose records take part in profiles, in dataset then batch order."""
        return [(d, b) for d in self._datasets.values() if d.holds_fragments for b in d.batches]

    def fragments(self, schema_class: str) -> Iterator[Fragment]:
        """Every record of the datasets of ``schema_class``, with its update time."""
        for dataset in self._datasets.values():
            if dataset.schema_class != schema_class or not dataset.holds_fragments:
                continue
            for batch in dataset.batches:
                for index, record in enumerate(batch.records):
                    yield fragment_of(dataset, batch, index, record)


def fragment_of(dataset: Dataset, batch: Batch, index: int, record: dict[str, Any]) -> Fragment:
    """A record as a fragment: updated at ``extSourceSystemAudit.lastUpdatedDate``, else at ingestion."""
    audit = record.get("extSourceSystemAudit")
    updated = parse_time_ms(audit.get("lastUpdatedDate")) if isinstance(audit, dict) else None
    return Fragment(dataset.id, batch.id, index, record, updated or batch.ingested_at_ms)
