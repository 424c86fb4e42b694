"""The AWS side: ``doctor`` audits an account's CloudTrail alerting, ``deploy`` builds it right."""

from __future__ import annotations

from trailguard.infra.clients import AwsClients, AwsError
from trailguard.infra.deploy import Change, DeployConflict, Plan, apply, destroy, plan, read_facts
from trailguard.infra.desired import DesiredState, Facts, HandlerInputs, Resource, desired_state
from trailguard.infra.doctor import CHECKS, run_doctor
from trailguard.infra.findings import FINDING_KINDS, Finding, FindingKind
from trailguard.infra.inputs import DeployInputs, load_inputs
from trailguard.infra.inspection import Inspection
from trailguard.infra.package import LambdaPackage, build_package
from trailguard.infra.settings import DeploySettings, InvalidDeploySettings, read_deploy_file

__all__ = [
    "CHECKS",
    "FINDING_KINDS",
    "AwsClients",
    "AwsError",
    "Change",
    "DeployConflict",
    "DeployInputs",
    "DeploySettings",
    "DesiredState",
    "Facts",
    "Finding",
    "FindingKind",
    "HandlerInputs",
    "Inspection",
    "InvalidDeploySettings",
    "LambdaPackage",
    "Plan",
    "Resource",
    "apply",
    "build_package",
    "desired_state",
    "destroy",
    "load_inputs",
    "plan",
    "read_deploy_file",
    "read_facts",
    "run_doctor",
]
