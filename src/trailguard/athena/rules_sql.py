"""A rule set as Athena SQL: one SELECT per rule SQL can express exactly, and the others named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from trailguard.athena.eventbridge_sql import NESTED_ARRAYS, pattern_where, reads_json_columns
from trailguard.athena.filter_sql import filter_where
from trailguard.athena.table import DEFAULT_TABLE, comment, select_from
from trailguard.athena.untranslatable import Problem, Untranslatable
from trailguard.rules.model import Rule


@dataclass
class RulesSql:
    """The statements, the rules left out with their problems, and notes for the reader."""

    statements: list[str] = field(default_factory=list)
    skipped: list[tuple[str, tuple[Problem, ...]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ddl: str | None = None

    def render(self) -> str:
        """The whole script: a header naming what was left out, the DDL, then the SELECTs."""
        head = ["-- trailguard rules as Athena SQL (engine v3) for the standard CloudTrail table."]
        if self.skipped:
            head.append("-- Not exported, as SQL cannot express them exactly:")
            head += [
                f"--   {rule_id}: {comment(str(problem))}"
                for rule_id, problems in self.skipped
                for problem in problems
            ]
        head += [f"-- Note: {comment(note)}" for note in self.notes]
        blocks = ["\n".join(head)]
        if self.ddl:
            blocks.append(self.ddl)
        blocks += self.statements
        return "\n\n".join(blocks) + "\n"


def rules_sql(rules: Sequence[Rule], table: str = DEFAULT_TABLE) -> RulesSql:
    """Translate each rule's match: its EventBridge pattern, else its filter (``Rule.matches``)."""
    result = RulesSql()
    nested: list[str] = []
    for rule in rules:
        try:
            if rule.eventbridge is not None:
                where, form = pattern_where(rule.eventbridge), "eventbridge"
            elif rule.logs_filter is not None:
                where, form = filter_where(rule.logs_filter), "logs_filter"
            else:
                continue
        except Untranslatable as error:
            result.skipped.append((rule.id, error.problems))
            continue
        comments = [f"{rule.id}: {rule.title}", f"severity: {rule.severity}; match: {form}"]
        if form == "eventbridge" and reads_json_columns(where):
            comments.append(f"note: {NESTED_ARRAYS}")
            nested.append(rule.id)
        if rule.threshold is not None:
            threshold = rule.threshold
            per = f" per {', '.join(threshold.group_by)}" if threshold.group_by else ""
            text = (
                f"threshold not applied: the rule alerts on {threshold.count} matches within "
                f"{threshold.window}s{per}; this lists every matching event"
            )
            comments.append(text)
            result.notes.append(f"{rule.id}: {text}")
        result.statements.append(select_from(table, where, comments))
    if nested:
        result.notes.append(f"{', '.join(nested)}: {NESTED_ARRAYS}")
    return result
