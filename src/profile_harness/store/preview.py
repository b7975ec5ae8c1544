"""Preview sample status: sample jobs run after ingestions that move the profile count, and their reports.

How it behaves (DOC-PSS; choices in spec/DECISIONS.md):

* Every change of the Profile data is checked ``CHECK_DELAY_MS`` (15 minutes, the end of the documented
  window) after it happened: each fragment batch at its ``ingestedAt`` + 15 min, each deletion (system
  job, profile delete) at its time + 15 min. A check starts a ``sample`` job when no job is running and
  the profile count then differs from the last successful sample's by more than 5% (any count from
  none). The job is submitted at the check's time and ends by the server's ``sample`` job timing.
* All of it is worked out lazily, when a preview endpoint is read, from the data's timestamps and the
  store's clock: a world whose data is older than the window has its samples already, the first time
  it is read; data ingested just now has none until the window has passed. A batch loaded after the
  checks of its time were worked out (old data loaded into a sampled sandbox) is checked at the read
  that first sees it.
* A finished job computes a :class:`Report` from the batches ingested by its end; reports are kept, so
  ``date=YYYY-MM-DD`` picks the newest report computed that day (UTC).
* Profiles are the merged profiles of the default merge policy of ``_xdm.context.profile``: under
  ``pdg`` one per connected component of the identity graph holding a profile record, under ``none``
  one per profile record. Events attach to the profiles that share an identity with them. Up to the
  server's sample limit the sample is the whole store (``samplingRatio`` 1.0); above it the job reads a
  stable sample and scales its counts (:mod:`profile_harness.store.preview_sampling`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from profile_harness.errors import BadRequest, NotFound
from profile_harness.store.clock import Clock
from profile_harness.store.datasets import (
    EVENT_CLASS,
    PROFILE_CLASS,
    Batch,
    Dataset,
    DatasetBackend,
    Fragment,
    fragment_of,
    identities_of,
    parse_time_ms,
)
from profile_harness.store.entity_views import iso_utc
from profile_harness.store.identity import Identity
from profile_harness.store.identity_index import IdentityIndex
from profile_harness.store.jobs import Job, Lifecycle, NewJob
from profile_harness.store.merge_policies import MergePolicyBackend
from profile_harness.store.preview_sampling import DEFAULT_SAMPLE_LIMIT, Sample, apportion, choose_sample
from profile_harness.store.profiles import ProfileBackend

__all__ = [
    "CHECK_DELAY_MS",
    "NAMESPACE_IDS",
    "PERIODS",
    "SAMPLE_LIFECYCLE",
    "THRESHOLD",
    "PreviewBackend",
    "Report",
    "ReportBody",
    "SampleStatus",
    "compute_report",
    "namespace_id",
    "parse_day",
]

SAMPLE_LIFECYCLE = Lifecycle("TASK_SUBMITTED", "TASK_RUNNING", "TASK_FINISHED", "TASK_FAILED")

#: DOC-PSS: a batch is checked "within 15 minutes" of its ingestion; the harness checks at the end of it.
CHECK_DELAY_MS = 15 * 60_000
#: DOC-PSS: a sample runs when the profile count went up or down by more than 5% since the last one.
THRESHOLD = 0.05

#: Standard identity namespaces: code -> numeric id (Identity Service; DOC-PSS shows Email 6, ECID 4,
#: Phone 7, AAID 10). Custom namespaces get a stable id derived from their code (see namespace_id).
NAMESPACE_IDS = {
    "CORE": 0,
    "ECID": 4,
    "Email": 6,
    "Phone": 7,
    "WAID": 8,
    "TNTID": 9,
    "AAID": 10,
    "Email_LC_SHA256": 11,
    "AdCloud": 411,
    "GAID": 20914,
    "IDFA": 20915,
}
_STANDARD_CODES = {code.lower(): code for code in NAMESPACE_IDS}

#: Inactivity periods of the unstitched profiles report, in days (DOC-PSS).
PERIODS = (7, 30, 60, 90, 120)
_DAY_MS = 86_400_000
#: Reports kept per tenant; older ones are dropped first (a long-running server stays bounded).
MAX_REPORTS = 500
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_KINDS = {
    "dataset": "Dataset",
    "namespace": "Namespace",
    "datasetOverlap": "Dataset overlap",
    "namespaceOverlap": "Namespace overlap",
    "unstitched": "Unstitched profiles",
}


def namespace_id(code: str) -> str:
    """The numeric id of a namespace code, as a string: documented for standard ones, stable for custom.

    Custom namespace ids are allocated per organisation by Identity Service; the harness derives an
    8-digit number from the lower-cased code so that the same code always gets the same id.
    """
    standard = _STANDARD_CODES.get(code.lower())
    if standard is not None:
        return str(NAMESPACE_IDS[standard])
    digest = hashlib.sha256(code.lower().encode()).digest()
    return str(10_000_000 + int.from_bytes(digest[:8], "big") % 90_000_000)


def _ratio(part: int, whole: int) -> float:
    """A decimal fraction with six decimals, as in DOC-PSS (0.306734); 0.0 over an empty whole."""
    return round(part / whole, 6) if whole else 0.0


def _sample_time(ms: int) -> str:
    """``yyyy-MM-dd HH:mm:ss.S`` (Java ``Timestamp``: fraction without trailing zeros, at least one digit)."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    fraction = f"{ms % 1000:03d}".rstrip("0") or "0"
    return moment.strftime("%Y-%m-%d %H:%M:%S") + "." + fraction


def _report_time(ms: int) -> str:
    """ISO-8601 local date-time in UTC without offset, milliseconds: ``2020-08-01T17:57:58.697``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}"


def _quoted(value: Any) -> str:
    r"""A JSON value encoded inside a string, the documented quirk (``"\"300803\""``)."""
    return '"null"' if value is None else json.dumps(str(value))


def _event_time(fragment: Fragment) -> int:
    return parse_time_ms(fragment.record.get("timestamp")) or fragment.updated_ms


@dataclass
class _Profile:
    """One merged profile as the reports see it."""

    identities: set[Identity] = field(default_factory=set)
    fragments: list[Fragment] = field(default_factory=list)
    events: list[Fragment] = field(default_factory=list)

    @property
    def datasets(self) -> set[str]:
        return {f.dataset_id for f in self.fragments} | {e.dataset_id for e in self.events}


@dataclass(frozen=True)
class Report:
    """What one finished sample job found; every body of the preview endpoints is read from one of these."""

    computed_ms: int
    status: dict[str, Any]
    datasets: list[dict[str, Any]]
    namespaces: list[dict[str, Any]]
    dataset_overlap: dict[str, int]
    namespace_overlap: dict[str, int]
    unstitched: dict[str, Any]

    @property
    def day(self) -> date:
        return datetime.fromtimestamp(self.computed_ms / 1000, UTC).date()

    @property
    def timestamp(self) -> str:
        return _report_time(self.computed_ms)


@dataclass(frozen=True)
class SampleStatus:
    """The body of ``/previewsamplestatus``: the last sample's figures and the sample job now."""

    figures: dict[str, Any]  # the last successful report's status, or the figures of no sample
    running: bool
    submitted_ms: int | None

    def to_dict(self) -> dict[str, Any]:
        sample_job: dict[str, Any] = {"status": self.running}
        if self.submitted_ms is not None:
            sample_job["submissionTimestamp"] = _sample_time(self.submitted_ms)
        return {**self.figures, "sampleJobRunning": sample_job}


@dataclass(frozen=True)
class ReportBody:
    """The body of one report endpoint: one part of a :class:`Report` and when it was computed."""

    data: Any  # read from a kept Report: to_dict copies it, so a body never shares the report's state
    timestamp: str

    def to_dict(self) -> dict[str, Any]:
        return {"data": copy.deepcopy(self.data), "reportTimestamp": self.timestamp}


class PreviewBackend:
    """The sample jobs and the reports of one tenant."""

    def __init__(
        self,
        *,
        datasets: DatasetBackend,
        profiles: ProfileBackend,
        merge_policies: MergePolicyBackend,
        clock: Clock,
        new_job: NewJob,
        sample_limit: Callable[[], int] = lambda: DEFAULT_SAMPLE_LIMIT,
    ) -> None:
        self.datasets, self.profiles, self.merge_policies = datasets, profiles, merge_policies
        self.clock, self.new_job = clock, new_job
        #: Merged profiles a sample job reads at most (the server's setting, read when a job ends).
        self.sample_limit = sample_limit
        self.job: Job | None = None
        self.reports: list[Report] = []
        #: Checks up to this time are worked out (None: none yet); later changes are checked later.
        self._checked_ms: int | None = None
        #: Batches whose check is worked out, so a batch loaded later with an old time is still checked.
        self._seen: set[tuple[str, str]] = set()
        #: Times of deletions of Profile data whose check is still ahead.
        self._removals: list[int] = []
        #: Profile count of the last successful sample (none yet: 0, so any profile starts one).
        self._sampled_count = 0
        self._snapshot: _Snapshot | None = None

    # -- the sample jobs ----------------------------------------------------------------------

    def refresh(self, *, read: bool = True) -> None:
        """Work out every check due by now, then move the running job along (``read``: counting a read)."""
        now = self.clock.now_ms()
        for at in self._due(now):
            self._advance(at, read=False)
            idle = self.job is None or self.job.finished  # a running job's report covers the change
            if idle and _moved(self._sampled_count, self._count(at)):
                self.job = self.new_job("sample", SAMPLE_LIFECYCLE)
                self.job.created_ms = at  # submitted at the check, which may be before this read
            self._checked_ms = at
        self._checked_ms = max(now, self._checked_ms or now)
        self._advance(now, read=read)
        self._snapshot = None  # a graph of past data is not kept between reads

    def removing(self, remove: Callable[[], int]) -> int:
        """Run ``remove`` (deletes Profile data, returns how many records went) as a change checks see.

        Samples due before it are worked out first, so they describe the data before the deletion.
        """
        self.refresh(read=False)
        removed = remove()
        if removed:
            self._removals.append(self.clock.now_ms())
        return removed

    def _due(self, now: int) -> list[int]:
        """Times of the checks due by ``now`` not yet worked out, in order (a time once)."""
        checked = self._checked_ms
        due: set[int] = set()
        for dataset, batch in self.datasets.fragment_batches():
            if dataset.schema_class not in (PROFILE_CLASS, EVENT_CLASS):
                continue
            key = (dataset.id, batch.id)
            at = batch.ingested_at_ms + CHECK_DELAY_MS
            if checked is not None and at <= checked:
                if key in self._seen:
                    continue
                at = now  # its window went by before the harness held it: checked now
            if at <= now:
                self._seen.add(key)
                due.add(at)
        for removed in [r for r in self._removals if r + CHECK_DELAY_MS <= now]:
            self._removals.remove(removed)
            due.add(max(removed + CHECK_DELAY_MS, checked or 0))
        return sorted(due)

    def _advance(self, at: int, *, read: bool) -> None:
        """Move the job along as of ``at``; a job timed in seconds ends at its own end, not later."""
        job = self.job
        if job is None or job.finished:
            return
        if job.timing.rule == "seconds":
            at = max(job.created_ms, min(at, job.created_ms + int(job.timing.amount * 1000)))
        job.advance(at, lambda: self._complete(at), read=read)

    def _complete(self, end_ms: int) -> None:
        report = compute_report(
            self.datasets,
            self.merge_policies,
            end_ms,
            self._snapshot_at(end_ms),
            sample_limit=self.sample_limit(),
        )
        self._sampled_count = report.unstitched["totalNumberOfProfiles"]
        self.reports.append(report)
        del self.reports[:-MAX_REPORTS]

    def _snapshot_at(self, at: int) -> _Snapshot:
        """The fragment batches ingested by ``at`` and their identity graph (the last one is kept)."""
        every = self.datasets.fragment_batches()
        chosen = [(d, b) for d, b in every if b.ingested_at_ms <= at]
        key = tuple((id(b), id(b.records), len(b.records)) for _, b in chosen)
        if self._snapshot is None or self._snapshot.key != key:
            graph = self.profiles.graph if len(chosen) == len(every) else IdentityIndex(chosen)
            self._snapshot = _Snapshot(key, chosen, graph)
        return self._snapshot

    def _count(self, at: int) -> int:
        """The profile count as of ``at``, as a report would give it (no report built)."""
        snapshot = self._snapshot_at(at)
        graph = snapshot.graph
        spans = [
            np.arange(seg.base, seg.base + len(seg.batch.records), dtype=np.int64)
            for seg in graph.segments
            if seg.dataset.schema_class == PROFILE_CLASS
        ]
        if not spans:
            return 0
        first = graph.first[np.concatenate(spans)]
        first = first[first >= 0]  # a record without identities joins no profile
        if _graph_type(self.merge_policies) == "pdg":
            return len(np.unique(graph.root[first]))
        return len(first)

    # -- reads ------------------------------------------------------------------------------

    def status(self) -> SampleStatus:
        """The last successful sample, with whether a job is running now."""
        self.refresh()
        last = self.reports[-1] if self.reports else None
        return SampleStatus(
            figures=last.status if last else _no_sample_status(),
            running=self.job is not None and not self.job.finished,
            submitted_ms=self.job.created_ms if self.job is not None else None,
        )

    def report(self, kind: str, day: str | None = None) -> Report:
        """The newest report, or the newest computed on ``day`` (``YYYY-MM-DD``, UTC)."""
        wanted = parse_day(day) if day is not None else None
        self.refresh()
        label = _KINDS[kind]
        candidates = [r for r in self.reports if wanted is None or r.day == wanted]
        if not candidates:
            if wanted is not None:
                raise NotFound(f"{label} report does not exist for this date.")
            raise NotFound(f"{label} report does not exist.")
        return candidates[-1]

    def dataset_report(self, day: str | None = None) -> ReportBody:
        report = self.report("dataset", day)
        return ReportBody(report.datasets, report.timestamp)

    def namespace_report(self, day: str | None = None) -> ReportBody:
        report = self.report("namespace", day)
        return ReportBody(report.namespaces, report.timestamp)

    def dataset_overlap_report(self, day: str | None = None) -> ReportBody:
        report = self.report("datasetOverlap", day)
        return ReportBody(report.dataset_overlap, report.timestamp)

    def namespace_overlap_report(self, day: str | None = None) -> ReportBody:
        report = self.report("namespaceOverlap", day)
        return ReportBody(report.namespace_overlap, report.timestamp)

    def unstitched_report(self) -> ReportBody:
        report = self.report("unstitched")
        return ReportBody(report.unstitched, report.timestamp)


def parse_day(value: str) -> date:
    """A real ``YYYY-MM-DD`` day, or 400 naming the value (DECISIONS: report ``date``)."""
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"Invalid value '{value}' for query parameter 'date': expected format YYYY-MM-DD."
        ) from None


def _no_sample_status() -> dict[str, Any]:
    """The status body before any sample has finished: nothing counted, no sample time."""
    return {
        "numRowsToRead": "0",
        "cosmosDocCount": _quoted(0),
        "totalFragmentCount": 0,
        "lastSuccessfulBatchTimestamp": _quoted(None),
        "streamingDriven": _quoted("false"),
        "totalRows": "0",
        "lastBatchId": _quoted(None),
        "status": "NO_SAMPLE",
        "samplingRatio": 1.0,
        "mergeStrategy": "",
        "lastSampledTimestamp": "",
    }


# -- computing a report ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Snapshot:
    """The fragment batches ingested by some time, and the identity graph over them."""

    key: tuple[tuple[int, int, int], ...]
    batches: list[tuple[Dataset, Batch]]
    graph: IdentityIndex

    def fragments(self, schema_class: str, sample: Sample | None = None) -> Iterator[Fragment]:
        """The records of ``schema_class``; with a ``sample``, only those it reads."""
        if sample is None or sample.keep is None:
            for dataset, batch in self.batches:
                if dataset.schema_class == schema_class:
                    for index, record in enumerate(batch.records):
                        yield fragment_of(dataset, batch, index, record)
            return
        for segment in self.graph.segments:
            if segment.dataset.schema_class != schema_class:
                continue
            size = len(segment.batch.records)
            for index in np.flatnonzero(sample.keep[segment.base : segment.base + size]).tolist():
                yield fragment_of(segment.dataset, segment.batch, index, segment.batch.records[index])

    def record_count(self, schema_class: str) -> int:
        return sum(len(b.records) for d, b in self.batches if d.schema_class == schema_class)


def _moved(sampled: int, count: int) -> bool:
    """Whether ``count`` differs from the last sample's by more than ``THRESHOLD`` (any count from 0)."""
    return abs(count - sampled) * 100 > THRESHOLD * 100 * sampled if sampled else count > 0


def _graph_type(merge_policies: MergePolicyBackend) -> str:
    policy = merge_policies.default_for(PROFILE_CLASS)
    return policy.identity_graph if policy else "pdg"


def _profiles(snapshot: _Snapshot, graph_type: str, sample: Sample) -> list[_Profile]:
    """The merged profiles of the sample, with their fragments and events."""
    fragments = list(snapshot.fragments(PROFILE_CLASS, sample))
    # Under pdg an event joins the profile of its component, so the sample marks the events it needs.
    events = list(snapshot.fragments(EVENT_CLASS, sample if graph_type == "pdg" else None))
    profiles: list[_Profile] = []
    by_identity: dict[Identity, list[_Profile]] = {}
    if graph_type == "pdg":
        graph = snapshot.graph
        by_root: dict[frozenset[Identity], _Profile] = {}
        for fragment in fragments:
            identities = identities_of(fragment.record)
            if not identities:
                continue  # a record without identities joins no profile
            component = graph.component(identities[0])
            profile = by_root.get(component)
            if profile is None:
                profile = by_root[component] = _Profile(identities=set(component))
                profiles.append(profile)
                for identity in component:
                    by_identity[identity] = [profile]
            profile.fragments.append(fragment)
    else:
        for fragment in fragments:
            identities = identities_of(fragment.record)
            if not identities:
                continue
            profile = _Profile(identities=set(identities), fragments=[fragment])
            profiles.append(profile)
            for identity in identities:
                by_identity.setdefault(identity, []).append(profile)
    for event in events:
        owners: dict[int, _Profile] = {}
        for identity in identities_of(event.record):
            for profile in by_identity.get(identity, []):
                owners[id(profile)] = profile
        for profile in owners.values():
            profile.events.append(event)
    return profiles


def _scaled_split(split: dict[str, dict[str, int]], count: int, associated: int) -> dict[str, dict[str, int]]:
    """Each namespace's unstitched profiles and events, scaled to add up to the period's scaled totals."""
    profiles = apportion({c: v["countOfProfiles"] for c, v in split.items()}, count)
    events = apportion({c: v["eventsAssociated"] for c, v in split.items()}, associated)
    return {c: {"countOfProfiles": profiles[c], "eventsAssociated": events[c]} for c in split}


def _spellings(records: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Lower-cased namespace code -> how reports spell it: standard spelling, else first seen in data."""
    spelled: dict[str, str] = {}
    for record in records:
        identity_map = record.get("identityMap")
        if isinstance(identity_map, dict):
            for code in map(str, identity_map):
                spelled.setdefault(code.lower(), _STANDARD_CODES.get(code.lower(), code))
    return spelled


def compute_report(
    datasets: DatasetBackend,
    merge_policies: MergePolicyBackend,
    now_ms: int,
    snapshot: _Snapshot | None = None,
    *,
    sample_limit: int = DEFAULT_SAMPLE_LIMIT,
) -> Report:
    """Every figure of the preview endpoints, from the batches ingested by ``now_ms`` (``snapshot``).

    Above ``sample_limit`` merged profiles, the figures that need records come from a sample, scaled.
    """
    if snapshot is None:
        chosen = [(d, b) for d, b in datasets.fragment_batches() if b.ingested_at_ms <= now_ms]
        snapshot = _Snapshot((), chosen, IdentityIndex(chosen))
    policy = merge_policies.default_for(PROFILE_CLASS)
    # A sandbox always has a default policy in AEP; without one the harness samples as AEP's stock
    # default does (timestamp ordered, private graph).
    graph_type = policy.identity_graph if policy else "pdg"
    merge_type = policy.attribute_merge if policy else "timestampOrdered"
    sample = choose_sample(snapshot.graph, graph_type, sample_limit)
    profiles = _profiles(snapshot, graph_type, sample)
    fragments = [f for p in profiles for f in p.fragments]
    total, sampled = sample.total, len(profiles)
    scale = sample.scale
    stamp = _report_time(now_ms)
    if sample.keep is None:
        spell = _spellings(record for _, batch in snapshot.batches for record in batch.records)
    else:  # only the records the sample reads: its profiles' fragments, then their events
        spell = _spellings(f.record for f in [*fragments, *(e for p in profiles for e in p.events)])
    held = {dataset.id for dataset, _ in snapshot.batches}

    def code(identity: Identity) -> str:
        return spell.get(identity[0], identity[0])

    # Dataset report: every Profile dataset and event dataset, in creation order.
    per_dataset = Counter(ds for p in profiles for ds in p.datasets)
    dataset_rows: list[dict[str, Any]] = []
    for dataset in sorted(datasets, key=lambda d: (d.created_ms, d.id)):
        if dataset.schema_class not in (PROFILE_CLASS, EVENT_CLASS) or not dataset.holds_fragments:
            continue
        if dataset.id not in held and dataset.created_ms > now_ms:
            continue  # created after this sample, with nothing ingested by then
        count = per_dataset[dataset.id]
        entry: dict[str, Any] = {
            "sampleCount": count,
            "samplePercentage": _ratio(count, sampled),
            "fullIDsCount": scale(count),
            "fullIDsPercentage": _ratio(scale(count), total),
            "name": dataset.name,
        }
        if dataset.description is not None:
            entry["description"] = dataset.description
        entry |= {
            "value": dataset.id,
            "streamingIngestionEnabled": "",
            "createdUser": "profile-harness@AdobeID",
            "reportTimestamp": stamp,
        }
        dataset_rows.append(entry)

    # Namespace report: profiles and fragments per namespace code, most profiles first.
    ns_profiles = Counter(c for p in profiles for c in {code(i) for i in p.identities})
    ns_fragments = Counter(c for f in fragments for c in {code(i) for i in identities_of(f.record)})
    namespaces = [
        {
            "sampleCount": ns_profiles[c],
            "samplePercentage": _ratio(ns_profiles[c], sampled),
            "reportTimestamp": stamp,
            "fullIDsFragmentCount": scale(ns_fragments[c]),
            "fullIDsCount": scale(ns_profiles[c]),
            "fullIDsPercentage": _ratio(scale(ns_profiles[c]), total),
            "code": c,
            "value": namespace_id(c),
        }
        for c in sorted(ns_profiles, key=lambda c: (-ns_profiles[c], c))
    ]

    # Overlap rows partition the profiles: scaled, they still add up to the profile count.
    dataset_overlap = apportion(Counter(",".join(sorted(p.datasets)) for p in profiles), total)
    namespace_overlap = apportion(
        Counter(",".join(sorted({code(i) for i in p.identities})) for p in profiles), total
    )

    # Unstitched profiles: one identity only, and no event since the start of the period.
    unstitched: dict[str, Any] = {}
    lonely = [p for p in profiles if len(p.identities) == 1]
    for days in PERIODS:
        since = now_ms - days * _DAY_MS
        quiet = [p for p in lonely if all(_event_time(e) < since for e in p.events)]
        split: dict[str, dict[str, int]] = {}
        for profile in quiet:
            counts = split.setdefault(
                code(next(iter(profile.identities))), {"countOfProfiles": 0, "eventsAssociated": 0}
            )
            counts["countOfProfiles"] += 1
            counts["eventsAssociated"] += len(profile.events)
        count, associated = scale(len(quiet)), scale(sum(len(p.events) for p in quiet))
        unstitched[f"{days}days"] = {
            "countOfProfiles": count,
            "eventsAssociated": associated,
            "nsDistribution": _scaled_split(split, count, associated),
        }

    last_batch = max(
        (
            (batch.ingested_at_ms, batch.id)
            for dataset, batch in snapshot.batches
            if dataset.schema_class in (PROFILE_CLASS, EVENT_CLASS) and batch.status == "success"
        ),
        default=None,
    )
    fragment_count = snapshot.record_count(PROFILE_CLASS)
    event_count = snapshot.record_count(EVENT_CLASS)
    status = {
        "numRowsToRead": str(sampled),
        "cosmosDocCount": _quoted(fragment_count + event_count),
        "totalFragmentCount": fragment_count,
        "lastSuccessfulBatchTimestamp": _quoted(iso_utc(last_batch[0]) if last_batch else None),
        "streamingDriven": _quoted("false"),
        "totalRows": str(total),
        "lastBatchId": _quoted(last_batch[1] if last_batch else None),
        "status": SAMPLE_LIFECYCLE.succeeded,
        "samplingRatio": sample.ratio,
        "mergeStrategy": f"{merge_type}_auto",
        "lastSampledTimestamp": _sample_time(now_ms),
    }
    return Report(
        computed_ms=now_ms,
        status=status,
        datasets=dataset_rows,
        namespaces=namespaces,
        dataset_overlap=dict(dataset_overlap),
        namespace_overlap=dict(namespace_overlap),
        unstitched={
            "totalNumberOfProfiles": total,
            "totalNumberOfEvents": event_count,
            "unstitchedProfiles": unstitched,
        },
    )
