"""Senders over real sockets: a local HTTP server, a local SMTP server, moto for SES and SNS."""

from __future__ import annotations

import hashlib
import hmac
import json
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import boto3
import pytest

from trailguard.config import Boto3Clients, SecretResolver, Target, parse_config
from trailguard.notify import (
    DeliveryError,
    LazySenders,
    Message,
    SenderKit,
    build_message,
    sample_alert,
)
from trailguard.notify._http import HttpRequest, SmtpSettings, post, send_smtp
from trailguard.notify.email import SmtpEmail
from trailguard.testing import WebhookServer


@pytest.fixture
def message() -> Message:
    return build_message(sample_alert())


def senders_for(text: str, environ: dict[str, str], clients: Any = None) -> LazySenders:
    config, problems = parse_config(text, "test.yaml")
    assert problems == []
    return LazySenders(config, SenderKit(SecretResolver(clients, environ), clients))


class TestHttpSeam:
    def test_statuses_are_answers_not_exceptions(self, webhook_server: WebhookServer) -> None:
        """A 500 comes back as a response with its headers and body."""
        webhook_server.answer(500, {"Retry-After": "7"}, b"boom")
        response = post(
            HttpRequest(webhook_server.url + "/x", b"{}", {"Content-Type": "application/json"})
        )
        assert (response.status, response.headers["retry-after"], response.body) == (
            500,
            "7",
            b"boom",
        )

    def test_connection_refused_is_retryable_and_hides_the_url(self) -> None:
        """Nothing listening: a retryable DeliveryError whose text has no URL (webhook URLs are secrets)."""
        with WebhookServer() as server:
            url = server.url + "/services/T000/B000/SECRET"
        with pytest.raises(DeliveryError) as caught:
            post(HttpRequest(url, b"{}", timeout=2))
        assert caught.value.retryable
        assert "SECRET" not in str(caught.value)

    def test_only_http_urls(self) -> None:
        """file:// and other schemes are refused before any I/O."""
        with pytest.raises(DeliveryError, match="only http"):
            post(HttpRequest("file:///etc/passwd", b""))

    def test_redirects_are_not_followed(self, webhook_server: WebhookServer) -> None:
        """A 302 is returned as is; the body never follows it elsewhere."""
        webhook_server.answer(302, {"Location": "http://127.0.0.1:9/elsewhere"})
        response = post(HttpRequest(webhook_server.url, b"{}"))
        assert response.status == 302


class TestSlack:
    def test_incoming_webhook(self, webhook_server: WebhookServer, message: Message) -> None:
        """The webhook gets the Block Kit payload as JSON."""
        senders = senders_for(
            "destinations:\n  s: {type: slack, webhook_url: env:HOOK}\n",
            {"HOOK": webhook_server.url + "/services/T/B/X"},
        )
        assert senders["s"].send(message, Target("s")) == "ok"
        request = webhook_server.requests[0]
        assert request.path == "/services/T/B/X"
        assert request.headers["content-type"] == "application/json"
        body = request.json()
        assert (
            body["blocks"][0]["text"]["text"]
            == ":information_source: [Root] root AWS Console Login"
        )

    def test_webhook_errors_are_permanent(
        self, webhook_server: WebhookServer, message: Message
    ) -> None:
        """Slack's 403 invalid_token is not retried, and says why."""
        webhook_server.answer(403, {}, b"invalid_token")
        senders = senders_for(
            "destinations:\n  s: {type: slack, webhook_url: env:HOOK}\n",
            {"HOOK": webhook_server.url},
        )
        with pytest.raises(DeliveryError) as caught:
            senders["s"].send(message, Target("s"))
        assert not caught.value.retryable
        assert str(caught.value) == "Slack webhook answered HTTP 403: invalid_token"

    def test_bot_token_posts_to_the_route_channel(
        self, webhook_server: WebhookServer, message: Message
    ) -> None:
        """chat.postMessage gets the bearer token and the route's channel; the ts comes back."""
        text = f"destinations:\n  bot: {{type: slack, token: env:TOKEN, channel: '#default', api_url: '{webhook_server.url}/api'}}\n"
        senders = senders_for(text, {"TOKEN": "xoxb-123"})
        reference = senders["bot"].send(message, Target("bot", "#oncall"))
        request = webhook_server.requests[0]
        assert request.path == "/api/chat.postMessage"
        assert request.headers["authorization"] == "Bearer xoxb-123"
        assert request.json()["channel"] == "#oncall"
        assert reference.startswith("1700000000.")
        senders["bot"].send(message, Target("bot"))
        assert webhook_server.requests[1].json()["channel"] == "#default"

    def test_bot_api_errors(self, webhook_server: WebhookServer, message: Message) -> None:
        """ok: false is a failure; ratelimited may be retried, channel_not_found may not."""
        text = f"destinations:\n  bot: {{type: slack, token: env:TOKEN, channel: '#c', api_url: '{webhook_server.url}/api'}}\n"
        senders = senders_for(text, {"TOKEN": "xoxb-1"})
        webhook_server.answer(
            200,
            {"Content-Type": "application/json"},
            b'{"ok": false, "error": "channel_not_found"}',
        )
        with pytest.raises(DeliveryError, match="channel_not_found") as caught:
            senders["bot"].send(message, Target("bot"))
        assert not caught.value.retryable
        webhook_server.answer(429, {"Retry-After": "3"}, b'{"ok": false, "error": "ratelimited"}')
        with pytest.raises(DeliveryError) as caught:
            senders["bot"].send(message, Target("bot"))
        assert caught.value.retryable
        assert caught.value.retry_after == 3.0


class TestTeamsAndWebhook:
    def test_teams_workflow_gets_an_adaptive_card(
        self, webhook_server: WebhookServer, message: Message
    ) -> None:
        """The workflow URL receives a message with one Adaptive Card attachment."""
        webhook_server.answer(202)
        senders = senders_for(
            "destinations:\n  t: {type: teams, url: env:TEAMS}\n",
            {"TEAMS": webhook_server.url + "/workflows/1"},
        )
        assert senders["t"].send(message, Target("t")) == "202"
        body = webhook_server.requests[0].json()
        card = body["attachments"][0]["content"]
        assert body["type"] == "message"
        assert card["type"] == "AdaptiveCard"
        assert card["body"][0]["text"] == "[Root] root AWS Console Login"

    def test_webhook_body_is_signed(self, webhook_server: WebhookServer, message: Message) -> None:
        """The receiver can verify the HMAC-SHA256 signature over the exact body."""
        text = f"""\
destinations:
  siem:
    type: webhook
    url: {webhook_server.url}/hook
    secret: env:KEY
    headers: {{X-Api-Key: env:API_KEY, X-Team: security}}
"""
        senders = senders_for(text, {"KEY": "shared-secret", "API_KEY": "k-1"})
        senders["siem"].send(message, Target("siem"))
        request = webhook_server.requests[0]
        expected = hmac.new(b"shared-secret", request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-trailguard-signature-256"] == f"sha256={expected}"
        assert request.headers["x-api-key"] == "k-1"
        assert request.headers["x-team"] == "security"
        body = request.json()
        assert body["rule"]["id"] == "trailguard-test"
        assert body["event"]["eventID"] == "00000000-0000-4000-8000-000000000000"
        assert body["record"]["eventName"] == "ConsoleLogin"


class TestSmtp:
    def test_starttls_login_and_delivery(self, smtp_server: Any, message: Message) -> None:
        """The message goes over STARTTLS with a login, with text and HTML parts."""
        text = f"""\
destinations:
  mail:
    type: email
    host: {smtp_server.host}
    port: {smtp_server.port}
    username: {smtp_server.username}
    password: env:SMTP_PASSWORD
    ca_file: {smtp_server.ca_file}
    from: trailguard <alerts@example.com>
    to: [oncall@example.com, sec@example.com]
"""
        senders = senders_for(text, {"SMTP_PASSWORD": smtp_server.password})
        reference = senders["mail"].send(message, Target("mail"))
        envelope = smtp_server.messages[0]
        assert envelope.rcpt_tos == ["oncall@example.com", "sec@example.com"]
        mail = message_from_bytes(envelope.content, policy=default_policy)
        assert mail["Message-ID"] == reference
        assert mail["Subject"] == "[trailguard] [INFO] [Root] root AWS Console Login"
        assert mail.get_body(("plain",)).get_content().startswith("[Root] root AWS Console Login")  # type: ignore[union-attr]
        assert "<h2>[Root] root AWS Console Login</h2>" in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]

    def test_wrong_password_is_permanent(self, smtp_server: Any, message: Message) -> None:
        """535 authentication failure is not retried."""
        settings = SmtpSettings(
            smtp_server.host,
            smtp_server.port,
            "starttls",
            smtp_server.username,
            "wrong",
            5,
            smtp_server.ca_file,
        )
        sender = SmtpEmail(
            settings, sender="a@example.com", recipients=["b@example.com"], send=send_smtp
        )
        with pytest.raises(DeliveryError) as caught:
            sender.send(message, Target("mail"))
        assert caught.value.status == 535
        assert not caught.value.retryable

    def test_temporary_failure_is_retryable(self, smtp_server: Any, message: Message) -> None:
        """A 451 reply to DATA may be retried."""
        smtp_server.replies.append("451 4.3.0 Try again later")
        settings = SmtpSettings(
            smtp_server.host,
            smtp_server.port,
            "starttls",
            smtp_server.username,
            smtp_server.password,
            5,
            smtp_server.ca_file,
        )
        sender = SmtpEmail(
            settings, sender="a@example.com", recipients=["b@example.com"], send=send_smtp
        )
        with pytest.raises(DeliveryError) as caught:
            sender.send(message, Target("mail"))
        assert caught.value.retryable
        assert caught.value.status == 451

    def test_untrusted_certificate_is_refused(self, smtp_server: Any, message: Message) -> None:
        """Without the CA the TLS handshake fails; nothing is sent in clear."""
        settings = SmtpSettings(
            smtp_server.host,
            smtp_server.port,
            "starttls",
            smtp_server.username,
            smtp_server.password,
            5,
        )
        sender = SmtpEmail(
            settings, sender="a@example.com", recipients=["b@example.com"], send=send_smtp
        )
        with pytest.raises(DeliveryError, match="SMTP connection failed"):
            sender.send(message, Target("mail"))
        assert smtp_server.messages == []


class TestAws:
    @pytest.mark.usefixtures("aws")
    def test_ses_send_raw_email(self, message: Message) -> None:
        """SES sends the same MIME message from a verified identity (moto over HTTP)."""
        ses = boto3.client("ses", region_name="eu-west-1")
        ses.verify_email_identity(EmailAddress="alerts@example.com")
        senders = senders_for(
            "destinations:\n  ses: {type: ses, region: eu-west-1, from: alerts@example.com, to: [a@example.com]}\n",
            {},
            Boto3Clients(),
        )
        reference = senders["ses"].send(message, Target("ses"))
        assert reference
        # moto counts the To header's addresses on top of Destinations; AWS uses Destinations.
        assert ses.get_send_quota()["SentLast24Hours"] >= 1

    @pytest.mark.usefixtures("aws")
    def test_ses_unverified_sender_is_permanent(self, message: Message) -> None:
        """SES refuses an unverified From; the error carries AWS's code and is not retried."""
        senders = senders_for(
            "destinations:\n  ses: {type: ses, region: eu-west-1, from: nobody@example.com, to: [a@example.com]}\n",
            {},
            Boto3Clients(),
        )
        with pytest.raises(DeliveryError, match="MessageRejected") as caught:
            senders["ses"].send(message, Target("ses"))
        assert not caught.value.retryable

    @pytest.mark.usefixtures("aws")
    def test_sns_publish_reaches_a_subscribed_queue(self, message: Message) -> None:
        """The topic's SQS subscriber receives the text message, subject and attributes."""
        sns = boto3.client("sns", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="probe")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        senders = senders_for(
            f"destinations:\n  sns: {{type: sns, topic_arn: '{topic}'}}\n", {}, Boto3Clients()
        )
        reference = senders["sns"].send(message, Target("sns"))
        received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        notification = json.loads(received[0]["Body"])
        assert notification["MessageId"] == reference
        assert notification["Subject"] == "[trailguard] [INFO] [Root] root AWS Console Login"
        assert notification["Message"].startswith("[Root] root AWS Console Login\n")
        assert notification["MessageAttributes"]["severity"]["Value"] == "info"

    @pytest.mark.usefixtures("aws")
    def test_sns_json_format(self, message: Message) -> None:
        """format: json publishes the webhook document."""
        sns = boto3.client("sns", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        topic = sns.create_topic(Name="alerts-json")["TopicArn"]
        queue = sqs.create_queue(QueueName="probe-json")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        senders = senders_for(
            f"destinations:\n  sns: {{type: sns, topic_arn: '{topic}', format: json}}\n",
            {},
            Boto3Clients(),
        )
        senders["sns"].send(message, Target("sns"))
        body = json.loads(
            sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"][0]["Body"]
        )
        document = json.loads(body["Message"])
        assert document["kind"] == "alert"
        assert document["record"]["eventID"] == "00000000-0000-4000-8000-000000000000"

    @pytest.mark.usefixtures("aws")
    def test_sns_missing_topic(self, message: Message) -> None:
        """A topic that does not exist is a permanent NotFound failure."""
        arn = "arn:aws:sns:eu-west-1:123456789012:missing"
        senders = senders_for(
            f"destinations:\n  sns: {{type: sns, topic_arn: '{arn}'}}\n", {}, Boto3Clients()
        )
        with pytest.raises(DeliveryError, match="NotFound") as caught:
            senders["sns"].send(message, Target("sns"))
        assert not caught.value.retryable
