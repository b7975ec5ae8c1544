"""Edge projection destinations and projection configurations of one tenant (DOC-EP, DOC-TS)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from profile_harness.errors import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    Unprocessable,
    UnsupportedMediaType,
)
from profile_harness.store.clock import IdSource

__all__ = [
    "DESTINATIONS_PATH",
    "PROJECTIONS_PATH",
    "Destination",
    "DestinationInUse",
    "DestinationNotFound",
    "EdgeBackend",
    "EdgeConflict",
    "NotAcceptable",
    "ProjectionConfig",
    "ProjectionNameTaken",
    "ProjectionNotFound",
    "StaleVersion",
    "check_accept",
    "check_body_media_type",
    "check_selector",
]

DESTINATIONS_PATH = "/data/core/ups/config/destinations"
PROJECTIONS_PATH = "/data/core/ups/config/projections"
DEFAULT_TTL = 3600
DEFAULT_REPLICATION = "REACTIVE"


# -- errors ------------------------------------------------------------------------------------
# The 404 titles and type are DOC-TS's; the 409s are `about:blank` problems (spec/parts/edge.yaml),
# which errors.render does not give for 409 by default, so they carry their own `problem_type`.


class DestinationNotFound(NotFound):
    title = "The projection destination has not yet been created."


class ProjectionNotFound(NotFound):
    title = "The projection configuration has not yet been created."


class EdgeConflict(Conflict):
    problem_type = "about:blank"


class StaleVersion(EdgeConflict):
    """``currentVersion`` is not the stored ``version``: someone else rewrote the resource."""


class DestinationInUse(EdgeConflict):
    """A projection configuration still points at the destination."""


class ProjectionNameTaken(EdgeConflict):
    """Another configuration of the same schema class has the name."""


class NotAcceptable(ApiError):
    status = 406
    title = "Not Acceptable"


# -- media types -------------------------------------------------------------------------------


def _parameters(media_type: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in media_type.split(";")[1:]:
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return params


def check_body_media_type(content_type: str) -> None:
    """Refuse a vendor type of another ``version`` than 1 (DECISIONS: another version gets 415).

    The gateway has already checked the type against the spec (``application/json`` is 415 there,
    unless lenient); it ignores parameters, so the version is checked here.
    """
    version = _parameters(content_type).get("version")
    if version is not None and version != "1":
        raise UnsupportedMediaType(
            f"Content-Type {content_type.strip()} is not accepted: only version=1 (or none) is supported"
        )


def check_accept(accept: str) -> None:
    """406 when ``Accept`` admits no JSON; the body is always the vendor type, never negotiated."""
    if not accept.strip():
        return
    for item in accept.split(","):
        essence = item.split(";", 1)[0].strip().lower()
        q = _parameters(item).get("q", "1")
        try:
            if float(q) <= 0:
                continue
        except ValueError:
            pass
        if essence in ("*/*", "application/*", "application/json") or essence.endswith("+json"):
            return
    raise NotAcceptable(
        f"Accept {accept.strip()} admits no JSON type; these endpoints answer with a +json vendor type"
    )


# -- selectors ---------------------------------------------------------------------------------

_SEPARATORS = frozenset(",().")
#: Deeper groups are refused (422) rather than risk Python's recursion limit (a 500).
MAX_SELECTOR_DEPTH = 32
#: Whitespace as Python's ``str.isspace`` or ECMA-262's ``\s`` (JSON Schema patterns) knows it: the
#: two differ (``\x1c``-``\x1f``, ``\x85``; ``\ufeff``), so the schema spells the union out.
SELECTOR_SPACES = frozenset(
    "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(map(chr, range(0x2000, 0x200B)))
)
_NAME = r"[^,().\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
#: The request schema's ``ProjectionSelector`` pattern (spec/parts/edge.yaml): the syntax but for
#: balanced parentheses and their depth, which no regular expression can say.
SELECTOR_PATTERN = re.compile(rf"^{_NAME}+(?:(?:[.,(]|\)+,){_NAME}+)*\)*$")


def check_selector(selector: str) -> None:
    """Check DOC-EP's selector syntax, naming the place of the first error.

    Grammar: ``list := item ("," item)*``, ``item := name ("." name)* ["(" list ")"]``, where a name
    is a run of characters other than ``,().`` and whitespace. What the request schema's pattern
    states (spaces, empty names, misplaced separators) is a 400, as the schema answers it over HTTP;
    parentheses that do not balance or nest too deep are a 422 (spec/DECISIONS.md, "Edge 400 vs 422").
    """
    parser = _SelectorParser(selector)
    try:
        parser.parse()
    except Unprocessable as exc:
        # (Python's `$` also matches before a final line break, which the whitespace test catches.)
        if SELECTOR_PATTERN.search(selector) is None or not SELECTOR_SPACES.isdisjoint(selector):
            raise BadRequest(exc.message) from None
        raise


class _SelectorParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, why: str) -> Unprocessable:
        return Unprocessable(f"selector {self.text!r}: {why} at position {self.pos}")

    def parse(self) -> None:
        if not self.text:
            # The request schema's minLength gives this 400 over HTTP; the store agrees.
            raise BadRequest("selector: must name at least one field")
        for index, char in enumerate(self.text):
            if char in SELECTOR_SPACES:
                self.pos = index
                raise self.fail("spaces are not allowed")
        self.parse_list(nested=False)
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos]!r}")

    def parse_list(self, *, nested: bool) -> None:
        self.parse_item()
        while self.peek() == ",":
            self.pos += 1
            self.parse_item()
        if nested and self.peek() != ")":
            raise self.fail("missing ')'")

    def parse_item(self) -> None:
        self.parse_name()
        while self.peek() == ".":
            self.pos += 1
            self.parse_name()
        if self.peek() == "(":
            self.depth += 1
            if self.depth > MAX_SELECTOR_DEPTH:
                raise self.fail(f"parentheses are nested deeper than {MAX_SELECTOR_DEPTH} levels")
            self.pos += 1
            self.parse_list(nested=True)
            self.pos += 1  # the ')' parse_list has seen
            self.depth -= 1

    def parse_name(self) -> None:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _SEPARATORS:
            self.pos += 1
        if self.pos == start:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
            raise self.fail(f"a field name is expected, found {found}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""


# -- resources ---------------------------------------------------------------------------------


def _link(href: str) -> dict[str, Any]:
    return {"href": href, "templated": False}


@dataclass
class Destination:
    id: str
    data_centers: list[str]
    ttl: int = DEFAULT_TTL
    replication_policy: str = DEFAULT_REPLICATION
    type: str = "EDGE"
    version: int = 1

    @property
    def href(self) -> str:
        return f"{DESTINATIONS_PATH}/{self.id}"

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "dataCenters": list(self.data_centers),
            "ttl": self.ttl,
            "replicationPolicy": self.replication_policy,
            "version": self.version,
        }

    def to_dict(self, *, listed: bool = False) -> dict[str, Any]:
        """The destination; DOC-EP links a single one through a top-level ``self`` and one inside the
        list through ``_links.self``: the same fields, so one method with the place of the link.
        """
        link = {"_links": {"self": _link(self.href)}} if listed else {"self": _link(self.href)}
        return {**link, **self.fields()}


@dataclass
class ProjectionConfig:
    id: str
    schema_name: str
    selector: str
    #: The destination itself, which the body embeds; a destination in use is never deleted.
    destination: Destination
    name: str | None = None
    merge_policy_id: str | None = None
    version: int = 1

    @property
    def href(self) -> str:
        return f"{PROJECTIONS_PATH}/{self.id}"

    @property
    def destination_id(self) -> str:
        return self.destination.id

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "_links": {"destination": _link(self.destination.href), "self": _link(self.href)},
            "_embedded": {"destination": self.destination.to_dict()},
            "selector": self.selector,
            "version": self.version,
            "id": self.id,
            "schemaName": self.schema_name,
        }
        if self.name is not None:
            body["name"] = self.name
        body["destinationId"] = self.destination_id
        if self.merge_policy_id is not None:
            body["mergePolicyId"] = self.merge_policy_id
        return body


@dataclass(frozen=True)
class _DestinationFields:
    data_centers: list[str]
    ttl: int
    replication_policy: str


def _destination_fields(body: dict[str, Any]) -> _DestinationFields:
    """The values of a create or rewrite body.

    Over HTTP the request schema has refused bad values already (400, spec/parts/edge.yaml); they are
    checked again so that the store keeps its rules whoever calls it, with the same status.
    """
    if body.get("type", "EDGE") != "EDGE":
        raise BadRequest(f"type: {body['type']!r} is not supported; the only type is EDGE")
    centers = body.get("dataCenters")
    if not isinstance(centers, list) or not centers:
        raise BadRequest("dataCenters: at least one data center is required")
    unknown = [c for c in centers if c not in ("OR1", "VA5", "NLD1")]
    if unknown:
        raise BadRequest(f"dataCenters: {unknown[0]!r} is not one of OR1, VA5, NLD1")
    ttl = body.get("ttl", DEFAULT_TTL)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 600 <= ttl <= 604800:
        raise BadRequest(f"ttl: {ttl!r} is outside 600-604800 seconds")
    policy = body.get("replicationPolicy", DEFAULT_REPLICATION)
    if policy not in ("PROACTIVE", "REACTIVE"):
        raise BadRequest(f"replicationPolicy: {policy!r} is not one of PROACTIVE, REACTIVE")
    # Duplicates say nothing more; keep the first of each, in the client's order.
    return _DestinationFields(list(dict.fromkeys(centers)), ttl, policy)


def _require(body: dict[str, Any], *names: str) -> None:
    # A call without any body (and no Content-Type) passes Connexion's validation with an empty one.
    for name in names:
        if name not in body:
            raise BadRequest(f"{name}: required property is missing")


def _check_version(kind: str, stored: int, body: dict[str, Any], *, required: bool = True) -> None:
    """The optimistic lock: a ``currentVersion`` sent must be the stored ``version``.

    Not ``required`` (projection configurations, SPEC-2023): a body without it is not checked.
    """
    current = body.get("currentVersion")
    if current is None:
        if not required:
            return
        raise BadRequest("currentVersion: required property is missing")
    if current != stored:
        raise StaleVersion(
            f"currentVersion {current} does not match the stored version {stored} of the {kind}."
        )


class EdgeBackend:
    """The destinations and projection configurations of one (org, sandbox)."""

    def __init__(self, ids: IdSource) -> None:
        self.ids = ids
        self.destinations: dict[str, Destination] = {}
        self.projections: dict[str, ProjectionConfig] = {}

    # -- destinations ------------------------------------------------------------------------

    def list_destinations(self) -> list[Destination]:
        return list(self.destinations.values())

    def get_destination(self, destination_id: str) -> Destination:
        destination = self.destinations.get(destination_id)
        if destination is None:
            raise DestinationNotFound(
                f"No projection destination has the id {destination_id} in this sandbox."
            )
        return destination

    def create_destination(self, body: dict[str, Any], *, destination_id: str | None = None) -> Destination:
        values = _destination_fields(body)
        destination = Destination(
            id=destination_id or self.ids.uuid(),
            data_centers=values.data_centers,
            ttl=values.ttl,
            replication_policy=values.replication_policy,
        )
        self.destinations[destination.id] = destination
        return destination

    def replace_destination(self, destination_id: str, body: dict[str, Any]) -> Destination:
        """A full rewrite (DOC-EP): fields left out take their defaults again."""
        destination = self.get_destination(destination_id)
        values = _destination_fields(body)
        _check_version("projection destination", destination.version, body)
        destination.data_centers = values.data_centers
        destination.ttl = values.ttl
        destination.replication_policy = values.replication_policy
        destination.version += 1
        return destination

    def delete_destination(self, destination_id: str) -> None:
        self.get_destination(destination_id)
        users = sorted(p.id for p in self.projections.values() if p.destination_id == destination_id)
        if users:
            raise DestinationInUse(
                "The projection destination is still referenced by a projection configuration "
                f"({', '.join(users)})."
            )
        del self.destinations[destination_id]

    # -- projection configurations -----------------------------------------------------------

    def list_projections(
        self, schema_name: str | None = None, name: str | None = None
    ) -> list[ProjectionConfig]:
        if name is not None and schema_name is None:
            # DOC-EP: a name is unique only within a schema class.
            raise BadRequest("The query parameter name requires the query parameter schemaName.")
        return [
            p
            for p in self.projections.values()
            if (schema_name is None or p.schema_name == schema_name) and (name is None or p.name == name)
        ]

    def get_projection(self, projection_id: str) -> ProjectionConfig:
        projection = self.projections.get(projection_id)
        if projection is None:
            raise ProjectionNotFound(
                f"No projection configuration has the id {projection_id} in this sandbox."
            )
        return projection

    def create_projection(
        self, schema_name: str, body: dict[str, Any], *, projection_id: str | None = None
    ) -> ProjectionConfig:
        if not schema_name:
            raise BadRequest("schemaName: the query parameter is required")
        _require(body, "selector", "destinationId")
        check_selector(body["selector"])
        destination = self._existing_destination(body["destinationId"])
        name = body.get("name")
        self._check_name_free(schema_name, name, exclude=None)
        projection = ProjectionConfig(
            id=projection_id or self.ids.uuid(),
            schema_name=schema_name,
            selector=body["selector"],
            destination=destination,
            name=name,
            merge_policy_id=body.get("mergePolicyId"),
        )
        self.projections[projection.id] = projection
        return projection

    def replace_projection(self, projection_id: str, body: dict[str, Any]) -> ProjectionConfig:
        """A full rewrite; the schema class stays what it was created with."""
        projection = self.get_projection(projection_id)
        _require(body, "selector", "destinationId")
        check_selector(body["selector"])
        # SPEC-2023 marks currentVersion optional (aepp's updateProjection sends none): no lock then.
        _check_version("projection configuration", projection.version, body, required=False)
        destination = self._existing_destination(body["destinationId"])
        name = body.get("name")
        self._check_name_free(projection.schema_name, name, exclude=projection.id)
        projection.selector = body["selector"]
        projection.destination = destination
        projection.name = name
        projection.merge_policy_id = body.get("mergePolicyId")
        projection.version += 1
        return projection

    def delete_projection(self, projection_id: str) -> None:
        self.get_projection(projection_id)
        del self.projections[projection_id]

    def _existing_destination(self, destination_id: str) -> Destination:
        destination = self.destinations.get(destination_id)
        if destination is None:
            raise DestinationNotFound(
                f"destinationId: no projection destination has the id {destination_id} in this sandbox."
            )
        return destination

    def _check_name_free(self, schema_name: str, name: str | None, *, exclude: str | None) -> None:
        if name is None:
            return
        for other in self.projections.values():
            if other.id != exclude and other.schema_name == schema_name and other.name == name:
                raise ProjectionNameTaken(
                    f"Projection config already exists: {other.id} of {schema_name} is named {name!r}."
                )

    # -- state dumps -------------------------------------------------------------------------

    def destinations_fixture(self) -> list[dict[str, Any]]:
        """The destinations as a state dump keeps them: the create body's fields, id and version."""
        return [d.fields() for d in self.destinations.values()]

    def projections_fixture(self) -> list[dict[str, Any]]:
        out = []
        for p in self.projections.values():
            item: dict[str, Any] = {"id": p.id, "schemaName": p.schema_name, "selector": p.selector}
            item["destinationId"] = p.destination_id
            if p.name is not None:
                item["name"] = p.name
            if p.merge_policy_id is not None:
                item["mergePolicyId"] = p.merge_policy_id
            item["version"] = p.version
            out.append(item)
        return out

    def load_destination(self, raw: dict[str, Any]) -> Destination:
        """A destination of a fixture document, checked as a create body is (ApiError when not)."""
        if raw["id"] in self.destinations:
            raise Conflict(f"projection destination {raw['id']} exists already")
        body = {k: v for k, v in raw.items() if k not in ("id", "version")}
        destination = self.create_destination(body, destination_id=raw["id"])
        destination.version = raw.get("version", 1)
        return destination

    def load_projection(self, raw: dict[str, Any]) -> ProjectionConfig:
        """A projection configuration of a fixture document, checked as a create is."""
        if raw["id"] in self.projections:
            raise Conflict(f"projection configuration {raw['id']} exists already")
        body = {k: v for k, v in raw.items() if k not in ("id", "version", "schemaName")}
        projection = self.create_projection(raw["schemaName"], body, projection_id=raw["id"])
        projection.version = raw.get("version", 1)
        return projection
