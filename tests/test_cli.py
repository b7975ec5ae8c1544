"""`profile-harness` and `python -m profile_harness`: serve's access options, state file, usage errors."""

from __future__ import annotations

import gc
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from profile_harness import cli
from profile_harness.app import harness_of
from profile_harness.cli import main
from profile_harness.server.live import free_port


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `serve` would run: uvicorn.run is replaced, so nothing listens."""
    seen: dict[str, Any] = {}

    def run(app: Any, **kwargs: Any) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    # Nothing listens, so whether the address is free (8080 may be taken on this machine) is moot.
    monkeypatch.setattr(cli, "_check_can_listen", lambda host, port: None)
    return seen


def test_serve__refuses_an_open_admin_api_beyond_loopback(served):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--admin-token" in result.stderr
    assert "app" not in served


def test_serve__allow_open_admin_warns_on_stderr(served):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--allow-open-admin"])
    assert result.exit_code == 0, result.output
    assert "WARNING" in result.stderr
    assert "/__admin" in result.stderr
    assert "WARNING" not in result.stdout


def test_serve__admin_token_beyond_loopback(served):  # type: ignore[no-untyped-def]
    args = ["serve", "--host", "0.0.0.0", "--admin-token", "t0ken", "--allowed-host", "mock.internal"]
    args += ["--cors", "http://localhost:3000", "--require-token", "fixed"]
    args += ["--client-id", "abc", "--client-secret", "s3cret"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "WARNING" not in result.stderr
    options = harness_of(served["app"]).options
    assert options.admin_token == "t0ken"
    assert options.admin_allowed_hosts is not None
    assert {"0.0.0.0", "127.0.0.1", "localhost", "::1", "mock.internal"} <= set(options.admin_allowed_hosts)
    assert options.cors_origins == ("http://localhost:3000",)
    assert (options.ims_client_id, options.ims_client_secret) == ("abc", "s3cret")


def test_serve__loopback_stays_open_and_quiet(served):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    options = harness_of(served["app"]).options
    assert options.admin_token is None
    assert options.cors_origins == ()


def test_serve_state__written_when_the_server_is_stopped_with_sigterm(tmp_path: Path) -> None:
    """A container stop is a SIGTERM: uvicorn shuts down, then re-raises it; the state is written first."""
    state = tmp_path / "state.json"
    port = free_port()
    entry = Path(sys.executable).parent / "profile-harness"
    command = [str(entry), "serve", "--port", str(port), "--state", str(state)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/__admin/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, output
    assert json.loads(state.read_text()) == {"tenants": []}


def test_serve__an_unknown_log_level_is_a_usage_error_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["serve", "--log-level", "bogus"])
    assert result.exit_code == 2
    assert "'bogus' is not one of" in result.output


def test_python_m_profile_harness__runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "profile_harness", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("profile-harness, version ")


def test_importing_the_app__no_starlette_test_client_warning() -> None:
    """Connexion's import of starlette.testclient warned on every serve, replay and user pytest run."""
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import profile_harness.app"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "starlette.testclient" not in result.stderr


def test_replay__junit_xml_into_a_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    scenario = Path(__file__).parents[1] / "scenarios" / "merge-policies" / "patch-field-rules.yaml"
    report = tmp_path / "reports" / "ci" / "replay.xml"
    result = CliRunner().invoke(main, ["replay", str(scenario), "--junit-xml", str(report)])
    assert result.exit_code == 0, result.output
    assert report.read_text().startswith("<?xml")


def test_serve__a_port_in_use_is_a_message_before_serving_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: pytest.fail("uvicorn must not start"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "serving on" not in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--admin-token", ""], "--admin-token"),
        (["--require-token", " "], "--require-token"),
        (["--client-id", ""], "--client-id"),
        (["--client-secret", "\t"], "--client-secret"),
        (["--allowed-host", ""], "--allowed-host"),
        (["--cors", "notaurl"], "--cors"),
        (["--cors", "http://a.example/path"], "--cors"),
        (["--max-header-bytes", str(1 << 30)], "--max-header-bytes"),
        (["--max-header-value-bytes", str(1 << 30)], "--max-header-value-bytes"),
    ],
)
def test_serve__hostile_option_values_are_usage_errors(served, args: list[str], named: str) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2
    assert named in result.output
    assert "app" not in served  # nothing was served


def test_serve__a_state_file_that_cannot_be_written_fails_at_start(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(main, ["serve", "--state", str(blocker / "state.json")])
    assert result.exit_code == 1
    assert "its folder cannot be made" in result.output
    assert "app" not in served


@pytest.mark.parametrize(
    "args",
    [["--request-timeout", "1e400"], ["--timeout", "-1"], ["--max-body-mib", "2000"]],
)
def test_validate__unbounded_values_are_usage_errors(args: list[str]) -> None:
    base = ["validate", "--base-url", "http://127.0.0.1:9", "--token", "t", "--org", "A@AdobeOrg"]
    result = CliRunner().invoke(main, [*base, *args])
    assert result.exit_code == 2
    assert args[0] in result.output
