"""Delivery that loses nothing: claim, send with retries, record every attempt.

Each (rule, eventID, target) is claimed in the state before sending, so it is delivered at most
once however often the alert comes back (Lambda retries, overlapping scans). A failed delivery
stays recorded with everything needed to send it again, and is reported to the caller, which
makes the Lambda invocation fail (so AWS retries it and the dead-letter queue keeps the event).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from trailguard.alerting.notice import Notice
from trailguard.alerting.state import DELIVERED, Attempt, DeliveryKey, NotifyState, stamp
from trailguard.config.model import Config, Target, Template
from trailguard.errors import TrailguardError
from trailguard.notify.delivery import DeliveryError, Sender, backoff
from trailguard.notify.message import Message, build_message

log = logging.getLogger("trailguard.alerting")
Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


@dataclass
class DeliveryReport:
    """What happened to each delivery of a run."""

    delivered: list[DeliveryKey] = field(default_factory=list)
    already_delivered: list[DeliveryKey] = field(default_factory=list)
    busy: list[DeliveryKey] = field(default_factory=list)
    failed: list[tuple[DeliveryKey, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was left to another sender."""
        return not self.failed and not self.busy


class Deliverer:
    """Sends notices to their targets through the senders, recording each attempt."""

    def __init__(  # noqa: PLR0913 - the collaborators are keyword-only
        self,
        config: Config,
        *,
        senders: Mapping[str, Sender],
        state: NotifyState,
        tz: tzinfo,
        clock: Clock,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._config = config
        self._senders = senders
        self._state = state
        self._tz = tz
        self._clock = clock
        self._sleep = sleep
        policy = config.delivery
        # Longer than the slowest run of attempts, so a live sender is never overtaken.
        self.lease = policy.attempts * (policy.max_delay + policy.timeout) + 30.0
        self.report = DeliveryReport()
        self._failed_now: set[DeliveryKey] = set()

    def deliver(self, notice: Notice) -> None:
        """Send a notice to each of its targets that has not had it yet."""
        for target in notice.targets:
            self.deliver_to(notice, target)

    def message(self, notice: Notice, target: Target) -> Message:
        """The message of a notice as ``target`` gets it (its templates applied)."""
        rule_id = notice.alert.rule_id
        template: Template | None = self._config.templates.get(rule_id)
        destination = self._config.destinations.get(target.destination)
        if destination is not None:
            own = destination.template_for(rule_id)
            template = own.merged_over(template) if own else template
        return build_message(
            notice.alert,
            rule=notice.rule,
            tz=self._tz,
            account_alias=notice.account_alias,
            template=template,
            digest=notice.digest,
        )

    def deliver_to(self, notice: Notice, target: Target) -> bool:
        """Claim, send with retries and record; True when delivered now."""
        key = DeliveryKey(notice.alert.rule_id, notice.delivery_event_id, target.id)
        if key in self._failed_now:
            return False  # a duplicate event in the same run: already tried, already reported
        refusal = self._state.claim(key, notice.payload(), self._clock(), self.lease)
        if refusal == DELIVERED:
            self.report.already_delivered.append(key)
            return False
        if refusal is not None:
            self.report.busy.append(key)
            return False
        try:
            message = self.message(notice, target)
            sender = self._sender(target)
        except TrailguardError as error:
            self._fail(key, 1, DeliveryError(str(error), retryable=False))
            return False
        attempt = 0
        while True:
            attempt += 1
            try:
                reference = sender.send(message, target)
            except DeliveryError as error:
                delay = backoff(self._config.delivery, attempt, error)
                if delay is None:
                    self._fail(key, attempt, error)
                    return False
                self._record(key, attempt, "retry", str(error), error.status)
                self._sleep(delay)
                continue
            except TrailguardError as error:
                self._fail(key, attempt, DeliveryError(str(error), retryable=False))
                return False
            except Exception as error:  # noqa: BLE001 - recorded and reported, never swallowed
                detail = f"{type(error).__name__}: {error}"
                self._fail(key, attempt, DeliveryError(detail, retryable=False))
                return False
            self._record(key, attempt, "delivered", reference)
            self._state.finish(
                key, delivered=True, detail="", reference=reference, now=self._clock()
            )
            self.report.delivered.append(key)
            return True

    def _sender(self, target: Target) -> Sender:
        try:
            return self._senders[target.destination]
        except KeyError:
            raise DeliveryError(
                f"destination {target.destination!r} is not configured", retryable=False
            ) from None

    def _record(
        self, key: DeliveryKey, number: int, outcome: str, detail: str, status: int | None = None
    ) -> None:
        attempt = Attempt(number, stamp(self._clock()), outcome, detail, status)
        self._state.record_attempt(key, attempt)

    def _fail(self, key: DeliveryKey, attempt: int, error: DeliveryError) -> None:
        self._record(key, attempt, "failed", str(error), error.status)
        self._state.finish(
            key, delivered=False, detail=str(error), reference=None, now=self._clock()
        )
        self.report.failed.append((key, str(error)))
        self._failed_now.add(key)
        log.error("delivery failed after %d attempt(s): %s: %s", attempt, key, error)
