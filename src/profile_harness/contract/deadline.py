"""Time and size bounds for validate: a run deadline, and requests a slow or dripping server cannot stretch.

httpx's read timeout restarts on every byte, so a server that drips one byte a second is never timed
out by it. ``DeadlineTransport`` sends each request on an event loop of its own (one thread for the
run) inside ``anyio.move_on_after``: the whole exchange, headers and body, has one deadline, the
shorter of the per-request timeout and what is left of the run. It reads at most ``max_body`` bytes of
an answer; a longer one is refused (``AnswerTooLarge``) and the rest is never read.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import httpx

__all__ = ["AnswerTooLarge", "DeadlineTransport", "RunClock", "RunTimedOut"]


class RunTimedOut(httpx.TimeoutException):
    """The run's total ``--timeout`` is spent; nothing more is sent."""


class AnswerTooLarge(httpx.RequestError):
    """An answer longer than the read cap: it was not read to the end, so it is not checked."""


@dataclass
class RunClock:
    """The run's deadline: ``total`` seconds from ``started`` (None or 0: no limit)."""

    total: float | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()

    def remaining(self) -> float | None:
        if not self.total:
            return None
        return self.total - (self.clock() - self.started)

    @property
    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def budget(self, request_timeout: float) -> float:
        """Seconds one request may take: its own timeout, or less when the run ends sooner."""
        left = self.remaining()
        return request_timeout if left is None else max(0.0, min(request_timeout, left))


class DeadlineTransport(httpx.BaseTransport):
    """A sync transport whose every exchange has one overall deadline and a bounded answer size."""

    def __init__(
        self,
        *,
        request_timeout: float,
        max_body: int,
        run: RunClock | None = None,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.request_timeout = request_timeout
        self.max_body = max_body
        self.run = run or RunClock()
        self._stack = contextlib.ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        self._inner = inner or httpx.AsyncHTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.run.expired:
            raise RunTimedOut("the run's --timeout is spent; request not sent", request=request)
        budget = self.run.budget(self.request_timeout)
        status, headers, body, extensions = self._portal.call(self._send, request, request.read(), budget)
        return httpx.Response(status, headers=headers, content=body, request=request, extensions=extensions)

    async def _send(
        self, request: httpx.Request, content: bytes, budget: float
    ) -> tuple[int, list[tuple[str, str]], bytes, dict[str, Any]]:
        outgoing = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=content,
            extensions=request.extensions,
        )
        result: tuple[int, list[tuple[str, str]], bytes, dict[str, Any]] | None = None
        with anyio.move_on_after(budget):
            response = await self._inner.handle_async_request(outgoing)
            try:
                body = await self._read(response, request)
            finally:
                await response.aclose()
            headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
            result = (response.status_code, headers, body, dict(response.extensions))
        if result is None:
            if self.run.expired:
                raise RunTimedOut("the run's --timeout was reached during this request", request=request)
            raise httpx.ReadTimeout(
                f"no complete answer within {budget:g}s (--request-timeout)", request=request
            )
        return result

    async def _read(self, response: httpx.Response, request: httpx.Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_body:
                declared = response.headers.get("content-length")
                total = f"{declared} bytes" if declared and declared.isdigit() else "size unknown"
                raise AnswerTooLarge(
                    f"answer longer than the {self.max_body}-byte cap (--max-body-mib; {total}); not checked",
                    request=request,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._portal.call(self._inner.aclose)
        self._stack.close()
