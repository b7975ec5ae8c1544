"""Which operations of the spec the harness has built, as the README's coverage table."""

from __future__ import annotations

from dataclasses import dataclass

from profile_harness import handlers
from profile_harness.openapi.bundle import iter_operations, platform_spec

__all__ = ["CoverageRow", "coverage_rows", "coverage_table"]


@dataclass(frozen=True)
class CoverageRow:
    tag: str
    method: str
    path: str
    operation_id: str
    built: bool


def coverage_rows() -> list[CoverageRow]:
    return [
        CoverageRow(op["tags"][0], method.upper(), path, op["operationId"], handlers.find(op) is not None)
        for path, method, op in iter_operations(platform_spec())
    ]


def coverage_table() -> str:
    """A markdown table: every operation and whether it is built or answers 501."""
    rows = coverage_rows()
    built = sum(r.built for r in rows)
    summary = (
        f"All {len(rows)} operations are built."
        if built == len(rows)
        else f"{built} of {len(rows)} operations are built; the others answer 501."
    )
    lines = [
        summary,
        "",
        "| area | operation | operationId | status |",
        "|---|---|---|---|",
    ]
    for row in rows:
        status = "built" if row.built else "501 (not built yet)"
        lines.append(f"| {row.tag} | `{row.method} {row.path}` | {row.operation_id} | {status} |")
    return "\n".join(lines)
