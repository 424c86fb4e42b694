"""Scan CloudTrail sources with a rule set: files in parallel, thresholds in time order.

Each file (or S3 object) is read and matched on its own, so ``jobs`` processes share the work
by file. Trail files are neither ordered nor disjoint in time, so threshold matches are counted
in eventTime order: files are read in the order of the delivery time in their names, and a match
is counted once every file that could still hold an earlier event has been read. CloudTrail
delivers files about 5 minutes after the events they hold (no guarantee), so a file may hold
events up to ``lateness`` older than its name says.
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html
"""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from trailguard._gc import cyclic_gc_paused
from trailguard.alerts import Alert
from trailguard.detect import RuleSet, ThresholdMatch, TimeOrderedThresholds, threshold_matches
from trailguard.errors import InputError
from trailguard.events import CloudTrailEvent, from_envelope
from trailguard.rules import Rule
from trailguard.sources.files import (
    events_in_document,
    expand_paths,
    load_document,
    trail_records,
)
from trailguard.sources.reader import S3ClientFactory, SourceReader
from trailguard.sources.s3 import KeyFilter, is_s3_url, list_log_keys

_DAY_IN_PATH = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/[^/]*$")
_DELIVERY_STAMP = re.compile(r"_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$")
DEFAULT_LATENESS = timedelta(hours=6)
AlertSink = Callable[[Alert], None]
"""Receives each alert as soon as it is known, instead of keeping it in the result."""


@dataclass(frozen=True)
class ScanWindow:
    """The eventTime range wanted, as CloudTrail time strings (compared as text)."""

    since: str | None = None
    until: str | None = None

    @property
    def bounded(self) -> bool:
        """Whether the window leaves anything out."""
        return self.since is not None or self.until is not None

    def contains(self, event_time: object) -> bool:
        """Whether an eventTime lies within the window (inclusive)."""
        if self.since is None and self.until is None:
            return True
        if not isinstance(event_time, str):
            return False
        return (self.since is None or event_time >= self.since) and (
            self.until is None or event_time <= self.until
        )

    def key_filter(self, accounts: Sequence[str] = (), regions: Sequence[str] = ()) -> KeyFilter:
        """The S3 listing filter for this window."""
        return KeyFilter(
            since=date.fromisoformat(self.since[:10]) if self.since else None,
            until=date.fromisoformat(self.until[:10]) if self.until else None,
            accounts=accounts,
            regions=regions,
        )


@dataclass
class FileResult:
    """What one file gave: its alerts, its threshold matches, and its problems."""

    source: str
    records: int = 0
    alerts: list[Alert] = field(default_factory=list)
    threshold_matches: list[ThresholdMatch] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ScanResult:
    """Everything a scan found; ``alerts`` stays empty when they went to an ``on_alert`` sink."""

    alerts: list[Alert] = field(default_factory=list)
    files: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    alert_counts: Counter[str] = field(default_factory=Counter)
    late_threshold_matches: int = 0

    def by_rule(self) -> Counter[str]:
        """Alert counts per rule id."""
        return self.alert_counts


@dataclass
class _Worker:
    """The per-process state of a scan: the rules, the window and the source reader."""

    rule_set: RuleSet
    window: ScanWindow
    reader: SourceReader

    def scan(self, source: str) -> FileResult:
        result = FileResult(source)
        try:
            data = self.reader.read(source)
        except InputError as error:
            result.problems.append(str(error))
            return result
        with cyclic_gc_paused():
            document = load_document(data)
            records = trail_records(document)
            if records is not None:
                self._scan_records(records, result)
            else:
                self._scan_events(document, data, result)
        return result

    def _scan_records(self, records: list[Any], result: FileResult) -> None:
        """The hot path: the records of a trail log file, as CloudTrail wrote them."""
        window = self.window
        keep = (lambda record: window.contains(record.get("eventTime"))) if window.bounded else None
        result.records, found = self.rule_set.match_records(records, keep)
        for record, rules in found:
            _found(rules, record, result)

    def _scan_events(self, document: Any, data: bytes, result: FileResult) -> None:
        """Any other content: JSON Lines, EventBridge envelopes, LookupEvents output ..."""
        problems: list[InputError] = []
        matching = self.rule_set.matching
        try:
            for _, event in events_in_document(document, data, result.source, problems.append):
                record = from_envelope(event)
                if not self.window.contains(record.get("eventTime")):
                    continue
                result.records += 1
                rules = matching(event)
                if rules:
                    _found(rules, record, result)
        except InputError as error:  # the whole file is unreadable (not CloudTrail, say)
            problems.append(error)
        result.problems = [str(problem) for problem in problems]


def _found(rules: list[Rule], record: Mapping[str, Any], result: FileResult) -> None:
    counted = [rule for rule in rules if rule.threshold is not None]
    if counted:
        result.threshold_matches += threshold_matches(counted, record)
    if len(counted) < len(rules):
        event = CloudTrailEvent(record)
        result.alerts += [Alert.from_match(r, event) for r in rules if r.threshold is None]


_worker: _Worker | None = None


def _scan_in_child(source: str) -> FileResult:
    assert _worker is not None
    return _worker.scan(source)


def expand_sources(
    sources: Iterable[str],
    window: ScanWindow,
    *,
    s3_client_factory: S3ClientFactory | None = None,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> Iterator[str]:
    """Every file and S3 object to read, pruned by the window where the layout allows."""
    key_filter = window.key_filter(accounts, regions)
    client = None
    for source in sources:
        if is_s3_url(source):
            if s3_client_factory is None:
                raise InputError("reading s3:// sources needs an S3 client")
            client = client or s3_client_factory()
            bucket = source[5:].split("/", 1)[0]
            for key in list_log_keys(client, source, key_filter):
                yield f"s3://{bucket}/{key}"
            continue
        for path in expand_paths([source]):
            if _day_of(path, key_filter):
                yield path


def _day_of(path: str, key_filter: KeyFilter) -> bool:
    found = _DAY_IN_PATH.search(path.replace("\\", "/"))
    if not found:
        return True
    return key_filter.keeps_day([int(part) for part in found.groups()])


def delivery_order(sources: Iterable[str]) -> list[tuple[str | None, str]]:
    """``(watermark stamp, source)`` in reading order: files without a delivery time first.

    The stamp is the delivery time in a trail file's name as a CloudTrail time string, or None.
    """
    stamped: list[tuple[str, str]] = []
    unstamped: list[str] = []
    for source in sources:
        found = _DELIVERY_STAMP.search(source)
        if found is None:
            unstamped.append(source)
        else:
            year, month, day, hour, minute = found.groups()
            stamped.append((f"{year}-{month}-{day}T{hour}:{minute}:00Z", source))
    stamped.sort()
    return [(None, source) for source in unstamped] + [(stamp, source) for stamp, source in stamped]


def _watermark(stamp: str | None, lateness: timedelta) -> str | None:
    if stamp is None:
        return ""
    moment = datetime.fromisoformat(stamp) - lateness
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def scan(  # noqa: PLR0913 - the options are keyword-only
    sources: Sequence[str],
    rule_set: RuleSet,
    *,
    window: ScanWindow | None = None,
    jobs: int = 1,
    s3_client_factory: S3ClientFactory | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    on_alert: AlertSink | None = None,
    lateness: timedelta = DEFAULT_LATENESS,
) -> ScanResult:
    """Scan every source with ``rule_set``.

    Without ``on_alert`` the alerts are kept in the result, sorted by eventTime. With it, each
    alert goes to the sink as soon as it is known and memory stays flat however large the scan.
    ``jobs`` > 1 reads files in that many processes (forked, so the compiled rules are shared).
    ``on_file`` is called after each file, for progress and for reporting problems as they occur.
    """
    global _worker  # noqa: PLW0603 - the forked processes inherit the worker through it
    window = window or ScanWindow()
    worker = _Worker(rule_set, window, SourceReader(s3_client_factory))
    ordered = delivery_order(expand_sources(sources, window, s3_client_factory=s3_client_factory))
    result = ScanResult()
    thresholds = TimeOrderedThresholds(rule_set.rules)

    def emit(alert: Alert) -> None:
        result.alert_counts[alert.rule_id] += 1
        if on_alert is None:
            result.alerts.append(alert)
        else:
            on_alert(alert)

    def collect(stamp: str | None, file_result: FileResult) -> None:
        result.files += 1
        result.records += file_result.records
        result.problems.extend(file_result.problems)
        for alert in file_result.alerts:
            emit(alert)
        for match in file_result.threshold_matches:
            late_alert = thresholds.add(match)
            if late_alert is not None:
                emit(late_alert)
        for alert in thresholds.release(_watermark(stamp, lateness)):
            emit(alert)
        if on_file is not None:
            on_file(file_result)

    stamps = [stamp for stamp, _ in ordered]
    files = [source for _, source in ordered]
    if jobs > 1 and len(files) > 1:
        _worker = worker
        try:
            context = multiprocessing.get_context("fork")
            # The parent unpickles every file's results; they are trees like the records.
            with context.Pool(jobs) as pool, cyclic_gc_paused():
                results = pool.imap(_scan_in_child, files, chunksize=4)
                for stamp, file_result in zip(stamps, results, strict=True):
                    collect(stamp, file_result)
        finally:
            _worker = None
    else:
        for stamp, source in ordered:
            collect(stamp, worker.scan(source))

    for alert in thresholds.release():
        emit(alert)
    result.late_threshold_matches = thresholds.late
    result.alerts.sort(key=lambda a: (a.event_time, a.rule_id, a.event_id))
    return result
