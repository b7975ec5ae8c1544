"""The README's generated sections (coverage table, scenario counts) match the code."""

from __future__ import annotations

from pathlib import Path

from tools.readme import render_generated

ROOT = Path(__file__).resolve().parents[2]


def test_readme__generated_sections_are_current():
    text = (ROOT / "README.md").read_text()
    assert render_generated(text, ROOT) == text, "run: .venv/bin/python tools/update_readme.py"


def test_readme__starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert text.index("make serve") < text.index("## ")
    assert "make test" in text.split("## ")[0]


def _readme_urls(fragment: str) -> list[str]:
    import re

    text = (ROOT / "README.md").read_text()
    urls = re.findall(r'curl -s "http://127\.0\.0\.1:8080([^"]+)"', text)
    return [u for u in urls if fragment in u]


def test_readme__entity_curls_show_stitching_and_the_policy_difference():
    from starlette.testclient import TestClient

    from profile_harness.app import create_app
    from profile_harness.seed.demo import DEMO_ORG, demo_document
    from profile_harness.seed.fixtures import load_document
    from profile_harness.store import Store

    store = Store()
    load_document(store, demo_document())
    headers = {
        "Authorization": "Bearer any-token",
        "x-api-key": "my-client",
        "x-gw-ims-org-id": DEMO_ORG,
        "x-sandbox-name": "prod",
    }
    stitched_url, other_url = _readme_urls("schema.name=_xdm.context.profile")
    events_url = _readme_urls("experienceevent")[0]
    with TestClient(create_app(store)) as client:
        stitched = next(iter(client.get(stitched_url, headers=headers).json().values()))
        other = next(iter(client.get(other_url, headers=headers).json().values()))
        events = client.get(events_url, headers=headers).json()
    assert len(stitched["sources"]) == 2
    assert "loyalty" in stitched["entity"]
    assert stitched["entity"]["homeAddress"]["city"] == "Lyon"
    assert len(other["sources"]) == 1
    assert "loyalty" not in other["entity"]
    assert other["entity"]["homeAddress"]["city"] == "Paris"
    assert events["_page"]["count"] == 2
    assert events["_links"]["next"]["href"].startswith("/entities?")
