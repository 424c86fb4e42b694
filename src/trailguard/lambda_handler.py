"""The AWS Lambda entry point, ``trailguard.lambda_handler.handler``: composition only.

Environment: ``TRAILGUARD_CONFIG`` (a file in the package, or an SSM parameter name) and
``TRAILGUARD_TABLE`` (a DynamoDB table for delivery state; in memory without it). The event may
be any of those ``trailguard.sources.lambda_events`` reads. When a delivery finally fails the
invocation fails too, so Lambda retries it and the dead-letter queue keeps the event; deliveries
that succeeded are not repeated on retry.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from trailguard.alerting.runtime import DeliveryIncomplete, Runtime, Settings
from trailguard.errors import InputError
from trailguard.sources.lambda_events import from_lambda_event, s3_objects

log = logging.getLogger("trailguard")
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The runtime of this container, built on the first invocation and kept while warm."""
    global _runtime  # noqa: PLW0603 - one runtime per Lambda container
    if _runtime is None:
        _runtime = Runtime.from_settings(Settings.from_env())
    return _runtime


def handler(event: Any, context: Any = None) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    """Decode the event, run the rules, deliver the alerts; raise if any delivery failed."""
    app = runtime()
    skipped: list[InputError] = []
    s3 = app.clients("s3", None) if app.clients and s3_objects(event) else None
    records = list(from_lambda_event(event, s3_client=s3, on_error=skipped.append))
    for problem in skipped:
        log.warning("trailguard skipped: %s", problem)
    report = app.pipeline().run(app.detect(records))
    summary = {"records": len(records), "skipped": len(skipped), **report.summary()}
    log.info("trailguard %s", orjson.dumps(summary).decode())
    if not report.ok:
        raise DeliveryIncomplete(report)
    return summary
