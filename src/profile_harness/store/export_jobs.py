"""Profile export jobs of one tenant: merged profiles written as a Parquet batch into a dataset.

Rules (DOC-EXP; choices in spec/DECISIONS.md): the destination dataset must exist and be built on
the profile union schema; ``schema.name`` is required; the merge policy (and its version) must
exist, else the schema's default policy is used. On success the job's batch holds one row per
merged profile, restricted to ``fields``, with the profile's events under ``eventList`` when asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from profile_harness.errors import BadRequest, NotBuilt, NotFound, Unprocessable
from profile_harness.store.datasets import (
    EVENT_CLASS,
    UNION_SCHEMA,
    Batch,
    Dataset,
    Fragment,
    identities_of,
    parse_time_ms,
)
from profile_harness.store.identity import Identity
from profile_harness.store.jobs import Job, Lifecycle
from profile_harness.store.merge import merge_fragments
from profile_harness.store.merge_policies import MergePolicy
from profile_harness.store.parquet import to_parquet
from profile_harness.store.profiles import project

if TYPE_CHECKING:
    from profile_harness.store.tenant import Tenant

__all__ = ["EXPORT_LIFECYCLE", "ExportJob", "ExportJobBackend", "ExportPage"]

EXPORT_LIFECYCLE = Lifecycle("NEW", "PROCESSING", "SUCCEEDED", "FAILED")
#: Rows per Parquet part: an export is written a part at a time, so memory does not grow with it.
ROWS_PER_PART = 20_000
FIRST_JOB_ID = 24115  # the first id DOC-EXP shows; ids are integers (inventory 14.17)


def _event_order(fragment: Fragment) -> tuple[int, str, str, int]:
    return (fragment.updated_ms, fragment.dataset_id, fragment.batch_id, fragment.index)


def _fields(value: str | None) -> list[str]:
    return [f.strip() for f in (value or "").split(",") if f.strip()]


@dataclass
class ExportJob:
    id: int
    request_id: str
    schema_name: str
    policy: MergePolicy
    dataset: Dataset
    segment_per_batch: bool
    fields: list[str]
    event_fields: list[str] | None
    events_from_ms: int | None
    job: Job
    batch_id: str
    compute_ids: dict[str, str] = field(default_factory=dict)
    updated_ms: int = 0
    exported: int = 0


@dataclass(frozen=True)
class ExportPage:
    jobs: list[ExportJob]
    next_offset: str | None


class ExportJobBackend:
    """Creates, advances, lists and cancels the export jobs of one tenant."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._jobs: dict[int, ExportJob] = {}
        self._next_id = FIRST_JOB_ID

    # -- create --------------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> ExportJob:
        tenant = self.tenant
        if body.get("filter", {}).get("segments"):
            raise NotBuilt("createExportJob with filter.segments (audience exports)")
        destination = body["destination"]
        dataset_id = destination.get("datasetId") or destination.get("dataSetId")
        if (
            destination.get("datasetId")
            and destination.get("dataSetId")
            and destination["datasetId"] != destination["dataSetId"]
        ):
            raise BadRequest("destination.datasetId and destination.dataSetId name different datasets")
        dataset = tenant.datasets.find(dataset_id)
        if dataset is None:
            raise Unprocessable(f"Destination dataset {dataset_id} does not exist in this sandbox")
        if dataset.schema_ref != UNION_SCHEMA:
            raise Unprocessable(
                f"Destination dataset {dataset_id} is not built on the profile union schema {UNION_SCHEMA}"
            )
        schema_name = body["schema"]["name"]
        policy = self._policy(schema_name, body.get("mergePolicy"))
        event_list = (body.get("additionalFields") or {}).get("eventList")
        events_from: int | None = None
        if event_list is not None:
            raw_from = (event_list.get("filter") or {}).get("fromIngestTimestamp")
            if raw_from is not None:
                events_from = parse_time_ms(raw_from)
                if events_from is None:
                    raise BadRequest(
                        f"fromIngestTimestamp {raw_from!r} is not an ISO-8601 time or epoch milliseconds"
                    )
        now = tenant.clock.now_ms()
        job = ExportJob(
            id=self._next_id,
            request_id=tenant.ids.token(32),
            schema_name=schema_name,
            policy=policy,
            dataset=dataset,
            segment_per_batch=bool(destination.get("segmentPerBatch", False)),
            fields=_fields(body.get("fields")),
            event_fields=_fields(event_list.get("fields")) if event_list is not None else None,
            events_from_ms=events_from,
            job=tenant.new_job("export", EXPORT_LIFECYCLE),
            batch_id=tenant.ids.batch_id(),
            updated_ms=now,
        )
        self._next_id += 1
        self._jobs[job.id] = job
        tenant.datasets.add_batch(dataset.id, Batch(job.batch_id, now, [], status="loading"))
        return job

    def _policy(self, schema_name: str, requested: dict[str, Any] | None) -> MergePolicy:
        policies = self.tenant.merge_policies
        if not requested:
            policy = policies.default_for(schema_name)
            if policy is None:
                raise Unprocessable(f"No default merge policy exists for {schema_name}; give mergePolicy.id")
            return policy
        try:
            policy = policies.get(requested["id"])
        except NotFound:
            raise Unprocessable(f"Merge policy {requested['id']} does not exist") from None
        version = requested.get("version")
        if version is not None and version != policy.version:
            raise Unprocessable(f"Merge policy {policy.id} has version {policy.version}, not {version}")
        return policy

    # -- read ----------------------------------------------------------------------------------

    def get(self, job_id: int) -> ExportJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"Export job {job_id} does not exist")
        self._advance(job)
        return job

    def _advance(self, job: ExportJob) -> None:
        before = job.job.state
        now = self.tenant.clock.now_ms()
        job.job.advance(now, lambda: self._complete(job))
        if job.job.started_ms is not None and not job.compute_ids:
            job.compute_ids = {"exportJob": self.tenant.ids.uuid(), "pushJob": self.tenant.ids.uuid()}
        if job.job.state != before:
            job.updated_ms = now
            if job.job.state == EXPORT_LIFECYCLE.failed:
                self._batch(job).status = "failed"

    def _batch(self, job: ExportJob) -> Batch:
        batch = job.dataset.batch(job.batch_id)
        assert batch is not None  # created with the job, removed only by a delete request
        return batch

    def _complete(self, job: ExportJob) -> None:
        """Write the merged profiles into the job's batch as Parquet parts, a chunk at a time."""
        batch = self._batch(job)
        parts: list[tuple[str, bytes]] = []
        chunk: list[dict[str, Any]] = []
        exported = 0
        for row in self.rows(job):
            chunk.append(row)
            if len(chunk) == ROWS_PER_PART:
                parts.append((f"part-{len(parts):05d}.parquet", to_parquet(chunk)))
                exported += len(chunk)
                chunk = []
        if chunk or not parts:
            parts.append((f"part-{len(parts):05d}.parquet", to_parquet(chunk)))
            exported += len(chunk)
        batch.record_count = exported  # the rows live in the Parquet parts only
        batch.status = "success"
        job.exported = exported
        self.tenant.datasets.changed()
        self.tenant.catalog.write_files(job.dataset, batch, parts)

    def rows(self, job: ExportJob) -> Iterator[dict[str, Any]]:
        """One row per merged profile of the job's schema, under its policy, restricted to its fields."""
        profiles = self.tenant.profiles
        index = profiles.graph
        stitched = job.policy.identity_graph == "pdg"
        # The profile's identities are read back only for what needs them (events, computed attributes).
        wants_related = job.event_fields is not None or self.tenant.computed_attributes.has_attributes()
        # pdg: one profile per connected component; none: one per (first) identity of a record.
        for positions in index.groups(job.schema_name, stitched):
            fragments = [index.fragment(p) for p in positions.tolist()]
            merged = merge_fragments(fragments, job.policy.attribute_merge, job.policy.order)
            if merged is None:
                continue
            entity = merged.entity
            related: frozenset[Identity] = frozenset()
            if wants_related:
                if stitched:
                    related = index.component(identities_of(fragments[0].record)[0])
                else:
                    related = frozenset(i for f in fragments for i in identities_of(f.record))
                # Computed attribute values travel with the profile, as in a lookup with withCA.
                entity = self.tenant.computed_attributes.attach(entity, related)
            row = project(entity, job.fields)
            if job.event_fields is not None:
                events = sorted(profiles.fragments_of(EVENT_CLASS, related), key=_event_order)
                row["eventList"] = [
                    project(e.record, job.event_fields)
                    for e in events
                    if job.events_from_ms is None or e.updated_ms >= job.events_from_ms
                ]
            yield row

    def page(self, *, limit: int, offset: str | None, status: str | None) -> ExportPage:
        jobs = list(self._jobs.values())
        for job in jobs:
            self._advance(job)
        ordered = sorted(jobs, key=lambda j: (j.job.created_ms, j.id), reverse=True)
        if status:
            ordered = [j for j in ordered if j.job.state == status]
        if offset:
            created, job_id = self._decode(offset)
            ordered = [j for j in ordered if (j.job.created_ms, j.id) < (created, job_id)]
        page = ordered[:limit]
        more = len(ordered) > limit
        return ExportPage(page, self._encode(page[-1]) if more and page else None)

    @staticmethod
    def _encode(job: ExportJob) -> str:
        return f"{job.job.created_ms}_{job.id}"

    @staticmethod
    def _decode(offset: str) -> tuple[int, int]:
        created, _, job_id = offset.partition("_")
        if not (created.isdigit() and job_id.isdigit()):
            raise BadRequest(
                f"offset {offset!r} is not a page offset this service issued (<creationTime>_<id>)"
            )
        return int(created), int(job_id)

    # -- cancel --------------------------------------------------------------------------------

    def cancel(self, job_id: int) -> None:
        """Cancel or delete a job (PM-2020's wording): it is gone, whatever its status."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            raise NotFound(f"Export job {job_id} does not exist")
        batch = job.dataset.batch(job.batch_id)
        if batch is not None and batch.status == "loading":
            batch.status = "aborted"
