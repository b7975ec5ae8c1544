"""The request journal: a capped ring buffer of the calls a harness server answered."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from profile_harness.server.gateway import request_headers

__all__ = ["JournalEntry", "JournalMiddleware", "RequestJournal"]


@dataclass(frozen=True)
class JournalEntry:
    sequence: int
    time: float
    method: str
    path: str
    query: str
    status: int
    operationId: str | None
    org: str | None
    sandbox: str | None
    durationMs: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestJournal:
    """The most recent ``capacity`` requests (admin calls are not recorded)."""

    #: What record() keeps per call: the fields of a JournalEntry after ``sequence``, in order. The
    #: entry objects are made when the journal is read, not on the request path.
    _Row = tuple[float, str, str, str, int, "str | None", "str | None", "str | None", float]

    def __init__(self, capacity: int = 1000) -> None:
        self._entries: deque[tuple[int, RequestJournal._Row]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def record(
        self,
        time: float,
        method: str,
        path: str,
        query: str,
        status: int,
        operationId: str | None,
        org: str | None,
        sandbox: str | None,
        durationMs: float,
    ) -> None:
        """One answered call; kept as a tuple, made into a JournalEntry when the journal is read."""
        row = (time, method, path, query, status, operationId, org, sandbox, durationMs)
        with self._lock:
            self._sequence += 1
            self._entries.append((self._sequence, row))

    def record_call(self, scope: Scope, status: int, started: float) -> None:
        """Record the call of ``scope``, answered with ``status``, begun at ``perf_counter()`` ``started``."""
        headers = request_headers(scope)
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        self.record(
            time.time(),
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            status,
            routing.get("operation_id"),
            headers.get("x-gw-ims-org-id"),
            headers.get("x-sandbox-name"),
            round((time.perf_counter() - started) * 1000, 3),
        )

    def entries(self, limit: int | None = None) -> list[JournalEntry]:
        with self._lock:
            items = list(self._entries)
        items = items[-limit:] if limit else items
        return [JournalEntry(sequence, *row) for sequence, row in items]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count


class JournalMiddleware:
    """Records each non-admin request with the status it got and the operation that served it."""

    def __init__(self, app: ASGIApp, *, journal: RequestJournal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__admin"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.journal.record_call(scope, status, started)
