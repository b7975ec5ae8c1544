"""The preview backend: sample jobs run after data changes that move the profile count, and their figures."""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.errors import BadRequest, NotFound
from profile_harness.store import Store, Tenant
from profile_harness.store.clock import Clock
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, Batch, Dataset, parse_time_ms
from profile_harness.store.jobs import JobTiming
from profile_harness.store.merge_policies import MergePolicy
from profile_harness.store.preview import namespace_id

NOW = "2026-05-01T12:00:00Z"
#: Data ingested well before NOW: its samples have run by the time the tests read them.
OLD = "2026-04-05T00:00:00Z"
DAY = 86_400_000
WINDOW = 15 * 60_000  # DOC-PSS: a batch is checked within 15 minutes of its ingestion


def _ms(text: str) -> int:
    ms = parse_time_ms(text)
    assert ms is not None
    return ms


def _store(timing: str = "instant") -> Store:
    rule = JobTiming("instant") if timing == "instant" else JobTiming("seconds", float(timing))
    return Store(seed=1, clock=Clock(frozen_at_ms=_ms(NOW)), job_timing={"sample": rule})


def _tenant(store: Store, graph: str = "pdg", sandbox: str = "prod") -> Tenant:
    tenant = store.tenant("ACME@AdobeOrg", sandbox)
    tenant.merge_policies.load(
        MergePolicy(
            id="default",
            org=tenant.org,
            sandbox=tenant.sandbox,
            schema_name=PROFILE_CLASS,
            identity_graph=graph,
            attribute_merge="timestampOrdered",
            default=True,
        )
    )
    return tenant


def _ids(**namespaces: str) -> dict[str, Any]:
    return {"identityMap": {ns: [{"id": value}] for ns, value in namespaces.items()}}


def _add(
    tenant: Tenant, dataset_id: str, *records: dict[str, Any], cls: str = PROFILE_CLASS, at: str = OLD
) -> None:
    dataset = Dataset(dataset_id, f"{dataset_id} name", cls, _ms(at), description=f"{dataset_id} data")
    dataset.batches.append(Batch(f"batch-{dataset_id}", _ms(at), list(records)))
    tenant.datasets.add(dataset)


def _event(when_ms: int, **namespaces: str) -> dict[str, Any]:
    return {"timestamp": when_ms, **_ids(**namespaces)}


def _retail(tenant: Tenant) -> None:
    """Jane (crm + loyalty, stitched by email), Tom (loyalty only), a web visitor (ECID only)."""
    _add(tenant, "crm", _ids(crmid="C-1", Email="jane@x"), at="2026-04-01T00:00:00Z")
    _add(
        tenant,
        "loyalty",
        _ids(loyal="L-1", email="jane@x"),
        _ids(loyal="L-2"),
        at="2026-04-02T00:00:00Z",
    )
    _add(tenant, "web", _ids(ECID="111"), at="2026-04-03T00:00:00Z")


def test_namespace_id__documented_standard_ids_and_stable_custom_ids():
    assert [namespace_id(c) for c in ("Email", "ecid", "Phone", "AAID")] == ["6", "4", "7", "10"]
    assert namespace_id("crmid") == namespace_id("CRMID")
    assert namespace_id("crmid") != namespace_id("loyal")
    assert namespace_id("crmid").isdigit()
    assert len(namespace_id("crmid")) == 8


def test_status__no_data_no_job_no_sample():
    tenant = _tenant(_store())
    status = tenant.preview.status().to_dict()
    assert status["status"] == "NO_SAMPLE"
    assert status["sampleJobRunning"] == {"status": False}
    assert status["totalRows"] == "0"
    assert tenant.preview.job is None


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("dataset", "Dataset report does not exist."),
        ("namespace", "Namespace report does not exist."),
        ("datasetOverlap", "Dataset overlap report does not exist."),
        ("namespaceOverlap", "Namespace overlap report does not exist."),
        ("unstitched", "Unstitched profiles report does not exist."),
    ],
)
def test_report__none_yet_is_404(kind: str, message: str):
    tenant = _tenant(_store())
    with pytest.raises(NotFound) as caught:
        tenant.preview.report(kind)
    assert caught.value.message == message
    with pytest.raises(NotFound) as caught:
        tenant.preview.report(kind, "2026-05-01")
    assert caught.value.message == message[:-1] + " for this date."


def test_status__figures_and_documented_string_quirks():
    tenant = _tenant(_store())
    _retail(tenant)
    _add(tenant, "events", _event(_ms(NOW), ECID="111"), cls=EVENT_CLASS, at="2026-04-05T00:00:00Z")
    status = tenant.preview.status().to_dict()
    assert status == {
        "numRowsToRead": "3",
        # instant timing: submitted at the first check (crm + 15 min), ended by this first read
        "sampleJobRunning": {"status": False, "submissionTimestamp": "2026-04-01 00:15:00.0"},
        "cosmosDocCount": '"5"',
        "totalFragmentCount": 4,
        "lastSuccessfulBatchTimestamp": '"2026-04-05T00:00:00Z"',
        "streamingDriven": '"false"',
        "totalRows": "3",
        "lastBatchId": '"batch-events"',
        "status": "TASK_FINISHED",
        "samplingRatio": 1.0,
        "mergeStrategy": "timestampOrdered_auto",
        "lastSampledTimestamp": "2026-05-01 12:00:00.0",
    }


def test_status__no_new_job_while_the_data_stays_the_same():
    store = _store()
    tenant = _tenant(store)
    _retail(tenant)
    tenant.preview.status()
    first = tenant.preview.job
    store.clock.advance(DAY)
    tenant.preview.status()
    assert tenant.preview.job is first
    assert len(tenant.preview.reports) == 1
    _add(tenant, "more", _ids(Phone="+1"), at="2026-05-02T12:00:00Z")
    store.clock.advance(WINDOW)
    assert tenant.preview.status().to_dict()["totalRows"] == "4"
    assert tenant.preview.job is not first
    assert len(tenant.preview.reports) == 2


def test_failed_job__leaves_no_report_and_waits_for_the_next_change():
    store = _store()
    tenant = _tenant(store)
    store.faults.add({"job": "sample"})
    _retail(tenant)
    status = tenant.preview.status().to_dict()
    assert status["status"] == "NO_SAMPLE"
    assert status["sampleJobRunning"]["status"] is False
    assert tenant.preview.job is not None
    assert tenant.preview.job.state == "TASK_FAILED"
    tenant.preview.status()
    assert tenant.preview.reports == []
    _add(tenant, "more", _ids(Phone="+1"), at=NOW)
    store.clock.advance(WINDOW)
    assert tenant.preview.status().to_dict()["status"] == "TASK_FINISHED"


def test_dataset_report__reach_of_each_dataset_with_six_decimal_fractions():
    tenant = _tenant(_store())
    _retail(tenant)
    tenant.preview.status()
    body = tenant.preview.dataset_report().to_dict()
    by_id = {entry["value"]: entry for entry in body["data"]}
    assert list(by_id) == ["crm", "loyalty", "web"]
    assert by_id["loyalty"] == {
        "sampleCount": 2,
        "samplePercentage": 0.666667,
        "fullIDsCount": 2,
        "fullIDsPercentage": 0.666667,
        "name": "loyalty name",
        "description": "loyalty data",
        "value": "loyalty",
        "streamingIngestionEnabled": "",
        "createdUser": "profile-harness@AdobeID",
        "reportTimestamp": "2026-05-01T12:00:00.000",
    }
    assert by_id["crm"]["fullIDsPercentage"] == 0.333333
    assert body["reportTimestamp"] == "2026-05-01T12:00:00.000"


def test_namespace_report__profiles_and_fragments_per_code_spelled_as_in_the_data():
    tenant = _tenant(_store())
    _retail(tenant)
    tenant.preview.status()
    data = {e["code"]: e for e in tenant.preview.namespace_report().to_dict()["data"]}
    assert set(data) == {"crmid", "Email", "loyal", "ECID"}
    assert data["Email"]["value"] == "6"
    assert data["ECID"]["value"] == "4"
    assert (data["Email"]["fullIDsCount"], data["Email"]["fullIDsFragmentCount"]) == (1, 2)
    assert (data["loyal"]["fullIDsCount"], data["loyal"]["fullIDsFragmentCount"]) == (2, 2)
    assert data["loyal"]["samplePercentage"] == 0.666667


def test_overlap_reports__rows_add_up_to_the_profile_count():
    tenant = _tenant(_store())
    _retail(tenant)
    tenant.preview.status()
    datasets = tenant.preview.dataset_overlap_report().to_dict()["data"]
    namespaces = tenant.preview.namespace_overlap_report().to_dict()["data"]
    assert datasets == {"crm,loyalty": 1, "loyalty": 1, "web": 1}
    assert namespaces == {"Email,crmid,loyal": 1, "loyal": 1, "ECID": 1}
    assert sum(datasets.values()) == sum(namespaces.values()) == 3


def test_graph_none__one_profile_per_record():
    tenant = _tenant(_store(), graph="none")
    _retail(tenant)
    assert tenant.preview.status().to_dict()["totalRows"] == "4"
    assert tenant.preview.dataset_overlap_report().to_dict()["data"] == {"crm": 1, "loyalty": 2, "web": 1}
    assert tenant.preview.namespace_overlap_report().to_dict()["data"] == {
        "Email,crmid": 1,
        "Email,loyal": 1,
        "loyal": 1,
        "ECID": 1,
    }


def test_events__attach_to_profiles_and_add_their_dataset_but_never_make_a_profile():
    tenant = _tenant(_store())
    _retail(tenant)
    now = _ms(NOW)
    _add(
        tenant,
        "events",
        _event(now - DAY, ECID="111"),
        _event(now - DAY, ECID="999"),  # nobody's: counted as an event, no profile
        cls=EVENT_CLASS,
    )
    assert tenant.preview.status().to_dict()["totalRows"] == "3"
    assert tenant.preview.dataset_overlap_report().to_dict()["data"] == {
        "crm,loyalty": 1,
        "loyalty": 1,
        "events,web": 1,
    }
    rows = {e["value"]: e["fullIDsCount"] for e in tenant.preview.dataset_report().to_dict()["data"]}
    assert rows["events"] == 1


def test_unstitched__single_identity_profiles_by_inactivity_period():
    tenant = _tenant(_store())
    now = _ms(NOW)
    _add(
        tenant,
        "people",
        _ids(crmid="C-1", Email="a@x"),  # stitched: never counted
        _ids(ECID="1"),  # last event 10 days ago
        _ids(ECID="2"),  # last event 100 days ago: inactive for 7 to 90 days, not for 120
        _ids(Email="b@x"),  # no event at all: inactive in every period
    )
    _add(
        tenant,
        "events",
        _event(now - 200 * DAY, ECID="1"),
        _event(now - 10 * DAY, ECID="1"),
        _event(now - 100 * DAY, ECID="2"),
        _event(now - 1 * DAY, crmid="C-1"),
        cls=EVENT_CLASS,
    )
    tenant.preview.status()
    data = tenant.preview.unstitched_report().to_dict()["data"]
    assert data["totalNumberOfProfiles"] == 4
    assert data["totalNumberOfEvents"] == 4
    periods = data["unstitchedProfiles"]
    assert list(periods) == ["7days", "30days", "60days", "90days", "120days"]
    assert periods["7days"] == {
        "countOfProfiles": 3,
        "eventsAssociated": 3,
        "nsDistribution": {
            "ECID": {"countOfProfiles": 2, "eventsAssociated": 3},
            "Email": {"countOfProfiles": 1, "eventsAssociated": 0},
        },
    }
    assert periods["30days"] == periods["60days"] == periods["90days"]
    assert periods["30days"] == {
        "countOfProfiles": 2,
        "eventsAssociated": 1,
        "nsDistribution": {
            "ECID": {"countOfProfiles": 1, "eventsAssociated": 1},
            "Email": {"countOfProfiles": 1, "eventsAssociated": 0},
        },
    }
    assert periods["120days"] == {
        "countOfProfiles": 1,
        "eventsAssociated": 0,
        "nsDistribution": {"Email": {"countOfProfiles": 1, "eventsAssociated": 0}},
    }


def test_date__picks_the_newest_report_of_that_utc_day():
    store = _store()
    tenant = _tenant(store)
    _add(tenant, "a", _ids(Email="1@x"))
    tenant.preview.status()
    _add(tenant, "b", _ids(Email="2@x"), at="2026-05-01T12:45:00Z")
    store.clock.advance(3_600_000)
    tenant.preview.status()
    _add(tenant, "c", _ids(Email="3@x"), at="2026-05-02T12:00:00Z")
    store.clock.advance(DAY)
    tenant.preview.status()
    on_first_day = tenant.preview.dataset_overlap_report("2026-05-01").to_dict()
    assert on_first_day == {"data": {"a": 1, "b": 1}, "reportTimestamp": "2026-05-01T13:00:00.000"}
    assert tenant.preview.dataset_overlap_report().to_dict()["data"] == {"a": 1, "b": 1, "c": 1}
    with pytest.raises(NotFound, match="for this date"):
        tenant.preview.dataset_report("2026-04-30")


@pytest.mark.parametrize("value", ["01-08-2020", "2020-13-01", "2020-02-30", "20200801", "yesterday"])
def test_date__not_a_day_is_400_naming_it(value: str):
    tenant = _tenant(_store())
    with pytest.raises(BadRequest) as caught:
        tenant.preview.namespace_report(value)
    assert caught.value.message == (
        f"Invalid value '{value}' for query parameter 'date': expected format YYYY-MM-DD."
    )


def test_tenants__never_see_each_other():
    store = _store()
    prod, dev = _tenant(store), _tenant(store, sandbox="dev")
    _retail(prod)
    assert prod.preview.status().to_dict()["totalRows"] == "3"
    assert dev.preview.status().to_dict()["status"] == "NO_SAMPLE"
    with pytest.raises(NotFound):
        dev.preview.dataset_report()


def test_untouched_sandbox__samples_with_platforms_default_policy():
    store = _store()
    tenant = store.tenant("ACME@AdobeOrg", "prod")
    _retail(tenant)
    status = tenant.preview.status().to_dict()
    # Platform's default profile policy: timestamp ordered, no identity graph (one profile per record)
    assert (status["totalRows"], status["mergeStrategy"]) == ("4", "timestampOrdered_auto")


# -- when samples run: ingestion + 15 minutes, only on a move of more than 5% (issue 13 point 3) --


def _people(tenant: Tenant, dataset_id: str, first: int, count: int, at: str) -> None:
    """``count`` unstitched people (one email each), numbered from ``first``, in a new dataset."""
    _add(tenant, dataset_id, *(_ids(Email=f"p{i}@x") for i in range(first, first + count)), at=at)


def test_at_rest__old_data_has_its_sample_when_the_server_starts():
    tenant = _tenant(_store("1"))
    _retail(tenant)  # ingested 2026-04-01 .. 04-03, a month before the clock
    status = tenant.preview.status().to_dict()
    # loyalty (1 -> 2 people) and web (2 -> 3) each moved the count by more than 5%: the last sample
    # was submitted 15 minutes after the web batch and ran for the sample job's second
    assert status["status"] == "TASK_FINISHED"
    assert status["totalRows"] == "3"
    assert status["sampleJobRunning"] == {"status": False, "submissionTimestamp": "2026-04-03 00:15:00.0"}
    assert status["lastSampledTimestamp"] == "2026-04-03 00:15:01.0"
    assert tenant.preview.dataset_report().to_dict()["reportTimestamp"] == "2026-04-03T00:15:01.000"
    assert [r.timestamp for r in tenant.preview.reports] == [
        "2026-04-01T00:15:01.000",
        "2026-04-02T00:15:01.000",
        "2026-04-03T00:15:01.000",
    ]


def test_fresh_data__no_sample_until_the_window_after_the_ingestion():
    store = _store("1")
    tenant = _tenant(store)
    _people(tenant, "crm", 0, 3, at=NOW)  # ingested just now, on a frozen clock
    status = tenant.preview.status().to_dict()
    assert status["status"] == "NO_SAMPLE"
    assert status["sampleJobRunning"] == {"status": False}
    with pytest.raises(NotFound):
        tenant.preview.dataset_report()
    store.clock.advance(WINDOW - 1)
    assert tenant.preview.status().to_dict()["status"] == "NO_SAMPLE"
    store.clock.advance(1)
    running = tenant.preview.status().to_dict()
    assert running["sampleJobRunning"] == {"status": True, "submissionTimestamp": "2026-05-01 12:15:00.0"}
    store.clock.advance(1000)
    done = tenant.preview.status().to_dict()
    assert (done["status"], done["totalRows"]) == ("TASK_FINISHED", "3")
    assert done["lastSampledTimestamp"] == "2026-05-01 12:15:01.0"


def test_threshold__a_move_of_5_percent_or_less_runs_no_sample():
    store = _store("1")
    tenant = _tenant(store)
    _people(tenant, "crm", 0, 20, at="2026-04-01T00:00:00Z")
    assert tenant.preview.status().to_dict()["totalRows"] == "20"
    _people(tenant, "one", 20, 1, at=NOW)  # 20 -> 21: 5%, not more
    store.clock.advance(WINDOW + 1000)
    kept = tenant.preview.status().to_dict()
    assert kept["totalRows"] == "20"
    assert kept["lastSampledTimestamp"] == "2026-04-01 00:15:01.0"
    assert kept["sampleJobRunning"]["submissionTimestamp"] == "2026-04-01 00:15:00.0"
    _people(tenant, "two", 21, 1, at="2026-05-01T12:15:00Z")  # 20 -> 22 since the last sample: 10%
    store.clock.advance(WINDOW)
    moved = tenant.preview.status().to_dict()
    assert moved["totalRows"] == "22"
    assert moved["lastSampledTimestamp"] == "2026-05-01 12:30:01.0"


def test_report__describes_the_data_as_of_its_sample():
    store = _store("1")
    tenant = _tenant(store)
    _people(tenant, "crm", 0, 4, at="2026-04-01T00:00:00Z")
    # a later batch that moves nothing (an event) is in no report until a sample runs after it
    _add(
        tenant,
        "events",
        _event(_ms("2026-04-20T00:00:00Z"), Email="p0@x"),
        cls=EVENT_CLASS,
        at="2026-04-20T00:00:00Z",
    )
    status = tenant.preview.status().to_dict()
    assert status["lastBatchId"] == '"batch-crm"'
    assert status["cosmosDocCount"] == '"4"'
    assert "events" not in {row["value"] for row in tenant.preview.dataset_report().to_dict()["data"]}


def test_removal__deleting_data_is_a_change_the_next_check_sees():
    store = _store("1")
    store.job_timing["systemJob"] = JobTiming("instant")
    tenant = _tenant(store)
    _people(tenant, "crm", 0, 10, at="2026-04-01T00:00:00Z")
    _people(tenant, "web", 10, 10, at="2026-04-02T00:00:00Z")
    assert tenant.preview.status().to_dict()["totalRows"] == "20"
    job = tenant.system_jobs.create({"dataSetId": "web"})
    tenant.system_jobs.get(job.id)  # the first read ends the job: the web records are gone now
    store.clock.advance(WINDOW - 1)
    assert tenant.preview.status().to_dict()["totalRows"] == "20"
    store.clock.advance(1001)
    after = tenant.preview.status().to_dict()
    assert after["totalRows"] == "10"
    assert after["lastSampledTimestamp"] == "2026-05-01 12:15:01.0"


def test_late_batch__old_data_loaded_into_a_sampled_sandbox_is_checked_at_the_next_read():
    store = _store("1")
    tenant = _tenant(store)
    _people(tenant, "crm", 0, 4, at="2026-04-01T00:00:00Z")
    assert tenant.preview.status().to_dict()["totalRows"] == "4"
    _people(tenant, "late", 4, 4, at="2026-04-10T00:00:00Z")  # loaded now, with an old ingestion time
    running = tenant.preview.status().to_dict()
    assert running["sampleJobRunning"] == {"status": True, "submissionTimestamp": "2026-05-01 12:00:00.0"}
    store.clock.advance(1000)
    assert tenant.preview.status().to_dict()["totalRows"] == "8"
