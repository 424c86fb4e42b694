"""Desired state without AWS: merged patterns, coverage, policies and permissions."""

from __future__ import annotations

import pytest

from trailguard.events import to_envelope
from trailguard.infra import policies
from trailguard.infra.coverage import (
    reads_read_only,
    receives_global_events,
    receives_sign_ins,
)
from trailguard.infra.deploy import canonical
from trailguard.infra.desired import (
    Facts,
    HandlerInputs,
    covered_regions,
    desired_state,
)
from trailguard.infra.grouping import pattern_groups
from trailguard.infra.inventory import TrailInfo, management_events
from trailguard.infra.package import LambdaPackage
from trailguard.infra.permissions import handler_policy
from trailguard.infra.settings import DeploySettings
from trailguard.patterns.eventbridge import compile_pattern
from trailguard.rules import load_pack
from trailguard.rules.export import ALL_MANAGEMENT_EVENTS

PACK = load_pack()
SIGN_IN = {"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"]}
IAM = {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}


def settings(**deploy) -> DeploySettings:
    return DeploySettings.from_mapping({"home_region": "eu-west-1", **deploy})


class TestPatternGroups:
    def test_every_rule_once_in_a_valid_pattern(self) -> None:
        """The whole pack fits in a few merged rules, each within EventBridge's limits."""
        groups = pattern_groups([rule for rule in PACK if rule.eventbridge])
        ids = [rule_id for _, _, members in groups for rule_id in members]
        assert sorted(ids) == sorted(rule.id for rule in PACK if rule.eventbridge)
        assert len(groups) < len(ids) / 3
        for _, pattern, _ in groups:
            compile_pattern(pattern)

    def test_merged_pattern_matches_what_its_rules_match(self) -> None:
        """Every match example of a rule matches its group's merged pattern."""
        for _, pattern, members in pattern_groups([r for r in PACK if r.eventbridge]):
            merged = compile_pattern(pattern)
            for rule in (r for r in PACK if r.id in members):
                for record in rule.examples.match:
                    if rule.matches_eventbridge(record):
                        assert merged.matches(to_envelope(record)), rule.id

    def test_read_only_rules_get_their_own_state(self) -> None:
        """Rules that need read-only events are grouped in the all-management-events state."""
        for state, pattern, _ in pattern_groups([r for r in PACK if r.eventbridge]):
            assert (state == ALL_MANAGEMENT_EVENTS) == reads_read_only(pattern)


class TestCoverage:
    @pytest.mark.parametrize(
        ("pattern", "sign_in", "global_", "read_only"),
        [
            (SIGN_IN, True, False, False),
            ({**IAM, "detail": {"eventName": ["CreateUser"]}}, False, True, False),
            ({**IAM, "detail": {"eventName": ["GetRole"]}}, False, True, True),
            ({"detail": {"errorCode": [{"prefix": "AccessDenied"}]}}, True, True, True),
            ({"$or": [SIGN_IN, {"source": ["aws.ec2"]}]}, True, False, True),
            ({"source": ["aws.ec2"], "detail": {"readOnly": [False]}}, False, False, False),
        ],
    )
    def test_what_a_pattern_can_receive(self, pattern, sign_in, global_, read_only) -> None:
        """Sign-ins, global-service events and read-only calls, judged by exact values only."""
        assert receives_sign_ins(pattern) is sign_in
        assert receives_global_events(pattern) is global_
        assert reads_read_only(pattern) is read_only


class TestPolicies:
    def test_documented_bucket_policy_is_neither_public_nor_plain_http(self) -> None:
        """The policy deploy writes passes the doctor's own checks."""
        trail = policies.trail_arn("eu-west-1", "123456789012", "trailguard")
        document = policies.trail_bucket_policy("logs", "123456789012", trail)
        assert policies.public_statements(document) == []
        assert policies.denies_insecure_transport(document)

    def test_any_principal_without_condition_is_public(self) -> None:
        """Principal * and {"AWS": "*"} count; a SourceAccount condition narrows it."""
        open_ = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"}
        narrowed = {**open_, "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}
        assert policies.public_statements({"Statement": [open_]}) == ["statement 1"]
        assert policies.public_statements({"Statement": narrowed}) == []

    @pytest.mark.parametrize(
        ("source", "allowed"),
        [
            ("arn:aws:events:eu-west-1:1:rule/trailguard-realtime-*", True),
            ("arn:aws:events:eu-west-1:1:rule/other", False),
        ],
    )
    def test_invoke_permission_by_source_arn(self, source, allowed) -> None:
        """ArnLike wildcards in the function policy are honoured."""
        document = {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "lambda:InvokeFunction",
                    "Condition": {"ArnLike": {"AWS:SourceArn": source}},
                }
            ]
        }
        rule = "arn:aws:events:eu-west-1:1:rule/trailguard-realtime-2"
        assert policies.allows_invoke(document, "events.amazonaws.com", rule) is allowed

    def test_handler_policy_follows_the_configuration(self) -> None:
        """SSM and Secrets Manager references, SNS topics and SES become statements; no '*'."""
        config = {
            "destinations": {
                "slack": {"type": "slack", "webhook_url": "ssm:/trailguard/slack"},
                "bot": {"type": "slack", "token": "secretsmanager:trailguard/bot#token"},
                "topic": {"type": "sns", "topic_arn": "arn:aws:sns:eu-west-1:1:alerts"},
            }
        }
        document = handler_policy(
            config,
            account="1",
            region="eu-west-1",
            function="trailguard",
            config_parameter="/trailguard/config",
            dead_letter_queue="trailguard-dlq",
            table=None,
        )
        by_sid = {s["Sid"]: s for s in document["Statement"]}
        assert by_sid["ReadConfigurationAndSecrets"]["Resource"] == [
            "arn:aws:ssm:eu-west-1:1:parameter/trailguard/config",
            "arn:aws:ssm:eu-west-1:1:parameter/trailguard/slack",
        ]
        assert by_sid["Secrets"]["Resource"] == (
            "arn:aws:secretsmanager:eu-west-1:1:secret:trailguard/bot-??????"
        )
        assert by_sid["PublishAlerts"]["Resource"] == "arn:aws:sns:eu-west-1:1:alerts"
        assert "SendAlertEmail" not in by_sid
        assert all(s["Resource"] != "*" for s in document["Statement"])


class TestDesiredState:
    def test_sign_in_regions_are_always_covered(self) -> None:
        """Whatever the configured regions, home and the four sign-in regions are in."""
        chosen = settings(regions=["eu-central-1"])
        assert covered_regions(chosen, []) == (
            "ap-southeast-2",
            "eu-central-1",
            "eu-north-1",
            "eu-west-1",
            "us-east-1",
            "us-east-2",
        )

    def test_never_a_second_multi_region_trail(self) -> None:
        """With two multi-region trails present, the organization trail is adopted, none made."""

        def trail(name: str, *, organization: bool) -> TrailInfo:
            return TrailInfo(
                name=name,
                arn=f"arn:aws:cloudtrail:us-east-1:1:trail/{name}",
                home_region="us-east-1",
                multi_region=True,
                global_events=True,
                log_file_validation=True,
                organization=organization,
                bucket="b",
                kms_key=None,
                log_group_arn=None,
                logs_role_arn=None,
                logging=True,
                management="All",
            )

        facts = Facts(
            "1", ("eu-west-1",), (trail("a", organization=False), trail("org", organization=True))
        )
        chosen = settings(realtime={"enabled": False}, metric_filters={"rules": []})
        state = desired_state(chosen, PACK, facts, HandlerInputs("time_zone: UTC\n"))
        trails = [r for r in state.resources if r.kind == "trail"]
        assert [(r.name, dict(r.spec)) for r in trails] == [("org", {"adopted": True})]
        assert not [r for r in state.resources if r.kind == "s3-bucket"]
        assert any("2 multi-region trails" in note for note in state.notes)

    def test_real_time_rules_need_a_package(self) -> None:
        """Without the Lambda package the real-time part cannot be built."""
        facts = Facts("1", ("eu-west-1",))
        with pytest.raises(Exception, match="Lambda package"):
            desired_state(settings(), PACK, facts, HandlerInputs("time_zone: UTC\n"))
        state = desired_state(
            settings(), PACK, facts, HandlerInputs("x: 1\n", package=LambdaPackage(b"zip"))
        )
        assert any(r.kind == "lambda-function" for r in state.resources)


class TestManagementEvents:
    @pytest.mark.parametrize(
        ("selectors", "expected"),
        [
            ({"EventSelectors": []}, "All"),
            ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, "WriteOnly"),
            ({"EventSelectors": [{"IncludeManagementEvents": False}]}, None),
            (
                {
                    "AdvancedEventSelectors": [
                        {
                            "FieldSelectors": [
                                {"Field": "eventCategory", "Equals": ["Management"]},
                                {"Field": "readOnly", "Equals": ["false"]},
                            ]
                        }
                    ]
                },
                "WriteOnly",
            ),
            (
                {
                    "AdvancedEventSelectors": [
                        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                    ]
                },
                None,
            ),
        ],
    )
    def test_selectors(self, selectors, expected) -> None:
        """Classic and advanced selectors; none at all is AWS's default (all events)."""
        assert management_events(selectors) == expected

    def test_canonical_ignores_order_and_single_item_lists(self) -> None:
        """AWS may reorder statements and unwrap one-item lists; that is no change."""
        assert canonical({"A": ["x"], "B": [2, 1]}) == canonical({"B": [1, 2], "A": "x"})
