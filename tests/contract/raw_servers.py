"""Small misbehaving servers on loopback for the validate and proxy tests: raw asyncio, one thread each."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextmanager
def raw_server(handler: Handler) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port until the block ends; yields the base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="raw-server", daemon=True)
    thread.start()

    async def closing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.CancelledError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(closing, "127.0.0.1", 0)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:

        async def stop() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _read_head(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Takes the request and never answers."""
    await _read_head(reader)
    await asyncio.sleep(3600)


def drip(head: bytes, body: bytes = b"", every: float = 0.05) -> Handler:
    """Sends ``head`` at once, then ``body`` one byte every ``every`` seconds (or the head dripped too)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        if body:
            writer.write(head)
            await writer.drain()
        for byte in body or head:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)
        await asyncio.sleep(3600)

    return handler


def dripping_body(every: float = 0.05) -> Handler:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    return drip(head, b'{"children": [' + b" " * 99_980 + b"]}", every)


def dripping_headers(every: float = 0.05) -> Handler:
    return drip(b"HTTP/1.1 200 OK\r\n" + b"x-slow: " + b"a" * 10_000 + b"\r\n\r\n", b"", every)


def answer(status: int, body: bytes, content_type: str = "application/json", delay: float = 0.0) -> Handler:
    """Answers every request the same (after ``delay`` seconds), keeping the connection open."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            await asyncio.sleep(delay)
            writer.write(
                b"HTTP/1.1 %d X\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n"
                % (status, content_type.encode(), len(body))
                + body
            )
            await writer.drain()

    return handler
