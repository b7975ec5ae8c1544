"""``make contract``: what a schemathesis user runs, against a mock served the way ``make serve`` serves it.

For each description the mock publishes (``/openapi.json``, then ``/__admin/openapi.json``, whose calls
reset the world), a fresh ``profile-harness serve --demo`` is started on a free port with
``--require-token`` (so that schemathesis' ``ignored_auth`` check has a token to find missing) and the
IMS client of the spec's token-request example, and ``schemathesis run <document> --checks all`` is
run from the project root with the four Platform headers: default phases and modes, the project's
``schemathesis.toml`` loaded by schemathesis itself. Each command is printed before it runs, and
schemathesis prints its own summary. The exit status is schemathesis' (non-zero if any run found a
failure).
"""

from __future__ import annotations

import argparse
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = ["DOCUMENTS", "HEADERS", "main", "schemathesis_command"]

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "contract-token"
HEADERS = (
    f"Authorization: Bearer {TOKEN}",
    "x-api-key: contract-client",
    "x-gw-ims-org-id: ACME0123456789ABCDEF@AdobeOrg",
    "x-sandbox-name: prod",
)
#: The client credentials of the token request example in spec/parts/ims.yaml.
IMS_CLIENT_ID = "0123456789abcdef0123456789abcdef"
IMS_CLIENT_SECRET = "p8e-secret"
#: The descriptions the mock publishes, in the order they are run.
DOCUMENTS = ("/openapi.json", "/__admin/openapi.json")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_until_up(base_url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"profile-harness serve exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/__admin/health", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise SystemExit(f"profile-harness serve did not answer at {base_url} within {timeout:.0f} s")


@contextmanager
def served_mock(port: int, log: IO[bytes]) -> Iterator[str]:
    """A ``serve --demo --require-token`` mock on ``port``, its output in ``log``, stopped on exit."""
    command = [str(BIN / "profile-harness"), "serve", "--demo", "--port", str(port)]
    command += ["--require-token", TOKEN, "--log-level", "warning"]
    # The IMS client the spec's token-request example logs in as: with --require-token the fake IMS
    # hands the token only to configured credentials, and the examples phase must reach a 200.
    command += ["--client-id", IMS_CLIENT_ID, "--client-secret", IMS_CLIENT_SECRET]
    print("$", shlex.join(command), f"> {log.name} 2>&1", flush=True)
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, server)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def schemathesis_command(document_url: str, extra: list[str]) -> list[str]:
    """``schemathesis run`` as a user types it: every check, default phases, the four headers."""
    command = [str(BIN / "schemathesis"), "run", document_url, "--checks", "all"]
    for header in HEADERS:
        command += ["-H", header]
    return command + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port of the served mock (default: a free one)")
    parser.add_argument("extra", nargs="*", help="further schemathesis options (after --)")
    args = parser.parse_args(argv)
    status = 0
    for document in DOCUMENTS:
        log_name = "admin" if document.startswith("/__admin") else "platform"
        with (
            tempfile.NamedTemporaryFile(prefix=f"contract-{log_name}-", suffix=".log", delete=False) as log,
            served_mock(args.port or _free_port(), log) as base_url,
        ):
            command = schemathesis_command(base_url + document, args.extra)
            print("$", shlex.join(command), flush=True)
            status = max(status, subprocess.call(command, cwd=ROOT))
    return status


if __name__ == "__main__":
    sys.exit(main())
