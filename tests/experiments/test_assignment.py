"""Assignment is GrowthBook's: its published vectors pass, and the growthbook SDK picks the same arm."""

from __future__ import annotations

import json
import random

import pytest
from growthbook import GrowthBook
from growthbook.common_types import Experiment

from pipeline.experiments.assignment import bucket_ranges, choose_arm, hash_value
from tests.paths import REPO_ROOT

CASES = json.loads((REPO_ROOT / "tests" / "data" / "growthbook" / "cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("seed", "value", "version", "expected"), CASES["hash"])
def test_hash_matches_growthbook_vectors(seed, value, version, expected):
    result = hash_value(seed, value, version)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("name", "arguments", "expected"), CASES["getBucketRange"], ids=[c[0] for c in CASES["getBucketRange"]]
)
def test_bucket_ranges_match_growthbook_vectors(name, arguments, expected):
    count, coverage, weights = arguments
    result = bucket_ranges(count, coverage, weights)
    assert [bound for r in result for bound in r] == pytest.approx([bound for r in expected for bound in r], abs=1e-6)


@pytest.mark.parametrize(
    ("name", "n", "ranges", "expected"), CASES["chooseVariation"], ids=[c[0] for c in CASES["chooseVariation"]]
)
def test_choose_arm_matches_growthbook_vectors(name, n, ranges, expected):
    assert choose_arm(n, [tuple(r) for r in ranges]) == expected


def test_growthbook_sdk_puts_each_student_in_the_same_arm():
    rng = random.Random(26)
    weights = [0.2, 0.3, 0.5]
    for _ in range(300):
        student = f"student-{rng.randrange(10**9)}"
        gb = GrowthBook(attributes={"id": student})
        sdk = gb.run(Experiment(key="ppe-video", variations=[0, 1, 2], weights=weights, seed="ppe-seed", hashVersion=2))
        ours = choose_arm(hash_value("ppe-seed", student, 2) or 0.0, bucket_ranges(3, 1, weights))
        assert sdk.variationId == ours
        gb.destroy()
