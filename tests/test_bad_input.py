"""Bad input to every write: a clear 4xx in its documented shape that names the fault, and no change."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.openapi import bundle as specs
from profile_harness.openapi.conformance import default_checker
from profile_harness.openapi.index import OperationIndex
from profile_harness.server.limits import MAX_JSON_DEPTH
from profile_harness.store import Store
from tests.conftest import HEADERS, ORG, SANDBOX, policy, profile_dataset, tenant_doc

SPEC = specs.platform_spec()
INDEX = OperationIndex(SPEC)
#: Every Platform operation that takes a JSON body (the IMS form is not state of the store).
BODY_OPS = sorted(
    (info for info in INDEX if info.body_media_types and info.path.startswith("/data/")),
    key=lambda info: info.operation_id,
)
DELETE_OPS = sorted((info for info in INDEX if info.method == "DELETE"), key=lambda info: info.operation_id)

WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2024-04-01T00:00:00Z",
            {
                "identityMap": {"email": [{"id": "jane@example.com"}], "crmid": [{"id": "C1"}]},
                "person": {"name": {"firstName": "Jane"}},
                "_acme": {"summary": {"total": 1.5, "count": 2}},
            },
        ),
        profile_dataset(
            "web",
            "2024-05-10T00:00:00Z",
            {
                "_id": "e1",
                "timestamp": "2024-05-01T10:00:00Z",
                "identityMap": {"email": [{"id": "jane@example.com"}]},
                "eventType": "commerce.purchases",
                "commerce": {"order": {"priceTotal": 10}},
            },
            cls="_xdm.context.experienceevent",
        ),
    ],
    mergePolicies=[
        policy("ts", "pdg", "timestampOrdered", default=True),
        policy("none", "none", "timestampOrdered"),
    ],
)
UNION = {
    "id": "https://ns.adobe.com/xdm/context/profile__union",
    "contentType": "application/vnd.adobe.xed+json",
}
SUM = 'xEvent[eventType = "commerce.purchases"].sum(commerce.order.priceTotal)'
#: The edge services take only their vendor media types (DOC-EP, DOC-TS); every other write JSON.
EDGE_TYPES = {
    "/data/core/ups/config/destinations": (
        "application/vnd.adobe.platform.projectionDestination+json; version=1"
    ),
    "/data/core/ups/config/projections": "application/vnd.adobe.platform.projectionConfig+json; version=1",
}


def body_type(path: str) -> str:
    """The JSON media type the endpoint of ``path`` takes."""
    return next((t for prefix, t in EDGE_TYPES.items() if path.startswith(prefix)), "application/json")


@dataclass
class World:
    client: TestClient
    ids: dict[str, str]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**HEADERS, **kwargs.pop("headers", {})}
        if "json" in kwargs:
            headers.setdefault("Content-Type", body_type(path))
        return self.client.request(method, path, headers=headers, **kwargs)


def _made(response: Any, *statuses: int) -> Any:
    assert response.status_code in statuses, response.text
    return response.json()


def build_world(client: TestClient) -> World:
    """One of everything the store holds, in the test tenant, on a frozen clock, jobs mid-way."""
    assert client.post("/__admin/fixtures", json=WORLD).status_code == 200
    client.post("/__admin/clock", json={"freeze": True, "at": "2024-07-01T00:00:00Z"})
    rule = "seconds:3600"
    client.put("/__admin/job-timing", json=dict.fromkeys(["export", "systemJob", "computedAttribute"], rule))
    world = World(client, {"mergePolicyId": "ts"})
    (ref,) = _made(
        world.call("POST", "/data/foundation/catalog/dataSets", json={"name": "Out", "schemaRef": UNION}), 201
    )
    world.ids["datasetId"] = ref.rsplit("/", 1)[1]
    world.ids["batchId"] = "batchcrm"
    export = {
        "schema": {"name": "_xdm.context.profile"},
        "destination": {"datasetId": world.ids["datasetId"]},
    }
    world.ids["exportJobId"] = str(
        _made(world.call("POST", "/data/core/ups/export/jobs", json=export), 200)["id"]
    )
    world.ids["deleteRequestId"] = _made(
        world.call("POST", "/data/core/ups/system/jobs", json={"dataSetId": "web"}), 200
    )["id"]
    attribute = {
        "name": "spend",
        "displayName": "Spend",
        "description": "Spend",
        "expression": {"type": "PQL", "format": "pql/text", "value": SUM},
        "keepCurrent": False,
        "duration": {"count": 7, "unit": "DAYS"},
        "status": "DRAFT",
    }
    world.ids["attributeId"] = _made(world.call("POST", "/data/core/ca/attributes", json=attribute), 200)[
        "id"
    ]
    legacy = {
        "name": "total",
        "path": "_acme.summary",
        "description": "total",
        "expression": {"type": "PQL", "format": "pql/text", "value": "_acme.summary.total * 2"},
        "schema": {"name": "_xdm.context.profile"},
    }
    world.ids["legacyAttributeId"] = _made(
        world.call("POST", "/data/core/ups/config/computedAttributes", json=legacy), 200
    )["id"]
    world.ids["destinationId"] = _made(
        world.call(
            "POST", "/data/core/ups/config/destinations", json={"type": "EDGE", "dataCenters": ["OR1"]}
        ),
        201,
    )["id"]
    projection = {"selector": "emails", "destinationId": world.ids["destinationId"], "name": "emails"}
    world.ids["projectionId"] = _made(
        world.call(
            "POST",
            "/data/core/ups/config/projections",
            json=projection,
            params={"schemaName": "_xdm.context.profile"},
        ),
        201,
    )["id"]
    for kind in (
        "export",
        "systemJob",
        "computedAttribute",
        "sample",
    ):  # pending: a refused create must not take one
        assert client.post("/__admin/faults", json={"job": kind, "org": ORG}).status_code == 201
    return world


def snapshot(world: World) -> dict[str, Any]:
    """Everything observable about the state, as the API shows it."""
    ids = world.ids
    reads = [
        "/data/core/ups/config/mergePolicies?limit=100",
        "/data/core/ups/export/jobs",
        "/data/core/ups/system/jobs",
        "/data/core/ca/attributes",
        "/data/core/ups/config/computedAttributes",
        "/data/core/ups/config/destinations",
        "/data/core/ups/config/projections",
        "/data/foundation/catalog/dataSets?limit=100",
        "/data/core/ups/config/mergePolicies/ts",
        "/data/core/ups/config/mergePolicies/none",
        f"/data/core/ups/export/jobs/{ids['exportJobId']}",
        f"/data/core/ups/system/jobs/{ids['deleteRequestId']}",
        f"/data/core/ca/attributes/{ids['attributeId']}",
        f"/data/core/ups/config/computedAttributes/{ids['legacyAttributeId']}",
        f"/data/core/ups/config/destinations/{ids['destinationId']}",
        f"/data/core/ups/config/projections/{ids['projectionId']}",
        "/data/core/ups/access/entities?schema.name=_xdm.context.profile&entityId=jane@example.com&entityIdNS=email",
    ]
    seen: dict[str, Any] = {}
    for path in reads:
        response = world.call("GET", path)
        assert response.status_code == 200, (path, response.text)
        seen[path] = response.json()
    for path in ("/__admin/state", "/__admin/faults", "/__admin/clock", "/__admin/job-timing"):
        seen[path] = world.client.get(path).json()
    return seen


@pytest.fixture
def world(client: TestClient) -> World:
    return build_world(client)


# -- the bad requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One bad request and a phrase its refusal must contain (empty: any clear 4xx)."""

    label: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None  # None: the endpoint's JSON type (body_type)
    params: tuple[tuple[str, str], ...] = ()
    named: str = ""


#: Bodies no write takes, and what the refusal must say.
GENERIC: list[tuple[str, bytes, str]] = [
    ("malformed", b'{"name": ', "not valid JSON"),
    ("trailing garbage", b'{"name": "x"} and more', "not valid JSON"),
    ("single quotes", b"{'name': 'x'}", "not valid JSON"),
    ("invalid UTF-8", b'{"name": "caf\xe9"}', "not valid UTF-8"),
    ("UTF-16", '{"name": "x"}'.encode("utf-16"), "not valid UTF-8"),
    ("NaN", b'{"name": NaN}', "NaN"),
    ("Infinity", b'{"limit": Infinity}', "Infinity"),
    ("huge exponent", b'{"limit": 1e400}', "out of range"),
    ("300-digit number", b'{"limit": ' + b"7" * 300 + b"}", "longer than 100"),
    ("nested arrays", b"[" * 10_000 + b"]" * 10_000, "deeper than"),
    ("nested objects", b'{"a":' * (MAX_JSON_DEPTH + 1) + b"{}" + b"}" * (MAX_JSON_DEPTH + 1), "deeper than"),
    ("empty", b"", ""),
    ("whitespace", b"   ", ""),
    ("null", b"null", ""),
    ("true", b"true", ""),
    ("number", b"42", ""),
    ("string", b'"mergePolicy"', ""),
    ("array of numbers", b"[1, 2, 3]", ""),
]


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        node = target
    return node


def _example_and_schema(operation_id: str) -> tuple[Any, dict[str, Any]]:
    info = INDEX.get(operation_id)
    assert info is not None
    operation = SPEC["paths"][info.path][info.method.lower()]
    for content in _resolve(operation["requestBody"])["content"].values():
        schema = _resolve(content.get("schema", {}))
        if "example" in content:
            return copy.deepcopy(content["example"]), schema
        for example in (content.get("examples") or {}).values():
            return copy.deepcopy(_resolve(example)["value"]), schema
    return None, {}


_WRONG = {
    "string": 12345,
    "integer": "twelve",
    "number": "twelve",
    "boolean": "maybe",
    "array": {"a": 1},
    "object": [1],
}


def _derived(operation_id: str) -> Iterator[tuple[str, Any, str]]:
    """The operation's own example with one field of the wrong type, or with an unknown field."""
    example, schema = _example_and_schema(operation_id)
    if not isinstance(example, dict) or "properties" not in schema:
        return
    for name in sorted(example):
        declared = _resolve(schema["properties"].get(name, {})).get("type")
        if declared in _WRONG:
            yield f"{name} as not {declared}", {**example, name: _WRONG[declared]}, name
    if schema.get("additionalProperties") is False:
        yield "unknown field", {**example, "zzUnknownField": 1}, "zzUnknownField"


def _path(template: str, ids: dict[str, str]) -> str:
    if "computedAttributes/{attributeId}" in template:
        ids = {**ids, "attributeId": ids["legacyAttributeId"]}
    path = template
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, template
    return path


def _params(template: str) -> tuple[tuple[str, str], ...]:
    return (("schemaName", "_xdm.context.profile"),) if template.endswith("/projections") else ()


def bad_requests(ids: dict[str, str]) -> list[Bad]:
    found: list[Bad] = []
    for info in BODY_OPS:
        path, params = _path(info.path, ids), _params(info.path)
        op = info.operation_id
        for label, body, named in GENERIC:
            found.append(Bad(f"{op}: {label}", info.method, path, body, params=params, named=named))
        for label, body, named in _derived(op):
            found.append(
                Bad(
                    f"{op}: {label}", info.method, path, json.dumps(body).encode(), params=params, named=named
                )
            )
    for info in DELETE_OPS:  # an id that names nothing, or not even a readable one
        for label, value in (("unknown id", "nope404"), ("encoded slash", "a%2Fb"), ("long id", "x" * 3000)):
            path = info.path.rsplit("/", 1)[0] + f"/{value}" if "{" in info.path else info.path
            found.append(Bad(f"{info.operation_id}: {label}", "DELETE", path))
    found.extend(_targeted(ids))
    return found


def _targeted(ids: dict[str, str]) -> list[Bad]:
    """Well-formed requests that a rule of the service refuses, after the schema let them through."""
    mp = "/data/core/ups/config/mergePolicies"

    def bad(label: str, method: str, path: str, body: Any = None, **kwargs: Any) -> Bad:
        raw = None if body is None else json.dumps(body).encode()
        return Bad(label, method, path, raw, **kwargs)

    new_policy = {"schema": {"name": "_xdm.context.profile"}, "identityGraph": {"type": "pdg"}}
    return [
        bad(
            "precedence without order",
            "POST",
            mp,
            {**new_policy, "attributeMerge": {"type": "dataSetPrecedence"}, "default": True},
        ),
        bad(
            "patch: second operation bad",
            "PATCH",
            f"{mp}/ts",
            [{"op": "add", "path": "/name", "value": "renamed"}, {"op": "remove", "path": "/default"}],
        ),
        bad(
            "patch: typo path", "PATCH", f"{mp}/ts", {"op": "add", "path": "/idActiveOnEdge", "value": "true"}
        ),
        bad(
            "put: unknown policy",
            "PUT",
            f"{mp}/nope",
            {**new_policy, "attributeMerge": {"type": "timestampOrdered"}},
        ),
        bad(
            "export: unknown policy",
            "POST",
            "/data/core/ups/export/jobs",
            {"mergePolicy": {"id": "nope"}, "destination": {"datasetId": ids["datasetId"]}},
        ),
        bad(
            "export: unknown dataset",
            "POST",
            "/data/core/ups/export/jobs",
            {"destination": {"datasetId": "nope"}},
        ),
        bad("system job: unknown dataset", "POST", "/data/core/ups/system/jobs", {"dataSetId": "nope"}),
        bad("system job: nothing named", "POST", "/data/core/ups/system/jobs", {}),
        bad(
            "CA: PQL that does not parse",
            "POST",
            "/data/core/ca/attributes",
            {
                "name": "x",
                "displayName": "x",
                "description": "x",
                "expression": {"type": "PQL", "format": "pql/text", "value": "sum(("},
            },
        ),
        bad("CA: empty patch", "PATCH", f"/data/core/ca/attributes/{ids['attributeId']}", {}),
        bad(
            "legacy CA: unknown field path",
            "POST",
            "/data/core/ups/config/computedAttributes",
            {
                "name": "x",
                "path": "_nowhere",
                "description": "x",
                "expression": {"type": "PQL", "format": "pql/text", "value": "1"},
                "schema": {"name": "_xdm.context.profile"},
            },
        ),
        bad(
            "legacy CA: patch removes id",
            "PATCH",
            f"/data/core/ups/config/computedAttributes/{ids['legacyAttributeId']}",
            [{"op": "remove", "path": "/id"}],
        ),
        bad(
            "destination: stale version",
            "PUT",
            f"/data/core/ups/config/destinations/{ids['destinationId']}",
            {"type": "EDGE", "dataCenters": ["VA7"], "currentVersion": 99},
        ),
        bad(
            "projection: unknown destination",
            "POST",
            "/data/core/ups/config/projections",
            {"selector": "emails", "destinationId": "nope", "name": "other"},
            params=(("schemaName", "_xdm.context.profile"),),
        ),
        bad(
            "projection: name taken",
            "POST",
            "/data/core/ups/config/projections",
            {"selector": "emails", "destinationId": ids["destinationId"], "name": "emails"},
            params=(("schemaName", "_xdm.context.profile"),),
        ),
        bad(
            "projection: no schemaName",
            "POST",
            "/data/core/ups/config/projections",
            {"selector": "emails", "destinationId": ids["destinationId"]},
        ),
        bad(
            "entity delete: no entityId",
            "DELETE",
            "/data/core/ups/access/entities",
            params=(("schema.name", "_xdm.context.profile"),),
        ),
        bad(
            "entity delete: event class",
            "DELETE",
            "/data/core/ups/access/entities",
            params=(
                ("schema.name", "_xdm.context.experienceevent"),
                ("entityId", "jane@example.com"),
                ("entityIdNS", "email"),
            ),
        ),
        bad(
            "dataset: unknown field",
            "POST",
            "/data/foundation/catalog/dataSets",
            {"name": "x", "schemaRef": UNION, "zz": 1},
            named="zz",
        ),
        bad(
            "query not UTF-8", "POST", "/data/core/ups/system/jobs?x=%FF", {"dataSetId": "crm"}, named="UTF-8"
        ),
        # the control plane
        bad(
            "fixtures: second tenant invalid",
            "POST",
            "/__admin/fixtures",
            {"tenants": [{"org": ORG, "sandbox": SANDBOX}, {"org": 5}]},
        ),
        bad(
            "clock: before 1970",
            "POST",
            "/__admin/clock",
            {"freeze": True, "at": "1969-12-31T00:00:00Z"},
            named="1969-12-31",  # refused by the schema (spec/admin.yaml ClockTime), which names the value
        ),
        bad("clock: past year 9999", "POST", "/__admin/clock", {"advance": "9999999999d"}, named="9999"),
        bad("clock: unreadable time", "POST", "/__admin/clock", {"freeze": True, "at": "soon"}, named="soon"),
        bad(
            "job timing: one rule bad", "PUT", "/__admin/job-timing", {"export": "instant", "sample": "soon"}
        ),
        bad(
            "job timing: too long",
            "PUT",
            "/__admin/job-timing",
            {"export": "reads:" + "9" * 40},
            named="export",  # refused by the schema's TimingRule pattern, which names the kind
        ),
        bad(
            "fault: bad regex",
            "POST",
            "/__admin/faults",
            {"match": {"path": "("}, "respond": {"status": 500}},
            named="regex",  # `format: regex` in spec/admin.yaml
        ),
        bad("fault: unknown preset", "POST", "/__admin/faults", {"job": "export", "fail": "boom"}),
    ]


def _send(world: World, bad: Bad) -> Any:
    headers = {"content-type": bad.content_type or body_type(bad.path)} if bad.body is not None else {}
    params = list(bad.params) or None  # httpx drops a query written in the path when given params
    if bad.path.startswith("/__admin"):
        return world.client.request(bad.method, bad.path, content=bad.body, headers=headers, params=params)
    return world.call(bad.method, bad.path, content=bad.body, headers=headers, params=params)


def _message(response: Any) -> str:
    body = response.json()
    if "errors" in body:  # system jobs
        return " ".join(e["message"] for errors in body["errors"].values() for e in errors)
    for key in ("message", "detail", "error_description"):
        if key in body:
            return str(body[key])
    raise AssertionError(f"no message in {body}")


def _assert_clear_refusal(bad: Bad, response: Any) -> None:
    assert 400 <= response.status_code < 500, f"{bad.label}: {response.status_code} {response.text[:300]}"
    if bad.path.startswith("/__admin"):
        assert response.headers["content-type"] == "application/problem+json", bad.label
    else:
        violations = default_checker().check(response.request, response)
        if response.status_code != 404 or "encoded slash" not in bad.label:  # no operation: no spec to break
            assert [v for v in violations if v.side == "response"] == [], f"{bad.label}: {violations}"
    message = _message(response)
    assert message.strip(), bad.label
    assert bad.named in message, f"{bad.label}: {message!r} does not name {bad.named!r}"


# -- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("info", BODY_OPS, ids=lambda info: info.operation_id)
def test_every_write__generic_bad_bodies_get_a_named_4xx_in_its_shape(world: World, info: Any) -> None:
    path, params = _path(info.path, world.ids), _params(info.path)
    for label, body, named in GENERIC:
        bad = Bad(f"{info.operation_id}: {label}", info.method, path, body, params=params, named=named)
        _assert_clear_refusal(bad, _send(world, bad))
    for label, value, named in _derived(info.operation_id):
        bad = Bad(
            f"{info.operation_id}: {label}",
            info.method,
            path,
            json.dumps(value).encode(),
            params=params,
            named=named,
        )
        _assert_clear_refusal(bad, _send(world, bad))


def test_rejected_writes_leave_the_store_exactly_as_it_was(world: World) -> None:
    snapshot(world)  # the first read moves each job from NEW to PROCESSING; after that reads change nothing
    before = snapshot(world)
    refused = bad_requests(world.ids)
    assert len(refused) > 400
    for bad in refused:
        _assert_clear_refusal(bad, _send(world, bad))
    after = snapshot(world)
    assert after == before


def test_refused_writes_use_up_no_ids() -> None:
    """Two servers with one seed: bad writes in between must not change the ids handed out next."""

    def next_ids(with_bad_writes: bool) -> list[str]:
        with TestClient(create_app(Store(seed=42)), raise_server_exceptions=False) as client:
            world = build_world(client)
            if with_bad_writes:
                for bad in bad_requests(world.ids):
                    assert 400 <= _send(world, bad).status_code < 500, bad.label
            created = [
                world.call(
                    "POST",
                    "/data/core/ups/config/mergePolicies",
                    json={
                        "schema": {"name": "_xdm.context.profile"},
                        "identityGraph": {"type": "none"},
                        "attributeMerge": {"type": "timestampOrdered"},
                    },
                ).json()["id"],
                world.call(
                    "POST",
                    "/data/core/ups/config/destinations",
                    json={"type": "EDGE", "dataCenters": ["VA5"]},
                ).json()["id"],
                world.call("POST", "/data/core/ups/system/jobs", json={"dataSetId": "crm"}).json()["id"],
                world.client.post("/__admin/faults", json={"job": "sample"}).json()["id"],
            ]
            return [str(item) for item in created]

    assert next_ids(with_bad_writes=True) == next_ids(with_bad_writes=False)


# -- odd paths and queries on reads ----------------------------------------------------------------

ODD_IDS = ["a%2Fb", "%E2%98%83", "%C3%A9t%C3%A9", "x" * 3000, "%00", "..%2F..", "%20", "a%25b", "-1"]
ODD_VALUES = [
    "%E2%98%83" * 50,
    "x" * 5000,
    "%00",
    "%2F",
    "-1",
    "0",
    "99999999999999999999999",
    "1e999",
    "NaN",
    "",
]


def _id_reads() -> list[str]:
    return sorted({info.path for info in INDEX if info.method == "GET" and info.path.endswith("}")})


def _query_reads() -> list[tuple[str, str]]:
    found = []
    for info in INDEX:
        if info.method != "GET" or "{" in info.path:
            continue
        operation = SPEC["paths"][info.path]["get"]
        for parameter in operation.get("parameters", []):
            parameter = _resolve(parameter)
            if parameter.get("in") == "query":
                found.append((info.path, parameter["name"]))
    return sorted(found)


def test_odd_ids_and_query_values_on_reads__4xx_or_an_answer_never_5xx(world: World) -> None:
    before = snapshot(world)
    count = 0
    for template in _id_reads():
        for odd in ODD_IDS:
            path = template.split("{", 1)[0] + odd + template.split("}", 1)[1]
            response = world.call("GET", path)
            count += 1
            assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])
            _message(response)
    for path, name in _query_reads():
        for odd in ODD_VALUES:
            response = world.call("GET", f"{path}?{name}={odd}")
            count += 1
            assert response.status_code < 500, (path, name, odd, response.text[:300])
            violations = default_checker().check(response.request, response)
            assert [v for v in violations if v.side == "response"] == [], (path, name, odd, violations)
            if response.status_code >= 400:
                _message(response)
    assert count > 300
    assert snapshot(world) == before
