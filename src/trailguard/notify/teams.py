"""Microsoft Teams: an Adaptive Card posted to a Teams workflow webhook.

The workflow "Post to a channel when a webhook request is received" takes a ``message`` with one
Adaptive Card attachment. Teams drops messages over about 28 KB, so the card is kept under
``MAX_CARD_BYTES`` by shortening, then dropping, the long fields.
https://learn.microsoft.com/en-us/connectors/teams/?tabs=text1#microsoft-teams-webhook
"""

from __future__ import annotations

from typing import Any

import orjson

from trailguard.config.model import Target
from trailguard.notify._http import HttpRequest, Post
from trailguard.notify.delivery import Secret, check_response
from trailguard.notify.message import Field, Message, truncate
from trailguard.rules.model import Severity

MAX_CARD_BYTES = 25_000
LONG_VALUE = 2000
SHORT_LONG_VALUE = 300
CARD_VERSION = "1.4"
TITLE_COLOR = {
    Severity.CRITICAL: "Attention",
    Severity.HIGH: "Attention",
    Severity.MEDIUM: "Warning",
    Severity.LOW: "Default",
    Severity.INFO: "Default",
}


def render_card(message: Message) -> dict[str, Any]:
    """The workflow webhook payload: a message with the alert as an Adaptive Card."""
    for limit in (LONG_VALUE, SHORT_LONG_VALUE, 0):
        payload = _payload(message, limit)
        if len(orjson.dumps(payload)) <= MAX_CARD_BYTES:
            return payload
    return payload


def _payload(message: Message, long_limit: int) -> dict[str, Any]:
    facts = [
        {"title": item.label, "value": truncate(item.value.replace("\n", " — "), LONG_VALUE)}
        for item in message.fields
        if not item.long
    ]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": truncate(message.title, 300),
            "size": "Large",
            "weight": "Bolder",
            "color": TITLE_COLOR[message.severity],
            "wrap": True,
        },
        {"type": "TextBlock", "text": truncate(message.summary, LONG_VALUE), "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    hidden = 0
    for item in message.fields:
        if item.long:
            if long_limit:
                body.extend(_long_field(item, long_limit))
            else:
                hidden += 1
    if hidden:
        body.append({"type": "TextBlock", "text": f"{hidden} long fields not shown", "wrap": True})
    body.append(
        {
            "type": "TextBlock",
            "text": f"Severity {str(message.severity).upper()} · rule {message.rule_id}",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        }
    )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": link.label, "url": link.url}
            for link in message.links
        ],
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _long_field(item: Field, limit: int) -> list[dict[str, Any]]:
    return [
        {"type": "TextBlock", "text": item.label, "weight": "Bolder", "wrap": True},
        {
            "type": "TextBlock",
            "text": truncate(item.value, limit),
            "fontType": "Monospace",
            "wrap": True,
        },
    ]


class TeamsWorkflow:
    """Posts Adaptive Cards to a Teams workflow webhook URL."""

    def __init__(self, url: Secret, *, post: Post, timeout: float = 10.0) -> None:
        self._url = url
        self._post = post
        self._timeout = timeout

    def send(self, message: Message, target: Target) -> str:  # noqa: ARG002 - one channel
        """Post once; workflows answer 202 Accepted."""
        body = orjson.dumps(render_card(message))
        headers = {"Content-Type": "application/json"}
        response = self._post(HttpRequest(self._url(), body, headers, self._timeout))
        check_response(response, "Teams workflow")
        return str(response.status)
