"""``search`` on Spark: files split across executors, matches brought back in eventTime order.

Each partition compiles the query once and searches its files with the engine's own per-file
matcher (raw-text pre-filter included). Matches are sorted by (eventTime, eventID, file,
position), the order the single-machine search gives, and either streamed to the driver into a
``SearchResult`` (so summaries, timelines and reports work unchanged) or written by Spark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trailguard.investigate.engine import SearchResult, file_searcher
from trailguard.investigate.query import Query
from trailguard.investigate.spool import DEFAULT_MEMORY_LIMIT, SortedSpool
from trailguard.spark.output import EVENT_SCHEMA, SparkOutput, event_row, write_lines
from trailguard.spark.sources import S3Settings, list_files

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

_FILE, _MATCH = 0, 1
MatchKey = tuple[str, str, int, int]
"""``(eventTime, eventID, file number, position among the file's matches)``."""


@dataclass
class SearchWritten:
    """What a search that Spark wrote to a directory read and found."""

    matches: int = 0
    files: int = 0
    skipped_files: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)


def search_on_spark(  # noqa: PLR0913 - the options are keyword-only
    spark: SparkSession,
    sources: Sequence[str],
    query: Query,
    *,
    s3: S3Settings | None = None,
    output: SparkOutput | None = None,
    on_problem: Callable[[str], None] | None = None,
    partitions: int | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> SearchResult | SearchWritten:
    """Search ``sources`` (files, folders, s3:// or s3a:// prefixes) for ``query`` on Spark.

    Args:
        spark: The session; its master decides where the work runs.
        sources: What to search; listed and pruned by the query's time, accounts and regions.
        query: The conditions (compiled again in each partition).
        s3: The S3 client settings for the driver and the executors.
        output: Write the matching records there with Spark instead of returning them.
        on_problem: Receives each unreadable file's problem, in reading order.
        partitions: How many tasks share the files (default: twice the cluster's cores).
        memory_limit: Bytes of matches the driver keeps in memory before spilling to disk.

    Returns:
        A ``SearchResult`` with the matches in eventTime order, or, with ``output``, the counts.
    """
    query.compile()  # a bad condition is reported before Spark starts any work
    s3 = s3 or S3Settings.from_environment()
    files = list_files(sources, query.window, s3, accounts=query.accounts, regions=query.regions)
    context = spark.sparkContext
    slices = max(1, min(len(files), partitions or 2 * context.defaultParallelism))
    read = context.parallelize(list(enumerate(files)), slices).mapPartitions(
        _search_files(query, s3)
    )
    from pyspark import StorageLevel  # noqa: PLC0415 - PySpark is optional

    read.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = SearchWritten()
        for _, _, records, skipped, problems in sorted(
            read.filter(lambda item: item[0] == _FILE).collect(), key=lambda row: row[1]
        ):
            counts.files += 1
            counts.records += records
            counts.skipped_files += skipped
            counts.problems.extend(problems)
        for problem in counts.problems:
            if on_problem is not None:
                on_problem(problem)
        matches: RDD[tuple[MatchKey, bytes]] = read.filter(lambda item: item[0] == _MATCH).map(
            lambda item: (item[1], item[2])
        )
        if output is not None:
            ordered: RDD[tuple[MatchKey, bytes]] = matches.sortByKey()
            ordered.persist(StorageLevel.MEMORY_AND_DISK)
            counts.matches = ordered.count()
            write_lines(spark, ordered.values(), output, schema=EVENT_SCHEMA, to_row=event_row)
            ordered.unpersist()
            return counts
        result = SearchResult(
            SortedSpool(memory_limit),
            files=counts.files,
            skipped_files=counts.skipped_files,
            records=counts.records,
            problems=counts.problems,
        )
        # Partitions hold consecutive files and give their matches in file order: this is the
        # single-machine arrival order, and the spool sorts by (eventTime, eventID, arrival).
        for (event_time, event_id, _, _), line in matches.toLocalIterator():
            result.matches.add(event_time, event_id, line)
        return result
    finally:
        read.unpersist()


def _search_files(
    query: Query, s3: S3Settings
) -> Callable[[Iterable[tuple[int, str]]], Iterator[tuple[Any, ...]]]:
    """The executor side: compile the query once per partition, then search its files."""

    def search_partition(numbered: Iterable[tuple[int, str]]) -> Iterator[tuple[Any, ...]]:
        search = file_searcher(query.compile(), s3.client)
        for number, source in numbered:
            found = search(source)
            for position, (event_time, event_id, line) in enumerate(found.matches):
                key: MatchKey = (event_time, event_id, number, position)
                yield (_MATCH, key, line)
            yield (_FILE, number, found.records, found.skipped, found.problems)

    return search_partition
