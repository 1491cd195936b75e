"""The deploy stage: `plan` decides purely what changes; `apply` validates and writes it in one locked transaction."""

from pipeline.deploy.apply import DeployResult, deploy
from pipeline.deploy.plan import DeployPlan, plan_deploy

__all__ = ["DeployPlan", "DeployResult", "deploy", "plan_deploy"]
