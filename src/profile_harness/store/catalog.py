"""Catalog views of one tenant's datasets and batches, and the files a batch is read back from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from profile_harness.errors import BadRequest, NotFound
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.datasets import PROFILE_CLASS, UNION_SCHEMA, Batch, Dataset, DatasetBackend
from profile_harness.store.parquet import to_parquet

__all__ = [
    "PAGE_LIMIT",
    "UNION_SCHEMA",
    "BatchFile",
    "BatchFiles",
    "CatalogBackend",
    "CatalogBatch",
    "CatalogDataset",
    "DatasetFile",
]

#: The most entries a Data Access listing holds in one page.
PAGE_LIMIT = 100

_CLASS_BY_SCHEMA = {
    UNION_SCHEMA: PROFILE_CLASS,
    "https://ns.adobe.com/xdm/context/profile": PROFILE_CLASS,
    "https://ns.adobe.com/xdm/context/experienceevent": "_xdm.context.experienceevent",
}


@dataclass(frozen=True)
class BatchFile:
    """One file of a batch: its Data Access id, its name and its bytes."""

    file_id: str
    batch_id: str
    dataset_id: str
    name: str
    data: bytes
    created_ms: int


@dataclass(frozen=True)
class DatasetFile:
    """A batch's dataset file (``<batchId>-1``) as Data Access shows it: a folder of Parquet parts.

    Its links point at the server that was asked, so ``to_dict`` takes the Data Access base URL.
    """

    file_id: str
    parts: list[BatchFile]  # never empty

    def part(self, name: str) -> BatchFile:
        match = next((f for f in self.parts if f.name == name), None)
        if match is None:
            raise NotFound(f"File {self.file_id} has no part named {name!r}")
        return match

    def to_dict(self, base_url: str) -> dict[str, Any]:
        """``GET /files/{fileId}``: the parts, each linked to its bytes."""
        data = [
            {
                "name": f.name,
                "length": str(len(f.data)),
                "_links": {"self": {"href": f"{base_url}/files/{self.file_id}?path={quote(f.name)}"}},
            }
            for f in self.parts
        ]
        return {"data": data, "_page": {"limit": PAGE_LIMIT, "count": len(data)}}


@dataclass(frozen=True)
class BatchFiles:
    """One page of the dataset files of a batch (``GET /batches/{batchId}/files``)."""

    files: list[DatasetFile]
    start: int
    limit: int

    def to_dict(self, base_url: str) -> dict[str, Any]:
        entries = [
            {
                "dataSetFileId": file.file_id,
                "dataSetViewId": file.parts[0].dataset_id,
                "version": "1.0.0",
                "created": str(file.parts[0].created_ms),
                "updated": str(file.parts[0].created_ms),
                "size": str(sum(len(f.data) for f in file.parts)),
                "isValid": True,
                "_links": {"self": {"href": f"{base_url}/files/{file.file_id}"}},
            }
            for file in self.files
        ]
        page = entries[self.start : self.start + self.limit]
        return {"data": page, "_page": {"limit": self.limit, "count": len(page)}}


@dataclass(frozen=True)
class CatalogDataset:
    """A dataset as Catalog shows it: the store's dataset, with the organization that owns it."""

    dataset: Dataset
    org: str

    @property
    def id(self) -> str:
        return self.dataset.id

    def to_dict(self, properties: list[str] | None = None) -> dict[str, Any]:
        """The dataset as Catalog shows it; ``properties`` keeps only the fields a client asked for."""
        dataset = self.dataset
        last = dataset.batches[-1] if dataset.batches else None
        view: dict[str, Any] = {
            "version": "1.0.0",
            "imsOrg": self.org,
            "name": dataset.name,
            "created": dataset.created_ms,
            "updated": max([dataset.created_ms] + [b.ingested_at_ms for b in dataset.batches]),
            "createdClient": "profile-harness",
            "createdUser": "profile-harness@AdobeID",
            "updatedUser": "profile-harness@AdobeID",
            "viewId": dataset.id,
            "files": f"@/dataSetFiles?dataSetId={dataset.id}",
            "tags": {},
        }
        if dataset.description is not None:
            view["description"] = dataset.description
        if dataset.schema_ref is not None:
            view["schemaRef"] = {
                "id": dataset.schema_ref,
                "contentType": "application/vnd.adobe.xed+json;version=1",
            }
        if last is not None:
            view["lastBatchId"] = last.id
            view["lastBatchStatus"] = last.status
        if properties:
            view = {k: v for k, v in view.items() if k in properties}
        return view


@dataclass(frozen=True)
class CatalogBatch:
    """A batch as Catalog shows it, with its dataset's id and the organization that owns it."""

    batch: Batch
    dataset_id: str
    org: str

    @property
    def id(self) -> str:
        return self.batch.id

    def to_dict(self) -> dict[str, Any]:
        batch = self.batch
        view: dict[str, Any] = {
            "imsOrg": self.org,
            "created": batch.ingested_at_ms,
            "updated": batch.ingested_at_ms,
            "createdClient": "profile-harness",
            "createdUser": "profile-harness@AdobeID",
            "updatedUser": "profile-harness@AdobeID",
            "status": batch.status,
            "version": "1.0.0",
            "relatedObjects": [{"type": "dataSet", "id": self.dataset_id}],
            "metrics": {"recordsRead": batch.size, "recordsWritten": batch.size},
            "recordCount": batch.size,
            "failedRecordCount": 0,
            "inputFormat": {"format": "parquet"},
        }
        if batch.status in ("success", "failed", "failure"):
            view["started"] = batch.ingested_at_ms
            view["completed"] = batch.ingested_at_ms
        return view


class CatalogBackend:
    """Datasets and batches as Catalog shows them; Parquet files of batches for Data Access."""

    def __init__(self, org: str, datasets: DatasetBackend, clock: Clock, ids: IdSource) -> None:
        self.org, self.datasets, self.clock, self.ids = org, datasets, clock, ids
        self._files: dict[str, list[BatchFile]] = {}  # batch id -> files written by an export

    # -- datasets ----------------------------------------------------------------------------

    def create_dataset(self, body: dict[str, Any]) -> Dataset:
        schema_id = body["schemaRef"]["id"]
        if not schema_id.startswith("https://ns.adobe.com/"):
            raise BadRequest(f"schemaRef.id {schema_id!r} is not an XDM schema id (https://ns.adobe.com/...)")
        dataset = Dataset(
            id=self.ids.dataset_id(),
            name=body["name"],
            schema_class=_CLASS_BY_SCHEMA.get(schema_id, ""),
            created_ms=self.clock.now_ms(),
            schema_ref=schema_id,
            description=body.get("description"),
        )
        return self.datasets.add(dataset)

    def get_dataset(self, dataset_id: str) -> CatalogDataset:
        return CatalogDataset(self.datasets.get(dataset_id), self.org)

    def list_datasets(self, start: int, limit: int) -> list[CatalogDataset]:
        ordered = sorted(self.datasets, key=lambda d: (d.created_ms, d.id))
        return [CatalogDataset(d, self.org) for d in ordered[start : start + limit]]

    # -- batches -----------------------------------------------------------------------------

    def find_batch(self, batch_id: str) -> tuple[Dataset, Batch]:
        found = self.datasets.find_batch(batch_id)
        if found is None:
            raise NotFound(f"Batch {batch_id} does not exist")
        return found

    def get_batch(self, batch_id: str) -> CatalogBatch:
        dataset, batch = self.find_batch(batch_id)
        return CatalogBatch(batch, dataset.id, self.org)

    # -- files -------------------------------------------------------------------------------

    def write_files(self, dataset: Dataset, batch: Batch, files: list[tuple[str, bytes]]) -> None:
        """Record the Parquet files an export wrote for ``batch``."""
        now = self.clock.now_ms()
        file_id = self.file_id(batch.id)
        self._files[batch.id] = [BatchFile(file_id, batch.id, dataset.id, n, d, now) for n, d in files]

    def written_files(self, batch_id: str) -> list[BatchFile]:
        """The files an export wrote for ``batch_id`` (none for a batch of records): state dumps."""
        return list(self._files.get(batch_id, []))

    def restore_files(self, dataset_id: str, batch_id: str, files: list[tuple[str, bytes, int]]) -> None:
        """Put back the (name, bytes, created ms) files of a batch, as a state dump kept them."""
        file_id = self.file_id(batch_id)
        self._files[batch_id] = [BatchFile(file_id, batch_id, dataset_id, n, d, ms) for n, d, ms in files]

    @staticmethod
    def file_id(batch_id: str) -> str:
        """The Data Access id of a batch's (single) dataset file, which holds its Parquet parts."""
        return f"{batch_id}-1"

    def batch_files(self, batch_id: str) -> list[BatchFile]:
        """The physical files of a batch; a batch loaded from fixtures is served as one Parquet file."""
        dataset, batch = self.find_batch(batch_id)
        if batch.id in self._files:
            return self._files[batch.id]
        if batch.status not in ("success", "loaded", "active"):
            return []
        data = to_parquet(batch.records)
        name = "part-00000.parquet"
        return [BatchFile(self.file_id(batch.id), batch.id, dataset.id, name, data, batch.ingested_at_ms)]

    def batch_listing(self, batch_id: str, start: int | None, limit: int | None) -> BatchFiles:
        """A page of the dataset files of a batch: its one file (``<batchId>-1``), none before it is done."""
        files = self.batch_files(batch_id)
        listed = [DatasetFile(files[0].file_id, files)] if files else []
        return BatchFiles(listed, start or 0, min(limit or PAGE_LIMIT, PAGE_LIMIT))

    def dataset_file(self, file_id: str) -> DatasetFile:
        """The physical files behind a dataset file id (``<batchId>-1``)."""
        batch_id, _, number = file_id.rpartition("-")
        if not batch_id or number != "1" or self.datasets.find_batch(batch_id) is None:
            raise NotFound(f"File {file_id} does not exist")
        files = self.batch_files(batch_id)
        if not files:
            raise NotFound(f"File {file_id} has no content yet (batch {batch_id} is not complete)")
        return DatasetFile(file_id, files)
