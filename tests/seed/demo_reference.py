"""The demo generator as it was before it streamed into packed records: the reference it must match.

Frozen copy (commit 1929e01 of src/profile_harness/demo.py, now seed/demo.py), used only by
tests/seed/test_demo.py.

Built-in demo data: a small believable world, or N generated people for scale work.

Deterministic for a given seed. Three datasets: CRM profiles (email + CRM id), loyalty profiles
(loyalty id + CRM id, no email, so only the identity graph ties them to the CRM record) and web
events (ECID, with the email on logins). Two merge policies: the default ``timestampOrdered`` +
``pdg`` and a ``dataSetPrecedence`` + ``none``.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "CRM_DATASET",
    "DEMO_ORG",
    "DEMO_SANDBOX",
    "EVENT_DATASET",
    "LOYALTY_DATASET",
    "demo_document",
]

DEMO_ORG = "ACME0123456789ABCDEF@AdobeOrg"
DEMO_SANDBOX = "prod"
CRM_DATASET = "5c8c3c555033b814b69f947f"
LOYALTY_DATASET = "5d1f0c6b8a2c4e0017a0e0aa"
EVENT_DATASET = "5e2a4b7c9d1e3f0018b1c2d3"
DEFAULT_POLICY = "10648288-cda5-11e8-a8d5-f2801f1b9fd1"
PRECEDENCE_POLICY = "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2"
ANCHOR = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)

_FIRST = [
    "Jane",
    "Ravi",
    "Mei",
    "Lucas",
    "Amara",
    "Tomás",
    "Ingrid",
    "Kenji",
    "Fatima",
    "Oliver",
    "Priya",
    "Mateo",
    "Chloé",
    "Yusuf",
    "Hana",
    "Samuel",
    "Elif",
    "Noah",
    "Zara",
    "Leon",
]
_LAST = [
    "Doe",
    "Patel",
    "Chen",
    "Martin",
    "Okafor",
    "García",
    "Larsen",
    "Tanaka",
    "Haddad",
    "Smith",
    "Iyer",
    "Rossi",
    "Dubois",
    "Demir",
    "Kim",
    "Cohen",
    "Yilmaz",
    "Müller",
    "Ali",
    "Novak",
]
_CITIES = ["Paris", "Lyon", "Berlin", "Madrid", "Austin", "Toronto", "Osaka", "Lisbon", "Dublin", "Oslo"]
_TIERS = ["bronze", "silver", "gold", "platinum"]
_PAGES = ["home", "shoes", "jackets", "checkout", "account", "sale"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _person(i: int) -> dict[str, str]:
    first = _FIRST[i % len(_FIRST)]
    last = _LAST[(i * 7 + i // len(_FIRST)) % len(_LAST)]
    if i == 0:
        first, last = "Jane", "Doe"
    suffix = "" if i < len(_FIRST) else str(i)
    email = f"{first}.{last}{suffix}@example.com".lower().replace("é", "e").replace("á", "a")
    email = email.replace("ü", "u")
    return {"first": first, "last": last, "email": email, "crm": f"CRM-{100000 + i}"}


def demo_document(
    people: int = 20, *, seed: int = 7, org: str = DEMO_ORG, sandbox: str = DEMO_SANDBOX
) -> dict[str, Any]:
    """A fixture document with ``people`` people (person 0 is always jane.doe@example.com)."""
    rng = random.Random(seed)
    crm_records: list[dict[str, Any]] = []
    loyalty_records: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for i in range(people):
        p = _person(i)
        ecid = f"{rng.getrandbits(120):038d}"[:38]
        home = "Paris" if i == 0 else _CITIES[rng.randrange(len(_CITIES))]
        crm_records.append(
            {
                "identityMap": {"email": [{"id": p["email"], "primary": True}], "crmid": [{"id": p["crm"]}]},
                "person": {"name": {"firstName": p["first"], "lastName": p["last"]}},
                "personalEmail": {"address": p["email"]},
                "homeAddress": {"city": home, "countryCode": "FR" if home in ("Paris", "Lyon") else "US"},
                "mobilePhone": {"number": f"+1-555-{1000 + i:04d}"},
            }
        )
        if i == 0 or rng.random() < 0.6:  # loyalty members: known by loyalty id and CRM id, not email
            moved = _CITIES[(rng.randrange(len(_CITIES)))]
            loyalty_records.append(
                {
                    "identityMap": {
                        "loyaltyid": [{"id": f"LOY-{i:05d}", "primary": True}],
                        "crmid": [{"id": p["crm"]}],
                    },
                    "loyalty": {"points": rng.randrange(0, 5000), "tier": _TIERS[rng.randrange(len(_TIERS))]},
                    "homeAddress": {"city": "Lyon" if i == 0 else moved},
                    "extSourceSystemAudit": {
                        "lastUpdatedDate": _iso(ANCHOR - timedelta(days=rng.randrange(1, 20)))
                    },
                }
            )
        for _ in range(3 if i == 0 else rng.randrange(2, 9)):
            when = ANCHOR - timedelta(days=rng.randrange(0, 56), minutes=rng.randrange(0, 1440))
            kind = rng.choice(["web.webpagedetails.pageViews", "commerce.productViews", "commerce.purchases"])
            event: dict[str, Any] = {
                "_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "timestamp": _iso(when),
                "eventType": kind,
                "identityMap": {"ecid": [{"id": ecid, "primary": True}]},
                "web": {"webPageDetails": {"name": rng.choice(_PAGES)}},
            }
            if rng.random() < 0.5 or i == 0:  # a logged-in visit links the ECID to the email
                event["identityMap"]["email"] = [{"id": p["email"]}]
            if kind == "commerce.purchases":
                event["commerce"] = {
                    "order": {"priceTotal": round(rng.uniform(10, 400), 2), "currencyCode": "USD"}
                }
            events.append(event)
    events.sort(key=lambda e: e["timestamp"])
    return {
        "tenants": [
            {
                "org": org,
                "sandbox": sandbox,
                "datasets": [
                    _dataset(
                        CRM_DATASET,
                        "CRM profiles",
                        "_xdm.context.profile",
                        "8d075b5a178e48389126b9289dcfd0ac",
                        "2024-05-01T10:00:00Z",
                        crm_records,
                    ),
                    _dataset(
                        LOYALTY_DATASET,
                        "Loyalty members",
                        "_xdm.context.profile",
                        "a294e36d382649dab2cc6ad64a41b674",
                        "2024-06-20T09:30:00Z",
                        loyalty_records,
                    ),
                    _dataset(
                        EVENT_DATASET,
                        "Web events",
                        "_xdm.context.experienceevent",
                        "01JFSYFDFW9JAAEKHX672JMPSB",
                        "2024-06-30T13:00:00Z",
                        events,
                    ),
                ],
                "mergePolicies": [
                    {
                        "id": DEFAULT_POLICY,
                        "name": "Timestamp ordered, stitched",
                        "schema": {"name": "_xdm.context.profile"},
                        "identityGraph": {"type": "pdg"},
                        "attributeMerge": {"type": "timestampOrdered"},
                        "default": True,
                        "isActiveOnEdge": False,
                    },
                    {
                        "id": PRECEDENCE_POLICY,
                        "name": "CRM first, no stitching",
                        "schema": {"name": "_xdm.context.profile"},
                        "identityGraph": {"type": "none"},
                        "attributeMerge": {
                            "type": "dataSetPrecedence",
                            "order": [CRM_DATASET, LOYALTY_DATASET],
                        },
                        "default": False,
                        "isActiveOnEdge": False,
                    },
                ],
            }
        ]
    }


def _dataset(
    dataset_id: str, name: str, cls: str, batch_id: str, ingested: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": dataset_id,
        "name": name,
        "class": cls,
        "batches": [{"id": batch_id, "ingestedAt": ingested, "records": records}],
    }
