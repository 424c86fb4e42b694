"""Amazon SNS: the alert published to a topic, as text (for e-mail and SMS) or as JSON.

SNS subjects must be ASCII, one line and under 100 characters; messages at most 256 KB.
https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
"""

from __future__ import annotations

from typing import Any

import orjson

from trailguard.config.model import Target
from trailguard.notify.delivery import aws_error
from trailguard.notify.email import subject
from trailguard.notify.message import TRUNCATED, Message, truncate
from trailguard.notify.webhook import render_webhook

SUBJECT_LENGTH = 99
MAX_MESSAGE_BYTES = 256 * 1024 - 2048


def render_sns(
    message: Message, *, fmt: str = "text", prefix: str = "[trailguard]"
) -> dict[str, Any]:
    """The ``Publish`` arguments except the topic: Subject, Message and MessageAttributes."""
    title = subject(message, prefix).encode("ascii", "replace").decode()
    if fmt == "json":
        text = orjson.dumps(render_webhook(message)).decode()
        if len(text.encode()) > MAX_MESSAGE_BYTES:
            text = orjson.dumps(render_webhook(message, include_record=False)).decode()
    else:
        text = message.text()
    encoded = text.encode()
    if len(encoded) > MAX_MESSAGE_BYTES:
        cut = MAX_MESSAGE_BYTES - len(TRUNCATED.encode())
        text = encoded[:cut].decode("utf-8", "ignore") + TRUNCATED
    return {
        "Subject": truncate(title, SUBJECT_LENGTH, "..."),
        "Message": text,
        "MessageAttributes": {
            "severity": {"DataType": "String", "StringValue": str(message.severity)},
            "rule_id": {"DataType": "String", "StringValue": message.rule_id},
            "kind": {"DataType": "String", "StringValue": message.kind},
        },
    }


class SnsTopic:
    """Publishes to one SNS topic."""

    def __init__(
        self, client: Any, *, topic_arn: str, fmt: str = "text", prefix: str = "[trailguard]"
    ) -> None:
        self._client = client
        self._topic_arn = topic_arn
        self._fmt = fmt
        self._prefix = prefix

    def send(self, message: Message, target: Target) -> str:  # noqa: ARG002 - one topic
        """Publish once; returns the SNS MessageId."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        payload = render_sns(message, fmt=self._fmt, prefix=self._prefix)
        try:
            response = self._client.publish(TopicArn=self._topic_arn, **payload)
        except (ClientError, BotoCoreError) as error:
            raise aws_error(error, "SNS Publish") from None
        return str(response.get("MessageId", ""))
