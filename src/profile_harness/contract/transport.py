"""The one door every validate request goes through: rate cap, 429 back-off, and the write guard."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from profile_harness.contract.deadline import RunClock, RunTimedOut
from profile_harness.contract.spec import Contract

__all__ = ["GuardedTransport", "WriteRefused", "retry_after_seconds"]

#: POSTs that only read (a lookup by a list of ids); they are safe in read-only runs' write mode too.
READ_ONLY_POSTS = frozenset(
    {"/data/core/ups/access/entities", "/data/core/ups/config/mergePolicies/bulk-get"}
)
#: Operations that destroy data which cannot be put back; refused even with --allow-writes.
NEVER = frozenset(
    {
        ("DELETE", "/data/core/ups/access/entities"),
        ("POST", "/data/core/ups/system/jobs"),
    }
)
#: Creates validate knows how to undo, and what their body must say for the DELETE to undo them: a
#: merge policy that is not the default (else it would demote the sandbox's own default), a computed
#: attribute in DRAFT (only drafts can be deleted). Other creates are never fuzzed.
UNDOABLE_CREATES: dict[str, dict[str, Any]] = {
    "/data/core/ups/config/mergePolicies": {"default": False},
    "/data/core/ca/attributes": {"status": "DRAFT"},
    "/data/core/ups/config/destinations": {},
    "/data/core/ups/config/projections": {},
}
#: What a create body means when it leaves the key out (the spec's defaults).
_ABSENT_MEANS: dict[str, Any] = {"default": False}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Longest single wait a Retry-After may ask for, and how many 429s in a row are waited out.
MAX_WAIT = 60.0
MAX_RETRIES = 5


class WriteRefused(httpx.RequestError):
    """validate refused to send a request that could change the deployment; nothing was sent."""


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass
class Created:
    """A resource this run created: where it lives and the request that made it."""

    path: str
    by: str
    deleted: bool = False


@dataclass
class GuardedTransport(httpx.BaseTransport):
    """Wraps a real transport; every request is paced, retried on 429 and checked by the write guard.

    Read-only mode sends GET, HEAD and OPTIONS (and nothing else). With writes allowed, a POST may
    create a resource the spec can delete again (it is tracked and deleted at the end); PUT, PATCH and
    DELETE may touch only resources this run created; lookups by POST are reads; operations in
    ``NEVER`` are refused always.
    """

    inner: httpx.BaseTransport
    contract: Contract
    allow_writes: bool = False
    rate: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    created: list[Created] = field(default_factory=list)
    requests_sent: int = 0
    rate_limited: int = 0
    waited: float = 0.0
    last_response: httpx.Response | None = None
    run: RunClock | None = None  # the run's --timeout: no request or wait goes past it
    failures_in_a_row: int = 0  # requests that got no answer at all, since the last answer
    last_failure: str = ""
    _next_slot: float = 0.0

    def _pace(self) -> None:
        if self.rate <= 0:
            return
        now = self.clock()
        if now < self._next_slot:
            self.sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + 1.0 / self.rate

    def _owned(self, path: str) -> bool:
        path = path.rstrip("/")
        # A resource stays ours after it is deleted: reading or deleting it again changes nothing.
        return any(c.path and (path == c.path or path.startswith(c.path + "/")) for c in self.created)

    def verdict(self, method: str, path: str, content: bytes = b"") -> str | None:
        """Why ``method path`` may not be sent, or None when it may."""
        method = method.upper()
        if method in _SAFE_METHODS:
            return None
        template = self.contract.operation_for(method, path)
        if method == "POST" and template in READ_ONLY_POSTS:
            return None if self.allow_writes else f"{method} {path} is not a GET (read-only run)"
        if not self.allow_writes:
            return f"{method} {path} is not a GET (read-only run; --allow-writes to send writes)"
        if template is None:
            return f"{method} {path} is no operation of the spec"
        if (method, template) in NEVER:
            return f"{method} {template} destroys data that cannot be put back; validate never sends it"
        if method == "POST":
            item = self._item_template(template)
            if item is None:
                return f"POST {template} creates something the API cannot delete again"
            return _undo_problem(template, content)
        if self._owned(path):
            return None
        return f"{method} {path} would change a resource this run did not create"

    def _item_template(self, collection: str) -> str | None:
        for _m, template, _p in self.contract.templates():
            if (
                template.startswith(collection.rstrip("/") + "/{")
                and template.count("/") == collection.rstrip("/").count("/") + 1
                and self.contract.has_operation("delete", template)
            ):
                return template
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reason = self.verdict(request.method, request.url.path, request.read())
        if reason is not None:
            raise WriteRefused(reason, request=request)
        for _attempt in range(MAX_RETRIES + 1):
            self._pace()
            if self.run is not None and self.run.expired:
                raise RunTimedOut("the run's --timeout is spent; request not sent", request=request)
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError as exc:
                self.failures_in_a_row += 1
                self.last_failure = f"{type(exc).__name__}: {exc}"
                raise
            self.failures_in_a_row = 0
            self.requests_sent += 1
            if response.status_code != 429:
                break
            wait = retry_after_seconds(response.headers.get("retry-after"), self.wall())
            self.rate_limited += 1
            left = self.run.remaining() if self.run is not None else None
            if (
                wait is None
                or wait > MAX_WAIT
                or _attempt == MAX_RETRIES
                or (left is not None and wait > left)
            ):
                break
            response.read()
            response.close()
            self.sleep(wait)
            self.waited += wait
        content = response.read()
        response.close()
        # A fresh response over the read bytes: the client wraps its stream and times it on close.
        answer = httpx.Response(
            response.status_code,
            headers=[(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"],
            stream=httpx.ByteStream(content),
            request=request,
            extensions=response.extensions,
        )
        self.last_response = answer
        self._track(request, httpx.Response(response.status_code, headers=answer.headers, content=content))
        return answer

    def _track(self, request: httpx.Request, response: httpx.Response) -> None:
        method, path = request.method.upper(), request.url.path.rstrip("/")
        for created in self.created:
            if created.path == path and method in ("DELETE", "PUT") and response.is_success:
                created.deleted = method == "DELETE"  # a PUT may bring a deleted resource back
            elif created.path == path and method == "DELETE" and response.status_code == 404:
                created.deleted = True
        if method != "POST" or not response.is_success or not self.allow_writes:
            return
        template = self.contract.operation_for(method, path)
        if template is None or template in READ_ONLY_POSTS:
            return
        ident = created_id(response)
        by = f"POST {path}"
        self.created.append(Created(f"{path}/{ident}" if ident else "", by))

    def close(self) -> None:
        self.inner.close()


def _undo_problem(template: str, content: bytes) -> str | None:
    rules = UNDOABLE_CREATES.get(template, {})
    if not rules:
        return None
    try:
        body = json.loads(content or b"null")
    except ValueError:
        return None  # a body the service cannot read creates nothing
    if not isinstance(body, dict):
        return None
    for key, wanted in rules.items():
        if body.get(key, _ABSENT_MEANS.get(key)) != wanted:
            return f"POST {template} with {key}={body[key]!r} could not be undone (needs {key}={wanted!r})"
    return None


def created_id(response: httpx.Response) -> str | None:
    """The id of what a create answered with: the body's ``id``, or the last segment of ``Location``."""
    try:
        body: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict):
        for key in ("id", "requestId"):
            if isinstance(body.get(key), str | int) and body[key] != "":
                return str(body[key])
    location = response.headers.get("location")
    if location:
        return str(location).rstrip("/").rsplit("/", 1)[-1]
    return None
