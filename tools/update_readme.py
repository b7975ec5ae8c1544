"""Rewrite the generated parts of README.md (coverage table, scenario counts).

Run after building an operation or changing scenarios: `.venv/bin/python tools/update_readme.py`.
tests/test_readme.py fails while the README is out of date.
"""

from __future__ import annotations

from pathlib import Path

from profile_harness.readme import render_generated


def main() -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    readme.write_text(render_generated(readme.read_text(), readme.parent))


if __name__ == "__main__":
    main()
