"""Fixture documents: validate, load into a store all-or-nothing, and dump the store back."""

from __future__ import annotations

import base64
import copy
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from profile_harness.errors import ApiError
from profile_harness.openapi.documents import schema_errors
from profile_harness.store import Store, Tenant
from profile_harness.store.audiences import AUDIENCE_DATASET, AudienceDefinition, AudienceError
from profile_harness.store.datasets import Batch, Dataset, parse_time_ms
from profile_harness.store.entity_views import iso_utc
from profile_harness.store.export_jobs import FIRST_JOB_ID
from profile_harness.store.merge_policies import MAX_POLICIES, MergePolicy
from profile_harness.store.records import PackedRecords

__all__ = [
    "FixtureError",
    "dump_state",
    "load_document",
    "load_files",
    "load_state_file",
    "read_fixture_file",
    "write_state_file",
]


class FixtureError(ValueError):
    """A fixture document is invalid; the message names the source and the place in it."""


def read_fixture_file(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON fixture file (validation happens on load)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: is not valid YAML or JSON: {exc}") from exc
    return data  # type: ignore[no-any-return]


def _iso(ms: int) -> str:
    if ms % 1000:
        return iso_utc(ms)[:-1] + f".{ms % 1000:03d}Z"
    return iso_utc(ms)


def _clone(tenant: Tenant) -> Tenant:
    """A deep copy of a tenant's data that still shares the store's clock and id source."""
    shared = (tenant.clock, tenant.ids, tenant.store)
    return copy.deepcopy(tenant, {id(thing): thing for thing in shared})


def _apply_tenant(store: Store, doc: dict[str, Any], where: str, *, copy_records: bool = True) -> Tenant:
    existing = next((t for t in store.tenants() if (t.org, t.sandbox) == (doc["org"], doc["sandbox"])), None)
    tenant = (
        _clone(existing) if existing else Tenant(doc["org"], doc["sandbox"], store.clock, store.ids, store)
    )
    if "systemJobsFlavor" in doc:  # left out: the tenant keeps its own, or the server's default
        tenant.system_jobs.flavor = doc["systemJobsFlavor"]
    for i, raw in enumerate(doc.get("datasets", [])):
        here = f"{where}.datasets[{i}]"
        if tenant.datasets.find(raw["id"]) is not None:
            raise FixtureError(f"{here}.id: dataset {raw['id']} exists already")
        dataset = Dataset(
            id=raw["id"],
            name=raw["name"],
            schema_class=raw["class"],
            created_ms=parse_time_ms(raw.get("createdAt")) or store.clock.now_ms(),
            schema_ref=raw["schemaRef"]["id"]
            if isinstance(raw.get("schemaRef"), dict)
            else raw.get("schemaRef"),
            description=raw.get("description"),
        )
        seen: set[str] = set()
        for j, raw_batch in enumerate(raw.get("batches", [])):
            if raw_batch["id"] in seen or tenant.datasets.find_batch(raw_batch["id"]) is not None:
                raise FixtureError(f"{here}.batches[{j}].id: batch {raw_batch['id']} appears twice")
            seen.add(raw_batch["id"])
            ingested = parse_time_ms(raw_batch["ingestedAt"])
            assert ingested is not None  # the schema's pattern guarantees an ISO time
            dataset.batches.append(
                Batch(
                    raw_batch["id"],
                    ingested,
                    copy.deepcopy(raw_batch["records"]) if copy_records else raw_batch["records"],
                    raw_batch.get("status", "success"),
                    raw_batch.get("recordCount"),
                )
            )
            if raw_batch.get("files"):
                files = [(f["name"], base64.b64decode(f["data"]), f["createdMs"]) for f in raw_batch["files"]]
                tenant.catalog.restore_files(dataset.id, raw_batch["id"], files)
        tenant.datasets.add(dataset)
    if "mergePolicies" in doc:  # listed: exactly these, in place of Platform's untouched default
        tenant.merge_policies.clear_pristine()
    policies = doc.get("mergePolicies", [])
    if len(tenant.merge_policies.all()) + len(policies) > MAX_POLICIES:
        raise FixtureError(f"{where}.mergePolicies: more than {MAX_POLICIES} merge policies in one sandbox")
    defaults: dict[str, int] = {}
    edge = [p for p in tenant.merge_policies.all() if p.is_active_on_edge]
    for i, raw in enumerate(policies):
        here = f"{where}.mergePolicies[{i}]"
        merge = raw["attributeMerge"]
        if merge["type"] == "dataSetPrecedence" and not merge.get("order"):
            raise FixtureError(f"{here}.attributeMerge.order: dataSetPrecedence needs at least one dataset")
        if raw.get("default"):
            cls = raw["schema"]["name"]
            if cls in defaults:
                raise FixtureError(
                    f"{here}.default: mergePolicies[{defaults[cls]}] is already the default of {cls}"
                )
            defaults[cls] = i
        policy_id = raw.get("id") or store.ids.uuid()
        if tenant.merge_policies.bulk_get([policy_id]):
            raise FixtureError(f"{here}.id: merge policy {policy_id} exists already")
        policy = MergePolicy(
            id=policy_id,
            org=tenant.org,
            sandbox=tenant.sandbox,
            name=raw.get("name"),
            schema_name=raw["schema"]["name"],
            identity_graph=raw["identityGraph"]["type"],
            attribute_merge=merge["type"],
            order=list(merge.get("order") or []) if merge["type"] == "dataSetPrecedence" else [],
            is_active_on_edge=bool(raw.get("isActiveOnEdge", False)),
            default=bool(raw.get("default", False)),
            version=raw.get("version", 1),
            update_epoch=raw.get("updateEpoch", store.clock.now_s()),
        )
        if policy.is_active_on_edge:
            if edge:
                raise FixtureError(f"{here}.isActiveOnEdge: {edge[0].id} is already active on edge")
            edge.append(policy)
        tenant.merge_policies.load(policy)
    if doc.get("audiences"):  # evaluated over the data as it now stands, this document's included
        try:
            tenant.audiences.define([AudienceDefinition.from_dict(raw) for raw in doc["audiences"]])
        except AudienceError as exc:
            raise FixtureError(f"{where}.audiences{exc.field}: {exc}") from None
    _load_resources(tenant, doc, where)
    return tenant


def _load_resources(tenant: Tenant, doc: dict[str, Any], where: str) -> None:
    """The resources loaded through their backend, each checked as the backend checks it (in this
    order: a projection names a destination, a job its dataset's batches).

    Computed attributes are a create body of their API plus an optional ``id``, or what a state dump
    wrote; edge resources, export jobs and delete requests are as a state dump writes them.
    """
    loaders: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("computedAttributes", tenant.computed_attributes.load_fixture),
        ("legacyComputedAttributes", tenant.legacy_computed_attributes.load_fixture),
        ("edgeDestinations", tenant.edge.load_destination),
        ("edgeProjections", tenant.edge.load_projection),
        ("exportJobs", tenant.export_jobs.load_fixture),
        ("systemJobs", tenant.system_jobs.load_fixture),
    ]
    for key, load in loaders:
        for i, raw in enumerate(doc.get(key, [])):
            try:
                load(raw)
            except ApiError as exc:
                raise FixtureError(f"{where}.{key}[{i}]: {exc.message}") from None
    if "nextExportJobId" in doc:
        tenant.export_jobs.set_next_id(doc["nextExportJobId"])


def load_document(
    store: Store, document: Any, source: str = "fixtures", *, trusted: bool = False
) -> list[tuple[str, str]]:
    """Validate ``document`` and load it; nothing is loaded unless all of it is valid.

    Returns the (org, sandbox) pairs loaded. Raises :class:`FixtureError` naming ``source`` and the
    place inside the document. ``trusted`` (documents the harness generated itself, such as
    ``serve --generate``) skips the JSON Schema pass and hands the records over without copying
    them (packed records, :func:`~profile_harness.seed.demo.generated_document`, stay packed); the rules
    between resources are still checked.
    """
    if not trusted:
        errors = schema_errors("fixtures.schema.json", document, source)
        if errors:
            raise FixtureError("\n".join(errors))
    built: list[Tenant] = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(document["tenants"]):
        key = (raw["org"], raw["sandbox"])
        if key in seen:
            raise FixtureError(f"{source}: tenants[{i}]: same org and sandbox as tenants[{seen[key]}]")
        seen[key] = i
        try:
            built.append(_apply_tenant(store, raw, f"tenants[{i}]", copy_records=not trusted))
        except FixtureError as exc:
            raise FixtureError(f"{source}: {exc}") from None
    for tenant in built:  # everything is valid: swap the new tenants in
        store.replace_tenant(tenant)
    if "clock" in document:
        store.clock.load_fixture(document["clock"])
    return [(t.org, t.sandbox) for t in built]


def load_files(store: Store, paths: Iterable[Path]) -> None:
    """Load fixture files in order; each file is all-or-nothing."""
    for path in paths:
        load_document(store, read_fixture_file(path), str(path))


def _dump_tenant(tenant: Tenant, system_jobs_flavor: str | None = None) -> dict[str, Any]:
    datasets = []
    audiences = [d.to_dict() for d in tenant.audiences.definitions]
    for dataset in tenant.datasets:
        if audiences and dataset.id == AUDIENCE_DATASET:  # the definitions are dumped, evaluated again
            continue
        item: dict[str, Any] = {"id": dataset.id, "name": dataset.name, "class": dataset.schema_class}
        if dataset.description is not None:
            item["description"] = dataset.description
        if dataset.schema_ref is not None:
            item["schemaRef"] = dataset.schema_ref
        item["createdAt"] = _iso(dataset.created_ms)
        item["batches"] = [_dump_batch(tenant, b) for b in dataset.batches]
        datasets.append(item)
    policies = [policy.to_fixture() for policy in tenant.merge_policies.all()]
    dumped: dict[str, Any] = {"org": tenant.org, "sandbox": tenant.sandbox}
    flavor = tenant.system_jobs.flavor or system_jobs_flavor
    if flavor is not None:
        dumped["systemJobsFlavor"] = flavor
    dumped |= {"datasets": datasets, "mergePolicies": policies}
    if audiences:
        dumped["audiences"] = audiences
    # The other resources, each only when the tenant holds one (a dump of plain data stays short).
    resources = {
        "computedAttributes": tenant.computed_attributes.to_fixture(),
        "legacyComputedAttributes": tenant.legacy_computed_attributes.to_fixture(),
        "edgeDestinations": tenant.edge.destinations_fixture(),
        "edgeProjections": tenant.edge.projections_fixture(),
        "exportJobs": tenant.export_jobs.to_fixture(),
        "systemJobs": tenant.system_jobs.to_fixture(),
    }
    dumped |= {key: value for key, value in resources.items() if value}
    if tenant.export_jobs.next_id != FIRST_JOB_ID:
        dumped["nextExportJobId"] = tenant.export_jobs.next_id
    return dumped


def _dump_batch(tenant: Tenant, batch: Batch) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": batch.id,
        "ingestedAt": _iso(batch.ingested_at_ms),
        "status": batch.status,
        "records": list(batch.records)
        if isinstance(batch.records, PackedRecords)
        else copy.deepcopy(batch.records),
    }
    if batch.record_count is not None:
        item["recordCount"] = batch.record_count
    files = tenant.catalog.written_files(batch.id)
    if files:  # an export's Parquet parts, as Data Access serves them
        item["files"] = [
            {"name": f.name, "createdMs": f.created_ms, "data": base64.b64encode(f.data).decode("ascii")}
            for f in files
        ]
    return item


def dump_state(
    store: Store,
    org: str | None = None,
    sandbox: str | None = None,
    *,
    system_jobs_flavor: str | None = None,
) -> dict[str, Any]:
    """The store (or one org / sandbox of it) as a fixture document.

    ``system_jobs_flavor`` is the server's default flavour: given, every tenant's dump names the
    flavour in force for it, so the dump loads back alike on a server with another default.
    """
    tenants = [
        t
        for t in store.tenants()
        if (org is None or t.org == org) and (sandbox is None or t.sandbox == sandbox)
    ]
    ordered = sorted(tenants, key=lambda t: (t.org, t.sandbox))
    dumped: dict[str, Any] = {"tenants": [_dump_tenant(t, system_jobs_flavor) for t in ordered]}
    clock = store.clock.to_fixture()
    if clock is not None and org is None and sandbox is None:  # the server's clock: a whole dump only
        dumped["clock"] = clock
    return dumped


def write_state_file(store: Store, path: Path, *, system_jobs_flavor: str | None = None) -> int:
    """Write the whole state dump to ``path`` atomically (a temporary file beside it, then renamed);
    returns how many tenants it holds.
    """
    dumped = dump_state(store, system_jobs_flavor=system_jobs_flavor)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(dumped, out, ensure_ascii=False, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(dumped["tenants"])


def load_state_file(store: Store, path: Path) -> bool:
    """Load a state file written by :func:`write_state_file`, if it exists (False when it does not)."""
    if not path.exists():
        return False
    load_document(store, read_fixture_file(path), str(path))
    return True
