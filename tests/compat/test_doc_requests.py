"""Every request example of Adobe's doc pages, replayed verbatim against the mock.

``doc_requests/<page>.yaml`` holds each page's examples as printed (method, URL, headers, body; the bodies
byte for byte), copied once from the pages so that nothing here reads them. At replay time only the
``{PLACEHOLDERS}`` are filled in, plus the ids an entry lists under ``stands_for``: ids of things the
server makes (export jobs, merge policies, delete requests, computed attributes, paging tokens), which
the page's API format shows as a placeholder (``/export/jobs/{EXPORT_JOB_ID}``) and which the replay
takes from the example that made them.
Everything else an example names (datasets, batches, merge policies, people, destinations) is in
``doc_requests/world.yaml`` (plus ``world-<page>.yaml``) or made by ``_prepare`` under the example's own id.

Each request must get the status its section documents (``2xx`` where the page names none), never a 5xx.
An example that is itself broken lists why under ``broken`` with the minimal fix, as the scenarios'
``corrections`` do: a body or method fix is replayed both ways (the printed form must get the clean 4xx
given as ``verbatim_status``, the fixed one the documented status); a shell-level fault (a missing
backslash or quote that would drop a header) is replayed as the page prints the request. ``outside``
marks an example of another API that the harness does not serve: it must get a clean 4xx.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from profile_harness.store.merge_policies import sandbox_info
from profile_harness.testing import MockProfileAPI

HERE = Path(__file__).parent / "doc_requests"
PAGES = sorted(HERE.glob("help__*.yaml"))
WORLD = HERE / "world.yaml"
HOST = "https://platform.adobe.io"
ORG, SANDBOX = "ACMECORP@AdobeOrg", "prod"
PLACEHOLDERS = {
    "{ORG_ID}": ORG,
    "{SANDBOX_NAME}": SANDBOX,
    # The AWS tab names the sandbox by id: the id the harness gives the sandbox named {SANDBOX_NAME}.
    "{SANDBOX_ID}": sandbox_info(SANDBOX)["sandboxId"],
    "{API_KEY}": "doc-examples",
    "{ACCESS_TOKEN}": "doc-examples-token",
    "{TENANT_ID}": "acmecorp",  # the harness derives the tenant from the org: ACMECORP@AdobeOrg
    # ca-api "Update a computed attribute": the new expression is the reader's to choose.
    "{NEW_EXPRESSION_VALUE}": "_acmecorp.purchaseSummary.totalSpend",
}
#: Destinations the edge page's examples name (view, update, delete, and the projection's target).
DESTINATIONS = (
    "9d66c06e-c745-480c-b64c-1d5234d25f4b",
    "8b90ce19-e7dd-403a-ae24-69683a6674e7",
    "cc5a3bd1-f2b9-4965-b9bd-4e7416a02cd4",
)
#: The preview page asks for reports of 2020-08-01 and 2021-12-29: the world's ingestions fall on those
#: days, and its clock stands on the second.
PREVIEW_NOW = "2021-12-29T12:00:00Z"
DRAFT_EXPRESSION = "xEvent[timestamp occurs <= 7 days before now].sum(commerce.order.priceTotal)"


@functools.cache
def _app(platform: str) -> MockProfileAPI:
    """One app for the Azure-hosted examples, one for the AWS tab; each page gets a fresh world in them."""
    return MockProfileAPI.create()


def _page(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def _fill(text: str, ids: dict[str, str], stands_for: dict[str, str]) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    for literal, name in stands_for.items():
        text = text.replace(literal, ids[name])
    return text


def _prepare(api: MockProfileAPI, page: str) -> dict[str, str]:
    """A fresh world for one page; the ids of what it made for the page's examples."""
    api.reset()
    api.load_fixtures(WORLD)
    extra = HERE / f"world-{page.removesuffix('.md').rsplit('__', 1)[1]}.yaml"
    if extra.exists():
        api.load_fixtures(extra)
    made: dict[str, str] = {}
    if page == "help__profile__api__edge-projections.md":
        edge = api.tenant(ORG, SANDBOX).edge
        for destination_id in DESTINATIONS:
            edge.create_destination(
                {"type": "EDGE", "dataCenters": ["OR1"], "ttl": 3600, "replicationPolicy": "REACTIVE"},
                destination_id=destination_id,
            )
    if page == "help__profile__api__preview-sample-status.md":
        api.freeze_clock(PREVIEW_NOW)
    if page == "help__profile__computed-attributes__api.md":
        # The page's update names the attribute its delete example removed: a second draft for it.
        draft = api.tenant(ORG, SANDBOX).computed_attributes.create(
            {
                "name": "sampleDraft",
                "displayName": "Sample draft",
                "description": "Total spend over the last week",
                "expression": {"type": "PQL", "format": "pql/text", "value": DRAFT_EXPRESSION},
                "duration": {"count": 7, "unit": "DAYS"},
                "status": "DRAFT",
            }
        )
        made["draft"] = draft.id
    return made


def _send(
    client: TestClient, method: str, url: str, headers: list[str], body: str | None
) -> tuple[int, Any, str]:
    assert url.startswith(HOST), url
    pairs = [line.split(":", 1) for line in headers]
    response = client.request(
        method,
        url.removeprefix(HOST),
        headers={name.strip(): value.strip() for name, value in pairs},
        content=body.encode("utf-8") if body is not None else None,
    )
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return response.status_code, payload, response.text[:300]


def _without_start(url: str) -> str:
    base, _, query = url.partition("?")
    return base + "?" + "&".join(p for p in query.split("&") if not p.startswith("start="))


def _status_ok(expected: int | str, status: int) -> bool:
    if status >= 500:
        return False
    if expected == "2xx":
        return 200 <= status < 300
    if expected == "4xx":
        return 400 <= status < 500
    return status == expected


def _replay(page: dict[str, Any]) -> list[str]:
    """Replay one page's examples in order; the problems found, one line each."""
    apis: dict[str, MockProfileAPI] = {}
    clients: dict[str, TestClient] = {}
    ids: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for entry in page["requests"]:
        platform = entry.get("platform", "azure")
        if platform not in apis:
            apis[platform] = _app(platform)
            ids[platform] = _prepare(apis[platform], page["source"])
            if platform == "aws":  # the system-jobs page's AWS tab: an organization hosted on AWS
                apis[platform].load_fixtures(
                    {"tenants": [{"org": ORG, "sandbox": SANDBOX, "systemJobsFlavor": "aws"}]}
                )
            # No default headers: each example sends exactly the headers it prints.
            clients[platform] = TestClient(apis[platform].app, raise_server_exceptions=False)
        client, known = clients[platform], ids[platform]
        where = f"line {entry['line']} ({entry['heading']}, {entry['method']})"
        stands_for = entry.get("stands_for", {})
        if entry.get("first_page"):
            # The URL is {NEXT_URI}, the _links.next of an earlier page: ask for that page first.
            first = _without_start(_fill(entry["url"], known, {}))
            _, payload, _ = _send(client, "GET", first, [_fill(h, known, {}) for h in entry["headers"]], None)
            if isinstance(payload, dict) and payload.get("_page", {}).get("next"):
                known["next_page"] = str(payload["_page"]["next"])
        missing = [name for name in stands_for.values() if name not in known]
        if missing:
            problems.append(f"{where}: no id captured for {missing} (an earlier example failed)")
            continue
        url = _fill(entry["url"], known, stands_for)
        headers = [_fill(h, known, stands_for) for h in entry["headers"]]
        body = _fill(entry["body"], known, stands_for) if "body" in entry else None
        method = entry["method"]
        if "outside" in entry:
            status, _, text = _send(client, method, url, headers, body)
            if not _status_ok("4xx", status):
                problems.append(f"{where}: outside the harness, expected a 4xx, got {status}: {text}")
            continue
        broken = entry.get("broken", {})
        if "verbatim_status" in broken:
            status, _, text = _send(client, method, url, headers, body)
            if not _status_ok(broken["verbatim_status"], status):
                problems.append(
                    f"{where}: as printed (broken: {broken['reason']}) expected "
                    f"{broken['verbatim_status']}, got {status}: {text}"
                )
        if "replace" in broken and body is not None:
            old, new = broken["replace"]
            body = body.replace(old, new)
        method = broken.get("method", method)
        headers += [_fill(h, known, stands_for) for h in broken.get("add_headers", [])]
        expected = entry["expect"]["status"]
        status, payload, text = _send(client, method, url, headers, body)
        if not _status_ok(expected, status):
            problems.append(f"{where}: expected {expected}, got {status}: {text}")
            continue
        if "capture" in entry and isinstance(payload, dict):
            value = payload.get("id", payload.get("requestId"))
            if value is not None:
                known[entry["capture"]] = str(value)
    for api in apis.values():
        api.check()  # a crash inside the server fails the page even when its answer looked fine
    return problems


def test_every_doc_page_is_here() -> None:
    assert [p.name for p in PAGES] == sorted(
        f"{name}.yaml"
        for name in (
            "help__catalog__api__create-dataset",
            "help__profile__api__edge-projections",
            "help__profile__api__entities",
            "help__profile__api__export-jobs",
            "help__profile__api__merge-policies",
            "help__profile__api__preview-sample-status",
            "help__profile__api__profile-system-jobs",
            "help__profile__computed-attributes__api",
            "help__profile__computed-attributes__ca-api",
        )
    )


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_doc_page_examples_get_the_documented_answer(path: Path) -> None:
    page = _page(path)
    for entry in page["requests"]:
        if "body" in entry and "broken" not in entry and "outside" not in entry:
            json.loads(entry["body"])  # a body listed as sound parses as JSON
    problems = _replay(page)
    assert not problems, f"{page['source']}:\n" + "\n".join(problems)
