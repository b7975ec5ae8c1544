"""Bundle one part file (with common.yaml) on its own and lint it, listing its operations.

Usage: `.venv/bin/python tools/lint_part.py spec/parts/<area>.yaml`
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from profile_harness.openapi.bundle import bundle, iter_operations
from profile_harness.openapi.lint import lint_document


def main(part: Path) -> int:
    spec = Path(__file__).resolve().parents[1] / "spec"
    root = yaml.safe_load((spec / "openapi.yaml").read_text())
    paths = yaml.safe_load(part.read_text())["paths"]
    pointer = {p: p.replace("~", "~0").replace("/", "~1") for p in paths}
    root["paths"] = {p: {"$ref": f"parts/{part.name}#/paths/{pointer[p]}"} for p in paths}
    tmp = spec / f".tmp-root-{part.stem}.yaml"
    tmp.write_text(yaml.safe_dump(root, sort_keys=False))
    try:
        doc = bundle(tmp)
        problems = lint_document(doc)
    finally:
        tmp.unlink()
    for problem in problems:
        print(problem)
    for path, method, operation in iter_operations(doc):
        print("op:", method.upper(), path, operation.get("operationId"))
    print("problems:", len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve()))
