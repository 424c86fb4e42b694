"""One reconciler per kind of AWS resource deploy manages, registered by kind."""

from __future__ import annotations

from trailguard.infra.resources.base import RETAINED, Current, Reconciler
from trailguard.infra.resources.cloudtrail import TrailReconciler
from trailguard.infra.resources.cloudwatch import AlarmReconciler
from trailguard.infra.resources.dynamodb import TableReconciler
from trailguard.infra.resources.events import RuleReconciler
from trailguard.infra.resources.iam import RoleReconciler
from trailguard.infra.resources.kms import KeyReconciler
from trailguard.infra.resources.lambda_ import FunctionReconciler, PermissionReconciler
from trailguard.infra.resources.logs import LogGroupReconciler, MetricFilterReconciler
from trailguard.infra.resources.s3 import BucketReconciler
from trailguard.infra.resources.sns import TopicReconciler
from trailguard.infra.resources.sqs import QueueReconciler
from trailguard.infra.resources.ssm import ParameterReconciler

RECONCILERS: dict[str, Reconciler] = {
    reconciler.kind: reconciler
    for reconciler in (
        BucketReconciler(),
        KeyReconciler(),
        LogGroupReconciler(),
        RoleReconciler(),
        TrailReconciler(),
        ParameterReconciler(),
        QueueReconciler(),
        TableReconciler(),
        FunctionReconciler(),
        PermissionReconciler(),
        RuleReconciler(),
        TopicReconciler(),
        MetricFilterReconciler(),
        AlarmReconciler(),
    )
}
"""The reconciler of each resource kind."""

__all__ = ["RECONCILERS", "RETAINED", "Current", "Reconciler"]
