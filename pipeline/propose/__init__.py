"""The propose stage: a branch, commit and PR per changed module (`proposal`), with its body (`pr_body`)."""

from pipeline.propose.pr_body import render_pr_body
from pipeline.propose.proposal import ProposalResult, ProposeReport, propose_modules

__all__ = ["ProposalResult", "ProposeReport", "propose_modules", "render_pr_body"]
