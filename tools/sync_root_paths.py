"""Rewrite the root spec's `paths` so it refers to every path item of every part, in a stable order.

Run after adding a path to a part: `.venv/bin/python tools/sync_root_paths.py`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ORDER = [
    "entities",
    "merge-policies",
    "export-jobs",
    "system-jobs",
    "preview",
    "computed-attributes",
    "computed-attributes-legacy",
    "edge",
    "catalog",
    "data-access",
    "ims",
]


def main() -> None:
    spec = Path(__file__).resolve().parents[1] / "spec"
    parts = sorted(
        (spec / "parts").glob("*.yaml"),
        key=lambda p: ORDER.index(p.stem) if p.stem in ORDER else len(ORDER),
    )
    lines = ["paths:"]
    for part in parts:
        lines.append(f"  # {part.name}")
        for path in yaml.safe_load(part.read_text())["paths"]:
            pointer = path.replace("~", "~0").replace("/", "~1")
            lines.append(f"  {path}:")
            lines.append(f"    $ref: 'parts/{part.name}#/paths/{pointer}'")
    root = spec / "openapi.yaml"
    text = root.read_text()
    root.write_text(text[: text.index("paths:")] + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
