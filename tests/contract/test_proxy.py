"""``profile-harness proxy``: violations in a header and the log, --strict blocks, --record replays."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from profile_harness.contract.proxy import VIOLATIONS_HEADER, create_proxy
from profile_harness.scenarios import OutcomeKind, load_scenario, run_scenario
from profile_harness.scenarios.checks import check_scenario
from profile_harness.scenarios.targets import in_process_target
from profile_harness.server.live import live_server
from tests.contract.conftest import ORG, SANDBOX
from tests.contract.drifting import TEAPOT_PATH, TEXT_PLAIN_PATH
from tests.contract.raw_servers import answer, raw_server

TOKEN, API_KEY = "s3cr3t-t0ken", "my-api-key-123"
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "x-api-key": API_KEY,
    "x-gw-ims-org-id": ORG,
    "x-sandbox-name": SANDBOX,
}
POLICIES = "/data/core/ups/config/mergePolicies"


@pytest.fixture
def drifting_proxy(drifting) -> Iterator[tuple[TestClient, object]]:  # type: ignore[no-untyped-def]
    url, app = drifting
    with TestClient(create_proxy(url)) as client:
        yield client, app


def test_proxy__a_conforming_exchange_passes_untouched(mock_url):
    with TestClient(create_proxy(mock_url)) as client:
        response = client.get(POLICIES, headers=HEADERS)
    assert response.status_code == 200
    assert response.json()["children"]
    assert VIOLATIONS_HEADER not in response.headers


def test_proxy__each_drift_is_reported_in_a_header_and_the_log(drifting_proxy, caplog):
    client, _app = drifting_proxy
    caplog.set_level(logging.WARNING, logger="profile_harness.proxy")
    renamed = client.get(POLICIES, headers=HEADERS)
    teapot = client.get(TEAPOT_PATH, headers=HEADERS)
    text = client.get(TEXT_PLAIN_PATH, headers=HEADERS)
    missing_header = client.get(POLICIES, headers={k: v for k, v in HEADERS.items() if k != "x-sandbox-name"})
    assert renamed.status_code == 200
    assert "identityGraph" in renamed.headers[VIOLATIONS_HEADER]
    assert teapot.status_code == 418
    assert "418" in teapot.headers[VIOLATIONS_HEADER]
    assert "text/plain" in text.headers[VIOLATIONS_HEADER]
    assert missing_header.status_code == 200
    assert "x-sandbox-name" in missing_header.headers[VIOLATIONS_HEADER]
    logged = caplog.text
    assert "identityGraph" in logged
    assert "418" in logged
    assert "text/plain" in logged


def test_proxy__strict_blocks_an_invalid_request_without_forwarding_it(drifting):
    url, app = drifting
    with TestClient(create_proxy(url, strict=True)) as client:
        calls = app.state.calls  # type: ignore[attr-defined]
        blocked = client.post(POLICIES, headers=HEADERS, json={"name": "no schema, no rules"})
        assert blocked.status_code == 400
        assert blocked.json()["violations"]
        assert VIOLATIONS_HEADER in blocked.headers
        assert app.state.calls == calls  # type: ignore[attr-defined]
        assert client.get(POLICIES, headers=HEADERS).status_code == 200
        assert app.state.calls == calls + 1  # type: ignore[attr-defined]


def test_proxy__a_recorded_session_replays_green_against_the_mock(mock_url, tmp_path):
    with TestClient(create_proxy(mock_url, record_dir=tmp_path)) as client:
        body = {
            "name": "recorded policy",
            "schema": {"name": "_xdm.context.profile"},
            "identityGraph": {"type": "pdg"},
            "attributeMerge": {"type": "timestampOrdered"},
            "default": False,
        }
        created = client.post(POLICIES, headers=HEADERS, json=body)
        assert created.status_code == 200, created.text
        policy = created.json()["id"]
        assert client.get(f"{POLICIES}/{policy}", headers=HEADERS).status_code == 200
        assert client.delete(f"{POLICIES}/{policy}", headers=HEADERS).status_code == 200
        assert client.get(f"{POLICIES}/{policy}", headers=HEADERS).status_code == 404
        recorder = client.app.state.recorder  # type: ignore[attr-defined]
    text = recorder.path.read_text()
    assert TOKEN not in text
    assert API_KEY not in text
    assert "Bearer" not in text
    assert policy not in text  # the id is captured, so the replay uses the mock's own
    scenario = load_scenario(recorder.path)
    assert check_scenario(scenario) == []
    assert len(scenario.steps) == 4
    outcome = run_scenario(scenario, in_process_target())
    assert outcome.kind is OutcomeKind.PASSED, outcome.detail


def test_proxy__secrets_in_bodies_and_queries_are_redacted(mock_url, tmp_path):
    with TestClient(create_proxy(mock_url, record_dir=tmp_path)) as client:
        client.get(POLICIES, headers=HEADERS, params={"access_token": TOKEN})
        recorder = client.app.state.recorder  # type: ignore[attr-defined]
    text = recorder.path.read_text()
    assert TOKEN not in text
    assert "<redacted>" in text


# -- recordings keep no secrets, are appended, and the proxy never drops a connection (issue 17, point 6)


def _echo_app() -> Starlette:
    """An upstream that hands out a token at IMS and echoes every request back in its answer."""

    async def ims(request: Request) -> JSONResponse:
        return JSONResponse({"access_token": "ims-issued-token-42", "token_type": "bearer"})

    async def echo(request: Request) -> JSONResponse:
        said = f"{request.url.query} {(await request.body()).decode()} {request.headers.get('authorization')}"
        return JSONResponse({"children": [], "echo": said})

    return Starlette(
        routes=[
            Route("/ims/token/v3", ims, methods=["POST"]),
            Route("/{path:path}", echo, methods=["GET", "POST"]),
        ]
    )


SIGNED = {
    "sig": "sig-value-1234",
    "jwt": "eyJhbGciOi.jwt-body.sig",
    "X-Amz-Signature": "amz-signature-abcdef",
    "X-Amz-Credential": "AKIAEXAMPLE/20260101/us-east-1",
    "limit": "5",
}


def test_proxy__recordings_redact_by_rule_and_by_value(tmp_path):
    with (
        live_server(_echo_app()) as upstream,
        TestClient(create_proxy(upstream, record_dir=tmp_path)) as client,
    ):
        form = {
            "grant_type": "client_credentials",
            "client_id": "my-client",
            "client_secret": "form-secret-99",
        }
        client.post("/ims/token/v3", data=form)
        client.get(POLICIES, headers=HEADERS, params=SIGNED)
        client.post(f"{POLICIES}/bulk-get", headers=HEADERS, data=form)  # a form to a non-IMS path
        client.get(POLICIES, headers={**HEADERS, "Authorization": "Bearer ims-issued-token-42"})
        recorder = client.app.state.recorder  # type: ignore[attr-defined]
    text = recorder.path.read_text()
    for secret in [*list(SIGNED.values())[:4], "form-secret-99", "ims-issued-token-42", TOKEN]:
        assert secret not in text, secret
    assert "limit: '5'" in text or "limit: 5" in text or 'limit: "5"' in text
    assert "my-client" in text  # a client id is no secret
    assert text.count("<redacted>") >= 8


def test_proxy__a_recording_is_appended_not_rewritten(tmp_path):
    with (
        live_server(_echo_app()) as upstream,
        TestClient(create_proxy(upstream, record_dir=tmp_path)) as client,
    ):
        client.get(POLICIES, headers=HEADERS)
        recorder = client.app.state.recorder  # type: ignore[attr-defined]
        first, inode = recorder.path.read_text(), recorder.path.stat().st_ino
        for _ in range(3):
            client.get(POLICIES, headers=HEADERS)
        assert recorder.path.stat().st_ino == inode  # the same file, grown; never replaced
    text = recorder.path.read_text()
    assert text.startswith(first)
    assert len(load_scenario(recorder.path).steps) == 4


@pytest.mark.parametrize(
    "body",
    [b'{"children": [], "x": "a\x00b"}', b"a\x01b\x00", b"\x00"],
    ids=["nul-in-json", "control", "nul"],
)
def test_proxy__control_characters_never_drop_the_connection(body):
    with raw_server(answer(200, body)) as upstream, live_server(create_proxy(upstream)) as url:
        response = httpx.get(f"{url}{POLICIES}", headers=HEADERS, timeout=5)
    assert response.status_code == 200
    assert response.content == body
    header = response.headers[VIOLATIONS_HEADER]
    assert "\x00" not in header
    assert header.isascii()


def test_proxy__a_long_answer_streams_through_unchecked_and_is_recorded_by_status(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="profile_harness.proxy")
    body = b"[" + b"1," * 4999 + b"1]"  # 10 KB that breaks the schema (an array, not a page)
    with (
        raw_server(answer(200, body)) as upstream,
        TestClient(create_proxy(upstream, record_dir=tmp_path, max_body=1024)) as client,
    ):
        response = client.get(POLICIES, headers=HEADERS)
        recorder = client.app.state.recorder  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.content == body
    assert VIOLATIONS_HEADER not in response.headers
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1, warnings
    assert "passed through unchecked" in warnings[0]
    text = " ".join(recorder.path.read_text().split())
    assert f"answer of {len(body)} bytes over the recording cap" in text
    assert "1,1" not in text
