"""Near-real-time alerts without Lambda: poll, run the rules, notify, remember where we were.

Two pollers: LookupEvents per region (paced to 2 requests a second per account and region,
paged, throttling backed off, by ``sources.lookup_api``) and new trail log files under an S3
prefix. Events can appear in Event history, and files in the bucket, minutes after they happen,
so each poll re-reads an ``overlap`` window and skips what its checkpoint says it has seen. The
checkpoint is saved only after the alerts of a poll were delivered or recorded as failed, so a
restart neither misses nor repeats events (deliveries are idempotent besides). SIGINT or SIGTERM
stop the loop between polls, or in the middle of one without saving its checkpoint.
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, Protocol

import orjson

from trailguard.alerting.pipeline import Clock, Report
from trailguard.alerting.runtime import Runtime
from trailguard.alerting.state import NotifyState
from trailguard.alerts import Alert
from trailguard.detect import ThresholdTracker
from trailguard.errors import InputError
from trailguard.events import CloudTrailEvent, from_envelope, parse_event_time
from trailguard.sources.files import events_in_bytes, gunzip_if_needed
from trailguard.sources.lookup_api import Lookup, LookupEventsSource
from trailguard.sources.s3 import KeyFilter, list_log_keys, parse_s3_url, read_object
from trailguard.timeparse import cloudtrail_time

MAX_REDELIVERIES_PER_CYCLE = 20
WRITE_EVENTS: tuple[Lookup, ...] = (("ReadOnly", "false"),)
_FILE_STAMP = re.compile(r"_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$")


class Stopped(Exception):
    """Raised inside a poll when a stop was asked for; the poll's checkpoint is not saved."""


class StopSignal:
    """Set by SIGINT/SIGTERM (or ``set``); a second SIGINT interrupts at once."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def set(self, reason: str = "stop") -> None:
        """Ask the loop to stop."""
        self.reason = self.reason or reason
        self._event.set()

    def is_set(self) -> bool:
        """Whether a stop was asked for."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True as soon as a stop is asked for."""
        return self._event.wait(seconds)

    @contextmanager
    def installed(self) -> Iterator[StopSignal]:
        """Handle SIGINT and SIGTERM while the block runs (in the main thread)."""

        def handle(number: int, _frame: FrameType | None) -> None:
            name = signal.Signals(number).name
            if number == signal.SIGINT and self.is_set():
                raise KeyboardInterrupt
            self.set(name)

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class Poller(Protocol):
    """Something ``watch`` polls: new records since its checkpoint, then commit."""

    name: str

    def poll(self, stopped: Callable[[], bool]) -> list[Mapping[str, Any]]:
        """New records, oldest first; raises Stopped when ``stopped()`` turns true."""

    def commit(self) -> None:
        """Save the checkpoint of the last poll."""


@dataclass
class _Seen:
    """A checkpoint: the newest time read, and what was seen within the overlap before it."""

    until: str = ""
    seen: dict[str, str] | None = None

    @classmethod
    def load(cls, state: NotifyState, name: str) -> _Seen:
        text = state.checkpoint(name)
        if not text:
            return cls(seen={})
        data = orjson.loads(text)
        return cls(str(data.get("until", "")), dict(data.get("seen", {})))

    def advanced(self, found: Mapping[str, str], overlap: int) -> _Seen:
        """The checkpoint after ``found`` (id -> time) was read; ids before the overlap dropped."""
        seen = {**(self.seen or {}), **found}
        until = max([self.until, *seen.values()]) if seen else self.until
        moment = parse_event_time(until)
        if moment is None:
            return _Seen(until, seen)
        cutoff = cloudtrail_time(moment - timedelta(seconds=overlap))
        return _Seen(until, {key: when for key, when in seen.items() if when >= cutoff})

    def dumps(self) -> str:
        return orjson.dumps({"until": self.until, "seen": self.seen or {}}).decode()


class LookupPoller:
    """New events of one region from LookupEvents (write events only unless told otherwise)."""

    def __init__(  # noqa: PLR0913 - the options are keyword-only
        self,
        source: LookupEventsSource,
        region: str,
        state: NotifyState,
        *,
        clock: Clock,
        lookback: int = 900,
        overlap: int = 900,
        lookups: Sequence[Lookup] = WRITE_EVENTS,
    ) -> None:
        self.name = f"LookupEvents {region}"
        self._checkpoint = f"watch:lookup:{source.account or 'default'}:{region}"
        self._source = source
        self._region = region
        self._state = state
        self._clock = clock
        self._lookback = lookback
        self._overlap = overlap
        self._lookups = tuple(lookups)
        self._pending: _Seen | None = None

    def poll(self, stopped: Callable[[], bool]) -> list[Mapping[str, Any]]:
        """Events since the checkpoint minus the overlap, not seen before, oldest first."""
        checkpoint = _Seen.load(self._state, self._checkpoint)
        start = parse_event_time(checkpoint.until)
        if start is None:
            start = self._clock() - timedelta(seconds=self._lookback)
        else:
            start -= timedelta(seconds=self._overlap)
        seen = checkpoint.seen or {}
        found: dict[str, str] = {}
        records: list[Mapping[str, Any]] = []
        for record in self._source.region_records(self._region, self._lookups, start=start):
            if stopped():
                raise Stopped
            event_id = str(record.get("eventID", ""))
            found[event_id] = str(record.get("eventTime", ""))
            if event_id not in seen:
                records.append(record)
        records.sort(key=lambda r: (str(r.get("eventTime", "")), str(r.get("eventID", ""))))
        self._pending = checkpoint.advanced(found, self._overlap)
        return records

    def commit(self) -> None:
        """Save the checkpoint of the last poll."""
        if self._pending is not None:
            self._state.save_checkpoint(self._checkpoint, self._pending.dumps())
            self._pending = None


class S3Poller:
    """New trail log files under an ``s3://bucket/prefix``, by the delivery time in their names."""

    def __init__(  # noqa: PLR0913 - the options are keyword-only
        self,
        client: Any,
        url: str,
        state: NotifyState,
        *,
        clock: Clock,
        lookback: int = 900,
        overlap: int = 900,
        on_error: Callable[[InputError], None] | None = None,
    ) -> None:
        parse_s3_url(url)
        self.name = url
        self._checkpoint = f"watch:s3:{url}"
        self._client = client
        self._url = url
        self._state = state
        self._clock = clock
        self._lookback = lookback
        self._overlap = overlap
        self._on_error = on_error
        self._pending: _Seen | None = None

    def poll(self, stopped: Callable[[], bool]) -> list[Mapping[str, Any]]:
        """The records of log files delivered since the checkpoint, oldest event first."""
        checkpoint = _Seen.load(self._state, self._checkpoint)
        after = parse_event_time(checkpoint.until)
        if after is None:
            after = self._clock() - timedelta(seconds=self._lookback)
        else:
            after -= timedelta(seconds=self._overlap)
        since = cloudtrail_time(after)
        bucket, _ = parse_s3_url(self._url)
        key_filter = KeyFilter(since=(after - timedelta(days=1)).date())
        seen = checkpoint.seen or {}
        new: list[tuple[str, str]] = []
        for key in list_log_keys(self._client, self._url, key_filter):
            stamp = _file_stamp(key)
            if stamp is not None and stamp >= since and key not in seen:
                new.append((stamp, key))
        new.sort()
        found: dict[str, str] = {}
        records: list[Mapping[str, Any]] = []
        for stamp, key in new:
            if stopped():
                raise Stopped
            records.extend(self._read(f"s3://{bucket}/{key}"))
            found[key] = stamp
        records.sort(key=lambda r: str(from_envelope(r).get("eventTime", "")))
        self._pending = checkpoint.advanced(found, self._overlap)
        return records

    def _read(self, url: str) -> list[Mapping[str, Any]]:
        data = read_object(self._client, url)
        try:
            return [
                record
                for _, record in events_in_bytes(gunzip_if_needed(data, url), url, self._on_error)
            ]
        except InputError as error:
            if self._on_error is None:
                raise
            self._on_error(error)
            return []

    def commit(self) -> None:
        """Save the checkpoint of the last poll."""
        if self._pending is not None:
            self._state.save_checkpoint(self._checkpoint, self._pending.dumps())
            self._pending = None


def _file_stamp(key: str) -> str | None:
    found = _FILE_STAMP.search(key)
    if found is None:
        return None
    year, month, day, hour, minute = found.groups()
    return f"{year}-{month}-{day}T{hour}:{minute}:00Z"


@dataclass(frozen=True)
class Cycle:
    """What one poll of one poller did."""

    poller: str
    records: int
    alerts: int
    report: Report


class Watcher:
    """Polls, detects, notifies and saves checkpoints until stopped."""

    def __init__(  # noqa: PLR0913 - the collaborators are keyword-only
        self,
        runtime: Runtime,
        pollers: Sequence[Poller],
        *,
        interval: float,
        stop: StopSignal | None = None,
        on_cycle: Callable[[Cycle], None] | None = None,
        on_error: Callable[[InputError], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.pollers = tuple(pollers)
        self.interval = interval
        self.stop = stop or StopSignal()
        self._on_cycle = on_cycle
        self._on_error = on_error
        self._thresholds = ThresholdTracker()

    def run(self, *, max_cycles: int | None = None) -> int:
        """Poll every ``interval`` seconds until stopped; returns the number of cycles run."""
        cycles = 0
        while not self.stop.is_set():
            self.run_once()
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                break
            self.stop.wait(self.interval)
        return cycles

    def run_once(self) -> list[Cycle]:
        """Poll each poller once, then retry deliveries that failed before."""
        done: list[Cycle] = []
        for poller in self.pollers:
            if self.stop.is_set():
                break
            try:
                records = poller.poll(self.stop.is_set)
            except Stopped:
                break
            except InputError as error:
                self._report_error(error)
                continue
            alerts = list(self._detect(records))
            report = self.runtime.pipeline().run(alerts)
            poller.commit()
            cycle = Cycle(poller.name, len(records), len(alerts), report)
            done.append(cycle)
            if self._on_cycle is not None:
                self._on_cycle(cycle)
        if not self.stop.is_set():
            self._redeliver()
        return done

    def _detect(self, records: Sequence[Mapping[str, Any]]) -> Iterator[Alert]:
        rule_set = self.runtime.rule_set
        for record in records:
            rules = rule_set.matching(record)
            if not rules:
                continue
            event = CloudTrailEvent(record)
            for rule in rules:
                if rule.threshold is None:
                    yield Alert.from_match(rule, event)
                elif (alert := self._thresholds.observe(rule, event)) is not None:
                    yield alert

    def _redeliver(self) -> None:
        waiting = self.runtime.state.undelivered()[:MAX_REDELIVERIES_PER_CYCLE]
        if not waiting:
            return
        report = self.runtime.pipeline().redeliver(waiting)
        if self._on_cycle is not None:
            self._on_cycle(Cycle("redelivery", 0, 0, report))

    def _report_error(self, error: InputError) -> None:
        if self._on_error is None:
            raise error
        self._on_error(error)


def lookup_pollers(  # noqa: PLR0913 - the options are keyword-only
    source: LookupEventsSource,
    state: NotifyState,
    *,
    clock: Clock,
    lookback: int,
    overlap: int,
    all_events: bool = False,
) -> list[LookupPoller]:
    """One poller per region of ``source``."""
    lookups: tuple[Lookup, ...] = () if all_events else WRITE_EVENTS
    return [
        LookupPoller(
            source, region, state, clock=clock, lookback=lookback, overlap=overlap, lookups=lookups
        )
        for region in source.regions
    ]


def checkpoint_time(state: NotifyState, name: str) -> datetime | None:
    """The newest event time a poller's checkpoint has reached (for status output)."""
    return parse_event_time(_Seen.load(state, name).until)
