"""The input limits in front of every handler: body size (413), JSON depth and numbers, readable URLs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from profile_harness.app import create_app
from profile_harness.errors import BadRequest
from profile_harness.openapi import bundle as specs
from profile_harness.openapi.conformance import default_checker
from profile_harness.options import HarnessOptions
from profile_harness.server import limits
from profile_harness.server.limits import BODY_LIMIT, MAX_JSON_DEPTH, check_json, check_tree

MP = "/data/core/ups/config/mergePolicies"
JSON = {"content-type": "application/json"}


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _refused(body: bytes) -> str:
    with pytest.raises(BadRequest) as caught:
        check_json(body)
    return caught.value.message


# -- check_json ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"a": ', "not valid JSON"),
        (b'{"a": 1} trailing', "not valid JSON"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": -Infinity}', "-Infinity"),
        (b'{"a": 1e999}', "out of range"),
        (b'{"a": ' + b"9" * 101 + b"}", "longer than 100"),
        (b'{"a": 0.' + b"1" * 101 + b"}", "longer than 100"),
        (_nested(MAX_JSON_DEPTH + 1), f"deeper than {MAX_JSON_DEPTH}"),
        (_nested(100_000), f"deeper than {MAX_JSON_DEPTH}"),  # past the parser's own recursion
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, f"deeper than {MAX_JSON_DEPTH}"),
    ],
)
def test_check_json__refuses_and_names_the_fault(body: bytes, named: str) -> None:
    assert named in _refused(body)


@pytest.mark.parametrize(
    "body",
    [b"", b"  ", b"{}", b"[]", b'"x"', b"1", b"null", _nested(MAX_JSON_DEPTH), b"9" * 100, b'{"a": 1.5e300}'],
)
def test_check_json__takes_what_json_allows_within_limits(body: bytes) -> None:
    check_json(body)


def test_check_tree__refuses_yaml_alias_loops_and_bombs() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(BadRequest, match="deeper than"):
        check_tree(loop, 1000)
    bomb = yaml.safe_load(
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
    )
    with pytest.raises(BadRequest, match="repeats parts of itself"):
        check_tree(bomb, 1000)


# -- the middleware, in process ------------------------------------------------------------------


def test_platform_body_over_1_mib__gateway_413_documented_and_nothing_stored(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = b'{"name": "' + b"a" * BODY_LIMIT + b'"}'
    response = client.post(MP, content=body, headers={**headers, **JSON})
    assert response.status_code == 413
    assert response.json()["error_code"] == "413000"
    assert "limit is 1 MiB" in response.json()["message"]
    assert default_checker().check(response.request, response) == []
    assert client.get(MP, headers=headers).json()["_page"]["totalCount"] == 1  # Platform's default only


def test_body_of_exactly_the_limit_passes_the_limit(client: TestClient, headers: dict[str, str]) -> None:
    body = b'{"name": "' + b"a" * (BODY_LIMIT - 12) + b'"}'
    assert len(body) == BODY_LIMIT
    response = client.post(MP, content=body, headers={**headers, **JSON})
    assert response.status_code == 400  # refused by the schema (no identityGraph), not by size
    assert "required property" in response.json()["message"]


def test_streamed_body_without_length__413_as_soon_as_it_passes(
    client: TestClient, headers: dict[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"a" * 65536

    response = client.post(MP, content=chunks(), headers={**headers, **JSON})
    assert response.status_code == 413
    assert "more than 1048576 bytes" in response.json()["message"]


def test_body_on_a_get__413_by_its_length(client: TestClient, headers: dict[str, str]) -> None:
    response = client.request("GET", MP, content=b"x" * (BODY_LIMIT + 1), headers=headers)
    assert response.status_code == 413
    assert default_checker().check(response.request, response) == []


def test_gateway_checks_credentials_before_size(client: TestClient) -> None:
    response = client.post(MP, content=b"x" * (BODY_LIMIT + 1), headers=JSON)
    assert response.status_code == 403


def test_ims_body_over_1_mib__413_in_the_ims_shape(client: TestClient) -> None:
    form = b"client_id=" + b"a" * BODY_LIMIT
    response = client.post(
        "/ims/token/v3", content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"
    assert "limit is 1 MiB" in response.json()["error_description"]


def test_admin_fixtures_take_more_than_1_mib(client: TestClient) -> None:
    big = {"tenants": [], "padding": "a" * (2 * BODY_LIMIT)}
    response = client.post("/__admin/fixtures", json=big)
    assert response.status_code == 400  # past the size check; refused for the unknown key
    assert "padding" in response.json()["detail"]


def test_admin_body_over_its_limit__413_problem(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "ADMIN_BODY_LIMIT", 1024)  # 64 MiB is too much to send in a test
    response = client.post("/__admin/fixtures", json={"tenants": [], "padding": "a" * 2000})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Payload Too Large"
    assert "limit is 1024 bytes" in response.json()["detail"]


def test_content_length_that_is_no_number__400_named(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(MP, content=b"{}", headers={**headers, **JSON, "content-length": "lots"})
    assert response.status_code == 400
    assert "Content-Length" in response.json()["message"]


def test_every_platform_operation_documents_the_413() -> None:
    for path, method, operation in specs.iter_operations(specs.platform_spec()):
        if operation.get("security", [{}]):
            assert "413" in operation["responses"], f"{method.upper()} {path}"


# -- URLs and parameters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "named"),
    [
        (f"{MP}/x%FFy", "the path is not valid UTF-8"),
        (f"{MP}?schema.name=%C3%28", "the query string is not valid UTF-8"),
        (f"{MP}?limit=abc", "query parameter 'limit': 'abc' is not of type 'integer'"),
        (f"{MP}?limit=0", "query parameter 'limit': 0 is less than the minimum of 1"),
        ("/data/core/ups/export/jobs/%E2%98%83", "path parameter 'exportJobId'"),
    ],
)
def test_unreadable_url_or_parameter__400_in_the_endpoint_shape(
    client: TestClient, headers: dict[str, str], url: str, named: str
) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 400
    assert named in response.json()["message"]
    if "UTF-8" in named:  # the gateway cannot read the URL: its own body, code 400000
        assert response.json()["error_code"] == "400000"
    assert "Failed validating" not in response.text  # no schema dumps
    assert default_checker().check(response.request, response) == []


def test_form_body_that_is_not_utf8__400(client: TestClient) -> None:
    response = client.post(
        "/ims/token/v3",
        content=b"client_id=%FF&client_secret=s&grant_type=authorization_code&code=c",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.json()["error_description"]


# -- YAML fixtures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (_nested(5000), "nests deeper than"),
        (_nested(MAX_JSON_DEPTH + 1), "deeper than"),
        (b"&a [*a]", "repeats parts of itself"),
    ],
)
def test_yaml_fixtures__deep_or_self_repeating_documents_are_400(
    client: TestClient, body: bytes, named: str
) -> None:
    response = client.post("/__admin/fixtures", content=body, headers={"content-type": "application/yaml"})
    assert response.status_code == 400
    assert named in response.json()["detail"]


def test_check_json__gives_the_value_json_loads_gives() -> None:
    body = b'{"a": [1, 2.5, -0, 1e3, "x", null, true]}'
    parsed = check_json(body)
    assert parsed is not None
    assert parsed.raw == body
    assert parsed.value == json.loads(body)
    assert check_json(b"  \n") is None  # blank: the body validator words it


def _counting_json_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts Connexion's JSON body validators parse (requests and responses)."""
    import connexion.validators.json as connexion_json

    seen: list[str] = []

    def loads(text: str, **kwargs: Any) -> Any:
        seen.append(text)
        return json.loads(text, **kwargs)

    monkeypatch.setattr(connexion_json, "json", SimpleNamespace(loads=loads, decoder=json.decoder))
    return seen


def test_json_body__parsed_by_the_limit_layer_only(
    client: TestClient, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _counting_json_loads(monkeypatch)
    response = client.post(f"{MP}/bulk-get", json={"ids": [{"id": "none"}]}, headers=headers)
    refused = client.post(f"{MP}/bulk-get", json={"ids": "not a list"}, headers=headers)
    assert (response.status_code, refused.status_code) == (207, 400)
    assert "'not a list' is not of type 'array'" in refused.text  # Connexion's own words
    assert not [text for text in seen if '"ids"' in text]  # only the responses were parsed there


def test_json_body_in_another_charset__parsed_by_the_validator_as_before(
    client: TestClient, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _counting_json_loads(monkeypatch)
    body = b'{"ids": [{"id": "none"}]}'
    sent = {**headers, "content-type": "application/json;charset=latin-1"}  # no space: Connexion reads it
    response = client.post(f"{MP}/bulk-get", content=body, headers=sent)
    assert response.status_code == 207
    assert [text for text in seen if '"ids"' in text] == [body.decode()]


# -- unknown query parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shape_key"),
    [
        (MP, "message"),  # merge policies: {code, message}
        ("/data/core/ups/system/jobs", "errors"),  # system jobs: {requestId, errors}
        ("/data/foundation/catalog/dataSets", "detail"),  # Catalog: a problem
    ],
)
def test_unknown_query_parameter__400_in_the_endpoint_shape_naming_it(
    client: TestClient, headers: dict[str, str], path: str, shape_key: str
) -> None:
    response = client.get(path, params={"limt": "5"}, headers=headers)
    assert response.status_code == 400
    assert shape_key in response.json()
    assert "unknown query parameter 'limt'" in response.text
    assert "this operation takes " in response.text


def test_unknown_query_parameter__refused_on_the_fast_lane_too(
    client: TestClient, headers: dict[str, str]
) -> None:
    lookup = {"schema.name": "_xdm.context.profile", "entityId": "nobody@example.com", "entityIdNS": "email"}
    plain = client.get("/data/core/ups/access/entities", params=lookup, headers=headers)
    misspelt = client.get(
        "/data/core/ups/access/entities", params={**lookup, "mergePolicyID": "x"}, headers=headers
    )
    assert plain.status_code != 400
    assert misspelt.status_code == 400
    assert "unknown query parameter 'mergePolicyID'" in misspelt.json()["message"]


def test_unknown_query_parameter__ignored_when_lenient(headers: dict[str, str]) -> None:
    with TestClient(create_app(options=HarnessOptions(lenient_query=True))) as lenient:
        response = lenient.get(MP, params={"limt": "5"}, headers=headers)
    assert response.status_code == 200


def test_unknown_query_message__names_at_most_five() -> None:
    message = limits.unknown_query_message([f"p{i}" for i in range(7)], ["b", "a", "a"])
    assert message == "unknown query parameters 'p0', 'p1', 'p2', 'p3', 'p4', ...: this operation takes a, b"
