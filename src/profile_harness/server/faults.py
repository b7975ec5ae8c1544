"""Answer calls that match a request fault (POST /__admin/faults) instead of serving them."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from profile_harness.errors import BadRequest
from profile_harness.server.gateway import request_headers
from profile_harness.store.faults import FaultBook

__all__ = ["FaultMiddleware", "response_headers"]

#: RFC 9110: a field name is a token; a field value is visible ASCII, spaces and tabs, not starting
#: or ending with whitespace (no CR, LF or NUL: h11 drops the connection on those, and a character
#: outside Latin-1 cannot be sent at all). ``fullmatch``: a final line break is not let through.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(r"([\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?)?")


def response_headers(respond: dict[str, Any], body_length: int) -> list[tuple[bytes, bytes]]:
    """The raw headers of a fault's answer; a 400 naming the header that HTTP cannot carry.

    The admin API calls it when the fault is added, so a fault that could not be answered is refused
    then rather than dropping the connection of the call it matches.
    """
    extra: dict[str, str] = {}
    for raw_name, value in (respond.get("headers") or {}).items():
        # A JSON Schema ``$`` lets one final line break through (spec/admin.yaml): read without it.
        name = str(raw_name).removesuffix("\n")
        text = (value if isinstance(value, str) else str(value)).removesuffix("\n")
        if not _NAME.fullmatch(name):
            raise BadRequest(
                f"respond.headers: {name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
            )
        if not _VALUE.fullmatch(text):
            raise BadRequest(
                f"respond.headers.{name}: {text!r} is not a header value (visible ASCII, spaces and tabs "
                "inside; no CR, LF or other control character)"
            )
        extra[name.lower()] = text
    extra.setdefault("content-type", "application/json")
    raw = [(k.encode("ascii"), v.encode("ascii")) for k, v in extra.items() if k != "content-length"]
    raw.append((b"content-length", str(body_length).encode()))
    return raw


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
        raw = response_headers(respond, len(body))
        await send({"type": "http.response.start", "status": int(respond["status"]), "headers": raw})
        await send({"type": "http.response.body", "body": body})
