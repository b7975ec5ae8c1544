"""pytest plugin: fixtures that give a test a Profile API, and scenario files as test items.

Fixtures:

* ``profile_api``: the mock in process (no sockets), reset before each test; with
  ``--profile-base-url`` the same test body runs against that deployment instead.
* ``profile_api_live``: the same mock served on a free loopback port (``.base_url``), for code that
  needs a URL.
* marker ``@pytest.mark.profile_harness(fixtures=..., job_timing=..., frozen_at=..., org=..., sandbox=...)``
  sets one test up.

The app is built once per session; each test gets it reset (tenants, clock, job timing, faults,
journal). A crash of the server, or a response that breaks the spec, fails the test that caused it.

Scenario files (``scenarios/**/*.yaml``) are collected as test items; pending ones are skipped with
their reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from profile_harness import testing
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "profile_harness(fixtures=None, job_timing=None, frozen_at=None, org=None, sandbox=None): "
        "set up the profile_api mock for one test",
    )


_MOCK = pytest.StashKey[testing.MockProfileAPI]()


def _session_mock(config: pytest.Config) -> testing.MockProfileAPI:
    if _MOCK not in config.stash:
        config.stash[_MOCK] = testing.MockProfileAPI.create()
    return config.stash[_MOCK]


def _prepared(request: pytest.FixtureRequest) -> testing.MockProfileAPI:
    api = _session_mock(request.config)
    marker = request.node.get_closest_marker("profile_harness")
    options = dict(marker.kwargs) if marker else {}
    api.reset()
    api.org = options.get("org", testing.DEFAULT_ORG)
    api.sandbox = options.get("sandbox", testing.DEFAULT_SANDBOX)
    api.headers.update({"x-gw-ims-org-id": api.org, "x-sandbox-name": api.sandbox})
    api.client.headers.update(api.headers)
    fixtures = options.get("fixtures") or []
    for item in fixtures if isinstance(fixtures, list | tuple) else [fixtures]:
        if isinstance(item, str) and not Path(item).is_absolute():
            item = Path(str(request.node.path)).parent / item
        api.load_fixtures(item)
    if options.get("job_timing"):
        api.set_job_timing(**options["job_timing"])
    if options.get("frozen_at") is not None:
        api.freeze_clock(options["frozen_at"])
    return api


@pytest.fixture
def profile_api(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The Profile API for this test: the mock (reset), or ``--profile-base-url`` when given."""
    base_url = request.config.getoption("--profile-base-url")
    if base_url:
        remote = testing.RemoteProfileAPI(
            base_url,
            token=request.config.getoption("--profile-token") or "",
            api_key=request.config.getoption("--profile-api-key") or "",
            org=request.config.getoption("--profile-org") or testing.DEFAULT_ORG,
            sandbox=request.config.getoption("--profile-sandbox") or testing.DEFAULT_SANDBOX,
        )
        try:
            yield remote
        finally:
            remote.client.close()
        return
    api = _prepared(request)
    yield api
    api.check()


@pytest.fixture
def profile_api_live(request: pytest.FixtureRequest) -> Iterator[testing.MockProfileAPI]:
    """The mock served on a free loopback port: ``profile_api_live.base_url`` and ``.client`` (httpx)."""
    if request.config.getoption("--profile-base-url"):
        pytest.skip("profile_api_live serves the mock; --profile-base-url points at a deployment")
    api = _prepared(request)
    with testing.live(api) as url:
        api.base_url = url  # type: ignore[attr-defined]
        in_process = api.client
        api.client = httpx.Client(base_url=url, headers=api.headers, timeout=30)
        try:
            yield api
        finally:
            api.client.close()
            api.client = in_process
    api.check()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A test that drives the mock's control plane is skipped against a real deployment."""
    try:
        return (yield)
    except testing.NeedsTheMock as exc:
        pytest.skip(str(exc))


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
    if _MOCK in config.stash:
        config.stash[_MOCK].client.close()


def _looks_like_a_scenario(path: Path) -> bool:
    """A YAML file under a ``scenarios`` folder whose top level names a source and steps.

    The plugin is active in every suite that installs profile-harness, so other YAML files that
    happen to sit in a folder called ``scenarios`` are left alone.
    """
    if path.suffix not in (".yaml", ".yml") or "scenarios" not in path.parts[:-1]:
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    lines = {line.split(":", 1)[0] for line in head.splitlines() if line and not line[0].isspace()}
    return {"steps", "source"} <= lines


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _looks_like_a_scenario(file_path):
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
