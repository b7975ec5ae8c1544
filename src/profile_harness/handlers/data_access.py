"""Data Access: the files of a batch (/data/foundation/export)."""

from __future__ import annotations

import re
from typing import Any

from connexion import request
from starlette.responses import Response

from profile_harness.errors import ApiError
from profile_harness.handlers.answers import Answer
from profile_harness.server import context


class RangeNotSatisfiable(ApiError):
    status = 416
    title = "Range Not Satisfiable"


def _base() -> str:
    """The Data Access base URL of the server that was asked: file links point back at it."""
    return f"{request.url.scheme}://{request.url.netloc}/data/foundation/export"


async def listBatchFiles(batchId: str, start: int | None = None, limit: int | None = None) -> Answer:
    """GET /batches/{batchId}/files: the dataset files of a batch."""
    return context.tenant().catalog.batch_listing(batchId, start, limit).to_dict(_base()), 200


async def getFile(fileId: str, path: str | None = None, **_: Any) -> Answer | Response:
    """GET /files/{fileId}: the listing of a dataset file, or with `path` one file's bytes."""
    file = context.tenant().catalog.dataset_file(fileId)
    if path is None:
        return file.to_dict(_base()), 200
    return _bytes(file.part(path).data, request.headers.get("range"))


#: The single-range forms the spec's ``Range`` pattern states (RFC 9110 byte ranges), read as the
#: request validator reads the pattern (``re.search``); ASCII digits only.
_RANGE = re.compile(r"^bytes=(?:([0-9]{1,19})-([0-9]{0,19})|-([0-9]{1,19}))$")


def _bytes(data: bytes, range_header: str | None) -> Response:
    headers = {"Accept-Ranges": "bytes"}
    found = _RANGE.search(range_header) if range_header else None
    if found is None:  # no Range (the validator has refused any other form)
        return Response(data, 200, headers, media_type="application/octet-stream")
    size = len(data)
    if found.group(1) is not None:
        first = int(found.group(1))
        last = min(int(found.group(2)), size - 1) if found.group(2) else size - 1
        if found.group(2) and int(found.group(2)) < first:
            # RFC 9110 14.2: a server may ignore an invalid range; the whole file is answered.
            return Response(data, 200, headers, media_type="application/octet-stream")
    else:  # a suffix range: the last N bytes
        first, last = max(size - int(found.group(3)), 0), size - 1  # the last 0 bytes: first == size
    if first >= size:
        raise RangeNotSatisfiable(f"Range {range_header!r} is outside the file's {size} bytes")
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(data[first : last + 1], 206, headers, media_type="application/octet-stream")
