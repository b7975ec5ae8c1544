"""SystemJobBackend: what a delete request checks, when it runs, what it removes, how jobs are listed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store import Store, Tenant
from profile_harness.store.clock import Clock
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, Batch, Dataset
from profile_harness.store.jobs import JobTiming
from profile_harness.store.system_jobs import AWS_LIST_MAX, SystemJob

T0 = 1_717_000_000_000
ORG, SANDBOX = "ACME@AdobeOrg", "prod"


def _dataset(dataset_id: str, cls: str, *batches: tuple[str, int]) -> Dataset:
    dataset = Dataset(dataset_id, dataset_id, cls, T0)
    for batch_id, count in batches:
        records = [
            {"_id": f"{batch_id}-{i}", "identityMap": {"ecid": [{"id": f"{batch_id}-{i}"}]}}
            for i in range(count)
        ]
        dataset.batches.append(Batch(batch_id, T0, records))
    return dataset


@pytest.fixture
def store() -> Store:
    store = Store(seed=7, clock=Clock(frozen_at_ms=T0), job_timing={"systemJob": JobTiming("seconds", 2)})
    tenant = store.tenant(ORG, SANDBOX)
    tenant.datasets.add(_dataset("crm", PROFILE_CLASS, ("crm-b1", 2), ("crm-b2", 3)))
    tenant.datasets.add(_dataset("web", EVENT_CLASS, ("web-b1", 4), ("web-b2", 1)))
    return store


@pytest.fixture
def tenant(store: Store) -> Tenant:
    return store.tenant(ORG, SANDBOX)


def _records(tenant: Tenant, dataset_id: str, batch_id: str) -> int:
    batch = tenant.datasets.get(dataset_id).batch(batch_id)
    assert batch is not None
    return len(batch.records)


def _finish(tenant: Tenant, job: SystemJob) -> SystemJob:
    tenant.clock.advance(2_000)
    return tenant.system_jobs.get(job.id)


def _error(exc: pytest.ExceptionInfo[Any]) -> tuple[int, str, str]:
    return exc.value.status, exc.value.code, exc.value.message


# -- create: what is accepted ----------------------------------------------------------------------


def test_create__dataset_job_starts_new_without_metrics(tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"dataSetId": "crm"})
    body = job.to_dict("azure")
    assert body == {
        "id": job.id,
        "imsOrgId": ORG,
        "dataSetId": "crm",
        "jobType": "DELETE",
        "status": "NEW",
        "createEpoch": T0 // 1000,
        "updateEpoch": T0 // 1000,
    }


def test_create__datasetId_alone_is_a_dataset_job(tenant: Tenant) -> None:
    body = tenant.system_jobs.create({"datasetId": "crm"}).to_dict("azure")
    assert body["dataSetId"] == "crm"
    assert "batchId" not in body
    assert "datasetId" not in body


def test_create__batch_job_echoes_the_dataset_it_was_given(tenant: Tenant) -> None:
    body = tenant.system_jobs.create({"datasetId": "web", "batchId": "web-b1"}).to_dict("azure")
    assert (body["datasetId"], body["batchId"]) == ("web", "web-b1")
    assert "dataSetId" not in body


def test_create__batch_id_alone_finds_its_dataset(tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"batchId": "web-b2"})
    assert job.dataset_id == "web"
    assert "datasetId" not in job.to_dict("azure")


def test_create__both_dataset_spellings_with_the_same_id_are_accepted(tenant: Tenant) -> None:
    assert tenant.system_jobs.create({"dataSetId": "crm", "datasetId": "crm"}).dataset_id == "crm"


# -- create: what is refused (and changes nothing) -------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"dataSetID": "crm"}, {"batchID": "web-b1"}, [], "crm"])
def test_create__no_known_field_is_the_documented_invalid_request(tenant: Tenant, body: Any) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.create(body)
    assert _error(exc) == (400, "400", "Invalid delete request (Profile System Job)")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"dataSetId": "crm", "batchID": "x"}, "unknown field 'batchID'"),
        ({"dataSetId": ""}, "dataSetId must be a non-empty string"),
        ({"batchId": "  "}, "batchId must be a non-empty string"),
        ({"dataSetId": "crm", "datasetId": "web"}, "name different datasets"),
    ],
)
def test_create__invalid_payloads_say_what_is_wrong(tenant: Tenant, body: Any, detail: str) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.create(body)
    assert exc.value.message.startswith("Invalid delete request (Profile System Job): ")
    assert detail in exc.value.message


def test_create__unknown_dataset_is_refused(tenant: Tenant) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.create({"dataSetId": "nope"})
    assert exc.value.message == "Dataset 'nope' not found in sandbox 'prod'"


@pytest.mark.parametrize(
    "body",
    [
        {"datasetId": "web", "batchId": "nope"},
        {"datasetId": "web", "batchId": "crm-b1"},
        {"datasetId": "x", "batchId": "web-b1"},
    ],
)
def test_create__batch_not_in_the_dataset_is_the_documented_400(tenant: Tenant, body: dict[str, str]) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.create(body)
    assert _error(exc) == (400, "400", f"Batch not found for profile dataset '{body['datasetId']}'")


def test_create__batch_alone_found_nowhere_is_refused(tenant: Tenant) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.create({"batchId": "nope"})
    assert exc.value.message == "Batch 'nope' not found in any profile dataset"


@pytest.mark.parametrize("body", [{"datasetId": "crm", "batchId": "crm-b1"}, {"batchId": "crm-b2"}])
def test_create__batch_of_a_record_dataset_is_400_with_inner_code_500(
    tenant: Tenant, body: dict[str, str]
) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.create(body)
    assert _error(exc) == (400, "500", f"Batch can only be specified for EE type '{body['batchId']}'")
    assert tenant.system_jobs.page().total == 0


def test_create__refusals_consume_no_job_fault(store: Store, tenant: Tenant) -> None:
    store.faults.add({"job": "systemJob", "fail": {"errors": [{"code": "500", "message": "boom"}]}})
    with pytest.raises(BadRequest):
        tenant.system_jobs.create({"dataSetId": "nope"})
    assert _finish(tenant, tenant.system_jobs.create({"dataSetId": "crm"})).status == "ERROR"


# -- duplicates -----------------------------------------------------------------------------------


def test_create__same_dataset_while_unfinished_is_422(tenant: Tenant) -> None:
    tenant.system_jobs.create({"dataSetId": "crm"})
    with pytest.raises(Unprocessable) as exc:
        tenant.system_jobs.create({"datasetId": "crm"})
    assert _error(exc) == (422, "422", "Delete request (Profile System Job) Definition already exists.")
    assert tenant.system_jobs.page().total == 1


def test_create__same_batch_while_unfinished_is_422_however_it_is_named(tenant: Tenant) -> None:
    tenant.system_jobs.create({"datasetId": "web", "batchId": "web-b1"})
    with pytest.raises(Unprocessable):
        tenant.system_jobs.create({"batchId": "web-b1"})


def test_create__other_targets_do_not_conflict(tenant: Tenant) -> None:
    tenant.system_jobs.create({"batchId": "web-b1"})
    tenant.system_jobs.create({"batchId": "web-b2"})
    tenant.system_jobs.create({"dataSetId": "web"})
    assert tenant.system_jobs.page().total == 3


def test_create__same_target_is_accepted_once_the_first_has_finished(tenant: Tenant) -> None:
    tenant.system_jobs.create({"dataSetId": "crm"})
    tenant.clock.advance(2_000)  # finished by time alone, without being read
    assert tenant.system_jobs.create({"dataSetId": "crm"}).status == "NEW"


# -- lifecycle and the data ---------------------------------------------------------------------


def test_get__a_read_before_the_time_is_up_shows_processing_with_metrics(tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"dataSetId": "crm"})
    tenant.clock.advance(1_000)
    body = tenant.system_jobs.get(job.id).to_dict("azure")
    assert body["status"] == "PROCESSING"
    assert json.loads(body["metrics"]) == {"recordsProcessed": 0, "timeTakenInSec": 1}
    assert _records(tenant, "crm", "crm-b1") == 2


def test_get__dataset_job_completes_and_removes_every_record_of_the_dataset(tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"dataSetId": "crm"})
    version = tenant.datasets.version
    body = _finish(tenant, job).to_dict("azure")
    assert body["status"] == "COMPLETED"
    assert body["metrics"] == '{"recordsProcessed":5,"timeTakenInSec":2}'
    assert body["updateEpoch"] == T0 // 1000 + 2
    assert _records(tenant, "crm", "crm-b1") == _records(tenant, "crm", "crm-b2") == 0
    # Profile deletes Profile-store data only: the dataset and its batches stay (Data Lake).
    assert [b.id for b in tenant.datasets.get("crm").batches] == ["crm-b1", "crm-b2"]
    assert _records(tenant, "web", "web-b1") == 4
    assert tenant.datasets.version > version


def test_get__batch_job_removes_only_that_batch(tenant: Tenant) -> None:
    job = _finish(tenant, tenant.system_jobs.create({"datasetId": "web", "batchId": "web-b1"}))
    assert job.status == "COMPLETED"
    assert job.records_processed == 4
    assert (_records(tenant, "web", "web-b1"), _records(tenant, "web", "web-b2")) == (0, 1)


def test_get__a_job_fault_ends_in_error_and_removes_nothing(store: Store, tenant: Tenant) -> None:
    store.faults.add({"job": "systemJob", "fail": {"errors": [{"code": "500", "message": "boom"}]}})
    job = _finish(tenant, tenant.system_jobs.create({"dataSetId": "crm"}))
    assert job.status == "ERROR"
    assert json.loads(job.to_dict("azure")["metrics"])["recordsProcessed"] == 0
    assert _records(tenant, "crm", "crm-b2") == 3


def test_get__finished_jobs_do_not_run_again(tenant: Tenant) -> None:
    job = _finish(tenant, tenant.system_jobs.create({"batchId": "web-b2"}))
    tenant.datasets.get("web").batch("web-b2").records.append({"_id": "late"})  # type: ignore[union-attr]
    tenant.clock.advance(5_000)
    assert tenant.system_jobs.get(job.id).records_processed == 1
    assert _records(tenant, "web", "web-b2") == 1


def test_get__unknown_id_is_404(tenant: Tenant) -> None:
    with pytest.raises(NotFound) as exc:
        tenant.system_jobs.get("0b5d3e2f-7a41-4c8e-9f16-2d8b4a6c0e19")
    assert exc.value.message == "Delete request (Profile System Job) not found"


def test_delete__forgets_the_job_but_not_what_it_deleted(tenant: Tenant) -> None:
    job = _finish(tenant, tenant.system_jobs.create({"dataSetId": "crm"}))
    tenant.system_jobs.delete(job.id)
    with pytest.raises(NotFound):
        tenant.system_jobs.get(job.id)
    with pytest.raises(NotFound):
        tenant.system_jobs.delete(job.id)
    assert _records(tenant, "crm", "crm-b1") == 0


def test_delete__an_unfinished_job_never_runs(tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"dataSetId": "crm"})
    tenant.system_jobs.delete(job.id)
    tenant.clock.advance(10_000)
    tenant.system_jobs.page()
    assert _records(tenant, "crm", "crm-b1") == 2


def test_tenants__see_only_their_own_jobs(store: Store, tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"dataSetId": "crm"})
    other = store.tenant(ORG, "dev")
    with pytest.raises(NotFound):
        other.system_jobs.get(job.id)
    assert other.system_jobs.page().total == 0
    with pytest.raises(BadRequest):
        other.system_jobs.create({"dataSetId": "crm"})


# -- lists ----------------------------------------------------------------------------------------


@pytest.fixture
def three(tenant: Tenant) -> list[SystemJob]:
    jobs = []
    for body in ({"batchId": "web-b2"}, {"dataSetId": "crm"}, {"batchId": "web-b1"}):
        jobs.append(tenant.system_jobs.create(body))
        tenant.clock.advance(10)
    return jobs


def _ids(jobs: list[SystemJob]) -> list[str]:
    return [job.id for job in jobs]


def test_page__creation_order_with_total_and_no_next(tenant: Tenant, three: list[SystemJob]) -> None:
    page = tenant.system_jobs.page()
    assert _ids(page.jobs) == _ids(three)
    assert page.total == 3
    assert page.next_token is None


def test_page__pages_of_limit_with_a_next_marker(tenant: Tenant, three: list[SystemJob]) -> None:
    first = tenant.system_jobs.page(limit=2, page=0)
    second = tenant.system_jobs.page(limit=2, page=1)
    assert _ids(first.jobs) == _ids(three[:2])
    assert first.total == 3
    assert first.next_token
    assert json.loads(base64.b64decode(first.next_token)) == {"page": 1, "limit": 2}
    assert _ids(second.jobs) == _ids(three[2:])
    assert second.next_token is None


def test_page__start_skips_the_oldest(tenant: Tenant, three: list[SystemJob]) -> None:
    page = tenant.system_jobs.page(start=1)
    assert _ids(page.jobs) == _ids(three[1:])
    assert page.total == 3


def test_page__sort_puts_jobs_without_the_field_last(tenant: Tenant, three: list[SystemJob]) -> None:
    ascending = tenant.system_jobs.page(sort="batchId:asc")
    descending = tenant.system_jobs.page(sort="batchId:desc")
    assert _ids(ascending.jobs) == _ids([three[2], three[0], three[1]])
    assert _ids(descending.jobs) == _ids([three[0], three[2], three[1]])


def test_page__sort_has_no_effect_over_several_pages(tenant: Tenant, three: list[SystemJob]) -> None:
    assert _ids(tenant.system_jobs.page(sort="batchId:asc", limit=2).jobs) == _ids(three[:2])


@pytest.mark.parametrize("sort", ["nope:asc", "batchId", "batchId:up"])
def test_page__bad_sort_is_400(tenant: Tenant, sort: str) -> None:
    with pytest.raises(BadRequest) as exc:
        tenant.system_jobs.page(sort=sort)
    assert "sort" in exc.value.message


def test_page__reading_advances_every_job(tenant: Tenant, three: list[SystemJob]) -> None:
    tenant.clock.advance(2_000)
    assert {job.status for job in tenant.system_jobs.page().jobs} == {"COMPLETED"}


def test_newest__newest_first_at_most_100(tenant: Tenant) -> None:
    created = []
    for _ in range(AWS_LIST_MAX + 2):
        created.append(tenant.system_jobs.create({"dataSetId": "crm"}))
        tenant.clock.advance(2_000)
    newest = tenant.system_jobs.newest()
    assert len(newest) == AWS_LIST_MAX
    assert _ids(newest) == _ids(list(reversed(created))[:AWS_LIST_MAX])


# -- the AWS shape --------------------------------------------------------------------------------


def test_to_dict__aws_dataset_and_batch_jobs(tenant: Tenant) -> None:
    truncate = tenant.system_jobs.create({"dataSetId": "crm"}, sandbox_id="sb-1")
    batch = tenant.system_jobs.create({"batchId": "web-b1"})
    assert truncate.to_dict("aws") == {
        "requestId": truncate.id,
        "requestType": "TRUNCATE_DATASET",
        "imsOrgId": ORG,
        "sandbox": {"sandboxName": SANDBOX, "sandboxId": "sb-1"},
        "status": "NEW",
        "properties": {"datasetId": "crm"},
        "createdAt": "2024-05-29T16:26:40.000000Z",
        "updatedAt": "2024-05-29T16:26:40.000000Z",
    }
    body = batch.to_dict("aws")
    assert body["requestType"] == "DELETE_EE_BATCH"
    assert body["properties"] == {"batchId": "web-b1", "datasetId": "web"}
    assert body["sandbox"]["sandboxId"]  # the sandbox's stable id when no x-sandbox-id was sent


def test_to_dict__aws_statuses(tenant: Tenant) -> None:
    job = tenant.system_jobs.create({"dataSetId": "crm"})
    tenant.clock.advance(1_000)
    assert tenant.system_jobs.get(job.id).to_dict("aws")["status"] == "IN-PROGRESS"
    body = _finish(tenant, job).to_dict("aws")
    assert body["status"] == "SUCCESS"
    assert body["updatedAt"] == "2024-05-29T16:26:43.000000Z"


# -- finished requests kept (issue 17, point 3) ------------------------------------------------------


def test_finished_requests__the_oldest_go_past_the_limit_running_ones_stay(
    store: Store, tenant: Tenant
) -> None:
    store.max_finished_jobs = 2
    finished = [_finish(tenant, tenant.system_jobs.create({"dataSetId": "crm"})) for _ in range(4)]
    running = tenant.system_jobs.create({"dataSetId": "web"})
    listed = [job.id for job in tenant.system_jobs.page().jobs]
    assert listed == [finished[2].id, finished[3].id, running.id]
    with pytest.raises(NotFound):
        tenant.system_jobs.get(finished[0].id)
    assert [job.id for job in tenant.system_jobs.newest()] == [running.id, finished[3].id, finished[2].id]
