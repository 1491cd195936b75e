"""`experiments report [ID]`: the read-out of experiments from PostgreSQL, as text, JSON or Markdown.

Counts come from two set-based aggregates over experiment_assignments (the exposures) and the metric's own
table: module_progress for a section's completion, module_attempts for a quiz pass, counted only when it came
after the learner's exposure. Only the per-arm counts leave the database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, Engine, text

from pipeline.db.engine import connect, database_errors
from pipeline.errors import ConfigError
from pipeline.experiments.readout import MIN_LEARNERS, ArmCounts, Readout, p_value_words, probability_words, read_out
from pipeline.module.experiments import Experiment, experiment_from
from pipeline.report import markdown_cell
from pipeline.settings import Settings

FORMATS = ("text", "json", "markdown")

# The newest deployed revision declaring each experiment: live ones, and concluded ones still in history.
_DECLARED_SQL = text("""
    SELECT DISTINCT ON (r.module_id, e.value->>'experiment_id') r.module_id, e.value AS experiment
    FROM module_revisions r CROSS JOIN LATERAL jsonb_array_elements(r.document->'experiments') e
    WHERE jsonb_typeof(r.document->'experiments') = 'array'
    ORDER BY r.module_id, e.value->>'experiment_id', r.revision DESC
""")
_COMPLETION_SQL = text("""
    SELECT a.arm, count(*) AS exposed,
           count(*) FILTER (WHERE p.completed_at >= a.exposed_at) AS converted
    FROM experiment_assignments a
    LEFT JOIN module_progress p ON p.module_id = a.module_id AND p.student_id = a.student_id
                               AND p.section_id = :section_id AND p.state = 'completed'
    WHERE a.module_id = :module_id AND a.experiment_id = :experiment_id
    GROUP BY a.arm
""")
_QUIZ_PASS_SQL = text("""
    WITH passed AS (
        SELECT student_id, min(submitted_at) AS first_pass FROM module_attempts
        WHERE module_id = :module_id AND section_id = :section_id AND passed
        GROUP BY student_id
    )
    SELECT a.arm, count(*) AS exposed, count(*) FILTER (WHERE p.first_pass >= a.exposed_at) AS converted
    FROM experiment_assignments a LEFT JOIN passed p ON p.student_id = a.student_id
    WHERE a.module_id = :module_id AND a.experiment_id = :experiment_id
    GROUP BY a.arm
""")
METRIC_WORDS = {"section_completion": "completed section", "quiz_pass": "passed the quiz of section"}


@dataclass(frozen=True)
class ExperimentsReport:
    """The read-outs of the experiments asked for, printable in one of FORMATS."""

    readouts: tuple[Readout, ...]
    output_format: str = "text"
    ok: bool = True

    def lines(self) -> list[str]:
        if self.output_format == "json":
            return [json.dumps({"experiments": [asdict(r) for r in self.readouts]}, indent=2, ensure_ascii=False)]
        render = render_markdown if self.output_format == "markdown" else render_text
        if not self.readouts:
            return ["no experiments deployed"]
        return [line for readout in self.readouts for line in [*render(readout), ""]][:-1]


def find_declared(conn: Connection, experiment_id: str | None) -> list[tuple[str, Experiment]]:
    """(module_id, experiment) for every deployed experiment, or the one named `ID` or `MODULE/ID`."""
    found = [(row.module_id, experiment_from(row.experiment)) for row in conn.execute(_DECLARED_SQL)]
    if experiment_id is None:
        return found
    module_id, _, wanted = experiment_id.rpartition("/")
    chosen = [(m, e) for m, e in found if e.experiment_id == wanted and module_id in ("", m)]
    if not chosen:
        known = ", ".join(sorted(f"{m}/{e.experiment_id}" for m, e in found)) or "none is deployed"
        raise ConfigError(f"no deployed experiment {experiment_id!r}; the experiments are: {known}")
    if len(chosen) > 1:
        raise ConfigError(
            f"experiment {experiment_id!r} is in {len(chosen)} modules; name one as MODULE/ID: "
            + ", ".join(f"{m}/{e.experiment_id}" for m, e in chosen)
        )
    return chosen


def arm_counts(conn: Connection, module_id: str, experiment: Experiment) -> list[ArmCounts]:
    """Learners exposed to each arm and how many of them reached the metric afterwards (arms in declared order)."""
    sql = _QUIZ_PASS_SQL if experiment.metric_kind == "quiz_pass" else _COMPLETION_SQL
    params = {
        "module_id": module_id,
        "experiment_id": experiment.experiment_id,
        "section_id": experiment.metric_section_id,
    }
    rows = {row.arm: row for row in conn.execute(sql, params)}
    return [
        ArmCounts(
            arm.arm_id,
            arm.name,
            arm.weight,
            rows[arm.arm_id].exposed if arm.arm_id in rows else 0,
            rows[arm.arm_id].converted if arm.arm_id in rows else 0,
        )
        for arm in experiment.arms
    ]


def readout_of(conn: Connection, module_id: str, experiment: Experiment) -> Readout:
    metric = f"{METRIC_WORDS[experiment.metric_kind]} {experiment.metric_section_id!r}"
    counts = arm_counts(conn, module_id, experiment)
    return read_out(module_id, experiment.experiment_id, experiment.status, metric, counts)


def report_experiments(
    settings: Settings, experiment_id: str | None = None, output_format: str = "text", engine: Engine | None = None
) -> ExperimentsReport:
    """The read-out of every deployed experiment, or of the one named."""
    owned = engine is None
    engine = engine or connect(settings)
    try:
        with database_errors(engine, "reading the experiments"), engine.connect() as conn:
            readouts = tuple(readout_of(conn, m, e) for m, e in find_declared(conn, experiment_id))
    finally:
        if owned:
            engine.dispose()
    return ExperimentsReport(readouts, output_format)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _interval(interval: tuple[float, float] | None, points: bool = False) -> str:
    if interval is None:
        return "—"
    if points:
        return f"{interval[0] * 100:+.1f} to {interval[1] * 100:+.1f} points"
    return f"{interval[0]:.1%} to {interval[1]:.1%}"


def _arm_rows(readout: Readout) -> list[list[str]]:
    comparisons = {c.arm_id: c for c in readout.comparisons}
    rows = []
    for arm in readout.arms:
        shown = f"fewer than {MIN_LEARNERS}" if arm.suppressed else str(arm.exposed)
        comparison = comparisons.get(arm.arm_id)
        rows.append(
            [
                f"{arm.name} ({arm.arm_id}, {arm.weight}%)",
                shown,
                _percent(arm.rate),
                _interval(arm.interval),
                f"{comparison.difference * 100:+.1f} points"
                if comparison
                else "control"
                if arm is readout.arms[0]
                else "—",
                _interval(comparison.interval, points=True) if comparison else "—",
                p_value_words(comparison.p_value) if comparison else "—",
                probability_words(comparison.probability_beats_control) if comparison else "—",
            ]
        )
    return rows


_HEADERS = [
    "arm",
    "learners",
    "rate",
    "95% interval",
    "difference",
    "its 95% interval",
    "p (z-test)",
    "P(beats control)",
]


def _sizes(readout: Readout) -> list[str]:
    srm = "—" if readout.srm_p_value is None else f"{readout.srm_p_value:.3g}"
    mde = "—" if readout.minimum_detectable_effect is None else f"{readout.minimum_detectable_effect * 100:.1f} points"
    return [
        f"sample-ratio check (χ² against the weights): p = {srm}" + (" — BROKEN" if readout.srm_broken else ""),
        f"smallest difference detectable today (95% confidence, 80% power): {mde}",
        f"learners per arm for a 10-point difference: about {readout.needed_per_arm}",
    ]


def render_text(readout: Readout) -> list[str]:
    """The read-out as aligned text for the terminal."""
    rows = [_HEADERS, *_arm_rows(readout)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    table = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return [
        f"experiment {readout.module_id}/{readout.experiment_id} ({readout.status}); metric: {readout.metric}",
        *table,
        *_sizes(readout),
        f"verdict: {readout.verdict}",
    ]


def render_markdown(readout: Readout) -> list[str]:
    """The read-out as GitHub Markdown (a PR body, a review comment): aggregates only, small arms suppressed."""
    lines = [
        f"### Experiment `{readout.experiment_id}` ({markdown_cell(readout.status)})",
        "",
        f"Metric: {markdown_cell(readout.metric, 200)}.",
        "",
        "| " + " | ".join(_HEADERS) + " |",
        "|" + "---|" * len(_HEADERS),
    ]
    lines += ["| " + " | ".join(markdown_cell(cell, 100) for cell in row) + " |" for row in _arm_rows(readout)]
    lines += [
        "",
        *(f"- {markdown_cell(line, 200)}" for line in _sizes(readout)),
        "",
        f"**Verdict:** {markdown_cell(readout.verdict, 400)}",
    ]
    return lines


def readout_markdown(readouts: Sequence[Readout]) -> str:
    """Several read-outs as one Markdown text."""
    return "\n\n".join("\n".join(render_markdown(r)) for r in readouts)


def readout_plain(readout: Readout) -> str:
    """The read-out as plain sentences for a Notion comment (no table: comments are rich text)."""
    parts = [f"Experiment {readout.experiment_id}: {readout.metric}."]
    for arm in readout.arms:
        if arm.suppressed:
            parts.append(f"{arm.name}: fewer than {MIN_LEARNERS} learners (not shown).")
        else:
            parts.append(f"{arm.name}: {arm.exposed} learners, {_percent(arm.rate)} ({_interval(arm.interval)}).")
    parts.append(f"Verdict: {readout.verdict}.")
    return " ".join(parts)
