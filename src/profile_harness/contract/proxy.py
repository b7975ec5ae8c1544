"""A validating, recording proxy: forward to a real API, check both sides, write scenarios."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from profile_harness.contract.spec import Contract, load_contract
from profile_harness.openapi.conformance import ConformanceChecker, Violation

__all__ = ["VIOLATIONS_HEADER", "Recorder", "create_proxy", "redact"]

log = logging.getLogger("profile_harness.proxy")

VIOLATIONS_HEADER = "x-profile-harness-violations"
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)
#: Headers never written to a recording: credentials, and the tenant the replay target supplies.
_SECRET_HEADER = re.compile(r"authorization|api-key|token|secret|cookie|password|signature", re.IGNORECASE)
_TENANT_HEADERS = frozenset({"x-gw-ims-org-id", "x-sandbox-name", "x-sandbox-id"})
_SECRET_KEY = re.compile(r"token|secret|password|authorization|api[-_]?key|client[-_]?secret", re.IGNORECASE)
REDACTED = "<redacted>"
#: Response fields whose values change from run to run; a recording expects only their type.
_VOLATILE = re.compile(
    r"(^id$|Id$|ID$|^@id$|time|Time|epoch|Epoch|date|Date|At$|etag|version|created|updated)"
)


def redact(value: Any) -> Any:
    """``value`` with every token-like field replaced by ``<redacted>``."""
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


@dataclass
class Recorder:
    """Turns exchanges into one scenario file, rewritten after each one so a killed proxy loses nothing.

    An id that a response handed out and a later request uses becomes a captured variable, so the
    recording replays against a server that hands out other ids; volatile response fields (ids,
    times, versions) are expected by type only.
    """

    directory: Path
    name: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    tenant: dict[str, str] = field(default_factory=dict)
    known: dict[str, str] = field(default_factory=dict)  # value handed out -> variable name
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        self.name = self.name or f"recorded-{stamp}"

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.yaml"

    def _substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            for raw, var in sorted(self.known.items(), key=lambda kv: -len(kv[0])):
                if raw and raw in value:
                    value = value.replace(raw, "{{" + var + "}}")
            return value
        if isinstance(value, list):
            return [self._substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self._substitute(v) for k, v in value.items()}
        return value

    def _expected(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self._expected(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return {"$len": len(value)} if any(isinstance(v, dict | list) for v in value) else value
        if isinstance(value, str) and value in self.known:
            return "{{" + self.known[value] + "}}"
        if key and _VOLATILE.search(key) and value is not None:
            return {"$type": _type_name(value)}
        return self._substitute(value)  # an id inside a message ("policy <id> does not exist")

    def add(self, request: httpx.Request, response: httpx.Response) -> None:
        with self.lock:
            self._add(request, response)
            self._write()

    def _add(self, request: httpx.Request, response: httpx.Response) -> None:
        index = len(self.steps)
        if not self.tenant:
            # The tenant is no secret, and a replay must address the same one to see the same data.
            org, sandbox = request.headers.get("x-gw-ims-org-id"), request.headers.get("x-sandbox-name")
            if org and sandbox:
                self.tenant = {"org": org, "sandbox": sandbox}
        req: dict[str, Any] = {"method": request.method, "path": self._substitute(request.url.path)}
        query: dict[str, Any] = {}
        for key, value in request.url.params.multi_items():
            value = REDACTED if _SECRET_KEY.search(key) else self._substitute(value)
            query[key] = (
                [*query[key], value]
                if key in query and isinstance(query[key], list)
                else ([query[key], value] if key in query else value)
            )
        if query:
            req["query"] = query
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "accept", "x-profile-instance-id")
            and not _SECRET_HEADER.search(k)
            and v != "*/*"
        }
        if headers:
            req["headers"] = headers
        if request.content:
            try:
                req["body"] = self._substitute(redact(json.loads(request.content)))
            except ValueError:
                req["raw"] = self._substitute(request.content.decode("utf-8", "replace"))
        expect: dict[str, Any] = {"status": response.status_code}
        capture: dict[str, str] = {}
        body: Any = None
        if response.content:
            try:
                body = redact(response.json())
            except ValueError:
                body = None
        if isinstance(body, dict | list):
            expect["body"] = self._expected(body)
            for where, value in _ids(body):
                if value not in self.known:
                    var = f"step{index + 1}_{re.sub(r'[^A-Za-z0-9_]', '_', where.split('.')[-1])}"
                    self.known[value] = var
                    capture[var] = f"body.{where}" if where else "body"
        step: dict[str, Any] = {
            "name": f"{request.method} {req['path']}",
            "request": req,
            "expect": expect,
        }
        if capture:
            step["capture"] = capture
        self.steps.append(step)

    def _write(self) -> None:
        doc = {
            "name": f"Recorded through profile-harness proxy ({self.name})",
            "description": "Recorded by `profile-harness proxy --record`; no credentials are kept.",
            "source": {"doc": "recorded.md"},
            **({"tenant": self.tenant} if self.tenant else {}),
            "steps": self.steps,
        }
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
        tmp.replace(self.path)


def _ids(body: Any, where: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """(path, value) of id-like string fields a later request may use, shallow first."""
    found: list[tuple[str, str]] = []
    if depth > 2:
        return found
    if isinstance(body, dict):
        for key, value in body.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(value, str) and value and re.search(r"(^id$|Id$|ID$)", str(key)):
                found.append((here, value))
            elif isinstance(value, dict):
                found += _ids(value, here, depth + 1)
    elif isinstance(body, list):
        for i, item in enumerate(body[:20]):
            found += _ids(item, f"{where}[{i}]", depth + 1)
    return found


def _violation_header(violations: list[Violation]) -> str:
    text = " | ".join(f"{v.side}: {v.message}" for v in violations)
    text = " ".join(text.split()).encode("latin-1", "replace").decode("latin-1")
    return f"{len(violations)}; {text[:1500]}"


def create_proxy(
    upstream: str,
    *,
    contract: Contract | None = None,
    strict: bool = False,
    record_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """An ASGI app that forwards everything to ``upstream`` and checks each exchange."""
    contract = contract or load_contract()
    checker = ConformanceChecker(contract.document)
    recorder = Recorder(record_dir) if record_dir is not None else None
    client = httpx.AsyncClient(base_url=upstream.rstrip("/"), transport=transport, timeout=60.0)

    async def forward(request: Request) -> Response:
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP]
        outgoing = client.build_request(
            request.method, request.url.path, params=request.url.query or None, headers=headers, content=body
        )
        checked = outgoing.url.path.startswith("/__admin") is False
        if strict and checked:
            problems = [
                v
                for v in checker.check(outgoing, httpx.Response(200, request=outgoing))
                if v.side == "request"
            ]
            if problems:
                log.warning("blocked %s %s: %s", request.method, request.url.path, problems)
                return JSONResponse(
                    {
                        "title": "The request does not conform to the spec; the proxy did not forward it",
                        "status": 400,
                        "violations": [v.message for v in problems],
                    },
                    status_code=400,
                    headers={VIOLATIONS_HEADER: _violation_header(problems)},
                )
        try:
            answer = await client.send(outgoing)
        except httpx.HTTPError as exc:
            log.error("upstream failed for %s %s: %s", request.method, request.url.path, exc)
            return JSONResponse({"title": "Upstream unreachable", "detail": str(exc)}, status_code=502)
        violations = checker.check(outgoing, answer) if checked else []
        out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
        if violations:
            log.warning(
                "%s %s -> %s: %s",
                request.method,
                request.url.path,
                answer.status_code,
                "; ".join(str(v) for v in violations),
            )
            out_headers[VIOLATIONS_HEADER] = _violation_header(violations)
        if recorder is not None and checked and not outgoing.url.path.startswith("/ims/"):
            recorder.add(outgoing, answer)
        return Response(answer.content, status_code=answer.status_code, headers=out_headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
    app.state.recorder = recorder
    return app
