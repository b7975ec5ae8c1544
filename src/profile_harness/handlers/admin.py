"""The /__admin control plane: thin handlers over the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from profile_harness import __version__
from profile_harness.errors import BadRequest, Conflict
from profile_harness.handlers.answers import Answer
from profile_harness.seed.fixtures import FixtureError, dump_state, load_document, write_state_file
from profile_harness.server import context
from profile_harness.server.faults import response_headers
from profile_harness.server.limits import MAX_JSON_DEPTH, check_tree
from profile_harness.store.clock import LATEST_MS


async def adminHealth() -> Answer:
    """GET /__admin/health"""
    return {"status": "ok", "version": __version__}, 200


async def adminReset(org: str | None = None, sandbox: str | None = None) -> Answer:
    """POST /__admin/reset"""
    dropped = context.current().store.reset(org, sandbox)
    return {"tenantsReset": dropped}, 200


async def adminLoadFixtures(body: Any) -> Answer:
    """POST /__admin/fixtures (JSON or YAML)"""
    if isinstance(body, bytes | str):
        raw = body
        try:
            body = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise BadRequest(f"the body is not valid YAML: {exc}") from None
        except RecursionError:
            raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
        check_tree(body, len(raw))
    try:
        loaded = load_document(context.current().store, body, "body")
    except FixtureError as exc:
        raise BadRequest(str(exc)) from None
    return {"loaded": [{"org": org, "sandbox": sandbox} for org, sandbox in loaded]}, 200


async def adminState(org: str | None = None, sandbox: str | None = None) -> Answer:
    """GET /__admin/state (each tenant with its system-jobs flavour, the server's when it has none)"""
    harness = context.current()
    return dump_state(harness.store, org, sandbox, system_jobs_flavor=harness.options.system_jobs_flavor), 200


async def adminSnapshot() -> Answer:
    """POST /__admin/snapshot: the state dump written to the state file (``serve --state``)"""
    harness = context.current()
    if harness.options.state_file is None:
        raise Conflict("the server has no state file: start it with serve --state FILE")
    path = Path(harness.options.state_file)
    try:
        tenants = write_state_file(harness.store, path, system_jobs_flavor=harness.options.system_jobs_flavor)
    except OSError as exc:
        raise Conflict(f"the state file {path} cannot be written: {exc.strerror}") from None
    return {"path": str(path), "tenants": tenants}, 200


async def adminRequests(limit: int | None = None) -> Answer:
    """GET /__admin/requests"""
    journal = context.current().journal
    return {"capacity": journal.capacity, "requests": [e.to_dict() for e in journal.entries(limit)]}, 200


async def adminClearRequests() -> Answer:
    """DELETE /__admin/requests"""
    return {"cleared": context.current().journal.clear()}, 200


def _clock_body() -> dict[str, Any]:
    clock = context.current().store.clock
    return {
        "now": clock.now().isoformat().replace("+00:00", "Z"),
        "nowMs": clock.now_ms(),
        "frozen": clock.frozen,
    }


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def _duration_ms(value: Any) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip()  # a JSON Schema `$` lets a final newline through
    digits = text.rstrip("smhd")
    unit = text[len(digits) :] or "ms"
    return int(digits) * _UNITS_MS[unit]


def _at_ms(value: Any) -> int | None:
    """Epoch milliseconds of ``at``, exact (a float timestamp can round 9999-12-31T23:59:59.9999 up)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


async def adminGetClock() -> Answer:
    """GET /__admin/clock"""
    return _clock_body(), 200


async def adminSetClock(body: dict[str, Any]) -> Answer:
    """POST /__admin/clock"""
    clock = context.current().store.clock
    at = _at_ms(body["at"]) if body.get("freeze") is True and "at" in body else None
    if body.get("freeze") is True and "at" in body and at is None:
        raise BadRequest(f"at {body['at']!r} is neither an ISO-8601 time nor epoch milliseconds")
    # Checked before anything moves: a clock outside what datetime can show breaks every later call.
    landing = (clock.now_ms() if at is None else at) + _duration_ms(body.get("advance", 0))
    if not 0 <= landing <= LATEST_MS:
        raise BadRequest("the clock must stay between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z")
    if body.get("freeze") is True:
        clock.freeze(at)
    if "advance" in body:
        clock.advance(_duration_ms(body["advance"]))
    if body.get("freeze") is False:
        clock.unfreeze()
    return _clock_body(), 200


def _timing_body() -> dict[str, Any]:
    return {kind: str(timing) for kind, timing in context.current().store.job_timing.items()}


async def adminGetJobTiming() -> Answer:
    """GET /__admin/job-timing"""
    return _timing_body(), 200


async def adminSetJobTiming(body: dict[str, Any]) -> Answer:
    """PUT /__admin/job-timing"""
    from profile_harness.store.jobs import parse_timing

    parsed = {kind: parse_timing(rule) for kind, rule in body.items()}
    context.current().store.job_timing.update(parsed)
    return _timing_body(), 200


async def adminListFaults() -> Answer:
    """GET /__admin/faults"""
    return {"faults": [f.to_dict() for f in context.current().store.faults.all()]}, 200


async def adminAddFault(body: dict[str, Any]) -> Answer:
    """POST /__admin/faults (headers HTTP cannot carry are refused now, not when the fault fires)"""
    if isinstance(body.get("respond"), dict):
        response_headers(body["respond"], 0)
    return context.current().store.faults.add(body).to_dict(), 201


async def adminClearFaults(org: str | None = None, sandbox: str | None = None) -> Answer:
    """DELETE /__admin/faults"""
    return {"cleared": context.current().store.faults.clear(org, sandbox)}, 200
