"""Current computed attributes, at the store: rules, the evaluation lifecycle on the job clock, values."""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store import Store
from profile_harness.store.clock import Clock
from profile_harness.store.computed.attributes import ComputedAttributeBackend, tenant_namespace
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, Batch, Dataset, parse_time_ms
from profile_harness.store.jobs import JobTiming
from profile_harness.store.tenant import Tenant

NOW = parse_time_ms("2024-05-10T12:00:00Z") or 0
SUM = 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)'


def pql(value: str) -> dict[str, str]:
    return {"type": "PQL", "format": "pql/text", "value": value}


def body(name: str = "spend", **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "displayName": name,
        "description": f"{name} attribute",
        "expression": pql(SUM),
        "duration": {"count": 7, "unit": "DAYS"},
        "status": "DRAFT",
        **changes,
    }


def purchase(at: str, total: float, identity: str = "jane@example.com") -> dict[str, Any]:
    return {
        "timestamp": at,
        "identityMap": {"email": [{"id": identity}]},
        "eventType": "commerce.purchases",
        "commerce": {"order": {"priceTotal": total}},
    }


@pytest.fixture
def store() -> Store:
    return Store(seed=7, clock=Clock(frozen_at_ms=NOW))


@pytest.fixture
def tenant(store: Store) -> Tenant:
    tenant = store.tenant("ACMECORP@AdobeOrg", "prod")
    tenant.datasets.add(
        Dataset(
            "crm",
            "crm",
            PROFILE_CLASS,
            0,
            [
                Batch(
                    "b1",
                    0,
                    [{"identityMap": {"email": [{"id": "jane@example.com"}], "crmid": [{"id": "C1"}]}}],
                )
            ],
        )
    )
    events = [
        purchase("2024-05-09T10:00:00Z", 20.5),
        {**purchase("2024-05-08T10:00:00Z", 10), "identityMap": {"crmid": [{"id": "C1"}]}},
        purchase("2024-04-01T10:00:00Z", 100),  # outside a 7-day lookback
        purchase("2024-05-09T11:00:00Z", 999, identity="rahul@example.com"),
    ]
    tenant.datasets.add(Dataset("web", "web", EVENT_CLASS, 0, [Batch("b2", NOW, events)]))
    return tenant


@pytest.fixture
def backend(tenant: Tenant) -> ComputedAttributeBackend:
    return tenant.computed_attributes


def jane(tenant: Tenant) -> frozenset[tuple[str, str]]:
    return tenant.profiles.graph.component(("email", "jane@example.com"))


def test_tenant_namespace__from_the_org_id() -> None:
    assert tenant_namespace("ACMECORP@AdobeOrg") == "acmecorp"
    assert tenant_namespace("53CD3A8A5C9F1F7E0A495C5E@AdobeOrg") == "53cd3a8a5c9f1f7e0a495c5e"


def test_create__stores_a_draft_with_system_fields(backend: ComputedAttributeBackend) -> None:
    attribute = backend.create(body())
    shown = attribute.to_dict()
    assert shown["status"] == "DRAFT"
    assert shown["mergeFunction"] == {"value": "SUM"}
    assert shown["path"] == "acmecorp/ComputedAttributes"
    assert shown["sandbox"]["isDefault"] is True
    assert "default" not in shown["sandbox"]
    assert shown["createEpoch"] == shown["updateEpoch"] == NOW
    assert shown["lastEvaluationTs"] == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "has_underscore"}, "letters and digits"),
        ({"duration": {"count": 8, "unit": "DAYS"}}, "1 to 7"),
        ({"duration": {"count": 5, "unit": "WEEKS"}}, "1 to 4"),
        ({"duration": {"count": 7, "unit": "MONTHS"}}, "1 to 6"),
        ({"duration": {"count": 25, "unit": "HOURS"}}, "1 to 24"),
        ({"status": "PROCESSED"}, "DRAFT or NEW"),
        ({"expression": pql("person.birthDate.getMonth() = currentMonth()")}, "no aggregation"),
    ],
)
def test_create__refuses_what_breaks_a_rule(
    backend: ComputedAttributeBackend, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest, match=message):
        backend.create(body(**changes))
    assert backend.page(limit=20, offset=0, sort_by="name", filters=[]).total == 0


def test_create__name_unique_in_the_sandbox(backend: ComputedAttributeBackend) -> None:
    backend.create(body())
    with pytest.raises(BadRequest, match="same name already exists"):
        backend.create(body())


def test_lifecycle__new_initializing_processing_processed(
    store: Store, backend: ComputedAttributeBackend
) -> None:
    attribute = backend.create(body(status="NEW"))
    assert attribute.status == "NEW"
    store.clock.advance(200)
    assert backend.get(attribute.id).status == "INITIALIZING"
    store.clock.advance(500)
    assert backend.get(attribute.id).status == "PROCESSING"
    store.clock.advance(500)
    shown = backend.get(attribute.id).to_dict()
    assert shown["status"] == "PROCESSED"
    assert shown["lastEvaluationTs"] == "2024-05-10T12:00:01.200"


def test_lifecycle__reads_timing(store: Store, backend: ComputedAttributeBackend) -> None:
    store.job_timing["computedAttribute"] = JobTiming("reads", 4)
    attribute = backend.create(body(status="NEW"))
    assert [backend.get(attribute.id).status for _ in range(4)] == [
        "INITIALIZING",
        "PROCESSING",
        "PROCESSING",
        "PROCESSED",
    ]


def test_lifecycle__unsupported_expression_fails_with_the_reason(
    store: Store, backend: ComputedAttributeBackend
) -> None:
    grouped = 'xEvent[eventType = "a"].groupBy(c).sum(commerce.order.priceTotal)'
    attribute = backend.create(body(status="NEW", expression=pql(grouped)))
    store.clock.advance(2000)
    shown = backend.get(attribute.id).to_dict()
    assert shown["status"] == "FAILED"
    assert shown["lastEvaluationTs"] == ""
    assert shown["errors"][0]["code"] == "unsupportedExpression"
    assert "groupBy() is not supported" in shown["errors"][0]["msg"]


def test_lifecycle__a_job_fault_fails_the_evaluation(store: Store, backend: ComputedAttributeBackend) -> None:
    store.faults.add({"job": "computedAttribute", "fail": {"errors": [{"code": "x", "msg": "boom"}]}})
    attribute = backend.create(body(status="NEW"))
    store.clock.advance(2000)
    shown = backend.get(attribute.id).to_dict()
    assert shown["status"] == "FAILED"
    assert shown["errors"] == [{"code": "x", "msg": "boom"}]


def test_update__draft_rules(backend: ComputedAttributeBackend) -> None:
    attribute = backend.create(body())
    backend.update(attribute.id, {"expression": pql(SUM.replace(".sum(", ".max(")), "name": "biggest"})
    assert (attribute.merge_function, attribute.name) == ("MAX", "biggest")
    with pytest.raises(BadRequest, match="mergeFunction is set by the system"):
        backend.update(attribute.id, {"mergeFunction": {"value": "SUM"}})
    with pytest.raises(BadRequest, match="DRAFT can only be changed to NEW"):
        backend.update(attribute.id, {"status": "DISABLED"})


def test_update__a_refused_change_changes_nothing(backend: ComputedAttributeBackend) -> None:
    attribute = backend.create(body())
    before = attribute.to_dict()
    with pytest.raises(BadRequest):
        backend.update(attribute.id, {"description": "new", "duration": {"count": 9, "unit": "DAYS"}})
    assert attribute.to_dict() == before


def test_update__published_only_to_disabled_which_is_final(
    store: Store, backend: ComputedAttributeBackend
) -> None:
    attribute = backend.create(body(status="NEW"))
    with pytest.raises(BadRequest, match="can only be changed while the attribute is DRAFT"):
        backend.update(attribute.id, {"description": "edited"})
    with pytest.raises(BadRequest, match="Status NEW can only be changed to DISABLED"):
        backend.update(attribute.id, {"status": "DRAFT"})
    store.clock.advance(60_000)
    assert backend.update(attribute.id, {"status": "DISABLED"}).status == "DISABLED"
    assert attribute.update_epoch == NOW + 60_000
    with pytest.raises(BadRequest, match="final"):
        backend.update(attribute.id, {"status": "NEW"})


def test_delete__draft_only(backend: ComputedAttributeBackend) -> None:
    draft = backend.create(body("draft"))
    published = backend.create(body("published", status="NEW"))
    assert backend.delete(draft.id).to_dict()["name"] == "draft"
    with pytest.raises(NotFound):
        backend.get(draft.id)
    with pytest.raises(Unprocessable, match="DRAFT"):
        backend.delete(published.id)


def test_page__sort_filter_and_links(store: Store, backend: ComputedAttributeBackend) -> None:
    for name in ("bravo", "alpha", "charlie"):
        backend.create(body(name))
        store.clock.advance(10)
    page = backend.page(limit=1, offset=1, sort_by="name", filters=[])
    assert [a.name for a in page.attributes] == ["bravo"]
    assert page.links["next"]["href"].startswith("/attributes?offset=2&limit=1")
    assert page.links["prev"]["href"].startswith("/attributes?offset=0&limit=1")
    assert page.links["last"]["href"].startswith("/attributes?offset=2&limit=1")
    newest_first = backend.page(limit=20, offset=0, sort_by="-updateEpoch", filters=[])
    assert [a.name for a in newest_first.attributes] == ["charlie", "alpha", "bravo"]
    filtered = backend.page(
        limit=20, offset=0, sort_by="name", filters=["name=!contains(alpha,charlie)", "status=draft"]
    )
    assert [a.name for a in filtered.attributes] == ["bravo"]
    since = backend.page(limit=20, offset=0, sort_by="name", filters=[f"createEpoch>={NOW + 10}"])
    assert [a.name for a in since.attributes] == ["alpha", "charlie"]
    with pytest.raises(BadRequest, match="property filter"):
        backend.page(limit=20, offset=0, sort_by="name", filters=["displayName=x"])
    with pytest.raises(BadRequest, match="limit"):
        backend.page(limit=41, offset=0, sort_by="name", filters=[])


def test_values__processed_attributes_over_the_profiles_events(
    store: Store, tenant: Tenant, backend: ComputedAttributeBackend
) -> None:
    total = backend.create(body("spend", status="NEW"))
    count = backend.create(
        body("orders", status="NEW", expression=pql('xEvent[eventType = "commerce.purchases"].count()'))
    )
    backend.create(body("draftOnly"))
    assert backend.values_for(jane(tenant)) == {}  # nothing evaluated yet
    store.clock.advance(2000)
    assert backend.values_for(jane(tenant)) == {"spend": 30.5, "orders": 2}
    backend.update(count.id, {"status": "DISABLED"})
    entity = backend.attach({"_acmecorp": {"tier": "gold"}}, jane(tenant))
    assert entity == {"_acmecorp": {"tier": "gold", "ComputedAttributes": {"spend": 30.5}}}
    assert total.status == "PROCESSED"


def test_values__nothing_crosses_tenants(
    store: Store, tenant: Tenant, backend: ComputedAttributeBackend
) -> None:
    backend.create(body("spend", status="NEW"))
    store.clock.advance(2000)
    other = store.tenant("ACMECORP@AdobeOrg", "dev")
    assert other.computed_attributes.page(limit=20, offset=0, sort_by="name", filters=[]).total == 0
    assert other.computed_attributes.values_for(jane(tenant)) == {}


def test_values__stored_by_a_run_stale_until_the_next_refresh_run(
    store: Store, tenant: Tenant, backend: ComputedAttributeBackend
) -> None:
    attribute = backend.create(body("spend", status="NEW"))  # 7 DAYS lookback: refreshed daily
    store.clock.advance(2000)
    assert backend.values_for(jane(tenant)) == {"spend": 30.5}
    first = attribute.evaluated_ms
    late = purchase("2024-05-10T11:00:00Z", 5)  # ingested after the run, dated before it
    tenant.datasets.add(Dataset("web2", "web2", EVENT_CLASS, 0, [Batch("b3", NOW + 2000, [late])]))
    assert backend.values_for(jane(tenant)) == {"spend": 30.5}  # stored: stale until the next run
    store.clock.advance(86_400_000 - 2001)  # one ms before the daily run starts
    assert backend.values_for(jane(tenant)) == {"spend": 30.5}
    store.clock.advance(1)  # the run starts; it ends by the job timing (1 s by default)
    assert backend.values_for(jane(tenant)) == {"spend": 30.5}
    assert backend.get(attribute.id, read=False).status == "PROCESSED"
    store.clock.advance(1000)
    assert backend.values_for(jane(tenant)) == {"spend": 35.5}
    assert attribute.evaluated_ms == NOW + 86_400_000 + 1000 != first
    assert attribute.to_dict()["lastEvaluationTs"] == "2024-05-11T12:00:01.000"


def test_values__refresh_frequency_follows_the_lookback_and_fast_refresh(
    backend: ComputedAttributeBackend,
) -> None:
    hourly = backend.create(body("h", status="NEW", duration={"count": 3, "unit": "HOURS"}))
    weekly = backend.create(body("w", status="NEW", duration={"count": 2, "unit": "WEEKS"}))
    fast = backend.create(body("f", status="NEW", duration={"count": 2, "unit": "WEEKS"}, keepCurrent=True))
    monthly = backend.create(body("m", status="NEW", duration={"count": 1, "unit": "MONTHS"}))
    assert hourly.run_start_ms(2) - NOW == 2 * 3_600_000
    assert weekly.run_start_ms(1) - NOW == 7 * 86_400_000
    assert fast.run_start_ms(1) - NOW == 86_400_000
    assert monthly.run_start_ms(1) == parse_time_ms("2024-06-10T12:00:00Z")


def test_values__missed_runs_collapse_and_count_covers_profiles_without_events(
    store: Store, tenant: Tenant, backend: ComputedAttributeBackend
) -> None:
    count = backend.create(
        body("views", status="NEW", expression=pql('xEvent[eventType = "web.view"].count()'))
    )
    store.clock.advance(2000)
    assert backend.values_for(jane(tenant)) == {"views": 0}
    store.clock.advance(10 * 86_400_000)  # ten daily runs missed: one run, the latest
    backend.values_for(jane(tenant))
    assert count.runs == 10
    assert count.job is not None
    assert count.job.created_ms == NOW + 10 * 86_400_000
