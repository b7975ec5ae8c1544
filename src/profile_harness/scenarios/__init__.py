"""Scenarios: documented request/response pairs replayed as user stories against any target."""

from __future__ import annotations

from profile_harness.scenarios.loader import ScenarioFileError, load_scenario, load_scenarios
from profile_harness.scenarios.model import Scenario, Step
from profile_harness.scenarios.runner import Outcome, OutcomeKind, Target, run_scenario

__all__ = [
    "Outcome",
    "OutcomeKind",
    "Scenario",
    "ScenarioFileError",
    "Step",
    "Target",
    "load_scenario",
    "load_scenarios",
    "run_scenario",
]
