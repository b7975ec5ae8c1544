"""Profile export jobs of one tenant: merged profiles written as a Parquet batch into a dataset.

Rules (DOC-EXP; choices in spec/DECISIONS.md): the destination dataset must exist and be built on
the profile union schema; ``schema.name`` is required; the merge policy (and its version) must
exist, else the schema's default policy is used. On success the job's batch holds one row per
merged profile, restricted to ``fields``, with the profile's events under ``eventList`` when asked.

Audience exports (``filter.segments``) take only the members of the audiences named, read from the
merged profile's ``segmentMembership`` map, with the statuses asked (realized and existing when none
are), narrowed by ``filter.segmentQualificationTime``; ``destination.segmentPerBatch`` writes one
batch per audience, each holding only that audience's members.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from profile_harness.errors import BadRequest, Conflict, NotFound, Unprocessable
from profile_harness.store.catalog import CatalogBackend
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.computed.attributes import ComputedAttributeBackend
from profile_harness.store.datasets import (
    UNION_SCHEMA,
    Batch,
    Dataset,
    DatasetBackend,
    Fragment,
    identities_of,
    parse_time_ms,
)
from profile_harness.store.entity_views import project
from profile_harness.store.identity import Identity
from profile_harness.store.jobs import DEFAULT_FINISHED_LIMIT, Job, Lifecycle, NewJob, drop_oldest_finished
from profile_harness.store.merge import MergedEntity, merge_fragments
from profile_harness.store.merge_policies import MergePolicy, MergePolicyBackend
from profile_harness.store.parquet import to_parquet
from profile_harness.store.profiles import ProfileBackend

__all__ = [
    "EXPORT_LIFECYCLE",
    "Audience",
    "ExportFilter",
    "ExportJob",
    "ExportJobBackend",
    "ExportPage",
]

EXPORT_LIFECYCLE = Lifecycle("NEW", "PROCESSING", "SUCCEEDED", "FAILED")
#: Rows per Parquet part: an export is written a part at a time, so memory does not grow with it.
ROWS_PER_PART = 20_000
FIRST_JOB_ID = 24115  # the first id DOC-EXP shows; ids are integers (inventory 14.17)


def _event_order(fragment: Fragment) -> tuple[int, str, str, int]:
    return (fragment.updated_ms, fragment.dataset_id, fragment.batch_id, fragment.index)


def _fields(value: str | None) -> list[str]:
    return [f.strip() for f in (value or "").split(",") if f.strip()]


#: Membership statuses an audience export takes when a segment names none: "in the audience".
IN_AUDIENCE = ("realized", "existing")
MEMBERSHIP_STATUSES = ("realized", "existing", "exited")
#: A profile's keys that are not attribute data (``filter.emptyProfiles``): its identities and the
#: membership map segmentation writes.
_NOT_ATTRIBUTES = frozenset({"identityMap", "identities", "_id", "segmentMembership"})
_FILTER_KEYS = ("segments", "segmentQualificationTime", "fromIngestTimestamp", "emptyProfiles")


@dataclass(frozen=True)
class Audience:
    """One audience of ``filter.segments``: its id, namespace and the statuses taken."""

    segment_id: str
    namespace: str
    statuses: tuple[str, ...]

    def has_member(self, entity: dict[str, Any], window: tuple[int | None, int | None]) -> bool:
        membership = entity.get("segmentMembership")
        if not isinstance(membership, dict):
            return False
        audiences = membership.get(self.namespace)
        entry = audiences.get(self.segment_id) if isinstance(audiences, dict) else None
        if not isinstance(entry, dict) or entry.get("status") not in self.statuses:
            return False
        start, end = window
        if start is None and end is None:
            return True
        qualified = parse_time_ms(entry.get("lastQualificationTime"))
        if qualified is None:
            return False
        return (start is None or qualified >= start) and (end is None or qualified <= end)

    def to_dict(self) -> dict[str, Any]:
        return {"segmentId": self.segment_id, "segmentNs": self.namespace, "status": list(self.statuses)}


@dataclass(frozen=True)
class ExportFilter:
    """``filter`` of an export request, checked: which profiles the export takes."""

    audiences: tuple[Audience, ...] = ()
    qualified_from_ms: int | None = None
    qualified_to_ms: int | None = None
    updated_after_ms: int | None = None
    #: Profiles with no attribute data beyond identities; only a request with a ``filter`` drops them.
    empty_profiles: bool = True

    @classmethod
    def parse(cls, raw: Any) -> ExportFilter:
        """The filter, or the 400 naming the field that is wrong (nothing is created then)."""
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise BadRequest("filter must be an object")
        unknown = sorted(set(raw) - set(_FILTER_KEYS))
        if unknown:
            raise BadRequest(f"filter.{unknown[0]} is not a filter field; use {', '.join(_FILTER_KEYS)}")
        segments = _list(raw, "segments")
        if "segments" in raw and not segments:
            raise BadRequest("filter.segments must name at least one audience")
        audiences = tuple(_audience(i, s) for i, s in enumerate(segments))
        window = raw.get("segmentQualificationTime")
        start = end = None
        if window is not None:
            if not isinstance(window, dict) or not window:
                raise BadRequest(
                    "filter.segmentQualificationTime must be an object with startTime and/or endTime"
                )
            extra = sorted(set(window) - {"startTime", "endTime"})
            if extra:
                raise BadRequest(
                    f"filter.segmentQualificationTime.{extra[0]} is not a field; use startTime, endTime"
                )
            start = _time(window, "startTime", "filter.segmentQualificationTime.startTime")
            end = _time(window, "endTime", "filter.segmentQualificationTime.endTime")
            if start is not None and end is not None and start > end:
                raise BadRequest("filter.segmentQualificationTime.startTime is after its endTime")
        empty = raw.get("emptyProfiles", False)
        if not isinstance(empty, bool):
            raise BadRequest("filter.emptyProfiles must be true or false")
        return cls(
            audiences=audiences,
            qualified_from_ms=start,
            qualified_to_ms=end,
            updated_after_ms=_time(raw, "fromIngestTimestamp", "filter.fromIngestTimestamp"),
            empty_profiles=empty,
        )

    def takes(self, merged: MergedEntity) -> bool:
        """Whether the profile passes the filter's profile-wide conditions."""
        if self.updated_after_ms is not None and merged.last_modified_ms <= self.updated_after_ms:
            return False
        return self.empty_profiles or any(k not in _NOT_ATTRIBUTES for k in merged.entity)

    def audiences_of(self, entity: dict[str, Any]) -> list[int]:
        """The places (in ``audiences``) of the audiences the profile is a member of, as selected."""
        window = (self.qualified_from_ms, self.qualified_to_ms)
        return [i for i, a in enumerate(self.audiences) if a.has_member(entity, window)]


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"filter.{key} must be an array")
    return value


def _audience(place: int, raw: Any) -> Audience:
    where = f"filter.segments[{place}]"
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be an object with segmentId")
    extra = sorted(set(raw) - {"segmentId", "segmentNs", "status"})
    if extra:
        raise BadRequest(f"{where}.{extra[0]} is not a field; use segmentId, segmentNs, status")
    segment_id, namespace = raw.get("segmentId"), raw.get("segmentNs", "ups")
    if not isinstance(segment_id, str) or not segment_id:
        raise BadRequest(f"{where}.segmentId is required (the audience id)")
    if not isinstance(namespace, str) or not namespace:
        raise BadRequest(f"{where}.segmentNs must be a namespace such as ups")
    statuses = raw.get("status", list(IN_AUDIENCE))
    if not isinstance(statuses, list) or not statuses or any(s not in MEMBERSHIP_STATUSES for s in statuses):
        raise BadRequest(f"{where}.status must be a list of {', '.join(MEMBERSHIP_STATUSES)}")
    return Audience(segment_id, namespace, tuple(dict.fromkeys(statuses)))


def _time(raw: dict[str, Any], key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    parsed = parse_time_ms(value) if isinstance(value, str) else None
    if parsed is None:
        raise BadRequest(f"{where} {value!r} is not an RFC 3339 date-time")
    return parsed


class _PartWriter:
    """The Parquet parts of one batch, written a chunk of ``ROWS_PER_PART`` rows at a time."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.parts: list[tuple[str, bytes]] = []
        self.chunk: list[dict[str, Any]] = []
        self.exported = 0

    def add(self, row: dict[str, Any]) -> None:
        self.chunk.append(row)
        if len(self.chunk) == ROWS_PER_PART:
            self._flush()

    def close(self) -> None:
        if self.chunk or not self.parts:
            self._flush()

    def _flush(self) -> None:
        self.parts.append((f"part-{len(self.parts):05d}.parquet", to_parquet(self.chunk, self.columns)))
        self.exported += len(self.chunk)
        self.chunk = []


def _write_errors(job: ExportJob, error: Exception) -> list[dict[str, Any]]:
    """A failed write in the shape of DOC-EXP's failed job: the Profile error, then its cause."""
    cause = type(error)
    return [
        {
            "code": "0090000009",
            "msg": f"Error writing profiles to output path '{job.dataset.id}/{job.batch_id}'",
            "callStack": __name__,
        },
        {
            "code": "unknown",
            "msg": str(error) or cause.__name__,
            "callStack": f"{cause.__module__}.{cause.__qualname__}: {error}",
        },
    ]


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
    filter: ExportFilter = field(default_factory=ExportFilter)
    #: ``filter`` as the request sent it, echoed in the job (None: a plain profile export).
    filter_body: dict[str, Any] | None = None
    #: With ``segmentPerBatch`` and audiences: the batch of each audience, in ``filter.segments`` order.
    audience_batches: list[str] = field(default_factory=list)

    @property
    def batch_ids(self) -> list[str]:
        """Every batch the job writes: one per audience with ``segmentPerBatch``, else one."""
        return self.audience_batches or [self.batch_id]

    def to_dict(self) -> dict[str, Any]:
        """The job as DOC-EXP shows it (``metrics`` grow as the job runs)."""
        lifecycle = self.job
        metrics: dict[str, Any] = {"totalTime": _timing(lifecycle.created_ms, lifecycle.ended_ms)}
        if lifecycle.started_ms is not None:
            metrics["profileExportTime"] = _timing(lifecycle.started_ms, lifecycle.ended_ms)
        if lifecycle.state == EXPORT_LIFECYCLE.succeeded and lifecycle.ended_ms is not None:
            metrics["aCPDatasetWriteTime"] = _timing(lifecycle.ended_ms, lifecycle.ended_ms)
        body: dict[str, Any] = {
            "profileInstanceId": "ups",
            "jobType": "BATCH",
            "id": self.id,
            "schema": {"name": self.schema_name},
            "mergePolicy": {"id": self.policy.id, "version": self.policy.version},
            "status": lifecycle.state,
            "requestId": self.request_id,
            "computeGatewayJobId": dict(self.compute_ids),
            "metrics": metrics,
            "destination": {
                "dataSetId": self.dataset.id,
                "segmentPerBatch": self.segment_per_batch,
                "batchId": self.batch_id,
            },
            "updateTime": self.updated_ms,
            # A job exports with a policy of its own tenant, so the policy's org is the job's.
            "imsOrgId": self.policy.org,
            "creationTime": lifecycle.created_ms,
        }
        if self.audience_batches:
            body["destination"]["batches"] = [
                {**audience.to_dict(), "batchId": batch_id}
                for audience, batch_id in zip(self.filter.audiences, self.audience_batches, strict=True)
            ]
        if self.filter_body is not None:
            body["filter"] = self.filter_body
        if lifecycle.errors:
            body["errors"] = lifecycle.errors
        return body


def _policy_from_fixture(raw: dict[str, Any], policies: MergePolicyBackend) -> MergePolicy:
    """The sandbox's own object for that version when it keeps it, else the version as dumped."""
    try:
        kept = policies.at_version(raw["id"], raw["version"])
    except NotFound:
        kept = None
    if kept is not None and kept.to_fixture() == raw:
        return kept
    return MergePolicy(
        id=raw["id"],
        org=policies.org,
        sandbox=policies.sandbox,
        schema_name=raw["schema"]["name"],
        identity_graph=raw["identityGraph"]["type"],
        attribute_merge=raw["attributeMerge"]["type"],
        order=list(raw["attributeMerge"].get("order", [])),
        name=raw.get("name"),
        is_active_on_edge=bool(raw.get("isActiveOnEdge", False)),
        default=bool(raw.get("default", False)),
        version=raw["version"],
        update_epoch=raw.get("updateEpoch", 0),
    )


def _timing(start: int, end: int | None) -> dict[str, int]:
    timing = {"startTimeInMs": start}
    if end is not None:
        timing.update(endTimeInMs=end, totalTimeInMs=end - start)
    return timing


@dataclass(frozen=True)
class ExportPage:
    jobs: list[ExportJob]
    next_offset: str | None
    order: tuple[str, bool] = ("createdTime", True)  # the field the page is sorted on, descending


#: The list's own order (DOC-EXP `page`: `sortField: createdTime`, `sort: desc`).
DEFAULT_ORDER = ("createdTime", True)
#: Job fields a list can be sorted on (``sort=<field>:asc|desc``); ``createdTime`` is the page's name
#: for ``creationTime``.
_SORT_KEYS: dict[str, Callable[[ExportJob], Any]] = {
    "createdTime": lambda j: j.job.created_ms,
    "creationTime": lambda j: j.job.created_ms,
    "updateTime": lambda j: j.updated_ms,
    "id": lambda j: j.id,
    "status": lambda j: j.job.state,
    "requestId": lambda j: j.request_id,
}


#: ``offset``: ``<creationTime>_<id>`` of the last job of a page (DOC-EXP ``1538573416687_722``).
_OFFSET = re.compile(r"^([0-9]{1,19})_([0-9]{1,19})$")


def _parse_sort(sort: str | None) -> tuple[str, bool] | None:
    if not sort:
        return None
    field_name, _, direction = sort.partition(":")
    if field_name not in _SORT_KEYS or direction not in ("asc", "desc"):
        raise BadRequest(
            f"sort {sort!r} is not <field>:asc or <field>:desc with a field of {', '.join(_SORT_KEYS)}"
        )
    return field_name, direction == "desc"


class ExportJobBackend:
    """Creates, advances, lists and cancels the export jobs of one tenant."""

    def __init__(
        self,
        *,
        datasets: DatasetBackend,
        merge_policies: MergePolicyBackend,
        profiles: ProfileBackend,
        computed_attributes: ComputedAttributeBackend,
        catalog: CatalogBackend,
        clock: Clock,
        ids: IdSource,
        new_job: NewJob,
        finished_limit: Callable[[], int] = lambda: DEFAULT_FINISHED_LIMIT,
    ) -> None:
        self.datasets, self.merge_policies, self.profiles = datasets, merge_policies, profiles
        #: Finished jobs kept (the server's setting, read when pruning); the oldest go first and then
        #: read as never made: 404 by id, absent from the list.
        self.finished_limit = finished_limit
        #: Exported profiles carry their computed attribute values; the Parquet parts go to Catalog.
        self.computed_attributes, self.catalog = computed_attributes, catalog
        self.clock, self.ids, self.new_job = clock, ids, new_job
        self._jobs: dict[int, ExportJob] = {}
        self._next_id = FIRST_JOB_ID

    # -- create --------------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> ExportJob:
        export_filter = ExportFilter.parse(body.get("filter"))
        destination = body["destination"]
        dataset_id = destination.get("datasetId") or destination.get("dataSetId")
        if (
            destination.get("datasetId")
            and destination.get("dataSetId")
            and destination["datasetId"] != destination["dataSetId"]
        ):
            raise BadRequest("destination.datasetId and destination.dataSetId name different datasets")
        dataset = self.datasets.find(dataset_id)
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
        now = self.clock.now_ms()
        segment_per_batch = bool(destination.get("segmentPerBatch", False))
        job = ExportJob(
            id=self._next_id,
            request_id=self.ids.token(32),
            schema_name=schema_name,
            policy=policy,
            dataset=dataset,
            segment_per_batch=segment_per_batch,
            fields=_fields(body.get("fields")),
            event_fields=_fields(event_list.get("fields")) if event_list is not None else None,
            events_from_ms=events_from,
            job=self.new_job("export", EXPORT_LIFECYCLE),
            batch_id=self.ids.batch_id(),
            updated_ms=now,
            filter=export_filter,
            filter_body=copy.deepcopy(body["filter"]) if "filter" in body else None,
        )
        if segment_per_batch and export_filter.audiences:
            # One batch per audience; the job's ``batchId`` names the first audience's.
            extra = [self.ids.batch_id() for _ in export_filter.audiences[1:]]
            job.audience_batches = [job.batch_id, *extra]
        self._next_id += 1
        self._jobs[job.id] = job
        for batch_id in job.batch_ids:
            self.datasets.add_batch(dataset.id, Batch(batch_id, now, [], status="loading"))
        self._prune()
        return job

    def _prune(self) -> None:
        """Forget the oldest finished jobs past the limit (their batches stay with their dataset)."""
        drop_oldest_finished(self._jobs, lambda export: export.job, self.finished_limit())

    def _policy(self, schema_name: str, requested: dict[str, Any] | None) -> MergePolicy:
        policies = self.merge_policies
        if not requested:
            policy = policies.default_for(schema_name)
            if policy is None:
                raise Unprocessable(f"No default merge policy exists for {schema_name}; give mergePolicy.id")
            return policy
        # 422 when unknown, of another class, or at a version not kept; no version: the latest.
        return policies.lookup(requested["id"], schema_name, requested.get("version"))

    # -- read ----------------------------------------------------------------------------------

    def get(self, job_id: int) -> ExportJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"Export job {job_id} does not exist")
        if self._advance(job):
            self._prune()
        return job

    def _advance(self, job: ExportJob) -> bool:
        """Move ``job`` along; True if it finished now."""
        before = job.job.state
        now = self.clock.now_ms()
        failure: list[dict[str, Any]] = []
        job.job.advance(now, lambda: failure.extend(self._complete(job)))
        if failure:
            # The write failed: the job ends FAILED with the errors in its body (DOC-EXP's failed
            # job), never as an error of the request that read it.
            job.job.state, job.job.errors = EXPORT_LIFECYCLE.failed, failure
        if job.job.started_ms is not None and not job.compute_ids:
            job.compute_ids = {"exportJob": self.ids.uuid(), "pushJob": self.ids.uuid()}
        if job.job.state != before:
            job.updated_ms = now
            if job.job.state == EXPORT_LIFECYCLE.failed:
                for batch_id in job.batch_ids:
                    self._batch(job, batch_id).status = "failed"
        return job.job.state != before and job.job.finished

    def _batch(self, job: ExportJob, batch_id: str) -> Batch:
        batch = job.dataset.batch(batch_id)
        assert batch is not None  # created with the job, removed only by a delete request
        return batch

    def _complete(self, job: ExportJob) -> list[dict[str, Any]]:
        """Write the merged profiles into the job's batches as Parquet parts, a chunk at a time.

        Answers the job's errors when the export could not be written (nothing is then written).
        """
        try:
            written = self._write(job)
        except Exception as error:  # any failure of the export is the job's, not the reader's
            return _write_errors(job, error)
        job.exported = sum(writer.exported for writer in written)
        for batch_id, writer in zip(job.batch_ids, written, strict=True):
            batch = self._batch(job, batch_id)
            batch.record_count = writer.exported  # the rows live in the Parquet parts only
            batch.status = "success"
            self.catalog.write_files(job.dataset, batch, writer.parts)
        self.datasets.changed()
        return []

    def _write(self, job: ExportJob) -> list[_PartWriter]:
        """The Parquet parts of each of the job's batches (every asked-for field a column, even where
        no profile has it); with a batch per audience, a profile goes to each audience it is in.
        """
        columns = list(job.fields)
        if job.event_fields is not None:
            columns += [f"eventList.{f}" for f in job.event_fields] or ["eventList"]
        writers = [_PartWriter(columns) for _ in job.batch_ids]
        for row, places in self._selected(job):
            for place in places if job.audience_batches else [0]:
                writers[place].add(row)
        for writer in writers:
            writer.close()
        return writers

    def rows(self, job: ExportJob) -> Iterator[dict[str, Any]]:
        """The rows of the job: its profiles, restricted to its fields (every audience's, together)."""
        for row, _ in self._selected(job):
            yield row

    def _selected(self, job: ExportJob) -> Iterator[tuple[dict[str, Any], list[int]]]:
        """One row per merged profile of the job's schema that its filter takes, under its policy,
        restricted to its fields, with the places of the job's audiences the profile is in.
        """
        audience_export = bool(job.filter.audiences)
        profiles = self.profiles
        index = profiles.graph
        stitched = job.policy.identity_graph == "pdg"
        # The profile's identities are read back only for what needs them (events, computed attributes).
        wants_related = job.event_fields is not None or self.computed_attributes.has_attributes()
        # pdg: one profile per connected component; none: one per (first) identity of a record.
        for positions in index.groups(job.schema_name, stitched):
            fragments = [index.fragment(p) for p in positions.tolist()]
            merged = merge_fragments(fragments, job.policy.attribute_merge, job.policy.order)
            if merged is None or not job.filter.takes(merged):
                continue
            places: list[int] = []
            if audience_export:
                places = job.filter.audiences_of(merged.entity)
                if not places:
                    continue
            entity = merged.entity
            related: frozenset[Identity] = frozenset()
            if wants_related:
                if stitched:
                    related = index.component(identities_of(fragments[0].record)[0])
                else:
                    related = frozenset(i for f in fragments for i in identities_of(f.record))
                # Computed attribute values travel with the profile, as in a lookup with withCA.
                entity = self.computed_attributes.attach(entity, related)
            row = project(entity, job.fields)
            if job.event_fields is not None:
                # The event datasets the policy reads, as an event lookup under it reads them.
                events = sorted(profiles.event_fragments(related, job.policy), key=_event_order)
                event_list = [
                    project(e.record, job.event_fields)
                    for e in events
                    if job.events_from_ms is None or e.updated_ms >= job.events_from_ms
                ]
                row = {**row, "eventList": event_list}  # ``row`` may be the merge itself: not changed
            yield row, places

    def page(
        self,
        *,
        limit: int,
        offset: str | None = None,
        status: str | None = None,
        start: int | None = None,
        page: int | None = None,
        sort: str | None = None,
    ) -> ExportPage:
        """Newest first; after the ``offset`` cursor, ``start`` jobs and ``page`` pages are skipped.

        ``sort`` (``<field>:asc|desc``) orders the jobs when they fit on one page only: DOC-EXP
        says it "does not work when returning multiple pages of results" (as for system jobs).
        """
        start, page = start or 0, page or 0
        if limit < 1 or start < 0 or page < 0:
            raise BadRequest("limit must be a positive integer, start and page 0 or more")
        order = _parse_sort(sort)
        for job in list(self._jobs.values()):
            self._advance(job)
        self._prune()
        jobs = list(self._jobs.values())
        ordered = sorted(jobs, key=lambda j: (j.job.created_ms, j.id), reverse=True)
        if status:
            ordered = [j for j in ordered if j.job.state == status]
        if offset:
            created, job_id = self._decode(offset)
            ordered = [j for j in ordered if (j.job.created_ms, j.id) < (created, job_id)]
        ordered = ordered[start:]
        if order is not None and len(ordered) <= limit:
            field_name, descending = order
            ordered.sort(
                key=lambda j: (_SORT_KEYS[field_name](j), j.job.created_ms, j.id), reverse=descending
            )
        else:
            order = None
        ordered = ordered[page * limit :]
        shown = ordered[:limit]
        more = len(ordered) > limit
        return ExportPage(shown, self._encode(shown[-1]) if more and shown else None, order or DEFAULT_ORDER)

    @staticmethod
    def _encode(job: ExportJob) -> str:
        return f"{job.job.created_ms}_{job.id}"

    @staticmethod
    def _decode(offset: str) -> tuple[int, int]:
        # The spec's pattern, read as the request validator reads it (``re.search``): ASCII digits only.
        found = _OFFSET.search(offset)
        if found is None:
            raise BadRequest(f"offset {offset!r} is not <creationTime>_<id>, as page.pageOffset gives it")
        return int(found.group(1)), int(found.group(2))

    # -- state dumps ---------------------------------------------------------------------------

    @property
    def next_id(self) -> int:
        """The id the next job gets (ids are never reused, even after a cancel)."""
        return self._next_id

    def to_fixture(self) -> list[dict[str, Any]]:
        """Every job, oldest first, as a state dump keeps it (not moved along); the merge policy is
        the job's own version of it, whole, so the job reads alike after a reload.
        """
        out = []
        for job in sorted(self._jobs.values(), key=lambda j: j.id):
            destination: dict[str, Any] = {
                "dataSetId": job.dataset.id,
                "segmentPerBatch": job.segment_per_batch,
                "batchId": job.batch_id,
            }
            if job.audience_batches:
                destination["batches"] = list(job.audience_batches)
            item: dict[str, Any] = {
                "id": job.id,
                "requestId": job.request_id,
                "schema": {"name": job.schema_name},
                "mergePolicy": job.policy.to_fixture(),
                "destination": destination,
                "fields": list(job.fields),
            }
            if job.event_fields is not None:
                item["eventFields"] = list(job.event_fields)
            if job.events_from_ms is not None:
                item["eventsFromMs"] = job.events_from_ms
            if job.filter_body is not None:
                item["filter"] = copy.deepcopy(job.filter_body)
            item |= {
                "computeGatewayJobId": dict(job.compute_ids),
                "updateTime": job.updated_ms,
                "exported": job.exported,
                "job": job.job.to_fixture(),
            }
            out.append(item)
        return out

    def load_fixture(self, raw: dict[str, Any]) -> ExportJob:
        """A job of a state dump, as it was; its dataset and batches must be in the sandbox (ApiError)."""
        if raw["id"] in self._jobs:
            raise Conflict(f"export job {raw['id']} exists already")
        destination = raw["destination"]
        dataset = self.datasets.find(destination["dataSetId"])
        if dataset is None:
            raise Unprocessable(
                f"destination dataset {destination['dataSetId']} does not exist in this sandbox"
            )
        batches = destination.get("batches") or [destination["batchId"]]
        missing = [b for b in batches if dataset.batch(b) is None]
        if missing:
            raise Unprocessable(f"batch {missing[0]} is not a batch of dataset {dataset.id}")
        policy = _policy_from_fixture(raw["mergePolicy"], self.merge_policies)
        job = ExportJob(
            id=raw["id"],
            request_id=raw["requestId"],
            schema_name=raw["schema"]["name"],
            policy=policy,
            dataset=dataset,
            segment_per_batch=bool(destination.get("segmentPerBatch", False)),
            fields=list(raw.get("fields", [])),
            event_fields=list(raw["eventFields"]) if "eventFields" in raw else None,
            events_from_ms=raw.get("eventsFromMs"),
            job=Job.from_fixture(EXPORT_LIFECYCLE, raw["job"]),
            batch_id=destination["batchId"],
            compute_ids=dict(raw.get("computeGatewayJobId", {})),
            updated_ms=raw.get("updateTime", 0),
            exported=raw.get("exported", 0),
            filter=ExportFilter.parse(raw.get("filter")),
            filter_body=copy.deepcopy(raw["filter"]) if "filter" in raw else None,
            audience_batches=list(destination.get("batches", [])),
        )
        self._jobs[job.id] = job
        self._next_id = max(self._next_id, job.id + 1)
        return job

    def set_next_id(self, next_id: int) -> None:
        """Restore the id counter of a state dump (never below an id in use)."""
        self._next_id = max(self._next_id, next_id)

    # -- cancel --------------------------------------------------------------------------------

    def cancel(self, job_id: int) -> None:
        """Cancel or delete a job (PM-2020's wording): it is gone, whatever its status."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            raise NotFound(f"Export job {job_id} does not exist")
        for batch_id in job.batch_ids:
            batch = job.dataset.batch(batch_id)
            if batch is not None and batch.status == "loading":
                batch.status = "aborted"
