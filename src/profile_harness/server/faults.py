"""Answer calls that match a request fault (POST /__admin/faults) instead of serving them."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from profile_harness.server.gateway import request_headers
from profile_harness.store.faults import FaultBook

__all__ = ["FaultMiddleware"]


class FaultMiddleware:
    """After routing (so faults can name an operationId), before validation and the handler."""

    def __init__(self, app: ASGIApp, *, faults: FaultBook) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The control plane is never faulted: a fault matching every path must still be removable.
        if scope["type"] != "http" or scope["path"].startswith("/__admin") or not self.faults.all():
            await self.app(scope, receive, send)
            return
        headers = request_headers(scope)
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        fault = self.faults.request_fault(
            routing.get("operation_id"),
            scope["method"],
            scope["path"],
            headers.get("x-gw-ims-org-id"),
            headers.get("x-sandbox-name"),
        )
        if fault is None:
            await self.app(scope, receive, send)
            return
        respond = fault.respond
        if respond.get("delay"):
            await asyncio.sleep(float(respond["delay"]))
        body = b"" if respond.get("body") is None else json.dumps(respond["body"]).encode()
        extra = {k.lower(): v for k, v in (respond.get("headers") or {}).items()}
        extra.setdefault("content-type", "application/json")
        raw = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in extra.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": int(respond["status"]), "headers": raw})
        await send({"type": "http.response.body", "body": body})
