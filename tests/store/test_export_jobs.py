"""Export jobs never crash: any records and any field selection give a readable Parquet batch that holds
the merged profiles (and their events) as lookups see them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profile_harness.errors import BadRequest, NotFound
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, UNION_SCHEMA
from profile_harness.store.entity_views import project
from profile_harness.store.jobs import JobTiming
from profile_harness.store.parquet import read_parquet
from profile_harness.store.profiles import EventQuery
from profile_harness.store.tenant import Tenant
from tests.conftest import ORG, SANDBOX, policy, profile_dataset, tenant_doc
from tests.store.test_parquet import normal

_KEYS = st.sampled_from(["a", "b", "id", "name"])
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**66), max_value=2**66)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3)
)
#: XDM-like content: nested objects, arrays of objects, maps, mixed types and nulls at one place.
_CONTENT = st.dictionaries(
    _KEYS,
    st.recursive(
        _SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=3,
)
_PERSON = st.tuples(st.lists(_CONTENT, min_size=1, max_size=2), st.lists(_CONTENT, max_size=2))
_PATH = st.lists(
    st.sampled_from(["a", "b", "id", "name", "identityMap", "email", "nothing"]), min_size=1, max_size=3
).map(".".join)
_FIELDS = st.lists(_PATH, max_size=3)


def _email(person: int) -> str:
    return f"p{person}@example.com"


def _world(people: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> Tenant:
    """People in a CRM and a loyalty dataset (a second fragment each), their events in two datasets."""
    crm: list[dict[str, Any]] = []
    loyalty: list[dict[str, Any]] = []
    events: dict[str, list[dict[str, Any]]] = {"web": [], "app": []}
    for i, (fragments, person_events) in enumerate(people):
        identity = {"identityMap": {"email": [{"id": _email(i)}]}}
        crm.append({**fragments[0], **identity})
        loyalty.extend({**f, **identity} for f in fragments[1:])
        for j, content in enumerate(person_events):
            # Web events before app events, as they were ingested: exports list events in
            # ingestion order, event lookups in time order.
            dataset, day = ("web", 1) if j % 2 == 0 else ("app", 2)
            stamp = f"2024-06-0{day}T10:{i:02d}:{j:02d}Z"
            events[dataset].append({**content, **identity, "_id": f"e{i}-{j}", "timestamp": stamp})
    return _exporting_tenant(
        [
            profile_dataset("crm", "2024-05-01T10:00:00Z", *crm),
            profile_dataset("loyalty", "2024-05-02T10:00:00Z", *loyalty),
            profile_dataset("web", "2024-06-02T10:00:00Z", *events["web"], cls=EVENT_CLASS),
            profile_dataset("app", "2024-06-03T10:00:00Z", *events["app"], cls=EVENT_CLASS),
        ],
        [
            policy("ts", "pdg", "timestampOrdered", default=True),
            policy("dp", "pdg", "dataSetPrecedence", order=["crm", "loyalty"]),
            # Lists one event dataset: the other's events are not read (issue 13.5).
            policy("dp-app", "pdg", "dataSetPrecedence", order=["loyalty", "crm", "app"]),
        ],
    )


def _exporting_tenant(datasets: list[dict[str, Any]], policies: list[dict[str, Any]]) -> Tenant:
    """A tenant of ``datasets`` and ``policies`` plus the export target ``out``; exports end at once."""
    union = {"id": UNION_SCHEMA, "contentType": "application/vnd.adobe.xed+json;version=1"}
    out = {"id": "out", "name": "out", "class": PROFILE_CLASS, "schemaRef": union, "batches": []}
    store = Store(job_timing={"export": JobTiming("instant")})
    load_document(store, tenant_doc(datasets=[*datasets, out], mergePolicies=policies))
    return store.tenant(ORG, SANDBOX)


def _expected(
    tenant: Tenant, people: int, policy_id: str, fields: list[str], events: list[str] | None
) -> list[Any]:
    """The merged profiles as lookups see them: entity (and event) lookups under the same policy."""
    profiles = tenant.profiles
    chosen = profiles.policy(PROFILE_CLASS, policy_id)
    rows = []
    for i in range(people):
        related = profiles.related(("email", _email(i)), chosen)
        merged = profiles.merged(PROFILE_CLASS, related, chosen)
        assert merged is not None
        row = dict(project(merged.entity, fields))
        if events is not None:
            page = profiles.events(related, "xid", EventQuery(), policy=chosen)
            row["eventList"] = [project(fragment.record, events) for _, _, fragment in page.events]
        rows.append(row)
    return rows


def _matched(read: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """Whether the rows read are the expected ones, in any order (rows need not carry an identity)."""
    left = [normal(row) or {} for row in expected]
    for row in read:
        found = normal(row) or {}
        if found not in left:
            return False
        left.remove(found)
    return not left


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_PERSON, min_size=1, max_size=3),
    st.sampled_from(["ts", "dp", "dp-app"]),
    _FIELDS,
    st.none() | _FIELDS,
)
def test_export__any_records_and_fields_give_the_merged_profiles_as_parquet(
    people: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    policy_id: str,
    fields: list[str],
    event_fields: list[str] | None,
) -> None:
    tenant = _world(people)
    body: dict[str, Any] = {
        "schema": {"name": PROFILE_CLASS},
        "mergePolicy": {"id": policy_id},
        "destination": {"datasetId": "out"},
        "fields": ",".join(fields),
    }
    if event_fields is not None:
        body["additionalFields"] = {"eventList": {"fields": ",".join(event_fields)}}
    jobs = tenant.export_jobs
    job = jobs.get(jobs.create(body).id)
    assert job.job.state == "SUCCEEDED", job.job.errors
    assert [j.id for j in jobs.page(limit=10).jobs] == [job.id]  # a finished job lists
    read = [row for part in tenant.catalog.batch_files(job.batch_id) for row in read_parquet(part.data)]
    assert job.exported == len(read) == len(people)  # one row per profile, whatever was selected
    for row in read:
        assert {p.split(".")[0] for p in fields} <= set(row)
        assert (event_fields is not None) == ("eventList" in row)
    assert _matched(read, _expected(tenant, len(people), policy_id, fields, event_fields))


# -- audience exports (issue 15) -----------------------------------------------------------------

_AUDIENCES = ("aud-a", "aud-b")
_STATUSES = ("realized", "existing", "exited")
_DAYS = st.integers(min_value=1, max_value=28)
#: Per person and audience: not a member, or (namespace, status, day of qualification in March 2024).
_MEMBERSHIP = st.none() | st.tuples(st.sampled_from(["ups", "ups", "AAM"]), st.sampled_from(_STATUSES), _DAYS)


def _qualified(day: int) -> str:
    return f"2024-03-{day:02d}T12:00:00Z"


def _audience_world(people: list[list[tuple[str, str, int] | None]]) -> Tenant:
    """People with a name (a CRM fragment) and their memberships (a fragment of segmentation's own)."""
    crm, segments = [], []
    for i, memberships in enumerate(people):
        identity = {"identityMap": {"email": [{"id": _email(i)}]}}
        crm.append({**identity, "person": {"id": i}})
        membership: dict[str, dict[str, Any]] = {}
        for audience, held in zip(_AUDIENCES, memberships, strict=True):
            if held is not None:
                namespace, status, day = held
                membership.setdefault(namespace, {})[audience] = {
                    "status": status,
                    "lastQualificationTime": _qualified(day),
                }
        segments.append({**identity, "segmentMembership": membership})
    return _exporting_tenant(
        [
            profile_dataset("crm", "2024-05-01T10:00:00Z", *crm),
            profile_dataset("segments", "2024-05-02T10:00:00Z", *segments),
        ],
        [policy("ts", "pdg", "timestampOrdered", default=True)],
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(_MEMBERSHIP, min_size=2, max_size=2), min_size=1, max_size=6),
    st.lists(
        st.none() | st.lists(st.sampled_from(_STATUSES), min_size=1, max_size=3), min_size=1, max_size=2
    ),
    st.none() | _DAYS,
    st.none() | _DAYS,
    st.booleans(),
)
def test_audience_export__each_batch_holds_exactly_the_selected_members(
    people: list[list[tuple[str, str, int] | None]],
    statuses: list[list[str] | None],
    start: int | None,
    end: int | None,
    per_batch: bool,
) -> None:
    tenant = _audience_world(people)
    segments: list[dict[str, Any]] = []
    for audience, chosen in zip(_AUDIENCES, statuses, strict=False):
        segments.append({"segmentId": audience, **({"status": chosen} if chosen is not None else {})})
    export_filter: dict[str, Any] = {"segments": segments}
    window = {k: _qualified(d) for k, d in (("startTime", start), ("endTime", end)) if d is not None}
    if start is not None and end is not None and start > end:
        window = {}
    if window:
        export_filter["segmentQualificationTime"] = window
    body = {
        "schema": {"name": PROFILE_CLASS},
        "destination": {"datasetId": "out", "segmentPerBatch": per_batch},
        "fields": "person.id",
        "filter": export_filter,
    }
    jobs = tenant.export_jobs
    job = jobs.get(jobs.create(body).id)
    assert job.job.state == "SUCCEEDED", job.job.errors

    def members(place: int) -> set[int]:
        chosen = statuses[place] or ["realized", "existing"]
        low = _qualified(start) if start is not None and window else None
        high = _qualified(end) if end is not None and window else None
        return {
            i
            for i, memberships in enumerate(people)
            if (held := memberships[place]) is not None
            and held[0] == "ups"
            and held[1] in chosen
            and (low is None or _qualified(held[2]) >= low)
            and (high is None or _qualified(held[2]) <= high)
        }

    def read(batch_id: str) -> list[int]:
        rows = [r for part in tenant.catalog.batch_files(batch_id) for r in read_parquet(part.data)]
        return sorted(r["person"]["id"] for r in rows)

    wanted = [members(place) for place in range(len(segments))]
    if per_batch:
        listed = job.to_dict()["destination"]["batches"]
        assert [b["segmentId"] for b in listed] == [s["segmentId"] for s in segments]
        for batch, expected in zip(listed, wanted, strict=True):
            assert read(batch["batchId"]) == sorted(expected)
    else:
        assert "batches" not in job.to_dict()["destination"]
        assert read(job.batch_id) == sorted(set().union(*wanted))


@pytest.mark.parametrize(
    ("export_filter", "words"),
    [
        ([], "filter must be an object"),
        ({"segment": []}, "filter.segment is not a filter field"),
        ({"segments": {}}, "filter.segments must be an array"),
        ({"segments": []}, "filter.segments must name at least one audience"),
        ({"segments": ["a"]}, "filter.segments[0] must be an object"),
        ({"segments": [{"segmentId": ""}]}, "filter.segments[0].segmentId is required"),
        ({"segments": [{"segmentId": "a", "segmentNs": 3}]}, "filter.segments[0].segmentNs"),
        ({"segments": [{"segmentId": "a", "status": []}]}, "filter.segments[0].status"),
        ({"segments": [{"segmentId": "a", "statuses": []}]}, "filter.segments[0].statuses is not a field"),
        ({"segmentQualificationTime": {}}, "filter.segmentQualificationTime must be"),
        ({"segmentQualificationTime": {"endTime": 5}}, "filter.segmentQualificationTime.endTime"),
        ({"segmentQualificationTime": {"from": "x"}}, "filter.segmentQualificationTime.from is not a field"),
        ({"fromIngestTimestamp": "soon"}, "filter.fromIngestTimestamp"),
        ({"emptyProfiles": 1}, "filter.emptyProfiles"),
    ],
)
def test_export_filter__malformed_is_refused_naming_the_field(export_filter: Any, words: str) -> None:
    tenant = _audience_world([[None, None]])
    body = {"schema": {"name": PROFILE_CLASS}, "destination": {"datasetId": "out"}, "filter": export_filter}
    with pytest.raises(BadRequest, match=re.escape(words)):
        tenant.export_jobs.create(body)
    assert tenant.export_jobs.page(limit=10).jobs == []
    assert tenant.datasets.get("out").batches == []


# -- finished jobs kept (issue 17, point 3) ----------------------------------------------------------


def test_finished_jobs__the_oldest_go_past_the_limit() -> None:
    tenant = _exporting_tenant([], [policy("ts", "none", "timestampOrdered", default=True)])
    assert tenant.store is not None
    tenant.store.max_finished_jobs = 2
    body = {"destination": {"datasetId": "out"}, "schema": {"name": PROFILE_CLASS}}
    jobs = [tenant.export_jobs.create(body) for _ in range(4)]
    for job in jobs:
        tenant.export_jobs.get(job.id)  # instant: the first read ends it
    listed = [job.id for job in tenant.export_jobs.page(limit=50).jobs]
    assert listed == [jobs[3].id, jobs[2].id]
    with pytest.raises(NotFound):
        tenant.export_jobs.get(jobs[0].id)
    # Their batches stay with the dataset: the data they wrote is the dataset's.
    assert all(tenant.datasets.get("out").batch(job.batch_id) is not None for job in jobs)
