"""Catalog: datasets and batches (/data/foundation/catalog)."""

from __future__ import annotations

from typing import Any

from profile_harness.handlers.answers import Answer
from profile_harness.server import context


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
    datasets = context.tenant().catalog.list_datasets(start or 0, limit or 20)
    return {d.id: d.to_dict(_properties(properties)) for d in datasets}, 200


async def getDataset(datasetId: str, properties: str | None = None) -> Answer:
    """GET /dataSets/{datasetId}: the dataset keyed by its id."""
    dataset = context.tenant().catalog.get_dataset(datasetId)
    return {dataset.id: dataset.to_dict(_properties(properties))}, 200


async def getBatch(batchId: str) -> Answer:
    """GET /batches/{batchId}: the batch keyed by its id, with its status."""
    batch = context.tenant().catalog.get_batch(batchId)
    return {batch.id: batch.to_dict()}, 200
