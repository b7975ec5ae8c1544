"""Computed attributes of the current API (/data/core/ca/attributes): rules, evaluation and values.

Rules (DOC-CA; choices in spec/DECISIONS.md): names are letters and digits, unique in the sandbox;
the lookback fits its unit (HOURS 1-24, DAYS 1-7, WEEKS 1-4, MONTHS 1-6); a new attribute is DRAFT
or NEW; a DRAFT can be edited and published (NEW), anything else can only be DISABLED, and DISABLED
is final; only a DRAFT can be deleted. A NEW attribute is evaluated as a ``computedAttribute`` job:
NEW -> INITIALIZING (first half of the job) -> PROCESSING -> PROCESSED, or FAILED when its
expression is outside the evaluated PQL subset (:mod:`profile_harness.store.computed.pql`).

Values are stored, as Platform stores them: when an evaluation job completes it computes every
profile's value from the events inside the lookback as of that moment, and keeps it; lookups read the
kept value, so it is stale until the next run. Runs repeat at the refresh frequency Adobe documents
for the lookback (HOURS: hourly, DAYS: daily, WEEKS: weekly, MONTHS: monthly; ``keepCurrent``, fast
refresh, makes WEEKS and MONTHS daily), counted from the first run's start; each refresh is a new
``computedAttribute`` job that starts at its scheduled time and ends by the job timing rule. Nothing
runs by itself: a due run is started, and a finished one stored, when the attribute or a lookup is
read (the clock decides what is due).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from profile_harness.errors import BadRequest, Conflict, NotFound, Unprocessable
from profile_harness.store.clock import Clock, IdSource
from profile_harness.store.computed.pql import (
    EXPRESSION_FORMAT,
    EXPRESSION_TYPE,
    PqlAnalysis,
    analyse,
    expression_object,
    lookback_start_ms,
)
from profile_harness.store.datasets import EVENT_CLASS, PROFILE_CLASS, identities_of, parse_time_ms
from profile_harness.store.identity import Identity
from profile_harness.store.identity_index import IdentityIndex
from profile_harness.store.jobs import Job, Lifecycle, NewJob
from profile_harness.store.merge_policies import sandbox_info
from profile_harness.store.profiles import ProfileBackend

__all__ = [
    "DURATION_RANGES",
    "PROPERTY_FILTER",
    "ComputedAttribute",
    "ComputedAttributeBackend",
    "ComputedAttributePage",
    "tenant_namespace",
]

DURATION_RANGES = {"HOURS": 24, "DAYS": 7, "WEEKS": 4, "MONTHS": 6}
#: How often a lookback unit is evaluated again (MONTHS: one calendar month, see ``_run_start``).
REFRESH_MS = {"HOURS": 3_600_000, "DAYS": 86_400_000, "WEEKS": 7 * 86_400_000}
MAX_LIMIT = 40
DUPLICATE_NAME = "Function with the same name already exists for the specified schema or definedOn"
NOT_DRAFT_DELETE = "Only computed attributes in DRAFT status can be deleted"
LIFECYCLE = Lifecycle(first="NEW", running="PROCESSING", succeeded="PROCESSED", failed="FAILED")
EDITABLE = ("name", "displayName", "description", "keepCurrent", "expression", "duration")
SYSTEM_FIELDS = (
    "id",
    "type",
    "imsOrgId",
    "sandbox",
    "path",
    "mergeFunction",
    "schema",
    "lastEvaluationTs",
    "createEpoch",
    "updateEpoch",
    "createdBy",
    "errors",  # on a FAILED attribute's body, so a client can send it back
)
SORT_FIELDS = ("name", "status", "updateEpoch", "createEpoch")
_NAME = re.compile(r"^[A-Za-z0-9]+$")
#: One ``property`` filter of the list; the spec states the same pattern (epochs have at most 19 digits).
PROPERTY_FILTER = (
    r"^(name|status|mergeFunction\.value)(!?=)(.+)$"
    r"|^(createEpoch|updateEpoch)(<=|>=)([0-9]{1,19})$"
)
_FILTER = re.compile(PROPERTY_FILTER)
_CONTAINS = re.compile(r"^(!?)contains\((.*)\)$")


def tenant_namespace(org: str) -> str:
    """The organization's tenant id: its IMS org id before ``@``, lower-cased, letters and digits only.

    Adobe's tenant id (``acmecorp``) is assigned per organization and not derivable from the org id;
    the harness derives it so that ``ACMECORP@AdobeOrg`` owns ``_acmecorp`` and
    ``acmecorp/ComputedAttributes``.
    """
    namespace = re.sub(r"[^a-z0-9]", "", org.split("@", 1)[0].lower())
    return namespace or "tenant"


def _created_by(org: str) -> str:
    # No user is known behind a token; a stable AdobeID-shaped id per organization.
    return hashlib.sha256(org.encode()).hexdigest()[:24].upper() + "@AdobeID"


def _local_ts(ms: int) -> str:
    """``2023-08-27T00:14:55.028``: DOC-CA's lastEvaluationTs, a date-time without zone (UTC here)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}"


@dataclass
class ComputedAttribute:
    id: str
    name: str
    display_name: str
    description: str
    expression: dict[str, Any]
    duration: dict[str, Any]
    keep_current: bool
    status: str
    merge_function: str
    create_epoch: int
    update_epoch: int
    sequence: int
    job: Job | None = None
    evaluated_ms: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: Start of the first evaluation run; refresh runs are counted from it.
    first_run_ms: int | None = None
    #: How many refresh runs have been started after the first (run ``runs`` is the latest).
    runs: int = 0
    #: The values the last completed run stored, per identity of each profile it evaluated.
    values: dict[Identity, Any] = field(default_factory=dict)
    #: The tenant the attribute belongs to, which its body names (``imsOrgId``, ``sandbox``, ``path``).
    org: str = field(kw_only=True)
    sandbox: str = field(kw_only=True)

    @property
    def analysis(self) -> PqlAnalysis:
        return analyse(str(self.expression.get("value", "")))

    @property
    def refresh_unit(self) -> str:
        """The unit of the refresh frequency: the lookback's, or DAYS for fast refresh of longer ones."""
        unit = str(self.duration["unit"])
        return "DAYS" if self.keep_current and unit in ("WEEKS", "MONTHS") else unit

    def run_start_ms(self, run: int) -> int:
        """When run ``run`` starts (0: the first evaluation)."""
        start = self.first_run_ms or 0
        unit = self.refresh_unit
        if unit != "MONTHS":
            return start + run * REFRESH_MS[unit]
        # A month later is a month before read backwards: shift by -run months.
        return lookback_start_ms(start, -run, "MONTHS") if run else start

    def stored_value(self, related: frozenset[Identity]) -> tuple[bool, Any]:
        """(found, value) the last run stored for the profile of ``related`` identities."""
        for identity in sorted(related):
            if identity in self.values:
                return True, self.values[identity]
        return False, None

    def to_dict(self) -> dict[str, Any]:
        sandbox = sandbox_info(self.sandbox)
        sandbox["isDefault"] = sandbox.pop("default")
        body: dict[str, Any] = {
            "id": self.id,
            "type": "ComputedAttribute",
            "name": self.name,
            "displayName": self.display_name,
            "description": self.description,
            "imsOrgId": self.org,
            "sandbox": sandbox,
            "path": f"{tenant_namespace(self.org)}/ComputedAttributes",
            "keepCurrent": self.keep_current,
            "expression": dict(self.expression),
            "mergeFunction": {"value": self.merge_function},
            "status": self.status,
            "schema": {"name": "_xdm.context.profile"},
            "duration": dict(self.duration),
            "lastEvaluationTs": _local_ts(self.evaluated_ms) if self.evaluated_ms else "",
            "createEpoch": self.create_epoch,
            "updateEpoch": self.update_epoch,
            "createdBy": _created_by(self.org),
        }
        if self.status == "FAILED" and self.errors:
            body["errors"] = copy.deepcopy(self.errors)
        return body


@dataclass(frozen=True)
class ComputedAttributePage:
    attributes: list[ComputedAttribute]
    offset: int
    limit: int
    total: int
    links: dict[str, dict[str, str]]


def _check_duration(duration: Any) -> dict[str, Any]:
    if not isinstance(duration, dict) or set(duration) != {"count", "unit"}:
        raise BadRequest("duration needs exactly count and unit")
    count, unit = duration["count"], duration["unit"]
    if unit not in DURATION_RANGES:
        raise BadRequest(f"duration.unit {unit!r} is not one of HOURS, DAYS, WEEKS, MONTHS")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= DURATION_RANGES[unit]:
        raise BadRequest(f"duration.count {count!r} is out of range for {unit}: 1 to {DURATION_RANGES[unit]}")
    return {"count": count, "unit": unit}


def _check_expression(expression: Any) -> tuple[dict[str, Any], str]:
    """The expression as stored (``type``/``format`` default to PQL, pql/text) and its merge function."""
    try:
        stored = expression_object(expression)
    except ValueError as error:
        raise BadRequest(str(error)) from None
    merge = analyse(stored["value"]).merge_function
    if merge is None:
        raise BadRequest(
            "The expression has no aggregation to derive mergeFunction from: end it with sum(...), "
            "min(...), max(...), count() or topN(timestamp, 1)...head()"
        )
    return stored, merge


def _with_defaults(expression: dict[str, Any]) -> dict[str, Any]:
    return {"type": EXPRESSION_TYPE, "format": EXPRESSION_FORMAT, **expression}


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadRequest(f"name {name!r} must be letters and digits only (no spaces or underscores)")
    return name


class ComputedAttributeBackend:
    """The computed attributes of one tenant, their evaluation jobs and their values."""

    def __init__(
        self,
        *,
        org: str,
        sandbox: str,
        profiles: ProfileBackend,
        clock: Clock,
        ids: IdSource,
        new_job: NewJob,
    ) -> None:
        self.org, self.sandbox = org, sandbox
        #: Values are read from the profile's events.
        self.profiles = profiles
        self.clock, self.ids, self.new_job = clock, ids, new_job
        self._attributes: dict[str, ComputedAttribute] = {}

    # -- shape -------------------------------------------------------------------------------

    @property
    def namespace(self) -> str:
        return tenant_namespace(self.org)

    # -- evaluation --------------------------------------------------------------------------

    def _start_evaluation(self, attribute: ComputedAttribute, *, at_ms: int | None = None) -> None:
        """Start an evaluation run: the first (publishing), or a refresh scheduled at ``at_ms``."""
        job = self.new_job("computedAttribute", LIFECYCLE)
        problem = attribute.analysis.unsupported
        if job.fail_with is None and problem is not None:
            job.fail_with = [{"code": "unsupportedExpression", "msg": f"Expression not supported: {problem}"}]
        attribute.job = job
        if at_ms is None:
            attribute.first_run_ms, attribute.runs = job.created_ms, 0
            attribute.status = job.state
        else:
            job.created_ms = at_ms  # the run starts at its scheduled time, whenever it is noticed

    def _refresh(self, attribute: ComputedAttribute, *, read: bool) -> None:
        job = attribute.job
        if job is None or attribute.status in ("DRAFT", "DISABLED"):
            return
        now = self.clock.now_ms()
        if job.finished and attribute.status == "PROCESSED":
            due = attribute.runs
            while attribute.run_start_ms(due + 1) <= now:
                due += 1
            if due == attribute.runs:
                return
            # Runs missed while nobody looked collapse into the latest due one.
            attribute.runs = due
            self._start_evaluation(attribute, at_ms=attribute.run_start_ms(due))
            job = attribute.job
            assert job is not None

        def on_complete() -> None:
            self._store_run(attribute, now)

        first_run = attribute.status != "PROCESSED"
        state = job.advance(now, on_complete, read=read)
        if not first_run:
            # A refresh run leaves the attribute PROCESSED; a failed one keeps the values stored before.
            return
        if state == LIFECYCLE.failed:
            attribute.errors = list(job.errors)
        elif state == LIFECYCLE.running and _progress(job, now) < 0.5:
            state = "INITIALIZING"
        attribute.status = state

    def _store_run(self, attribute: ComputedAttribute, now_ms: int) -> None:
        """Evaluate every profile as of ``now_ms`` and keep the values (what lookups read until the next run).

        A profile is a component of the identity graph; its events are those carrying any of its
        identities, inside the lookback ending at ``now_ms``. A profile with no value (no matching
        event, for every aggregation but count) has none stored.
        """
        plan = attribute.analysis.plan
        attribute.evaluated_ms = now_ms
        if plan is None:
            attribute.values = {}
            return
        start = lookback_start_ms(now_ms, attribute.duration["count"], attribute.duration["unit"])
        index = self.profiles.graph
        values: dict[Identity, Any] = {}
        evaluated: set[Identity] = set()
        for positions in index.groups(EVENT_CLASS, True):
            fragments = [index.fragment(p) for p in positions.tolist()]
            component = _component(index, fragments[0].record)
            if component is None:
                continue
            events = []
            for fragment in fragments:
                at = parse_time_ms(fragment.record.get("timestamp")) or fragment.updated_ms
                if start <= at <= now_ms:
                    events.append((at, fragment.record))
            value = plan.evaluate(events, now_ms)
            evaluated |= component
            if value is not None:
                values.update(dict.fromkeys(component, value))
        # Profiles without any event: only count() has a value for them (0).
        empty = plan.evaluate([], now_ms)
        if empty is not None:
            for positions in index.groups(PROFILE_CLASS, True):
                component = _component(index, index.fragment(int(positions[0])).record)
                if component is not None and not component & evaluated:
                    values.update(dict.fromkeys(component, empty))
        attribute.values = values

    # -- operations --------------------------------------------------------------------------

    def create(self, body: dict[str, Any], attribute_id: str | None = None) -> ComputedAttribute:
        """A new attribute from a create body; ``attribute_id`` (a fixture's) instead of a new id."""
        if attribute_id is not None and attribute_id in self._attributes:
            raise Conflict(f"computed attribute {attribute_id} exists already")
        unknown = sorted(set(body) - {*EDITABLE, "status"})
        if unknown:
            raise BadRequest(f"unknown field {unknown[0]!r}")
        missing = [
            k
            for k in ("name", "displayName", "description", "expression", "duration", "status")
            if k not in body
        ]
        if missing:
            raise BadRequest(f"{missing[0]} is required")
        name = _check_name(body["name"])
        duration = _check_duration(body["duration"])
        expression, merge = _check_expression(body["expression"])
        if body["status"] not in ("DRAFT", "NEW"):
            raise BadRequest(f"status {body['status']!r} is not allowed for a new attribute: DRAFT or NEW")
        if self._named(name) is not None:
            raise BadRequest(DUPLICATE_NAME)
        now = self.clock.now_ms()
        attribute = ComputedAttribute(
            id=attribute_id or self.ids.uuid(),
            name=name,
            display_name=str(body["displayName"]),
            description=str(body["description"]),
            expression=expression,
            duration=duration,
            keep_current=bool(body.get("keepCurrent", False)),
            status="DRAFT",
            merge_function=merge,
            create_epoch=now,
            update_epoch=now,
            sequence=self.ids.sequence(),
            org=self.org,
            sandbox=self.sandbox,
        )
        if body["status"] == "NEW":
            self._start_evaluation(attribute)
        self._attributes[attribute.id] = attribute
        return attribute

    def get(self, attribute_id: str, *, read: bool = True) -> ComputedAttribute:
        attribute = self._attributes.get(attribute_id)
        if attribute is None:
            raise NotFound(f"Computed attribute {attribute_id} not found")
        self._refresh(attribute, read=read)
        return attribute

    def update(self, attribute_id: str, body: dict[str, Any]) -> ComputedAttribute:
        attribute = self.get(attribute_id, read=False)
        current = attribute.to_dict()
        unknown = sorted(set(body) - {*EDITABLE, "status", *SYSTEM_FIELDS})
        if unknown:
            raise BadRequest(f"unknown field {unknown[0]!r}")
        for name in SYSTEM_FIELDS:
            if name in body and body[name] != current.get(name):
                raise BadRequest(f"{name} is set by the system and cannot be changed")
        if isinstance(body.get("expression"), dict):
            # Left-out type and format are the defaults: the same text is no change.
            body = {**body, "expression": _with_defaults(body["expression"])}
        changed = [k for k in EDITABLE if k in body and body[k] != current[k]]
        status = body.get("status", attribute.status)
        if attribute.status != "DRAFT" and changed:
            raise BadRequest(
                f"{changed[0]} can only be changed while the attribute is DRAFT; it is {attribute.status}"
            )
        if status != attribute.status:
            allowed = {"DRAFT": ("NEW",), "DISABLED": ()}.get(attribute.status, ("DISABLED",))
            if status not in allowed:
                if not allowed:
                    raise BadRequest("Status DISABLED is final and cannot be changed")
                raise BadRequest(f"Status {attribute.status} can only be changed to {allowed[0]}")
        # Check every change before applying any, so a refused update changes nothing.
        updates: dict[str, Any] = {}
        if "name" in changed:
            name = _check_name(body["name"])
            other = self._named(name)
            if other is not None and other.id != attribute.id:
                raise BadRequest(DUPLICATE_NAME)
            updates["name"] = name
        if "duration" in changed:
            updates["duration"] = _check_duration(body["duration"])
        if "expression" in changed:
            updates["expression"], updates["merge_function"] = _check_expression(body["expression"])
        if "displayName" in changed:
            updates["display_name"] = str(body["displayName"])
        if "description" in changed:
            updates["description"] = str(body["description"])
        if "keepCurrent" in changed:
            updates["keep_current"] = bool(body["keepCurrent"])
        for key, value in updates.items():
            setattr(attribute, key, value)
        if status != attribute.status:
            if status == "NEW":
                self._start_evaluation(attribute)
            else:
                attribute.status = status
        if updates or status != current["status"]:
            attribute.update_epoch = self.clock.now_ms()
        return attribute

    def delete(self, attribute_id: str) -> ComputedAttribute:
        """Remove a DRAFT attribute; the attribute as it was."""
        attribute = self.get(attribute_id, read=False)
        if attribute.status != "DRAFT":
            raise Unprocessable(NOT_DRAFT_DELETE)
        del self._attributes[attribute_id]
        return attribute

    def page(self, *, limit: int, offset: int, sort_by: str, filters: list[str]) -> ComputedAttributePage:
        if not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
        if offset < 0:
            raise BadRequest("offset must be 0 or more")
        sort_field = sort_by.lstrip("-")
        if sort_field not in SORT_FIELDS:
            raise BadRequest(
                f"sortBy {sort_by!r} is not one of {', '.join(SORT_FIELDS)} (with an optional -)"
            )
        tests = [_filter(text) for text in filters]
        for attribute in self._attributes.values():
            self._refresh(attribute, read=False)
        rows = [(a, a.to_dict()) for a in self._attributes.values()]
        rows = [(a, d) for a, d in rows if all(test(d) for test in tests)]
        rows.sort(key=lambda row: (row[1][sort_field], row[0].sequence), reverse=sort_by.startswith("-"))
        total = len(rows)
        chosen = [a for a, _ in rows[offset : offset + limit]]
        extra: list[tuple[str, Any]] = [("sortBy", sort_by)] + [("property", f) for f in filters]

        def href(at: int) -> dict[str, str]:
            return {"href": "/attributes?" + urlencode([("offset", at), ("limit", limit), *extra])}

        links = {"self": href(offset)}
        if offset + limit < total:
            links["next"] = href(offset + limit)
        if offset > 0:
            links["prev"] = href(max(0, offset - limit))
        if total > limit:
            links["last"] = href(((total - 1) // limit) * limit)
        return ComputedAttributePage(chosen, offset, limit, total, links)

    # -- state dumps -------------------------------------------------------------------------

    def to_fixture(self) -> list[dict[str, Any]]:
        """Every attribute, oldest first, as a state dump keeps it: its create body, ``id``, what the
        server set (status, epochs) and its ``evaluation`` (job, runs, stored values); not moved along.
        """
        out = []
        for a in sorted(self._attributes.values(), key=lambda a: a.sequence):
            item: dict[str, Any] = {
                "id": a.id,
                "name": a.name,
                "displayName": a.display_name,
                "description": a.description,
                "expression": dict(a.expression),
                "duration": dict(a.duration),
                "keepCurrent": a.keep_current,
                "status": a.status,
                "createEpoch": a.create_epoch,
                "updateEpoch": a.update_epoch,
            }
            evaluation: dict[str, Any] = {"runs": a.runs}
            if a.job is not None:
                evaluation["job"] = a.job.to_fixture()
            if a.evaluated_ms is not None:
                evaluation["evaluatedMs"] = a.evaluated_ms
            if a.first_run_ms is not None:
                evaluation["firstRunMs"] = a.first_run_ms
            if a.errors:
                evaluation["errors"] = copy.deepcopy(a.errors)
            if a.values:
                stored = sorted(a.values.items())
                evaluation["values"] = [[ns, ident, copy.deepcopy(v)] for (ns, ident), v in stored]
            item["evaluation"] = evaluation
            out.append(item)
        return out

    def load_fixture(self, raw: dict[str, Any]) -> ComputedAttribute:
        """An attribute of a fixture document: a create body with an optional ``id`` (checked as POST
        checks it; NEW starts its evaluation), or an attribute of a state dump, restored as it was.
        """
        restored = ("createEpoch", "updateEpoch", "evaluation")
        body = {k: v for k, v in raw.items() if k != "id" and k not in restored}
        if not any(k in raw for k in restored):
            return self.create(body, raw.get("id"))
        attribute = self.create({**body, "status": "DRAFT"}, raw.get("id"))
        attribute.status = raw["status"]
        attribute.create_epoch = raw.get("createEpoch", attribute.create_epoch)
        attribute.update_epoch = raw.get("updateEpoch", attribute.update_epoch)
        evaluation = raw.get("evaluation") or {}
        if "job" in evaluation:
            attribute.job = Job.from_fixture(LIFECYCLE, evaluation["job"])
        attribute.runs = evaluation.get("runs", 0)
        attribute.evaluated_ms = evaluation.get("evaluatedMs")
        attribute.first_run_ms = evaluation.get("firstRunMs")
        attribute.errors = copy.deepcopy(evaluation.get("errors", []))
        attribute.values = {(ns, ident): copy.deepcopy(v) for ns, ident, v in evaluation.get("values", [])}
        return attribute

    def _named(self, name: str) -> ComputedAttribute | None:
        return next((a for a in self._attributes.values() if a.name == name), None)

    # -- values ------------------------------------------------------------------------------

    def has_attributes(self) -> bool:
        """Whether any computed attribute exists (without one, no profile has a value)."""
        return bool(self._attributes)

    def values_for(self, related: frozenset[Identity]) -> dict[str, Any]:
        """``{name: value}`` of every PROCESSED attribute for the profile made of ``related`` identities.

        Each value is the one the attribute's last completed run stored for the profile (read from its
        events inside the lookback as of that run), not one worked out now: between runs it is stale,
        as on Platform. An attribute without a stored value for this profile is left out.
        """
        values: dict[str, Any] = {}
        for attribute in sorted(self._attributes.values(), key=lambda a: a.sequence):
            self._refresh(attribute, read=False)
            if attribute.status != "PROCESSED":
                continue
            found, value = attribute.stored_value(related)
            if found:
                values[attribute.name] = value
        return values

    def attach(self, entity: dict[str, Any], related: frozenset[Identity]) -> dict[str, Any]:
        """A copy of a merged profile with its computed attributes at ``_<tenant>.ComputedAttributes``."""
        values = self.values_for(related)
        if not values:
            return entity
        out = copy.deepcopy(entity)
        holder = out.setdefault(f"_{self.namespace}", {})
        if not isinstance(holder, dict):
            return entity
        target = holder.setdefault("ComputedAttributes", {})
        if isinstance(target, dict):
            target.update(values)
        return out


def _component(index: IdentityIndex, record: dict[str, Any]) -> frozenset[Identity] | None:
    """The identity-graph component of a record's first identity (None for a record without one)."""
    found = identities_of(record)
    return index.component(found[0]) if found else None


def _progress(job: Job, now_ms: int) -> float:
    """How far a running job is, 0 to 1, by its timing rule (INITIALIZING for the first half)."""
    if job.timing.rule == "reads":
        return job.reads / job.timing.amount
    if job.timing.rule == "seconds" and job.timing.amount > 0:
        return (now_ms - job.created_ms) / (job.timing.amount * 1000)
    return 1.0


def _filter(text: str) -> Callable[[dict[str, Any]], bool]:
    """One ``property`` filter of the list (DOC-CA), as a test on an attribute's body."""
    match = _FILTER.match(text)
    if match is None:
        raise BadRequest(
            f"property filter {text!r} is not name|status|mergeFunction.value (=, !=, =contains(), "
            "=!contains()) followed by a value without |, or createEpoch|updateEpoch (<=, >=) followed by "
            "epoch milliseconds (at most 19 digits)"
        )
    if match.group(4):
        name, op, bound = match.group(4), match.group(5), int(match.group(6))
        if op == ">=":
            return lambda body: bool(body[name] >= bound)
        return lambda body: bool(body[name] <= bound)
    name, op, raw = match.group(1), match.group(2), match.group(3)
    fold = name == "status"  # status values compare without regard to case (our spec)
    contains = _CONTAINS.match(raw) if op == "=" else None
    negate = op == "!="
    if contains:
        negate = contains.group(1) == "!"
        wanted = {v.strip() for v in contains.group(2).split(",") if v.strip()}
    else:
        wanted = {raw}
    if fold:
        wanted = {w.upper() for w in wanted}

    def test(body: dict[str, Any]) -> bool:
        actual = body["mergeFunction"]["value"] if name == "mergeFunction.value" else body[name]
        actual = str(actual).upper() if fold else str(actual)
        return (actual in wanted) != negate

    return test
