"""The pytest plugin, tested with pytester: fixtures, marker, option, error surfacing, README examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from profile_harness.app import create_app
from profile_harness.server.live import live_server

pytest_plugins = ["pytester"]
README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_examples() -> str:
    section = README.read_text().split("## From pytest", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return code


def test_plugin__readme_examples_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_examples=_readme_examples())
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_plugin__state_is_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        BODY = {"name": "P", "schema": {"name": "_xdm.context.profile"},
                "identityGraph": {"type": "pdg"}, "attributeMerge": {"type": "timestampOrdered"}}

        def test_first(profile_api):
            response = profile_api.client.post("/data/core/ups/config/mergePolicies", json=BODY)
            assert response.status_code == 200
            profile_api.freeze_clock("2024-01-01T00:00:00Z")

        def test_second(profile_api):
            listed = profile_api.client.get("/data/core/ups/config/mergePolicies").json()
            assert [p["name"] for p in listed["children"]] == ["Profile Default Merge Policy"]
            assert not profile_api.store.clock.frozen
            assert profile_api.requests()[-1]["operationId"] == "getMany"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_plugin__marker_fixture_file_timing_clock_and_tenant(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        seed="""
        mergePolicies:
          - {id: p1, schema: {name: _xdm.context.profile}, identityGraph: {type: none},
             attributeMerge: {type: timestampOrdered}, default: true}
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.profile_harness(fixtures="seed.yaml", job_timing={"export": "reads:4"},
                                     frozen_at="2024-06-30T12:00:00Z", org="MARK1@AdobeOrg", sandbox="dev")
        def test_marked(profile_api):
            assert profile_api.client.get("/data/core/ups/config/mergePolicies/p1").status_code == 200
            assert profile_api.tenant().org == "MARK1@AdobeOrg" and profile_api.tenant().sandbox == "dev"
            assert str(profile_api.store.job_timing["export"]) == "reads:4"
            assert profile_api.store.clock.now_ms() == 1719748800000
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_plugin__server_error_fails_the_test_that_caused_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from profile_harness import handlers

    async def broken(**_: object) -> None:
        raise RuntimeError("boom inside the server")

    monkeypatch.setattr(handlers.merge_policies, "getMany", broken)
    pytester.makepyfile(
        """
        def test_calls_the_broken_operation(profile_api):
            assert profile_api.client.get("/data/core/ups/config/mergePolicies").status_code == 500

        def test_innocent(profile_api):
            assert profile_api.client.get("/__admin/health").status_code == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)  # the error is reported at the causing test's teardown
    result.stdout.fnmatch_lines(
        ["*ServerError*boom inside the server*", "ERROR *::test_calls_the_broken_operation*"]
    )


def test_plugin__live_fixture_serves_a_url(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_live(profile_api_live):
            assert profile_api_live.base_url.startswith("http://127.0.0.1:")
            assert httpx.get(profile_api_live.base_url + "/__admin/health").json()["status"] == "ok"
            assert profile_api_live.client.get("/data/core/ups/config/mergePolicies").status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_plugin__base_url_option_runs_the_same_bodies_elsewhere(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_reads_only(profile_api):
            assert not profile_api.is_mock
            assert profile_api.client.get("/data/core/ups/config/mergePolicies").status_code == 200

        def test_needs_the_control_plane(profile_api):
            profile_api.freeze_clock("2024-01-01T00:00:00Z")
        """
    )
    with live_server(create_app()) as url:
        result = pytester.runpytest(
            "-p",
            "no:cacheprovider",
            f"--profile-base-url={url}",
            "--profile-token=t",
            "--profile-api-key=k",
            "--profile-org=REMOTE1@AdobeOrg",
            "--profile-sandbox=prod",
        )
    result.assert_outcomes(passed=1, skipped=1)


def test_plugin__other_yaml_under_a_scenarios_folder_is_not_collected(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "settings.yaml").write_text("name: not a scenario\nvalue: 3\n")
    (folder / "health.yaml").write_text(
        "name: health\nsource: {doc: x.md}\nsteps:\n"
        "  - request: {method: GET, path: /__admin/health}\n    expect: {status: 200}\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "scenarios")
    result.assert_outcomes(passed=1)
