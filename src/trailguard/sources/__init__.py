"""Where CloudTrail events come from: files, folders, stdin, and the AWS delivery channels."""

from __future__ import annotations

from trailguard.sources.documents import events_from_document, is_cloudtrail_document
from trailguard.sources.files import STDIN, expand_paths, read_events

__all__ = ["STDIN", "events_from_document", "expand_paths", "is_cloudtrail_document", "read_events"]
