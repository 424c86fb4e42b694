"""The alerting pipeline: alerts in, deliveries out, through a list of plain steps.

``Pipeline.run(alerts)`` passes each alert through enrich -> suppress -> route -> throttle and
delivers what is left; then it sends the digests of throttle windows that have ended. The
report says what was delivered, dropped and failed; a caller that must not lose alerts (the
Lambda handler) fails when ``report.ok`` is false.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trailguard.alerting.aliases import AccountAliases
from trailguard.alerting.deliver import Deliverer, DeliveryReport, Sleep
from trailguard.alerting.notice import Notice, Step, notice_from_payload
from trailguard.alerting.state import DeliveryRecord, NotifyState
from trailguard.alerting.steps import Enrich, Router, Suppress, ThrottleStep
from trailguard.alerts import Alert
from trailguard.config.clients import ClientFactory
from trailguard.config.model import Config, Target
from trailguard.notify.delivery import Sender
from trailguard.rules.model import Rule
from trailguard.timeparse import zone

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class Report:
    """What a pipeline run did with its alerts."""

    alerts: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    unrouted: int = 0
    held: int = 0
    digests: int = 0
    deliveries: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def ok(self) -> bool:
        """True when every delivery that was due went out (or had gone out before)."""
        return self.deliveries.ok

    def summary(self) -> dict[str, object]:
        """Counts, for logs and the Lambda response."""
        deliveries = self.deliveries
        return {
            "alerts": self.alerts,
            "suppressed": sum(self.suppressed.values()),
            "unrouted": self.unrouted,
            "held_for_digest": self.held,
            "digests": self.digests,
            "delivered": len(deliveries.delivered),
            "already_delivered": len(deliveries.already_delivered),
            "in_progress_elsewhere": len(deliveries.busy),
            "failed": len(deliveries.failed),
        }


class Pipeline:
    """Enrich, suppress, route, throttle and deliver alerts, as configured."""

    def __init__(  # noqa: PLR0913 - the collaborators are keyword-only
        self,
        config: Config,
        *,
        rules: Mapping[str, Rule],
        senders: Mapping[str, Sender],
        state: NotifyState,
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
        clients: ClientFactory | None = None,
        extra_steps: Sequence[Step] = (),
    ) -> None:
        self.config = config
        self.rules = rules
        self.state = state
        self._suppress = Suppress(config.suppressions, clock)
        self._router = Router(config.routes)
        self.throttle = ThrottleStep(config.throttle, state, rules, clock)
        aliases = AccountAliases(config.accounts, state, clock, clients)
        self.steps: list[Step] = [
            Enrich(aliases),
            self._suppress,
            *extra_steps,
            self._router,
            self.throttle,
        ]
        self.deliverer = Deliverer(
            config,
            senders=senders,
            state=state,
            tz=zone(config.time_zone),
            clock=clock,
            sleep=sleep,
        )
        self.report = Report(deliveries=self.deliverer.report)

    def submit(self, alert: Alert) -> Notice | None:
        """Pass one alert through the steps and deliver it; the notice sent, or None if dropped."""
        self.report.alerts += 1
        notice: Notice | None = Notice(alert, self.rules.get(alert.rule_id))
        for step in self.steps:
            if notice is None:
                break
            notice = step(notice)
        self._sync_counts()
        for digest in self.throttle.take_ready():
            self._send_digest(digest)
        if notice is not None:
            self.deliverer.deliver(notice)
        return notice

    def flush(self, *, everything: bool = False) -> None:
        """Send the digests of throttle windows that have ended (all of them if ``everything``)."""
        for digest in self.throttle.due(everything=everything):
            self._send_digest(digest)

    def run(self, alerts: Iterable[Alert], *, flush_everything: bool = False) -> Report:
        """Submit every alert, then flush the digests that are due."""
        for alert in alerts:
            self.submit(alert)
        self.flush(everything=flush_everything)
        return self.report

    def redeliver(self, records: Iterable[DeliveryRecord]) -> Report:
        """Send stored undelivered deliveries again (no suppression or throttling this time)."""
        for record in records:
            target = Target.parse(record.key.target)
            notice = notice_from_payload(record.payload, target, self.rules)
            self.deliverer.deliver_to(notice, target)
        return self.report

    def _send_digest(self, notice: Notice) -> None:
        self.report.digests += 1
        self.deliverer.deliver(notice)

    def _sync_counts(self) -> None:
        self.report.suppressed = dict(self._suppress.dropped)
        self.report.unrouted = self._router.unrouted
        self.report.held = self.throttle.held
