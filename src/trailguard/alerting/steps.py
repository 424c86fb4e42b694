"""The pipeline steps (enrich, suppress, route, throttle), each ``Notice -> Notice | None``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from trailguard.alerting.notice import Notice, alert_from_dict
from trailguard.alerting.state import NotifyState, ThrottleWindow
from trailguard.config.model import Route, Suppression, Target, Throttle
from trailguard.detect import group_key
from trailguard.events import parse_event_time
from trailguard.notify.message import Digest
from trailguard.rules.model import Rule
from trailguard.timeparse import cloudtrail_time

Clock = Callable[[], datetime]
MAX_DIGEST_EVENT_IDS = 50
_CONTENTION_TRIES = 3


class Enrich:
    """Adds the account alias."""

    def __init__(self, aliases: Callable[[str], str | None]) -> None:
        self._aliases = aliases

    def __call__(self, notice: Notice) -> Notice:
        """The notice with ``account_alias`` set when one is known."""
        alias = self._aliases(notice.alert.account)
        return replace(notice, account_alias=alias) if alias else notice


class Suppress:
    """Drops alerts an active suppression covers; ``dropped`` counts them by reason."""

    def __init__(self, suppressions: Sequence[Suppression], clock: Clock) -> None:
        self._suppressions = tuple(suppressions)
        self._clock = clock
        self.dropped: dict[str, int] = {}

    def __call__(self, notice: Notice) -> Notice | None:
        """None when suppressed."""
        if not self._suppressions:
            return notice
        now = self._clock()
        alert = notice.alert
        for suppression in self._suppressions:
            if suppression.active(now) and suppression.covers(
                rule_id=alert.rule_id,
                principal_arn=alert.principal_arn,
                event_name=alert.event_name,
                source_ip=alert.source_ip,
                account=alert.account,
            ):
                self.dropped[suppression.reason] = self.dropped.get(suppression.reason, 0) + 1
                return None
        return notice


class Router:
    """Sets the targets of every route the alert matches; an alert no route takes is dropped."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)
        self.unrouted = 0

    def __call__(self, notice: Notice) -> Notice | None:
        """The notice with its targets, or None when no route matches."""
        alert = notice.alert
        targets: dict[str, Target] = {}
        for route in self._routes:
            if route.match.matches(alert.rule_id, alert.severity, alert.account, notice.rule):
                for target in route.targets:
                    targets.setdefault(target.id, target)
        if not targets:
            self.unrouted += 1
            return None
        return replace(notice, targets=tuple(targets.values()))


class ThrottleStep:
    """First alert of a key at once; repeats within the window held back for one digest.

    The key is (rule, principal ARN, eventName), or the rule's ``dedupe.keys``; the window is
    the rule's ``dedupe.window`` or the configured one. Windows are measured in event time, so a
    scan of old logs is throttled as real time would have been. A repeat's eventID is counted
    once, so a retried batch does not inflate the digest.
    """

    def __init__(
        self, settings: Throttle, state: NotifyState, rules: Mapping[str, Rule], clock: Clock
    ) -> None:
        self._settings = settings
        self._state = state
        self._rules = rules
        self._clock = clock
        self._ready: list[Notice] = []
        self.held = 0

    def key(self, notice: Notice) -> tuple[str, int] | None:
        """The throttle key and window (seconds) of a notice; None when it is not throttled."""
        alert, rule = notice.alert, notice.rule
        if rule is not None and rule.dedupe is not None:
            paths = rule.dedupe.keys or ("userIdentity.arn", "eventName")
            values = group_key(alert.record, paths)
            return "|".join((alert.rule_id, *values)), rule.dedupe.window
        if not self._settings.enabled:
            return None
        principal = alert.principal_arn or alert.principal
        return f"{alert.rule_id}|{principal}|{alert.event_name}", self._settings.window

    def __call__(self, notice: Notice) -> Notice | None:
        """The notice if it opens a window, None if it is a repeat held for the digest."""
        found = self.key(notice)
        if found is None:
            return notice
        key, seconds = found
        alert = notice.alert
        state = self._state
        for _ in range(_CONTENTION_TRIES):
            current = state.window(key)
            if current is None:
                if state.open_window(self._new_window(key, notice, seconds), None):
                    return notice
                continue
            if current.first_event_id == alert.event_id:
                return notice
            if alert.event_id in current.repeats:
                return None
            if alert.event_time < current.end:
                if state.add_repeat(key, current.first_event_id, alert.event_id, alert.event_time):
                    self.held += 1
                    return None
                continue
            if state.open_window(self._new_window(key, notice, seconds), current.first_event_id):
                if current.repeats:
                    self._ready.append(self.digest(current))
                return notice
        return notice  # under contention, sending twice beats losing the alert

    def _new_window(self, key: str, notice: Notice, seconds: int) -> ThrottleWindow:
        alert = notice.alert
        start = parse_event_time(alert.event_time) or self._clock()
        payload = {**notice.payload(), "targets": [t.id for t in notice.targets]}
        return ThrottleWindow(
            key=key,
            rule_id=alert.rule_id,
            first_event_id=alert.event_id,
            start=cloudtrail_time(start),
            end=cloudtrail_time(start + timedelta(seconds=seconds)),
            last_time=alert.event_time,
            payload=payload,
        )

    def digest(self, window: ThrottleWindow) -> Notice:
        """The digest notice of a window's held-back repeats."""
        payload = window.payload
        alert = alert_from_dict(payload["alert"])
        return Notice(
            alert,
            self._rules.get(alert.rule_id),
            account_alias=payload.get("alias"),
            targets=tuple(Target.parse(t) for t in payload.get("targets", ())),
            digest=Digest(
                count=len(window.repeats),
                first_time=window.start,
                last_time=window.last_time or window.start,
                event_ids=window.repeats[:MAX_DIGEST_EVENT_IDS],
            ),
        )

    def take_ready(self) -> list[Notice]:
        """Digests of windows that a later alert closed."""
        ready, self._ready = self._ready, []
        return ready

    def due(self, *, everything: bool = False) -> list[Notice]:
        """Close the windows that have ended (all when ``everything``); their digests."""
        now = cloudtrail_time(self._clock())
        digests: list[Notice] = []
        for window in self._state.windows():
            if everything or window.end <= now:
                if window.repeats:
                    digests.append(self.digest(window))
                self._state.close_window(window.key, window.first_event_id)
        return digests
