"""Preview sampling: above the sample limit a job reads a stable sample and scales its counts."""

from __future__ import annotations

import math
from typing import Any

import pytest

from profile_harness.seed.demo import DEMO_ORG, DEMO_SANDBOX, generated_document
from profile_harness.seed.fixtures import load_document
from profile_harness.store import Store
from profile_harness.store.clock import Clock
from profile_harness.store.datasets import parse_time_ms
from profile_harness.store.preview import Report, compute_report
from profile_harness.store.preview_sampling import DEFAULT_SAMPLE_LIMIT, apportion

PEOPLE, LIMIT = 5_000, 1_000
#: After every generated batch (the last events are from 2024-06-30) and its 15-minute window.
NOW = "2024-08-01T00:00:00Z"


def _now() -> int:
    ms = parse_time_ms(NOW)
    assert ms is not None
    return ms


def _world(limit: int = LIMIT, people: int = PEOPLE) -> Store:
    """``people`` generated people, loaded trusted as ``serve --generate`` and bench load them."""
    store = Store(seed=1, clock=Clock(frozen_at_ms=_now()), preview_sample_limit=limit)
    load_document(store, generated_document(people, seed=7), "generated data", trusted=True)
    return store


def _report(store: Store, limit: int) -> Report:
    tenant = store.tenant(DEMO_ORG, DEMO_SANDBOX)
    return compute_report(tenant.datasets, tenant.merge_policies, _now(), sample_limit=limit)


def _tolerance(count: int, total: int, sampled: int) -> float:
    """Four standard deviations of a count scaled from a sample drawn without replacement, plus rounding."""
    p = count / total
    return 4 * total * math.sqrt(p * (1 - p) / sampled * (1 - sampled / total)) + 2


@pytest.fixture(scope="module")
def reports() -> tuple[Report, Report, Report]:
    store = _world()
    return _report(store, LIMIT), _report(store, LIMIT), _report(store, 10**9)


def test_sampled__status_reads_the_limit_and_keeps_exact_totals(reports: tuple[Report, Report, Report]):
    sampled, _, full = reports
    status = sampled.status
    assert (status["numRowsToRead"], status["totalRows"]) == (str(LIMIT), str(PEOPLE))
    assert status["samplingRatio"] == 0.2
    assert (full.status["samplingRatio"], full.status["numRowsToRead"]) == (1.0, str(PEOPLE))
    for key in ("cosmosDocCount", "totalFragmentCount", "lastBatchId", "lastSuccessfulBatchTimestamp"):
        assert status[key] == full.status[key]  # counted without reading records
    assert sampled.unstitched["totalNumberOfProfiles"] == PEOPLE
    assert sampled.unstitched["totalNumberOfEvents"] == full.unstitched["totalNumberOfEvents"]


def test_sampled__dataset_and_namespace_counts_scale_to_the_full_data(
    reports: tuple[Report, Report, Report],
):
    sampled, _, full = reports
    rows: list[tuple[dict[str, Any], dict[str, Any]]] = [
        *zip(sampled.datasets, full.datasets, strict=True),
        *zip(
            sorted(sampled.namespaces, key=lambda r: r["code"]),
            sorted(full.namespaces, key=lambda r: r["code"]),
            strict=True,
        ),
    ]
    some_partial = False
    for got, exact in rows:
        assert got.get("value") == exact.get("value")
        assert exact["sampleCount"] == exact["fullIDsCount"]  # unsampled: the sample is everything
        assert got["samplePercentage"] == round(got["sampleCount"] / LIMIT, 6)
        assert got["fullIDsCount"] == round(got["sampleCount"] * PEOPLE / LIMIT)
        assert got["fullIDsPercentage"] == round(got["fullIDsCount"] / PEOPLE, 6)
        assert abs(got["fullIDsCount"] - exact["fullIDsCount"]) <= _tolerance(
            exact["fullIDsCount"], PEOPLE, LIMIT
        )
        some_partial |= 0 < exact["fullIDsCount"] < PEOPLE
    assert some_partial  # the world has datasets and namespaces that reach only some people


def test_sampled__overlap_rows_scale_and_still_add_up_to_the_profile_count(
    reports: tuple[Report, Report, Report],
):
    sampled, _, full = reports
    for got, exact in [
        (sampled.dataset_overlap, full.dataset_overlap),
        (sampled.namespace_overlap, full.namespace_overlap),
    ]:
        assert sum(got.values()) == sum(exact.values()) == PEOPLE
        assert len(exact) > 1
        for key, count in exact.items():
            assert abs(got.get(key, 0) - count) <= _tolerance(count, PEOPLE, LIMIT)


def test_sampled__the_same_data_gives_the_same_sample(reports: tuple[Report, Report, Report]):
    first, second, _ = reports
    assert first == second
    assert _report(_world(), LIMIT) == first  # a fresh load of the same world, as a replay


def test_sample_job__reports_carry_the_ratio_through_the_backend():
    store = _world(limit=500, people=2_000)
    preview = store.tenant(DEMO_ORG, DEMO_SANDBOX).preview
    status = preview.status().to_dict()
    assert status["status"] == "TASK_FINISHED"
    assert (status["numRowsToRead"], status["totalRows"], status["samplingRatio"]) == ("500", "2000", 0.25)
    data = preview.dataset_report().to_dict()["data"]
    assert data[0]["sampleCount"] == 500  # every generated person has a CRM record


def test_small_world__keeps_ratio_one_under_the_default_limit():
    store = _world(limit=DEFAULT_SAMPLE_LIMIT, people=50)
    status = store.tenant(DEMO_ORG, DEMO_SANDBOX).preview.status().to_dict()
    assert (status["numRowsToRead"], status["totalRows"], status["samplingRatio"]) == ("50", "50", 1.0)


def test_limit__read_from_the_store_when_a_job_ends():
    store = _world(limit=DEFAULT_SAMPLE_LIMIT, people=400)
    store.preview_sample_limit = 100
    status = store.tenant(DEMO_ORG, DEMO_SANDBOX).preview.status().to_dict()
    assert (status["numRowsToRead"], status["samplingRatio"]) == ("100", 0.25)


def test_apportion__largest_remainders_add_up_to_the_target():
    assert apportion({"a": 1, "b": 1, "c": 1}, 10) == {"a": 4, "b": 3, "c": 3}
    assert apportion({"a": 5, "b": 0}, 5) == {"a": 5, "b": 0}
    assert apportion({}, 7) == {}
