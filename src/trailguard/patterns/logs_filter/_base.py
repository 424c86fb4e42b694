"""What every compiled filter pattern offers: matching, and the values a metric filter extracts."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter import json_selector
from trailguard.patterns.logs_filter._json_doc import dumps, leaf_number, leaf_text
from trailguard.patterns.logs_filter._messages import DIMENSION_SELECTOR, bad_metric_value
from trailguard.patterns.logs_filter._values import NUMBER, as_number

if TYPE_CHECKING:
    from collections.abc import Mapping

# ``$size`` names a space-delimited field, ``$7`` a position matched by ``...`` or ``[]``.
FIELD_SELECTOR = re.compile(r"\$[A-Za-z0-9_]+")


class FilterKind(StrEnum):
    """Which of the three filter-pattern languages a pattern is written in."""

    TERMS = "terms"
    JSON = "json"
    SPACE_DELIMITED = "space_delimited"


@dataclass(frozen=True, slots=True)
class Literal:
    """A ``metricValue`` that is a number: every matching event publishes it."""

    value: float


Target = Literal | json_selector.Selector | str
"""What a ``metricValue`` or dimension names: a number, a JSON selector or a field (``$name``)."""


@lru_cache(maxsize=1024)
def metric_target(text: str) -> Target:
    """The target of a ``metricValue``: a number, ``$.field`` (no wildcard) or ``$name``."""
    if NUMBER.fullmatch(text):
        return Literal(float(text))
    try:
        return _selector_target(text)
    except InvalidFilterPattern:
        raise bad_metric_value(text) from None


@lru_cache(maxsize=1024)
def dimension_target(text: str) -> json_selector.Selector | str:
    """The target of a dimension value: ``$.field`` (no wildcard) or ``$name``."""
    try:
        return _selector_target(text)
    except InvalidFilterPattern:
        raise InvalidFilterPattern(DIMENSION_SELECTOR) from None


def _selector_target(text: str) -> json_selector.Selector | str:
    if FIELD_SELECTOR.fullmatch(text):
        return text
    selector = json_selector.parse(text)
    if selector.has_wildcard:
        raise InvalidFilterPattern(DIMENSION_SELECTOR)
    return selector


class Fields:
    """What a matching event offers to metric values and dimensions."""

    __slots__ = ("document", "values")

    def __init__(self, values: Mapping[str, str] | None = None, document: object = None) -> None:
        self.values: Mapping[str, str] = values or {}
        self.document = document

    def number(self, target: Target) -> float | None:
        """The number ``target`` publishes for this event, or None (no datapoint)."""
        if isinstance(target, Literal):
            return target.value
        if isinstance(target, str):
            text = self.values.get(target)
            return None if text is None else as_number(text)
        leaf = self._leaf(target)
        return None if leaf is _MISSING else leaf_number(leaf)

    def text(self, target: json_selector.Selector | str) -> str | None:
        """The dimension value ``target`` names for this event, or None."""
        if isinstance(target, str):
            return self.values.get(target)
        leaf = self._leaf(target)
        return None if leaf is _MISSING else leaf_text(leaf)

    def _leaf(self, selector: json_selector.Selector) -> object:
        if not isinstance(self.document, dict):
            return _MISSING
        leaves = json_selector.resolve(self.document, selector.steps)
        return leaves[0] if leaves else _MISSING


_MISSING = object()


class FilterPattern(ABC):
    """A compiled CloudWatch Logs filter pattern: compile once, match many (never raises)."""

    kind: ClassVar[FilterKind]

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"compile_filter({self.text!r})"

    @abstractmethod
    def matches(self, message: str) -> bool:
        """Whether the pattern matches one log event's message."""

    def matches_parsed(self, document: object, message: str | None = None) -> bool:
        """Whether the pattern matches a record already parsed from its compact JSON line.

        ``message`` is that line when the caller has it; otherwise it is rebuilt with orjson.
        """
        text = message if message is not None else dumps(document)
        return text is not None and self.matches(text)

    @abstractmethod
    def fields(self, message: str) -> Fields | None:
        """What a matching message offers to metric values; None when it does not match."""

    def fields_parsed(self, document: object, message: str | None = None) -> Fields | None:
        """``fields`` for a record already parsed from its compact JSON line."""
        text = message if message is not None else dumps(document)
        return None if text is None else self.fields(text)

    def extract(self, message: str, selector: str) -> float | None:
        """The value a metric filter with ``metricValue = selector`` publishes for ``message``.

        None means no datapoint: the event does not match, or the selected value is missing or
        not numeric. ``selector`` is a number, ``$.field`` or ``$name``; anything else raises
        ``InvalidFilterPattern`` with PutMetricFilter's message.
        """
        target = metric_target(selector)
        found = self.fields(message)
        return None if found is None else found.number(target)

    def extract_parsed(self, document: object, selector: str) -> float | None:
        """``extract`` for a record already parsed from its compact JSON line."""
        target = metric_target(selector)
        found = self.fields_parsed(document)
        return None if found is None else found.number(target)

    def extract_text(self, message: str, selector: str) -> str | None:
        """The dimension value ``selector`` (``$.field`` or ``$name``) names for ``message``."""
        target = dimension_target(selector)
        found = self.fields(message)
        return None if found is None else found.text(target)

    def extract_text_parsed(self, document: object, selector: str) -> str | None:
        """``extract_text`` for a record already parsed from its compact JSON line."""
        target = dimension_target(selector)
        found = self.fields_parsed(document)
        return None if found is None else found.text(target)

    def extracted_values(self, message: str) -> dict[str, str] | None:
        """TestMetricFilter's ``extractedValues`` (space-delimited only), or None on no match."""
        found = self.fields(message)
        return None if found is None else dict(found.values)
