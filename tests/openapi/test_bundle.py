"""The loader bundles the parts into one document, and the bundle covers the whole inventory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from profile_harness.openapi.bundle import (
    SpecError,
    admin_spec,
    bundle,
    for_connexion,
    iter_operations,
    platform_spec,
    spec_dir,
)

EXPECTED = Path(__file__).with_name("expected_operations.txt")


def _expected() -> set[str]:
    lines = EXPECTED.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_platform_spec__has_every_inventory_operation():
    found = {
        f"{method.upper()} {re.sub(r'{[^}]+}', '{}', path)}"
        for path, method, _ in iter_operations(platform_spec())
    }
    missing = sorted(_expected() - found)
    assert not missing, f"operations missing from the spec: {missing}"


def test_platform_spec__every_part_path_is_in_the_root():
    root = yaml.safe_load((spec_dir() / "openapi.yaml").read_text())
    for part in sorted((spec_dir() / "parts").glob("*.yaml")):
        for path in yaml.safe_load(part.read_text())["paths"]:
            assert path in root["paths"], f"{part.name}: {path} is not referenced by openapi.yaml"


def test_platform_spec__operation_ids_are_unique_and_tagged():
    ids = [op["operationId"] for _, _, op in iter_operations(platform_spec())]
    assert len(ids) == len(set(ids))
    tags = {tag["name"] for tag in platform_spec()["tags"]}
    for _, _, op in iter_operations(platform_spec()):
        assert op.get("tags"), op["operationId"]
        assert op["tags"][0] in tags, op["operationId"]


def test_bundle__secured_operations_get_gateway_responses():
    for path, method, op in iter_operations(platform_spec()):
        if op.get("security") == []:
            continue
        for status in ("400", "401", "403", "413", "431"):
            assert status in op["responses"] or int(status) in op["responses"], (method, path, status)


def test_admin_spec__loads():
    assert "/health" in admin_spec()["paths"]


def _write(tmp_path: Path, name: str, doc: object) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc))
    return path


ROOT = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {"/a": {"$ref": "parts/a.yaml#/paths/~1a"}},
}


def test_bundle__hoists_components_and_rewrites_refs(tmp_path):
    _write(tmp_path, "common.yaml", {"components": {"schemas": {"Shared": {"type": "string"}}}})
    part = {
        "paths": {
            "/a": {
                "get": {
                    "operationId": "a",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Own"},
                                    "example": {"$ref": "a literal, not a reference"},
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Own": {
                    "type": "object",
                    "properties": {
                        "$ref": {"type": "string"},
                        "s": {"$ref": "../common.yaml#/components/schemas/Shared"},
                    },
                }
            }
        },
    }
    _write(tmp_path, "parts/a.yaml", part)
    doc = bundle(_write(tmp_path, "root.yaml", ROOT))
    media = doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]
    assert media["schema"] == {"$ref": "#/components/schemas/Own"}
    assert media["example"] == {"$ref": "a literal, not a reference"}
    own = doc["components"]["schemas"]["Own"]
    assert own["properties"]["s"] == {"$ref": "#/components/schemas/Shared"}
    assert doc["components"]["schemas"]["Shared"] == {"type": "string"}
    served = for_connexion(doc)
    schema = served["components"]["schemas"]["Own"]
    assert "$ref" not in schema["properties"]
    assert "patternProperties" not in schema
    assert "example" not in served["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]


def test_bundle__component_clash_names_both_files(tmp_path):
    _write(
        tmp_path, "parts/a.yaml", {"paths": {"/a": {}}, "components": {"schemas": {"X": {"type": "string"}}}}
    )
    root = {**ROOT, "components": {"schemas": {"X": {"type": "integer"}}}}
    with pytest.raises(SpecError, match="X is also defined"):
        bundle(_write(tmp_path, "root.yaml", root))


def test_bundle__missing_target_is_named(tmp_path):
    _write(tmp_path, "parts/a.yaml", {"paths": {}})
    with pytest.raises(SpecError, match=r"#/paths/~1a does not exist"):
        bundle(_write(tmp_path, "root.yaml", ROOT))


def test_bundle__invalid_yaml_is_named(tmp_path):
    (tmp_path / "root.yaml").write_text("openapi: [unclosed")
    with pytest.raises(SpecError, match=r"root\.yaml: is not valid YAML"):
        bundle(tmp_path / "root.yaml")


def test_bundle__integer_formats_get_their_bounds():
    schema = platform_spec()["components"]["schemas"]["EntityTimeFilter"]["properties"]["startTime"]
    assert (schema["minimum"], schema["maximum"]) == (0, 2**63 - 1)  # its own minimum is kept
