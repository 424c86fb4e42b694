"""SQL for the standard CloudTrail Athena table, for the patterns SQL can express exactly.

``pattern_where`` (EventBridge patterns), ``filter_where`` (CloudWatch Logs JSON filter
patterns), ``query_select`` (search queries) and ``rules_sql`` (rule packs) return SQL for Athena
engine v3 (Trino) that selects exactly the records trailguard's engines match, or raise
``Untranslatable`` naming each field and why. ``render_ddl`` prints the table they read.
See docs/athena-notes.md.
"""

from __future__ import annotations

from trailguard.athena.eventbridge_sql import pattern_where
from trailguard.athena.filter_sql import filter_where
from trailguard.athena.query_sql import query_select
from trailguard.athena.rules_sql import RulesSql, rules_sql
from trailguard.athena.table import DEFAULT_TABLE, TableLayout, render_ddl
from trailguard.athena.untranslatable import Problem, Untranslatable

__all__ = [
    "DEFAULT_TABLE",
    "Problem",
    "RulesSql",
    "TableLayout",
    "Untranslatable",
    "filter_where",
    "pattern_where",
    "query_select",
    "render_ddl",
    "rules_sql",
]
