"""Legacy computed attributes, at the store: field lookup, types, dependencies, JSON Patch."""

from __future__ import annotations

from typing import Any

import pytest

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store import Store
from profile_harness.store.clock import Clock
from profile_harness.store.computed.legacy import (
    DUPLICATE_NAME,
    HAS_DEPENDENTS,
    RETURN_SCHEMA,
    SCHEMA_LOOKUP,
    LegacyComputedAttributeBackend,
    _value,
)
from profile_harness.store.datasets import PROFILE_CLASS, Batch, Dataset

SUM = 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)'


def pql(value: str) -> dict[str, str]:
    return {"type": "PQL", "format": "pql/text", "value": value}


def body(name: str, value: str, path: str = "_acme.summary", **changes: Any) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "expression": pql(value),
        "schema": {"name": PROFILE_CLASS},
        **changes,
    }


@pytest.fixture
def backend() -> LegacyComputedAttributeBackend:
    store = Store(seed=3, clock=Clock(frozen_at_ms=1_700_000_000_000))
    tenant = store.tenant("ACME@AdobeOrg", "prod")
    record = {
        "identityMap": {"email": [{"id": "a@example.com"}]},
        "_acme": {"flag": False, "summary": {"total": 1.5, "count": 2, "average": 0.75}},
    }
    tenant.datasets.add(Dataset("crm", "crm", PROFILE_CLASS, 0, [Batch("b", 0, [record])]))
    return tenant.legacy_computed_attributes


def test_create__old_shape_in_seconds(backend: LegacyComputedAttributeBackend) -> None:
    shown = backend.create(body("total", SUM, description="Total")).to_dict()
    assert shown["positionPath"] == ["_acme", "summary"]
    assert shown["returnSchema"] == {"meta:xdmType": "number"}
    assert shown["sandbox"]["default"] is True
    assert shown["definedOn"][0]["$ref"] == "https://ns.adobe.com/xdm/context/profile__union"
    assert shown["createEpoch"] == 1_700_000_000
    assert (shown["active"], shown["dependencies"], shown["dependents"]) == (True, [], [])


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        (body("missing", SUM), SCHEMA_LOOKUP),
        (body("total", SUM, path="_{TENANT_ID}.summary"), SCHEMA_LOOKUP),
        (body("total", SUM, schema={"name": "_xdm.context.customer"}), SCHEMA_LOOKUP),
        (body("count", 'xEvent[eventType = "a"].count() > 0'), RETURN_SCHEMA),
        (body("flag", SUM, path="_acme"), RETURN_SCHEMA),
    ],
)
def test_create__documented_refusals(
    backend: LegacyComputedAttributeBackend, request_body: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        backend.create(request_body)
    assert caught.value.message.startswith(message)  # DOC-TS's words, then what exactly is missing
    assert backend.all() == []


def test_create__name_unique_per_class(backend: LegacyComputedAttributeBackend) -> None:
    backend.create(body("total", SUM))
    with pytest.raises(BadRequest, match=DUPLICATE_NAME):
        backend.create(body("total", SUM))


def test_dependencies__and_delete_protection(backend: LegacyComputedAttributeBackend) -> None:
    total = backend.create(body("total", SUM))
    count = backend.create(body("count", 'xEvent[eventType = "commerce.purchases"].count()'))
    average = backend.create(body("average", "_acme.summary.total/_acme.summary.count"))
    assert average.dependencies == [total.id, count.id]
    assert total.to_dict()["dependents"] == [average.id]
    with pytest.raises(Unprocessable) as caught:
        backend.delete(total.id)
    assert caught.value.message == HAS_DEPENDENTS
    backend.delete(average.id)
    backend.delete(total.id)
    with pytest.raises(NotFound):
        backend.get(total.id)


def test_patch__writable_members_only_and_all_or_nothing(backend: LegacyComputedAttributeBackend) -> None:
    total = backend.create(body("total", SUM, description="Total"))
    new = pql(SUM.replace("sum", "max"))
    backend.patch(total.id, [{"op": "add", "path": "/expression", "value": new}])
    assert total.expression == new
    backend.patch(total.id, [{"op": "replace", "path": "/expression/value", "value": SUM}])
    assert total.expression["value"] == SUM
    for refused in (
        [{"op": "replace", "path": "/id", "value": "x"}],
        [{"op": "replace", "path": "/name", "value": "x"}],
        [
            {"op": "test", "path": "/description", "value": "Other"},
            {"op": "replace", "path": "/active", "value": False},
        ],
        [{"op": "remove", "path": "/expression"}],
        [{"op": "replace", "path": "/active", "value": "no"}],
        [{"op": "replace", "path": "/expression", "value": pql('xEvent[eventType = "a"].count() > 0')}],
    ):
        with pytest.raises(BadRequest):
            backend.patch(total.id, refused)
    assert total.active is True
    assert total.description == "Total"
    backend.patch(total.id, [{"op": "remove", "path": "/description"}])
    assert "description" not in total.to_dict()


def test_patch__no_cycles(backend: LegacyComputedAttributeBackend) -> None:
    total = backend.create(body("total", SUM))
    average = backend.create(body("average", "_acme.summary.total/2"))
    with pytest.raises(BadRequest, match="depend on each other"):
        backend.patch(
            total.id, [{"op": "replace", "path": "/expression/value", "value": "_acme.summary.average*2"}]
        )
    with pytest.raises(BadRequest, match="itself"):
        backend.patch(
            average.id, [{"op": "replace", "path": "/expression/value", "value": "_acme.summary.average+1"}]
        )


def test_create__a_missing_field_is_named(backend: LegacyComputedAttributeBackend) -> None:
    with pytest.raises(BadRequest) as missing:
        backend.create(
            body("birthdayCurrentMonth", "person.birthDate.getMonth() = currentMonth()", path="_acme")
        )
    assert missing.value.message.startswith(SCHEMA_LOOKUP)
    assert "_acme.birthdayCurrentMonth" in missing.value.message
    assert PROFILE_CLASS in missing.value.message


def test_create__a_profile_field_the_expression_reads_must_exist(
    backend: LegacyComputedAttributeBackend,
) -> None:
    with pytest.raises(BadRequest, match=r"person\.birthDate") as unread:
        backend.create(body("flag", "person.birthDate.getMonth() = currentMonth()", path="_acme"))
    assert PROFILE_CLASS in unread.value.message
    # Fields read inside xEvent[...] are event fields, not the class's: not checked here.
    backend.create(body("count", 'xEvent[web.name = "home"].count()'))
    assert [a.name for a in backend.all()] == ["count"]


def test_patch__a_new_expression_reading_a_missing_field_is_refused(
    backend: LegacyComputedAttributeBackend,
) -> None:
    attribute = backend.create(body("average", "_acme.summary.total/_acme.summary.count"))
    patch = [
        {"op": "replace", "path": "/expression/value", "value": "_acme.summary.total/_acme.summary.nope"}
    ]
    with pytest.raises(BadRequest, match=r"_acme\.summary\.nope"):
        backend.patch(attribute.id, patch)
    assert attribute.expression["value"] == "_acme.summary.total/_acme.summary.count"


def test_legacy_value__the_evaluated_forms() -> None:
    entity = {"s": {"total": 9, "count": 3, "zero": 0, "name": "Ann"}}
    events = [(1, {"eventType": "buy", "price": 4}), (2, {"eventType": "buy", "price": 6})]
    assert _value('xEvent[eventType = "buy"].sum(price)', entity, events, 10) == 10
    assert _value("s.total/s.count", entity, events, 10) == 3
    assert _value("s.total > 5", entity, events, 10) is True
    assert _value('s.name = "Ann"', entity, events, 10) is True
    assert _value("s.count", entity, events, 10) == 3
    assert _value("s.total/s.zero", entity, events, 10) is None  # no value rather than an error
    assert _value("s.missing + 1", entity, events, 10) is None
    assert _value("s.name < 3", entity, events, 10) is None
    assert _value("person.birthDate.getMonth() = currentMonth()", entity, events, 10) is None
