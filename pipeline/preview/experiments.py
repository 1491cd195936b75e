"""The reviewer preview of a module's experiments: each arm named with its weight, and each alternative section
drawn as students in that arm will see it (pure HTML, escaped like every other card)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pipeline.module.experiments import experiments_of
from pipeline.preview.markdown import PreviewAsset, esc

RenderSection = Callable[[Mapping[str, Any], Mapping[str, PreviewAsset]], str]


def render_experiments(doc: Mapping[str, Any], assets: Mapping[str, PreviewAsset], section: RenderSection) -> str:
    """One card per experiment, then its arms' sections ('' when the module has none)."""
    try:
        experiments = experiments_of(doc)
    except (KeyError, TypeError, AttributeError):
        return ""  # a malformed declaration: validate names it; the preview shows the sections as written
    parts = []
    for experiment in experiments:
        arms = ", ".join(f"{esc(arm.name)} ({esc(arm.arm_id)}, {arm.weight}%)" for arm in experiment.arms)
        tested = ", ".join(f"<code>{esc(s)}</code>" for s in experiment.section_ids)
        parts.append(
            f'<div class="card experiment" id="experiment-{esc(experiment.experiment_id)}"><strong>Experiment '
            f"<code>{esc(experiment.experiment_id)}</code></strong> ({esc(experiment.status)}): arms {arms}; tests "
            f"{tested}; measured by {esc(experiment.metric_kind.replace('_', ' '))} of "
            f"<code>{esc(experiment.metric_section_id)}</code>. The sections above are the control "
            f"({esc(experiment.control.name)}); each other arm shows instead:</div>"
        )
        for arm in experiment.arms[1:]:
            for replacement in arm.sections:
                parts.append(f'<p class="meta">Arm {esc(arm.name)}:</p>{section(replacement, assets)}')
    return "\n".join(parts)
