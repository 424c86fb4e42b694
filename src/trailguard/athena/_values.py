"""Reading a value inside a JSON column: the json_extract path of its keys."""

from __future__ import annotations

from trailguard.athena.dialect import Dialect
from trailguard.athena.table import Column


def json_path(dialect: Dialect, keys: tuple[str | int, ...]) -> str | None:
    """A JSONPath of object keys and array indexes; None for a key it cannot quote."""
    path = "$"
    for key in keys:
        step = f"[{key}]" if isinstance(key, int) else dialect.json_member(key)
        if step is None:
            return None
        path += step
    return path


def extract(dialect: Dialect, column: Column, keys: tuple[str | int, ...]) -> str | None:
    """The JSON value at ``keys`` inside a JSON column (NULL when absent), or None."""
    path = json_path(dialect, keys)
    return None if path is None else dialect.json_extract(column.sql, path)
