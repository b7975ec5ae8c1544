"""Edge destinations and projections over HTTP: shapes, media types and errors (DOC-EP, DOC-TS)."""

from __future__ import annotations

from typing import Any

import pytest

DESTINATIONS = "/data/core/ups/config/destinations"
PROJECTIONS = "/data/core/ups/config/projections"
DESTINATION_TYPE = "application/vnd.adobe.platform.projectionDestination+json; version=1"
CONFIG_TYPE = "application/vnd.adobe.platform.projectionConfig+json; version=1"
MISSING = "http://ns.adobe.com/adobecloud/problem/missing-entity"
PROFILE = {"schemaName": "_xdm.context.profile"}


@pytest.fixture
def send(client, headers):  # type: ignore[no-untyped-def]
    def call(method: str, path: str, body: Any = None, content_type: str | None = None, **kwargs: Any) -> Any:
        sent = {**headers, **kwargs.pop("extra_headers", {})}
        if body is not None:
            sent["Content-Type"] = content_type or (
                CONFIG_TYPE if path.startswith(PROJECTIONS) else DESTINATION_TYPE
            )
            return client.request(method, path, headers=sent, json=body, **kwargs)
        return client.request(method, path, headers=sent, **kwargs)

    return call


@pytest.fixture
def destination(send):  # type: ignore[no-untyped-def]
    def make(*centers: str, **extra: Any) -> dict[str, Any]:
        response = send(
            "POST", DESTINATIONS, {"type": "EDGE", "dataCenters": list(centers or ["OR1"]), **extra}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    return make


@pytest.fixture
def projection(send):  # type: ignore[no-untyped-def]
    def make(
        destination_id: str, selector: str = "emails", schema: str = "_xdm.context.profile", **extra: Any
    ) -> Any:
        body = {"selector": selector, "destinationId": destination_id, **extra}
        return send("POST", PROJECTIONS, body, params={"schemaName": schema})

    return make


def test_listProjectionDestinations__empty_sandbox(send):  # type: ignore[no-untyped-def]
    response = send("GET", DESTINATIONS)
    assert response.status_code == 200
    assert (
        response.headers["content-type"]
        == "application/vnd.adobe.platform.projectionDestinationList+json; version=1"
    )
    assert response.json() == {
        "_links": {"self": {"href": DESTINATIONS, "templated": False}},
        "_embedded": {"projectionDestinations": []},
    }


def test_createProjectionDestination__201_with_self_link_and_defaults(send, destination):  # type: ignore[no-untyped-def]
    created = destination("VA5")
    assert created["self"] == {"href": f"{DESTINATIONS}/{created['id']}", "templated": False}
    assert created["version"] == 1
    assert created["ttl"] == 3600
    assert created["replicationPolicy"] == "REACTIVE"
    listed = send("GET", DESTINATIONS).json()["_embedded"]["projectionDestinations"]
    assert listed == [
        {**{k: v for k, v in created.items() if k != "self"}, "_links": {"self": created["self"]}}
    ]


def test_createProjectionDestination__unversioned_type_is_taken(send):  # type: ignore[no-untyped-def]
    body = {"type": "EDGE", "dataCenters": ["OR1"]}
    response = send("POST", DESTINATIONS, body, "application/vnd.adobe.platform.projectionDestination+json")
    assert response.status_code == 201
    assert response.headers["content-type"] == DESTINATION_TYPE


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/vnd.adobe.platform.projectionDestination+json; version=2",
        CONFIG_TYPE,
    ],
)
def test_createProjectionDestination__wrong_type_is_415_and_stores_nothing(send, content_type):  # type: ignore[no-untyped-def]
    response = send("POST", DESTINATIONS, {"type": "EDGE", "dataCenters": ["OR1"]}, content_type)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "HTTP 415 Unsupported Media Type"
    assert send("GET", DESTINATIONS).json()["_embedded"]["projectionDestinations"] == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"dataCenters": ["OR1"]}, "'type' is a required property"),
        ({"type": "EDGE", "dataCenters": ["XX"]}, "dataCenters"),
        ({"type": "EDGE", "dataCenters": []}, "dataCenters"),
        ({"type": "EDGE", "dataCenters": ["OR1"], "ttl": 60}, "ttl"),
        ({"type": "CLOUD", "dataCenters": ["OR1"]}, "type"),
        ({"type": "EDGE", "dataCenters": ["OR1"], "currentVersion": 1}, "currentVersion"),
    ],
)
def test_createProjectionDestination__bad_body_is_400_problem(send, body, named):  # type: ignore[no-untyped-def]
    response = send("POST", DESTINATIONS, body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == "about:blank"
    assert problem["title"] == "Bad Request"
    assert named in problem["detail"]


def test_retrieveProjectionDestination__unknown_is_documented_404(send):  # type: ignore[no-untyped-def]
    response = send("GET", f"{DESTINATIONS}/cef0e2ef-5249-4e25-be90-94f5797a2841")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == MISSING
    assert problem["title"] == "The projection destination has not yet been created."


def test_retrieveProjectionDestination__accept_without_json_is_406(send, destination):  # type: ignore[no-untyped-def]
    created = destination()
    response = send("GET", f"{DESTINATIONS}/{created['id']}", extra_headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert response.json()["title"] == "Not Acceptable"
    vendor = send("GET", f"{DESTINATIONS}/{created['id']}", extra_headers={"Accept": DESTINATION_TYPE})
    assert vendor.status_code == 200


def test_putProjectionDestination__rewrites_and_bumps_version(send, destination):  # type: ignore[no-untyped-def]
    created = destination("OR1", ttl=8000, replicationPolicy="PROACTIVE")
    path = f"{DESTINATIONS}/{created['id']}"
    response = send("PUT", path, {"type": "EDGE", "dataCenters": ["OR1", "VA5"], "currentVersion": 1})
    assert response.status_code == 200
    updated = response.json()
    assert updated["version"] == 2
    assert updated["dataCenters"] == ["OR1", "VA5"]
    assert updated["ttl"] == 3600
    assert updated["replicationPolicy"] == "REACTIVE"
    assert send("GET", path).json() == updated


def test_putProjectionDestination__stale_version_is_409_and_changes_nothing(send, destination):  # type: ignore[no-untyped-def]
    path = f"{DESTINATIONS}/{destination()['id']}"
    assert send("PUT", path, {"type": "EDGE", "dataCenters": ["VA5"], "currentVersion": 1}).status_code == 200
    response = send("PUT", path, {"type": "EDGE", "dataCenters": ["NLD1"], "currentVersion": 1})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "currentVersion 1 does not match the stored version 2 of the projection destination.",
    }
    assert send("GET", path).json()["dataCenters"] == ["VA5"]


def test_putProjectionDestination__missing_current_version_is_400(send, destination):  # type: ignore[no-untyped-def]
    path = f"{DESTINATIONS}/{destination()['id']}"
    response = send("PUT", path, {"type": "EDGE", "dataCenters": ["VA5"]})
    assert response.status_code == 400
    assert "currentVersion" in response.json()["detail"]


def test_putProjectionDestination__unknown_is_404_no_upsert(send):  # type: ignore[no-untyped-def]
    response = send(
        "PUT", f"{DESTINATIONS}/nope", {"type": "EDGE", "dataCenters": ["OR1"], "currentVersion": 1}
    )
    assert response.status_code == 404
    assert response.json()["type"] == MISSING
    assert send("GET", DESTINATIONS).json()["_embedded"]["projectionDestinations"] == []


def test_deleteProjectionDestination__204_then_404(send, destination):  # type: ignore[no-untyped-def]
    path = f"{DESTINATIONS}/{destination()['id']}"
    response = send("DELETE", path)
    assert response.status_code == 204
    assert response.content == b""
    assert send("GET", path).status_code == 404
    assert send("DELETE", path).status_code == 404


def test_deleteProjectionDestination__in_use_is_409(send, destination, projection):  # type: ignore[no-untyped-def]
    created = destination()
    config = projection(created["id"]).json()
    response = send("DELETE", f"{DESTINATIONS}/{created['id']}")
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "about:blank"
    assert config["id"] in problem["detail"]
    assert send("GET", f"{DESTINATIONS}/{created['id']}").status_code == 200


def test_createProjectionConfiguration__201_embeds_destination(send, destination, projection):  # type: ignore[no-untyped-def]
    created = destination()
    response = projection(
        created["id"], "emails,person(firstName)", name="my_test_projection", mergePolicyId="mp-1"
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == CONFIG_TYPE
    body = response.json()
    assert body["_links"] == {
        "destination": {"href": f"{DESTINATIONS}/{created['id']}", "templated": False},
        "self": {"href": f"{PROJECTIONS}/{body['id']}", "templated": False},
    }
    assert body["_embedded"]["destination"] == created
    assert body["version"] == 1
    assert body["schemaName"] == "_xdm.context.profile"
    assert body["mergePolicyId"] == "mp-1"
    assert body["name"] == "my_test_projection"
    assert send("GET", f"{PROJECTIONS}/{body['id']}").json() == body


def test_createProjectionConfiguration__current_version_is_ignored(send, destination, projection):  # type: ignore[no-untyped-def]
    response = projection(destination()["id"], currentVersion=5)
    assert response.status_code == 201
    assert response.json()["version"] == 1


@pytest.mark.parametrize("selector", ["person(firstName", "a),b", "a(b)),c"])
def test_createProjectionConfiguration__unbalanced_selector_is_422(send, destination, projection, selector):  # type: ignore[no-untyped-def]
    response = projection(destination()["id"], selector)
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Unprocessable Entity"
    assert "selector" in problem["detail"]
    assert send("GET", PROJECTIONS).json()["_embedded"]["projectionConfigs"] == []


@pytest.mark.parametrize("selector", ["emails, person", "a,,b", "a.", "a()", "a(b).c", "a\n", " a"])
def test_createProjectionConfiguration__selector_off_pattern_is_400(send, destination, projection, selector):  # type: ignore[no-untyped-def]
    response = projection(destination()["id"], selector)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "selector" in response.json()["detail"]
    assert send("GET", PROJECTIONS).json()["_embedded"]["projectionConfigs"] == []


def test_createProjectionConfiguration__needs_schema_name(send, destination):  # type: ignore[no-untyped-def]
    response = send("POST", PROJECTIONS, {"selector": "a", "destinationId": destination()["id"]})
    assert response.status_code == 400
    assert "schemaName" in response.json()["detail"]


def test_createProjectionConfiguration__unknown_destination_is_documented_404(projection):  # type: ignore[no-untyped-def]
    response = projection("cc5a3bd1-f2b9-4965-b9bd-4e7416a02cd4")
    assert response.status_code == 404
    assert response.json()["title"] == "The projection destination has not yet been created."


def test_createProjectionConfiguration__name_taken_in_class_is_409(destination, projection):  # type: ignore[no-untyped-def]
    destination_id = destination()["id"]
    assert projection(destination_id, name="web").status_code == 201
    conflict = projection(destination_id, name="web")
    assert conflict.status_code == 409
    assert conflict.json()["detail"].startswith("Projection config already exists")
    assert projection(destination_id, schema="_xdm.context.experienceevent", name="web").status_code == 201


def test_listProjectionConfigurations__filters(send, destination, projection):  # type: ignore[no-untyped-def]
    destination_id = destination()["id"]
    a = projection(destination_id, name="a").json()
    projection(destination_id, name="b")
    event = projection(destination_id, schema="_xdm.context.experienceevent", name="a").json()

    def ids(**query: str) -> list[str]:
        response = send("GET", PROJECTIONS, params=query)
        assert response.status_code == 200
        assert (
            response.headers["content-type"]
            == "application/vnd.adobe.platform.projectionConfigList+json; version=1"
        )
        assert response.json()["_links"]["self"]["href"] == PROJECTIONS
        return [p["id"] for p in response.json()["_embedded"]["projectionConfigs"]]

    assert len(ids()) == 3
    assert len(ids(**PROFILE)) == 2
    assert ids(**PROFILE, name="a") == [a["id"]]
    assert ids(schemaName="_xdm.context.experienceevent", name="a") == [event["id"]]
    assert ids(**PROFILE, name="zzz") == []
    response = send("GET", PROJECTIONS, params={"name": "a"})
    assert response.status_code == 400
    assert response.json()["detail"] == "The query parameter name requires the query parameter schemaName."


def test_updateProjectionConfiguration__rewrite_and_conflicts(send, destination, projection):  # type: ignore[no-untyped-def]
    first, second = destination()["id"], destination("NLD1")["id"]
    projection(first, name="taken")
    config = projection(first, "emails", name="mine").json()
    path = f"{PROJECTIONS}/{config['id']}"
    base = {
        "selector": "emails,person(lastName)",
        "name": "mine",
        "destinationId": second,
        "currentVersion": 1,
    }

    assert send("PUT", path, {**base, "name": "taken"}).status_code == 409
    assert send("PUT", path, {**base, "currentVersion": 3}).status_code == 409
    assert send("PUT", path, {**base, "destinationId": "nope"}).status_code == 404
    assert send("PUT", path, {**base, "selector": "a b"}).status_code == 400
    assert send("PUT", path, {**base, "selector": "a(b"}).status_code == 422
    assert send("GET", path).json() == config

    response = send("PUT", path, base)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert body["destinationId"] == second
    assert body["_embedded"]["destination"]["dataCenters"] == ["NLD1"]
    # "taken" still points at the first destination.
    assert send("DELETE", f"{DESTINATIONS}/{first}").status_code == 409
    assert send("PUT", f"{PROJECTIONS}/nope", base).json()["title"] == (
        "The projection configuration has not yet been created."
    )


def test_updateProjectionConfiguration__what_get_returned_is_taken_back(send, destination, projection):  # type: ignore[no-untyped-def]
    # The server-owned fields (`_links`, `_embedded`, `id`, `version`, `schemaName`) are readOnly in
    # the request schema: a client may send back what it read, with its changes.
    created = projection(destination()["id"], "emails", name="mine").json()
    path = f"{PROJECTIONS}/{created['id']}"
    read = send("GET", path).json()
    response = send("PUT", path, {**read, "selector": "emails,person(lastName)", "schemaName": "other"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["selector"] == "emails,person(lastName)"
    assert body["version"] == 2
    assert body["schemaName"] == "_xdm.context.profile"
    assert body["id"] == created["id"]


def test_putProjectionDestination__what_get_returned_is_taken_back(send, destination):  # type: ignore[no-untyped-def]
    created = destination()
    path = f"{DESTINATIONS}/{created['id']}"
    read = send("GET", path).json()
    changed = {**read, "dataCenters": ["VA5"], "currentVersion": read["version"], "id": "other", "version": 9}
    response = send("PUT", path, changed)
    assert response.status_code == 200, response.text
    assert response.json()["dataCenters"] == ["VA5"]
    assert response.json()["version"] == 2
    assert response.json()["id"] == created["id"]
    listed = send("GET", DESTINATIONS).json()["_embedded"]["projectionDestinations"][0]
    again = send("PUT", path, {**listed, "currentVersion": 2})
    assert again.status_code == 200, again.text


def test_deleteProjectionConfiguration__204_then_404(send, destination, projection):  # type: ignore[no-untyped-def]
    path = f"{PROJECTIONS}/{projection(destination()['id']).json()['id']}"
    response = send("DELETE", path)
    assert response.status_code == 204
    assert response.content == b""
    missing = send("GET", path)
    assert missing.status_code == 404
    assert missing.json()["type"] == MISSING
    assert send("DELETE", path).status_code == 404


def test_edge__nothing_crosses_sandboxes(send, destination):  # type: ignore[no-untyped-def]
    created = destination()
    other = {"extra_headers": {"x-sandbox-name": "dev"}}
    assert send("GET", f"{DESTINATIONS}/{created['id']}", **other).status_code == 404
    assert send("GET", DESTINATIONS, **other).json()["_embedded"]["projectionDestinations"] == []


def test_updateProjectionConfiguration__without_current_version_is_taken(send, destination, projection):  # type: ignore[no-untyped-def]
    # SPEC-2023: currentVersion is optional; without it the rewrite is not checked against `version`.
    destination_id = destination()["id"]
    path = f"{PROJECTIONS}/{projection(destination_id).json()['id']}"
    body = {"selector": "emails,person(firstName)", "destinationId": destination_id}
    response = send("PUT", path, body)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["selector"] == body["selector"]
    assert send("PUT", path, body).json()["version"] == 3
    stale = send("PUT", path, {**body, "currentVersion": 2})
    assert stale.status_code == 409
    assert send("GET", path).json()["version"] == 3


EDGE_WRITES = [
    ("POST", DESTINATIONS, {"type": "EDGE", "dataCenters": ["OR1"]}, {}),
    (
        "PUT",
        f"{DESTINATIONS}/{{destination}}",
        {"type": "EDGE", "dataCenters": ["VA5"], "currentVersion": 1},
        {},
    ),
    ("POST", PROJECTIONS, {"selector": "emails", "destinationId": "{destination}"}, PROFILE),
    ("PUT", f"{PROJECTIONS}/{{projection}}", {"selector": "emails", "destinationId": "{destination}"}, {}),
]


@pytest.mark.parametrize(("method", "template", "body", "params"), EDGE_WRITES)
def test_edge_writes__application_json_is_415_by_default(  # type: ignore[no-untyped-def]
    send, destination, projection, method, template, body, params
):
    # DOC-EP and DOC-TS: the edge services take their vendor types only; application/json gets 415.
    ids = {"destination": destination()["id"]}
    ids["projection"] = projection(ids["destination"]).json()["id"]
    path = template.format(**ids)
    sent = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    before = send("GET", path if method == "PUT" else template.format(**ids), params=params)
    response = send(method, path, sent, content_type="application/json", params=params)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "http://ns.adobe.com/adobecloud/problem/unsupported-media-type"
    vendor = "projectionConfig" if "projections" in template else "projectionDestination"
    assert problem["detail"] == (
        f"Content-Type application/json is not accepted; use application/vnd.adobe.platform.{vendor}+json"
    )
    assert send("GET", path if method == "PUT" else template.format(**ids), params=params).json() == (
        before.json()
    )


@pytest.mark.parametrize(("method", "template", "body", "params"), EDGE_WRITES)
def test_edge_writes__application_json_taken_when_lenient(headers, method, template, body, params):  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from profile_harness.app import create_app
    from profile_harness.options import HarnessOptions

    json_headers = {**headers, "Content-Type": "application/json"}
    with TestClient(create_app(options=HarnessOptions(lenient_media_types=True))) as lenient:
        ids = {
            "destination": lenient.post(
                DESTINATIONS, headers=json_headers, json={"type": "EDGE", "dataCenters": ["OR1"]}
            ).json()["id"]
        }
        ids["projection"] = lenient.post(
            PROJECTIONS,
            headers=json_headers,
            params=PROFILE,
            json={"selector": "a", "destinationId": ids["destination"]},
        ).json()["id"]
        sent = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
        response = lenient.request(
            method, template.format(**ids), headers=json_headers, json=sent, params=params
        )
        assert response.status_code in (200, 201), response.text
        assert response.headers["content-type"].startswith("application/vnd.adobe.platform.projection")
        # Only application/json is relaxed: other types and other versions are still 415.
        for other in ("text/plain", DESTINATION_TYPE.replace("version=1", "version=2")):
            refused = lenient.request(
                method,
                template.format(**ids),
                headers={**json_headers, "Content-Type": other},
                json=sent,
                params=params,
            )
            assert refused.status_code == 415, (other, refused.text)
