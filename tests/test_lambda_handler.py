"""The Lambda handler, invoked in-process with real-shaped events; AWS is moto over HTTP."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailguard import lambda_handler
from trailguard.alerting.runtime import DeliveryIncomplete
from trailguard.errors import ConfigError
from trailguard.testing import WebhookServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LAMBDA = FIXTURES / "lambda"
BUCKET = "aws-cloudtrail-logs-111122223333-0a1b2c3d"
KEY = (
    "AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/"
    "111122223333_CloudTrail_us-east-1_20221110T1630Z_EXAMPLEa1b2c3d4e.json.gz"
)
CONFIG = """\
time_zone: Asia/Seoul
rules:
  exclude: [console-login, root-account-usage]
destinations:
  slack:
    type: slack
    webhook_url: ssm:/trailguard/slack-webhook
  sns:
    type: sns
    topic_arn: {topic}
routes:
  - to: [slack]
  - match: {min_severity: high}
    to: [sns]
delivery: {attempts: 2, backoff: 0.01, max_delay: 0.05}
"""


def load(name: str) -> Any:
    return json.loads((LAMBDA / name).read_text())


@pytest.fixture
def slack() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture
def deployment(
    aws: str,  # noqa: ARG001 - a fixture used for its side effect
    slack: WebhookServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """What a deployment has: the webhook in SSM, an SNS topic with a queue, a DynamoDB table, a trail bucket."""
    ssm = boto3.client("ssm")
    ssm.put_parameter(
        Name="/trailguard/slack-webhook", Value=slack.url + "/services/T/B/X", Type="SecureString"
    )
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="trailguard-state",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    envelopes = [
        json.loads(line)
        for line in (FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl")
        .read_text()
        .splitlines()
    ]
    trail_file = {
        "Records": [envelopes[0]["detail"], envelopes[7]["detail"], envelopes[9]["detail"]]
    }
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=gzip.compress(json.dumps(trail_file).encode()))
    s3.put_object(
        Bucket=BUCKET, Key="trail logs/" + KEY, Body=gzip.compress(json.dumps(trail_file).encode())
    )
    config = tmp_path / "trailguard.yaml"
    config.write_text(CONFIG.replace("{topic}", topic))
    monkeypatch.setenv("TRAILGUARD_CONFIG", str(config))
    monkeypatch.setenv("TRAILGUARD_TABLE", "trailguard-state")
    monkeypatch.setattr(lambda_handler, "_runtime", None)
    return {"queue": queue, "sqs": sqs, "config": config, "topic": topic}


def titles(server: WebhookServer) -> list[str]:
    return [r.json()["blocks"][0]["text"]["text"] for r in server.requests]


class TestInputs:
    @pytest.mark.usefixtures("deployment")
    def test_eventbridge_root_sign_in(
        self,
        slack: WebhookServer,
    ) -> None:
        """The classic path: a root console sign-in arrives and Slack gets "[Root] root AWS Console Login"."""
        result = lambda_handler.handler(load("eventbridge_cloudtrail.json"), None)
        assert result["records"] == 1
        assert result["failed"] == 0
        assert ":red_circle: [Root] root AWS Console Login" in titles(slack)
        body = slack.requests[0].json()
        fields = [f["text"] for block in body["blocks"] for f in block.get("fields", [])]
        assert "*Time*\n2022-11-11 01:24:34 KST (2022-11-10 16:24:34 UTC)" in fields
        assert "*MFA used*\nNo" in fields

    def test_high_severity_also_goes_to_sns(self, deployment: dict[str, Any]) -> None:
        """The min_severity route publishes to the SNS topic (its SQS subscriber receives it)."""
        lambda_handler.handler(load("eventbridge_cloudtrail.json"), None)
        messages = deployment["sqs"].receive_message(
            QueueUrl=deployment["queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )["Messages"]
        subjects = sorted(json.loads(m["Body"])["Subject"] for m in messages)
        assert "[trailguard] [HIGH] [Root] root AWS Console Login" in subjects

    @pytest.mark.usefixtures("deployment")
    @pytest.mark.parametrize(
        ("name", "records"),
        [
            ("sqs_eventbridge.json", 2),
            ("sns_eventbridge.json", 1),
            ("s3_object_created.json", 3),
            ("sns_s3_object_created.json", 3),
            ("sqs_s3_object_created.json", 3),
            ("sqs_sns_s3_object_created.json", 3),
            ("eventbridge_s3_object_created.json", 3),
            ("sns_cloudtrail_notification.json", 3),
        ],
    )
    def test_every_input_kind(
        self,
        slack: WebhookServer,
        name: str,
        records: int,
    ) -> None:
        """SQS- and SNS-wrapped events and every S3 notification route reach the same rules."""
        result = lambda_handler.handler(load(name), None)
        assert result["records"] == records
        assert result["delivered"] >= 1
        assert any("StopLogging" in json.dumps(r.json()) for r in slack.requests)

    @pytest.mark.usefixtures("deployment", "slack")
    def test_cloudwatch_logs_subscription(
        self,
    ) -> None:
        """A CloudWatch Logs subscription payload is decoded and its records checked."""
        event = json.loads(
            (FIXTURES / "cloudwatch_logs" / "subscription_data_message.json").read_text()
        )
        result = lambda_handler.handler(event, None)
        assert result["records"] >= 1
        assert result["delivered"] >= 1

    @pytest.mark.usefixtures("deployment")
    def test_schedule_ticks_and_test_events_do_nothing(
        self,
        slack: WebhookServer,
    ) -> None:
        """A scheduled event or S3 test event succeeds without records or messages."""
        for name in ("scheduled_event.json", "sqs_s3_test_event.json"):
            assert lambda_handler.handler(load(name), None)["records"] == 0
        assert slack.requests == []


class TestNothingLost:
    @pytest.mark.usefixtures("deployment")
    def test_retried_invocations_deliver_once(
        self,
        slack: WebhookServer,
    ) -> None:
        """EventBridge delivers twice (or Lambda retries): Slack gets the alert once (DynamoDB claims)."""
        event = load("eventbridge_cloudtrail.json")
        first = lambda_handler.handler(event, None)
        lambda_handler._runtime = None  # a new container: only DynamoDB remembers
        second = lambda_handler.handler(event, None)
        assert first["delivered"] == 2
        assert second["delivered"] == 0
        assert second["already_delivered"] == 2
        assert len(slack.requests) == 1

    def test_a_failed_delivery_fails_the_invocation_then_succeeds_on_retry(
        self, deployment: dict[str, Any], slack: WebhookServer
    ) -> None:
        """Slack down: the handler raises (Lambda retries); the retry delivers, SNS is not repeated."""
        slack.answer(500, {}, b"internal_error")
        slack.answer(503, {}, b"unavailable")
        event = load("eventbridge_cloudtrail.json")
        with pytest.raises(
            DeliveryIncomplete, match=r"1 deliveries failed.*Slack webhook answered HTTP 503"
        ):
            lambda_handler.handler(event, None)
        state = lambda_handler.runtime().state
        [failed] = state.undelivered()
        assert failed.key.target == "slack"
        assert [a.outcome for a in state.attempts(failed.key)] == ["retry", "failed"]
        result = lambda_handler.handler(event, None)
        assert (result["delivered"], result["already_delivered"], result["failed"]) == (1, 1, 0)
        assert state.undelivered() == []
        messages = deployment["sqs"].receive_message(
            QueueUrl=deployment["queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )["Messages"]
        assert len(messages) == 1

    @pytest.mark.usefixtures("deployment")
    def test_throttled_repeats_become_a_digest(
        self,
        slack: WebhookServer,
    ) -> None:
        """Repeats of one (rule, principal, event) are held in DynamoDB and sent as one digest later."""
        base = load("eventbridge_cloudtrail.json")
        events = []
        for minute in range(4):
            detail = {
                **base["detail"],
                "eventID": f"login-{minute}",
                "eventTime": f"2022-11-10T16:2{minute}:34Z",
            }
            events.append({**base, "id": f"id-{minute}", "detail": detail})
        lambda_handler.runtime().clock = lambda: datetime(2022, 11, 10, 16, 24, tzinfo=UTC)
        result = lambda_handler.handler(
            {"Records": [{"eventSource": "aws:sqs", "body": json.dumps(e)} for e in events]}, None
        )
        assert result["held_for_digest"] == 3
        assert len(slack.requests) == 1
        lambda_handler._runtime = None  # a new container, after the 15-minute window
        lambda_handler.runtime().clock = lambda: datetime(2022, 11, 10, 16, 40, tzinfo=UTC)
        tick = lambda_handler.handler(load("scheduled_event.json"), None)
        assert (tick["digests"], tick["delivered"]) == (1, 2)  # one digest, to Slack and SNS
        assert titles(slack)[-1] == ":red_circle: 3 more: [Root] root AWS Console Login"


class TestConfiguration:
    @pytest.mark.usefixtures("slack")
    def test_config_from_an_ssm_parameter(
        self,
        deployment: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """TRAILGUARD_CONFIG may name an SSM parameter instead of a file."""
        boto3.client("ssm").put_parameter(
            Name="/trailguard/config", Value=deployment["config"].read_text(), Type="String"
        )
        monkeypatch.setenv("TRAILGUARD_CONFIG", "/trailguard/config")
        monkeypatch.delenv("TRAILGUARD_TABLE")
        result = lambda_handler.handler(load("eventbridge_cloudtrail.json"), None)
        assert result["delivered"] == 2

    @pytest.mark.usefixtures("monkeypatch")
    def test_bad_config_fails_with_every_problem(
        self,
        deployment: dict[str, Any],
    ) -> None:
        """A broken configuration fails the invocation with each problem and its line."""
        deployment["config"].write_text("destinations:\n  x: {type: nope}\nroutes:\n  - to: [y]\n")
        with pytest.raises(ConfigError) as caught:
            lambda_handler.handler(load("eventbridge_cloudtrail.json"), None)
        text = str(caught.value)
        assert "trailguard.yaml:2 (type)" in text
        assert "trailguard.yaml:4: unknown destination 'y'" in text


class TestColdStart:
    def test_importing_the_handler_loads_neither_the_cli_nor_boto3(self) -> None:
        """python -X importtime shows no click, rich or boto3 module in the handler's import."""
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import trailguard.lambda_handler"],
            capture_output=True,
            text=True,
            check=True,
        )
        modules = {
            line.rsplit("|", 1)[-1].strip().split(".")[0]
            for line in result.stderr.splitlines()
            if "|" in line
        }
        assert "trailguard" in modules
        assert not modules & {"click", "rich", "boto3", "botocore"}
