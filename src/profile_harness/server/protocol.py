"""The HTTP/1.1 protocol the harness is served with: uvicorn's h11 protocol, with its own refusals
answered in the gateway's documented error shape instead of uvicorn's plain text.

h11 refuses some requests before any ASGI layer sees them: a request line or headers past its size
limit, a malformed ``Content-Length``, a NUL or another invalid character in a header. uvicorn answers
those with a ``text/plain`` 400 ("Invalid HTTP request received."); Platform's gateway answers every
call it cannot read with ``{"error_code", "message"}``, which is what a client of the mock expects to
parse. Size refusals are 431 (RFC 6585), the status the harness gives headers past its own limit.
"""

from __future__ import annotations

import json
import sys

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["GatewayH11Protocol", "refusal_body"]

#: h11's words for a request too big to read (request line and headers).
_TOO_LARGE = ("too long", "too large", "incomplete event")


def refusal_body(reason: str) -> tuple[int, bytes]:
    """The status and gateway body for a request h11 refused, ``reason`` being h11's message."""
    if any(words in reason.lower() for words in _TOO_LARGE):
        message = "The request line or headers are larger than the server reads"
        return 431, json.dumps({"error_code": "431000", "message": message}).encode()
    printable = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in reason)[:200]
    message = f"The request could not be read as HTTP/1.1: {printable}"
    return 400, json.dumps({"error_code": "400000", "message": message}).encode()


class GatewayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; only the answer to a request h11 could not parse differs."""

    def send_400_response(self, msg: str) -> None:
        # Called inside uvicorn's ``except h11.RemoteProtocolError``: h11's own reason is the one to give.
        raised = sys.exc_info()[1]
        status, body = refusal_body(str(raised) if isinstance(raised, h11.RemoteProtocolError) else msg)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        reason = b"Request Header Fields Too Large" if status == 431 else b"Bad Request"
        for event in (
            h11.Response(status_code=status, headers=headers, reason=reason),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()
