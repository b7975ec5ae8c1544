"""The request journal: a capped ring buffer of the calls a harness server answered.

It is bounded twice: at most ``capacity`` entries and at most ``max_bytes`` (``serve
--journal-max-bytes``) of their text, the oldest entries leaving first. A field longer than
:data:`FIELD_LIMIT` characters (a path, a query, a header) is kept cut, ending with its full size.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from profile_harness.server.gateway import request_headers

__all__ = ["FIELD_LIMIT", "JournalEntry", "JournalMiddleware", "RequestJournal"]

#: Characters of one field (path, query, org, sandbox) an entry keeps; longer ones are cut.
FIELD_LIMIT = 2048
#: What an entry costs besides its text (the tuple, the numbers), counted against ``max_bytes``.
_ENTRY_OVERHEAD = 200


def _cut(text: str | None) -> str | None:
    """``text``, or its first FIELD_LIMIT characters followed by how long it was."""
    if text is None or len(text) <= FIELD_LIMIT:
        return text
    return f"{text[:FIELD_LIMIT]}... ({len(text)} characters)"


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
    """The most recent ``capacity`` requests, at most ``max_bytes`` of them (admin calls are not
    recorded).
    """

    #: What record() keeps per call: the fields of a JournalEntry after ``sequence``, in order. The
    #: entry objects are made when the journal is read, not on the request path.
    _Row = tuple[float, str, str, str, int, "str | None", "str | None", "str | None", float]

    def __init__(self, capacity: int = 1000, max_bytes: int = 16 << 20) -> None:
        self._capacity = capacity
        #: Bytes the entries' text may take together (serve --journal-max-bytes).
        self.max_bytes = max_bytes
        self._entries: deque[tuple[int, RequestJournal._Row, int]] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._sequence = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def size_bytes(self) -> int:
        """What the kept entries count against ``max_bytes``."""
        return self._bytes

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
        path, query, org, sandbox = _cut(path) or "", _cut(query) or "", _cut(org), _cut(sandbox)
        method = method[:FIELD_LIMIT]
        row = (time, method, path, query, status, operationId, org, sandbox, durationMs)
        cost = _ENTRY_OVERHEAD + sum(
            len(text) for text in (method, path, query, operationId, org, sandbox) if text
        )
        with self._lock:
            self._sequence += 1
            self._entries.append((self._sequence, row, cost))
            self._bytes += cost
            while self._entries and (len(self._entries) > self._capacity or self._bytes > self.max_bytes):
                self._bytes -= self._entries.popleft()[2]

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
        return [JournalEntry(sequence, *row) for sequence, row, _ in items]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._bytes = 0
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
