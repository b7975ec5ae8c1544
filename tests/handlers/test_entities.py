"""Entity lookups over HTTP: stitching, both merge types, fields, events, paging, delete, errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import policy, profile_dataset, tenant_doc

E = "/data/core/ups/access/entities"
PROFILE = "_xdm.context.profile"
EVENTS = "_xdm.context.experienceevent"

WORLD = tenant_doc(
    datasets=[
        profile_dataset(
            "crm",
            "2024-05-01T10:00:00Z",
            {
                "identityMap": {
                    "email": [{"id": "jane@example.com", "primary": True}],
                    "crmid": [{"id": "C-1"}],
                },
                "person": {"name": {"firstName": "Jane"}},
                "homeAddress": {"city": "Paris"},
            },
        ),
        profile_dataset(
            "loyalty",
            "2024-06-01T10:00:00Z",
            {
                "identityMap": {"crmid": [{"id": "C-1"}], "loyaltyid": [{"id": "L-1"}]},
                "homeAddress": {"city": "Lyon"},
                "points": 7,
            },
        ),
        profile_dataset(
            "web",
            "2024-06-10T00:00:00Z",
            *[
                {
                    "_id": f"e{i}",
                    "timestamp": f"2024-06-0{i}T10:00:00Z",
                    "identityMap": {
                        "ecid": [{"id": "111"}],
                        **({"email": [{"id": "jane@example.com"}]} if i == 1 else {}),
                    },
                    "eventType": "commerce.purchases" if i % 2 else "web.webpagedetails.pageViews",
                    "commerce": {"order": {"priceTotal": i * 10}},
                }
                for i in range(1, 6)
            ],
            cls=EVENTS,
        ),
    ],
    mergePolicies=[
        policy("ts-pdg", "pdg", "timestampOrdered", default=True),
        policy("dp-none", "none", "dataSetPrecedence", order=["crm", "loyalty"]),
    ],
)


@pytest.fixture
def world(client):  # type: ignore[no-untyped-def]
    assert client.post("/__admin/fixtures", json=WORLD).status_code == 200
    return client


def _get(client: Any, headers: dict[str, str], **params: Any) -> Any:
    return client.get(E, headers=headers, params={"schema.name": PROFILE, **params})


def _only(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body) == 1
    return next(iter(body.values()))  # type: ignore[no-any-return]


def test_retrieveEntity__stitched_profile_has_fields_of_both_datasets(world, headers):  # type: ignore[no-untyped-def]
    record = _only(_get(world, headers, entityId="jane@example.com", entityIdNS="Email").json())
    assert record["sources"] == ["crm", "loyalty"]
    assert record["entity"]["person"]["name"]["firstName"] == "Jane"
    assert record["entity"]["points"] == 7
    assert record["entity"]["homeAddress"]["city"] == "Lyon"  # the later fragment wins
    assert record["lastModifiedAt"] == "2024-06-01T10:00:00Z"


def test_retrieveEntity__other_policy_shows_the_difference(world, headers):  # type: ignore[no-untyped-def]
    record = _only(
        _get(world, headers, entityId="jane@example.com", entityIdNS="email", mergePolicyId="dp-none").json()
    )
    assert record["sources"] == ["crm"]  # no stitching: the loyalty fragment is not reached
    assert record["entity"]["homeAddress"]["city"] == "Paris"
    assert "points" not in record["entity"]


def test_retrieveEntity__by_xid_and_fields(world, headers):  # type: ignore[no-untyped-def]
    first = _get(world, headers, entityId="L-1", entityIdNS="LOYALTYID").json()
    xid = next(iter(first))
    again = _get(world, headers, entityId=xid, fields="homeAddress.city,points").json()
    assert again[xid]["entity"] == {"homeAddress": {"city": "Lyon"}, "points": 7}


def test_retrieveEntity__unknown_identity_is_404(world, headers):  # type: ignore[no-untyped-def]
    response = _get(world, headers, entityId="nobody@example.com", entityIdNS="email")
    assert response.status_code == 404
    assert response.json()["statusCode"] == "404"


def test_retrieveEntity__no_default_policy_is_422(client, headers):  # type: ignore[no-untyped-def]
    doc = {**WORLD, "tenants": [{**WORLD["tenants"][0], "mergePolicies": []}]}
    client.post("/__admin/fixtures", json=doc)
    response = _get(client, headers, entityId="jane@example.com", entityIdNS="email")
    assert response.status_code == 422
    assert "default merge policy" in response.json()["message"]


def test_retrieveEntity__missing_entity_id_is_400(world, headers):  # type: ignore[no-untyped-def]
    assert _get(world, headers).status_code == 400
    missing_schema = world.get(E, headers=headers, params={"entityId": "x"})
    assert missing_schema.status_code == 400
    assert set(missing_schema.json()) >= {"message", "statusCode"}


def _events(client: Any, headers: dict[str, str], **params: Any) -> Any:
    base = {
        "schema.name": EVENTS,
        "relatedSchema.name": PROFILE,
        "relatedEntityId": "C-1",
        "relatedEntityIdNS": "crmid",
    }
    return client.get(E, headers=headers, params={**base, **params})


def test_retrieveEntity__events_follow_next_links_to_the_end(world, headers):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    page = _events(world, headers, limit=2).json()
    while True:
        seen += [child["entityId"] for child in page["children"]]
        href = page["_links"]["next"]["href"]
        if not href:
            assert page["_page"]["next"] == ""
            break
        page = world.get("/data/core/ups/access" + href, headers=headers).json()
    assert seen == ["e1", "e2", "e3", "e4", "e5"]


def test_retrieveEntity__events_window_order_and_filters(world, headers):  # type: ignore[no-untyped-def]
    start, end = 1717322400000, 1717495200000  # 2024-06-02T10:00Z inclusive .. 2024-06-04T10:00Z exclusive
    window = _events(world, headers, startTime=start, endTime=end, orderby="-timestamp").json()
    assert [c["entityId"] for c in window["children"]] == ["e3", "e2"]
    filtered = _events(
        world, headers, property=["commerce.order.priceTotal>=30", "eventType=commerce.purchases"]
    )
    assert [c["entityId"] for c in filtered.json()["children"]] == ["e3", "e5"]
    too_many = _events(world, headers, property=["a=1", "b=2", "c=3", "d=4"])
    assert too_many.status_code == 400


def test_retrieveEntity__events_without_stitching_stay_with_the_identity(world, headers):  # type: ignore[no-untyped-def]
    response = _events(world, headers, mergePolicyId="dp-none")
    assert response.status_code == 404  # C-1 itself has no events; only the stitched ECID does


def test_retrieveMultipleEntities__unknown_identity_and_207(world, headers):  # type: ignore[no-untyped-def]
    body = {
        "schema": {"name": PROFILE},
        "identities": [
            {"entityId": "jane@example.com", "entityIdNS": {"code": "email"}},
            {"entityId": "ghost@example.com", "entityIdNS": {"code": "email"}},
        ],
    }
    result = world.post(E, headers=headers, json=body)
    assert result.status_code == 200
    ghost = [r for r in result.json().values() if r["sources"] == [""]]
    assert ghost
    assert ghost[0]["entity"] == {}
    assert ghost[0]["lastModifiedAt"] == "1970-01-01T00:00:00Z"
    body["identities"].append({"entityId": "not-an-xid"})
    partial = world.post(E, headers=headers, json=body)
    assert partial.status_code == 207
    assert partial.json()[0]["xid"] == "not-an-xid"


def test_retrieveMultipleEntities__event_pages_follow_payloads(world, headers):  # type: ignore[no-untyped-def]
    xid = next(iter(_get(world, headers, entityId="C-1", entityIdNS="crmid").json()))
    body = {
        "schema": {"name": EVENTS},
        "relatedSchema": {"name": PROFILE},
        "identities": [{"relatedEntityId": xid}],
        "limit": 3,
    }
    seen: list[str] = []
    while True:
        page = world.post(E, headers=headers, json=body).json()[xid]
        seen += [c["entityId"] for c in page["children"]]
        if not page["_page"]["next"]:
            break
        body = page["_links"]["next"]["payload"]
    assert seen == ["e1", "e2", "e3", "e4", "e5"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_entities__empty_entity_id_is_refused_by_the_schema(world, headers, method):  # type: ignore[no-untyped-def]
    # entityId has minLength 1: the validator's 400, in the entities service's error shape.
    response = world.request(method, E, headers=headers, params={"schema.name": PROFILE, "entityId": ""})
    assert response.status_code == 400
    assert response.json()["statusCode"] == "400"
    assert "entityId" in response.json()["message"]


@pytest.mark.parametrize("bad", ["=1", "a b=1", "points", "po ints>1", "a/b=1", "\x1ca=1", "\ta=1"])
def test_retrieveEntity__property_outside_the_schema_pattern_is_400(world, headers, bad):  # type: ignore[no-untyped-def]
    response = _events(world, headers, property=[bad])
    assert response.status_code == 400
    assert response.json()["statusCode"] == "400"


def test_retrieveEntity__property_value_may_hold_line_breaks(world, headers):  # type: ignore[no-untyped-def]
    # The schema's pattern constrains the path and the operator; the value is any (URL-decoded) text.
    response = _events(world, headers, property=["eventType != a\nb", "commerce.order.priceTotal>=30"])
    assert response.status_code == 200, response.text
    assert [c["entityId"] for c in response.json()["children"]] == ["e3", "e4", "e5"]


def test_retrieveEntity__id_without_namespace_that_is_no_xid_is_404(world, headers):  # type: ignore[no-untyped-def]
    response = _get(world, headers, entityId="jane@example.com")
    assert response.status_code == 404
    assert response.json()["statusCode"] == "404"
    assert "entityIdNS" in response.json()["message"]


@pytest.mark.parametrize(
    "identity", [{"entityId": "nobody@example.com", "entityIdNS": "email"}, {"entityId": "NotAnXid"}]
)
def test_deleteEntity__unknown_identity_is_404_before_the_merge_policy(world, headers, identity):  # type: ignore[no-untyped-def]
    params = {"schema.name": PROFILE, "mergePolicyId": "no-such-policy", **identity}
    response = world.delete(E, headers=headers, params=params)
    assert response.status_code == 404
    known = {"schema.name": PROFILE, "entityId": "L-1", "entityIdNS": "loyaltyid", "mergePolicyId": "nope"}
    assert world.delete(E, headers=headers, params=known).status_code == 422
    assert _get(world, headers, entityId="jane@example.com", entityIdNS="email").status_code == 200


def test_deleteEntity__removes_the_profile(world, headers):  # type: ignore[no-untyped-def]
    response = world.delete(
        E, headers=headers, params={"schema.name": PROFILE, "entityId": "L-1", "entityIdNS": "loyaltyid"}
    )
    assert response.status_code == 202
    assert response.content == b""
    assert _get(world, headers, entityId="jane@example.com", entityIdNS="email").status_code == 404
    assert _events(world, headers).status_code in (404, 422)


def test_entities__tenants_are_isolated(world, headers):  # type: ignore[no-untyped-def]
    other = {**headers, "x-sandbox-name": "dev"}
    # The other sandbox has Platform's default policy and none of this sandbox's data.
    assert _get(world, other, entityId="jane@example.com", entityIdNS="email").status_code == 404


def test_retrieveEntity__event_lookup_needs_related_schema(world, headers):  # type: ignore[no-untyped-def]
    params = {"schema.name": EVENTS, "relatedEntityId": "C-1", "relatedEntityIdNS": "crmid"}
    response = world.get(E, headers=headers, params=params)
    assert response.status_code == 400
    assert response.json()["statusCode"] == "400"
    assert "relatedSchema.name" in response.json()["message"]


@pytest.mark.parametrize("related", [None, {}, {"name": ""}])
def test_retrieveMultipleEntities__event_lookup_needs_related_schema(world, headers, related):  # type: ignore[no-untyped-def]
    # The request schema states the rule (EntityLookupRequest's anyOf), so the validator answers it.
    body: dict[str, Any] = {
        "schema": {"name": EVENTS},
        "identities": [{"relatedEntityId": "C-1", "entityIdNS": {"code": "crmid"}}],
    }
    if related is not None:
        body["relatedSchema"] = related
    response = world.post(E, headers=headers, json=body)
    assert response.status_code == 400
    assert response.json()["statusCode"] == "400"
    assert (
        "relatedSchema" in response.json()["message"]
        or "any of the given schemas" in response.json()["message"]
    )


def test_retrieveEntity__property_filters_only_events(world, headers):  # type: ignore[no-untyped-def]
    response = _get(world, headers, entityId="jane@example.com", entityIdNS="email", property="points>1")
    assert response.status_code == 400
    assert "property" in response.json()["message"]


@pytest.mark.parametrize(
    ("sent", "echoed"), [("-timestamp", "-timestamp"), ("+timestamp", "+timestamp"), (None, "timestamp")]
)
def test_retrieveEntity__events_page_echoes_the_order_as_sent(world, headers, sent, echoed):  # type: ignore[no-untyped-def]
    params = {} if sent is None else {"orderby": sent}
    page = _events(world, headers, limit=2, **params).json()
    assert page["_page"]["orderby"] == echoed
    assert [c["entityId"] for c in page["children"]] == (
        ["e5", "e4"] if echoed == "-timestamp" else ["e1", "e2"]
    )
    following = world.get("/data/core/ups/access" + page["_links"]["next"]["href"], headers=headers).json()
    assert following["_page"]["orderby"] == echoed


def test_retrieveMultipleEntities__events_page_echoes_the_order_as_sent(world, headers):  # type: ignore[no-untyped-def]
    xid = next(iter(_get(world, headers, entityId="C-1", entityIdNS="crmid").json()))
    body: dict[str, Any] = {
        "schema": {"name": EVENTS},
        "relatedSchema": {"name": PROFILE},
        "identities": [{"relatedEntityId": xid}],
    }
    assert world.post(E, headers=headers, json=body).json()[xid]["_page"]["orderby"] == "timestamp"
    body["orderby"] = "-timestamp"
    assert world.post(E, headers=headers, json=body).json()[xid]["_page"]["orderby"] == "-timestamp"


def test_entities__events_come_only_from_the_event_datasets_a_policy_lists(client, headers):  # type: ignore[no-untyped-def]
    app_event = {
        "_id": "app-1",
        "timestamp": "2024-06-07T10:00:00Z",
        "identityMap": {"ecid": [{"id": "111"}]},
        "eventType": "application.launch",
    }
    listed = policy("dp-app", "pdg", "dataSetPrecedence", order=["crm", "loyalty", "app"])
    tenant = WORLD["tenants"][0]
    doc = {
        "tenants": [
            {
                **tenant,
                "datasets": [
                    *tenant["datasets"],
                    profile_dataset("app", "2024-06-10T00:00:00Z", app_event, cls=EVENTS),
                ],
                "mergePolicies": [*tenant["mergePolicies"], listed],
            }
        ]
    }
    assert client.post("/__admin/fixtures", json=doc).status_code == 200
    listed_only = _events(client, headers, mergePolicyId="dp-app").json()
    assert [c["entityId"] for c in listed_only["children"]] == ["app-1"]  # the web dataset is not in `order`
    everything = _events(client, headers).json()
    assert [c["entityId"] for c in everything["children"]] == ["e1", "e2", "e3", "e4", "e5", "app-1"]
    xid = next(iter(_get(client, headers, entityId="C-1", entityIdNS="crmid").json()))
    body = {
        "schema": {"name": EVENTS},
        "relatedSchema": {"name": PROFILE},
        "mergePolicyId": "dp-app",
        "identities": [{"relatedEntityId": xid}],
    }
    page = client.post(E, headers=headers, json=body).json()[xid]
    assert [c["entityId"] for c in page["children"]] == ["app-1"]


def test_retrieveEntity__fields_reach_into_arrays(world, headers):  # type: ignore[no-untyped-def]
    record = _only(
        _get(
            world, headers, entityId="jane@example.com", entityIdNS="email", fields="identityMap.email.id"
        ).json()
    )
    assert record["entity"] == {"identityMap": {"email": [{"id": "jane@example.com"}]}}
    page = _events(world, headers, limit=1, fields="identityMap.ecid.id,commerce.order").json()
    assert page["children"][0]["entity"] == {
        "identityMap": {"ecid": [{"id": "111"}]},
        "commerce": {"order": {"priceTotal": 10}},
    }
