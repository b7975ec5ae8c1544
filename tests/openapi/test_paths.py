"""Path templates compile to one-segment parameters and sort the way a router tries them."""

from __future__ import annotations

from profile_harness.openapi.paths import compile_template


def test_match__names_each_parameter_of_one_segment() -> None:
    template = compile_template("/data/core/ups/config/mergePolicies/{mergePolicyId}")
    assert template.names == ("mergePolicyId",)
    assert template.match("/data/core/ups/config/mergePolicies/pdg") == {"mergePolicyId": "pdg"}
    assert template.values("/data/core/ups/config/mergePolicies/pdg") == ("pdg",)
    assert template.match("/data/core/ups/config/mergePolicies/a/b") is None
    assert template.match("/data/core/ups/config/mergePolicies/") is None


def test_literal_text_is_literal() -> None:
    template = compile_template("/a.b/{x}/c+d")
    assert template.match("/a.b/1/c+d") == {"x": "1"}
    assert template.match("/aXb/1/c+d") is None
    assert compile_template("/a/b").is_literal
    assert not template.is_literal


def test_matches__one_trailing_slash_only_when_asked() -> None:
    template = compile_template("/export/jobs/{id}")
    assert template.matches("/export/jobs/1")
    assert not template.matches("/export/jobs/1/")
    assert template.matches("/export/jobs/1/", trailing_slash=True)
    assert not template.matches("/export/jobs/1//", trailing_slash=True)


def test_specificity__literal_before_parameter_then_longer_first() -> None:
    templates = ["/m/{id}", "/m/bulk-get", "/m/{id}/x", "/m"]
    ordered = sorted(templates, key=lambda t: compile_template(t).specificity)
    assert ordered == ["/m/bulk-get", "/m", "/m/{id}/x", "/m/{id}"]


def test_compile_template__is_kept() -> None:
    assert compile_template("/a/{b}") is compile_template("/a/{b}")
