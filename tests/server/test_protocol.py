"""Requests h11 refuses before any ASGI layer: answered in the gateway's error shape, over real sockets."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from profile_harness.app import create_app
from profile_harness.server.live import live_server
from profile_harness.server.protocol import refusal_body


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    with live_server(create_app()) as base_url:
        parts = urlsplit(base_url)
        assert parts.hostname is not None
        assert parts.port is not None
        yield parts.hostname, parts.port


def _exchange(address: tuple[str, int], raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(address, timeout=5) as sock:
        # In two writes, as a slow client sends: h11 measures a head it has not seen the end of.
        sock.sendall(raw[:40_000])
        time.sleep(0.05)
        with contextlib.suppress(OSError):  # the server may close once it has refused the start
            sock.sendall(raw[40_000:])
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)
    }
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 431, "431000"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n", 431, "431000"),
        (b"POST /__admin/reset HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "400000"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n", 400, "400000"),
    ],
    ids=["url-over-64-kib", "header-over-64-kib", "bad-content-length", "nul-in-a-header"],
)
def test_h11_refusal__gateway_shape_not_plain_text(
    address: tuple[str, int], raw: bytes, status: int, code: str
) -> None:
    got, headers, body = _exchange(address, raw)
    assert got == status
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["error_code"] == code
    assert set(document) == {"error_code", "message"}


def test_refusal_body__control_characters_leave_the_message() -> None:
    status, body = refusal_body("bad header\x00\r\n")
    assert status == 400
    assert json.loads(body)["message"] == "The request could not be read as HTTP/1.1: bad header???"
