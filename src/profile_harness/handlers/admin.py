"""The /__admin control plane: thin handlers over the store."""

from __future__ import annotations

from typing import Any

import yaml

from profile_harness import __version__, context
from profile_harness.errors import BadRequest
from profile_harness.fixtures import FixtureError, dump_state, load_document


async def adminHealth() -> tuple[dict[str, Any], int]:
    """GET /__admin/health"""
    return {"status": "ok", "version": __version__}, 200


async def adminReset(org: str | None = None, sandbox: str | None = None) -> tuple[dict[str, Any], int]:
    """POST /__admin/reset"""
    dropped = context.current().store.reset(org, sandbox)
    return {"tenantsReset": dropped}, 200


async def adminLoadFixtures(body: Any) -> tuple[dict[str, Any], int]:
    """POST /__admin/fixtures (JSON or YAML)"""
    if isinstance(body, bytes | str):
        try:
            body = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise BadRequest(f"the body is not valid YAML: {exc}") from None
    try:
        loaded = load_document(context.current().store, body, "body")
    except FixtureError as exc:
        raise BadRequest(str(exc)) from None
    return {"loaded": [{"org": org, "sandbox": sandbox} for org, sandbox in loaded]}, 200


async def adminState(org: str | None = None, sandbox: str | None = None) -> tuple[dict[str, Any], int]:
    """GET /__admin/state"""
    return dump_state(context.current().store, org, sandbox), 200


async def adminRequests(limit: int | None = None) -> tuple[dict[str, Any], int]:
    """GET /__admin/requests"""
    journal = context.current().journal
    return {"capacity": journal.capacity, "requests": [e.to_dict() for e in journal.entries(limit)]}, 200


async def adminClearRequests() -> tuple[dict[str, Any], int]:
    """DELETE /__admin/requests"""
    return {"cleared": context.current().journal.clear()}, 200
