"""The fast lane answers exactly as the Connexion stack does: same status, media type and body.

Two apps over the same world, one with the fast lane and one without, get the same calls: for every
plan the router builds, calls derived from its parameter schemas (``cases.py``: valid, invalid and
edge-case values, missing and repeated parameters, header variants), and random query strings drawn
by Hypothesis. The lane must itself serve a call of every plan (so the comparison is not between two
Connexion stacks).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from profile_harness.app import create_app, harness_of
from profile_harness.options import HarnessOptions
from profile_harness.seed.fixtures import load_document
from profile_harness.server.fast_lane.lane import FastLane
from profile_harness.store import Store
from profile_harness.store.clock import Clock
from tests.conftest import HEADERS, policy, profile_dataset, tenant_doc
from tests.server.fast_lane import cases

PROFILE = "_xdm.context.profile"
EVENT = "_xdm.context.experienceevent"
ENTITIES = "/data/core/ups/access/entities"
POLICIES = "/data/core/ups/config/mergePolicies"


def _world() -> dict[str, Any]:
    def person(i: int) -> dict[str, Any]:
        return {
            "identityMap": {
                "email": [{"id": f"p{i}@example.com", "primary": True}],
                "crmid": [{"id": f"crm{i}"}],
            },
            "person": {"name": {"firstName": f"First{i}", "lastName": "Doe"}},
            "loyalty": {"points": i * 10},
        }

    def event(i: int, n: int) -> dict[str, Any]:
        return {
            "_id": f"e{i}-{n}",
            "timestamp": f"2026-11-0{n + 1}T10:00:00Z",
            "eventType": "web.webpagedetails.pageViews",
            "identityMap": {"ecid": [{"id": f"ecid{i}"}], "email": [{"id": f"p{i}@example.com"}]},
        }

    loyalty = [{"identityMap": {"crmid": [{"id": f"crm{i}"}]}, "loyalty": {"tier": "gold"}} for i in range(3)]
    return tenant_doc(
        datasets=[
            profile_dataset("crm", "2026-11-01T00:00:00Z", *(person(i) for i in range(3))),
            profile_dataset("loyal", "2026-11-02T00:00:00Z", *loyalty),
            profile_dataset(
                "web", "2026-11-03T00:00:00Z", *(event(i, n) for i in range(3) for n in range(3)), cls=EVENT
            ),
        ],
        mergePolicies=[
            policy("pdg", "pdg", "timestampOrdered", default=True),
            policy("prec", "none", "dataSetPrecedence", order=["loyal", "crm"]),
        ],
    )


def _client(fast_lane: bool) -> TestClient:
    store = Store(seed=11, clock=Clock(frozen_at_ms=1_795_000_000_000))  # the two worlds are alike
    load_document(store, _world())
    return TestClient(
        create_app(store, options=HarnessOptions(fast_lane=fast_lane)), raise_server_exceptions=False
    )


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[TestClient, TestClient]]:
    with _client(True) as fast, _client(False) as slow:
        yield fast, slow


def _answer(client: TestClient, path: str, headers: dict[str, str], method: str = "GET") -> tuple[Any, ...]:
    response = client.request(method, path, headers=headers)
    media = response.headers.get("content-type", "")
    try:
        body: Any = json.loads(response.content) if response.content else None
    except ValueError:
        body = response.content
    return response.status_code, media, body, response.headers.get("allow")


def _same(
    clients: tuple[TestClient, TestClient],
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[Any, ...]:
    fast, slow = clients
    sent = HEADERS if headers is None else headers
    expected = _answer(slow, path, sent, method)
    assert _answer(fast, path, sent, method) == expected, path
    return expected


def _lane(client: TestClient) -> FastLane:
    stack = client.app.middleware.middleware_stack  # type: ignore[attr-defined]
    return next(layer for layer in stack if isinstance(layer, FastLane))


def test_plain_lookup_is_served_by_the_lane_and_journaled(clients: tuple[TestClient, TestClient]) -> None:
    fast, _slow = clients
    lane = _lane(fast)
    before = lane.served
    status, media, body, _ = _same(
        clients, f"{ENTITIES}?schema.name={PROFILE}&entityId=crm1&entityIdNS=crmid"
    )
    assert status == 200
    assert media == "application/json"
    (entity,) = body.values()
    assert entity["entity"]["person"]["name"]["firstName"] == "First1"
    assert lane.served == before + 1
    last = harness_of(fast.app).journal.entries()[-1]  # type: ignore[arg-type]
    assert (last.operationId, last.status) == ("retrieveEntity", 200)


def test_every_plan__same_answers_with_and_without_the_lane() -> None:
    """Calls derived from every plan the router builds (tests/server/fast_lane/cases.py) get the same
    answers from both apps, and the lane itself serves at least one call of every plan.
    """
    with _client(True) as fast, _client(False) as slow:
        lane = _lane(fast)
        journal = harness_of(fast.app).journal  # type: ignore[arg-type]
        plans = lane.router.plans
        served: set[str] = set()
        differences: list[str] = []
        sent = 0
        for plan in plans:
            for call in cases.calls(plan):
                before = lane.served
                got = _answer(fast, call.path, call.headers, call.method)
                if lane.served > before:
                    served.add(journal.entries(1)[0].operationId)
                expected = _answer(slow, call.path, call.headers, call.method)
                sent += 1
                if got != expected:
                    differences.append(
                        f"{plan.operation_id} {call.why}: {call.method} {call.path}\n"
                        f"  lane:    {got}\n  no lane: {expected}"
                    )
        assert not differences, f"{len(differences)} of {sent} calls differ:\n" + "\n".join(differences[:10])
        assert served == {plan.operation_id for plan in plans}


def test_delete_through_the_lane_changes_the_same_state(clients: tuple[TestClient, TestClient]) -> None:
    path = f"{POLICIES}/prec"
    assert _same(clients, path, method="DELETE")[0] == 200
    assert _same(clients, path)[0] == 404
    assert _same(clients, path, method="DELETE")[0] == 404


def test_request_faults_still_apply(clients: tuple[TestClient, TestClient]) -> None:
    fast, _slow = clients
    fault = {"match": {"operationId": "getMany"}, "respond": {"status": 503, "body": {"message": "down"}}}
    assert fast.post("/__admin/faults", json=fault).status_code == 201
    try:
        response = fast.get(POLICIES, headers=HEADERS)
        assert (response.status_code, response.json()) == (503, {"message": "down"})
    finally:
        fast.delete("/__admin/faults")


_NAMES = [
    "schema.name",
    "entityId",
    "entityIdNS",
    "relatedSchema.name",
    "relatedEntityId",
    "relatedEntityIdNS",
    "fields",
    "mergePolicyId",
    "orderby",
    "startTime",
    "endTime",
    "limit",
    "property",
    "withCA",
    "start",
    "default",
    "orderBy",
    "version",
    "unknown",
    "schema.name[x]",
]
_VALUES = [
    PROFILE,
    EVENT,
    "crm1",
    "crmid",
    "ecid",
    "ecid1",
    "email",
    "p1@example.com",
    "pdg",
    "prec",
    "-1",
    "0",
    "2",
    "20",
    "1.5",
    "1e3",
    " 3",
    "true",
    "false",
    "True",
    "",
    "null",
    "a,b",
    "timestamp",
    "-timestamp",
    "eventType=web.webpagedetails.pageViews",
    "é",
    "\u0663",
]
_value = st.one_of(st.sampled_from(_VALUES), st.text(max_size=6))
_pair = st.tuples(st.sampled_from(_NAMES), _value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from(
        [ENTITIES, POLICIES, f"{POLICIES}/pdg", "/data/core/ca/attributes", "/data/core/ups/system/jobs"]
    ),
    pairs=st.lists(_pair, max_size=6),
    raw=st.booleans(),
)
def test_random_query_strings_get_the_same_answer(
    clients: tuple[TestClient, TestClient], base: str, pairs: list[tuple[str, str]], raw: bool
) -> None:
    if raw:  # hand-made encodings: '+', stray '%', bare names (what a URL cannot carry is quoted)

        def text(value: str) -> str:
            return "".join(c if 32 < ord(c) < 127 and c not in "#&" else quote(c) for c in value)

        query = "&".join(f"{text(name)}={text(value)}" if value else text(name) for name, value in pairs)
    else:
        query = "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs)
    _same(clients, f"{base}?{query}" if query else base)
