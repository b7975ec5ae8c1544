"""``profile-harness lint`` passes on the project's spec and fails on broken ones."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from profile_harness.cli import main
from profile_harness.openapi.bundle import platform_spec
from profile_harness.openapi.lint import lint_document

MINIMAL = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["count"],
                                    "properties": {"count": {"type": "integer"}},
                                },
                                "example": {"count": 3},
                            }
                        },
                    }
                },
            }
        }
    },
}


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_lint__project_spec_is_clean():
    assert lint_document(platform_spec()) == []
    result = CliRunner().invoke(main, ["lint"])
    assert result.exit_code == 0, result.output


def test_lint__valid_minimal_spec(tmp_path):
    result = CliRunner().invoke(main, ["lint", str(_write(tmp_path, MINIMAL))])
    assert result.exit_code == 0, result.output


def test_lint__broken_spec_fails(tmp_path):
    broken = {**MINIMAL, "paths": {"/things": {"get": {"operationId": "x"}}}}  # no responses
    result = CliRunner().invoke(main, ["lint", str(_write(tmp_path, broken))])
    assert result.exit_code == 1
    assert "not valid OpenAPI" in result.output


def test_lint__example_that_breaks_its_schema_fails(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))
    media = doc["paths"]["/things"]["get"]["responses"]["200"]["content"]["application/json"]
    media["example"] = {"count": "three"}
    result = CliRunner().invoke(main, ["lint", str(_write(tmp_path, doc))])
    assert result.exit_code == 1
    assert "'three' is not of type 'integer'" in result.output
    assert "GET /things 200" in result.output


def test_lint__unreadable_reference_fails(tmp_path):
    doc = {**MINIMAL, "paths": {"/things": {"$ref": "missing.yaml#/paths/~1things"}}}
    result = CliRunner().invoke(main, ["lint", str(_write(tmp_path, doc))])
    assert result.exit_code == 1
    assert "missing.yaml does not exist" in result.output
