from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.events import (
    CloudTrailEvent,
    detail_type,
    event_bridge_source,
    from_envelope,
    is_envelope,
    to_envelope,
)


class TestToEnvelope:
    def test_matches_the_documented_envelope_of_every_fixture(
        self, envelopes: list[dict[str, Any]]
    ) -> None:
        """Every field but the random id is what EventBridge delivers for the record."""
        for expected in envelopes:
            built = to_envelope(expected["detail"])
            assert {k: v for k, v in built.items() if k != "id"} == {
                k: v for k, v in expected.items() if k != "id"
            }

    def test_id_is_stable_per_event_id(self, envelopes: list[dict[str, Any]]) -> None:
        """The same record always gets the same envelope id, and different records differ."""
        ids = {to_envelope(e["detail"])["id"] for e in envelopes}
        assert len(ids) == len(envelopes)
        record = envelopes[0]["detail"]
        assert to_envelope(record)["id"] == to_envelope(dict(record))["id"]

    def test_an_envelope_is_left_as_it_is(self, envelopes: list[dict[str, Any]]) -> None:
        """Wrapping an envelope again changes nothing."""
        assert to_envelope(envelopes[0]) == envelopes[0]

    @pytest.mark.parametrize(
        ("event_type", "expected"),
        [
            ("AwsApiCall", "AWS API Call via CloudTrail"),
            ("AwsConsoleSignIn", "AWS Console Sign In via CloudTrail"),
            ("AwsConsoleSignin", "AWS Console Sign In via CloudTrail"),
            ("AwsServiceEvent", "AWS Service Event via CloudTrail"),
            ("AwsConsoleAction", "AWS Console Action via CloudTrail"),
            ("AwsCloudTrailInsight", "AWS Insight via CloudTrail"),
        ],
    )
    def test_detail_type_follows_event_type(self, event_type: str, expected: str) -> None:
        """detail-type comes from eventType, accepting the IAM guide's 'Signin' spelling."""
        assert detail_type({"eventType": event_type}) == expected

    def test_old_records_without_event_type_are_api_calls(self) -> None:
        """Records older than eventVersion 1.02 have no eventType; they are API calls."""
        assert detail_type({"eventVersion": "1.0"}) == "AWS API Call via CloudTrail"

    @pytest.mark.parametrize(
        ("event_source", "expected"),
        [
            ("signin.amazonaws.com", "aws.signin"),
            ("iam.amazonaws.com", "aws.iam"),
            ("monitoring.amazonaws.com", "aws.monitoring"),
            ("cloudtrail-data.amazonaws.com", "aws.cloudtrail-data"),
        ],
    )
    def test_source_is_the_first_label_of_event_source(
        self, event_source: str, expected: str
    ) -> None:
        """source is 'aws.' plus the first DNS label of eventSource."""
        assert event_bridge_source({"eventSource": event_source}) == expected

    def test_account_falls_back_to_the_caller_when_recipient_is_missing(self) -> None:
        """Old records lack recipientAccountId; the caller's account stands in."""
        record = {
            "eventTime": "2014-03-06T21:22:54Z",
            "userIdentity": {"accountId": "777788889999"},
        }
        assert to_envelope(record)["account"] == "777788889999"


class TestFromEnvelope:
    def test_gives_back_the_record(self, envelopes: list[dict[str, Any]]) -> None:
        """The record inside is returned unchanged, and a bare record passes through."""
        for envelope in envelopes:
            assert from_envelope(envelope) is envelope["detail"]
            assert from_envelope(envelope["detail"]) is envelope["detail"]
            assert is_envelope(envelope)
            assert not is_envelope(envelope["detail"])


class TestCloudTrailEvent:
    def test_root_console_sign_in(self, docs_records: list[dict[str, Any]]) -> None:
        """A root console sign-in reads as root, with its time, address and account."""
        record = next(
            r
            for r in docs_records
            if r.get("eventName") == "ConsoleLogin" and r["userIdentity"]["type"] == "Root"
        )
        event = CloudTrailEvent(record)
        assert event.principal == "root"
        assert event.identity_type == "Root"
        assert event.event_source == "signin.amazonaws.com"
        assert isinstance(event.event_time, datetime)
        assert event.event_time.tzinfo == UTC
        assert event.account_id
        assert event.error_code is None

    def test_assumed_role_principal_is_role_and_session(self) -> None:
        """An assumed-role session is named RoleName/session."""
        event = CloudTrailEvent(
            {
                "eventTime": "2024-03-01T00:00:00Z",
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                },
            }
        )
        assert event.principal == "Admin/alice"

    def test_wraps_envelopes_too(self, envelopes: list[dict[str, Any]]) -> None:
        """An envelope is viewed as the record it carries."""
        event = CloudTrailEvent(envelopes[0])
        assert event.record is envelopes[0]["detail"]
        assert event.envelope()["detail"] is envelopes[0]["detail"]

    def test_missing_fields_do_not_raise(self) -> None:
        """AWS-internal events lack userIdentity.type and more; the view still answers."""
        event = CloudTrailEvent(
            {"eventTime": "not a time", "userIdentity": {"invokedBy": "AWS Internal"}}
        )
        assert event.event_time is None
        assert event.principal == "AWS Internal"
        assert event.identity_type == ""
        assert event.principal_arn == ""
