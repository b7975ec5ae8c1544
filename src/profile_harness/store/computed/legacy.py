"""Computed attributes of the legacy API (/config/computedAttributes): fields, dependencies, JSON Patch.

Rules (DOC-CA-OLD, DOC-TS, SPEC-2022; choices in spec/DECISIONS.md): an attribute fills an existing
field ``<path>.<name>`` of a schema class. The harness has no schema registry, so the schema of a class
is the set of fields its datasets' records hold; a field no record has cannot be looked up. The name
is unique per class; the expression's result type (boolean for a comparison, number for an aggregation
or arithmetic) must match the field's. An expression that reads ``<path>.<name>`` of another attribute
depends on it, and an attribute others depend on cannot be deleted (422).

Values (DOC-CA-OLD's ``evaluationInfo.synchronous``): an active attribute is evaluated when a profile
is looked up with ``withCA`` and its value written at ``<path>.<name>`` of the profile, other
attributes first when it depends on them. Evaluated: an ``xEvent[...]`` aggregation of the current
API's subset over all the profile's events, a field or literal, or one binary operation (``+ - * /``
or a comparison) of two of them; an expression outside that has no value.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import operator
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonpointer

from profile_harness.errors import BadRequest, Conflict, NotFound, Unprocessable
from profile_harness.store import json_patch
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.computed.pql import (
    analyse,
    expression_object,
    lookup,
    profile_paths,
    referenced_paths,
    result_type,
)
from profile_harness.store.computed.pql.evaluation import EventPlan
from profile_harness.store.computed.pql.syntax import PqlError, Token, tokenize
from profile_harness.store.datasets import DatasetBackend, parse_time_ms
from profile_harness.store.identity import Identity
from profile_harness.store.merge_policies import sandbox_info
from profile_harness.store.profiles import ProfileBackend

__all__ = ["LegacyComputedAttribute", "LegacyComputedAttributeBackend"]

SCHEMA_LOOKUP = "Could not lookup schema of the computed attribute for the provided path"
DUPLICATE_NAME = "Function with the same name already exists for the specified schema or definedOn"
RETURN_SCHEMA = (
    "Return schema of the expression is not same as the schema of the computed attribute in the XDM schema"
)
HAS_DEPENDENTS = "Cannot perform delete as some other functions are dependent on this function."
WRITABLE = ("description", "expression", "active")
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass
class LegacyComputedAttribute:
    id: str
    name: str
    path: str
    schema_name: str
    expression: dict[str, Any]
    return_type: str
    create_epoch: int
    update_epoch: int
    sequence: int
    description: str | None = None
    active: bool = True
    dependencies: list[str] = field(default_factory=list)
    #: The attributes whose expressions read this one, oldest first; kept by the backend.
    dependents: list[str] = field(default_factory=list)
    #: The tenant the attribute belongs to, which its body names (``imsOrgId``, ``sandbox``).
    org: str = field(kw_only=True)
    sandbox: str = field(kw_only=True)

    @property
    def field_path(self) -> str:
        return f"{self.path}.{self.name}"

    def to_dict(self) -> dict[str, Any]:
        defined_on = _defined_on(self.schema_name)
        # Adobe shows gzip bytes as text; an opaque compressed form of definedOn, as base64.
        encoded = base64.b64encode(zlib.compress(json.dumps(defined_on).encode())).decode()
        body: dict[str, Any] = {
            "id": self.id,
            "imsOrgId": self.org,
            "sandbox": sandbox_info(self.sandbox),
            "name": self.name,
            "path": self.path,
            "positionPath": self.path.split("."),
        }
        if self.description is not None:
            body["description"] = self.description
        body.update(
            {
                "expression": dict(self.expression),
                "schema": {"name": self.schema_name},
                "returnSchema": {"meta:xdmType": self.return_type},
                "definedOn": defined_on,
                "encodedDefinedOn": encoded,
                "dependencies": list(self.dependencies),
                "dependents": list(self.dependents),
                "active": self.active,
                "type": "ComputedAttribute",
                "createEpoch": self.create_epoch,
                "updateEpoch": self.update_epoch,
            }
        )
        return body


def _xdm_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def _class_label(schema_name: str) -> str:
    return f"record of a dataset of class {schema_name or '(none)'}"


def _defined_on(schema_name: str) -> list[dict[str, str]]:
    union = schema_name.removeprefix("_xdm.context.")
    return [
        {
            "meta:resourceType": "unions",
            "meta:containerId": "tenant",
            "$ref": f"https://ns.adobe.com/xdm/context/{union}__union",
        }
    ]


def _check_expression(expression: Any) -> dict[str, Any]:
    """The expression as stored; ``type`` and ``format`` default to PQL and pql/text."""
    try:
        return dict(expression_object(expression))
    except ValueError as error:
        raise BadRequest(str(error)) from None


class LegacyComputedAttributeBackend:
    """The old API's computed attributes of one tenant."""

    def __init__(
        self,
        *,
        org: str,
        sandbox: str,
        datasets: DatasetBackend,
        clock: Clock,
        ids: IdSource,
        profiles: ProfileBackend | None = None,
    ) -> None:
        self.org, self.sandbox = org, sandbox
        #: A new attribute's field type is read from the records of its class.
        self.datasets = datasets
        #: Values are read from the profile and its events.
        self.profiles = profiles
        self.clock, self.ids = clock, ids
        self._attributes: dict[str, LegacyComputedAttribute] = {}

    # -- rules -------------------------------------------------------------------------------

    def _field_type(self, schema_name: str, field_path: str) -> str | None:
        """The XDM type of a field of the class, as its records hold it; None when none does."""
        for dataset in self.datasets:
            if dataset.schema_class != schema_name:
                continue
            for batch in dataset.batches:
                for record in batch.records:
                    found, value = lookup(record, field_path)
                    if found and value is not None:
                        return _xdm_type(value)
        return None

    def _target_type(self, schema_name: str, field_path: str) -> str:
        """The type of the field the attribute fills; DOC-TS's 400, naming the field, when it is unknown."""
        found = self._field_type(schema_name, field_path)
        if found is None:
            raise BadRequest(
                f"{SCHEMA_LOOKUP}: no {_class_label(schema_name)} holds the field {field_path} "
                "(the harness knows a class's fields from its datasets' records)"
            )
        return found

    def _check_reads(self, text: str, schema_name: str) -> None:
        """Every profile field the expression reads (outside ``xEvent[...]``) is a field of the class."""
        for path in sorted(profile_paths(text)):
            if self._field_type(schema_name, path) is None:
                raise BadRequest(
                    f"The expression reads {path}, which is not a field of {schema_name}: no "
                    f"{_class_label(schema_name)} holds it"
                )

    def _dependencies(self, text: str, schema_name: str, own_id: str | None) -> list[str]:
        paths = referenced_paths(text)
        found = [
            a.id
            for a in sorted(self._attributes.values(), key=lambda a: a.sequence)
            if a.schema_name == schema_name and a.field_path in paths
        ]
        if own_id is not None:
            if own_id in found:
                raise BadRequest("The expression refers to the computed attribute itself")
            if any(own_id in self._closure(d) for d in found):
                raise BadRequest(
                    "The expression would make computed attributes depend on each other in a cycle"
                )
        return found

    def _closure(self, attribute_id: str) -> set[str]:
        seen: set[str] = set()
        todo = [attribute_id]
        while todo:
            current = self._attributes.get(todo.pop())
            if current is None or current.id in seen:
                continue
            seen.add(current.id)
            todo.extend(current.dependencies)
        return seen

    def _link_dependents(self) -> None:
        """Set every attribute's ``dependents`` from the others' dependencies (after any change)."""
        ordered = sorted(self._attributes.values(), key=lambda a: a.sequence)
        for attribute in ordered:
            attribute.dependents = [a.id for a in ordered if attribute.id in a.dependencies]

    @staticmethod
    def _check_return(text: str, field_type: str) -> None:
        returned = result_type(text)
        if returned is not None and returned != field_type:
            raise BadRequest(RETURN_SCHEMA)

    # -- operations --------------------------------------------------------------------------

    def create(self, body: dict[str, Any], attribute_id: str | None = None) -> LegacyComputedAttribute:
        """A new attribute from a create body; ``attribute_id`` (a fixture's) instead of a new id."""
        name, path, schema_name, expression = self._read_body(body, attribute_id)
        field_type = self._target_type(schema_name, f"{path}.{name}")
        self._check_reads(expression["value"], schema_name)
        self._check_unique(name, schema_name)
        self._check_return(expression["value"], field_type)
        dependencies = self._dependencies(expression["value"], schema_name, None)
        return self._insert(attribute_id, body, expression, field_type, dependencies)

    def _read_body(
        self, body: dict[str, Any], attribute_id: str | None
    ) -> tuple[str, str, str, dict[str, Any]]:
        """(name, path, schema name, checked expression) of a create body, or the 400 it deserves."""
        if attribute_id is not None and attribute_id in self._attributes:
            raise Conflict(f"computed attribute {attribute_id} exists already")
        unknown = sorted(set(body) - {"name", "path", "description", "expression", "schema"})
        if unknown:
            raise BadRequest(f"unknown field {unknown[0]!r}")
        for required in ("name", "path", "expression", "schema"):
            if required not in body:
                raise BadRequest(f"{required} is required")
        schema_name = str((body["schema"] or {}).get("name", ""))
        return str(body["name"]), str(body["path"]), schema_name, _check_expression(body["expression"])

    def _check_unique(self, name: str, schema_name: str) -> None:
        if any(a.name == name and a.schema_name == schema_name for a in self._attributes.values()):
            raise BadRequest(DUPLICATE_NAME)

    def _insert(
        self,
        attribute_id: str | None,
        body: dict[str, Any],
        expression: dict[str, Any],
        return_type: str,
        dependencies: list[str],
    ) -> LegacyComputedAttribute:
        """Store a checked attribute, created now."""
        now = self.clock.now_s()
        attribute = LegacyComputedAttribute(
            id=attribute_id or self.ids.uuid(),
            name=str(body["name"]),
            path=str(body["path"]),
            schema_name=str((body["schema"] or {}).get("name", "")),
            expression=expression,
            return_type=return_type,
            create_epoch=now,
            update_epoch=now,
            sequence=self.ids.sequence(),
            description=body.get("description"),
            dependencies=dependencies,
            org=self.org,
            sandbox=self.sandbox,
        )
        self._attributes[attribute.id] = attribute
        self._link_dependents()
        return attribute

    def get(self, attribute_id: str) -> LegacyComputedAttribute:
        attribute = self._attributes.get(attribute_id)
        if attribute is None:
            raise NotFound(f"Computed attribute {attribute_id} not found")
        return attribute

    def all(self) -> list[LegacyComputedAttribute]:
        return sorted(self._attributes.values(), key=lambda a: a.sequence)

    def patch(self, attribute_id: str, operations: list[dict[str, Any]]) -> LegacyComputedAttribute:
        attribute = self.get(attribute_id)
        before = attribute.to_dict()
        for operation in operations:
            for key in ("path", "from"):
                pointer = operation.get(key)
                if pointer is None or (operation["op"] == "test" and key == "path"):
                    continue
                if operation["op"] == "copy" and key == "from":
                    continue  # copying reads, it does not change the source
                member = jsonpointer.unescape(pointer.split("/")[1]) if pointer.count("/") else ""
                if member not in WRITABLE:
                    raise BadRequest(
                        f"Path {pointer} cannot be modified; only /description, /expression and /active can"
                    )
        after = json_patch.apply(before, operations)
        description = after.get("description")
        if description is not None and not isinstance(description, str):
            raise BadRequest("description must be a string")
        expression = _check_expression(after.get("expression"))
        if not isinstance(after.get("active"), bool):
            raise BadRequest("active must be true or false")
        dependencies = attribute.dependencies
        if expression != attribute.expression:
            self._check_reads(expression["value"], attribute.schema_name)
            self._check_return(expression["value"], attribute.return_type)
            dependencies = self._dependencies(expression["value"], attribute.schema_name, attribute.id)
        attribute.description = description
        attribute.expression = expression
        attribute.active = after["active"]
        attribute.dependencies = dependencies
        attribute.update_epoch = self.clock.now_s()
        self._link_dependents()
        return attribute

    def delete(self, attribute_id: str) -> None:
        if self.get(attribute_id).dependents:
            raise Unprocessable(HAS_DEPENDENTS)
        del self._attributes[attribute_id]
        self._link_dependents()

    # -- state dumps -------------------------------------------------------------------------

    def to_fixture(self) -> list[dict[str, Any]]:
        """Every attribute, oldest first, as a state dump keeps it: its create body, ``id``, and what the
        server set (the field's type, dependencies, ``active``, epochs).
        """
        out = []
        for a in self.all():
            item: dict[str, Any] = {"id": a.id, "name": a.name, "path": a.path}
            if a.description is not None:
                item["description"] = a.description
            item |= {
                "expression": dict(a.expression),
                "schema": {"name": a.schema_name},
                "returnSchema": {"meta:xdmType": a.return_type},
                "dependencies": list(a.dependencies),
                "active": a.active,
                "createEpoch": a.create_epoch,
                "updateEpoch": a.update_epoch,
            }
            out.append(item)
        return out

    def load_fixture(self, raw: dict[str, Any]) -> LegacyComputedAttribute:
        """An attribute of a fixture document: a create body with an optional ``id``, checked as POST
        checks it; ``returnSchema`` (a state dump's) states the field's type, which is then not looked
        up in the records (a delete request may have removed them), and ``dependencies`` are taken as
        stated.
        """
        restored = ("returnSchema", "dependencies", "active", "createEpoch", "updateEpoch")
        body = {k: v for k, v in raw.items() if k != "id" and k not in restored}
        if "returnSchema" not in raw:
            attribute = self.create(body, raw.get("id"))
        else:
            attribute = self._restore(body, raw)
        attribute.active = raw.get("active", attribute.active)
        attribute.create_epoch = raw.get("createEpoch", attribute.create_epoch)
        attribute.update_epoch = raw.get("updateEpoch", attribute.update_epoch)
        return attribute

    def _restore(self, body: dict[str, Any], raw: dict[str, Any]) -> LegacyComputedAttribute:
        """An attribute as a dump holds it: its field type is trusted (its records may be gone)."""
        name, _path, schema_name, expression = self._read_body(body, raw.get("id"))
        self._check_unique(name, schema_name)
        dependencies = raw.get("dependencies")
        if dependencies is None:
            dependencies = self._dependencies(expression["value"], schema_name, None)
        return_type = str(raw["returnSchema"]["meta:xdmType"])
        return self._insert(raw.get("id"), body, expression, return_type, list(dependencies))

    # -- values ------------------------------------------------------------------------------

    def attach(
        self, entity: dict[str, Any], related: frozenset[Identity], schema_name: str
    ) -> dict[str, Any]:
        """A copy of a merged ``schema_name`` entity with each active attribute's value at its field."""
        chosen = [a for a in self.all() if a.active and a.schema_name == schema_name]
        if not chosen:
            return entity
        now = self.clock.now_ms()
        events: list[tuple[int, dict[str, Any]]] | None = None  # read once, when an expression needs them

        def read_events() -> list[tuple[int, dict[str, Any]]]:
            nonlocal events
            if events is None:
                fragments = self.profiles.event_fragments(related, None) if self.profiles is not None else []
                events = [
                    (parse_time_ms(f.record.get("timestamp")) or f.updated_ms, f.record) for f in fragments
                ]
            return events

        out = copy.deepcopy(entity)
        done: set[str] = set()

        def evaluate(attribute: LegacyComputedAttribute) -> None:
            if attribute.id in done:
                return
            done.add(attribute.id)
            for dependency in attribute.dependencies:  # values it reads are written first
                if dependency in self._attributes:
                    evaluate(self._attributes[dependency])
            text = attribute.expression["value"]
            needs_events = isinstance(_compiled(text), EventPlan)
            value = _value(text, out, read_events() if needs_events else [], now)
            if value is not None:
                _put(out, attribute.field_path, value)

        for attribute in chosen:
            evaluate(attribute)
        return out


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> EventPlan | tuple[Token, ...] | None:
    """What :func:`_value` evaluates of ``text``: its event plan, else its tokens (None: unreadable).

    Parsed once per expression, not on every profile read that attaches the attribute.
    """
    plan = analyse(text).plan
    if plan is not None:
        return plan
    try:
        return tuple(tokenize(text)[:-1])
    except PqlError:
        return None


def _value(text: str, entity: dict[str, Any], events: list[tuple[int, dict[str, Any]]], now_ms: int) -> Any:
    """The value of ``text`` for one profile, or None outside the evaluated forms."""
    compiled = _compiled(text)
    if isinstance(compiled, EventPlan):
        return compiled.evaluate(events, now_ms)
    if compiled is None:
        return None
    tokens = compiled
    if len(tokens) == 1:
        return _operand(tokens[0], entity)
    if len(tokens) != 3 or tokens[1].kind != "op":
        return None
    left, right = _operand(tokens[0], entity), _operand(tokens[2], entity)
    if left is None or right is None:
        return None
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    if tokens[1].text in "+-*/":
        if not numbers or (tokens[1].text == "/" and right == 0):
            return None
    elif not numbers and type(left) is not type(right):
        return None
    result = _BINARY[tokens[1].text](left, right)
    return round(result, 10) if isinstance(result, float) else result


def _operand(token: Token, entity: dict[str, Any]) -> Any:
    if token.kind in ("number", "string"):
        return token.value
    if token.kind == "path" and token.text in ("true", "false"):
        return token.text == "true"
    if token.kind == "path":
        found, value = lookup(entity, token.text)
        return value if found else None
    return None


def _put(entity: dict[str, Any], path: str, value: Any) -> None:
    *parents, name = path.split(".")
    node = entity
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return
        node = child
    node[name] = value
