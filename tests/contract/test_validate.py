"""``profile-harness validate`` against the live mock (no drift, state untouched) and a drifting server."""

from __future__ import annotations

import asyncio
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from profile_harness.app import create_app
from profile_harness.cli import main
from profile_harness.server.live import free_port, live_server
from tests.contract.conftest import ORG, SANDBOX, seed, state
from tests.contract.drifting import RENAMED, TEAPOT_PATH, TEXT_PLAIN_PATH
from tests.contract.raw_servers import dripping_body, dripping_headers, hang, raw_server

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--rate", "0", "--max-examples", "3", "--scenarios", str(ROOT / "scenarios")]


def _validate(base_url: str, *extra: str) -> tuple[int, str]:
    args = ["validate", "--base-url", base_url, "--token", "t0ken", "--api-key", "key", "--org", ORG]
    result = CliRunner(env={"COLUMNS": "300"}).invoke(main, [*args, *FAST, *extra], catch_exceptions=False)
    return result.exit_code, result.output


def test_validate__read_only_against_the_mock_passes_and_changes_nothing(mock_url, tmp_path):
    before = state(mock_url)
    junit, page = tmp_path / "validate.xml", tmp_path / "validate.html"
    code, output = _validate(mock_url, "--sandbox", SANDBOX, "--junit-xml", str(junit), "--html", str(page))
    assert code == 0, output
    assert "conforms" in output
    assert "0 drift(s)" in output
    assert "scenarios/gateway/missing-credentials.yaml" in output
    assert state(mock_url) == before
    suite = ET.parse(junit).getroot()
    assert int(suite.get("tests", "0")) > 20
    assert suite.get("failures") == "0"
    assert suite.get("errors") == "0"
    assert "conforms" in page.read_text()


def test_validate__with_writes_in_a_test_sandbox_cleans_up_after_itself(mock_url):
    before = state(mock_url)
    code, output = _validate(mock_url, "--sandbox", SANDBOX, "--allow-writes")
    assert code == 0, output
    assert "POST /data/core/ups/config/mergePolicies" in output
    created = int(output.split(" created / ")[0].rsplit(" ", 1)[1])
    deleted = int(output.split(" created / ")[1].split(" ")[0])
    assert created > 0, output
    assert created == deleted, output
    assert state(mock_url) == before


@pytest.mark.parametrize("flags", [["--allow-writes"], ["--allow-writes", "--sandbox", "prod"]])
def test_validate__writes_need_a_named_sandbox_that_is_not_production(mock_url, flags):
    code, output = _validate(mock_url, *flags)
    assert code == 2
    assert "--sandbox" in output or "production" in output


def test_validate__production_writes_need_the_flag_twice():
    from profile_harness.contract.cli_support import check_write_permission

    check_write_permission(2, "prod", False)
    check_write_permission(1, "prod", True)
    check_write_permission(1, "dev-validate", False)
    with pytest.raises(Exception, match="production"):
        check_write_permission(1, "acme-production", False)


def test_validate__reports_each_drift_and_exits_non_zero(drifting, tmp_path):
    url, _app = drifting
    junit, page = tmp_path / "drift.xml", tmp_path / "drift.html"
    operations = r"^GET /data/core/ups/(config/mergePolicies|previewsamplestatus$|config/destinations$)"
    code, output = _validate(
        url, "--sandbox", SANDBOX, "--operations", operations, "--junit-xml", str(junit), "--html", str(page)
    )
    assert code == 1, output
    # a renamed field: the schema's required name is missing, the new one is extra
    assert "Response violates schema" in output
    assert f"- children[0].{RENAMED[0]}" in output
    assert f"+ children[0].{RENAMED[1]}" in output
    # an undocumented status code
    assert f"GET {TEAPOT_PATH}: Undocumented status code" in output
    assert "got:      418" in output
    # a wrong content type
    assert f"GET {TEXT_PLAIN_PATH}: Undocumented Content-Type" in output
    assert "text/plain" in output
    # a missing header check
    assert "missing required header 'x-sandbox-name' was not rejected" in output
    suite = ET.parse(junit).getroot()
    assert int(suite.get("failures", "0")) >= 3
    text = page.read_text()
    assert "drift found" in text
    assert "Undocumented status code" in text
    assert "&lt;" not in text[:50]


def test_validate__gets_its_token_by_the_ims_client_credentials_flow(mock_url):
    args = [
        "validate", "--base-url", mock_url, "--client-id", "validate-client", "--client-secret", "s3cret",
        "--ims-url", f"{mock_url}/ims/token/v3", "--org", ORG, "--sandbox", SANDBOX,
        "--operations", "^GET /data/core/ups/config/mergePolicies$", "--no-fuzz", "--rate", "0",
        "--scenarios", str(ROOT / "scenarios" / "gateway"),
    ]  # fmt: skip
    result = CliRunner(env={"COLUMNS": "300"}).invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_validate__an_ims_refusal_is_reported_without_the_secret(mock_url):
    args = [
        "validate", "--base-url", mock_url, "--client-id", "validate-client", "--client-secret", "s3cret",
        "--ims-url", f"{mock_url}/ims/token/v3-missing", "--org", ORG,
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "refused the client credentials" in result.output
    assert "s3cret" not in result.output


# -- bounded in time, and honest about what could not be reached (issue 17, point 4) -----------------


def _timed(base_url: str, *extra: str) -> tuple[int, str, float]:
    started = time.monotonic()
    code, output = _validate(base_url, "--sandbox", SANDBOX, "--request-timeout", "0.5", *extra)
    return code, output, time.monotonic() - started


def test_validate__a_server_that_never_answers_is_unreachable_not_drift():
    with raw_server(hang) as url:
        code, output, seconds = _timed(url)
    assert code == 3, output
    assert "UNREACHABLE" in output
    assert "DRIFT" not in output
    assert "0 drift(s)" not in output
    assert seconds < 6


def test_validate__a_refused_connection_is_unreachable():
    code, output, _seconds = _timed(f"http://127.0.0.1:{free_port()}")
    assert code == 3, output
    assert "UNREACHABLE" in output
    assert "ConnectError" in output
    assert "DRIFT" not in output


@pytest.mark.parametrize("handler", [dripping_body, dripping_headers], ids=["body", "headers"])
def test_validate__a_dripping_server_cannot_stretch_a_request(handler):
    # one byte every 50 ms: httpx's read timeout (restarted by every byte) would never fire
    with raw_server(handler()) as url:
        code, output, seconds = _timed(url)
    assert code == 3, output
    assert "UNREACHABLE" in output
    assert "no complete answer within 0.5s" in output
    assert seconds < 6


class _Slow:
    """The mock, 50 ms slower on every request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/__admin"):
            await asyncio.sleep(0.05)
        await self.app(scope, receive, send)


def test_validate__the_whole_run_stops_at_its_timeout():
    with live_server(_Slow(create_app())) as url:
        seed(url)
        code, output, seconds = _timed(url, "--timeout", "1")
    assert code == 3, output
    assert "TIMED OUT" in output
    assert "not run" in output
    assert "the run's --timeout (1s) was reached" in output
    assert seconds < 6, output[-400:]  # without the bound: ~1,400 requests


def _big_policies(size: int) -> Starlette:
    body = json.dumps({"children": [{"id": "x", "name": "n" * size}], "_page": {"count": 1}}).encode()

    async def policies(request: Any) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/data/core/ups/config/mergePolicies", policies)])


BIG_RUN = [
    "--operations",
    "^GET /data/core/ups/config/mergePolicies$",
    "--no-coverage",
    "--max-examples",
    "1",
]


def test_validate__a_big_body_is_reported_cut_with_its_size():
    gateway = str(ROOT / "scenarios" / "gateway" / "missing-credentials.yaml")
    with live_server(_big_policies(2 * 1024 * 1024)) as url:
        code, output, seconds = _timed(url, *BIG_RUN, "--scenarios", gateway)
    assert code == 1, output[-3000:]
    assert "bytes)" in output  # "... (2097200 bytes)"
    assert len(output) < 60_000
    assert seconds < 5


def test_validate__an_answer_over_the_read_cap_is_not_read_nor_checked():
    with live_server(_big_policies(2 * 1024 * 1024)) as url:
        code, output, _seconds = _timed(url, *BIG_RUN, "--max-body-mib", "1", "--scenarios", "/nonexistent")
    assert code == 3, output
    assert "errored" in output
    assert "1048576-byte cap" in output
    assert "DRIFT" not in output


# -- the production guard asks the deployment (issue 17, point 8) ------------------------------------


def _production_sandbox(calls: list[str]) -> Starlette:
    """A deployment whose sandbox ``team-a`` is production by its own word, though its name says nothing."""

    async def policies(request: Any) -> Response:
        calls.append(request.method)
        body = {"children": [{"id": "mp1", "sandbox": {"sandboxName": "team-a", "type": "production"}}]}
        return Response(json.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/data/core/ups/config/mergePolicies", policies, methods=["GET", "POST"])])


def test_validate__writes_are_refused_where_the_deployment_says_production():
    calls: list[str] = []
    args = ["--operations", "mergePolicies$", "--no-coverage", "--max-examples", "1", "--scenarios", "/none"]
    with live_server(_production_sandbox(calls)) as url:
        code, output = _validate(url, "--sandbox", "team-a", "--allow-writes", *args)
        assert code == 2, output
        assert "sandbox.type is 'production'" in output
        assert calls == ["GET"]  # the one read that asked; nothing written
        code, output = _validate(url, "--sandbox", "team-a", "--allow-writes", "--allow-writes", *args)
    assert code != 2, output
    assert "POST" in calls
