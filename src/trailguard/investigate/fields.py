"""Projections: pick fields of a record by dot path, with array indexes and column names.

``eventTime,eventName,type=responseElements.instancesSet.items[0].instanceType`` gives three
columns; the last is named ``type``. A segment with dots or brackets in it is quoted:
``requestParameters."key.with.dots"``. A few names are shortcuts for what people ask about
(``principal``, ``accessKeyId`` ...), listed in ``SHORTCUTS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from trailguard.errors import ConfigError
from trailguard.events import CloudTrailEvent

Step = str | int
"""A key of an object or an index of an array (negative counts from the end)."""

DEFAULT_FIELDS = "eventTime,eventName,eventSource,awsRegion,principal,sourceIPAddress,errorCode"
"""The columns of a table or CSV when ``--fields`` is not given."""

SHORTCUTS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "principal": lambda record: CloudTrailEvent(record).principal,
    "principalArn": lambda record: CloudTrailEvent(record).principal_arn or None,
    "accessKeyId": lambda record: CloudTrailEvent(record).access_key_id or None,
    "userName": lambda record: CloudTrailEvent(record).identity.get("userName"),
    "identityType": lambda record: CloudTrailEvent(record).identity_type or None,
    "account": lambda record: CloudTrailEvent(record).account_id or None,
}
"""Computed fields: who acted (short name, ARN, key, user, identity type) and the account."""

_SEGMENT = re.compile(
    r'\s*(?:"(?P<quoted>[^"]*)"|(?P<name>[^.\[\]"=,\s]+))(?P<indexes>(?:\[-?\d+\])*)\s*'
)
_INDEX = re.compile(r"\[(-?\d+)\]")
_ALIAS = re.compile(r"^\s*(?P<alias>[A-Za-z_][\w\-]*)\s*=(?P<path>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Field:
    """One output column: its name and how to get its value from a record."""

    name: str
    path: tuple[Step, ...]
    shortcut: Callable[[Mapping[str, Any]], Any] | None = None

    def value(self, record: Mapping[str, Any]) -> Any:
        """The value at the path, or None when any step is missing."""
        if self.shortcut is not None:
            return self.shortcut(record)
        current: Any = record
        for step in self.path:
            if isinstance(step, int):
                if not isinstance(current, list) or not -len(current) <= step < len(current):
                    return None
                current = current[step]
            elif isinstance(current, Mapping):
                current = current.get(step)
            else:
                return None
            if current is None:
                return None
        return current


def parse_fields(spec: str) -> tuple[Field, ...]:
    """Parse a ``--fields`` list; an error names the item that is wrong."""
    items = _split_items(spec)
    if not items:
        raise ConfigError("--fields: give at least one field, e.g. eventTime,eventName")
    parsed = tuple(_parse_item(item) for item in items)
    names = [field.name for field in parsed]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"--fields: {', '.join(duplicates)} given twice; rename one (name=path)")
    return parsed


def _split_items(spec: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for character in spec:
        if character == '"':
            quoted = not quoted
        if character == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(character)
    if quoted:
        raise ConfigError(f"--fields: unclosed quote in {spec!r}")
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _parse_item(item: str) -> Field:
    alias = _ALIAS.match(item)
    name, text = (alias["alias"], alias["path"].strip()) if alias else (None, item)
    if text in SHORTCUTS:
        return Field(name or text, (text,), SHORTCUTS[text])
    path = parse_path(text)
    return Field(name or text, path)


def parse_path(text: str) -> tuple[Step, ...]:
    """``a.b[0].c`` -> ``("a", "b", 0, "c")``."""
    steps: list[Step] = []
    position = 0
    while True:
        found = _SEGMENT.match(text, position)
        if not found or found.end() == position:
            raise ConfigError(f"--fields: cannot read {text!r} at character {position + 1}")
        steps.append(found["quoted"] if found["quoted"] is not None else found["name"])
        steps.extend(int(index) for index in _INDEX.findall(found["indexes"]))
        position = found.end()
        if position == len(text):
            return tuple(steps)
        if text[position] != ".":
            raise ConfigError(f"--fields: cannot read {text!r} at character {position + 1}")
        position += 1


def project(record: Mapping[str, Any], fields: Sequence[Field]) -> dict[str, Any]:
    """The record's values for ``fields``, by column name (JSON values as they are)."""
    return {field.name: field.value(record) for field in fields}


def as_text(value: Any) -> str | None:
    """A value as a table or CSV cell: objects and arrays as compact JSON, booleans as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | dict | list):
        return orjson.dumps(value).decode()
    return str(value)
