"""Experiments at serving time: which arm a student sees, kept from the first serving (the exposure, logged once).

The arm is GrowthBook's (pipeline.experiments.assignment) for the experiment's seed and the student id; the
first time the runtime serves it, one statement writes the sticky row and the exposure event. After that the
row, not the hash, decides, so a later change of weights never moves a student. Each worker remembers the arms
it has seen (rows never change), so a warm request, 304 or 200, asks the database nothing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from pipeline.experiments.assignment import bucket_ranges, choose_arm, hash_value
from pipeline.module.experiments import Arm, Experiment
from pipeline.runtime.errors import ApiError

CACHED_ARMS = 200_000  # per worker: (module, experiment, student) -> arm id, some 200 bytes each
HASH_VERSION = 2

_ASSIGN_SQL = text("""
    WITH incoming AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS i(experiment_id text, arm text,
                                                                   stamped_sections text[])
    ), inserted AS (
        INSERT INTO experiment_assignments (module_id, experiment_id, student_id, arm, revision, stamped_sections)
        SELECT :module_id, i.experiment_id, :student, i.arm, :revision, i.stamped_sections FROM incoming i
        ON CONFLICT (module_id, experiment_id, student_id) DO NOTHING
        RETURNING experiment_id, arm
    ), logged AS (
        INSERT INTO module_analytics_events (event_uuid, module_id, section_id, student_id, event_type, payload,
                                             occurred_at, revision, experiment_id, arm)
        SELECT md5(:module_id || '/' || x.experiment_id || '/' || :student)::uuid, :module_id, NULL, :student,
               'exposed',
               jsonb_build_object('verb', 'exposed',
                                  'object', jsonb_build_object('module_id', CAST(:module_id AS text),
                                                               'revision', CAST(:revision AS int))),
               now(), :revision, x.experiment_id, x.arm
        FROM inserted x
        ON CONFLICT (event_uuid) DO NOTHING
    )
    SELECT experiment_id, arm FROM inserted
    UNION ALL
    SELECT a.experiment_id, a.arm FROM experiment_assignments a
    WHERE a.module_id = :module_id AND a.student_id = :student
      AND a.experiment_id IN (SELECT experiment_id FROM incoming)
""")
_KEPT_SQL = text(
    "SELECT experiment_id, arm FROM experiment_assignments WHERE module_id = :module_id AND student_id = :student"
)
_SERVED_SQL = text("""
    SELECT experiment_id, arm FROM experiment_assignments
    WHERE module_id = :module_id AND student_id = :student AND :section_id = ANY(stamped_sections)
    ORDER BY exposed_at, id LIMIT 1
""")


@dataclass(frozen=True)
class ServedArm:
    """The experiment and arm a student was served for a section: what their attempts and events are stamped with."""

    experiment_id: str
    arm: str


def hashed_arm(experiment: Experiment, student_id: str) -> Arm:
    """The arm GrowthBook gives `student_id` (hash v2 of the seed and the id, full coverage, the weights)."""
    n = hash_value(experiment.seed, student_id, HASH_VERSION)
    index = choose_arm(n if n is not None else 0.0, bucket_ranges(len(experiment.arms), 1, experiment.weights))
    return experiment.arms[index] if index >= 0 else experiment.control


class ArmMemory:
    """Per-worker memory of arms already assigned: a bounded map, safe to keep because the rows never change."""

    def __init__(self, capacity: int = CACHED_ARMS) -> None:
        self.capacity = capacity
        self._arms: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, module_id: str, experiment_id: str, student_id: str) -> str | None:
        return self._arms.get((module_id, experiment_id, student_id))

    def remember(self, module_id: str, student_id: str, arms: dict[str, str]) -> None:
        with self._lock:
            for experiment_id, arm in arms.items():
                self._arms[(module_id, experiment_id, student_id)] = arm
            while len(self._arms) > self.capacity:
                self._arms.popitem(last=False)


def student_arms(
    engine: Engine,
    memory: ArmMemory,
    module_id: str,
    revision: int,
    running: Sequence[Experiment],
    student_id: str,
) -> tuple[Arm, ...]:
    """The student's arm of each running experiment: remembered, or assigned now (exposure logged once)."""
    kept = {e.experiment_id: memory.get(module_id, e.experiment_id, student_id) for e in running}
    missing = [e for e in running if kept[e.experiment_id] is None]
    if missing:
        rows = [
            {
                "experiment_id": e.experiment_id,
                "arm": hashed_arm(e, student_id).arm_id,
                "stamped_sections": list(e.stamped_sections),
            }
            for e in missing
        ]
        params = {"module_id": module_id, "student": student_id, "revision": revision, "rows": json.dumps(rows)}
        with engine.begin() as conn:
            found = {r.experiment_id: r.arm for r in conn.execute(_ASSIGN_SQL, params)}
            if any(e.experiment_id not in found for e in missing):  # written by a concurrent request meanwhile
                found = {r.experiment_id: r.arm for r in conn.execute(_KEPT_SQL, params)}
        memory.remember(module_id, student_id, found)
        kept.update(found)
    return tuple(_arm_or_control(e, kept.get(e.experiment_id)) for e in running)


def _arm_or_control(experiment: Experiment, arm_id: str | None) -> Arm:
    return (experiment.arm(arm_id) if arm_id else None) or experiment.control


def staff_arms(running: Sequence[Experiment], wanted: str | None) -> tuple[Arm, ...]:
    """The arms staff asked for with ?arm=ARM (or EXPERIMENT:ARM); the control of every other experiment."""
    if wanted is None:
        return tuple(e.control for e in running)
    experiment_id, _, arm_id = wanted.rpartition(":")
    chosen = []
    matched = False
    for experiment in running:
        arm = experiment.arm(arm_id) if experiment_id in ("", experiment.experiment_id) else None
        matched = matched or arm is not None
        chosen.append(arm or experiment.control)
    if not matched:
        known = sorted({f"{e.experiment_id}:{a.arm_id}" for e in running for a in e.arms})
        raise ApiError(
            422,
            "invalid_request",
            f"arm={wanted[:80]!r} is not an arm of a running experiment of this module; "
            + (f"choose one of {', '.join(known)}" if known else "this module runs no experiment"),
        )
    return tuple(chosen)


def served_arm(conn: Connection, student_id: str, module_id: str, section_id: str) -> ServedArm | None:
    """The experiment and arm `section_id` was served to the student from, if any (for stamping an attempt)."""
    row = conn.execute(_SERVED_SQL, {"module_id": module_id, "student": student_id, "section_id": section_id}).first()
    return ServedArm(row.experiment_id, row.arm) if row is not None else None
