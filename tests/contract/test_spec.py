"""A published description with a literal ``$ref`` property and examples that break their own schemas."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from profile_harness.cli import main
from profile_harness.contract.spec import load_contract
from profile_harness.server.live import live_server

#: Written here for the test, shaped like the defects of Adobe's published file (not copied from it).
SYNTHETIC = {
    "openapi": "3.0.1",
    "info": {"title": "synthetic", "version": "1"},
    "servers": [{"url": "https://{env}.example.test/data/core", "variables": {"env": {"default": "api"}}}],
    "paths": {
        "/things": {
            "get": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "string"}, "example": 20},
                    {
                        "name": "x-sandbox-name",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    200: {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Things"},
                                "example": {"things": "not a list"},
                            }
                        },
                    }
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Things": {
                "type": "object",
                "required": ["things"],
                "properties": {
                    "things": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "$ref": {"type": "string", "example": "https://ns.example.test/x"},
                                "count": {"type": "integer", "example": "seven"},
                            },
                        },
                    }
                },
            }
        }
    },
}


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "synthetic.yaml"
    path.write_text(yaml.safe_dump(SYNTHETIC), encoding="utf-8")
    return path


def test_spec__both_defects_are_handled_and_said(tmp_path):
    contract = load_contract(_write(tmp_path))
    assert list(contract.document["paths"]) == ["/data/core/things"]
    notes = "\n".join(contract.notes)
    assert "$ref" in notes
    assert "/data/core" in notes
    assert "parameters/0 breaks its schema" in notes
    assert "example" in notes
    assert "'seven' is not of type 'integer'" in notes
    assert (
        "example"
        not in contract.document["paths"]["/data/core/things"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]
    )


def test_spec__validate_runs_against_such_a_description(tmp_path):
    async def things(request: Request) -> JSONResponse:
        if "x-sandbox-name" not in request.headers:
            return JSONResponse({"error": "sandbox"}, status_code=400)
        return JSONResponse({"things": [{"$ref": "https://ns.example.test/x", "count": 2}]})

    app = Starlette(routes=[Route("/data/core/things", things)])
    with live_server(app) as url:
        result = CliRunner(env={"COLUMNS": "300"}).invoke(
            main,
            [
                "validate",
                "--base-url",
                url,
                "--token",
                "t",
                "--api-key",
                "k",
                "--org",
                "O1@AdobeOrg",
                "--spec",
                str(_write(tmp_path)),
                "--scenarios",
                str(tmp_path / "none"),
                "--rate",
                "0",
                "--max-examples",
                "3",
            ],
            catch_exceptions=False,
        )
    assert result.exit_code == 1, result.output  # the 400 for a missing header is undocumented here
    assert "GET /data/core/things" in result.output
    assert "spec: server base path /data/core" in result.output
    assert "Undocumented status code" in result.output
    assert "Response violates schema" not in result.output


def test_spec__unquoted_timestamps_are_strings(tmp_path):
    # PyYAML reads an unquoted 2020-08-01T17:57:58 as a datetime; OpenAPI's YAML 1.2 as a string.
    text = yaml.safe_dump(SYNTHETIC).replace("example: seven", "example: 2020-08-01T17:57:58.697")
    path = tmp_path / "timestamps.yaml"
    path.write_text(text.replace("type: integer", "type: string"), encoding="utf-8")
    contract = load_contract(path)
    items = contract.document["components"]["schemas"]["Things"]["properties"]["things"]["items"]
    assert items["properties"]["count"]["example"] == "2020-08-01T17:57:58.697000"
    assert not [note for note in contract.notes if "/count breaks" in note]
    assert any(note.startswith("unquoted dates and times") for note in contract.notes)
