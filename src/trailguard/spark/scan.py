"""``scan`` on Spark: files split across executors, thresholds counted per group in time order.

Each executor partition compiles the rules once and reads its files with trailguard's readers,
exactly as a single-machine worker does. A threshold rule's matches are shuffled by (rule,
group), sorted by (eventTime, eventID, file, position) and fed to the same ``ThresholdTracker``:
the tracker keeps one independent window per (rule, group), so counting each group in time order
gives the alerts the single-machine scan gives. It is exact even for matches delivered more than
the single-machine scan's lateness bound after their eventTime (which that scan counts late).
Records with the same eventTime and eventID (a file delivered twice) are taken in file order.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from trailguard._gc import cyclic_gc_paused
from trailguard.alerts import Alert
from trailguard.detect import ThresholdTracker, group_key
from trailguard.errors import InputError
from trailguard.events import CloudTrailEvent
from trailguard.rules.model import Rule
from trailguard.scan import ScanWindow
from trailguard.sources.reader import SourceReader
from trailguard.spark.output import ALERT_SCHEMA, SparkOutput, alert_row, write_lines
from trailguard.spark.rules import RuleSource, compile_rules, rule_sources
from trailguard.spark.sources import S3Settings, list_files

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

# What one partition emits, told apart by the first item.
_FILE, _ALERT, _MATCH = 0, 1, 2
AlertKey = tuple[str, str, str, int, int]
"""``(eventTime, rule id, eventID, file number, position)``: the order alerts are given in."""
MatchKey = tuple[str, str, str, str, int, int]
"""``(rule id, group as JSON, eventTime, eventID, file number, position)``."""


@dataclass
class SparkScanResult:
    """What a Spark scan found: the alerts (unless streamed or written), counts and problems."""

    alerts: list[Alert] = field(default_factory=list)
    files: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    alert_counts: Counter[str] = field(default_factory=Counter)
    late_threshold_matches: int = 0
    """Always 0: Spark counts every threshold match in eventTime order, however late it came."""

    def by_rule(self) -> Counter[str]:
        """Alert counts per rule id."""
        return self.alert_counts


def scan_on_spark(  # noqa: PLR0913 - the options are keyword-only
    spark: SparkSession,
    sources: Sequence[str],
    rules: Sequence[Rule],
    *,
    window: ScanWindow | None = None,
    s3: S3Settings | None = None,
    output: SparkOutput | None = None,
    on_alert: Callable[[Alert], None] | None = None,
    on_problem: Callable[[str], None] | None = None,
    partitions: int | None = None,
) -> SparkScanResult:
    """Scan ``sources`` (files, folders, s3:// or s3a:// prefixes) with ``rules`` on Spark.

    Args:
        spark: The session; its master decides where the work runs.
        sources: What to scan; listed and pruned by ``window`` on the driver.
        rules: Rules loaded from files (they are shipped to executors as their YAML text).
        window: Only events in this eventTime range.
        s3: The S3 client settings for the driver and the executors.
        output: Write the alerts there with Spark instead of bringing them to the driver.
        on_alert: Receives each alert in (eventTime, rule, eventID) order; without it (and
            without ``output``) they are kept in the result.
        on_problem: Receives each unreadable file's problem, in reading order, before any alert.
        partitions: How many tasks share the files (default: twice the cluster's cores).

    Returns:
        The counts and problems, and the alerts when neither ``on_alert`` nor ``output`` took them.
    """
    window = window or ScanWindow()
    s3 = s3 or S3Settings.from_environment()
    files = list_files(sources, window, s3)
    shipped = rule_sources(rules)
    context = spark.sparkContext
    slices = max(1, min(len(files), partitions or 2 * context.defaultParallelism))
    read = context.parallelize(list(enumerate(files)), slices).mapPartitions(
        _scan_files(shipped, window, s3)
    )
    from pyspark import StorageLevel  # noqa: PLC0415 - PySpark is optional

    # Read once: the file counts, the alerts and the threshold matches all come from it.
    read.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        result = _file_counts(read.filter(lambda item: item[0] == _FILE).collect())
        for problem in result.problems:
            if on_problem is not None:
                on_problem(problem)
        plain = read.filter(lambda item: item[0] == _ALERT).map(lambda item: (item[1], item[2]))
        matches = read.filter(lambda item: item[0] == _MATCH).map(lambda item: (item[1], item[2]))
        thresholds = [source for source, rule in zip(shipped, rules, strict=True) if rule.threshold]
        counted = matches.repartitionAndSortWithinPartitions(
            max(1, context.defaultParallelism), partitionFunc=_group_partition
        ).mapPartitions(_count_thresholds(thresholds))
        alerts = plain.union(counted)
        ordered: RDD[tuple[AlertKey, bytes]]
        if output is not None:
            ordered = alerts.sortByKey().persist(StorageLevel.MEMORY_AND_DISK)
            result.alert_counts.update(ordered.map(lambda item: item[0][1]).countByValue())
            write_lines(spark, ordered.values(), output, schema=ALERT_SCHEMA, to_row=alert_row)
            ordered.unpersist()
        else:
            # One sorted partition (Spark's sort spills to disk): no sampling job, and the
            # driver fetches it in one job; alerts are few next to the records read.
            ordered = alerts.sortByKey(numPartitions=1)
            for _, line in ordered.toLocalIterator():
                alert = Alert.from_dict(orjson.loads(line))
                result.alert_counts[alert.rule_id] += 1
                if on_alert is None:
                    result.alerts.append(alert)
                else:
                    on_alert(alert)
    finally:
        read.unpersist()
    return result


def _file_counts(rows: Iterable[tuple[Any, ...]]) -> SparkScanResult:
    result = SparkScanResult()
    for _, _, records, problems in sorted(rows, key=lambda row: row[1]):
        result.files += 1
        result.records += records
        result.problems.extend(problems)
    return result


def _scan_files(
    shipped: Sequence[RuleSource], window: ScanWindow, s3: S3Settings
) -> Callable[[Iterable[tuple[int, str]]], Iterator[tuple[Any, ...]]]:
    """The executor side: compile the rules once per partition, then read its files."""

    def scan_partition(numbered: Iterable[tuple[int, str]]) -> Iterator[tuple[Any, ...]]:
        rule_set = compile_rules(shipped)
        reader = SourceReader(s3.client)
        for number, source in numbered:
            problems: list[InputError] = []
            records = 0
            found: list[tuple[Any, ...]] = []
            # A file's records are one large tree of new objects: the cyclic collector would
            # walk it again and again for nothing (as in the single-machine scan).
            with cyclic_gc_paused():
                for position, event in reader.events(source, problems.append):
                    record = event.get("detail", event) if "detail-type" in event else event
                    if not window.contains(record.get("eventTime")):
                        continue
                    records += 1
                    found.extend(
                        _emit(rule, record, number, position) for rule in rule_set.matching(event)
                    )
            yield from found
            yield (_FILE, number, records, [str(problem) for problem in problems])

    return scan_partition


def _emit(rule: Rule, record: Any, number: int, position: int) -> tuple[Any, ...]:
    event_time = str(record.get("eventTime", ""))
    event_id = str(record.get("eventID", ""))
    if rule.threshold is None:
        alert = Alert.from_match(rule, CloudTrailEvent(record))
        key: AlertKey = (alert.event_time, rule.id, alert.event_id, number, position)
        return (_ALERT, key, orjson.dumps(alert.to_dict()))
    group = orjson.dumps(group_key(record, rule.threshold.group_by)).decode()
    match: MatchKey = (rule.id, group, event_time, event_id, number, position)
    return (_MATCH, match, orjson.dumps(record))


def _group_partition(key: MatchKey) -> int:
    # A stable hash (not Python's salted one): every match of a group meets in one partition.
    return zlib.crc32(f"{key[0]}\0{key[1]}".encode())


def _count_thresholds(
    shipped: Sequence[RuleSource],
) -> Callable[[Iterable[tuple[MatchKey, bytes]]], Iterator[tuple[AlertKey, bytes]]]:
    """The executor side: one group's matches after another, each in time order."""

    def count_partition(
        matches: Iterable[tuple[MatchKey, bytes]],
    ) -> Iterator[tuple[AlertKey, bytes]]:
        rules = compile_rules(shipped).rules
        tracker = ThresholdTracker()
        current: tuple[str, str] | None = None
        for key, line in matches:
            if key[:2] != current:
                # A new group: the previous one's window is done with.
                current, tracker = (key[0], key[1]), ThresholdTracker()
            alert = tracker.observe(rules[key[0]], CloudTrailEvent(orjson.loads(line)))
            if alert is not None:
                alert_key = (alert.event_time, alert.rule_id, alert.event_id, key[4], key[5])
                yield alert_key, orjson.dumps(alert.to_dict())

    return count_partition
