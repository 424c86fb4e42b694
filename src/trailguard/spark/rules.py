"""Rules shipped to executors as the text of their YAML files, and rebuilt there.

Compiled rules hold generated code and cannot be pickled; their source text can. Each executor
compiles the same files into the same RuleSet once per partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trailguard.detect import RuleSet
from trailguard.errors import ConfigError
from trailguard.rules.loader import RuleProblems, load_rule_text
from trailguard.rules.model import Rule


@dataclass(frozen=True)
class RuleSource:
    """One rule's file name and text: what an executor needs to compile it again."""

    rule_id: str
    path: str
    text: str


def rule_sources(rules: Sequence[Rule]) -> tuple[RuleSource, ...]:
    """The source of each rule, in the order given; raises ConfigError for a rule without one."""
    sources: list[RuleSource] = []
    for rule in rules:
        if rule.location is None:
            raise ConfigError(
                f"rule {rule.id!r} was not loaded from a file; the Spark engine ships rules "
                "to executors as their YAML text"
            )
        path = rule.location.path
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read rule {rule.id!r}: {error}") from None
        sources.append(RuleSource(rule.id, path, text))
    return tuple(sources)


def compile_rules(sources: Sequence[RuleSource]) -> RuleSet:
    """The RuleSet of ``sources``; the examples were checked on the driver when loaded."""
    problems = RuleProblems()
    rules: list[Rule] = []
    for source in sources:
        rule = load_rule_text(source.text, source.path, problems, check_examples=False)
        if rule is None or rule.id != source.rule_id:
            # The driver compiled this very text: the executors run another trailguard version.
            found = problems.problems[0] if problems else f"it holds rule {rule and rule.id!r}"
            raise ConfigError(
                f"{source.path}: rule {source.rule_id!r} did not compile in an executor ({found}); "
                "install the same trailguard version on the driver and the executors"
            )
        rules.append(rule)
    return RuleSet(rules)
