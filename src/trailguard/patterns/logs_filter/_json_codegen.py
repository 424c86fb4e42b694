"""Compile a parsed JSON pattern into one Python function of the parsed document.

Matching a record is then a single call running one boolean expression: dictionary lookups,
class checks and comparisons, with ``||`` of equalities on one field folded into one set
lookup. That keeps the 14 CIS filters within a quarter of the cost of parsing the records.
Pattern text never enters the generated source: every key, string, number and regex is passed
in as a closure variable; the source holds only generated names and fixed code.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable
from typing import cast

from trailguard.patterns.logs_filter import json_selector
from trailguard.patterns.logs_filter._json_ast import Check, Comparison, Condition, JsonExpr
from trailguard.patterns.logs_filter._json_doc import NUMBER_TYPES, is_null, number_text
from trailguard.patterns.logs_filter._json_doc import is_number as _is_number
from trailguard.patterns.logs_filter._tokens import AllOf, AnyOf
from trailguard.patterns.logs_filter._values import (
    JSON_NUMBER_CHARS,
    Glob,
    GlobKind,
    NumberValue,
    RegexValue,
    TextValue,
)

Template = Callable[[str, str], str]
"""Source of a leaf test, given the expression that binds the leaf and the name it is bound to."""

_MISSING = object()
_HELPERS: dict[str, object] = {
    "_M": _MISSING,
    "_NUM": NUMBER_TYPES,
    "_numtext": number_text,
    "_isnum": _is_number,
    "_isnull": is_null,
    "_resolve": json_selector.resolve,
}
_STR_TESTS: dict[GlobKind, str] = {
    GlobKind.EXACT: "{x} == {c}",
    GlobKind.PREFIX: "{x}.startswith({c})",
    GlobKind.SUFFIX: "{x}.endswith({c})",
    GlobKind.CONTAINS: "{c} in {x}",
    GlobKind.ANY: "True",
}


def build_test(expression: JsonExpr, text: str) -> Callable[..., bool]:
    """The function ``test(document, message=None) -> bool`` for a parsed JSON pattern."""
    return _Generator().function(expression, text)


class _Generator:
    """Builds the source of one pattern's test, collecting its constants as it goes."""

    def __init__(self) -> None:
        self.constants: dict[str, object] = {}
        self.lambdas: list[str] = []
        self.count = 0
        self.needs_dict_check = False

    def function(self, expression: JsonExpr, text: str) -> Callable[..., bool]:
        body = self.expression(expression)
        if self.needs_dict_check:
            body = f"document.__class__ is dict and {body}"
        names = [*self.constants, *_HELPERS]
        lines = [
            f"def _build({', '.join(names)}):",
            *(f"    {line}" for line in self.lambdas),
            "    def test(document, message=None):",
            "        try:",
            f"            return {body}",
            "        except (AttributeError, TypeError):",
            "            return False",
            "    return test",
        ]
        namespace: dict[str, object] = {}
        # The source is generated from fixed fragments and generated names only (see above).
        exec(compile("\n".join(lines), f"<filter pattern {text!r}>", "exec"), namespace)  # noqa: S102
        build = cast("Callable[..., Callable[..., bool]]", namespace["_build"])
        return build(*self.constants.values(), *_HELPERS.values())

    def constant(self, value: object) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def name(self) -> str:
        self.count += 1
        return f"_v{self.count}"

    def expression(self, node: JsonExpr) -> str:
        if isinstance(node, AllOf):
            return "(" + " and ".join(self.expression(part) for part in node.parts) + ")"
        if isinstance(node, AnyOf):
            return "(" + " or ".join(self._any_of(node.parts)) + ")"
        return self.condition(node)

    def _any_of(self, parts: tuple[JsonExpr, ...]) -> list[str]:
        """The alternatives, with ``$.f = a || $.f = b || ...`` folded into one set lookup."""
        groups: dict[tuple[json_selector.Step, ...], list[str]] = defaultdict(list)
        for part in parts:
            equality = _exact_equality(part)
            if equality is not None:
                groups[equality[0]].append(equality[1])
        sources: list[str] = []
        folded: set[tuple[json_selector.Step, ...]] = set()
        for part in parts:
            equality = _exact_equality(part)
            steps = None if equality is None else equality[0]
            if steps is None or len(groups[steps]) < 2:
                sources.append(self.expression(part))
            elif steps not in folded:
                folded.add(steps)
                words = frozenset(groups[steps])
                sources.append(self._on_leaf(steps, _one_of(self.constant(words), words)))
        return sources

    def condition(self, node: Condition) -> str:
        steps = node.selector.steps
        if isinstance(steps[0], int) or node.selector.has_wildcard:
            # These do not go through document.get, which fails on anything but an object.
            self.needs_dict_check = True
        if isinstance(node, Check) and node.test == "NOT EXISTS":
            return "not " + self._exists(steps)
        return self._on_leaf(steps, self._template(node), sentinel=isinstance(node, Check))

    def _template(self, node: Condition) -> Template:
        if isinstance(node, Check):
            if node.test == "NULL":
                return lambda first, _: f"_isnull({first})"
            return lambda first, _: f"{first} is {node.test.title()}"
        value = node.value
        if isinstance(value, NumberValue):
            return _number_template(node.op, self.constant(value.raw), self.constant(value.number))
        if isinstance(value, RegexValue):
            search = f"{self.constant(value.pattern)}.search({{x}})"
            return _text_template(f"{search} is {'not ' if node.op == '=' else ''}None")
        return _glob_template(node.op, value.glob, self.constant(value.glob.core))

    def _on_leaf(
        self, steps: tuple[json_selector.Step, ...], test: Template, *, sentinel: bool = False
    ) -> str:
        """Source testing every leaf the steps reach; true when any leaf passes."""
        if any(isinstance(step, json_selector.Wildcard) for step in steps):
            predicate = self.name()
            self.lambdas.append(f"{predicate} = lambda _x: {test('_x', '_x')}")
            return f"any(map({predicate}, _resolve(document, {self.constant(steps)})))"
        return self._walk(steps, lambda node, last: self._leaf(node, last, test, sentinel))

    def _exists(self, steps: tuple[json_selector.Step, ...]) -> str:
        if any(isinstance(step, json_selector.Wildcard) for step in steps):
            return f"bool(_resolve(document, {self.constant(steps)}))"

        def exists(node: str, last: str | int) -> str:
            if isinstance(last, int):
                return f"len({node}) > {last}"
            key = self.constant(last)
            return f"{node}.get({key}, _M) is not _M" if node == "document" else f"{key} in {node}"

        return self._walk(steps, exists)

    def _walk(
        self, steps: tuple[json_selector.Step, ...], final: Callable[[str, str | int], str]
    ) -> str:
        """Source that steps through the containers on the way and ends with ``final``."""
        node = "document"
        guards: list[str] = []
        for step, following in itertools.pairwise(steps):
            if isinstance(step, int) and node == "document":
                return "False"
            name = self.name()
            container = "dict" if isinstance(following, str) else "list"
            guards.append(
                f"({name} := {self._access(node, step, guards)}).__class__ is {container}"
            )
            node = name
        last = steps[-1]
        assert not isinstance(last, json_selector.Wildcard)
        if isinstance(last, int) and node == "document":
            return "False"
        guards.append(final(node, last))
        return "(" + " and ".join(guards) + ")"

    def _access(self, node: str, step: json_selector.Step, guards: list[str]) -> str:
        if isinstance(step, int):
            guards.append(f"len({node}) > {step}")
            return f"{node}[{step}]"
        return f"{node}.get({self.constant(step)})"

    def _leaf(self, node: str, last: str | int, test: Template, sentinel: bool) -> str:
        if isinstance(last, int):
            return f"len({node}) > {last} and {_bind(test, f'{node}[{last}]', self.name())}"
        default = ", _M" if sentinel else ""
        return _bind(test, f"{node}.get({self.constant(last)}{default})", self.name())


def _bind(test: Template, value: str, name: str) -> str:
    """The test on ``value``, binding it to ``name`` only when the test reads it twice."""
    bound = test(f"({name} := {value})", name)
    return bound if len(re.findall(rf"\b{name}\b", bound)) > 1 else test(value, name)


def _exact_equality(part: JsonExpr) -> tuple[tuple[json_selector.Step, ...], str] | None:
    """The steps and text of ``$.field = "text"`` (no wildcard anywhere), else None."""
    if (
        isinstance(part, Comparison)
        and part.op == "="
        and isinstance(part.value, TextValue)
        and part.value.glob.kind is GlobKind.EXACT
        and not part.selector.has_wildcard
    ):
        return part.selector.steps, part.value.glob.core
    return None


def _one_of(words: str, values: frozenset[str]) -> Template:
    if any(set(value) <= JSON_NUMBER_CHARS for value in values):
        return lambda first, x: (
            f"({x} in {words} if {first}.__class__ is str else _numtext({x}) in {words})"
        )
    return lambda first, x: f"({first}.__class__ is str and {x} in {words})"


def _glob_template(op: str, glob: Glob, core: str) -> Template:
    test = _STR_TESTS[glob.kind].format(x="{x}", c=core)
    if op == "=" and not glob.can_match_number:
        if glob.kind is GlobKind.EXACT:
            return lambda first, _: f"{first} == {core}"
        return lambda first, x: f"({first}.__class__ is str and {test.format(x=x)})"
    if op != "=":
        test = f"not ({test})"
    return _text_template(test)


def _text_template(test: str) -> Template:
    """A text test on a string leaf, and on the text of a number leaf."""
    on_number = test.format(x="_t")
    return lambda first, x: (
        f"({test.format(x=x)} if {first}.__class__ is str"
        f" else ((_t := _numtext({x})) is not None and {on_number}))"
    )


def _number_template(op: str, raw: str, number: str) -> Template:
    compare = "==" if op == "=" else op
    on_number = f"{{x}}.__class__ in _NUM and {{x}} {compare} {number} and _isnum({{x}})"
    if op in ("=", "!="):
        on_text = f"{{x}} {compare} {raw}"
        return lambda first, x: (
            f"({on_text.format(x=x)} if {first}.__class__ is str else ({on_number.format(x=x)}))"
        )
    return lambda first, x: f"({first} is not None and {on_number.format(x=x)})"
