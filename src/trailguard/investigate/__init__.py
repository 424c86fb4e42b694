"""Investigation: search CloudTrail from any source, then summarise, chart and report.

``Query`` says what to look for; ``search_files`` and ``search_lookup_events`` run it over
files, folders, ``s3://`` prefixes, stdin or the LookupEvents API and return the matching records
in eventTime order; ``Summary``, ``Timeline`` and ``render_report`` present them.
"""

from __future__ import annotations

from trailguard.investigate.engine import (
    LookupPlan,
    SearchResult,
    plan_lookup,
    search_files,
    search_lookup_events,
)
from trailguard.investigate.fields import DEFAULT_FIELDS, Field, parse_fields, project
from trailguard.investigate.query import CompiledQuery, Query
from trailguard.investigate.report import ReportContext, ReportData, render_report
from trailguard.investigate.summary import Summary
from trailguard.investigate.timeline import Timeline, render_chart

__all__ = [
    "DEFAULT_FIELDS",
    "CompiledQuery",
    "Field",
    "LookupPlan",
    "Query",
    "ReportContext",
    "ReportData",
    "SearchResult",
    "Summary",
    "Timeline",
    "parse_fields",
    "plan_lookup",
    "project",
    "render_chart",
    "render_report",
    "search_files",
    "search_lookup_events",
]
