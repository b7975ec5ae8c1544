"""Outcomes for people and machines: a rich summary table and JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from profile_harness.scenarios.runner import Outcome, OutcomeKind

__all__ = ["print_summary", "write_junit"]

_STYLE = {
    OutcomeKind.PASSED: "green",
    OutcomeKind.FAILED: "red",
    OutcomeKind.ERRORED: "red",
    OutcomeKind.PENDING: "yellow",
}


def print_summary(outcomes: Sequence[Outcome], console: Console) -> None:
    for outcome in outcomes:
        if outcome.kind in (OutcomeKind.FAILED, OutcomeKind.ERRORED):
            console.print(
                f"[bold red]{outcome.kind.value.upper()}[/] {outcome.scenario.path}: {outcome.scenario.name}"
            )
            console.print(outcome.detail, markup=False, highlight=False)
    table = Table(title="Scenarios")
    table.add_column("file")
    table.add_column("scenario")
    table.add_column("outcome")
    table.add_column("seconds", justify="right")
    for outcome in outcomes:
        style = _STYLE[outcome.kind]
        note = f" ({outcome.detail})" if outcome.kind is OutcomeKind.PENDING else ""
        table.add_row(
            str(outcome.scenario.path),
            outcome.scenario.name,
            f"[{style}]{outcome.kind.value}[/]{note}",
            f"{outcome.seconds:.2f}",
        )
    console.print(table)
    counts = Counter(outcome.kind for outcome in outcomes)
    console.print(", ".join(f"{counts[kind]} {kind.value}" for kind in OutcomeKind))


def write_junit(outcomes: Sequence[Outcome], path: Path) -> None:
    counts = Counter(outcome.kind for outcome in outcomes)
    suite = ET.Element(
        "testsuite",
        name="profile-harness scenarios",
        tests=str(len(outcomes)),
        failures=str(counts[OutcomeKind.FAILED]),
        errors=str(counts[OutcomeKind.ERRORED]),
        skipped=str(counts[OutcomeKind.PENDING]),
        time=f"{sum(o.seconds for o in outcomes):.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=str(outcome.scenario.path.with_suffix("")).replace("/", "."),
            name=outcome.scenario.name,
            time=f"{outcome.seconds:.3f}",
        )
        if outcome.kind is OutcomeKind.FAILED:
            ET.SubElement(case, "failure", message="scenario failed").text = outcome.detail
        elif outcome.kind is OutcomeKind.ERRORED:
            ET.SubElement(case, "error", message="scenario errored").text = outcome.detail
        elif outcome.kind is OutcomeKind.PENDING:
            ET.SubElement(case, "skipped", message=outcome.detail)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
