"""Slack: Block Kit messages through an incoming webhook or a bot token (chat.postMessage).

Slack rejects a message whose section text exceeds 3000 characters, a field 2000, a header 150,
or that has more than 50 blocks; ``render_blocks`` trims to those limits with a visible marker
instead of failing. https://api.slack.com/reference/block-kit/blocks
"""

from __future__ import annotations

from typing import Any

import orjson

from trailguard.config.model import Target
from trailguard.notify._http import HttpRequest, Post
from trailguard.notify.delivery import DeliveryError, Secret, check_response, retry_after
from trailguard.notify.message import Field, Message, truncate
from trailguard.rules.model import Severity

MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS_PER_SECTION = 10
HEADER_TEXT = 150
FALLBACK_TEXT = 3000
SEVERITY_EMOJI = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":large_yellow_circle:",
    Severity.INFO: ":information_source:",
}
# chat.postMessage "ok": false errors that a later attempt may get past.
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _field_text(item: Field) -> str:
    return truncate(f"*{escape(item.label)}*\n{escape(item.value)}", FIELD_TEXT)


def _long_section(item: Field) -> dict[str, Any]:
    head = f"*{escape(item.label)}*\n```"
    body = escape(item.value).replace("```", "'''")
    return {
        "type": "section",
        "text": _mrkdwn(head + truncate(body, SECTION_TEXT - len(head) - 3) + "```"),
    }


def render_blocks(message: Message) -> dict[str, Any]:
    """The Block Kit payload (``text`` fallback and ``blocks``), within Slack's limits."""
    emoji = SEVERITY_EMOJI[message.severity]
    header = {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": truncate(f"{emoji} {message.title}", HEADER_TEXT),
            "emoji": True,
        },
    }
    summary = {"type": "section", "text": _mrkdwn(truncate(escape(message.summary), SECTION_TEXT))}
    body: list[dict[str, Any]] = []
    short = [item for item in message.fields if not item.long]
    for start in range(0, len(short), FIELDS_PER_SECTION):
        chunk = short[start : start + FIELDS_PER_SECTION]
        body.append({"type": "section", "fields": [_mrkdwn(_field_text(i)) for i in chunk]})
    body.extend(_long_section(item) for item in message.fields if item.long)
    footer_parts = [
        f"*{str(message.severity).upper()}*",
        f"rule `{escape(message.rule_id)}`",
        *(f"<{link.url}|{escape(link.label)}>" for link in message.links),
    ]
    footer = {"type": "context", "elements": [_mrkdwn(" · ".join(footer_parts))]}
    room = MAX_BLOCKS - 3
    if len(body) > room:
        hidden = len(body) - (room - 1)
        body = [
            *body[: room - 1],
            {"type": "context", "elements": [_mrkdwn(f"… {hidden} more blocks not shown")]},
        ]
    fallback = truncate(f"{emoji} {message.title}: {message.summary}", FALLBACK_TEXT)
    return {"text": escape(fallback), "blocks": [header, summary, *body, footer]}


class SlackWebhook:
    """Posts to a Slack incoming webhook (the channel is the webhook's)."""

    def __init__(self, url: Secret, *, post: Post, timeout: float = 10.0) -> None:
        self._url = url
        self._post = post
        self._timeout = timeout

    def send(self, message: Message, target: Target) -> str:  # noqa: ARG002 - one channel
        """Post once; Slack answers ``ok`` or an HTTP error with a reason."""
        body = orjson.dumps(render_blocks(message))
        headers = {"Content-Type": "application/json"}
        response = self._post(HttpRequest(self._url(), body, headers, self._timeout))
        check_response(response, "Slack webhook")
        return "ok"


class SlackBot:
    """Posts with a bot token through ``chat.postMessage``; routes may choose the channel."""

    def __init__(
        self,
        token: Secret,
        *,
        channel: str | None,
        post: Post,
        api_url: str = "https://slack.com/api",
        timeout: float = 10.0,
    ) -> None:
        self._token = token
        self._channel = channel
        self._post = post
        self._url = api_url.rstrip("/") + "/chat.postMessage"
        self._timeout = timeout

    def send(self, message: Message, target: Target) -> str:
        """Post once; returns the message timestamp (``ts``) Slack gave it."""
        channel = target.channel or self._channel
        if not channel:
            raise DeliveryError(
                "no Slack channel: set channel: on the destination or route", retryable=False
            )
        body = orjson.dumps({"channel": channel, **render_blocks(message)})
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {self._token()}",
        }
        response = self._post(HttpRequest(self._url, body, headers, self._timeout))
        check_response(response, "Slack chat.postMessage")
        answer = response.json()
        if not isinstance(answer, dict) or not answer.get("ok"):
            error = str(answer.get("error")) if isinstance(answer, dict) else "not JSON"
            raise DeliveryError(
                f"Slack chat.postMessage: {error}",
                retryable=error in RETRYABLE_ERRORS,
                status=response.status,
                retry_after=retry_after(response.headers),
            )
        return str(answer.get("ts", "ok"))
