"""Rewrite the generated parts of README.md (coverage table, scenario counts).

Run after building an operation or changing scenarios: `.venv/bin/python tools/update_readme.py`.
tests/tools/test_readme.py fails while the README is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    sys.path.insert(0, str(ROOT))  # tools/ is a folder of the checkout, not an installed package
    from tools.readme import render_generated

    readme = ROOT / "README.md"
    readme.write_text(render_generated(readme.read_text(), readme.parent))


if __name__ == "__main__":
    main()
