"""Matches kept in eventTime order with bounded memory: sorted runs spill to temporary files."""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterator
from typing import IO, Self

import orjson

SortKey = tuple[str, str, int]
"""``(eventTime, eventID, arrival number)``: time order, the same whatever the reading order."""

DEFAULT_MEMORY_LIMIT = 32 * 1024 * 1024


class SortedSpool:
    """Collects ``(key, JSON line)`` pairs; gives the lines back sorted by key, as often as asked.

    Past ``memory_limit`` bytes of lines, the buffer is sorted and written to a temporary file;
    iterating merges those runs with the buffer, so memory stays flat however many matches.
    """

    def __init__(self, memory_limit: int = DEFAULT_MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self._buffer: list[tuple[SortKey, bytes]] = []
        self._buffered_bytes = 0
        self._runs: list[IO[bytes]] = []
        self._count = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self._count

    def add(self, event_time: str, event_id: str, line: bytes) -> None:
        """Keep one match (``line`` is the record as compact JSON)."""
        self._buffer.append(((event_time, event_id, self._count), line))
        self._count += 1
        self._buffered_bytes += len(line) + len(event_time) + len(event_id) + 64
        if self._buffered_bytes > self.memory_limit:
            self._spill()

    def _spill(self) -> None:
        self._buffer.sort()
        run = tempfile.TemporaryFile(prefix="trailguard-search-")  # noqa: SIM115 - closed in close()
        for key, line in self._buffer:
            run.write(orjson.dumps(key) + b"\t" + line + b"\n")
        self._runs.append(run)
        self._buffer = []
        self._buffered_bytes = 0

    def __iter__(self) -> Iterator[bytes]:
        self._buffer.sort()
        streams = [_read_run(run) for run in self._runs]
        streams.append(iter(self._buffer))
        for _, line in heapq.merge(*streams):
            yield line

    def close(self) -> None:
        """Delete the temporary files."""
        for run in self._runs:
            run.close()
        self._runs = []
        self._buffer = []


def _read_run(run: IO[bytes]) -> Iterator[tuple[SortKey, bytes]]:
    run.seek(0)
    for text in run:
        key, _, line = text.rstrip(b"\n").partition(b"\t")
        event_time, event_id, number = orjson.loads(key)
        yield (event_time, event_id, number), line
