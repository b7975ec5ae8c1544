"""``profile-harness validate`` against the live mock (no drift, state untouched) and a drifting server."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from profile_harness.cli import main
from tests.contract.conftest import ORG, SANDBOX, state
from tests.contract.drifting import RENAMED, TEAPOT_PATH, TEXT_PLAIN_PATH

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
