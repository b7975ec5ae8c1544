"""The ceiling: a bare Starlette app answering the benchmark's paths with pre-serialized bodies.

Same uvicorn settings as the mock. Reads the routes from a JSON file the runner wrote from the
mock's own answers: ``[{"method", "path", "status", "content_type", "body"}]`` (a path may hold
Starlette ``{param}`` parts; the query string is ignored).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench_common import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def _endpoint(status: int, media_type: str, body: bytes) -> Callable[[Request], Awaitable[Response]]:
    async def answer(request: Request) -> Response:
        return Response(body, status_code=status, media_type=media_type)

    return answer


def build(routes_file: Path) -> Starlette:
    table = json.loads(routes_file.read_text(encoding="utf-8"))
    grouped: dict[str, dict[str, dict[str, object]]] = {}
    for entry in table:
        grouped.setdefault(entry["path"], {})[entry["method"]] = entry
    routes = []
    for path, methods in grouped.items():
        for method, entry in methods.items():
            endpoint = _endpoint(
                int(entry["status"]),  # type: ignore[call-overload]
                str(entry["content_type"]),
                str(entry["body"]).encode("utf-8"),
            )
            routes.append(Route(path, endpoint, methods=[method]))
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--routes", type=Path, required=True)
    args = parser.parse_args()
    serve(build(args.routes), args.port)


if __name__ == "__main__":
    main()
