"""Audiences a fixture defines by a PQL condition: membership worked out from the data at load time.

On Platform the Segmentation API defines audiences and its jobs write each profile's
``segmentMembership`` map. A fixture can do the same in one step: an audience's condition (the PQL
comparisons the store evaluates, :mod:`.computed.pql`) is evaluated over every merged profile when the
fixture loads, and each profile that satisfies it gets a ``realized`` membership stamped with the
clock's time. The memberships are written as profile fragments into one dataset of the tenant
(:data:`AUDIENCE_DATASET`), so lookups and exports merge them like any attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from profile_harness.errors import ApiError
from profile_harness.store.clock import Clock
from profile_harness.store.computed.pql.evaluation import Condition
from profile_harness.store.computed.pql.syntax import Parser, PqlError, tokenize
from profile_harness.store.datasets import PROFILE_CLASS, Batch, Dataset, DatasetBackend, identities_of
from profile_harness.store.entity_views import iso_utc
from profile_harness.store.merge import merge_fragments
from profile_harness.store.merge_policies import MergePolicy, MergePolicyBackend
from profile_harness.store.profiles import ProfileBackend

__all__ = ["AUDIENCE_DATASET", "AudienceBackend", "AudienceDefinition", "AudienceError", "parse_condition"]

#: The dataset the evaluated memberships are written into (one per tenant, a batch per load).
AUDIENCE_DATASET = "audience-memberships"


class AudienceError(ValueError):
    """An audience definition the store cannot evaluate; ``field`` names the key at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_condition(text: str) -> Condition:
    """The condition of ``text``, all of it (PqlError says why not)."""
    parser = Parser(tokenize(text))
    condition = parser.condition()
    if parser.peek.kind != "end":
        raise PqlError(f"unexpected {parser.peek.text!r} after the condition")
    return condition


@dataclass(frozen=True)
class AudienceDefinition:
    """An audience: its id and namespace in ``segmentMembership``, and who is in it."""

    id: str
    condition: str
    name: str | None = None
    namespace: str = "ups"
    merge_policy_id: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AudienceDefinition:
        return cls(
            id=raw["id"],
            condition=raw["condition"],
            name=raw.get("name"),
            namespace=raw.get("namespace", "ups"),
            merge_policy_id=raw.get("mergePolicyId"),
        )

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            item["name"] = self.name
        item |= {"namespace": self.namespace, "condition": self.condition}
        if self.merge_policy_id is not None:
            item["mergePolicyId"] = self.merge_policy_id
        return item


class AudienceBackend:
    """The tenant's audience definitions, and the memberships they gave."""

    def __init__(
        self,
        datasets: DatasetBackend,
        profiles: ProfileBackend,
        merge_policies: MergePolicyBackend,
        clock: Clock,
        new_id: Callable[[], str],
    ) -> None:
        self.datasets, self.profiles, self.merge_policies = datasets, profiles, merge_policies
        self.clock, self.new_id = clock, new_id
        self.definitions: list[AudienceDefinition] = []

    def define(self, definitions: list[AudienceDefinition]) -> int:
        """Evaluate ``definitions`` over the data now and keep them; the number of memberships written.

        Raises :class:`AudienceError` (with the index of the definition in ``field``) and changes
        nothing when one cannot be evaluated.
        """
        known = {(d.namespace, d.id) for d in self.definitions}
        plans: list[tuple[AudienceDefinition, Condition, MergePolicy]] = []
        for i, definition in enumerate(definitions):
            if (definition.namespace, definition.id) in known:
                raise AudienceError(f"[{i}].id", f"audience {definition.id} is defined twice")
            known.add((definition.namespace, definition.id))
            try:
                condition = parse_condition(definition.condition)
            except PqlError as exc:
                raise AudienceError(
                    f"[{i}].condition", f"not a condition the harness evaluates: {exc}"
                ) from None
            plans.append((definition, condition, self._policy(i, definition)))
        if not plans:
            return 0
        now_ms = self.clock.now_ms()
        membership = {"status": "realized", "lastQualificationTime": iso_utc(now_ms)}
        merged: dict[str, list[tuple[tuple[str, str], dict[str, Any]]]] = {}
        members: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for definition, condition, policy in plans:
            if policy.id not in merged:  # each profile is merged once per policy, not per audience
                merged[policy.id] = list(self._merged(policy))
            for identity, entity in merged[policy.id]:
                if condition.holds(entity, now_ms):
                    audiences = members.setdefault(identity, {}).setdefault(definition.namespace, {})
                    audiences[definition.id] = dict(membership)
        records = [
            {"identityMap": {namespace: [{"id": xid, "primary": True}]}, "segmentMembership": memberships}
            for (namespace, xid), memberships in members.items()
        ]
        dataset = self.datasets.find(AUDIENCE_DATASET)
        if dataset is None:
            dataset = self.datasets.add(
                Dataset(
                    id=AUDIENCE_DATASET,
                    name="Audience memberships",
                    schema_class=PROFILE_CLASS,
                    created_ms=now_ms,
                    description="Memberships of the audiences fixtures define, evaluated when they loaded.",
                )
            )
        self.datasets.add_batch(dataset.id, Batch(self.new_id(), now_ms, records))
        self.definitions.extend(definitions)
        return sum(len(a) for m in members.values() for a in m.values())

    def _policy(self, i: int, definition: AudienceDefinition) -> MergePolicy:
        if definition.merge_policy_id is None:
            policy = self.merge_policies.default_for(PROFILE_CLASS)
            if policy is None:
                raise AudienceError(f"[{i}].mergePolicyId", "the sandbox has no default profile merge policy")
            return policy
        try:
            return self.merge_policies.lookup(definition.merge_policy_id, PROFILE_CLASS)
        except ApiError:  # not found, or not a profile policy
            raise AudienceError(
                f"[{i}].mergePolicyId", f"no profile merge policy {definition.merge_policy_id} in the sandbox"
            ) from None

    def _merged(self, policy: MergePolicy) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
        """One identity of each merged profile (under ``policy``) with its merged entity."""
        index = self.profiles.graph
        for positions in index.groups(PROFILE_CLASS, policy.identity_graph == "pdg"):
            fragments = [index.fragment(p) for p in positions.tolist()]
            merged = merge_fragments(fragments, policy.attribute_merge, policy.order)
            if merged is None:
                continue
            identities = identities_of(fragments[0].record)
            if identities:
                yield identities[0], merged.entity
