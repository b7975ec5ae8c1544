"""Built-in demo data: a small believable world, or N generated people for scale work.

Deterministic for a given seed. Three datasets: CRM profiles (email + CRM id), loyalty profiles
(loyalty id + CRM id, no email, so only the identity graph ties them to the CRM record) and web
events (ECID, with the email on logins). Two merge policies: the default ``timestampOrdered`` +
``pdg`` and a ``dataSetPrecedence`` + ``none``. The CRM records carry the people's membership of three
audiences (``AUDIENCES``, namespace ``ups``) as segmentation would have written it from the same data:
gold and platinum loyalty members, purchasers of the last 30 days, visitors of the last 14 days.

The generator writes each record straight into packed form (JSON text and identity keys,
:mod:`profile_harness.store.records`), never building the world as dicts:
:func:`generated_document` is what ``serve --generate`` loads (a million people in a few GiB),
:func:`demo_document` the same world with its records decoded into a plain fixture document.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np

from profile_harness.store.computed.attributes import tenant_namespace
from profile_harness.store.records import PackedBuilder, PackedRecords

__all__ = [
    "AUDIENCES",
    "CRM_DATASET",
    "DEFAULT_POLICY",
    "DEMO_ORG",
    "DEMO_SANDBOX",
    "EVENT_DATASET",
    "LOYALTY_DATASET",
    "PRECEDENCE_POLICY",
    "demo_document",
    "demo_world",
    "generate_records",
    "generated_document",
    "person",
]

DEMO_ORG = "ACME0123456789ABCDEF@AdobeOrg"
DEMO_SANDBOX = "prod"
CRM_DATASET = "5c8c3c555033b814b69f947f"
LOYALTY_DATASET = "5d1f0c6b8a2c4e0017a0e0aa"
EVENT_DATASET = "5e2a4b7c9d1e3f0018b1c2d3"
DEFAULT_POLICY = "10648288-cda5-11e8-a8d5-f2801f1b9fd1"
PRECEDENCE_POLICY = "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2"
#: Only in :func:`demo_world`: the "Dataset Precedence Merge Policy" of DOC-MP's list and bulk-get
#: examples, the one the spec's merge-policy DELETE example removes (so the examples keep the others).
SPARE_POLICY = "42d4a596-b1c6-46c0-994e-ca5ef1f85130"
#: Only in :func:`demo_world`: the Profile export target and its finished batch that the export,
#: Catalog and Data Access examples name (DOC-EXP), and the two datasets of DOC-SJ's delete requests.
EXPORT_DATASET = "5b020a27e7040801dedba61b"
EXPORT_BATCH = "da5cfb4de32c4b93a09f7e37fa53ad52"
DELETE_EXAMPLE_DATASET = "5c802d3cd83fc114b741c4b5"
DELETE_EXAMPLE_EVENTS = "66a92c5910df2d1767de13f3"
#: Only in :func:`demo_world`: computed attributes, as drafts. The first of each API is the one DOC-CA
#: (DOC-CA-OLD) reads and updates by id; the second is the one the spec's DELETE example removes.
CA_ATTRIBUTE = "1e8d0d77-b2bb-4b17-bbe6-2dbc08c1a631"
CA_SPARE_ATTRIBUTE = "7c1f5a0e-3d2b-4e8f-9a6c-5b4d3e2f1a09"
LEGACY_ATTRIBUTE = "2afcf410-450e-4a39-984d-2de99ab58877"
LEGACY_SPARE_ATTRIBUTE = "9e0d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
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


def person(i: int) -> dict[str, str]:
    """Person ``i``'s names, email and CRM id (the same whatever the seed)."""
    first = _FIRST[i % len(_FIRST)]
    last = _LAST[(i * 7 + i // len(_FIRST)) % len(_LAST)]
    if i == 0:
        first, last = "Jane", "Doe"
    suffix = "" if i < len(_FIRST) else str(i)
    email = f"{first}.{last}{suffix}@example.com".lower().replace("é", "e").replace("á", "a")
    email = email.replace("ü", "u")
    return {"first": first, "last": last, "email": email, "crm": f"CRM-{100000 + i}"}


def _text(value: str) -> str:
    """``value`` as the inside of a JSON string (ASCII, as ``json.dumps`` writes it)."""
    return value if value.isascii() else json.dumps(value)[1:-1]


_ANCHOR_MIN = int(ANCHOR.timestamp()) // 60
_WINDOW_DAYS = 57  # events: up to 55 days and 1,439 minutes before ANCHOR; loyalty updates: 1-19 days
_TIMES: list[str] = []


def _times() -> list[str]:
    """ISO strings of the whole minutes up to ``_WINDOW_DAYS`` before ANCHOR, by minutes before it."""
    if not _TIMES:
        first = _ANCHOR_MIN - _WINDOW_DAYS * 1440
        days = [
            _iso(datetime.fromtimestamp((first + d * 1440) * 60, UTC))[:10] for d in range(_WINDOW_DAYS + 1)
        ]
        clock = [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)]
        ascending = [f"{days[d]}T{clock[m]}:00Z" for d in range(_WINDOW_DAYS + 1) for m in range(1440)]
        offset = first % 1440  # the window starts at ANCHOR's time of day
        ascending = ascending[offset : offset + _WINDOW_DAYS * 1440 + 1]
        _TIMES.extend(reversed(ascending))
    return _TIMES


GOLD_AUDIENCE = "3c5a1b2e-8f4d-4e6a-9b7c-1d2e3f405a61"  # loyalty tier gold or platinum
PURCHASERS_AUDIENCE = "8e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a42"  # a purchase in the last 30 days
VISITORS_AUDIENCE = "b4d3c2e1-0f9a-4b8c-9d7e-6f5a4b3c2d13"  # a web visit in the last 14 days
AUDIENCES = {
    GOLD_AUDIENCE: "Gold and platinum loyalty members",
    PURCHASERS_AUDIENCE: "Purchased in the last 30 days",
    VISITORS_AUDIENCE: "Visited in the last 14 days",
}
_REALIZED_DAYS = 7  # qualified in the last week's evaluations: realized; earlier and still in: existing
_EXITED_KEPT_DAYS = 30
_NEVER = 1 << 30


def _membership(audience: str, status: str, when: str) -> str:
    """One ``segmentMembership.ups`` entry as JSON text."""
    return f'"{audience}":{{"status":"{status}","lastQualificationTime":"{when}"}}'


def _recency(memberships: list[str], audience: str, before: int, window_days: int, times: list[str]) -> None:
    """Membership of "did it in the last ``window_days`` days", ``before`` minutes before ANCHOR.

    In it: qualified at that moment (realized within the last week, else existing). Out of it
    since: exited when the window passed it by, kept only while that is under 30 days ago (Platform
    drops memberships exited for longer). Never: no entry.
    """
    if before <= window_days * 1440:
        status = "realized" if before <= _REALIZED_DAYS * 1440 else "existing"
        memberships.append(_membership(audience, status, times[before]))
    elif before - window_days * 1440 <= _EXITED_KEPT_DAYS * 1440:
        memberships.append(_membership(audience, "exited", times[before - window_days * 1440]))


_VERSION_4 = (0xF000 << 64) | (0xC000 << 48)


def _uuid4(bits: int) -> str:
    """``str(uuid.UUID(int=bits, version=4))``, without building the object."""
    h = f"{(bits & ~_VERSION_4) | (4 << 76) | (0x8000 << 48):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def generate_records(people: int, *, seed: int = 7) -> tuple[PackedRecords, PackedRecords, PackedRecords]:
    """The CRM, loyalty and event records of ``people`` people (person 0 is always jane.doe@example.com).

    Events are ordered by timestamp (ties in the order they were generated).
    """
    rng = random.Random(seed)
    # Draws as the dict generator made them: rng.randrange(n) and rng.choice are rng._randbelow(n),
    # inlined below for the hot draws as ``r = getrandbits(n.bit_length())`` until ``r < n``.
    below: Callable[[int], int] = rng._randbelow  # type: ignore[attr-defined]
    getrandbits, uniform = rng.getrandbits, rng.uniform
    chance = rng.random
    times = _times()
    crm, loyalty, events = PackedBuilder(), PackedBuilder(), PackedBuilder()
    event_minutes: list[int] = []
    kinds = ["web.webpagedetails.pageViews", "commerce.productViews", "commerce.purchases"]
    n_cities, n_tiers = len(_CITIES), len(_TIERS)
    assert (len(_PAGES), len(kinds)) == (6, 3)  # the inlined draws below
    for i in range(people):
        p = person(i)
        email, crm_id = p["email"], p["crm"]
        email_text = _text(email)
        ecid = f"{getrandbits(120):038d}"[:38]
        home = "Paris" if i == 0 else _CITIES[below(n_cities)]
        country = "FR" if home in ("Paris", "Lyon") else "US"
        crm_text = (
            f'{{"identityMap":{{"email":[{{"id":"{email_text}","primary":true}}],"crmid":[{{"id":"{crm_id}"}}]}},'
            f'"person":{{"name":{{"firstName":"{_text(p["first"])}","lastName":"{_text(p["last"])}"}}}},'
            f'"personalEmail":{{"address":"{email_text}"}},'
            f'"homeAddress":{{"city":"{home}","countryCode":"{country}"}},'
            f'"mobilePhone":{{"number":"+1-555-{1000 + i:04d}"}}'
        )
        memberships: list[str] = []
        if i == 0 or chance() < 0.6:  # loyalty members: known by loyalty id and CRM id, not email
            moved = _CITIES[below(n_cities)]
            points = below(5000)
            tier = _TIERS[below(n_tiers)]
            updated_days = 1 + below(19)
            updated = times[updated_days * 1440]
            if tier in ("gold", "platinum"):  # qualified when the tier was last updated
                status = "realized" if updated_days <= _REALIZED_DAYS else "existing"
                memberships.append(_membership(GOLD_AUDIENCE, status, updated))
            elif tier == "silver" and i % 3 == 1:  # some silver members were gold until that update
                memberships.append(_membership(GOLD_AUDIENCE, "exited", updated))
            loyalty_id = f"LOY-{i:05d}"
            loyalty.add(
                f'{{"identityMap":{{"loyaltyid":[{{"id":"{loyalty_id}","primary":true}}],'
                f'"crmid":[{{"id":"{crm_id}"}}]}},'
                f'"loyalty":{{"points":{points},"tier":"{tier}"}},'
                f'"homeAddress":{{"city":"{"Lyon" if i == 0 else moved}"}},'
                f'"extSourceSystemAudit":{{"lastUpdatedDate":"{updated}"}}}}',
                (("loyaltyid", loyalty_id), ("crmid", crm_id)),
            )
        ecid_identity = ("ecid", ecid)
        both = (ecid_identity, ("email", email))
        alone = (ecid_identity,)
        if i == 0:
            count = 3
        else:
            count = getrandbits(3)  # below(7)
            while count >= 7:
                count = getrandbits(3)
            count += 2
        last_seen = last_purchase = _NEVER  # minutes before ANCHOR of the latest visit and purchase
        linked = False  # whether a login ties the ECID's events to the person
        for _ in range(count):
            days = getrandbits(6)  # below(56)
            while days >= 56:
                days = getrandbits(6)
            minutes = getrandbits(11)  # below(1440)
            while minutes >= 1440:
                minutes = getrandbits(11)
            before = days * 1440 + minutes
            last_seen = min(last_seen, before)
            k = getrandbits(2)  # below(3)
            while k >= 3:
                k = getrandbits(2)
            kind = kinds[k]
            event_id = _uuid4(getrandbits(128))
            page = getrandbits(3)  # below(6)
            while page >= 6:
                page = getrandbits(3)
            logged_in = chance() < 0.5 or i == 0  # a logged-in visit links the ECID to the email
            linked = linked or logged_in
            identity_map = f'"ecid":[{{"id":"{ecid}","primary":true}}]'
            if logged_in:
                identity_map += f',"email":[{{"id":"{email_text}"}}]'
            commerce = ""
            if k == 2:  # commerce.purchases
                last_purchase = min(last_purchase, before)
                price = round(uniform(10, 400), 2)
                commerce = f',"commerce":{{"order":{{"priceTotal":{price!r},"currencyCode":"USD"}}}}'
            events.add(
                f'{{"_id":"{event_id}","timestamp":"{times[before]}","eventType":"{kind}",'
                f'"identityMap":{{{identity_map}}},"web":{{"webPageDetails":{{"name":"{_PAGES[page]}"}}}}'
                f"{commerce}}}",
                both if logged_in else alone,
            )
            event_minutes.append(before)
        if linked:  # never logged in: the visits are an anonymous ECID's, not the person's
            _recency(memberships, VISITORS_AUDIENCE, last_seen, 14, times)
            _recency(memberships, PURCHASERS_AUDIENCE, last_purchase, 30, times)
        if memberships:
            crm_text += f',"segmentMembership":{{"ups":{{{",".join(memberships)}}}}}'
        crm.add(crm_text + "}", (("email", email), ("crmid", crm_id)))
    by_time = np.argsort(-np.array(event_minutes, dtype=np.int64), kind="stable")  # oldest first
    return crm.build(), loyalty.build(), events.build().reordered(by_time)


def generated_document(
    people: int = 20, *, seed: int = 7, org: str = DEMO_ORG, sandbox: str = DEMO_SANDBOX
) -> dict[str, Any]:
    """The fixture document of ``people`` generated people, its records packed.

    Load it with ``load_document(..., trusted=True)``, which keeps the packed records as they are.
    """
    crm, loyalty, events = generate_records(people, seed=seed)
    return _document(org, sandbox, crm, loyalty, events)


def demo_document(
    people: int = 20, *, seed: int = 7, org: str = DEMO_ORG, sandbox: str = DEMO_SANDBOX
) -> dict[str, Any]:
    """A fixture document with ``people`` people (person 0 is always jane.doe@example.com)."""
    crm, loyalty, events = generate_records(people, seed=seed)
    return _document(org, sandbox, list(crm), list(loyalty), list(events))


def demo_world(*, seed: int = 7, org: str = DEMO_ORG, sandbox: str = DEMO_SANDBOX) -> dict[str, Any]:
    """What ``serve --demo`` loads: :func:`demo_document`'s twenty people, their CRM records also holding
    what Adobe's legacy computed-attribute examples read and fill (DOC-CA-OLD).

    Each CRM record gains ``person.birthDate`` and, under the tenant's namespace (``_<tenant>``),
    ``birthdayCurrentMonth`` (born in the month of the demo's clock) and ``purchaseSummary`` with
    ``totalSpend``, ``countPurchases``, ``averageSpend`` and ``hasPurchased`` over the person's
    purchases. The harness knows a class's fields from its records, so these make the examples' fields
    exist. A third merge policy, :data:`SPARE_POLICY` (named by DOC-MP's examples), is there for the
    spec's DELETE example; the datasets and computed attributes the other examples name are added too.
    """
    document = demo_document(20, seed=seed, org=org, sandbox=sandbox)
    datasets = document["tenants"][0]["datasets"]
    crm = datasets[0]["batches"][0]["records"]
    spend = _purchases_by_email(datasets[2]["batches"][0]["records"])
    namespace = f"_{tenant_namespace(org)}"
    for i, record in enumerate(crm):
        born = _birth_date(i)
        record["person"]["birthDate"] = born
        total, count = spend.get(record["personalEmail"]["address"], (0.0, 0))
        record[namespace] = {
            "birthdayCurrentMonth": int(born[5:7]) == ANCHOR.month,
            "purchaseSummary": {
                "totalSpend": round(total, 2),
                "countPurchases": count,
                "averageSpend": round(total / count, 2) if count else 0.0,
                "hasPurchased": count > 0,
            },
        }
    document["tenants"][0]["mergePolicies"].append(
        {
            "id": SPARE_POLICY,
            "name": "Dataset Precedence Merge Policy",
            "schema": {"name": "_xdm.context.profile"},
            "identityGraph": {"type": "pdg"},
            "attributeMerge": {"type": "dataSetPrecedence", "order": [LOYALTY_DATASET, CRM_DATASET]},
            "default": False,
            "isActiveOnEdge": False,
        }
    )
    # The ids the spec's examples name: a Profile export target (union schema) holding a finished export
    # of DOC-EXP's fields of every CRM person, and DOC-SJ's two datasets, empty, so that its delete
    # requests remove nothing of the demo people (its batch request answers DOC-TS's "Batch not found").
    exported = [
        {"identityMap": r["identityMap"], "personalEmail": {"address": r["personalEmail"]["address"]}}
        for r in crm
    ]
    export = _dataset(
        EXPORT_DATASET, "Profile Data Export", "_xdm.context.profile", EXPORT_BATCH, _iso(ANCHOR), exported
    )
    export["schemaRef"] = {"id": "https://ns.adobe.com/xdm/context/profile__union"}
    retired = {"id": DELETE_EXAMPLE_DATASET, "name": "Retired CRM import", "class": "_xdm.context.profile"}
    app = {"id": DELETE_EXAMPLE_EVENTS, "name": "Retired app events", "class": "_xdm.context.experienceevent"}
    datasets += [export, retired, app]
    document["tenants"][0]["computedAttributes"] = [
        _attribute(CA_ATTRIBUTE, "weeklySpend", "Spend in the last week", "sum(commerce.order.priceTotal)"),
        _attribute(CA_SPARE_ATTRIBUTE, "weeklyOrders", "Orders in the last week", "count()"),
    ]
    summary = f"{namespace}.purchaseSummary"
    purchases = 'xEvent[eventType = "commerce.purchases"]'
    document["tenants"][0]["legacyComputedAttributes"] = [
        _legacy_attribute(LEGACY_ATTRIBUTE, "countPurchases", summary, f"{purchases}.count()"),
        _legacy_attribute(LEGACY_SPARE_ATTRIBUTE, "hasPurchased", summary, f"{purchases}.count() > 0"),
    ]
    return document


_LAST_WEEKS_PURCHASES = 'xEvent[eventType = "commerce.purchases" and timestamp occurs <= 7 days before now]'


def _attribute(attribute_id: str, name: str, display_name: str, aggregation: str) -> dict[str, Any]:
    """A draft of the current computed-attribute API over the last week's purchases."""
    return {
        "id": attribute_id,
        "name": name,
        "displayName": display_name,
        "description": f"{display_name}, from the demo's purchase events",
        "expression": {
            "type": "PQL",
            "format": "pql/text",
            "value": f"{_LAST_WEEKS_PURCHASES}.{aggregation}",
        },
        "duration": {"count": 7, "unit": "DAYS"},
        "status": "DRAFT",
    }


def _legacy_attribute(attribute_id: str, name: str, path: str, value: str) -> dict[str, Any]:
    """A legacy computed attribute filling a field the demo's CRM records hold."""
    return {
        "id": attribute_id,
        "name": name,
        "path": path,
        "description": f"{name}, from the demo's purchase events",
        "expression": {"type": "PQL", "format": "pql/text", "value": value},
        "schema": {"name": "_xdm.context.profile"},
    }


def _birth_date(i: int) -> str:
    """Person ``i``'s birth date (Jane's is in June, the month of ANCHOR)."""
    if i == 0:
        return "1988-06-14"
    return f"{1950 + (i * 7) % 50}-{(i * 5) % 12 + 1:02d}-{(i * 11) % 28 + 1:02d}"


def _purchases_by_email(events: list[dict[str, Any]]) -> dict[str, tuple[float, int]]:
    """``{email: (total, count)}`` of purchases, through the ECIDs each email logged in with."""
    ecid_email = {
        event["identityMap"]["ecid"][0]["id"]: event["identityMap"]["email"][0]["id"]
        for event in events
        if "email" in event["identityMap"]
    }
    spend: dict[str, tuple[float, int]] = {}
    for event in events:
        email = ecid_email.get(event["identityMap"]["ecid"][0]["id"])
        if email is not None and event["eventType"] == "commerce.purchases":
            total, count = spend.get(email, (0.0, 0))
            spend[email] = (total + event["commerce"]["order"]["priceTotal"], count + 1)
    return spend


def _document(org: str, sandbox: str, crm: Any, loyalty: Any, events: Any) -> dict[str, Any]:
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
                        crm,
                    ),
                    _dataset(
                        LOYALTY_DATASET,
                        "Loyalty members",
                        "_xdm.context.profile",
                        "a294e36d382649dab2cc6ad64a41b674",
                        "2024-06-20T09:30:00Z",
                        loyalty,
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
    dataset_id: str, name: str, cls: str, batch_id: str, ingested: str, records: Any
) -> dict[str, Any]:
    return {
        "id": dataset_id,
        "name": name,
        "class": cls,
        "batches": [{"id": batch_id, "ingestedAt": ingested, "records": records}],
    }
