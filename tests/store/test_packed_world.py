"""A generated world loaded packed answers exactly as the same world loaded as plain fixture records.

``serve --generate`` keeps its records packed (:mod:`profile_harness.store.records`); fixtures keep
dicts. Lookups, merges under both policies, stitching, event pages, exports, deletes, system jobs,
preview reports and state dumps must not tell them apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.seed.demo import (
    DEFAULT_POLICY,
    DEMO_ORG,
    DEMO_SANDBOX,
    EVENT_DATASET,
    PRECEDENCE_POLICY,
    demo_document,
    generated_document,
    person,
)
from profile_harness.seed.fixtures import dump_state, load_document
from profile_harness.store import Store, Tenant
from profile_harness.store.clock import Clock, xid_for
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, UNION_SCHEMA, Dataset
from profile_harness.store.jobs import JobTiming
from profile_harness.store.preview import compute_report
from profile_harness.store.profiles import EventQuery
from profile_harness.store.records import PackedRecords

PEOPLE = 120
NOW = 1_720_000_000_000


def _tenant(packed: bool) -> Tenant:
    store = Store(seed=3, clock=Clock(frozen_at_ms=NOW), job_timing={"systemJob": JobTiming("instant")})
    if packed:
        load_document(store, generated_document(PEOPLE, seed=4), "generated", trusted=True)
    else:
        load_document(store, demo_document(PEOPLE, seed=4), "fixtures")
    tenant = store.tenant(DEMO_ORG, DEMO_SANDBOX)
    assert isinstance(tenant.datasets.get(EVENT_DATASET).batches[0].records, PackedRecords) is packed
    return tenant


@pytest.fixture
def worlds() -> tuple[Tenant, Tenant]:
    return _tenant(packed=True), _tenant(packed=False)


def _probes(tenant: Tenant) -> list[tuple[str, str]]:
    ecids = [
        e["identityMap"]["ecid"][0]["id"]
        for e in list(tenant.datasets.get(EVENT_DATASET).batches[0].records)[:40]
    ]
    return (
        [("email", person(i)["email"]) for i in range(0, PEOPLE, 7)]
        + [("crmid", person(i)["crm"]) for i in range(3, PEOPLE, 11)]
        + [("loyaltyid", f"LOY-{i:05d}") for i in range(0, PEOPLE, 13)]
        + [("ecid", ecid) for ecid in ecids[::4]]
        + [("email", "nobody@example.com")]
    )


def _view(tenant: Tenant, identity: tuple[str, str], policy_id: str) -> Any:
    profiles = tenant.profiles
    view = profiles.view(
        PROFILE_CLASS, identity, profiles.policy(PROFILE_CLASS, policy_id), xid_for(*identity)
    )
    merged = view.merged
    summary = (
        None if merged is None else (merged.entity, merged.sources, merged.last_modified_ms, merged.fragments)
    )
    return summary, sorted(view.related)


def _events(tenant: Tenant, identity: tuple[str, str], **query: Any) -> Any:
    profiles = tenant.profiles
    related = profiles.related(identity, profiles.policy(PROFILE_CLASS, DEFAULT_POLICY))
    page = profiles.events(related, "x", EventQuery(**query))
    return [(event_id, ts, f.record) for event_id, ts, f in page.events], page.next_cursor


def _export(tenant: Tenant, **extra: Any) -> list[dict[str, Any]]:
    if tenant.datasets.find("out") is None:
        tenant.datasets.add(Dataset("out", "out", PROFILE_CLASS, 0, schema_ref=UNION_SCHEMA))
    body = {"schema": {"name": PROFILE_CLASS}, "destination": {"datasetId": "out"}} | extra
    return list(tenant.export_jobs.rows(tenant.export_jobs.create(body)))


def test_lookups_merge_alike_under_both_policies(worlds: tuple[Tenant, Tenant]) -> None:
    packed, plain = worlds
    for identity in _probes(plain):
        for policy in (DEFAULT_POLICY, PRECEDENCE_POLICY):
            assert _view(packed, identity, policy) == _view(plain, identity, policy), (identity, policy)


def test_event_pages_alike(worlds: tuple[Tenant, Tenant]) -> None:
    packed, plain = worlds
    for identity in _probes(plain)[::3]:
        assert _events(packed, identity) == _events(plain, identity)
        assert _events(packed, identity, descending=True, limit=2) == _events(
            plain, identity, descending=True, limit=2
        )


def test_exports_alike(worlds: tuple[Tenant, Tenant]) -> None:
    packed, plain = worlds
    assert _export(packed, fields="person.name,loyalty") == _export(plain, fields="person.name,loyalty")
    events = {"additionalFields": {"eventList": {"fields": "eventType,timestamp"}}}
    assert _export(packed, **events) == _export(plain, **events)
    precedence = {"mergePolicy": {"id": PRECEDENCE_POLICY}}
    assert _export(packed, **precedence) == _export(plain, **precedence)


def test_deletes_alike_and_really_delete(worlds: tuple[Tenant, Tenant]) -> None:
    packed, plain = worlds
    jane = ("email", person(0)["email"])
    for tenant in worlds:
        policy = tenant.profiles.policy(PROFILE_CLASS, DEFAULT_POLICY)
        assert tenant.profiles.delete(jane, policy) == 2 + 3  # CRM + loyalty + her three events
    assert _view(packed, jane, DEFAULT_POLICY) == _view(plain, jane, DEFAULT_POLICY) == (None, [jane])
    for identity in _probes(plain)[:6]:
        assert _view(packed, identity, DEFAULT_POLICY) == _view(plain, identity, DEFAULT_POLICY)
    assert dump_state(packed.store) == dump_state(plain.store)  # type: ignore[arg-type]
    assert _export(packed) == _export(plain)


def test_system_job_deletes_packed_records(worlds: tuple[Tenant, Tenant]) -> None:
    for tenant in worlds:
        job = tenant.system_jobs.create({"dataSetId": EVENT_DATASET})
        assert tenant.system_jobs.get(job.id).records_processed > 0
        assert len(tenant.datasets.get(EVENT_DATASET).batches[0].records) == 0
        assert list(tenant.datasets.fragments(EVENT_CLASS)) == []
    packed, plain = worlds
    assert _events(packed, ("email", person(0)["email"])) == ([], "")
    assert dump_state(packed.store) == dump_state(plain.store)  # type: ignore[arg-type]


def test_preview_reports_and_dumps_alike(worlds: tuple[Tenant, Tenant]) -> None:
    packed, plain = worlds
    assert compute_report(packed.datasets, packed.merge_policies, NOW) == compute_report(
        plain.datasets, plain.merge_policies, NOW
    )
    assert dump_state(packed.store) == dump_state(plain.store)  # type: ignore[arg-type]
