"""A validating, recording proxy: forward to a real API, check both sides, write scenarios.

Recordings keep no credentials: values under credential-like names (query keys, form fields, JSON
keys, headers) are redacted by rule, and so is every later occurrence of a value once seen as a
credential in the session (a token echoed back in a body). Steps are appended one by one. Answers
longer than ``max_body`` are passed through as they stream, neither checked nor recorded whole.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from profile_harness.contract.spec import Contract, load_contract
from profile_harness.openapi.conformance import ConformanceChecker, Violation

__all__ = ["DEFAULT_MAX_BODY", "VIOLATIONS_HEADER", "Recorder", "create_proxy", "header_value", "redact"]

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
#: Names whose values are credentials, wherever they appear: query keys, form fields, JSON keys.
_SECRET_KEY = re.compile(
    r"token|secret|passw|pwd|signature|credential|authorization|api[-_]?key|jwt|cookie|session|assertion"
    r"|^(sig|key|auth)$",
    re.IGNORECASE,
)
#: A value this short is redacted where it stands but not hunted for elsewhere (it would match anything).
_MIN_SECRET = 6
REDACTED = "<redacted>"
#: Answers longer than this (bytes) are streamed through unchecked and recorded by status only.
DEFAULT_MAX_BODY = 8 * 1024 * 1024
#: How much of a violation message goes to the log and the header.
_MESSAGE_LIMIT = 2048
_UNSAFE_HEADER_CHARS = re.compile(r"[^\x20-\x7e]")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
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


def _secret_values(value: Any) -> list[str]:
    """The values under credential-like keys anywhere in a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _SECRET_KEY.search(str(key)) and isinstance(item, str | int):
                found.append(str(item))
            else:
                found += _secret_values(item)
    elif isinstance(value, list):
        for item in value:
            found += _secret_values(item)
    return found


def header_value(text: str) -> str:
    """``text`` safe as an HTTP header value: control and non-ASCII characters as Python escapes."""
    return _UNSAFE_HEADER_CHARS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _is_form(headers: httpx.Headers) -> bool:
    media = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    return media == "application/x-www-form-urlencoded"


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
    """Turns exchanges into one scenario file, one step appended per exchange so a killed proxy loses nothing.

    An id that a response handed out and a later request uses becomes a captured variable, so the
    recording replays against a server that hands out other ids; volatile response fields (ids,
    times, versions) are expected by type only.
    """

    directory: Path
    name: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    tenant: dict[str, str] = field(default_factory=dict)
    known: dict[str, str] = field(default_factory=dict)  # value handed out -> variable name
    secrets: set[str] = field(default_factory=set)  # every credential value seen in the session
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

    def observe(self, request: httpx.Request, response: httpx.Response | None = None) -> None:
        """Learn the credentials an exchange carries (an IMS call is observed, never recorded)."""
        found: list[str] = []
        for name, value in request.headers.items():
            if _SECRET_HEADER.search(name):
                found += [value, value.split(" ", 1)[-1]]
        found += [v for k, v in request.url.params.multi_items() if _SECRET_KEY.search(k)]
        for message in (request, response):
            if message is None or not message.content:
                continue
            if _is_form(message.headers):
                pairs = urllib.parse.parse_qsl(
                    message.content.decode("utf-8", "replace"), keep_blank_values=True
                )
                found += [v for k, v in pairs if _SECRET_KEY.search(k)]
            else:
                with contextlib.suppress(ValueError):
                    found += _secret_values(json.loads(message.content))
        with self.lock:
            self.secrets.update(v for v in found if len(v) >= _MIN_SECRET)

    def _scrub(self, value: Any) -> Any:
        """Every occurrence of a credential seen in the session replaced by ``<redacted>``."""
        if isinstance(value, str):
            for secret in sorted(self.secrets, key=len, reverse=True):
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        if isinstance(value, dict):
            return {self._scrub(k): self._scrub(v) for k, v in value.items()}
        return value

    def add(self, request: httpx.Request, response: httpx.Response, *, truncated: int | None = None) -> None:
        """Record one exchange; ``truncated``: the answer was too long to keep, this many bytes."""
        self.observe(request, response)
        with self.lock:
            step = self._scrub(self._add(request, response, truncated))
            self._append(step)

    def _add(self, request: httpx.Request, response: httpx.Response, truncated: int | None) -> dict[str, Any]:
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
        if request.content and _is_form(request.headers):
            pairs = urllib.parse.parse_qsl(request.content.decode("utf-8", "replace"), keep_blank_values=True)
            form = [(k, REDACTED if _SECRET_KEY.search(k) else self._substitute(v)) for k, v in pairs]
            req["raw"] = urllib.parse.urlencode(form, safe="<>{}")
        elif request.content:
            try:
                req["body"] = self._substitute(redact(json.loads(request.content)))
            except ValueError:
                req["raw"] = self._substitute(request.content.decode("utf-8", "replace"))
        expect: dict[str, Any] = {"status": response.status_code}
        capture: dict[str, str] = {}
        body: Any = None
        if truncated is None and response.content:
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
        name = f"{request.method} {req['path']}"
        if truncated is not None:
            name += f" (answer of {truncated} bytes over the recording cap; body not recorded)"
        step: dict[str, Any] = {"name": name, "request": req, "expect": expect}
        if capture:
            step["capture"] = capture
        return step

    def _append(self, step: dict[str, Any]) -> None:
        """Append one step to the file (its head is written with the first step): no rewrite, ever."""
        text = yaml.safe_dump([step], sort_keys=False, allow_unicode=True)
        if not self.steps:
            head = {
                "name": f"Recorded through profile-harness proxy ({self.name})",
                "description": "Recorded by `profile-harness proxy --record`; no credentials are kept.",
                "source": {"doc": "recorded.md"},
                **({"tenant": self.tenant} if self.tenant else {}),
            }
            text = yaml.safe_dump(head, sort_keys=False, allow_unicode=True) + "steps:\n" + text
        with self.path.open("a", encoding="utf-8") as out:
            out.write(text)
        self.steps.append(step)


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


def _violations_text(violations: list[Violation]) -> str:
    text = " | ".join(f"{v.side}: {v.message}" for v in violations)
    text = " ".join(text[: _MESSAGE_LIMIT * 2].split())[:_MESSAGE_LIMIT]
    return _CONTROL_CHARS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _violation_header(violations: list[Violation]) -> str:
    return header_value(f"{len(violations)}; {_violations_text(violations)}")[:_MESSAGE_LIMIT]


def create_proxy(
    upstream: str,
    *,
    contract: Contract | None = None,
    strict: bool = False,
    record_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> Starlette:
    """An ASGI app that forwards everything to ``upstream`` and checks each exchange.

    An answer longer than ``max_body`` bytes is streamed through as it comes: not checked, recorded by
    its status only (with its size), logged once.
    """
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
            answer = await client.send(outgoing, stream=True)
        except httpx.HTTPError as exc:
            log.error("upstream failed for %s %s: %s", request.method, request.url.path, exc)
            return JSONResponse({"title": "Upstream unreachable", "detail": str(exc)}, status_code=502)
        records = recorder is not None and checked and not outgoing.url.path.startswith("/ims/")
        out_headers = {k: header_value(v) for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
        chunks: list[bytes] = []
        size = 0
        stream = answer.aiter_bytes()
        try:
            async for chunk in stream:
                chunks.append(chunk)
                size += len(chunk)
                if size > max_body:
                    break
        except httpx.HTTPError as exc:
            await answer.aclose()
            log.error("upstream broke off %s %s: %s", request.method, request.url.path, exc)
            return JSONResponse({"title": "Upstream broke off", "detail": str(exc)}, status_code=502)
        if size > max_body:
            return _pass_through(
                request, outgoing, answer, stream, chunks, out_headers, recorder if records else None
            )
        await answer.aclose()
        content = b"".join(chunks)
        received = httpx.Response(
            answer.status_code, headers=answer.headers, content=content, request=outgoing
        )
        if recorder is not None and not records:
            recorder.observe(outgoing, received)  # an IMS call: its credentials are learnt, never written
        violations = checker.check(outgoing, received) if checked else []
        if violations:
            log.warning(
                "%s %s -> %s: %s",
                request.method,
                request.url.path,
                answer.status_code,
                _violations_text(violations),
            )
            out_headers[VIOLATIONS_HEADER] = _violation_header(violations)
        if recorder is not None and records:
            recorder.add(outgoing, received)
        return Response(content, status_code=answer.status_code, headers=out_headers)

    def _pass_through(
        request: Request,
        outgoing: httpx.Request,
        answer: httpx.Response,
        stream: AsyncIterator[bytes],
        head: list[bytes],
        headers: dict[str, str],
        recording: Recorder | None,
    ) -> StreamingResponse:
        log.warning(
            "%s %s -> %s: answer over %d bytes, passed through unchecked%s",
            request.method,
            request.url.path,
            answer.status_code,
            max_body,
            " and recorded by status only" if recording is not None else "",
        )

        async def body() -> AsyncIterator[bytes]:
            size = 0
            try:
                for chunk in head:
                    size += len(chunk)
                    yield chunk
                async for chunk in stream:
                    size += len(chunk)
                    yield chunk
            finally:
                await answer.aclose()
                if recording is not None:
                    status_only = httpx.Response(answer.status_code, headers=answer.headers, request=outgoing)
                    recording.add(outgoing, status_only, truncated=size)

        return StreamingResponse(body(), status_code=answer.status_code, headers=headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)
    app.state.recorder = recorder
    return app
