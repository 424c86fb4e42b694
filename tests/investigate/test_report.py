"""The HTML incident report: self-contained, escaped, and showing what was found."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

from trailguard.investigate.report import ReportContext, ReportData, render_report

GENERATED = datetime(2024, 8, 2, 9, 0, tzinfo=UTC)
# A Stratus Red Team LeaveOrganization record (sample trail), with hostile text put in fields.
RECORD: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "AssumedRole",
        "arn": "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000",
        "accountId": "307578594326",
        "accessKeyId": "ASIA36EV31F1RB3OA8IG",
    },
    "eventTime": "2024-08-02T08:30:00Z",
    "eventSource": "organizations.amazonaws.com",
    "eventName": "LeaveOrganization",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "252.5.222.230",
    "userAgent": "<script>alert('ua')</script>",
    "errorCode": "AccessDenied",
    "errorMessage": 'You don\'t have permissions "<b>bold</b>" & more',
    "eventID": "16903cbd-fdff-4818-82f2-d66ad09aaf57",
    "recipientAccountId": "307578594326",
}


def render(records: list[dict[str, Any]], **context: Any) -> str:
    base = {
        "command": "trailguard search AWSLogs/ --event-name '<img src=x onerror=alert(1)>'",
        "conditions": [("--event-name", "<img src=x onerror=alert(1)>")],
        "sources": ["AWSLogs/"],
        "files": 3,
        "skipped_files": 2,
        "records_read": 10,
        "generated_at": GENERATED,
    }
    base.update(context)
    return render_report(ReportContext(**base), ReportData.of(records))


class TestSelfContained:
    def test_nothing_is_loaded_from_anywhere(self) -> None:
        """No external stylesheet, script, image or font, and a CSP that forbids them."""
        html = render([RECORD])
        assert "default-src 'none'" in html
        assert not re.search(r"\b(src|href)\s*=", html.replace("src=x", ""))
        assert "<link" not in html
        assert "@import" not in html

    def test_record_content_is_escaped(self) -> None:
        """Markup in records and in the query is shown as text, never interpreted."""
        hostile = copy.deepcopy(RECORD)
        hostile["eventName"] = '"><svg onload=alert(1)>'
        html = render([hostile])
        assert "<script>alert('ua')</script>" not in html
        assert "<svg onload" not in html
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html
        assert html.count("<script>") == 1  # the report's own


class TestContent:
    def test_shows_counts_and_the_event(self) -> None:
        """The cards, summary and event list show the record's who, what and when."""
        html = render([RECORD])
        assert '<div class="label">Events</div><div class="value">1</div>' in html
        assert '<div class="label">Errors</div><div class="value">1</div>' in html
        assert "stratus-red-team-leave-org-role" in html
        assert html.count('class="event error"') == 1
        assert "2024-08-02 08:30:00" in html

    def test_event_list_is_capped(self) -> None:
        """Past max_events the list stops and says how many were left out; counts stay whole."""
        records = []
        for minute in range(30):
            record = copy.deepcopy(RECORD)
            record["eventTime"] = f"2024-08-02T08:{minute:02d}:00Z"
            record["eventID"] = f"id-{minute}"
            records.append(record)
        data = ReportData.of(records, max_events=10)
        html = render_report(
            ReportContext(command="c", conditions=[], sources=["s"], generated_at=GENERATED), data
        )
        assert html.count('<tr class="event') == 10
        assert "the first 10 of 30" in html
        assert '<div class="label">Events</div><div class="value">30</div>' in html

    def test_no_events(self) -> None:
        """An empty result still renders, without charts."""
        html = render([])
        assert '<div class="label">Events</div><div class="value">0</div>' in html
        assert "<svg" not in html
