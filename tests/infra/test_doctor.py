"""Each doctor finding appears for exactly the broken setup it describes, in moto over HTTP."""

from __future__ import annotations

import json

from trailguard.infra import policies
from trailguard.infra.clients import AwsClients
from trailguard.infra.doctor import run_doctor
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS
from trailguard.rules import Severity
from trailguard.rules.export import ALL_MANAGEMENT_EVENTS

HOME = "eu-west-1"
ACCOUNT = "123456789012"

REGIONS = [HOME]


def ids(clients: AwsClients) -> list[str]:
    return [finding.id for finding in run_doctor(clients, REGIONS)]


class TestHealthy:
    def test_healthy_account_has_no_findings(self, healthy) -> None:
        """A trail done right, CIS filters with alarms and sign-in rules everywhere: nothing."""
        assert run_doctor(healthy.clients, REGIONS) == []


class TestTrails:
    def test_no_trail(self, clients: AwsClients) -> None:
        """An empty account has no trail, and nothing else is reported."""
        findings = run_doctor(clients, REGIONS)
        assert [f.id for f in findings] == ["no-trail"]
        assert findings[0].severity is Severity.CRITICAL
        assert findings[0].resource == f"account {ACCOUNT}"
        assert "create-trail" in findings[0].fix

    def test_trail_not_logging(self, healthy) -> None:
        """A stopped trail."""
        healthy.clients.cloudtrail(HOME).stop_logging(Name=healthy.trail)
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["trail-not-logging"]
        assert findings[0].fix == f"aws cloudtrail start-logging --region {HOME} --name main"

    def test_duplicate_multi_region_trails(self, healthy) -> None:
        """A second multi-region trail, homed elsewhere, is the one reported."""
        healthy.add_bucket("second-trail-logs", "second", "us-west-2")
        healthy.add_trail("second", "second-trail-logs", "us-west-2")
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["duplicate-multi-region-trails"]
        assert findings[0].resource.endswith(":trail/second")
        assert findings[0].region == "us-west-2"

    def test_global_events_off(self, healthy) -> None:
        """The only trail leaves out global-service events."""
        healthy.clients.cloudtrail(HOME).update_trail(
            Name=healthy.trail, IncludeGlobalServiceEvents=False
        )
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["global-events-off"]
        assert "--include-global-service-events" in findings[0].fix

    def test_management_events_excluded(self, healthy) -> None:
        """Event selectors that keep only data events."""
        healthy.clients.cloudtrail(HOME).put_event_selectors(
            TrailName=healthy.trail,
            EventSelectors=[
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": False,
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                }
            ],
        )
        assert ids(healthy.clients) == ["management-events-excluded"]

    def test_management_events_write_only(self, healthy) -> None:
        """Event selectors that keep only write management events."""
        healthy.clients.cloudtrail(HOME).put_event_selectors(
            TrailName=healthy.trail,
            EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
        )
        assert ids(healthy.clients) == ["management-events-write-only"]

    def test_log_file_validation_off(self, healthy) -> None:
        """No digest files."""
        healthy.clients.cloudtrail(HOME).update_trail(
            Name=healthy.trail, EnableLogFileValidation=False
        )
        assert ids(healthy.clients) == ["log-file-validation-off"]


class TestBucket:
    def _policy(self, healthy) -> dict:
        arn = policies.trail_arn(HOME, ACCOUNT, healthy.trail)
        return policies.trail_bucket_policy(healthy.bucket, ACCOUNT, arn)

    def test_public_bucket_policy(self, healthy) -> None:
        """An Allow for any principal without a condition."""
        document = self._policy(healthy)
        document["Statement"].append(
            {
                "Sid": "Anyone",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{healthy.bucket}/*",
            }
        )
        healthy.clients.s3().put_bucket_policy(Bucket=healthy.bucket, Policy=json.dumps(document))
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["bucket-policy-public"]
        assert "Anyone" in findings[0].why

    def test_bucket_policy_without_tls_deny(self, healthy) -> None:
        """The documented CloudTrail statements, but no deny of plain HTTP."""
        document = self._policy(healthy)
        document["Statement"] = document["Statement"][:2]
        healthy.clients.s3().put_bucket_policy(Bucket=healthy.bucket, Policy=json.dumps(document))
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["bucket-policy-allows-non-tls"]
        assert '"aws:SecureTransport": "false"' in findings[0].fix


class TestEventBridge:
    def test_rule_missing_in_a_sign_in_region(self, healthy) -> None:
        """Sign-in rules everywhere but us-east-2."""
        events = healthy.clients.events("us-east-2")
        events.remove_targets(Rule="signin-alerts", Ids=["1"])
        events.delete_rule(Name="signin-alerts")
        findings = run_doctor(healthy.clients, REGIONS)
        assert [(f.id, f.region) for f in findings] == [
            ("eventbridge-rules-missing-in-region", "us-east-2")
        ]

    def test_global_rule_outside_us_east_1(self, healthy) -> None:
        """An IAM rule only in the home region misses IAM events, which land in us-east-1."""
        pattern = {
            "source": ["aws.iam"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventName": ["CreateUser"]},
        }
        healthy.clients.events(HOME).put_rule(Name="iam", EventPattern=json.dumps(pattern))
        findings = run_doctor(healthy.clients, REGIONS)
        assert [(f.id, f.region) for f in findings] == [
            ("eventbridge-rules-missing-in-region", "us-east-1")
        ]
        assert "global-service" in findings[0].why

    def test_cloudtrail_rule_on_custom_bus(self, healthy) -> None:
        """A sign-in rule on a bus nothing forwards to."""
        events = healthy.clients.events(HOME)
        events.create_event_bus(Name="security")
        events.put_rule(
            Name="custom", EventBusName="security", EventPattern=json.dumps(healthy.sign_in_pattern)
        )
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["cloudtrail-rule-on-custom-bus"]
        assert findings[0].resource.endswith(":rule/security/custom")

    def test_custom_bus_fed_by_a_default_bus_rule_is_fine(self, healthy) -> None:
        """Forwarding CloudTrail events from the default bus to a custom one is a valid setup."""
        events = healthy.clients.events(HOME)
        bus = events.create_event_bus(Name="security")["EventBusArn"]
        events.put_rule(Name="to-security", EventPattern=json.dumps(healthy.sign_in_pattern))
        events.put_targets(Rule="to-security", Targets=[{"Id": "1", "Arn": bus}])
        events.put_rule(
            Name="custom", EventBusName="security", EventPattern=json.dumps(healthy.sign_in_pattern)
        )
        assert ids(healthy.clients) == []

    def test_lambda_target_without_permission(self, healthy) -> None:
        """The function's policy no longer lets EventBridge invoke it."""
        healthy.clients.lambda_("us-east-1").remove_permission(
            FunctionName="alerts", StatementId="events"
        )
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["lambda-permission-missing"]
        assert findings[0].resource == healthy.function
        assert "--principal events.amazonaws.com" in findings[0].fix

    def test_read_only_rule_without_all_management_events(self, healthy) -> None:
        """A rule for Describe calls in plain ENABLED state."""
        pattern = {
            "source": ["aws.ec2"],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventName": ["DescribeInstances"]},
        }
        events = healthy.clients.events(HOME)
        events.put_rule(Name="recon", EventPattern=json.dumps(pattern), State="ENABLED")
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["read-only-rule-without-all-management-events"]
        assert ALL_MANAGEMENT_EVENTS in findings[0].fix
        events.put_rule(Name="recon", EventPattern=json.dumps(pattern), State=ALL_MANAGEMENT_EVENTS)
        assert ids(healthy.clients) == []


class TestCis:
    def test_no_log_group(self, healthy) -> None:
        """A trail that sends nothing to CloudWatch Logs."""
        healthy.clients.cloudtrail(HOME).update_trail(
            Name=healthy.trail, CloudWatchLogsLogGroupArn="", CloudWatchLogsRoleArn=""
        )
        assert ids(healthy.clients) == ["cis-no-log-group"]

    def test_metric_filter_missing(self, healthy) -> None:
        """One of the 14 filters is gone."""
        healthy.clients.logs(HOME).delete_metric_filter(
            logGroupName=healthy.log_group, filterName=healthy.filter_name("CloudWatch.6")
        )
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["cis-metric-filter-missing"]
        assert findings[0].resource.startswith("CloudWatch.6 ")
        assert CIS_CLOUDTRAIL_FILTERS["CloudWatch.6"] in findings[0].fix

    def test_metric_filter_not_exact(self, healthy) -> None:
        """A CloudTrail-changes filter that lost one term."""
        name = healthy.filter_name("CloudWatch.5")
        # moto adds a second filter of the same name where AWS replaces it: delete first.
        healthy.clients.logs(HOME).delete_metric_filter(
            logGroupName=healthy.log_group, filterName=name
        )
        healthy.clients.logs(HOME).put_metric_filter(
            logGroupName=healthy.log_group,
            filterName=name,
            filterPattern=(
                "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || "
                "($.eventName=DeleteTrail) || ($.eventName=StartLogging)}"
            ),
            metricTransformations=[
                {"metricName": name, "metricNamespace": "CISBenchmark", "metricValue": "1"}
            ],
        )
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["cis-metric-filter-not-exact"]
        assert "$.eventName=StopLogging" in findings[0].why
        assert CIS_CLOUDTRAIL_FILTERS["CloudWatch.5"] in findings[0].fix

    def test_alarm_missing(self, healthy) -> None:
        """An exact filter whose metric nobody watches."""
        healthy.clients.cloudwatch(HOME).delete_alarms(
            AlarmNames=[healthy.filter_name("CloudWatch.1")]
        )
        assert ids(healthy.clients) == ["cis-alarm-missing"]

    def test_alarm_without_actions(self, healthy) -> None:
        """An alarm that tells nobody."""
        name = healthy.filter_name("CloudWatch.2")
        healthy.clients.cloudwatch(HOME).put_metric_alarm(
            AlarmName=name,
            MetricName=name,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["alarm-without-actions"]
        assert findings[0].resource.endswith(f":alarm:{name}")

    def test_topic_without_confirmed_subscription(self, healthy) -> None:
        """The alarms' topic lost its only subscriber."""
        healthy.clients.sns(HOME).unsubscribe(SubscriptionArn=healthy.subscription)
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["sns-topic-unconfirmed"]
        assert findings[0].resource == healthy.topic


class TestRobustness:
    def test_unreadable_resource_is_a_check_failed_finding(self, healthy) -> None:
        """A bucket that is gone: AWS's code and message, and the other checks still run."""
        healthy.clients.s3().delete_bucket(Bucket=healthy.bucket)
        findings = run_doctor(healthy.clients, REGIONS)
        assert [f.id for f in findings] == ["check-failed"]
        assert "NoSuchBucket" in findings[0].why
        assert findings[0].resource == f"bucket {healthy.bucket}"
