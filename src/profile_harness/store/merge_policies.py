"""Merge policies of one tenant and their rules (DOC-MP, DOC-MPO; choices in spec/DECISIONS.md).

Rules: one default policy per schema class (a new default un-defaults the old one); at most one
policy active on edge; an active-on-edge policy cannot be deleted; at most five policies; ``version``
goes up and ``updateEpoch`` is refreshed on every change.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store.clock import Clock, IdSource

__all__ = ["MAX_POLICIES", "MergePolicy", "MergePolicyBackend", "MergePolicyPage", "sandbox_info"]

MAX_POLICIES = 5
PATCH_PATHS = {
    "/name",
    "/identityGraph.type",
    "/attributeMerge.type",
    "/schema.name",
    "/version",
    "/default",
    "/isActiveOnEdge",
}


def sandbox_info(name: str) -> dict[str, Any]:
    """The sandbox block of Profile responses; ``prod`` is the production default sandbox."""
    return {
        "sandboxId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{name}")),
        "sandboxName": name,
        "type": "production" if name == "prod" else "development",
        "default": name == "prod",
    }


@dataclass
class MergePolicy:
    id: str
    schema_name: str
    identity_graph: str
    attribute_merge: str
    order: list[str] = field(default_factory=list)
    name: str | None = None
    is_active_on_edge: bool = False
    default: bool = False
    version: int = 1
    update_epoch: int = 0

    def to_dict(self, org: str, sandbox: str) -> dict[str, Any]:
        attribute_merge: dict[str, Any] = {"type": self.attribute_merge}
        if self.attribute_merge == "dataSetPrecedence":
            attribute_merge["order"] = list(self.order)
        body: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            body["name"] = self.name
        body.update(
            {
                "imsOrgId": org,
                "sandbox": sandbox_info(sandbox),
                "schema": {"name": self.schema_name},
                "version": self.version,
                "identityGraph": {"type": self.identity_graph},
                "attributeMerge": attribute_merge,
                "isActiveOnEdge": self.is_active_on_edge,
                "default": self.default,
                "updateEpoch": self.update_epoch,
            }
        )
        return body


@dataclass(frozen=True)
class MergePolicyPage:
    policies: list[MergePolicy]
    total: int
    next_token: str | None
    order_by: str
    limit: int


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise BadRequest(f"{path} takes true or false, not {value!r}")


def _policy_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Validate the rule-level parts of a create or replace body (the schema checked the shape)."""
    merge = body["attributeMerge"]
    order = list(merge.get("order") or [])
    if merge["type"] == "dataSetPrecedence" and not order:
        raise BadRequest("attributeMerge.order must list at least one dataset for dataSetPrecedence")
    return {
        "schema_name": body["schema"]["name"],
        "identity_graph": body["identityGraph"]["type"],
        "attribute_merge": merge["type"],
        "order": order if merge["type"] == "dataSetPrecedence" else [],
        "name": body.get("name"),
        "is_active_on_edge": bool(body.get("isActiveOnEdge", False)),
        "default": bool(body.get("default", False)),
    }


class MergePolicyBackend:
    """The merge policies of one (org, sandbox)."""

    def __init__(self, org: str, sandbox: str, clock: Clock, ids: IdSource) -> None:
        self.org, self.sandbox = org, sandbox
        self.clock, self.ids = clock, ids
        self._policies: dict[str, MergePolicy] = {}

    # -- reads -------------------------------------------------------------------------------

    def get(self, policy_id: str) -> MergePolicy:
        policy = self._policies.get(policy_id)
        if policy is None:
            raise NotFound(f"Merge policy {policy_id} does not exist")
        return policy

    def all(self) -> list[MergePolicy]:
        return list(self._policies.values())

    def default_for(self, schema_name: str) -> MergePolicy | None:
        return next((p for p in self._policies.values() if p.default and p.schema_name == schema_name), None)

    def bulk_get(self, ids: list[str]) -> list[MergePolicy]:
        return [self._policies[i] for i in dict.fromkeys(ids) if i in self._policies]

    def page(
        self,
        *,
        filters: dict[str, Any],
        order_by: str = "name",
        limit: int = 20,
        start: str | None = None,
    ) -> MergePolicyPage:
        offset = 0
        if start not in (None, "", "0"):
            offset, filters, order_by = self._decode_token(start)
        descending = order_by.strip().startswith("-")
        key = order_by.strip().lstrip("+-") or "name"
        if key != "name":
            raise BadRequest(f"orderBy {order_by!r} is not supported; use name, +name or -name")
        matching = [p for p in self._policies.values() if self._matches(p, filters)]
        matching.sort(key=lambda p: ((p.name or "").lower(), p.id), reverse=descending)
        page = matching[offset : offset + limit]
        more = offset + limit < len(matching)
        token = self._encode_token(offset + limit, filters, order_by) if more else None
        return MergePolicyPage(page, len(matching), token, order_by, limit)

    @staticmethod
    def _matches(policy: MergePolicy, filters: dict[str, Any]) -> bool:
        checks = {
            "default": policy.default,
            "isActiveOnEdge": policy.is_active_on_edge,
            "schema.name": policy.schema_name,
            "identityGraph.type": policy.identity_graph,
            "attributeMerge.type": policy.attribute_merge,
            "version": policy.version,
        }
        return all(checks[name] == value for name, value in filters.items() if value is not None)

    @staticmethod
    def _encode_token(offset: int, filters: dict[str, Any], order_by: str) -> str:
        raw = json.dumps({"o": offset, "f": filters, "s": order_by}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _decode_token(token: str) -> tuple[int, dict[str, Any], str]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            return int(data["o"]), dict(data["f"]), str(data["s"])
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise BadRequest(f"start {token!r} is not a page token this service issued") from None

    # -- writes ------------------------------------------------------------------------------

    def create(self, body: dict[str, Any], *, policy_id: str | None = None) -> MergePolicy:
        if len(self._policies) >= MAX_POLICIES:
            raise Unprocessable(f"Maximum of {MAX_POLICIES} merge policies allowed per organization")
        fields = _policy_fields(body)
        policy = MergePolicy(id=policy_id or self.ids.uuid(), update_epoch=self.clock.now_s(), **fields)
        self._check_edge(policy)
        self._policies[policy.id] = policy
        self._settle_default(policy)
        return policy

    def replace(self, policy_id: str, body: dict[str, Any]) -> MergePolicy:
        current = self.get(policy_id)
        if body.get("id") not in (None, policy_id):
            raise BadRequest(f"id {body['id']!r} in the body does not match {policy_id!r} in the path")
        updated = MergePolicy(
            id=policy_id,
            version=current.version + 1,
            update_epoch=self.clock.now_s(),
            **_policy_fields(body),
        )
        self._check_edge(updated)
        self._policies[policy_id] = updated
        self._settle_default(updated)
        return updated

    def patch(self, policy_id: str, operations: list[dict[str, Any]]) -> MergePolicy:
        current = self.get(policy_id)
        updated = copy.deepcopy(current)
        for operation in operations:  # all or nothing: work on a copy
            self._apply(updated, operation)
        updated.version = current.version + 1
        updated.update_epoch = self.clock.now_s()
        self._check_edge(updated)
        self._policies[policy_id] = updated
        self._settle_default(updated)
        return updated

    def _apply(self, policy: MergePolicy, operation: dict[str, Any]) -> None:
        op, path, value = operation["op"], operation["path"], operation["value"]
        if op not in ("add", "replace"):
            raise BadRequest(f"op {op!r} is not supported; use add or replace")
        if path not in PATCH_PATHS:
            raise BadRequest(f"path {path!r} cannot be patched; use one of {', '.join(sorted(PATCH_PATHS))}")
        if path == "/name":
            if not isinstance(value, str) or not value:
                raise BadRequest("/name takes a non-empty string")
            policy.name = value
        elif path == "/schema.name":
            if not isinstance(value, str) or not value:
                raise BadRequest("/schema.name takes a class name such as _xdm.context.profile")
            policy.schema_name = value
        elif path == "/identityGraph.type":
            if value not in ("none", "pdg"):
                raise BadRequest(f"/identityGraph.type takes none or pdg, not {value!r}")
            policy.identity_graph = value
        elif path == "/attributeMerge.type":
            if value not in ("timestampOrdered", "dataSetPrecedence"):
                raise BadRequest(
                    f"/attributeMerge.type takes timestampOrdered or dataSetPrecedence, not {value!r}"
                )
            if value == "dataSetPrecedence" and not policy.order:
                raise BadRequest(
                    "dataSetPrecedence needs attributeMerge.order; replace the policy with PUT instead"
                )
            policy.attribute_merge = value
            if value == "timestampOrdered":
                policy.order = []
        elif path == "/default":
            policy.default = _bool(value, path)
        elif path == "/isActiveOnEdge":
            policy.is_active_on_edge = _bool(value, path)
        # "/version" is accepted and ignored: the service keeps the version itself.

    def delete(self, policy_id: str) -> None:
        policy = self.get(policy_id)
        if policy.is_active_on_edge:
            raise Unprocessable(
                f"Merge policy {policy_id} is active on edge and cannot be deleted; "
                "set isActiveOnEdge to false first"
            )
        del self._policies[policy_id]

    def _check_edge(self, policy: MergePolicy) -> None:
        if not policy.is_active_on_edge:
            return
        other = next((p for p in self._policies.values() if p.is_active_on_edge and p.id != policy.id), None)
        if other is not None:
            raise Unprocessable(
                f"Only one merge policy may be active on edge; {other.id} is already active on edge"
            )

    def _settle_default(self, policy: MergePolicy) -> None:
        if not policy.default:
            return
        for other in self._policies.values():
            if other.id != policy.id and other.default and other.schema_name == policy.schema_name:
                other.default = False
                other.version += 1
                other.update_epoch = self.clock.now_s()

    # -- fixtures ----------------------------------------------------------------------------

    def load(self, policy: MergePolicy) -> None:
        """Add a policy from a fixture document as it is (the rules were checked by the loader)."""
        self._policies[policy.id] = policy
        self._settle_default(policy)
