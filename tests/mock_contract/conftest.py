"""Report how many calls the schemathesis run made (the README quotes the deep run's number)."""

from __future__ import annotations

import sys
from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    module = sys.modules.get("tests.mock_contract.test_schemathesis")
    calls = getattr(module, "CALLS", {}).get("count", 0) if module else 0
    if calls:
        terminalreporter.write_line(f"schemathesis: {calls} calls to the mock")
