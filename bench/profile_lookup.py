"""Where the time goes: cProfile of the entity lookup request path and of loading generated data.

In-process (httpx.ASGITransport, the whole middleware and validation stack). Writes a markdown
report (top functions by own time, and own time summed by package) to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
from pathlib import Path
from typing import Any

import httpx
from bench_common import HEADERS, LOOKUP_PATH, lookup_params, stitched_people

from profile_harness.app import create_app
from profile_harness.seed.demo import demo_document
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store

_SITE = re.compile(r"site-packages/([A-Za-z0-9_]+)")


def _area(filename: str, name: str) -> str:
    if "/profile_harness/store/" in filename:
        return "profile_harness.store (data, merge)"
    if "/profile_harness/" in filename:
        return "profile_harness (app, middleware, handlers)"
    site = _SITE.search(filename)
    if site:
        return site.group(1)
    if filename.startswith("<frozen"):
        return "importlib (an import per request: httpx's ASGI transport looks for trio)"
    if filename.startswith("<"):
        return "generated __init__ (attrs, dataclasses)"
    if filename == "~":
        return "builtins: " + name.split(" of ")[0].strip("{}<>").replace("built-in method ", "")
    stem = Path(filename).stem
    parent = Path(filename).parent.name
    return (
        f"stdlib: {parent}"
        if parent not in ("lib", "python3.11") and "python3" in filename
        else f"stdlib: {stem}"
    )


def _report(title: str, profile: cProfile.Profile, units: int, unit: str, top: int) -> str:
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    lines = [
        f"### {title}",
        "",
        f"{units} {unit}, {total:.3f} s profiled, {total / units * 1000:.3f} ms each",
        "",
    ]
    areas: dict[str, float] = {}
    for (filename, _line, name), entry in raw.items():
        area = _area(filename, name)
        areas[area] = areas.get(area, 0.0) + entry[2]
    lines += ["| own time by package | % |", "| --- | ---: |"]
    for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"| {area} | {seconds / total * 100:.1f} |")
    lines += ["", "| function (own time) | calls | own % | cumulative % |", "| --- | ---: | ---: | ---: |"]
    ranked = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, name), (_cc, calls, tt, ct, _callers) in ranked:
        where = filename.split("site-packages/")[-1].split("/src/")[-1] if filename != "~" else ""
        label = f"{name} ({where}:{line})" if where else name
        lines.append(f"| `{label}` | {calls} | {tt / total * 100:.1f} | {ct / total * 100:.1f} |")
    return "\n".join(lines) + "\n"


async def _lookups(people: int, count: int) -> cProfile.Profile:
    document = demo_document(people, seed=7)
    store = Store(seed=7)
    load_document(store, document, "generated data")
    app = create_app(store)
    ecid = stitched_people(document)[0]["ecid"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=HEADERS) as client:
        for _ in range(20):  # warm-up: middleware stack built, identity graph built
            await client.get(LOOKUP_PATH, params=lookup_params(ecid))
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(count):
            response = await client.get(LOOKUP_PATH, params=lookup_params(ecid))
        profile.disable()
        assert response.status_code == 200, response.text
    return profile


def _load(people: int) -> cProfile.Profile:
    profile = cProfile.Profile()
    profile.enable()
    document = demo_document(people, seed=7)
    store = Store(seed=7)
    load_document(store, document, "generated data")
    _ = store.tenants()[0].profiles.graph
    profile.disable()
    return profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--people", type=int, default=10_000, help="the HTTP benchmark's world size")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    sections = [
        "# Profile of the entity lookup request path and of loading generated data",
        "",
        "cProfile, in-process through httpx.ASGITransport (client side included). Own time: time in",
        "the function itself; cumulative: with everything it calls. cProfile inflates call-heavy code.",
        "",
        _report(
            "Entity lookup, demo world (20 people): the per-request stack",
            asyncio.run(_lookups(20, 400)),
            400,
            "lookups",
            args.top,
        ),
        _report(
            f"Entity lookup, {args.people:,} generated people",
            asyncio.run(_lookups(args.people, 20)),
            20,
            "lookups",
            args.top,
        ),
        _report(
            f"Generating and loading {args.people:,} people (document, load_document, identity graph)",
            _load(args.people),
            args.people,
            "people",
            args.top,
        ),
    ]
    args.out.write_text("\n".join(sections), encoding="utf-8")
    print(f"profile written to {args.out}")


if __name__ == "__main__":
    main()
