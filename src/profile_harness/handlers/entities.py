"""Entities (profile access): /data/core/ups/access/entities, GET one, POST many, DELETE."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from profile_harness import context
from profile_harness.errors import ApiError, BadRequest, NotFound
from profile_harness.store.clock import xid_for
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS
from profile_harness.store.identity import Identity
from profile_harness.store.profiles import (
    EventPage,
    EventQuery,
    ProfileBackend,
    PropertyFilter,
    iso_utc,
    project,
)

Answer = tuple[Any, int]
B2B_CLASSES = ("_xdm.context.account", "_xdm.context.opportunity")
MAX_PROPERTY_FILTERS = 3
UNKNOWN_LAST_MODIFIED = "1970-01-01T00:00:00Z"


def _fields(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if item.strip()]


def _record(
    profiles: ProfileBackend,
    schema: str,
    identity: Identity,
    policy_id: str | None,
    fields: list[str],
    with_ca: bool = False,
) -> dict[str, Any]:
    policy = profiles.policy(schema, policy_id)
    xid = xid_for(*identity)
    view = profiles.view(schema, identity, policy, xid)
    if view.merged is None:
        # The documented body for an identity the Profile store does not know (DOC-ENT).
        return {"entityId": xid, "sources": [""], "entity": {}, "lastModifiedAt": UNKNOWN_LAST_MODIFIED}
    entity = view.merged.entity
    if with_ca and schema == PROFILE_CLASS:
        # withCA: computed attribute values join the profile at _<tenant>.ComputedAttributes.
        entity = context.tenant().computed_attributes.attach(entity, view.related)
    body: dict[str, Any] = {
        "entityId": xid,
        # B2B entities are entity-resolved; DOC-ENT shows their source as er_m_attr.
        "sources": ["er_m_attr"] if schema in B2B_CLASSES else view.merged.sources,
        "entity": project(entity, fields),
        "lastModifiedAt": iso_utc(view.merged.last_modified_ms),
    }
    if schema in B2B_CLASSES:
        body["mergePolicy"] = {"id": policy.id}
    return body


def _event_page_body(
    page: EventPage, fields: list[str], next_href: str, payload: dict[str, Any] | None
) -> dict[str, Any]:
    children = [
        {
            "relatedEntityId": page.related_xid,
            "entityId": event_id,
            "timestamp": timestamp,
            "entity": project(fragment.record, fields),
            "lastModifiedAt": iso_utc(fragment.updated_ms),
        }
        for event_id, timestamp, fragment in page.events
    ]
    links: dict[str, Any] = {"href": next_href if page.next_cursor else ""}
    if payload is not None and page.next_cursor:
        links["payload"] = payload
    return {
        "_page": {
            "orderby": "timestamp",
            "start": children[0]["entityId"] if children else "",
            "count": len(children),
            "next": page.next_cursor,
        },
        "children": children,
        "_links": {"next": links},
    }


def _event_query(
    *,
    start_ms: int | None,
    end_ms: int | None,
    orderby: str | None,
    limit: int | None,
    cursor: str | None,
    properties: list[str],
    fields: list[str],
) -> EventQuery:
    if len(properties) > MAX_PROPERTY_FILTERS:
        raise BadRequest(
            f"at most {MAX_PROPERTY_FILTERS} property filters are allowed, got {len(properties)}"
        )
    if start_ms is not None and end_ms is not None and end_ms < start_ms:
        raise BadRequest("endTime is before startTime")
    return EventQuery(
        start_ms=start_ms,
        end_ms=end_ms,
        descending=(orderby or "").strip().startswith("-"),
        limit=limit or 1000,
        cursor=cursor or None,
        filters=tuple(PropertyFilter.parse(p) for p in properties),
        fields=tuple(fields),
    )


async def retrieveEntity(**q: Any) -> Answer:
    """GET /access/entities: one entity keyed by its XID, or one page of a profile's events."""
    profiles = context.tenant().profiles
    schema = q["schemaname"]
    fields = _fields(q.get("fields"))
    if schema == EVENT_CLASS:
        return _events_get(profiles, q, fields), 200
    entity_id = q.get("entityId")
    if not entity_id:
        raise BadRequest("entityId is required for " + schema)
    namespace = q.get("entityIdNS") or q.get("entityIdNs")
    identity = profiles.identity(entity_id, namespace)
    body = _record(profiles, schema, identity, q.get("mergePolicyId"), fields, q.get("withCA") is True)
    if body["entity"] == {} and body["sources"] == [""]:
        raise NotFound(f"No {schema} entity matches {entity_id}", cause="XDM objects not found.")
    return {body["entityId"]: body}, 200


def _events_get(profiles: ProfileBackend, q: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    related_id = q.get("relatedEntityId")
    if not related_id:
        raise BadRequest("relatedEntityId is required to look up experience events")
    related_schema = q.get("relatedSchemaname") or PROFILE_CLASS
    policy = profiles.policy(related_schema, q.get("mergePolicyId"))
    identity = profiles.identity(related_id, q.get("relatedEntityIdNS"))
    orderby = q.get("orderby") or q.get("orderBy")
    query = _event_query(
        start_ms=q.get("startTime"),
        end_ms=q.get("endTime"),
        orderby=orderby,
        limit=q.get("limit"),
        cursor=q.get("start"),
        properties=list(q.get("property") or []),
        fields=fields,
    )
    page = profiles.events(profiles.related(identity, policy), xid_for(*identity), query)
    if not page.events and not query.cursor:
        raise NotFound(f"No experience events match {related_id}", cause="XDM objects not found.")
    params: dict[str, Any] = {
        "start": page.next_cursor,
        "orderby": orderby or "timestamp",
        "schema.name": EVENT_CLASS,
    }
    params["relatedSchema.name"] = related_schema
    params["relatedEntityId"] = related_id
    for name in ("relatedEntityIdNS", "mergePolicyId", "fields", "startTime", "endTime", "limit"):
        if q.get(name) is not None:
            params[name] = q[name]
    href = "/entities?" + urlencode(params)
    if q.get("property"):
        href += "&" + urlencode([("property", p) for p in q["property"]])
    return _event_page_body(page, fields, href, None)


async def retrieveMultipleEntities(body: dict[str, Any]) -> Answer:
    """POST /access/entities: several entities (or event pages) at once; 207 lists the ones that failed."""
    profiles = context.tenant().profiles
    schema = body["schema"]["name"]
    fields = _fields(body.get("fields"))
    # A missing policy fails the whole call (422), not each identity.
    related_schema = (body.get("relatedSchema") or {}).get("name") or PROFILE_CLASS
    profiles.policy(related_schema if schema == EVENT_CLASS else schema, body.get("mergePolicyId"))
    results: dict[str, Any] = {}
    failures: list[dict[str, Any]] = []
    for item in body["identities"]:
        label = item.get("entityId") or item.get("relatedEntityId") or ""
        try:
            if schema == EVENT_CLASS:
                xid, page = _events_post(profiles, body, item, fields)
                results[xid] = page
                continue
            if not item.get("entityId"):
                raise BadRequest("each identity needs an entityId")
            namespace = (item.get("entityIdNS") or {}).get("code")
            identity = profiles.identity(item["entityId"], namespace)
            record = _record(
                profiles, schema, identity, body.get("mergePolicyId"), fields, body.get("withCA") is True
            )
            if schema in B2B_CLASSES:
                record["requestedIdentity"] = {k: item[k] for k in ("entityId", "entityIdNS") if k in item}
            results[record["entityId"]] = record
        except ApiError as exc:
            error: dict[str, Any] = {"message": exc.message, "statusCode": str(exc.status)}
            if exc.cause:
                error["cause"] = exc.cause
            failures.append({"xid": label, "error": error})
    if failures:
        return failures, 207
    return results, 200


def _events_post(
    profiles: ProfileBackend, body: dict[str, Any], item: dict[str, Any], fields: list[str]
) -> tuple[str, dict[str, Any]]:
    related_id = item.get("relatedEntityId") or item.get("entityId")
    if not related_id:
        raise BadRequest("each identity of an event lookup needs a relatedEntityId")
    related_schema = (body.get("relatedSchema") or {}).get("name") or PROFILE_CLASS
    policy = profiles.policy(related_schema, body.get("mergePolicyId"))
    namespace = (item.get("entityIdNS") or {}).get("code")
    identity = profiles.identity(related_id, namespace)
    window = body.get("timeFilter") or {}
    query = _event_query(
        start_ms=window.get("startTime"),
        end_ms=window.get("endTime"),
        orderby=body.get("orderby") or body.get("orderBy"),
        limit=body.get("limit"),
        cursor=item.get("start"),
        properties=[],
        fields=fields,
    )
    xid = xid_for(*identity)
    page = profiles.events(profiles.related(identity, policy), xid, query)
    next_item = {k: v for k, v in item.items() if k != "start"} | {"start": page.next_cursor}
    payload = {**body, "identities": [next_item]}
    return xid, _event_page_body(page, fields, "/entities", payload)


async def deleteEntity(**q: Any) -> Answer:
    """DELETE /access/entities: 202 with an empty body; the profile's fragments and events go."""
    profiles = context.tenant().profiles
    if q["schemaname"] != PROFILE_CLASS:
        raise BadRequest(f"only {PROFILE_CLASS} entities can be deleted")
    identity = profiles.identity(q["entityId"], q.get("entityIdNS"))
    policy = profiles.policy(PROFILE_CLASS, q.get("mergePolicyId"))
    if profiles.delete(identity, policy) == 0:
        raise NotFound(f"No profile matches {q['entityId']}")
    return None, 202


OPERATIONS = {
    "retrieveEntity": retrieveEntity,
    "retrieveMultipleEntities": retrieveMultipleEntities,
    "deleteEntity": deleteEntity,
}
