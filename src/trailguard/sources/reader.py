"""Whole files and S3 objects as bytes, for the engines that read one source at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from trailguard.errors import InputError
from trailguard.sources.files import (
    ErrorHandler,
    Located,
    events_in_bytes,
    gunzip_if_needed,
    read_bytes,
)
from trailguard.sources.s3 import is_s3_url, read_object

S3ClientFactory = Callable[[], Any]
"""Builds an S3 client; called once per process that reads from S3."""


class SourceReader:
    """Reads a file, ``-`` or an ``s3://`` object, gunzipped; the S3 client is made on first use.

    One per process: scan and search workers, and Spark executors, each build their own.
    """

    def __init__(self, s3_client_factory: S3ClientFactory | None = None) -> None:
        self._s3_client_factory = s3_client_factory
        self._s3_client: Any = None

    def s3_client(self) -> Any:
        """This process's S3 client."""
        if self._s3_client is None:
            if self._s3_client_factory is None:
                raise InputError("reading s3:// sources needs an S3 client")
            self._s3_client = self._s3_client_factory()
        return self._s3_client

    def read(self, source: str) -> bytes:
        """The whole content of ``source``; InputError names it and the reason."""
        if is_s3_url(source):
            return gunzip_if_needed(read_object(self.s3_client(), source), source)
        return read_bytes(source)

    def events(self, source: str, on_error: ErrorHandler) -> Iterator[Located]:
        """``(position, event)`` of every event in ``source``; problems go to ``on_error``."""
        try:
            data = self.read(source)
        except InputError as error:
            on_error(error)
            return iter(())
        return events_in_bytes(data, source, on_error)
