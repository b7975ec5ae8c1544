"""The generated sections of the README: kept between markers, checked by a test."""

from __future__ import annotations

from pathlib import Path

from tools.coverage_table import coverage_table

__all__ = ["generated_sections", "render_generated", "scenario_counts"]


def scenario_counts(root: Path) -> tuple[int, int]:
    """(total, pending) scenario files under ``root/scenarios``."""
    from profile_harness.scenarios.loader import find_scenario_files, load_scenario

    scenarios = [load_scenario(p) for p in find_scenario_files([root / "scenarios"])]
    return len(scenarios), sum(1 for s in scenarios if s.pending)


def generated_sections(root: Path) -> dict[str, str]:
    total, pending = scenario_counts(root)
    return {
        "coverage": coverage_table(),
        "scenarios": (
            f"{total} scenario files: {total - pending} pass in-process and against `make serve`, "
            f"{pending} are pending (skipped, each with its reason)."
        ),
    }


def render_generated(text: str, root: Path) -> str:
    for name, body in generated_sections(root).items():
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = f"{head}{start}{body}\n{end}{rest.split(end, 1)[1]}"
    return text
