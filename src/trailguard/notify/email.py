"""E-mail: a text and HTML message, submitted over SMTP or sent with Amazon SES."""

from __future__ import annotations

import html
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from trailguard.config.model import Target
from trailguard.notify._http import SmtpSend, SmtpSettings
from trailguard.notify.delivery import DeliveryError, Secret, aws_error
from trailguard.notify.message import Message, truncate

SUBJECT_LENGTH = 200


def subject(message: Message, prefix: str = "[trailguard]") -> str:
    """One line: prefix, severity and title."""
    text = f"{prefix} [{str(message.severity).upper()}] {message.title}".strip()
    return truncate(" ".join(text.split()), SUBJECT_LENGTH)


def email_text(message: Message) -> str:
    """The plain-text part."""
    return message.text() + "\n"


def email_html(message: Message) -> str:
    """The HTML part: a heading, the summary, a table of fields and the links."""
    rows = "\n".join(
        f'<tr><th align="left" valign="top">{html.escape(f.label)}</th>'
        + (
            f"<td><pre>{html.escape(f.value)}</pre></td></tr>"
            if f.long
            else f"<td>{html.escape(f.value).replace(chr(10), '<br>')}</td></tr>"
        )
        for f in message.fields
    )
    links = " · ".join(
        f'<a href="{html.escape(link.url, quote=True)}">{html.escape(link.label)}</a>'
        for link in message.links
    )
    rule = html.escape(f"{message.rule_title} ({message.rule_id})")
    return (
        "<!DOCTYPE html>\n<html><body>\n"
        f"<h2>{html.escape(message.title)}</h2>\n"
        f"<p>{html.escape(message.summary)}</p>\n"
        f'<table cellpadding="4">\n{rows}\n</table>\n'
        f"<p>Rule: {rule}, severity <b>{html.escape(str(message.severity))}</b></p>\n"
        f"<p>{links}</p>\n"
        "</body></html>\n"
    )


def render_email(
    message: Message, *, sender: str, recipients: Sequence[str], prefix: str = "[trailguard]"
) -> EmailMessage:
    """The MIME message (text with an HTML alternative); Date and Message-ID are added on send."""
    mail = EmailMessage()
    mail["Subject"] = subject(message, prefix)
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["X-Trailguard-Rule"] = message.rule_id
    mail["X-Trailguard-Severity"] = str(message.severity)
    mail.set_content(email_text(message))
    mail.add_alternative(email_html(message), subtype="html")
    return mail


def _stamp(mail: EmailMessage) -> EmailMessage:
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain="trailguard")
    return mail


class SmtpEmail:
    """Submits e-mail over SMTP (STARTTLS and login by default)."""

    def __init__(  # noqa: PLR0913 - the options are keyword-only
        self,
        settings: SmtpSettings,
        *,
        sender: str,
        recipients: Sequence[str],
        send: SmtpSend,
        password: Secret | None = None,
        prefix: str = "[trailguard]",
    ) -> None:
        self._settings = settings
        self._sender = sender
        self._recipients = tuple(recipients)
        self._send = send
        self._password = password
        self._prefix = prefix

    def send(self, message: Message, target: Target) -> str:  # noqa: ARG002 - fixed recipients
        """Submit once; returns the Message-ID."""
        mail = _stamp(
            render_email(
                message, sender=self._sender, recipients=self._recipients, prefix=self._prefix
            )
        )
        settings = self._settings
        if self._password is not None:
            settings = SmtpSettings(
                settings.host,
                settings.port,
                settings.tls,
                settings.username,
                self._password(),
                settings.timeout,
                settings.ca_file,
            )
        self._send(settings, mail)
        return str(mail["Message-ID"])


class SesEmail:
    """Sends the same MIME message with Amazon SES ``SendRawEmail``."""

    def __init__(
        self,
        client: Any,
        *,
        sender: str,
        recipients: Sequence[str],
        configuration_set: str | None = None,
        prefix: str = "[trailguard]",
    ) -> None:
        self._client = client
        self._sender = sender
        self._recipients = tuple(recipients)
        self._configuration_set = configuration_set
        self._prefix = prefix

    def send(self, message: Message, target: Target) -> str:  # noqa: ARG002 - fixed recipients
        """Send once; returns the SES MessageId."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        mail = _stamp(
            render_email(
                message, sender=self._sender, recipients=self._recipients, prefix=self._prefix
            )
        )
        arguments: dict[str, Any] = {
            "Source": self._sender,
            "Destinations": list(self._recipients),
            "RawMessage": {"Data": mail.as_bytes()},
        }
        if self._configuration_set:
            arguments["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._client.send_raw_email(**arguments)
        except (ClientError, BotoCoreError) as error:
            raise aws_error(error, "SES SendRawEmail") from None
        message_id = response.get("MessageId")
        if not message_id:
            raise DeliveryError("SES SendRawEmail returned no MessageId", retryable=True)
        return str(message_id)
