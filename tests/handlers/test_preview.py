"""Preview sample status and its five reports over HTTP: job lifecycle, bodies, date selection, errors."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.options import HarnessOptions
from tests.conftest import policy, profile_dataset, tenant_doc

P = "/data/core/ups/previewsamplestatus"
REPORTS = {
    "dataset": ("/report/dataset", "Dataset"),
    "namespace": ("/report/namespace", "Namespace"),
    "datasetOverlap": ("/report/dataset/overlap", "Dataset overlap"),
    "namespaceOverlap": ("/report/namespace/overlap", "Namespace overlap"),
}

WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2026-03-01T10:00:00Z",
            {"identityMap": {"crmid": [{"id": "C-1"}], "Email": [{"id": "jane@x"}]}},
            {"identityMap": {"crmid": [{"id": "C-2"}]}},
        ),
        profile_dataset("loyalty", "2026-03-02T10:00:00Z", {"identityMap": {"email": [{"id": "jane@x"}]}}),
        profile_dataset(
            "web",
            "2026-03-03T10:00:00Z",
            {"_id": "e1", "timestamp": "2026-02-01T00:00:00Z", "identityMap": {"crmid": [{"id": "C-2"}]}},
            cls="_xdm.context.experienceevent",
        ),
    ],
    mergePolicies=[policy("ts-pdg", "pdg", "timestampOrdered", default=True)],
)


def _load(client: TestClient, timing: str = "instant") -> None:
    assert client.put("/__admin/job-timing", json={"sample": timing}).status_code == 200
    assert client.post("/__admin/fixtures", json=WORLD).status_code == 200


def test_previewSampleStatus__before_any_data(client: TestClient, headers: dict[str, str]):
    response = client.get(P, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "NO_SAMPLE"
    assert body["sampleJobRunning"] == {"status": False}
    assert (body["totalRows"], body["lastBatchId"]) == ("0", '"null"')


@pytest.mark.parametrize("kind", [*REPORTS, "unstitched"])
def test_reports__none_before_the_first_sample(client: TestClient, headers: dict[str, str], kind: str):
    path, label = REPORTS.get(kind, ("/report/unstitchedProfiles", "Unstitched profiles"))
    response = client.get(P + path, headers=headers)
    assert response.status_code == 404
    assert response.json() == {"code": "404", "message": f"{label} report does not exist."}


def test_reports__a_freshly_loaded_old_world_has_them_at_once(client: TestClient, headers: dict[str, str]):
    """aepp's getPreviewStatus / getPreviewDataSet / ...Overlap / getPreviewNamespace on a new server."""
    assert client.post("/__admin/fixtures", json=WORLD).status_code == 200  # default timing, seconds:1
    status = client.get(P, headers=headers).json()
    assert (status["status"], status["totalRows"]) == ("TASK_FINISHED", "2")
    # crm (2026-03-01) made the count 2; loyalty stitched into it and the web events moved nothing
    assert status["sampleJobRunning"] == {"status": False, "submissionTimestamp": "2026-03-01 10:15:00.0"}
    assert status["lastSampledTimestamp"] == "2026-03-01 10:15:01.0"
    for path, _label in [*REPORTS.values(), ("/report/unstitchedProfiles", "")]:
        assert client.get(P + path, headers=headers).status_code == 200, path


def test_previewSampleStatus__fresh_data_waits_for_the_window(client: TestClient, headers: dict[str, str]):
    client.post("/__admin/clock", json={"freeze": True, "at": "2026-04-01T08:00:00Z"})
    fresh = tenant_doc(
        datasets=[profile_dataset("crm", "2026-04-01T08:00:00Z", {"identityMap": {"crmid": [{"id": "C-1"}]}})]
    )
    assert client.post("/__admin/fixtures", json=fresh).status_code == 200
    before = client.get(P, headers=headers).json()
    assert (before["status"], before["sampleJobRunning"]) == ("NO_SAMPLE", {"status": False})
    assert client.get(P + "/report/dataset", headers=headers).status_code == 404
    client.post("/__admin/clock", json={"advance": "15m"})
    running = client.get(P, headers=headers).json()
    assert running["sampleJobRunning"] == {"status": True, "submissionTimestamp": "2026-04-01 08:15:00.0"}
    client.post("/__admin/clock", json={"advance": "1s"})
    done = client.get(P, headers=headers).json()
    assert (done["status"], done["totalRows"]) == ("TASK_FINISHED", "1")
    assert done["lastSampledTimestamp"] == "2026-04-01 08:15:01.0"


def test_previewSampleStatus__counts(client: TestClient, headers: dict[str, str]):
    _load(client)
    body = client.get(P, headers=headers).json()
    assert body["totalRows"] == body["numRowsToRead"] == "2"
    assert body["totalFragmentCount"] == 3
    assert body["cosmosDocCount"] == '"4"'
    assert body["lastBatchId"] == '"batchweb"'
    assert body["lastSuccessfulBatchTimestamp"] == '"2026-03-03T10:00:00Z"'
    assert body["mergeStrategy"] == "timestampOrdered_auto"


def test_profileDatasetReport__rows(client: TestClient, headers: dict[str, str]):
    _load(client)
    client.get(P, headers=headers)
    body = client.get(P + "/report/dataset", headers=headers).json()
    rows = {row["value"]: (row["fullIDsCount"], row["fullIDsPercentage"]) for row in body["data"]}
    assert rows == {"crm": (2, 1.0), "loyalty": (1, 0.5), "web": (1, 0.5)}


def test_profileNamespaceReport__rows(client: TestClient, headers: dict[str, str]):
    _load(client)
    body = client.get(P + "/report/namespace", headers=headers).json()
    rows = {
        row["code"]: (row["value"], row["fullIDsCount"], row["fullIDsFragmentCount"]) for row in body["data"]
    }
    assert rows["Email"] == ("6", 1, 2)
    assert rows["crmid"][1:] == (2, 2)


def test_overlap_reports__rows(client: TestClient, headers: dict[str, str]):
    _load(client)
    datasets = client.get(
        P + "/report/dataset/overlap", headers={**headers, "x-model-name": "_xdm.context.profile"}
    )
    assert datasets.json()["data"] == {"crm,loyalty": 1, "crm,web": 1}
    namespaces = client.get(P + "/report/namespace/overlap", headers=headers).json()
    assert namespaces["data"] == {"Email,crmid": 1, "crmid": 1}


def test_profileUnstitchedReport__body(client: TestClient, headers: dict[str, str]):
    client.post("/__admin/clock", json={"freeze": True, "at": "2026-04-01T08:00:00Z"})
    _load(client)
    body = client.get(P + "/report/unstitchedProfiles", headers=headers).json()
    quiet: dict[str, Any] = {
        "countOfProfiles": 1,
        "eventsAssociated": 1,
        "nsDistribution": {"crmid": {"countOfProfiles": 1, "eventsAssociated": 1}},
    }
    recent: dict[str, Any] = {"countOfProfiles": 0, "eventsAssociated": 0, "nsDistribution": {}}
    assert body == {
        "data": {
            "totalNumberOfProfiles": 2,
            "totalNumberOfEvents": 1,
            "unstitchedProfiles": {
                "7days": quiet,
                "30days": quiet,
                "60days": recent,
                "90days": recent,
                "120days": recent,
            },
        },
        "reportTimestamp": "2026-04-01T08:00:00.000",
    }


@pytest.mark.parametrize("kind", REPORTS)
def test_reports__date_selects_the_day(client: TestClient, headers: dict[str, str], kind: str):
    client.post("/__admin/clock", json={"freeze": True, "at": "2026-04-01T23:59:00Z"})
    _load(client)
    path, label = REPORTS[kind]
    assert client.get(P + path, params={"date": "2026-04-01"}, headers=headers).status_code == 200
    missing = client.get(P + path, params={"date": "2026-04-02"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {"code": "404", "message": f"{label} report does not exist for this date."}


@pytest.mark.parametrize("value", ["01-08-2020", "2020-02-30", "today"])
def test_reports__bad_date_is_400(client: TestClient, headers: dict[str, str], value: str):
    response = client.get(P + "/report/dataset", params={"date": value}, headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "code": "400",
        "message": f"Invalid value '{value}' for query parameter 'date': expected format YYYY-MM-DD.",
    }


def test_reports__kept_across_data_changes(client: TestClient, headers: dict[str, str]):
    client.post("/__admin/clock", json={"freeze": True, "at": "2026-04-01T08:00:00Z"})
    _load(client)
    assert client.get(P, headers=headers).json()["totalRows"] == "2"
    client.post("/__admin/clock", json={"advance": "1d"})
    more = tenant_doc(
        datasets=[profile_dataset("late", "2026-04-02T00:00:00Z", {"identityMap": {"ECID": [{"id": "9"}]}})]
    )
    assert client.post("/__admin/fixtures", json=more).status_code == 200
    assert client.get(P, headers=headers).json()["totalRows"] == "3"
    first_day = client.get(P + "/report/dataset/overlap", params={"date": "2026-04-01"}, headers=headers)
    assert "late" not in first_day.json()["data"]
    newest = client.get(P + "/report/dataset/overlap", headers=headers)
    assert newest.json()["data"]["late"] == 1


def test_preview__nothing_crosses_sandboxes(client: TestClient, headers: dict[str, str]):
    _load(client)
    assert client.get(P, headers=headers).json()["totalRows"] == "2"
    other = {**headers, "x-sandbox-name": "dev"}
    assert client.get(P, headers=other).json()["status"] == "NO_SAMPLE"
    assert client.get(P + "/report/namespace", headers=other).status_code == 404


def test_previewSampleStatus__sample_limit_option_samples_above_it(headers: dict[str, str]):
    with TestClient(create_app(options=HarnessOptions(preview_sample_limit=1))) as limited:
        _load(limited)
        body = limited.get(P, headers=headers).json()
        assert (body["numRowsToRead"], body["totalRows"], body["samplingRatio"]) == ("1", "2", 0.5)
        overlap = limited.get(P + "/report/dataset/overlap", headers=headers).json()["data"]
        assert sum(overlap.values()) == 2  # scaled rows still add up to the profile count
