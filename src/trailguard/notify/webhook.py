"""Any HTTPS endpoint: the alert as JSON, optionally signed with HMAC-SHA256.

The signature header carries ``sha256=<hex>`` of HMAC-SHA256 over the exact body bytes with the
shared secret, the scheme GitHub webhooks use, so receivers can reuse their verifiers.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

from trailguard.config.model import Target
from trailguard.notify._http import HttpRequest, Post
from trailguard.notify.delivery import Secret, check_response
from trailguard.notify.message import Message

FORMAT_VERSION = 1


def render_webhook(message: Message, *, include_record: bool = True) -> dict[str, Any]:
    """The JSON body: the message's parts plus machine-readable event facts (and the record)."""
    body: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "kind": message.kind,
        "title": message.title,
        "summary": message.summary,
        "severity": str(message.severity),
        "rule": {"id": message.rule_id, "title": message.rule_title},
        "fields": [{"label": f.label, "value": f.value} for f in message.fields],
        "links": {link.label: link.url for link in message.links},
        "event": dict(message.event),
        "count": message.count,
    }
    if include_record and message.record is not None:
        body["record"] = message.record
    return body


def signature(secret: str, body: bytes) -> str:
    """``sha256=`` + the hex HMAC-SHA256 of ``body`` under ``secret``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Webhook:
    """Posts the JSON body to a URL, with extra headers and an optional signature."""

    def __init__(  # noqa: PLR0913 - the options are keyword-only
        self,
        url: Secret,
        *,
        post: Post,
        secret: Secret | None = None,
        signature_header: str = "X-Trailguard-Signature-256",
        headers: Mapping[str, Secret] | None = None,
        include_record: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self._url = url
        self._post = post
        self._secret = secret
        self._signature_header = signature_header
        self._headers = dict(headers or {})
        self._include_record = include_record
        self._timeout = timeout

    def send(self, message: Message, target: Target) -> str:  # noqa: ARG002 - one endpoint
        """Post once; any 2xx is success."""
        body = orjson.dumps(render_webhook(message, include_record=self._include_record))
        headers = {name: value() for name, value in self._headers.items()}
        headers["Content-Type"] = "application/json"
        if self._secret is not None:
            headers[self._signature_header] = signature(self._secret(), body)
        response = self._post(HttpRequest(self._url(), body, headers, self._timeout))
        check_response(response, "webhook")
        return str(response.status)
