"""Entities (profile access): /data/core/ups/access/entities, GET one, POST many, DELETE."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from profile_harness.errors import ApiError, BadRequest, NotFound
from profile_harness.handlers.answers import Answer
from profile_harness.server import context
from profile_harness.store.clock import xid_for
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS
from profile_harness.store.entity_views import ProfileView
from profile_harness.store.identity import Identity
from profile_harness.store.profiles import (
    EventQuery,
    ProfileBackend,
    refuse_event_filters,
    require_related_schema,
)


def _fields(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else value.split(",")
    return [item.strip() for item in items if item.strip()]


def _view(
    profiles: ProfileBackend, schema: str, identity: Identity, policy_id: str | None, with_ca: bool
) -> ProfileView:
    view = profiles.view(schema, identity, profiles.policy(schema, policy_id), xid_for(*identity))
    if with_ca and schema == PROFILE_CLASS and view.merged is not None:
        # withCA: the stored computed attribute values join the profile at _<tenant>.ComputedAttributes,
        # and the legacy attributes' values at their own fields.
        tenant = context.tenant()
        entity = tenant.computed_attributes.attach(view.merged.entity, view.related)
        entity = tenant.legacy_computed_attributes.attach(entity, view.related, schema)
        view = view.with_entity(entity)
    return view


async def retrieveEntity(**q: Any) -> Answer:
    """GET /access/entities: one entity keyed by its XID, or one page of a profile's events."""
    profiles = context.tenant().profiles
    schema = q["schemaname"]
    fields = _fields(q.get("fields"))
    if schema == EVENT_CLASS:
        return _events_get(profiles, q, fields), 200
    refuse_event_filters(schema, q.get("property"))
    entity_id = q.get("entityId")
    if not entity_id:
        raise BadRequest("entityId is required for " + schema)
    namespace = q.get("entityIdNS") or q.get("entityIdNs")
    identity = profiles.identity(entity_id, namespace)
    view = _view(profiles, schema, identity, q.get("mergePolicyId"), q.get("withCA") is True)
    if not view.found:
        raise NotFound(f"No {schema} entity matches {entity_id}", cause="XDM objects not found.")
    return {view.xid: view.to_dict(fields)}, 200


def _events_get(profiles: ProfileBackend, q: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    related_id = q.get("relatedEntityId")
    if not related_id:
        raise BadRequest("relatedEntityId is required to look up experience events")
    related_schema = require_related_schema(q.get("relatedSchemaname"), where="query parameter")
    policy = profiles.policy(related_schema, q.get("mergePolicyId"))
    identity = profiles.identity(related_id, q.get("relatedEntityIdNS"))
    query = EventQuery.build(
        start_ms=q.get("startTime"),
        end_ms=q.get("endTime"),
        orderby=q.get("orderby") or q.get("orderBy"),
        limit=q.get("limit"),
        cursor=q.get("start"),
        properties=list(q.get("property") or []),
        fields=fields,
    )
    page = profiles.events(profiles.related(identity, policy), xid_for(*identity), query, policy=policy)
    if not page.events and not query.cursor:
        raise NotFound(f"No experience events match {related_id}", cause="XDM objects not found.")
    params: dict[str, Any] = {
        "start": page.next_cursor,
        "orderby": query.orderby,
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
    return page.to_dict(href)


async def retrieveMultipleEntities(body: dict[str, Any]) -> Answer:
    """POST /access/entities: several entities (or event pages) at once; 207 lists the ones that failed."""
    profiles = context.tenant().profiles
    schema = body["schema"]["name"]
    fields = _fields(body.get("fields"))
    # A missing relatedSchema.name (400) or policy (422) fails the whole call, not each identity.
    if schema == EVENT_CLASS:
        related_schema = (body.get("relatedSchema") or {}).get("name")
        profiles.policy(require_related_schema(related_schema, where="body field"), body.get("mergePolicyId"))
    else:
        profiles.policy(schema, body.get("mergePolicyId"))
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
            view = _view(profiles, schema, identity, body.get("mergePolicyId"), body.get("withCA") is True)
            requested = {k: item[k] for k in ("entityId", "entityIdNS") if k in item}
            results[view.xid] = view.to_dict(fields, requested)
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
    related_schema = require_related_schema((body.get("relatedSchema") or {}).get("name"), where="body field")
    policy = profiles.policy(related_schema, body.get("mergePolicyId"))
    namespace = (item.get("entityIdNS") or {}).get("code")
    identity = profiles.identity(related_id, namespace)
    window = body.get("timeFilter") or {}
    query = EventQuery.build(
        start_ms=window.get("startTime"),
        end_ms=window.get("endTime"),
        orderby=body.get("orderby") or body.get("orderBy"),
        limit=body.get("limit"),
        cursor=item.get("start"),
        properties=[],
        fields=fields,
    )
    xid = xid_for(*identity)
    page = profiles.events(profiles.related(identity, policy), xid, query, policy=policy)
    next_item = {k: v for k, v in item.items() if k != "start"} | {"start": page.next_cursor}
    payload = {**body, "identities": [next_item]}
    return xid, page.to_dict("/entities", payload)


async def deleteEntity(**q: Any) -> Answer:
    """DELETE /access/entities: 202 with an empty body; the profile's fragments and events go."""
    profiles = context.tenant().profiles
    if q["schemaname"] != PROFILE_CLASS:
        raise BadRequest(f"only {PROFILE_CLASS} entities can be deleted")
    identity = profiles.identity(q["entityId"], q.get("entityIdNS"))
    if not profiles.knows(identity):  # nothing to delete: 404 whatever the merge policy
        raise NotFound(f"No profile matches {q['entityId']}")
    policy = profiles.policy(PROFILE_CLASS, q.get("mergePolicyId"))
    # A deletion is a change of the Profile data that the preview sample rules check.
    if context.tenant().preview.removing(lambda: profiles.delete(identity, policy)) == 0:
        raise NotFound(f"No profile matches {q['entityId']}")
    return None, 202
