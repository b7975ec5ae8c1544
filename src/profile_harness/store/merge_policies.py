"""Merge policies of one tenant and their rules (DOC-MP, DOC-MPO; choices in spec/DECISIONS.md).

Rules: one default policy per schema class (a new default un-defaults the old one, which counts as
an update of it); at most one policy active on edge; an active-on-edge policy cannot be deleted; at
most five policies; ``version`` goes up and ``updateEpoch`` is refreshed on every change, and the
recent versions of each policy stay readable (:meth:`MergePolicyBackend.at_version`) for the exports
that name one. A new sandbox starts with Platform's default profile policy (:data:`PLATFORM_DEFAULT_ID`).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from profile_harness.errors import BadRequest, NotFound, Unprocessable
from profile_harness.store import json_patch
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.datasets import PROFILE_CLASS

__all__ = [
    "KEPT_VERSIONS",
    "MAX_POLICIES",
    "PLATFORM_DEFAULT_ID",
    "MergePolicy",
    "MergePolicyBackend",
    "MergePolicyPage",
    "platform_default",
    "sandbox_info",
]

MAX_POLICIES = 5
#: Versions of one policy kept readable besides its first: the latest ones (the first stays too,
#: since clients such as aepp's ``createExportJob`` always ask for version 1).
KEPT_VERSIONS = 20
#: Id of the policy every new sandbox starts with: the "Profile Default Merge Policy" of DOC-MP's
#: bulk-get and list examples, which DOC-EXP's export examples also name.
PLATFORM_DEFAULT_ID = "0bf16e61-90e9-4204-b8fa-ad250360957b"
#: The list filters a page token may carry (the query parameters of ``getMany``).
_FILTER_NAMES = frozenset(
    {"default", "isActiveOnEdge", "schema.name", "identityGraph.type", "attributeMerge.type", "version"}
)
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
    #: The tenant the policy belongs to, which its body names (``imsOrgId``, ``sandbox``).
    org: str = field(kw_only=True)
    sandbox: str = field(kw_only=True)
    schema_name: str
    identity_graph: str
    attribute_merge: str
    order: list[str] = field(default_factory=list)
    name: str | None = None
    is_active_on_edge: bool = False
    default: bool = False
    version: int = 1
    update_epoch: int = 0

    def to_dict(self) -> dict[str, Any]:
        attribute_merge: dict[str, Any] = {"type": self.attribute_merge}
        if self.attribute_merge == "dataSetPrecedence":
            attribute_merge["order"] = list(self.order)
        body: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            body["name"] = self.name
        body.update(
            {
                "imsOrgId": self.org,
                "sandbox": sandbox_info(self.sandbox),
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

    def to_fixture(self) -> dict[str, Any]:
        """The policy as a fixture document (and a state dump) holds it: the body without its tenant."""
        return {key: value for key, value in self.to_dict().items() if key not in ("imsOrgId", "sandbox")}


def platform_default(org: str, sandbox: str, now_s: int) -> MergePolicy:
    """Platform's default policy of a new sandbox (DOC-MP: every organization is given one)."""
    return MergePolicy(
        id=PLATFORM_DEFAULT_ID,
        org=org,
        sandbox=sandbox,
        name="Profile Default Merge Policy",
        schema_name=PROFILE_CLASS,
        identity_graph="none",
        attribute_merge="timestampOrdered",
        default=True,
        update_epoch=now_s,
    )


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


def _patchable(policy: MergePolicy) -> dict[str, Any]:
    """The fields a PATCH may set, keyed as its paths name them (every one present, so ``replace`` works)."""
    return {
        "name": policy.name,
        "identityGraph.type": policy.identity_graph,
        "attributeMerge.type": policy.attribute_merge,
        "schema.name": policy.schema_name,
        "version": policy.version,
        "default": policy.default,
        "isActiveOnEdge": policy.is_active_on_edge,
    }


def _check_operation(operation: dict[str, Any]) -> None:
    """DOC-MP's subset of JSON Patch: ``add`` or ``replace`` (same effect) on a documented path."""
    op, path = operation["op"], operation["path"]
    if op not in ("add", "replace"):
        raise BadRequest(f"op {op!r} is not supported; use add or replace")
    if path not in PATCH_PATHS:
        raise BadRequest(f"path {path!r} cannot be patched; use one of {', '.join(sorted(PATCH_PATHS))}")


def _checked_value(member: str, value: Any) -> Any:
    """The value a PATCH sets at ``/member``, checked for that path (booleans also as strings)."""
    if member == "name" and (not isinstance(value, str) or not value):
        raise BadRequest("/name takes a non-empty string")
    if member == "schema.name" and (not isinstance(value, str) or not value):
        raise BadRequest("/schema.name takes a class name such as _xdm.context.profile")
    if member == "identityGraph.type" and value not in ("none", "pdg"):
        raise BadRequest(f"/identityGraph.type takes none or pdg, not {value!r}")
    if member == "attributeMerge.type" and value not in ("timestampOrdered", "dataSetPrecedence"):
        raise BadRequest(f"/attributeMerge.type takes timestampOrdered or dataSetPrecedence, not {value!r}")
    if member in ("default", "isActiveOnEdge"):
        return _bool(value, f"/{member}")
    if member == "version" and not (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, str) and value.isascii() and value.isdigit())
    ):
        raise BadRequest(f"/version takes an integer, not {value!r}")
    return value


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
    """The merge policies of one (org, sandbox), starting with Platform's default policy.

    Policy objects are never changed in place: every change stores a new one, and the versions of
    each policy are kept (its first and the latest :data:`KEPT_VERSIONS`), so an export job holding
    a policy keeps the version it was created with.
    """

    def __init__(self, org: str, sandbox: str, clock: Clock, ids: IdSource) -> None:
        self.org, self.sandbox = org, sandbox
        self.clock, self.ids = clock, ids
        self._policies: dict[str, MergePolicy] = {}
        self._versions: dict[str, dict[int, MergePolicy]] = {}
        self._store(platform_default(org, sandbox, clock.now_s()))
        #: True while the sandbox holds only Platform's default, untouched (see :meth:`clear_pristine`).
        self.pristine = True

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

    def at_version(self, policy_id: str, version: int) -> MergePolicy:
        """The policy as it was at ``version``; NotFound when the policy or that version is not kept."""
        kept = self._versions.get(policy_id)
        if kept is None:
            raise NotFound(f"Merge policy {policy_id} does not exist")
        policy = kept.get(version)
        if policy is None:
            known = ", ".join(str(v) for v in sorted(kept))
            raise NotFound(f"Merge policy {policy_id} has no version {version}; versions kept: {known}")
        return policy

    def lookup(self, policy_id: str, schema_name: str, version: int | None = None) -> MergePolicy:
        """The policy a profile read or export names, checked against the class it reads (422s).

        ``version`` picks an earlier version (DOC-EXP: "the specific version"), else the current one.
        """
        try:
            policy = self.get(policy_id) if version is None else self.at_version(policy_id, version)
        except NotFound as exc:
            raise Unprocessable(exc.message) from None
        if policy.schema_name != schema_name:
            raise Unprocessable(
                f"Merge policy {policy_id} is for the class {policy.schema_name} and cannot merge "
                f"{schema_name}; give a merge policy of {schema_name}"
            )
        return policy

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
        refusal = BadRequest(f"start {token!r} is not a page token this service issued")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            offset, filters, order_by = int(data["o"]), dict(data["f"]), str(data["s"])
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise refusal from None
        # Tokens are not signed: one that decodes but could not have been issued is refused too.
        if offset < 0 or not set(filters) <= _FILTER_NAMES:
            raise refusal
        return offset, filters, order_by

    # -- writes ------------------------------------------------------------------------------

    def create(self, body: dict[str, Any], *, policy_id: str | None = None) -> MergePolicy:
        if len(self._policies) >= MAX_POLICIES:
            raise Unprocessable(f"Maximum of {MAX_POLICIES} merge policies allowed per organization")
        # The server-owned fields a client may send back (id, imsOrgId, sandbox, version,
        # updateEpoch) are not read: the service names and versions the new policy itself.
        fields = _policy_fields(body)
        policy = MergePolicy(
            id=policy_id or self.ids.uuid(),
            org=self.org,
            sandbox=self.sandbox,
            update_epoch=self.clock.now_s(),
            **fields,
        )
        self._check_edge(policy)
        self._commit(policy)
        return policy

    def replace(self, policy_id: str, body: dict[str, Any]) -> MergePolicy:
        """Overwrite the policy the path names; server-owned fields of the body, ``id`` too, are ignored."""
        current = self.get(policy_id)
        updated = MergePolicy(
            id=policy_id,
            org=self.org,
            sandbox=self.sandbox,
            version=current.version + 1,
            update_epoch=self.clock.now_s(),
            **_policy_fields(body),
        )
        self._check_edge(updated)
        self._commit(updated)
        return updated

    def patch(self, policy_id: str, operations: list[dict[str, Any]]) -> MergePolicy:
        """Apply JSON Patch operations to the policy's patchable fields, in order, all or nothing.

        The document patched is flat, keyed as the paths name the fields (``/schema.name`` is the
        member ``schema.name``); each operation is checked as it applies, and nothing is stored
        until every one passed.
        """
        current = self.get(policy_id)
        fields = _patchable(current)
        order = list(current.order)
        for operation in operations:
            _check_operation(operation)
            fields = json_patch.apply(fields, [operation])
            member = operation["path"][1:]
            fields[member] = _checked_value(member, fields[member])
            if member == "attributeMerge.type":
                if fields[member] == "dataSetPrecedence" and not order:
                    # A valid request the policy's state refuses: 422, as the other rules (DECISIONS).
                    raise Unprocessable(
                        "dataSetPrecedence needs attributeMerge.order; replace the policy with PUT instead"
                    )
                if fields[member] == "timestampOrdered":
                    order = []
        # "/version" is accepted and ignored: the service keeps the version itself.
        updated = dataclasses.replace(
            current,
            name=fields["name"],
            schema_name=fields["schema.name"],
            identity_graph=fields["identityGraph.type"],
            attribute_merge=fields["attributeMerge.type"],
            order=order,
            default=fields["default"],
            is_active_on_edge=fields["isActiveOnEdge"],
            version=current.version + 1,
            update_epoch=self.clock.now_s(),
        )
        self._check_edge(updated)
        self._commit(updated)
        return updated

    def delete(self, policy_id: str) -> None:
        policy = self.get(policy_id)
        if policy.is_active_on_edge:
            raise Unprocessable(
                f"Merge policy {policy_id} is active on edge and cannot be deleted; "
                "set isActiveOnEdge to false first"
            )
        del self._policies[policy_id]
        del self._versions[policy_id]
        self.pristine = False

    def _check_edge(self, policy: MergePolicy) -> None:
        if not policy.is_active_on_edge:
            return
        other = next((p for p in self._policies.values() if p.is_active_on_edge and p.id != policy.id), None)
        if other is not None:
            raise Unprocessable(
                f"Only one merge policy may be active on edge; {other.id} is already active on edge"
            )

    def _commit(self, policy: MergePolicy) -> None:
        """Store a new or changed policy and settle the default of its class."""
        self._store(policy)
        self.pristine = False
        if not policy.default:
            return
        # The previous default of the class is updated by the system (DOC-MP, DOC-MPO): a new version.
        for other in list(self._policies.values()):
            if other.id != policy.id and other.default and other.schema_name == policy.schema_name:
                self._store(
                    dataclasses.replace(
                        other, default=False, version=other.version + 1, update_epoch=self.clock.now_s()
                    )
                )

    def _store(self, policy: MergePolicy) -> None:
        self._policies[policy.id] = policy
        kept = self._versions.setdefault(policy.id, {})
        kept[policy.version] = policy
        if len(kept) > KEPT_VERSIONS + 1:  # drop the oldest but the first
            _first, *rest = sorted(kept)
            for version in rest[: len(kept) - KEPT_VERSIONS - 1]:
                del kept[version]

    # -- fixtures ----------------------------------------------------------------------------

    def clear_pristine(self) -> None:
        """Drop Platform's default if the sandbox still holds only it, untouched.

        A fixture that lists a sandbox's ``mergePolicies`` gives it exactly those; a sandbox whose
        policies were already changed keeps them and the fixture's are added.
        """
        if self.pristine:
            self._policies.clear()
            self._versions.clear()
            self.pristine = False

    def load(self, policy: MergePolicy) -> None:
        """Add a policy from a fixture document as it is (the rules were checked by the loader)."""
        self._commit(policy)
