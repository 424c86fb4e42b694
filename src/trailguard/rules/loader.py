"""Load rule files: every problem of every file at once, each at its file and line.

A rule file is one YAML mapping; the keys are listed in ``RULE_KEYS``. Patterns are compiled with
the engines AWS semantics live in, so an invalid pattern is reported with AWS's message, and each
of the rule's examples is checked against it before the rule is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from trailguard.errors import ConfigError, Location, PatternError
from trailguard.patterns.eventbridge import compile_pattern
from trailguard.patterns.logs_filter import compile_filter
from trailguard.rules._yaml import LineDict, line_of, load_yaml, plain
from trailguard.rules.model import Dedupe, Examples, Rule, Severity, Threshold, parse_duration

RULE_KEYS = frozenset(
    {
        "id",
        "title",
        "severity",
        "description",
        "runbook",
        "tags",
        "eventbridge",
        "logs_filter",
        "threshold",
        "dedupe",
        "title_template",
        "fields",
        "examples",
    }
)
RULE_SUFFIXES = (".yaml", ".yml")


@dataclass
class RuleProblems:
    """Problems found while loading, each a ConfigError with file and line."""

    problems: list[ConfigError] = field(default_factory=list)

    def add(self, path: str, line: int | None, message: str, key: str | None = None) -> None:
        """Record one problem."""
        self.problems.append(ConfigError(message, location=Location(path, line, key)))

    def __bool__(self) -> bool:
        return bool(self.problems)


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """The rule files named, and those under folders named, sorted within each folder."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES))
        else:
            found.append(path)
    return found


def pack_directory() -> Path:
    """The folder of the built-in rule pack."""
    return Path(str(resources.files("trailguard.rules") / "pack"))


def load_rules(
    paths: Iterable[str | Path], *, check_examples: bool = True
) -> tuple[list[Rule], RuleProblems]:
    """Load every rule under ``paths``; returns the good rules and every problem found.

    A rule with any problem is left out. Duplicate ids are problems of the later file.
    """
    problems = RuleProblems()
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in rule_files(paths):
        rule = load_rule_file(path, problems, check_examples=check_examples)
        if rule is None:
            continue
        if rule.id in seen:
            problems.add(
                str(path),
                line_of_rule(rule),
                f"duplicate rule id {rule.id!r} (first in {seen[rule.id]})",
                "id",
            )
            continue
        seen[rule.id] = str(path)
        rules.append(rule)
    return rules, problems


def line_of_rule(rule: Rule) -> int | None:
    """The line a rule starts at."""
    return rule.location.line if rule.location else None


def load_pack(*, check_examples: bool = False) -> list[Rule]:
    """The built-in rules; a problem in them is a bug, raised as ConfigError.

    The pack's examples are checked by its tests, not again at every start (a Lambda cold start
    would pay for it).
    """
    rules, problems = load_rules([pack_directory()], check_examples=check_examples)
    if problems:
        raise problems.problems[0]
    return rules


def load_rule_file(
    path: Path, problems: RuleProblems, *, check_examples: bool = True
) -> Rule | None:
    """One rule file, or None after adding its problems to ``problems``."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        problems.add(where, None, error.strerror or str(error))
        return None
    except UnicodeDecodeError as error:
        problems.add(where, None, f"not UTF-8 text: {error}")
        return None
    return load_rule_text(text, where, problems, check_examples=check_examples)


def load_rule_text(
    text: str, where: str, problems: RuleProblems, *, check_examples: bool = True
) -> Rule | None:
    """One rule from the text of a rule file named ``where``, or None after adding its problems.

    Compiled rules cannot be pickled, so processes elsewhere (Spark executors) rebuild them
    from their text with this.
    """
    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.add(where, mark.line + 1 if mark else None, f"not valid YAML: {error}")
        return None
    if not isinstance(document, LineDict):
        problems.add(where, None, "a rule file must be a YAML mapping (id: ..., title: ...)")
        return None
    before = len(problems.problems)
    rule = _build_rule(document, where, problems)
    if rule is not None and check_examples and len(problems.problems) == before:
        check_rule_examples(rule, problems)
    return rule if len(problems.problems) == before else None


def _build_rule(doc: LineDict, where: str, problems: RuleProblems) -> Rule | None:
    def problem(key: str, message: str) -> None:
        problems.add(where, line_of(doc, key), message, key)

    for key in doc:
        if key not in RULE_KEYS:
            problem(key, f"unknown key {key!r}; rule keys are {', '.join(sorted(RULE_KEYS))}")
    rule_id = _string(doc, "id", problem, required=True)
    title = _string(doc, "title", problem, required=True)
    severity = _severity(doc, problem)
    if "eventbridge" not in doc and "logs_filter" not in doc:
        problem("id", "a rule needs a match: eventbridge: and/or logs_filter:")
    compiled_eventbridge = None
    if "eventbridge" in doc:
        try:
            compiled_eventbridge = compile_pattern(plain(doc["eventbridge"]))
        except PatternError as error:
            problem("eventbridge", error.message)
    compiled_logs_filter = None
    logs_filter = _string(doc, "logs_filter", problem)
    if logs_filter is not None:
        try:
            compiled_logs_filter = compile_filter(logs_filter)
        except PatternError as error:
            problem("logs_filter", error.message)
    if rule_id is None or title is None or severity is None:
        return None
    return Rule(
        id=rule_id,
        title=title,
        severity=severity,
        description=_string(doc, "description", problem) or "",
        runbook=_string(doc, "runbook", problem),
        tags=tuple(_string_list(doc, "tags", problem)),
        eventbridge=plain(doc["eventbridge"]) if "eventbridge" in doc else None,
        logs_filter=logs_filter,
        threshold=_threshold(doc, problem),
        dedupe=_dedupe(doc, problem),
        title_template=_string(doc, "title_template", problem),
        fields=_string_map(doc, "fields", problem),
        examples=_examples(doc, problem),
        location=Location(where, doc.line),
        compiled_eventbridge=compiled_eventbridge,
        compiled_logs_filter=compiled_logs_filter,
    )


def check_rule_examples(rule: Rule, problems: RuleProblems) -> None:
    """Add a problem for each example the rule's patterns get wrong."""
    where = rule.location.path if rule.location else rule.id
    for wanted, records, lines in (
        (True, rule.examples.match, rule.examples.match_lines),
        (False, rule.examples.no_match, rule.examples.no_match_lines),
    ):
        for index, record in enumerate(records):
            for form, verdict in (
                ("eventbridge", rule.matches_eventbridge(record)),
                ("logs_filter", rule.matches_logs_filter(record)),
            ):
                if verdict is None or verdict == wanted:
                    continue
                kind = "match" if wanted else "no_match"
                expectation = "does not match" if wanted else "matches"
                name = record.get("eventName", "?")
                problems.add(
                    where,
                    lines[index] if index < len(lines) else None,
                    f"example {kind}[{index}] ({name}): the {form} pattern {expectation} it",
                    "examples",
                )


Problem = Callable[[str, str], None]
"""Records a problem at a key of the rule being built: ``problem(key, message)``."""


def _string(doc: LineDict, key: str, problem: Problem, *, required: bool = False) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            problem(key, f"{key!r} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problem(key, f"{key!r} must be a non-empty string")
        return None
    return value


def _severity(doc: LineDict, problem: Problem) -> Severity | None:
    text = _string(doc, "severity", problem, required=True)
    if text is None:
        return None
    try:
        return Severity.parse(text)
    except ValueError as error:
        problem("severity", str(error))
        return None


def _string_list(doc: Mapping[str, Any], key: str, problem: Problem) -> list[str]:
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problem(key, f"{key!r} must be a list of strings")
        return []
    return list(value)


def _string_map(doc: LineDict, key: str, problem: Problem) -> dict[str, str]:
    value = doc.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problem(key, f"{key!r} must map names to dotted record paths")
        return {}
    return dict(value)


def _threshold(doc: LineDict, problem: Problem) -> Threshold | None:
    value = doc.get("threshold")
    if value is None:
        return None
    if not isinstance(value, dict):
        problem("threshold", "'threshold' must be a mapping with count, window and group_by")
        return None
    unknown = set(value) - {"count", "window", "group_by"}
    count = value.get("count")
    if unknown:
        problem("threshold", f"unknown threshold key(s): {', '.join(sorted(unknown))}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        problem("threshold", "threshold.count must be a whole number of at least 1")
        return None
    try:
        window = parse_duration(value.get("window"))
    except ValueError as error:
        problem("threshold", f"threshold.window: {error}")
        return None
    return Threshold(count, window, tuple(_string_list(value, "group_by", problem)))


def _dedupe(doc: LineDict, problem: Problem) -> Dedupe | None:
    value = doc.get("dedupe")
    if value is None:
        return None
    if not isinstance(value, dict):
        problem("dedupe", "'dedupe' must be a mapping with window and keys")
        return None
    try:
        window = parse_duration(value.get("window"))
    except ValueError as error:
        problem("dedupe", f"dedupe.window: {error}")
        return None
    return Dedupe(window, tuple(_string_list(value, "keys", problem)))


def _examples(doc: LineDict, problem: Problem) -> Examples:
    value = doc.get("examples")
    if value is None:
        return Examples()
    if not isinstance(value, dict) or set(value) - {"match", "no_match"}:
        problem("examples", "'examples' must be a mapping with match: and no_match: lists")
        return Examples()
    lists: dict[str, tuple[list[dict[str, Any]], list[int | None]]] = {}
    for kind in ("match", "no_match"):
        items = value.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problem("examples", f"examples.{kind} must be a list of CloudTrail records")
            items = []
        lists[kind] = ([plain(i) for i in items], [line_of(items, n) for n in range(len(items))])
    return Examples(
        match=tuple(lists["match"][0]),
        no_match=tuple(lists["no_match"][0]),
        match_lines=tuple(lists["match"][1]),
        no_match_lines=tuple(lists["no_match"][1]),
    )
