"""Tenancy bounds: a read sees a blank tenant that is not kept; writes create up to the limit."""

from __future__ import annotations

import pytest

from profile_harness.store import Store
from profile_harness.store.tenant import DEFAULT_MAX_TENANTS, TooManyTenants

ORG = "ACME@AdobeOrg"


def test_tenant_or_blank__keeps_nothing_and_answers_the_held_one() -> None:
    store = Store(seed=3)
    blank = store.tenant_or_blank(ORG, "unknown")
    assert (blank.org, blank.sandbox) == (ORG, "unknown")
    assert [p.id for p in blank.merge_policies.all()] == [
        p.id for p in store.tenant(ORG, "x").merge_policies.all()
    ]
    assert [t.sandbox for t in store.tenants()] == ["x"]
    assert store.tenant_or_blank(ORG, "x") is store.tenant(ORG, "x")


def test_tenant_or_blank__draws_no_ids() -> None:
    """A read of an unknown tenant leaves a seeded server's ids as they were."""
    quiet, read = Store(seed=5), Store(seed=5)
    read.tenant_or_blank(ORG, "unknown")
    assert quiet.ids.uuid() == read.ids.uuid()


def test_tenant__past_the_limit_is_a_429_and_nothing_is_created() -> None:
    store = Store(max_tenants=2)
    store.tenant(ORG, "a")
    store.tenant(ORG, "b")
    with pytest.raises(TooManyTenants) as refused:
        store.tenant(ORG, "c")
    assert refused.value.status == 429
    assert len(store.tenants()) == 2
    assert store.tenant(ORG, "a") is store.tenants()[0]  # held tenants stay reachable
    store.reset(ORG, "a")
    store.tenant(ORG, "c")


def test_tenant__default_limit() -> None:
    assert Store().max_tenants == DEFAULT_MAX_TENANTS == 1000
