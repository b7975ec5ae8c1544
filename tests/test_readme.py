"""The README's generated sections (coverage table, scenario counts) match the code."""

from __future__ import annotations

from pathlib import Path

from profile_harness.readme import render_generated

ROOT = Path(__file__).resolve().parents[1]


def test_readme__generated_sections_are_current():
    text = (ROOT / "README.md").read_text()
    assert render_generated(text, ROOT) == text, "run: .venv/bin/python tools/update_readme.py"


def test_readme__starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert text.index("make serve") < text.index("## ")
    assert "make test" in text.split("## ")[0]
