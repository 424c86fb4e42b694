"""Straight-line code for the hot paths: reading many field paths of an event at once.

PatternSet and each sub-rule run their reads for every event, so they are generated as plain
Python source (shared prefixes read once, no loops, no calls) and compiled once. Keys are
embedded with ``repr``, so any string is safe; the generated functions are tested against the
general readers in ``_eventbridge_paths``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from trailguard.patterns._eventbridge_paths import COMPLEX, MISSING, SCALARS, stray


def read_lines(
    paths: Sequence[str], bail: str, none_for_missing: Collection[int] = ()
) -> tuple[list[str], dict[str, Any]]:
    """Source lines (one indent deep) setting ``v0``, ``v1`` ... to the values at ``paths``.

    Each value is what ``reader`` returns for that path, except that the paths numbered in
    ``none_for_missing`` may read None instead of MISSING (for callers that treat both alike).
    The lines run the statement ``bail`` when the event is not a dict or a key containing a dot
    is in the way. The second result holds the constants the lines refer to.
    """
    trie: dict[str, Any] = {"ends": [], "children": {}}
    for number, path in enumerate(paths):
        node = trie
        for segment in path.split("."):
            node = node["children"].setdefault(segment, {"ends": [], "children": {}})
        node["ends"].append(number)
    writer = _Writer(bail, frozenset(none_for_missing))
    writer.lines += ["    if type(event) is not dict:", f"        {bail}"]
    writer.emit(trie, "event", 1)
    return writer.lines, writer.constants


def generate(source: str, name: str, names: dict[str, Any]) -> Any:
    """Compile generated source and return the function called ``name`` from it."""
    namespace = {"MISSING": MISSING, "COMPLEX": COMPLEX, "SCALARS": SCALARS, "stray": stray}
    namespace.update(names)
    exec(compile(source, f"<eventbridge-{name}>", "exec"), namespace)  # noqa: S102
    return namespace[name]


class _Writer:
    """Writes the nested reads of a trie of path segments."""

    def __init__(self, bail: str, none_for_missing: frozenset[int]) -> None:
        self.bail = bail
        self.none_for_missing = none_for_missing
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.counter = 0

    def emit(self, node: dict[str, Any], name: str, depth: int) -> None:
        pad = "    " * depth
        joined = sorted(_dotted(node))
        if len(joined) > 8:
            # One C-level pass over the event's keys beats many separate lookups.
            self.counter += 1
            constant = f"DOTTED{self.counter}"
            self.constants[constant] = frozenset(joined)
            self.lines += [f"{pad}if not {constant}.isdisjoint({name}):", f"{pad}    {self.bail}"]
        elif joined:
            keys = " or ".join(f"{key!r} in {name}" for key in joined)
            self.lines += [f"{pad}if {keys}:", f"{pad}    {self.bail}"]
        for segment, child in node["children"].items():
            self.counter += 1
            below = _ends_below(child)
            ends = [f"v{number}" for number in child["ends"]]
            variable = f"n{self.counter}" if below or not ends else ends[0]
            targets = " = ".join([variable, *ends[variable in ends :]])
            # A missing object below reads as stray(None), i.e. MISSING, so only the values
            # read here decide whether None may stand for "missing" (one argument less).
            plain = set(child["ends"]) <= self.none_for_missing
            default = "" if plain else ", MISSING"
            self.lines.append(f"{pad}{targets} = {name}.get({segment!r}{default})")
            if below:
                self.lines.append(f"{pad}if type({variable}) is dict:")
                self.emit(child, variable, depth + 1)
                strays = " = ".join(f"v{number}" for number in below)
                self.lines += [f"{pad}else:", f"{pad}    {strays} = stray({variable})"]


def _dotted(node: dict[str, Any]) -> set[str]:
    """Keys made of two or more segments below ``node`` (an event key may contain dots)."""
    found: set[str] = set()
    for segment, child in node["children"].items():
        for tail in _tails(child):
            found.add(f"{segment}.{tail}")
    return found


def _tails(node: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for segment, child in node["children"].items():
        found.add(segment)
        found.update(f"{segment}.{tail}" for tail in _tails(child))
    return found


def _ends_below(node: dict[str, Any]) -> list[int]:
    found: list[int] = []
    for child in node["children"].values():
        found.extend(child["ends"])
        found.extend(_ends_below(child))
    return found
