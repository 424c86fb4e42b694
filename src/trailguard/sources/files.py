"""CloudTrail events from local files, folders and standard input.

A file may be gzip-compressed or not, one JSON document or JSON Lines; folders are walked in
name order (the S3 delivery layout sorts by time that way). CloudTrail-Digest and
CloudTrail-Insight files have other schemas and are skipped unless asked for.
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from isal import igzip

from trailguard.errors import InputError, Location
from trailguard.sources.documents import events_from_document, is_cloudtrail_document

STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
LOG_FILE_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".gz")
SKIPPED_DIRECTORIES = ("CloudTrail-Digest", "CloudTrail-Insight")

ErrorHandler = Callable[[InputError], None]
"""Called with each problem when the caller wants to report it and go on."""

Located = tuple[int, Mapping[str, Any]]
"""An event and its position: its line in JSON Lines, else its index in the file (1-based)."""


def expand_paths(paths: Iterable[str], *, include_insights: bool = False) -> Iterator[str]:
    """Files named, and the log files under folders named, in order; ``-`` stays ``-``."""
    skipped = SKIPPED_DIRECTORIES if not include_insights else SKIPPED_DIRECTORIES[:1]
    for path in paths:
        if path == STDIN or not Path(path).is_dir():
            yield path
            continue
        # os.walk lets us prune the digest folders before descending into them.
        for root, directories, files in os.walk(path):
            directories[:] = sorted(d for d in directories if d not in skipped)
            for name in sorted(files):
                if name.endswith(LOG_FILE_SUFFIXES) and not _is_skipped_name(name, skipped):
                    yield os.path.join(root, name)  # noqa: PTH118 - strings, as os.walk gives


def _is_skipped_name(name: str, skipped: tuple[str, ...]) -> bool:
    return any(f"_{kind}_" in name for kind in skipped)


def read_bytes(path: str) -> bytes:
    """The content of ``path`` (``-`` is standard input), gunzipped when it is gzip."""
    try:
        data = sys.stdin.buffer.read() if path == STDIN else Path(path).read_bytes()
    except OSError as error:
        raise InputError(error.strerror or str(error), location=Location(path)) from None
    return gunzip_if_needed(data, path)


def read_events(path: str, on_error: ErrorHandler | None = None) -> Iterator[Located]:
    """Yield ``(position, event)`` for every CloudTrail event in one file.

    Problems raise InputError naming the file and line, unless ``on_error`` is given: then each
    is reported to it and reading goes on with the next line (or the next file).
    """
    try:
        data = read_bytes(path)
        yield from events_in_bytes(data, path, on_error)
    except InputError as error:
        if on_error is None:
            raise
        on_error(error)


def gunzip_if_needed(data: bytes, origin: str) -> bytes:
    """``data`` gunzipped when it starts with the gzip magic number, else as it is."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return bytes(igzip.decompress(data))  # type: ignore[no-untyped-call]
    except (OSError, EOFError, ValueError) as error:
        raise InputError(f"corrupt gzip data: {error}", location=Location(origin)) from None


def events_in_bytes(
    data: bytes, path: str, on_error: ErrorHandler | None = None
) -> Iterator[Located]:
    """Yield ``(position, event)`` from the (already gunzipped) content of one file or object."""
    return events_in_document(load_document(data), data, path, on_error)


NOT_ONE_DOCUMENT = object()
"""What ``load_document`` returns for content that is not one JSON document (JSON Lines, say)."""


def load_document(data: bytes) -> Any:
    """The content parsed as one JSON document, or NOT_ONE_DOCUMENT."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return NOT_ONE_DOCUMENT


def trail_records(document: Any) -> list[Any] | None:
    """The ``Records`` list of a trail log file, or None for any other document.

    Its items are the bare records as CloudTrail wrote them (a non-object item is skipped by the
    caller, as ``events_in_document`` skips it). A list holding EventBridge envelopes, which
    CloudTrail never writes, is left to ``events_in_document``, which unwraps them.
    """
    records = document.get("Records") if type(document) is dict else None
    if type(records) is not list or any(
        type(record) is dict and "detail-type" in record for record in records
    ):
        return None
    return records


def events_in_document(
    document: Any, data: bytes, path: str, on_error: ErrorHandler | None = None
) -> Iterator[Located]:
    """``events_in_bytes`` for content already parsed by ``load_document``."""
    records = document.get("Records") if isinstance(document, dict) else None
    if isinstance(records, list):
        # A trail log file, by far the most common input: no further dispatch per record.
        for index, record in enumerate(records, start=1):
            if isinstance(record, dict):
                yield index, record
        return
    if document is not NOT_ONE_DOCUMENT:
        yield from _located(document, path, line=None)
        return
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield from _located(orjson.loads(line), path, line=number)
        except (orjson.JSONDecodeError, InputError) as error:
            problem = InputError(_reason(error), location=Location(path, number))
            if on_error is None:
                raise problem from None
            on_error(problem)


def _located(document: Any, path: str, line: int | None) -> Iterator[Located]:
    try:
        for index, event in enumerate(events_from_document(document), start=1):
            yield (line if line is not None else index), event
    except InputError as error:
        raise InputError(error.message, location=Location(path, line)) from None


def _reason(error: Exception) -> str:
    if isinstance(error, InputError):
        return error.message
    return f"not JSON: {error}"


def read_lines_or_records(path: str) -> tuple[bool, list[Located] | list[tuple[int, str]]]:
    """Read a file for CloudWatch Logs matching: CloudTrail events if it holds them, else lines.

    Returns ``(True, [(position, event), ...])`` for CloudTrail content, or
    ``(False, [(line_number, text), ...])`` for a plain log file (one log event per line).
    """
    data = read_bytes(path)
    document = load_document(data)
    if document is not NOT_ONE_DOCUMENT and is_cloudtrail_document(document):
        return True, list(_located(document, path, line=None))
    lines = data.decode("utf-8", errors="replace").splitlines()
    parsed = _parse_all_lines(lines)
    if parsed is not None:
        return True, [
            (number, event)
            for number, document in parsed
            for event in events_from_document(document)
        ]
    return False, [(number, text) for number, text in enumerate(lines, start=1) if text]


def _parse_all_lines(lines: list[str]) -> list[tuple[int, Any]] | None:
    """Every non-empty line parsed, when all are CloudTrail documents; else None."""
    parsed: list[tuple[int, Any]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if not is_cloudtrail_document(document):
            return None
        parsed.append((number, document))
    return parsed or None
