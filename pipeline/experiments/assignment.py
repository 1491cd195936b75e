"""GrowthBook's deterministic assignment (FNV-1a 32-bit hashing, bucket ranges, choosing a variation), so that any
GrowthBook SDK puts the same student in the same arm. Pure functions; tests run GrowthBook's own vectors."""

from __future__ import annotations

from collections.abc import Sequence

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK_32 = 0xFFFFFFFF

BucketRange = tuple[float, float]


def fnv1a32(text: str) -> int:
    """FNV-1a, 32 bits, over the string's characters (GrowthBook hashes code points, as its SDKs do)."""
    value = _FNV_OFFSET
    for char in text:
        value ^= ord(char)
        value = (value * _FNV_PRIME) & _MASK_32
    return value


def hash_value(seed: str, value: str, version: int) -> float | None:
    """A number in [0, 1) for `value` under `seed`: version 2 (in 10,000 buckets) or 1 (1,000); None otherwise."""
    if version == 2:
        return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def _normalised_weights(count: int, weights: Sequence[float] | None) -> list[float]:
    # GrowthBook falls back to equal weights when the given ones do not fit: wrong length, or a sum off 1 by > 1%.
    equal = [1 / count] * count if count > 0 else []
    if weights is None or len(weights) != count:
        return equal
    if abs(sum(weights) - 1) > 0.01:
        return equal
    return list(weights)


def bucket_ranges(count: int, coverage: float = 1, weights: Sequence[float] | None = None) -> list[BucketRange]:
    """Each arm's [start, end) in [0, 1): weights laid end to end, each range shrunk to `coverage` of its width."""
    coverage = min(max(coverage, 0), 1)
    ranges: list[BucketRange] = []
    start = 0.0
    for weight in _normalised_weights(count, weights):
        ranges.append((start, start + coverage * weight))
        start += weight
    return ranges


def choose_arm(n: float, ranges: Sequence[BucketRange]) -> int:
    """The index of the range holding `n` (start inclusive, end exclusive), or -1 when none does."""
    for index, (start, end) in enumerate(ranges):
        if start <= n < end:
            return index
    return -1
