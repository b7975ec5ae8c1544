"""pytest plugin: collect scenario files as test items (``pytest scenarios/``).

A scenario runs against the in-process app, or against ``--profile-base-url`` with the credentials
given by the ``--profile-*`` options. Pending scenarios are reported as skipped with their reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from profile_harness.scenarios.loader import ScenarioFileError, load_scenario
from profile_harness.scenarios.runner import OutcomeKind, Target, run_scenario

_TARGET = pytest.StashKey[Target]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("profile-harness")
    group.addoption(
        "--profile-base-url", default=None, help="Run scenarios against this URL instead of in-process."
    )
    group.addoption("--profile-token", default=None, help="Bearer token for --profile-base-url.")
    group.addoption("--profile-api-key", default=None, help="x-api-key for --profile-base-url.")
    group.addoption("--profile-org", default=None, help="x-gw-ims-org-id for --profile-base-url.")
    group.addoption("--profile-sandbox", default=None, help="x-sandbox-name for --profile-base-url.")


def _target(config: pytest.Config) -> Target:
    if _TARGET not in config.stash:
        from profile_harness.scenarios.targets import in_process_target, url_target

        base_url = config.getoption("--profile-base-url")
        if base_url:
            config.stash[_TARGET] = url_target(
                base_url,
                token=config.getoption("--profile-token"),
                api_key=config.getoption("--profile-api-key"),
                org=config.getoption("--profile-org"),
                sandbox=config.getoption("--profile-sandbox"),
            )
        else:
            config.stash[_TARGET] = in_process_target()
    return config.stash[_TARGET]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TARGET in config.stash:
        config.stash[_TARGET].client.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and "scenarios" in file_path.parts[:-1]:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioFailed(Exception):
    """A scenario's expectations did not hold."""


class ScenarioItem(pytest.Item):
    def runtest(self) -> None:
        try:
            scenario = load_scenario(self.path)
        except ScenarioFileError as exc:
            raise ScenarioFailed(str(exc)) from None
        if scenario.pending:
            pytest.skip(f"pending: {scenario.pending}")
        outcome = run_scenario(scenario, _target(self.config))
        if outcome.kind is not OutcomeKind.PASSED:
            raise ScenarioFailed(f"{outcome.kind.value}: {outcome.scenario.name}\n{outcome.detail}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.path.name}"
