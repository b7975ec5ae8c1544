"""Static checks of scenario files beyond their schema: every request must address a spec operation."""

from __future__ import annotations

import re
from functools import cache

from profile_harness.openapi.bundle import admin_spec, iter_operations, platform_spec
from profile_harness.openapi.paths import PathTemplate, compile_template
from profile_harness.scenarios.model import Scenario

__all__ = ["check_scenario"]


@cache
def _routes() -> tuple[tuple[str, PathTemplate], ...]:
    return tuple(
        (method.upper(), compile_template(prefix + path))
        for spec, prefix in ((platform_spec(), ""), (admin_spec(), "/__admin"))
        for path, method, _operation in iter_operations(spec)
    )


def check_scenario(scenario: Scenario) -> list[str]:
    """Problems a schema cannot see: a step whose method and path match no operation of the spec."""
    problems = []
    for step in scenario.steps:
        method, path = step.request.method, step.request.path
        concrete = re.sub(r"\{\{[^}]+\}\}", "x", path)
        if not any(m == method and t.matches(concrete, trailing_slash=True) for m, t in _routes()):
            where = f"steps[{step.index}] ({step.name})"
            problems.append(f"{scenario.path}: {where}: {method} {path} is not an operation of the spec")
    return problems
