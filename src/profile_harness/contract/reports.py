"""The validate report three ways: a console summary, JUnit XML for CI, and one HTML page."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from profile_harness.contract.validate import Report

__all__ = ["print_report", "write_html", "write_junit"]

_STYLE = {"passed": "green", "drift": "red", "errored": "red", "skipped": "yellow"}


def _headline(report: Report) -> str:
    mode = "read-only" if report.read_only else f"writes allowed in sandbox {report.sandbox!r}"
    if report.unreachable and not report.requests_sent:
        return f"{report.base_url} against {report.spec}: UNREACHABLE; {report.unreachable}; nothing checked"
    verdict = report.verdict
    if report.unreachable and not report.drifts:
        verdict = f"{verdict} ({report.unreachable})"
    return (
        f"{report.base_url} against {report.spec} ({mode}): {verdict}; {len(report.drifts)} drift(s), "
        f"{report.requests_sent} requests, {report.rate_limited} rate-limited (waited {report.waited:.1f}s), "
        f"{report.created} created / {report.deleted} deleted, {report.seconds:.1f}s"
    )


def print_report(report: Report, console: Console) -> None:
    for note in report.spec_notes:
        console.print(f"[dim]spec: {note}[/]", highlight=False)
    for number, drift in enumerate(report.drifts, 1):
        console.print(f"[bold red]DRIFT {number}[/] ", end="")
        console.print(drift.text(), markup=False, highlight=False)
        console.print()
    table = Table(title="profile-harness validate")
    for column in ("phase", "operation / scenario", "result", "cases", "seconds", "note"):
        table.add_column(column, justify="right" if column in ("cases", "seconds") else "left")
    for row in report.rows:
        style = _STYLE.get(row.status, "white")
        table.add_row(
            row.phase, row.name, f"[{style}]{row.status}[/]", str(row.cases), f"{row.seconds:.2f}", row.note
        )
    counts = Counter(row.status for row in report.rows)
    if report.rows:  # an unreachable deployment ran nothing: the headline says so
        console.print(table)
        console.print(", ".join(f"{counts[s]} {s}" for s in ("passed", "drift", "errored", "skipped")))
    if report.unsafe_scenarios:
        console.print(f"{report.unsafe_scenarios} scenario file(s) not marked safe were not replayed")
    style = "bold red" if report.failed else "bold green"
    console.print(f"[{style}]{_headline(report)}[/]", highlight=False)


def write_junit(report: Report, path: Path) -> None:
    counts = Counter(row.status for row in report.rows)
    suite = ET.Element(
        "testsuite",
        name="profile-harness validate",
        tests=str(len(report.rows)),
        failures=str(counts["drift"]),
        errors=str(counts["errored"]),
        skipped=str(counts["skipped"]),
        time=f"{report.seconds:.3f}",
    )
    for row in report.rows:
        case = ET.SubElement(
            suite, "testcase", classname=f"validate.{row.phase}", name=row.name, time=f"{row.seconds:.3f}"
        )
        mine = [d for d in report.drifts if _belongs(d.source, d.operation, row.phase, row.name)]
        if row.status == "drift":
            text = "\n\n".join(d.text() for d in mine) or row.note
            ET.SubElement(case, "failure", message=f"{len(mine) or 1} drift(s)").text = text
        elif row.status == "errored":
            ET.SubElement(case, "error", message="errored").text = row.note
        elif row.status == "skipped":
            ET.SubElement(case, "skipped", message=row.note)
    cleanup = [d for d in report.drifts if d.source == "cleanup"]
    if cleanup:
        case = ET.SubElement(suite, "testcase", classname="validate.cleanup", name="clean-up")
        ET.SubElement(case, "failure", message="clean-up failed").text = "\n\n".join(
            d.text() for d in cleanup
        )
        suite.set("tests", str(len(report.rows) + 1))
        suite.set("failures", str(counts["drift"] + 1))
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _belongs(source: str, operation: str, phase: str, name: str) -> bool:
    if phase == "schemathesis":
        return source == "schemathesis" and operation == name
    return source == name


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}
h1{font-size:1.4rem} .bad{color:#b00020} .good{color:#1b7f3b}
table{border-collapse:collapse;width:100%;margin:1rem 0} td,th{border:1px solid #ddd;padding:.3rem .5rem;
text-align:left;vertical-align:top;font-size:.9rem} th{background:#f4f4f4}
.passed{color:#1b7f3b}.drift,.errored{color:#b00020;font-weight:bold}.skipped{color:#9a6700}
details{border:1px solid #ddd;border-radius:4px;margin:.5rem 0;padding:.5rem}
summary{cursor:pointer;font-weight:600} pre{background:#f7f7f7;padding:.5rem;overflow-x:auto}
dt{font-weight:600} dd{margin:0 0 .4rem 1rem;white-space:pre-wrap}
.diff-add{color:#1b7f3b}.diff-del{color:#b00020}
"""


def _diff_html(diff: str) -> str:
    lines = []
    for line in diff.splitlines():
        cls = "diff-add" if line.startswith("+") else "diff-del" if line.startswith("-") else ""
        lines.append(f'<span class="{cls}">{html.escape(line)}</span>' if cls else html.escape(line))
    return "\n".join(lines)


def write_html(report: Report, path: Path) -> None:
    """One self-contained page: the verdict, every drift (expandable), the summary table."""
    e = html.escape
    verdict = (
        '<span class="bad">drift found</span>'
        if report.drifts
        else f'<span class="bad">{e(report.verdict.lower())}</span>'
        if report.failed
        else '<span class="good">conforms</span>'
    )
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        f"<title>profile-harness validate: {e(report.base_url)}</title><style>{_CSS}</style>",
        f"<h1>profile-harness validate: {verdict}</h1>",
        f"<p>{e(_headline(report))}</p>",
    ]
    if report.spec_notes:
        parts.append("<details><summary>How the description was prepared</summary><ul>")
        parts += [f"<li>{e(note)}</li>" for note in report.spec_notes]
        parts.append("</ul></details>")
    parts.append(f"<h2>Drift ({len(report.drifts)})</h2>")
    for number, drift in enumerate(report.drifts, 1):
        parts.append(
            f"<details open><summary>{number}. {e(drift.operation)}: {e(drift.kind)}</summary><dl>"
            f"<dt>request</dt><dd>{e(drift.request)}</dd><dt>expected</dt><dd>{e(drift.expected)}</dd>"
            f"<dt>got</dt><dd>{e(drift.got)}</dd><dt>found by</dt><dd>{e(drift.source)}</dd></dl>"
        )
        if drift.diff:
            parts.append(f"<pre>{_diff_html(drift.diff)}</pre>")
        parts.append("</details>")
    parts.append("<h2>Summary</h2><table><tr><th>phase</th><th>operation / scenario</th><th>result</th>")
    parts.append("<th>cases</th><th>seconds</th><th>note</th></tr>")
    for row in report.rows:
        parts.append(
            f"<tr><td>{e(row.phase)}</td><td>{e(row.name)}</td><td class={row.status}>{row.status}</td>"
            f"<td>{row.cases}</td><td>{row.seconds:.2f}</td><td>{e(row.note)}</td></tr>"
        )
    parts.append("</table></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
