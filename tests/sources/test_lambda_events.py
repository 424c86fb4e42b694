"""Every Lambda event shape trailguard is subscribed to yields the CloudTrail records it carries."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailguard.errors import InputError
from trailguard.events import from_envelope
from trailguard.sources.lambda_events import from_lambda_event, s3_objects

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LAMBDA = FIXTURES / "lambda"
BUCKET = "aws-cloudtrail-logs-111122223333-0a1b2c3d"
KEY = (
    "AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/"
    "111122223333_CloudTrail_us-east-1_20221110T1630Z_EXAMPLEa1b2c3d4e.json.gz"
)


def load(name: str) -> Any:
    return json.loads((LAMBDA / name).read_text())


def envelopes() -> list[dict[str, Any]]:
    lines = (FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def event_ids(records: list[Any]) -> list[str]:
    return [from_envelope(r)["eventID"] for r in records]


@pytest.fixture
def trail_bucket(aws: str) -> Any:  # noqa: ARG001 - a fixture used for its side effect
    """A trail bucket in moto holding one gzip log file (three real records) at KEY and under a spaced prefix."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    records = [e["detail"] for e in envelopes()[:3]]
    body = gzip.compress(json.dumps({"Records": records}).encode())
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)
    s3.put_object(Bucket=BUCKET, Key="trail logs/" + KEY, Body=body)
    return s3


class TestDirect:
    def test_eventbridge_envelope_is_passed_on(self) -> None:
        """An EventBridge CloudTrail event is yielded as the envelope EventBridge delivered."""
        event = load("eventbridge_cloudtrail.json")
        [found] = from_lambda_event(event)
        assert found == event

    def test_sqs_batch_of_eventbridge_events(self) -> None:
        """Each SQS message body is decoded."""
        found = list(from_lambda_event(load("sqs_eventbridge.json")))
        assert [r["detail"]["eventName"] for r in found] == ["ConsoleLogin", "StopLogging"]

    def test_sns_wrapped_eventbridge_event(self) -> None:
        """The SNS Message is decoded."""
        [found] = from_lambda_event(load("sns_eventbridge.json"))
        assert found["detail"]["eventName"] == "StopLogging"

    def test_cloudwatch_logs_subscription(self) -> None:
        """awslogs.data is base64+gzip; the log events' messages are the records."""
        event = json.loads(
            (FIXTURES / "cloudwatch_logs" / "subscription_data_message.json").read_text()
        )
        decoded = json.loads(
            (FIXTURES / "cloudwatch_logs" / "subscription_data_message.decoded.json").read_text()
        )
        found = list(from_lambda_event(event))
        assert event_ids(found) == [
            json.loads(e["message"])["eventID"] for e in decoded["logEvents"]
        ]

    def test_cloudwatch_logs_control_message_has_no_records(self) -> None:
        """The subscription health check carries nothing."""
        event = json.loads(
            (FIXTURES / "cloudwatch_logs" / "subscription_control_message.json").read_text()
        )
        assert list(from_lambda_event(event)) == []

    def test_scheduled_event_and_s3_test_event_are_empty(self) -> None:
        """A schedule tick and S3's test event hold no records."""
        assert list(from_lambda_event(load("scheduled_event.json"))) == []
        assert list(from_lambda_event(load("sqs_s3_test_event.json"))) == []

    def test_unknown_events_are_errors(self) -> None:
        """An event trailguard cannot read is an InputError, not a silent success."""
        with pytest.raises(InputError, match="carries no CloudTrail record"):
            list(
                from_lambda_event(
                    {
                        **load("scheduled_event.json"),
                        "detail-type": "EC2 Instance State-change Notification",
                    }
                )
            )
        with pytest.raises(InputError, match="aws:kinesis"):
            list(from_lambda_event({"Records": [{"eventSource": "aws:kinesis", "kinesis": {}}]}))
        with pytest.raises(InputError, match="SQS message body is not JSON"):
            list(from_lambda_event({"Records": [{"eventSource": "aws:sqs", "body": "hello"}]}))


class TestS3:
    @pytest.mark.parametrize(
        "name",
        [
            "sns_s3_object_created.json",
            "sqs_s3_object_created.json",
            "sqs_sns_s3_object_created.json",
            "eventbridge_s3_object_created.json",
            "sns_cloudtrail_notification.json",
        ],
    )
    def test_every_notification_route_names_the_log_file(self, name: str) -> None:
        """S3 notifications via SNS, SQS, SNS->SQS, EventBridge, and CloudTrail's own, name the file."""
        assert s3_objects(load(name)) == [(BUCKET, KEY)]

    def test_keys_are_url_decoded(self) -> None:
        """A key with a space arrives as '+' in the notification and is read with its space."""
        assert s3_objects(load("s3_object_created.json")) == [(BUCKET, "trail logs/" + KEY)]

    def test_digests_and_removals_are_ignored(self) -> None:
        """Digest files and ObjectRemoved events are not log files to read."""
        assert s3_objects(load("s3_digest_created.json")) == []
        assert s3_objects(load("s3_object_removed.json")) == []

    @pytest.mark.parametrize(
        "name",
        [
            "s3_object_created.json",
            "sqs_sns_s3_object_created.json",
            "eventbridge_s3_object_created.json",
        ],
    )
    def test_log_files_are_read_from_s3(self, trail_bucket: Any, name: str) -> None:
        """The records of the gzip trail file come out, read from S3 over HTTP (moto)."""
        found = list(from_lambda_event(load(name), s3_client=trail_bucket))
        assert event_ids(found) == [e["detail"]["eventID"] for e in envelopes()[:3]]

    @pytest.mark.usefixtures("aws")
    def test_a_real_organization_trail_file(
        self,
    ) -> None:
        """A real trail file (cloud-snitch, organization trail path) reads completely."""
        source = (
            Path(__file__).resolve().parents[2]
            / "examples/sample-trail/AWSLogs/o-1234abcde/222222222222/CloudTrail/us-east-1/2025/03/06"
            / "222222222222_CloudTrail_us-east-1_20250306T0230Z_QF6qcgyiaVnSueXa.json.gz"
        )
        key = "AWSLogs/o-1234abcde/222222222222/CloudTrail/us-east-1/2025/03/06/" + source.name
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="org-trail")
        s3.put_object(Bucket="org-trail", Key=key, Body=source.read_bytes())
        event = {
            "Records": [
                {
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "org-trail"}, "object": {"key": key}},
                }
            ]
        }
        found = list(from_lambda_event(event, s3_client=s3))
        assert len(found) == len(json.loads(gzip.decompress(source.read_bytes()))["Records"])

    def test_a_corrupt_file_is_reported_and_skipped(self, trail_bucket: Any) -> None:
        """A log file that is not gzip JSON goes to on_error; the others are still read."""
        trail_bucket.put_object(Bucket=BUCKET, Key=KEY, Body=b"\x1f\x8b not really gzip")
        problems: list[InputError] = []
        event = {
            "Records": [
                *load("s3_object_created.json")["Records"],
                *load("sqs_s3_object_created.json")["Records"],
            ]
        }
        found = list(from_lambda_event(event, s3_client=trail_bucket, on_error=problems.append))
        assert len(found) == 3
        assert len(problems) == 1
        assert "corrupt gzip" in str(problems[0])

    def test_a_missing_object_raises(self, trail_bucket: Any) -> None:
        """An object that cannot be read raises, so Lambda retries the event."""
        trail_bucket.delete_object(Bucket=BUCKET, Key=KEY)
        with pytest.raises(InputError, match="NoSuchKey"):
            list(
                from_lambda_event(
                    load("sqs_s3_object_created.json"),
                    s3_client=trail_bucket,
                    on_error=lambda _: None,
                )
            )

    def test_no_client_no_read(self) -> None:
        """Without an S3 client, an S3 notification is an error naming the object."""
        with pytest.raises(InputError, match="needs an S3 client"):
            list(from_lambda_event(load("sqs_s3_object_created.json")))
