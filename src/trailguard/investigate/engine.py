"""Run a query over CloudTrail sources: files, folders, ``s3://``, stdin or the LookupEvents API.

Files are read one at a time (``jobs`` forked processes share them, as ``scan`` does); each is
first checked by the raw-text pre-filter, then parsed and tested record by record. Matches come
back as compact JSON and are kept in eventTime order by a spool that spills to disk.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from trailguard._gc import cyclic_gc_paused
from trailguard.errors import InputError
from trailguard.investigate.prefilter import RawPrefilter
from trailguard.investigate.query import CompiledQuery, Query
from trailguard.investigate.spool import DEFAULT_MEMORY_LIMIT, SortedSpool
from trailguard.scan import expand_sources
from trailguard.sources.files import events_in_document, load_document, trail_records
from trailguard.sources.lookup_api import Lookup, LookupEventsSource
from trailguard.sources.reader import S3ClientFactory, SourceReader

Match = tuple[str, str, bytes]
"""``(eventTime, eventID, record as compact JSON)``."""

MAX_LOOKUPS_PER_REGION = 30
"""More values than this for one attribute are filtered locally rather than looked up one by one."""


@dataclass
class FileMatches:
    """What one file gave: its matches, how many records it held, and its problems."""

    source: str
    matches: list[Match] = field(default_factory=list)
    records: int = 0
    skipped: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    """The matches in eventTime order, and what was read to find them."""

    matches: SortedSpool
    files: int = 0
    skipped_files: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    lookups: tuple[Lookup, ...] = ()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The matching records, oldest first."""
        for line in self.matches:
            yield orjson.loads(line)

    def __len__(self) -> int:
        return len(self.matches)

    def close(self) -> None:
        """Delete the spool's temporary files."""
        self.matches.close()


@dataclass
class _Reader:
    """The per-process state of a search: the compiled query, its pre-filter, an S3 client."""

    compiled: CompiledQuery
    s3_client_factory: S3ClientFactory | None
    prefilter: RawPrefilter = field(init=False)
    sources: SourceReader = field(init=False)

    def __post_init__(self) -> None:
        self.prefilter = RawPrefilter(self.compiled.literal_groups)
        self.sources = SourceReader(self.s3_client_factory)

    def read(self, source: str) -> FileMatches:
        result = FileMatches(source)
        try:
            data = self.sources.read(source)
        except InputError as error:
            result.problems.append(str(error))
            return result
        if not self.prefilter.might_match(data):
            result.skipped = True
            return result
        with cyclic_gc_paused():
            self._match(data, result)
        return result

    def _match(self, data: bytes, result: FileMatches) -> None:
        problems: list[InputError] = []
        test = self.compiled.matches
        dumps = orjson.dumps
        matches = result.matches
        document = load_document(data)
        records = trail_records(document)
        if records is None:
            found = events_in_document(document, data, result.source, problems.append)
            events = (event for _, event in found)
            records = [
                event["detail"] if "detail-type" in event and "detail" in event else event
                for event in events
            ]
        for record in records:
            if type(record) is dict and test(record):
                matches.append(
                    (_text(record.get("eventTime")), _text(record.get("eventID")), dumps(record))
                )
        result.records = len(records)
        result.problems = [str(problem) for problem in problems]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def file_searcher(
    query: CompiledQuery, s3_client_factory: S3ClientFactory | None = None
) -> Callable[[str], FileMatches]:
    """Search one file or S3 object at a time exactly as ``search_files`` does, pre-filter included.

    Build it once per process (the pre-filter is derived from the query) and call it per file;
    other engines (Spark executors) reuse the per-file matching through it.
    """
    return _Reader(query, s3_client_factory).read


_reader: _Reader | None = None


def _read_in_child(source: str) -> FileMatches:
    assert _reader is not None
    return _reader.read(source)


def search_files(  # noqa: PLR0913 - the options are keyword-only
    sources: Sequence[str],
    query: Query | CompiledQuery,
    *,
    jobs: int = 1,
    s3_client_factory: S3ClientFactory | None = None,
    on_file: Callable[[FileMatches], None] | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> SearchResult:
    """Search files, folders, ``s3://`` prefixes and ``-`` (stdin) for the query's records.

    S3 listings and folder walks skip days outside the time range, and accounts and regions the
    query excludes. ``jobs`` > 1 reads files in that many forked processes. ``on_file`` is
    called after each file (progress, problems as they occur).
    """
    global _reader  # noqa: PLW0603 - the forked processes inherit the reader through it
    compiled = query if isinstance(query, CompiledQuery) else query.compile()
    plain = compiled.query
    files = list(
        expand_sources(
            sources,
            plain.window,
            s3_client_factory=s3_client_factory,
            accounts=plain.accounts,
            regions=plain.regions,
        )
    )
    reader = _Reader(compiled, s3_client_factory)
    result = SearchResult(SortedSpool(memory_limit))

    def collect(found: FileMatches) -> None:
        result.files += 1
        result.skipped_files += found.skipped
        result.records += found.records
        result.problems.extend(found.problems)
        for event_time, event_id, line in found.matches:
            result.matches.add(event_time, event_id, line)
        if on_file is not None:
            on_file(found)

    if jobs > 1 and len(files) > 1:
        _reader = reader
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(min(jobs, len(files))) as pool:
                for found in pool.imap(_read_in_child, files, chunksize=2):
                    collect(found)
        finally:
            _reader = None
    else:
        for source in files:
            collect(reader.read(source))
    return result


@dataclass(frozen=True)
class LookupPlan:
    """Which lookup attribute LookupEvents filters on, and what is left to test locally."""

    key: str | None
    values: tuple[str, ...]
    local: Query

    @property
    def lookups(self) -> tuple[Lookup, ...]:
        """One ``(AttributeKey, AttributeValue)`` per call sequence."""
        return tuple((self.key, value) for value in self.values) if self.key else ()


# Query fields by lookup attribute, most selective first (LOOKUP_ATTRIBUTE_KEYS).
_LOOKUP_FIELDS = (
    ("EventId", "event_ids"),
    ("AccessKeyId", "access_keys"),
    ("Username", "users"),
    ("ResourceName", "resource_names"),
    ("EventName", "event_names"),
    ("ResourceType", "resource_types"),
    ("EventSource", "event_sources"),
)


def plan_lookup(query: Query) -> LookupPlan:
    """The most selective condition LookupEvents can apply itself; the rest stays local.

    LookupEvents matches one attribute exactly, so globs cannot be sent; several values become
    one call sequence each. The condition sent is then CloudTrail's to apply, and is not
    tested again locally (its ``Username`` and ``ResourceName`` differ from the local ones).
    """
    for key, name in _LOOKUP_FIELDS:
        values: tuple[str, ...] = getattr(query, name)
        if (
            values
            and len(values) <= MAX_LOOKUPS_PER_REGION
            and not any("*" in value or "?" in value for value in values)
        ):
            cleared: dict[str, Any] = {name: ()}
            return LookupPlan(key, tuple(dict.fromkeys(values)), replace(query, **cleared))
    if query.read_only is not None:
        value = "true" if query.read_only else "false"
        return LookupPlan("ReadOnly", (value,), replace(query, read_only=None))
    return LookupPlan(None, (), query)


def search_lookup_events(
    source: LookupEventsSource,
    query: Query,
    *,
    on_error: Callable[[InputError], None] | None = None,
    on_record: Callable[[int], None] | None = None,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
) -> SearchResult:
    """Search the LookupEvents API of the source's regions; other conditions are tested locally."""
    plan = plan_lookup(query)
    compiled = plan.local.compile()
    query.compile()  # the conditions sent to CloudTrail are validated too
    result = SearchResult(SortedSpool(memory_limit), lookups=plan.lookups)
    problems: list[InputError] = []

    def report(error: InputError) -> None:
        problems.append(error)
        if on_error is not None:
            on_error(error)

    for _, record in source.records(
        plan.lookups, start=query.since, end=query.until, on_error=report
    ):
        result.records += 1
        if compiled.matches(record):
            result.matches.add(
                _text(record.get("eventTime")), _text(record.get("eventID")), orjson.dumps(record)
            )
        if on_record is not None:
            on_record(result.records)
    result.problems = [str(problem) for problem in problems]
    return result
