"""The /__admin control plane: thin handlers over the store."""

from __future__ import annotations

from typing import Any

from profile_harness import __version__, context


async def adminHealth() -> tuple[dict[str, Any], int]:
    """GET /__admin/health"""
    return {"status": "ok", "version": __version__}, 200


async def adminReset(org: str | None = None, sandbox: str | None = None) -> tuple[dict[str, Any], int]:
    """POST /__admin/reset"""
    dropped = context.current().store.reset(org, sandbox)
    return {"tenantsReset": dropped}, 200
