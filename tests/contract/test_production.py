"""Is a sandbox production: what the deployment says (``sandbox.type``), then the name (issue 17, point 8)."""

from __future__ import annotations

import pytest

from profile_harness.contract.production import is_production, production_reason, sandbox_type


@pytest.mark.parametrize(
    "name", ["prod", "prod1", "production01", "prd01", "live2", "acme-prod", "eu_production", "Live-3"]
)
def test_production__names_that_say_production(name):
    assert is_production(name)


@pytest.mark.parametrize("name", ["dev", "product-dev", "delivery", "olive", "stage2", "dev-validate"])
def test_production__names_that_do_not(name):
    assert not is_production(name)


def test_production__the_deployment_says_what_the_sandbox_is():
    policies = {
        "children": [
            {"id": "a", "sandbox": {"sandboxName": "other", "type": "development"}},
            {"id": "b", "sandbox": {"sandboxName": "team-a", "type": "production", "default": True}},
        ]
    }
    assert sandbox_type(policies, "team-a") == "production"
    assert sandbox_type(policies, "other") == "development"
    assert sandbox_type({"children": [{"sandbox": {"type": "production"}}]}, "x") == "production"
    assert sandbox_type({"children": []}, "team-a") is None
    assert sandbox_type(None, "team-a") is None


def test_production__the_deployment_first_then_the_name():
    assert production_reason("team-a", "production") is not None
    assert production_reason("team-a", "development") is None
    assert production_reason("team-a", None) is None
    assert "name" in (production_reason("prod1", None) or "")
    assert "name" in (production_reason("prod1", "development") or "")  # the name stays a second guard
