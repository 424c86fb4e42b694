"""From alerts to deliveries: enrich, suppress, route, throttle, deliver, and remember."""

from __future__ import annotations

from trailguard.alerting.deliver import Deliverer, DeliveryReport
from trailguard.alerting.notice import Notice, Step, alert_from_dict
from trailguard.alerting.pipeline import Pipeline, Report, utc_now
from trailguard.alerting.state import (
    DELIVERED,
    FAILED,
    PENDING,
    Attempt,
    DeliveryKey,
    DeliveryRecord,
    MemoryState,
    NotifyState,
    ThrottleWindow,
)

__all__ = [
    "DELIVERED",
    "FAILED",
    "PENDING",
    "Attempt",
    "Deliverer",
    "DeliveryKey",
    "DeliveryRecord",
    "DeliveryReport",
    "MemoryState",
    "Notice",
    "NotifyState",
    "Pipeline",
    "Report",
    "Step",
    "ThrottleWindow",
    "alert_from_dict",
    "utc_now",
]
