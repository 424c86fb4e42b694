"""Each search condition, on real CloudTrail records and on real records with one field changed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.errors import ConfigError
from trailguard.investigate.globs import Globs
from trailguard.investigate.query import Query, normalize_event_source

# Invictus IR dataset, CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1215Z_..., Records[92]
BASE: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDATFQR7NSC5AU2ZV3IE",
        "arn": "arn:aws:iam::123837392027:user/bert-jan",
        "accountId": "123837392027",
        "accessKeyId": "AKIATFQR7NSC8Q4X20BJ",
        "userName": "bert-jan",
    },
    "eventTime": "2023-07-10T12:10:08Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "AuthorizeSecurityGroupIngress",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "192.168.10.20",
    "userAgent": "stratus-red-team_2142a106-933f-4595-ad51-0ff5dfff60b7",
    "requestParameters": {"groupId": "sg-04cfb7a4712d75b00", "ipProtocol": "tcp", "fromPort": 22},
    "responseElements": {"requestId": "30f339b8-9c7f-4033-931e-55afb53986a6", "_return": True},
    "requestID": "30f339b8-9c7f-4033-931e-55afb53986a6",
    "eventID": "74bd84b4-6729-4895-b2a4-e2beb7c6b377",
    "readOnly": False,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": "123837392027",
    "eventCategory": "Management",
}
# An assumed-role identity from the same dataset (Records of the leave-organization run).
ROLE_IDENTITY = {
    "type": "AssumedRole",
    "principalId": "AROATFQR7NSCYDMQ2XMIR:aws-go-sdk-1688990515440126480",
    "arn": "arn:aws:sts::123837392027:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1688990515440126480",
    "accountId": "123837392027",
    "accessKeyId": "ASIATFQR7NSCVW2R4OHT",
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROATFQR7NSCYDMQ2XMIR",
            "arn": "arn:aws:iam::123837392027:role/stratus-red-team-leave-org-role",
            "accountId": "123837392027",
            "userName": "stratus-red-team-leave-org-role",
        },
        "attributes": {"creationDate": "2023-07-10T12:02:04Z", "mfaAuthenticated": "false"},
    },
}


def record(**changes: Any) -> dict[str, Any]:
    """The base record with top-level fields replaced (None removes a field)."""
    made = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            made.pop(key, None)
        else:
            made[key] = value
    return made


def matches(query: Query, candidate: dict[str, Any]) -> bool:
    return query.compile().matches(candidate)


class TestEventFields:
    @pytest.mark.parametrize(
        ("names", "expected"),
        [
            (("AuthorizeSecurityGroupIngress",), True),
            (("Authorize*",), True),
            (("*SecurityGroup*",), True),
            (("AuthorizeSecurityGroup?ngress",), True),
            (("RunInstances", "Authorize*"), True),
            (("authorizesecuritygroupingress",), False),
            (("Authorize",), False),
        ],
    )
    def test_event_name_exact_or_glob(self, names: tuple[str, ...], expected: bool) -> None:
        """Event names match exactly (case-sensitive) or by * and ? globs; any value may match."""
        assert matches(Query(event_names=names), record()) is expected

    def test_exclude_event_name(self) -> None:
        """--exclude-event-name 'Describe*' drops Describe calls and keeps the rest."""
        query = Query(exclude_event_names=("Describe*",))
        assert matches(query, record())
        assert not matches(query, record(eventName="DescribeInstances"))

    def test_event_source_short_or_full(self) -> None:
        """`ec2` means ec2.amazonaws.com; a full name is kept."""
        assert normalize_event_source("ec2") == "ec2.amazonaws.com"
        assert normalize_event_source("ec2.amazonaws.com") == "ec2.amazonaws.com"
        assert matches(Query(event_sources=("ec2",)), record())
        assert not matches(Query(event_sources=("iam",)), record())

    def test_event_id(self) -> None:
        """--event-id picks one event."""
        assert matches(Query(event_ids=(BASE["eventID"],)), record())
        assert not matches(Query(event_ids=("other",)), record())


class TestWho:
    @pytest.mark.parametrize(
        ("user", "identity", "expected"),
        [
            ("bert-jan", BASE["userIdentity"], True),
            ("bert*", BASE["userIdentity"], True),
            ("bert", BASE["userIdentity"], False),
            ("stratus-red-team-leave-org-role", ROLE_IDENTITY, True),
            ("aws-go-sdk-1688990515440126480", ROLE_IDENTITY, True),
            ("stratus-red-team-*", ROLE_IDENTITY, True),
            ("bert-jan", ROLE_IDENTITY, False),
        ],
    )
    def test_user_is_user_role_or_session_name(
        self, user: str, identity: dict[str, Any], expected: bool
    ) -> None:
        """--user matches the IAM user name, the role name or the role session name."""
        assert matches(Query(users=(user,)), record(userIdentity=identity)) is expected

    def test_principal_arn_is_the_caller_or_its_role(self) -> None:
        """--principal-arn matches the session ARN and the ARN of the role behind it."""
        role = record(userIdentity=ROLE_IDENTITY)
        assert matches(
            Query(principal_arns=("*:assumed-role/stratus-red-team-leave-org-role/*",)), role
        )
        assert matches(
            Query(
                principal_arns=("arn:aws:iam::123837392027:role/stratus-red-team-leave-org-role",)
            ),
            role,
        )
        assert not matches(Query(principal_arns=("arn:aws:iam::123837392027:user/*",)), role)
        assert matches(Query(principal_arns=("arn:aws:iam::123837392027:user/*",)), record())

    def test_access_key(self) -> None:
        """--access-key matches userIdentity.accessKeyId; an impossible key is refused."""
        assert matches(Query(access_keys=("AKIATFQR7NSC8Q4X20BJ",)), record())
        assert not matches(Query(access_keys=("ASIATFQR7NSCVW2R4OHT",)), record())
        with pytest.raises(ConfigError, match="--access-key: 'akia123' is not an access key id"):
            Query(access_keys=("akia123",)).compile()

    @pytest.mark.parametrize(
        ("value", "address", "expected"),
        [
            ("192.168.10.20", "192.168.10.20", True),
            ("192.168.0.0/16", "192.168.10.20", True),
            ("10.0.0.0/8", "192.168.10.20", False),
            ("2001:db8::/32", "2001:db8::1", True),
            ("ec2.amazonaws.com", "ec2.amazonaws.com", True),
            ("192.168.0.0/16", "AWS Internal", False),
        ],
    )
    def test_source_ip_address_cidr_or_service(
        self, value: str, address: str, expected: bool
    ) -> None:
        """--source-ip takes an address, a CIDR block, or the service name CloudTrail writes."""
        assert matches(Query(source_ips=(value,)), record(sourceIPAddress=address)) is expected

    def test_a_malformed_source_ip_names_the_option(self) -> None:
        """A typo in an address is an error, not a silent no-match."""
        with pytest.raises(ConfigError, match=r"--source-ip: '192\.168\.1\.300' is not an IP"):
            Query(source_ips=("192.168.1.300",)).compile()


class TestWhereAndHow:
    def test_region_and_account(self) -> None:
        """--region is awsRegion; --account is the account the event was recorded in."""
        assert matches(Query(regions=("us-east-1",), accounts=("123837392027",)), record())
        assert not matches(Query(regions=("eu-west-1",)), record())
        assert not matches(Query(accounts=("111122223333",)), record())
        with pytest.raises(ConfigError, match="--account: '1234' is not a 12-digit account id"):
            Query(accounts=("1234",)).compile()

    @pytest.mark.parametrize(
        ("value", "read_only", "write_only"),
        [(True, True, False), (False, False, True), ("true", True, False), (None, False, True)],
    )
    def test_read_and_write_only(self, value: object, read_only: bool, write_only: bool) -> None:
        """readOnly may be a boolean or LookupEvents' string; without it an event is a write."""
        candidate = record(readOnly=value)
        assert matches(Query(read_only=True), candidate) is read_only
        assert matches(Query(read_only=False), candidate) is write_only

    def test_errors_and_error_codes(self) -> None:
        """--errors wants any errorCode; --error-code a given one (globs)."""
        denied = record(errorCode="Client.UnauthorizedOperation")
        assert not matches(Query(errors=True), record())
        assert matches(Query(errors=True), denied)
        assert matches(Query(error_codes=("*Unauthorized*",)), denied)
        assert not matches(Query(error_codes=("AccessDenied",)), denied)

    def test_resources_by_type_and_name(self) -> None:
        """--resource-name matches a resource ARN or its last part; --resource-type its type."""
        resources = [
            {
                "accountId": "123837392027",
                "type": "AWS::EC2::SecurityGroup",
                "ARN": "arn:aws:ec2:us-east-1:123837392027:security-group/sg-04cfb7a4712d75b00",
            }
        ]
        candidate = record(resources=resources)
        assert matches(Query(resource_types=("AWS::EC2::SecurityGroup",)), candidate)
        assert matches(Query(resource_names=("sg-04cfb7a4712d75b00",)), candidate)
        assert matches(Query(resource_names=("arn:aws:ec2:*:security-group/*",)), candidate)
        assert not matches(Query(resource_names=("sg-0000",)), candidate)
        assert not matches(Query(resource_types=("AWS::EC2::SecurityGroup",)), record())


class TestWhen:
    def test_window_is_inclusive(self) -> None:
        """--since and --until include events at exactly those times."""
        at = datetime(2023, 7, 10, 12, 10, 8, tzinfo=UTC)
        assert matches(Query(since=at, until=at), record())
        later = datetime(2023, 7, 10, 12, 10, 9, tzinfo=UTC)
        assert not matches(Query(since=later), record())

    def test_since_after_until_is_refused(self) -> None:
        """An empty window is a mistake worth saying."""
        with pytest.raises(ConfigError, match=r"--since .* is after --until"):
            Query(
                since=datetime(2024, 1, 2, tzinfo=UTC), until=datetime(2024, 1, 1, tzinfo=UTC)
            ).compile()


class TestPatterns:
    def test_eventbridge_pattern_sees_the_envelope(self) -> None:
        """--match is an EventBridge pattern over the envelope EventBridge would deliver."""
        pattern = '{"source": ["aws.ec2"], "detail": {"requestParameters": {"fromPort": [22]}}}'
        assert matches(Query(event_patterns=(pattern,)), record())
        assert not matches(Query(event_patterns=('{"source": ["aws.iam"]}',)), record())

    def test_logs_filter_pattern(self) -> None:
        """--filter is a CloudWatch Logs filter pattern over the record's JSON."""
        assert matches(Query(filter_patterns=("{ $.requestParameters.fromPort = 22 }",)), record())
        assert not matches(Query(filter_patterns=('{ $.eventName = "Run*" }',)), record())

    def test_invalid_patterns_use_aws_wording_and_name_the_option(self) -> None:
        """The errors are AWS's, prefixed with the option."""
        with pytest.raises(ConfigError, match=r"^--match: Event pattern is not valid\. Reason"):
            Query(event_patterns=('{"source": "aws.ec2"}',)).compile()
        with pytest.raises(ConfigError, match=r"^--filter: "):
            Query(filter_patterns=("{ $.eventName = }",)).compile()


class TestCombination:
    def test_options_are_and_values_are_or(self) -> None:
        """Every option must match; within an option any value may."""
        query = Query(
            event_names=("RunInstances", "Authorize*"),
            access_keys=("AKIATFQR7NSC8Q4X20BJ",),
            exclude_event_names=("Describe*",),
            event_sources=("ec2", "iam"),
        )
        assert matches(query, record())
        assert not matches(query, record(eventSource="s3.amazonaws.com"))
        assert not matches(query, record(eventName="DescribeSecurityGroups"))

    def test_empty_query_matches_everything(self) -> None:
        """No condition: every record."""
        assert matches(Query(), record())
        assert matches(Query(), {"eventTime": "x"})

    def test_describe_and_to_args(self) -> None:
        """A query prints as the options that express it."""
        query = Query(
            since=datetime(2024, 3, 1, tzinfo=UTC),
            event_names=("A", "B*"),
            event_sources=("ec2",),
            read_only=False,
            errors=True,
        )
        assert query.to_args() == [
            "--since",
            "2024-03-01T00:00:00Z",
            "--event-name",
            "A",
            "--event-name",
            "B*",
            "--event-source",
            "ec2.amazonaws.com",
            "--write-only",
            "--errors",
        ]
        assert query.describe() == [
            ("--since", "2024-03-01T00:00:00Z"),
            ("--event-name", "A, B*"),
            ("--event-source", "ec2.amazonaws.com"),
            ("--write-only", "yes"),
            ("--errors", "yes"),
        ]


class TestLiterals:
    @pytest.mark.parametrize(
        ("value", "whole", "end", "literal"),
        [
            ("ConsoleLogin", True, True, b'"ConsoleLogin"'),
            ("Describe*", True, True, b'"Describe'),
            ("*Policy", True, True, b'Policy"'),
            ("Create*Policy", True, True, b'"Create'),
            ("Attach*RolePolicy", True, True, b'RolePolicy"'),
            ("alice", False, True, b'alice"'),
            ("*alice*", False, True, b"alice"),
        ],
    )
    def test_literal_of_a_value(self, value: str, whole: bool, end: bool, literal: bytes) -> None:
        """The longest fixed part, with the quotes that a whole JSON string would have."""
        assert Globs.of([value]).literals(whole_string=whole, string_end=end) == (literal,)

    @pytest.mark.parametrize("value", ["*", 'say "hi"', "back\\slash", "tab\there"])
    def test_no_literal_when_json_may_spell_it_otherwise(self, value: str) -> None:
        """Wildcards alone and characters JSON escapes give no literal (no skipping)."""
        assert Globs.of([value]).literals(whole_string=True, string_end=True) is None

    def test_groups_of_a_query(self) -> None:
        """Each option with usable literals becomes one group; exclusions give none."""
        compiled = Query(
            event_names=("ConsoleLogin",), exclude_event_names=("Describe*",), errors=True
        ).compile()
        assert [(g.option, g.literals) for g in compiled.literal_groups] == [
            ("--event-name", (b'"ConsoleLogin"',)),
            ("--errors", (b'"errorCode"',)),
        ]
