"""Printing results: one ``--format`` option and one function for every command that lists rows."""

from __future__ import annotations

import csv
import io
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Self, TextIO, TypeVar

import click
import orjson

FORMATS = ("table", "json", "jsonl", "csv")
F = TypeVar("F", bound=Callable[..., Any])


def output_options(function: F) -> F:
    """Add ``--format`` and ``--output`` to a command."""
    return output_options_with()(function)


def output_options_with(*extra_formats: str) -> Callable[[F], F]:
    """``output_options`` with more ``--format`` choices, which the command itself handles."""
    return lambda function: _output_options(function, (*FORMATS, *extra_formats))


def _output_options(function: F, formats: Sequence[str]) -> F:
    function = click.option(
        "--output",
        "-o",
        "output_path",
        type=click.Path(dir_okay=False, writable=True),
        help="Write the results to this file instead of standard output.",
    )(function)
    return click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(formats),
        default="table",
        show_default=True,
        help="How to print the results.",
    )(function)


class RowWriter:
    """Writes rows as they come for jsonl and csv; keeps them for a table or a JSON array.

    ``write(row, full_row)``: the table and CSV show ``row``; the JSON formats show ``full_row``.
    """

    def __init__(
        self,
        output_format: str,
        output_path: str | None = None,
        *,
        columns: Sequence[str] | None = None,
        title: str | None = None,
    ) -> None:
        self.output_format = output_format
        self.columns = list(columns) if columns else None
        self.title = title
        self.count = 0
        self._kept: list[Mapping[str, Any]] = []
        self._to_file = output_path is not None
        self._stream: TextIO = (
            Path(output_path).open("w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            if output_path
            else sys.stdout
        )
        self._csv: csv.DictWriter[str] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def write(self, row: Mapping[str, Any], full_row: Mapping[str, Any] | None = None) -> None:
        """Print or keep one row."""
        self.count += 1
        chosen = full_row if full_row is not None and self.output_format != "csv" else row
        if self.output_format == "jsonl":
            self._stream.write(orjson.dumps(chosen).decode() + "\n")
        elif self.output_format == "csv":
            if self._csv is None:
                names = self.columns or list(row.keys())
                self._csv = csv.DictWriter(
                    self._stream, fieldnames=names, extrasaction="ignore", lineterminator="\n"
                )
                self._csv.writeheader()
            self._csv.writerow(chosen)
        else:
            self._kept.append(chosen if self.output_format == "json" else row)

    def close(self) -> None:
        """Print what was kept and close the file."""
        if self.output_format == "json":
            self._stream.write(orjson.dumps(self._kept, option=orjson.OPT_INDENT_2).decode() + "\n")
        elif self.output_format == "table":
            names = self.columns or (list(self._kept[0].keys()) if self._kept else [])
            _table(self._kept, names, self._stream, self.title, to_file=self._to_file)
        elif self.output_format == "csv" and self._csv is None and self.columns:
            self._stream.write(",".join(self.columns) + "\n")
        self._kept = []
        if self._to_file:
            self._stream.close()
        else:
            self._stream.flush()


def emit(
    rows: Iterable[Mapping[str, Any]],
    output_format: str,
    output_path: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    full_rows: Iterable[Mapping[str, Any]] | None = None,
    title: str | None = None,
) -> int:
    """Print ``rows`` in ``output_format``; JSON formats print ``full_rows`` when given.

    Returns the number of rows printed.
    """
    with RowWriter(output_format, output_path, columns=columns, title=title) as writer:
        fulls = iter(full_rows) if full_rows is not None else None
        for row in rows:
            writer.write(row, next(fulls) if fulls is not None else None)
    return writer.count


def _table(
    data: list[Mapping[str, Any]],
    names: list[str],
    stream: TextIO,
    title: str | None,
    *,
    to_file: bool,
) -> None:
    from rich.console import Console  # noqa: PLC0415 - rich loads only for tables
    from rich.table import Table  # noqa: PLC0415

    if not data:
        stream.write("(no results)\n")
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in names:
        table.add_column(name, overflow="fold")
    for row in data:
        table.add_row(*(_cell(row.get(name)) for name in names))
    if to_file or not stream.isatty():
        buffer = io.StringIO()
        # Not a terminal: wide enough that rows never wrap, for files and pipes.
        Console(file=buffer, width=max(220, _terminal_width()), color_system=None).print(table)
        stream.write(buffer.getvalue())
    else:
        Console(file=stream).print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _terminal_width() -> int:
    return shutil.get_terminal_size((160, 24)).columns
