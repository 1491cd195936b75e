"""The read-out of one experiment from its counts: pure statistics (scipy), and a verdict in plain words.

Small cohorts make most experiments underpowered, so the verdict refuses to name a winner before each arm has
the learners a 10-point difference needs, and gives none at all when the split itself is off (sample-ratio
mismatch: the assignment, not the content, would explain any difference). Arms with fewer than 10 learners are
suppressed: their numbers are not shown anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
POWER = 0.80
TARGET_DIFFERENCE = 0.10  # the effect the sample-size advice is for: ten percentage points
SRM_ALPHA = 0.001  # GrowthBook's and Optimizely's threshold: below it the split is broken, not unlucky
MIN_LEARNERS = 10  # the project's rule: no aggregate of fewer learners leaves PostgreSQL
MONTE_CARLO_DRAWS = 200_000
MONTE_CARLO_SEED = 26  # fixed: the same counts always give the same probability


@dataclass(frozen=True)
class ArmCounts:
    """What the database says of one arm: learners exposed, and how many of them reached the metric."""

    arm_id: str
    name: str
    weight: int
    exposed: int
    converted: int


@dataclass(frozen=True)
class ArmResult:
    """One arm's metric with its 95% (Wilson) interval; None values when suppressed."""

    arm_id: str
    name: str
    weight: int
    exposed: int | None
    converted: int | None
    rate: float | None
    interval: tuple[float, float] | None

    @property
    def suppressed(self) -> bool:
        return self.exposed is None


@dataclass(frozen=True)
class Comparison:
    """An arm against the control: the difference in rate, its interval, the z-test and P(beats control)."""

    arm_id: str
    difference: float
    interval: tuple[float, float]
    z: float
    p_value: float
    probability_beats_control: float


@dataclass(frozen=True)
class Readout:
    """Everything the report says of one experiment."""

    module_id: str
    experiment_id: str
    status: str
    metric: str
    arms: tuple[ArmResult, ...]
    srm_p_value: float | None
    srm_broken: bool
    comparisons: tuple[Comparison, ...]
    minimum_detectable_effect: float | None  # at today's learners per arm, in rate points (0.12 = 12 points)
    needed_per_arm: int  # for a 10-point difference at 95% confidence and 80% power
    learners_per_arm: int  # the smallest arm's
    verdict: str


def _z(probability: float) -> float:
    return float(stats.norm.ppf(probability))


def needed_per_arm(baseline: float, difference: float = TARGET_DIFFERENCE) -> int:
    """Learners per arm for a two-sided two-proportion z-test to see `difference` from `baseline`."""
    other = baseline + difference if baseline + difference <= 1 else baseline - difference
    variance = baseline * (1 - baseline) + other * (1 - other)
    return math.ceil((_z(1 - (1 - CONFIDENCE) / 2) + _z(POWER)) ** 2 * variance / difference**2)


def minimum_detectable_effect(baseline: float, per_arm: int) -> float | None:
    """The smallest difference this many learners per arm would see (same test, same power); None without any."""
    if per_arm <= 0:
        return None
    return (_z(1 - (1 - CONFIDENCE) / 2) + _z(POWER)) * math.sqrt(2 * baseline * (1 - baseline) / per_arm)


def sample_ratio_p_value(exposed: Sequence[int], weights: Sequence[int]) -> float | None:
    """χ² goodness of fit of the exposures to the weights (arms of weight 0 left out); None without learners."""
    pairs = [(n, w) for n, w in zip(exposed, weights, strict=True) if w > 0]
    total = sum(n for n, _ in pairs)
    if total == 0 or len(pairs) < 2:
        return None
    expected = [total * w / sum(w for _, w in pairs) for _, w in pairs]
    return float(stats.chisquare([n for n, _ in pairs], f_exp=expected).pvalue)


def compare(control: ArmCounts, arm: ArmCounts) -> Comparison:
    """Difference of `arm` over `control` (unpooled interval), the pooled two-proportion z-test, and the
    Beta(1, 1)-prior probability that the arm's true rate is the higher."""
    p0, p1 = control.converted / control.exposed, arm.converted / arm.exposed
    difference = p1 - p0
    z_crit = _z(1 - (1 - CONFIDENCE) / 2)
    spread = math.sqrt(p0 * (1 - p0) / control.exposed + p1 * (1 - p1) / arm.exposed)
    pooled = (control.converted + arm.converted) / (control.exposed + arm.exposed)
    pooled_spread = math.sqrt(pooled * (1 - pooled) * (1 / control.exposed + 1 / arm.exposed))
    z = difference / pooled_spread if pooled_spread > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z))) if pooled_spread > 0 else 1.0
    rng = np.random.default_rng(MONTE_CARLO_SEED)
    draws_control = stats.beta.rvs(
        1 + control.converted, 1 + control.exposed - control.converted, size=MONTE_CARLO_DRAWS, random_state=rng
    )
    draws_arm = stats.beta.rvs(
        1 + arm.converted, 1 + arm.exposed - arm.converted, size=MONTE_CARLO_DRAWS, random_state=rng
    )
    beats = float(np.mean(draws_arm > draws_control))
    return Comparison(
        arm.arm_id, difference, (difference - z_crit * spread, difference + z_crit * spread), z, p_value, beats
    )


def _arm_result(counts: ArmCounts) -> ArmResult:
    if counts.exposed < MIN_LEARNERS:
        return ArmResult(counts.arm_id, counts.name, counts.weight, None, None, None, None)
    interval = stats.binomtest(counts.converted, counts.exposed).proportion_ci(CONFIDENCE, method="wilson")
    return ArmResult(
        counts.arm_id,
        counts.name,
        counts.weight,
        counts.exposed,
        counts.converted,
        counts.converted / counts.exposed,
        (float(interval.low), float(interval.high)),
    )


def read_out(module_id: str, experiment_id: str, status: str, metric: str, counts: Sequence[ArmCounts]) -> Readout:
    """The read-out of one experiment (the first arm is the control)."""
    arms = tuple(_arm_result(c) for c in counts)
    srm = sample_ratio_p_value([c.exposed for c in counts], [c.weight for c in counts])
    broken = srm is not None and srm < SRM_ALPHA
    shown = [c for c in counts if c.exposed >= MIN_LEARNERS]
    control = counts[0]
    comparisons = (
        tuple(compare(control, c) for c in counts[1:] if c.exposed >= MIN_LEARNERS)
        if control.exposed >= MIN_LEARNERS
        else ()
    )
    total_exposed = sum(c.exposed for c in shown)
    baseline = control.converted / control.exposed if control.exposed >= MIN_LEARNERS else 0.5
    if total_exposed and not 0 < baseline < 1:  # a rate of 0 or 1 says little of the spread: plan for 50%
        baseline = 0.5
    per_arm = min((c.exposed for c in counts if c.weight > 0), default=0)
    needed = needed_per_arm(baseline)
    mde = minimum_detectable_effect(baseline, per_arm) if per_arm >= MIN_LEARNERS else None
    verdict = _verdict(counts, comparisons, broken, srm, per_arm, needed)
    return Readout(
        module_id, experiment_id, status, metric, arms, srm, broken, comparisons, mde, needed, per_arm, verdict
    )


def probability_words(value: float) -> str:
    """A probability as a percentage that never claims certainty: 100% of draws is still "> 99.9%"."""
    if value > 0.999:
        return "> 99.9%"
    if value < 0.001:
        return "< 0.1%"
    return f"{value:.1%}"


def _p_equals(value: float) -> str:
    words = p_value_words(value)
    return words if words.startswith("<") else f"= {words}"


def p_value_words(value: float) -> str:
    """A p-value as people read it: 0.036, or "< 0.0001" (never a bare 0)."""
    return "< 0.0001" if value < 0.0001 else f"{value:.2g}"


def _points(value: float) -> str:
    return f"{value * 100:+.1f} points"


def _verdict(
    counts: Sequence[ArmCounts],
    comparisons: Sequence[Comparison],
    broken: bool,
    srm: float | None,
    per_arm: int,
    needed: int,
) -> str:
    if broken:
        return (
            f"the assignment is broken: the arms' sizes do not match their weights (sample-ratio mismatch, "
            f"χ² p = {srm:.2g}); no verdict until the cause is found (a filter, a cache, a bug in serving)"
        )
    if per_arm < MIN_LEARNERS:
        return f"not enough learners yet: fewer than {MIN_LEARNERS} in an arm; about {needed} per arm are needed"
    if per_arm < needed:
        return (
            f"not enough learners yet: {per_arm} per arm; about {needed} per arm are needed to see a 10-point "
            "difference, so no winner can be named"
        )
    alpha = (1 - CONFIDENCE) / max(len(comparisons), 1)  # Bonferroni over the arms compared with the control
    names = {c.arm_id: c.name for c in counts}
    winners = [c for c in comparisons if c.p_value < alpha]
    if not winners:
        return (
            f"no difference found with {per_arm} learners per arm: any true difference is probably smaller than "
            f"the 10 points this sample can see; keep either arm"
        )
    best = max(winners, key=lambda c: c.difference)
    direction = "better" if best.difference > 0 else "worse"
    low, high = best.interval
    return (
        f"{names[best.arm_id]!r} does {direction} than {names[counts[0].arm_id]!r}: {_points(best.difference)} "
        f"(95% interval {_points(low)} to {_points(high)}, p {_p_equals(best.p_value)}, "
        f"P(beats control) {probability_words(best.probability_beats_control)})"
    )
