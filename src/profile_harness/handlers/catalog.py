"""Catalog: datasets and batches (/data/foundation/catalog)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from profile_harness.server import context

Answer = tuple[Any, int]


def _properties(value: str | None) -> list[str] | None:
    return [p.strip() for p in value.split(",") if p.strip()] if value else None


async def createDataset(body: dict[str, Any], **_: Any) -> Answer:
    """POST /dataSets: 201 with `["@/dataSets/<id>"]`."""
    dataset = context.tenant().catalog.create_dataset(body)
    return [f"@/dataSets/{dataset.id}"], 201


async def listDatasets(
    limit: int | None = None, start: int | None = None, properties: str | None = None
) -> Answer:
    """GET /dataSets: datasets keyed by id."""
    catalog = context.tenant().catalog
    datasets = catalog.list_datasets(start or 0, limit or 20)
    return {d.id: catalog.dataset_view(d, _properties(properties)) for d in datasets}, 200


async def getDataset(datasetId: str, properties: str | None = None) -> Answer:
    """GET /dataSets/{datasetId}: the dataset keyed by its id."""
    catalog = context.tenant().catalog
    dataset = catalog.get_dataset(datasetId)
    return {dataset.id: catalog.dataset_view(dataset, _properties(properties))}, 200


async def getBatch(batchId: str) -> Answer:
    """GET /batches/{batchId}: the batch keyed by its id, with its status."""
    catalog = context.tenant().catalog
    dataset, batch = catalog.find_batch(batchId)
    return {batch.id: catalog.batch_view(dataset, batch)}, 200


OPERATIONS: dict[str, Callable[..., Any]] = {
    "createDataset": createDataset,
    "listDatasets": listDatasets,
    "getDataset": getDataset,
    "getBatch": getBatch,
}
