"""`experiments conclude ID --keep ARM`: end an experiment through review.

The module file gets the kept arm's content as its sections' own and loses the experiment (section ids stay,
so every learner keeps their progress); the change goes to a PR on `experiment/<module_id>` through the propose
path, with the read-out in its body, and the read-out goes to the Notion page as a comment, with what the team
lead must change there so the next export does not bring the experiment back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.db.engine import connect, database_errors
from pipeline.errors import ConfigError, NotionError
from pipeline.experiments.readout import Readout
from pipeline.experiments.report import readout_markdown, readout_of, readout_plain
from pipeline.module.canonical import dump_module, write_atomically
from pipeline.module.document import load_module
from pipeline.module.experiments import conclude_experiment, experiments_of
from pipeline.settings import Settings
from pipeline.validate.rules import collect_module_files

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pipeline.propose.proposal import ProposalResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConcludeReport:
    """What conclude did: the file rewritten, the PR, the Notion comment."""

    module_id: str
    experiment_id: str
    kept: str
    path: Path
    readout: Readout
    proposal: ProposalResult | None
    notion: str  # what happened on the Notion page, in words

    @property
    def ok(self) -> bool:
        return self.proposal is None or self.proposal.action != "failed"

    def lines(self) -> list[str]:
        lines = [f"{self.path}: experiment {self.experiment_id!r} concluded, keeping arm {self.kept!r}"]
        if self.proposal is not None:
            lines.append(self.proposal.line())
        else:
            lines.append("no PR: GITHUB_TOKEN and GITHUB_REPOSITORY are not set; review and commit the file yourself")
        return [*lines, self.notion, f"read-out: {self.readout.verdict}"]


def _find_module(settings: Settings, experiment_id: str) -> tuple[Path, str]:
    """The module file declaring `experiment_id` (or `MODULE/ID`)."""
    module_id, _, wanted = experiment_id.rpartition("/")
    found = []
    for path in collect_module_files([settings.modules_dir]):
        data = load_module(path).data
        if module_id and data.get("module_id") != module_id:
            continue
        if any(e.experiment_id == wanted for e in experiments_of(data)):
            found.append(path)
    if not found:
        raise ConfigError(f"no module in {settings.modules_dir} declares experiment {experiment_id!r}")
    if len(found) > 1:
        names = ", ".join(f"{p.stem}/{wanted}" for p in found)
        raise ConfigError(f"experiment {wanted!r} is declared in several modules; name one as MODULE/ID: {names}")
    return found[0], wanted


def conclude(
    experiment_id: str, keep: str, settings: Settings, *, engine: Engine | None = None, open_pr: bool = True
) -> ConcludeReport:
    """Make arm `keep` the content of the experiment's sections, remove the experiment, and propose the file."""
    path, wanted = _find_module(settings, experiment_id)
    data = load_module(path).data
    experiment = next(e for e in experiments_of(data) if e.experiment_id == wanted)
    arm = experiment.arm(keep)
    if arm is None:
        arms = ", ".join(a.arm_id for a in experiment.arms)
        raise ConfigError(f"experiment {wanted!r} has no arm {keep!r}; keep one of: {arms}")
    owned = engine is None
    engine = engine or connect(settings)
    try:
        with database_errors(engine, "reading the experiment out"), engine.connect() as conn:
            readout = readout_of(conn, data["module_id"], experiment)
    finally:
        if owned:
            engine.dispose()
    concluded = conclude_experiment(data, wanted, keep)
    metadata = concluded.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("revision"), int):
        metadata["revision"] += 1  # the content changed, as an export would say
    write_atomically(path, dump_module(concluded))
    reason = (
        f"Concludes experiment `{wanted}`, keeping arm **{arm.name}** (`{arm.arm_id}`): its content becomes the "
        f"section's, and the experiment is removed. Section ids stay, so every learner keeps their progress.\n\n"
        + readout_markdown([readout])
    )
    proposal = None
    if open_pr and settings.github_token and settings.github_repository:
        from pipeline.github.client import open_repository
        from pipeline.propose.proposal import propose_module_file

        proposal = propose_module_file(
            open_repository(settings), path, settings=settings, branch=f"experiment/{data['module_id']}", reason=reason
        )
    notion = _tell_notion(settings, data.get("notion_page_id"), readout, arm.name, proposal)
    return ConcludeReport(data["module_id"], wanted, keep, path, readout, proposal, notion)


def _tell_notion(
    settings: Settings, page_id: object, readout: Readout, kept: str, proposal: ProposalResult | None
) -> str:
    """The read-out as a comment on the module's Notion page (aggregates only), and what to change there."""
    if not isinstance(page_id, str) or not settings.notion_token:
        return "Notion: no page or no NOTION_TOKEN; nothing posted"
    from pipeline.notion.client import NotionGateway

    where = f" (PR {proposal.pr_url})" if proposal is not None and proposal.pr_url else ""
    text = (
        f"Learner insights — experiment concluded{where}: keeping {kept!r}. {readout_plain(readout)} "
        f"On this page, move the content of the 'Variant: {kept}' toggle into its section (unless it is the "
        "section's own content), delete the other 'Variant:' toggles and clear the Experiment column, or the "
        "next export proposes the experiment again."
    )
    try:
        with NotionGateway(settings, needs_library=False) as notion:
            notion.create_comment(page_id, text)
    except NotionError as exc:  # e.g. 403 without the "insert comments" capability: reported, not fatal
        log.warning("%s", exc)
        return f"Notion: the read-out could not be posted on the page: {exc}"
    return "Notion: the read-out was posted on the page as a comment"
