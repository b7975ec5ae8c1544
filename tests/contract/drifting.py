"""A server that drifts from the contract on purpose, in four documented ways, in front of the mock."""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from profile_harness.app import create_app

#: What drifts, for the tests to look for.
RENAMED = ("identityGraph", "identityGraphs")  # on every merge policy
TEAPOT_PATH = "/data/core/ups/previewsamplestatus"  # answers 418, which no operation documents
TEXT_PLAIN_PATH = "/data/core/ups/config/destinations"  # answers its JSON as text/plain
DEFAULT_SANDBOX = "validate-test"  # a missing x-sandbox-name is not refused: this one is assumed


def _rename(node: Any) -> Any:
    if isinstance(node, dict):
        return {(RENAMED[1] if k == RENAMED[0] else k): _rename(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rename(item) for item in node]
    return node


def drifting_app(mock: Any = None) -> Starlette:
    """The mock (or ``mock``), with the four drifts; every forwarded call is counted in ``state.calls``."""
    upstream = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=mock or create_app()), base_url="http://mock"
    )

    async def forward(request: Request) -> Response:
        app.state.calls += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        if request.url.path.startswith("/data/") and "x-sandbox-name" not in headers:
            headers["x-sandbox-name"] = DEFAULT_SANDBOX
        answer = await upstream.request(
            request.method,
            request.url.path,
            params=request.url.query or None,
            headers=headers,
            content=await request.body(),
        )
        body = answer.content
        media = answer.headers.get("content-type", "application/json")
        status = answer.status_code
        path = request.url.path.rstrip("/")
        if "/mergePolicies" in path and media.startswith("application/json") and body:
            body = json.dumps(_rename(json.loads(body))).encode()
        if path == TEAPOT_PATH and request.method == "GET":
            status, body = 418, b'{"message": "I am a teapot"}'
        if path == TEXT_PLAIN_PATH and request.method == "GET":
            media = "text/plain"
        return Response(body, status_code=status, media_type=media)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)])
    app.state.calls = 0
    return app
