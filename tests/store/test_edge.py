"""Edge destinations and projections in the store: selectors, versions, references (DOC-EP)."""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

import pytest

from profile_harness.errors import ApiError, BadRequest, Unprocessable, UnsupportedMediaType
from profile_harness.openapi.bundle import platform_spec
from profile_harness.store import Store
from profile_harness.store.edge import (
    MAX_SELECTOR_DEPTH,
    SELECTOR_PATTERN,
    SELECTOR_SPACES,
    DestinationInUse,
    DestinationNotFound,
    EdgeBackend,
    NotAcceptable,
    ProjectionNameTaken,
    ProjectionNotFound,
    StaleVersion,
    check_accept,
    check_body_media_type,
    check_selector,
)

PROFILE = "_xdm.context.profile"
EVENT = "_xdm.context.experienceevent"


@pytest.fixture
def edge() -> EdgeBackend:
    return Store(seed=7).tenant("ACME@AdobeOrg", "prod").edge


def _destination(edge: EdgeBackend, *centers: str) -> str:
    return edge.create_destination({"type": "EDGE", "dataCenters": list(centers or ["OR1"])}).id


@pytest.mark.parametrize(
    "selector",
    [
        "strategy",
        "person.lastName",
        "emails,person(firstName)",
        "addresses(type,city.country)",
        "person.lastName,addresses",
        "a(b(c,d.e),f),g.h",
        "_tenant.loyalty.points",
    ],
)
def test_check_selector__documented_forms_pass(selector: str) -> None:
    check_selector(selector)


@pytest.mark.parametrize(
    ("selector", "why"),
    [
        ("emails, person", "spaces are not allowed at position 7"),
        ("a,,b", "a field name is expected, found ','"),
        ("a.", "a field name is expected, found the end"),
        (".a", "a field name is expected, found '.'"),
        ("a()", "a field name is expected, found ')'"),
        ("a)b", "unexpected ')'"),
        ("a(b)c", "unexpected 'c'"),
        ("a(b).c", "unexpected '.'"),
        ("a,", "found the end"),
        ("a\n", "spaces are not allowed at position 1"),
    ],
)
def test_check_selector__off_the_schema_pattern_is_400_naming_the_place(selector: str, why: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_selector(selector)
    assert why in caught.value.message
    assert repr(selector) in caught.value.message
    assert not _schema_allows(selector)


@pytest.mark.parametrize(
    ("selector", "why"),
    [
        ("a(b", "missing ')'"),
        ("a),b", "unexpected ')'"),
        ("a(b(c)", "missing ')'"),
        ("a(b)),c", "unexpected ')'"),
    ],
)
def test_check_selector__unbalanced_parentheses_are_422_naming_the_place(selector: str, why: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        check_selector(selector)
    assert why in caught.value.message
    assert repr(selector) in caught.value.message
    assert _schema_allows(selector)  # the part of the syntax a pattern cannot state


@functools.cache
def _selector_schema() -> dict[str, Any]:
    return platform_spec()["components"]["schemas"]["ProjectionSelector"]  # type: ignore[no-any-return]


def _schema_allows(selector: str) -> bool:
    """What the request schema's ``ProjectionSelector`` lets through, read as JSON Schema does
    (ECMA-262: ``$`` is the end of the text, not also the place before a final line break).
    """
    schema = _selector_schema()
    return (
        len(selector) >= schema["minLength"]
        and re.search(schema["pattern"], selector) is not None
        and not selector.endswith("\n")
    )


def test_selector_pattern__is_the_schema_pattern() -> None:
    assert SELECTOR_PATTERN.pattern == _selector_schema()["pattern"]


def test_check_selector__agrees_with_the_schema_pattern() -> None:
    # Every string over the selector's characters up to length 6: the schema's pattern refuses
    # exactly what the store answers 400; what it lets through is accepted or a 422.
    for length in range(1, 7):
        for chars in itertools.product("a.,() ", repeat=length):  # a space for every whitespace
            selector = "".join(chars)
            try:
                check_selector(selector)
                status = 200
            except ApiError as exc:
                status = exc.status
            assert (status == 400) is not _schema_allows(selector), selector


@pytest.mark.parametrize("space", sorted(SELECTOR_SPACES))
def test_check_selector__every_whitespace_is_400(space: str) -> None:
    # Python's whitespace and ECMA-262's (\x1c-\x1f, \x85 and \ufeff are one side's only).
    with pytest.raises(BadRequest, match="spaces are not allowed at position 1"):
        check_selector(f"a{space}b")
    assert not _schema_allows(f"a{space}b")


def test_check_selector__deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(Unprocessable, match="nested deeper"):
        check_selector("a(" * (MAX_SELECTOR_DEPTH + 1) + "b" + ")" * (MAX_SELECTOR_DEPTH + 1))
    check_selector("a(" * MAX_SELECTOR_DEPTH + "b" + ")" * MAX_SELECTOR_DEPTH)


def test_check_selector__empty_is_400() -> None:
    with pytest.raises(BadRequest):
        check_selector("")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.adobe.platform.projectionDestination+json; version=1",
        "application/vnd.adobe.platform.projectionDestination+json",
        'application/vnd.adobe.platform.projectionDestination+json;version="1"; charset=utf-8',
    ],
)
def test_check_body_media_type__version_1_or_none(content_type: str) -> None:
    check_body_media_type(content_type)


def test_check_body_media_type__other_version_is_415() -> None:
    with pytest.raises(UnsupportedMediaType, match="version=2"):
        check_body_media_type("application/vnd.adobe.platform.projectionDestination+json; version=2")


@pytest.mark.parametrize(
    "accept",
    ["", "*/*", "application/*", "application/json", "text/html, application/problem+json;q=0.5"],
)
def test_check_accept__json_admitted(accept: str) -> None:
    check_accept(accept)


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "application/json;q=0, text/html"])
def test_check_accept__no_json_is_406(accept: str) -> None:
    with pytest.raises(NotAcceptable):
        check_accept(accept)


def test_create_destination__defaults_and_version_1(edge: EdgeBackend) -> None:
    destination = edge.create_destination({"type": "EDGE", "dataCenters": ["VA5", "VA5", "OR1"]})
    assert destination.version == 1
    assert destination.ttl == 3600
    assert destination.replication_policy == "REACTIVE"
    assert destination.data_centers == ["VA5", "OR1"]
    assert destination.to_dict()["self"] == {
        "href": f"/data/core/ups/config/destinations/{destination.id}",
        "templated": False,
    }
    assert destination.to_dict(listed=True)["_links"]["self"]["href"].endswith(destination.id)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "CLOUD", "dataCenters": ["OR1"]},
        {"type": "EDGE", "dataCenters": []},
        {"type": "EDGE", "dataCenters": ["XX1"]},
        {"type": "EDGE", "dataCenters": ["OR1"], "ttl": 599},
        {"type": "EDGE", "dataCenters": ["OR1"], "ttl": 604801},
        {"type": "EDGE", "dataCenters": ["OR1"], "replicationPolicy": "LAZY"},
    ],
)
def test_create_destination__bad_values_are_400_and_store_nothing(edge: EdgeBackend, body: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(BadRequest):
        edge.create_destination(body)
    assert edge.list_destinations() == []


def test_replace_destination__full_rewrite_bumps_version(edge: EdgeBackend) -> None:
    destination_id = edge.create_destination(
        {"type": "EDGE", "dataCenters": ["OR1"], "ttl": 8000, "replicationPolicy": "PROACTIVE"}
    ).id
    rewritten = edge.replace_destination(
        destination_id, {"type": "EDGE", "dataCenters": ["NLD1"], "currentVersion": 1}
    )
    assert rewritten.version == 2
    # Left out: defaults again (DOC-EP: the PUT rewrites the destination).
    assert rewritten.ttl == 3600
    assert rewritten.replication_policy == "REACTIVE"
    assert rewritten.data_centers == ["NLD1"]


def test_replace_destination__stale_version_changes_nothing(edge: EdgeBackend) -> None:
    destination_id = _destination(edge)
    edge.replace_destination(destination_id, {"type": "EDGE", "dataCenters": ["VA5"], "currentVersion": 1})
    with pytest.raises(StaleVersion, match="currentVersion 1 does not match the stored version 2"):
        edge.replace_destination(
            destination_id, {"type": "EDGE", "dataCenters": ["NLD1"], "currentVersion": 1}
        )
    stored = edge.get_destination(destination_id)
    assert stored.version == 2
    assert stored.data_centers == ["VA5"]


def test_replace_destination__unknown_is_404(edge: EdgeBackend) -> None:
    with pytest.raises(DestinationNotFound):
        edge.replace_destination("nope", {"type": "EDGE", "dataCenters": ["OR1"], "currentVersion": 1})


def test_delete_destination__refused_while_referenced(edge: EdgeBackend) -> None:
    destination_id = _destination(edge)
    projection = edge.create_projection(PROFILE, {"selector": "emails", "destinationId": destination_id})
    with pytest.raises(DestinationInUse, match=projection.id):
        edge.delete_destination(destination_id)
    edge.delete_projection(projection.id)
    edge.delete_destination(destination_id)
    with pytest.raises(DestinationNotFound):
        edge.get_destination(destination_id)


def test_create_projection__unknown_destination_is_404_and_stores_nothing(edge: EdgeBackend) -> None:
    with pytest.raises(DestinationNotFound):
        edge.create_projection(PROFILE, {"selector": "emails", "destinationId": "nope"})
    assert edge.list_projections() == []


def test_create_projection__name_unique_per_schema_class(edge: EdgeBackend) -> None:
    destination_id = _destination(edge)
    body = {"selector": "emails", "name": "web", "destinationId": destination_id}
    edge.create_projection(PROFILE, body)
    with pytest.raises(ProjectionNameTaken):
        edge.create_projection(PROFILE, body)
    edge.create_projection(EVENT, body)
    # Unnamed configurations never clash.
    edge.create_projection(PROFILE, {"selector": "a", "destinationId": destination_id})
    edge.create_projection(PROFILE, {"selector": "b", "destinationId": destination_id})
    assert len(edge.list_projections(PROFILE)) == 3
    assert [p.schema_name for p in edge.list_projections(EVENT, "web")] == [EVENT]


def test_list_projections__name_needs_schema_name(edge: EdgeBackend) -> None:
    with pytest.raises(BadRequest, match="requires the query parameter schemaName"):
        edge.list_projections(None, "web")


def test_replace_projection__rules_and_version(edge: EdgeBackend) -> None:
    first, second = _destination(edge), _destination(edge, "VA5")
    taken = edge.create_projection(PROFILE, {"selector": "a", "name": "taken", "destinationId": first})
    projection = edge.create_projection(PROFILE, {"selector": "b", "name": "mine", "destinationId": first})
    base = {"selector": "b,c", "name": "mine", "destinationId": second, "currentVersion": 1}

    failures: list[tuple[dict, type[ApiError]]] = [  # type: ignore[type-arg]
        ({**base, "selector": "b c"}, BadRequest),
        ({**base, "selector": "b,c(d"}, Unprocessable),
        ({**base, "currentVersion": 2}, StaleVersion),
        ({**base, "destinationId": "nope"}, DestinationNotFound),
        ({**base, "name": "taken"}, ProjectionNameTaken),
    ]
    for body, error in failures:
        with pytest.raises(error):
            edge.replace_projection(projection.id, body)
    assert projection.version == 1
    assert projection.selector == "b"
    assert projection.destination_id == first

    rewritten = edge.replace_projection(projection.id, {**base, "mergePolicyId": "mp"})
    assert rewritten.version == 2
    assert rewritten.selector == "b,c"
    assert rewritten.destination_id == second
    assert rewritten.schema_name == PROFILE
    assert rewritten.merge_policy_id == "mp"
    # Keeping its own name is not a clash.
    edge.replace_projection(projection.id, {**base, "currentVersion": 2})
    assert taken.version == 1


def test_projection_to_dict__embeds_the_destination(edge: EdgeBackend) -> None:
    destination_id = _destination(edge)
    projection = edge.create_projection(PROFILE, {"selector": "strategy", "destinationId": destination_id})
    body = projection.to_dict()
    assert body["_links"]["destination"]["href"] == f"/data/core/ups/config/destinations/{destination_id}"
    assert body["_links"]["self"]["href"] == f"/data/core/ups/config/projections/{projection.id}"
    assert body["_embedded"]["destination"]["id"] == destination_id
    assert "name" not in body
    assert "mergePolicyId" not in body


def test_get_projection__unknown_is_404(edge: EdgeBackend) -> None:
    with pytest.raises(ProjectionNotFound):
        edge.get_projection("nope")
    with pytest.raises(ProjectionNotFound):
        edge.delete_projection("nope")


def test_tenants_do_not_share(edge: EdgeBackend) -> None:
    store = Store(seed=1)
    one = store.tenant("ACME@AdobeOrg", "prod").edge
    other = store.tenant("ACME@AdobeOrg", "dev").edge
    destination_id = _destination(one)
    with pytest.raises(DestinationNotFound):
        other.get_destination(destination_id)
    with pytest.raises(DestinationNotFound):
        other.create_projection(PROFILE, {"selector": "a", "destinationId": destination_id})


def test_replace_projection__without_current_version_skips_the_lock(edge: EdgeBackend) -> None:
    # SPEC-2023 marks currentVersion optional (aepp's updateProjection sends none): no lock check then.
    destination_id = _destination(edge)
    projection = edge.create_projection(PROFILE, {"selector": "a", "destinationId": destination_id})
    edge.replace_projection(projection.id, {"selector": "a,b", "destinationId": destination_id})
    edge.replace_projection(projection.id, {"selector": "a,b,c", "destinationId": destination_id})
    assert projection.version == 3
    assert projection.selector == "a,b,c"
    with pytest.raises(StaleVersion):  # sent, it is still checked
        edge.replace_projection(
            projection.id, {"selector": "a", "destinationId": destination_id, "currentVersion": 1}
        )
    assert projection.version == 3
    assert projection.selector == "a,b,c"
