"""Profile system jobs (delete requests) of one tenant: what they delete, their lifecycle, both flavours."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.datasets import EVENT_CLASS, Dataset, DatasetBackend
from profile_harness.store.jobs import DEFAULT_FINISHED_LIMIT, Job, Lifecycle, NewJob, drop_oldest_finished
from profile_harness.store.merge_policies import sandbox_info
from profile_harness.store.preview import PreviewBackend

__all__ = [
    "AWS_LIST_MAX",
    "DEFAULT_LIMIT",
    "FLAVORS",
    "LIFECYCLE",
    "SystemJob",
    "SystemJobBackend",
    "SystemJobPage",
]

#: Azure's states (DOC-SJ); AWS names them differently, see ``AWS_STATUS``.
LIFECYCLE = Lifecycle("NEW", "PROCESSING", "COMPLETED", "ERROR")
AWS_STATUS = {"NEW": "NEW", "PROCESSING": "IN-PROGRESS", "COMPLETED": "SUCCESS", "ERROR": "ERROR"}

#: The two shapes of the API (DOC-SJ): which one answers depends on where the organization is hosted.
FLAVORS = ("azure", "aws")

#: DOC-SJ: on AWS the list is "the first 100 system jobs ... in descending order" of creation.
AWS_LIST_MAX = 100
#: No source gives Azure's default page size; 100 matches the AWS cap and DOC-SJ's `_page.count`.
DEFAULT_LIMIT = 100

# Messages as documented (DOC-TS, DOC-SJ, SPEC).
INVALID = "Invalid delete request (Profile System Job)"
DUPLICATE = "Delete request (Profile System Job) Definition already exists."
NOT_FOUND = "Delete request (Profile System Job) not found"

FIELDS = ("dataSetId", "datasetId", "batchId")
SORTABLE = (
    "id",
    "imsOrgId",
    "dataSetId",
    "datasetId",
    "batchId",
    "jobType",
    "status",
    "metrics",
    "createEpoch",
    "updateEpoch",
)


def _iso(ms: int) -> str:
    """AWS timestamps: ISO 8601 UTC with microseconds, as DOC-SJ prints them."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class SystemJob:
    """One delete request: a whole dataset (``batch_id`` None) or one batch of ``dataset_id``."""

    id: str
    seq: int
    dataset_id: str
    batch_id: str | None
    #: The request named the batch's dataset, so Azure echoes ``datasetId`` (DOC-SJ).
    named_dataset: bool
    sandbox_id: str
    job: Job
    records_processed: int = 0
    #: When the backend last moved it along: a running job's metrics count the time up to then.
    as_of_ms: int = 0
    #: The tenant the job belongs to, which its body names (``imsOrgId``, AWS's ``sandbox``).
    org: str = field(kw_only=True)
    sandbox: str = field(kw_only=True)

    @property
    def status(self) -> str:
        return self.job.state

    @property
    def target(self) -> tuple[str, str | None]:
        return self.dataset_id, self.batch_id

    @property
    def updated_ms(self) -> int:
        return self.job.ended_ms or self.job.started_ms or self.job.created_ms

    def metrics(self) -> str | None:
        """DOC-SJ's metrics string; absent on a job that has not started (SPEC, DOC-SJ create)."""
        if self.job.started_ms is None and not self.job.finished:
            return None
        until = self.job.ended_ms if self.job.ended_ms is not None else self.as_of_ms
        taken = max(0, until - self.job.created_ms) // 1000
        return json.dumps(
            {"recordsProcessed": self.records_processed, "timeTakenInSec": taken}, separators=(",", ":")
        )

    def to_dict(self, flavor: str = "azure") -> dict[str, Any]:
        """The job in the shape of ``flavor`` (one of :data:`FLAVORS`): DOC-SJ documents two."""
        return self._aws() if flavor == "aws" else self._azure()

    def _azure(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "imsOrgId": self.org}
        if self.batch_id is None:
            body["dataSetId"] = self.dataset_id
        else:
            if self.named_dataset:
                body["datasetId"] = self.dataset_id
            body["batchId"] = self.batch_id
        body["jobType"] = "DELETE"
        body["status"] = self.status
        metrics = self.metrics()
        if metrics is not None:
            body["metrics"] = metrics
        body["createEpoch"] = self.job.created_ms // 1000
        body["updateEpoch"] = self.updated_ms // 1000
        return body

    def _aws(self) -> dict[str, Any]:
        properties: dict[str, Any] = {"datasetId": self.dataset_id}
        if self.batch_id is not None:
            properties = {"batchId": self.batch_id, "datasetId": self.dataset_id}
        return {
            "requestId": self.id,
            "requestType": "TRUNCATE_DATASET" if self.batch_id is None else "DELETE_EE_BATCH",
            "imsOrgId": self.org,
            "sandbox": {"sandboxName": self.sandbox, "sandboxId": self.sandbox_id},
            "status": AWS_STATUS[self.status],
            "properties": properties,
            "createdAt": _iso(self.job.created_ms),
            "updatedAt": _iso(self.updated_ms),
        }


@dataclass(frozen=True)
class SystemJobPage:
    jobs: list[SystemJob]
    total: int
    next_token: str | None


def _requested_target(body: Any) -> tuple[str | None, str | None]:
    """(dataset id, batch id) named by a create body; the documented 400 for any invalid payload."""
    if not isinstance(body, dict) or not any(name in body for name in FIELDS):
        # Also DOC-TS's own spellings dataSetID / batchID, which the service does not know.
        raise BadRequest(INVALID)
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        raise BadRequest(f"{INVALID}: unknown field {names}; the fields are dataSetId, datasetId and batchId")
    for name in FIELDS:
        if name in body and (not isinstance(body[name], str) or not body[name].strip()):
            raise BadRequest(f"{INVALID}: {name} must be a non-empty string")
    spelled, other = body.get("dataSetId"), body.get("datasetId")
    if spelled and other and spelled != other:
        raise BadRequest(f"{INVALID}: dataSetId {spelled!r} and datasetId {other!r} name different datasets")
    return spelled or other, body.get("batchId")


class SystemJobBackend:
    """The delete requests of one (org, sandbox); a finished job has really removed its data."""

    def __init__(
        self,
        *,
        org: str,
        sandbox: str,
        datasets: DatasetBackend,
        preview: PreviewBackend,
        clock: Clock,
        ids: IdSource,
        new_job: NewJob,
        finished_limit: Callable[[], int] = lambda: DEFAULT_FINISHED_LIMIT,
    ) -> None:
        self.org, self.sandbox, self.datasets = org, sandbox, datasets
        #: Finished requests kept (the server's setting, read when pruning); the oldest go first and
        #: then read as never made: 404 by id, absent from both lists.
        self.finished_limit = finished_limit
        #: Deletions are changes of Profile data that the preview sample checks must see.
        self.preview = preview
        self.clock, self.ids, self.new_job = clock, ids, new_job
        self._jobs: dict[str, SystemJob] = {}
        #: Where the organization is hosted (one of FLAVORS), when its fixture says; None: the
        #: server's default (``serve --system-jobs-flavor``) applies.
        self.flavor: str | None = None

    def flavor_or(self, default: str) -> str:
        """The tenant's flavour, or ``default`` (the server's) when the tenant does not say."""
        return self.flavor or default

    # -- reads (each one moves the jobs it shows along their lifecycle) -----------------------

    def get(self, job_id: str) -> SystemJob:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(NOT_FOUND)
        if self._advance(job, read=True):
            self._prune()
        return job

    def page(
        self,
        *,
        start: int | None = None,
        limit: int | None = None,
        page: int | None = None,
        sort: str | None = None,
    ) -> SystemJobPage:
        """Azure list: creation order, ``start`` skipped, ``page`` of ``limit``; ``sort`` on one page."""
        start, limit, page = start or 0, limit or DEFAULT_LIMIT, page or 0
        if start < 0 or page < 0 or limit < 1:
            raise BadRequest("start and page must be 0 or more and limit a positive number")
        field, descending = self._parse_sort(sort)
        for job in self._ordered():
            self._advance(job, read=True)
        self._prune()
        jobs = self._ordered()
        remaining = jobs[start:]
        # DOC-SJ: "The sort parameter does not work when returning multiple pages of results."
        if field is not None and len(remaining) <= limit:
            remaining = self._sorted(remaining, field, descending)
        offset = page * limit
        shown = remaining[offset : offset + limit]
        more = offset + limit < len(remaining)
        return SystemJobPage(shown, len(jobs), self._token(page + 1, limit) if more else None)

    def newest(self) -> list[SystemJob]:
        """AWS list: the newest jobs first, at most ``AWS_LIST_MAX``."""
        newest = list(reversed(self._ordered()))[:AWS_LIST_MAX]
        finished_now = [self._advance(job, read=True) for job in newest]  # every one moves along
        if any(finished_now):
            self._prune()
            newest = [job for job in newest if job.id in self._jobs]
        return newest

    # -- writes --------------------------------------------------------------------------------

    def create(self, body: Any, *, sandbox_id: str | None = None) -> SystemJob:
        """A new NEW job for the dataset or batch ``body`` names; nothing changes when refused."""
        dataset_id, batch_id = _requested_target(body)
        dataset = self._resolve(dataset_id, batch_id)
        if batch_id is not None and dataset.schema_class != EVENT_CLASS:
            # Record batches overwrite earlier data and cannot be undone (DOC-SJ); the documented
            # answer is a 400 whose inner code is "500".
            raise BadRequest(f"Batch can only be specified for EE type '{batch_id}'", code="500")
        for other in self._jobs.values():
            self._advance(other, read=False)
            if not other.job.finished and other.target == (dataset.id, batch_id):
                raise Unprocessable(DUPLICATE)
        job = SystemJob(
            id=self.ids.uuid(),
            seq=self.ids.sequence(),
            dataset_id=dataset.id,
            batch_id=batch_id,
            named_dataset=dataset_id is not None,
            sandbox_id=sandbox_id or sandbox_info(self.sandbox)["sandboxId"],
            job=self.new_job("systemJob", LIFECYCLE),
            org=self.org,
            sandbox=self.sandbox,
        )
        self._jobs[job.id] = job
        self._prune()
        return job

    def _prune(self) -> None:
        """Forget the oldest finished requests past the limit (the data they removed stays removed)."""
        drop_oldest_finished(self._jobs, lambda request: request.job, self.finished_limit())

    def delete(self, job_id: str) -> None:
        """Forget the request itself; data it already deleted stays deleted (DOC-SJ)."""
        if self._jobs.pop(job_id, None) is None:
            raise NotFound(NOT_FOUND)

    # -- rules -----------------------------------------------------------------------------------

    def _resolve(self, dataset_id: str | None, batch_id: str | None) -> Dataset:
        datasets = self.datasets
        if batch_id is None:
            assert dataset_id is not None
            dataset = datasets.find(dataset_id)
            if dataset is None:
                raise BadRequest(f"Dataset '{dataset_id}' not found in sandbox '{self.sandbox}'")
            return dataset
        if dataset_id is None:
            found = datasets.find_batch(batch_id)
            if found is None:
                raise BadRequest(f"Batch '{batch_id}' not found in any profile dataset")
            return found[0]
        dataset = datasets.find(dataset_id)
        if dataset is None or dataset.batch(batch_id) is None:
            raise BadRequest(f"Batch not found for profile dataset '{dataset_id}'")
        return dataset

    def _advance(self, job: SystemJob, *, read: bool) -> bool:
        """Move ``job`` along as of now; True if it finished now."""
        job.as_of_ms = self.clock.now_ms()
        was_finished = job.job.finished
        job.job.advance(job.as_of_ms, lambda: self._remove_data(job), read=read)
        return job.job.finished and not was_finished

    def _remove_data(self, job: SystemJob) -> None:
        """The completion: the Profile-store records go; the dataset and its batches stay (Data Lake).

        The deletion is a change of the Profile data that the preview sample rules check.
        """
        dataset = self.datasets.find(job.dataset_id)
        if dataset is None:
            return

        def remove() -> int:
            removed = 0
            for batch in dataset.batches:
                if job.batch_id is None or batch.id == job.batch_id:
                    removed += len(batch.records)
                    batch.records = []
            if removed:
                self.datasets.changed()
            return removed

        job.records_processed = self.preview.removing(remove)

    def _ordered(self) -> list[SystemJob]:
        return sorted(self._jobs.values(), key=lambda job: (job.job.created_ms, job.seq))

    def _sorted(self, jobs: list[SystemJob], field: str, descending: bool) -> list[SystemJob]:
        values: dict[str, Any] = {job.id: job.to_dict("azure").get(field) for job in jobs}
        present = [job for job in jobs if values[job.id] is not None]
        # Jobs without the field (a dataset job has no batchId) come last in either direction.
        present.sort(key=lambda job: values[job.id], reverse=descending)
        return present + [job for job in jobs if values[job.id] is None]

    @staticmethod
    def _parse_sort(sort: str | None) -> tuple[str | None, bool]:
        if not sort:
            return None, False
        field, _, direction = sort.partition(":")
        if field not in SORTABLE or direction not in ("asc", "desc"):
            raise BadRequest(
                f"Invalid value for query parameter 'sort': {sort!r}; use <field>:asc or <field>:desc "
                f"with a field of {', '.join(SORTABLE)}"
            )
        return field, direction == "desc"

    @staticmethod
    def _token(page: int, limit: int) -> str:
        raw = json.dumps({"page": page, "limit": limit}, separators=(",", ":"))
        return base64.b64encode(raw.encode()).decode()

    # -- state dumps -------------------------------------------------------------------------

    def to_fixture(self) -> list[dict[str, Any]]:
        """The delete requests, oldest first, as a state dump keeps them (not moved along)."""
        out = []
        for job in self._ordered():
            item: dict[str, Any] = {"id": job.id, "datasetId": job.dataset_id}
            if job.batch_id is not None:
                item["batchId"] = job.batch_id
            item |= {
                "namedDataset": job.named_dataset,
                "sandboxId": job.sandbox_id,
                "recordsProcessed": job.records_processed,
                "asOfMs": job.as_of_ms,
                "job": job.job.to_fixture(),
            }
            out.append(item)
        return out

    def load_fixture(self, raw: dict[str, Any]) -> SystemJob:
        """A delete request of a state dump, as it was; its dataset (and batch) must exist."""
        if raw["id"] in self._jobs:
            raise Unprocessable(f"delete request {raw['id']} exists already")
        dataset = self.datasets.find(raw["datasetId"])
        if dataset is None:
            raise BadRequest(f"dataset {raw['datasetId']} does not exist in this sandbox")
        job = SystemJob(
            id=raw["id"],
            seq=self.ids.sequence(),
            dataset_id=dataset.id,
            batch_id=raw.get("batchId"),
            named_dataset=raw.get("namedDataset", True),
            sandbox_id=raw.get("sandboxId") or sandbox_info(self.sandbox)["sandboxId"],
            job=Job.from_fixture(LIFECYCLE, raw["job"]),
            records_processed=raw.get("recordsProcessed", 0),
            as_of_ms=raw.get("asOfMs", 0),
            org=self.org,
            sandbox=self.sandbox,
        )
        self._jobs[job.id] = job
        return job
