"""Which merged profiles a preview sample job reads, and how its counts are scaled to the whole store.

DOC-PSS: ``numRowsToRead`` is the number of merged profiles in the sample, ``totalRows`` the profile
count, ``samplingRatio`` the first over the second; ``sampleCount`` counts sampled profiles and
``fullIDsCount`` all of them. Choices (spec/DECISIONS.md, preview sampling):

* A store with more merged profiles than the server's sample limit (``serve --preview-sample-limit``,
  :data:`DEFAULT_SAMPLE_LIMIT` by default) is sampled: the job reads exactly ``limit`` profiles, the
  ones with the smallest *profile hash*: the hash of the profile's first profile record (in dataset and
  batch order), which mixes a digest of its dataset and batch ids with its place in the batch
  (splitmix64). One record per profile, whatever its size, keeps the sample unbiased (the least hash of
  all its records would favour profiles of many records); the same data gives the same sample in
  every process and every replay.
* The profile count (``totalRows``, ``totalNumberOfProfiles``) and the fragment and event counts are
  exact: the store counts them without reading records. What needs the records (datasets, namespaces,
  overlaps, unstitched profiles) is counted in the sample and scaled by ``totalRows / numRowsToRead``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from profile_harness.store.datasets import PROFILE_CLASS
from profile_harness.store.identity_index import IdentityIndex

__all__ = ["DEFAULT_SAMPLE_LIMIT", "Sample", "apportion", "choose_sample", "record_hashes"]

#: Merged profiles a sample job reads at most. DOC-PSS gives no number; 100,000 keeps fixtures, the
#: demo world and test worlds whole (ratio 1) and makes a million-person world a 10% sample.
DEFAULT_SAMPLE_LIMIT = 100_000

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
_U64 = np.uint64


def _splitmix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser over an array (wrapping arithmetic, no scalar overflow)."""
    z = values + _U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def record_hashes(graph: IdentityIndex) -> npt.NDArray[np.uint64]:
    """A stable 64-bit hash per record of ``graph`` (by global position), the same in every process."""
    hashes = np.zeros(graph.size, dtype=np.uint64)
    for segment in graph.segments:
        size = len(segment.batch.records)
        if not size:
            continue
        digest = hashlib.blake2b(f"{segment.dataset.id}/{segment.batch.id}".encode(), digest_size=8)
        seed = np.frombuffer(digest.digest(), dtype=np.uint64)  # one element: array arithmetic wraps
        places = np.arange(size, dtype=np.uint64)
        hashes[segment.base : segment.base + size] = _splitmix(_splitmix(places ^ seed))
    return hashes


def _profile_positions(graph: IdentityIndex) -> Ints:
    """Global positions of the profile records that join a profile (those with an identity)."""
    spans = [
        np.arange(seg.base, seg.base + len(seg.batch.records), dtype=np.int64)
        for seg in graph.segments
        if seg.dataset.schema_class == PROFILE_CLASS
    ]
    if not spans:
        return np.zeros(0, dtype=np.int64)
    positions = np.concatenate(spans)
    return positions[graph.first[positions] >= 0]


@dataclass(frozen=True)
class Sample:
    """The profiles a sample job reads: ``keep`` marks the records it reads (None: every record)."""

    total: int  # merged profiles in the store (totalRows)
    size: int  # merged profiles in the sample (numRowsToRead)
    keep: Bools | None

    @property
    def ratio(self) -> float:
        """``samplingRatio``: sampled over all, six decimals as DOC-PSS's fractions (1.0 unsampled)."""
        return round(self.size / self.total, 6) if self.total and self.keep is not None else 1.0

    def scale(self, count: int) -> int:
        """A count in the sample, scaled to the whole store."""
        if self.keep is None or not self.size:
            return count
        return round(count * self.total / self.size)


def choose_sample(graph: IdentityIndex, graph_type: str, limit: int) -> Sample:
    """The profiles of ``graph`` a sample job reads: all of them up to ``limit``, else ``limit`` of them.

    Under ``pdg`` a profile is a component holding a profile record, under ``none`` a profile record.
    ``keep`` marks the chosen profiles' records; under ``pdg`` also their events (same component).
    """
    positions = _profile_positions(graph)
    if graph_type == "pdg":
        roots = graph.root[graph.first[positions]]
        unique_roots = np.unique(roots)
        total = len(unique_roots)
    else:
        total = len(positions)
    if total <= limit:
        return Sample(total, total, None)
    hashes = record_hashes(graph)
    keep = np.zeros(graph.size, dtype=np.bool_)
    if graph_type == "pdg":
        first = np.full(len(graph.root), graph.size, dtype=np.int64)
        np.minimum.at(first, roots, positions)  # each profile's first profile record
        candidates = hashes[first[unique_roots]]
        chosen_roots = unique_roots[np.argsort(candidates, kind="stable")[:limit]]
        chosen = np.zeros(len(graph.root), dtype=np.bool_)
        chosen[chosen_roots] = True
        every = np.arange(graph.size, dtype=np.int64)
        joined = graph.first >= 0
        keep[every[joined]] = chosen[graph.root[graph.first[joined]]]
    else:
        keep[positions[np.argsort(hashes[positions], kind="stable")[:limit]]] = True
    return Sample(total, limit, keep)


def apportion(counts: Mapping[str, int], target: int) -> dict[str, int]:
    """``counts`` scaled so that they add up to ``target`` (largest remainders; ties by key)."""
    whole = sum(counts.values())
    if not whole or whole == target:
        return dict(counts)
    shares = {key: count * target / whole for key, count in counts.items()}
    scaled = {key: int(share) for key, share in shares.items()}
    left = target - sum(scaled.values())
    for key in sorted(shares, key=lambda k: (-(shares[k] - scaled[k]), k))[:left]:
        scaled[key] += 1
    return scaled
