"""Notifications: pure renderers (alert -> payload) and senders behind one network seam.

The names below load their module on first use (PEP 562), so that importing one part of the
package (the Lambda handler needs ``message`` and ``senders``) does not load every destination.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trailguard.notify._http import (
        HttpRequest,
        HttpResponse,
        Post,
        SmtpSend,
        SmtpSettings,
    )
    from trailguard.notify.delivery import DeliveryError, Sender
    from trailguard.notify.email import email_html, email_text, render_email
    from trailguard.notify.message import (
        Digest,
        Field,
        Link,
        Message,
        build_message,
        sample_alert,
    )
    from trailguard.notify.senders import SENDER_FACTORIES, LazySenders, SenderKit
    from trailguard.notify.slack import render_blocks
    from trailguard.notify.sns import render_sns
    from trailguard.notify.teams import render_card
    from trailguard.notify.webhook import render_webhook, signature

_MODULES = {
    "HttpRequest": "_http",
    "HttpResponse": "_http",
    "Post": "_http",
    "SmtpSend": "_http",
    "SmtpSettings": "_http",
    "DeliveryError": "delivery",
    "Sender": "delivery",
    "email_html": "email",
    "email_text": "email",
    "render_email": "email",
    "Digest": "message",
    "Field": "message",
    "Link": "message",
    "Message": "message",
    "build_message": "message",
    "sample_alert": "message",
    "SENDER_FACTORIES": "senders",
    "LazySenders": "senders",
    "SenderKit": "senders",
    "render_blocks": "slack",
    "render_sns": "sns",
    "render_card": "teams",
    "render_webhook": "webhook",
    "signature": "webhook",
}

__all__ = [
    "SENDER_FACTORIES",
    "DeliveryError",
    "Digest",
    "Field",
    "HttpRequest",
    "HttpResponse",
    "LazySenders",
    "Link",
    "Message",
    "Post",
    "Sender",
    "SenderKit",
    "SmtpSend",
    "SmtpSettings",
    "build_message",
    "email_html",
    "email_text",
    "render_blocks",
    "render_card",
    "render_email",
    "render_sns",
    "render_webhook",
    "sample_alert",
    "signature",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'trailguard.notify' has no attribute {name!r}")
    return getattr(importlib.import_module(f"trailguard.notify.{module}"), name)
