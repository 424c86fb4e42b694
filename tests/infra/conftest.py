"""An account in moto, healthy or broken on purpose, for the doctor and the deployer."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from trailguard.infra import policies
from trailguard.infra.clients import AwsClients
from trailguard.infra.coverage import SIGN_IN_REGIONS
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS

HOME = "eu-west-1"
ACCOUNT = "123456789012"
SIGN_IN_PATTERN = {
    "source": ["aws.signin"],
    "detail-type": ["AWS Console Sign In via CloudTrail"],
    "detail": {"eventName": ["ConsoleLogin"], "userIdentity": {"type": ["Root"]}},
}


_SHARED: dict[str, AwsClients] = {}


@pytest.fixture
def clients(aws: str) -> AwsClients:
    """Clients of a session that speaks to moto, home region eu-west-1.

    One set for the whole run: moto is reset after each test, and making a boto3 client costs
    tens of milliseconds.
    """
    if aws not in _SHARED:
        _SHARED[aws] = AwsClients(boto3.Session(), region=HOME)
    return _SHARED[aws]


@dataclass
class Healthy:
    """Names of what the healthy account holds."""

    clients: AwsClients
    trail: str = "main"
    bucket: str = f"trail-logs-{ACCOUNT}"
    log_group: str = "/cloudtrail/main"
    topic: str = ""
    function: str = ""
    subscription: str = ""

    home: str = HOME
    account: str = ACCOUNT
    sign_in_pattern = SIGN_IN_PATTERN

    def filter_name(self, control: str) -> str:
        """The metric filter (and alarm) name of a CIS control."""
        return f"cis-{control}"

    def add_bucket(self, bucket: str, trail: str, region: str = HOME) -> None:
        """Another trail bucket with the documented policy."""
        make_bucket(self.clients, bucket, trail, region)

    def add_trail(self, name: str, bucket: str, region: str = HOME, **extra: Any) -> None:
        """Another logging multi-region trail."""
        make_trail(self.clients, name, bucket, region, **extra)


def make_bucket(clients: AwsClients, bucket: str, trail: str, region: str = HOME) -> None:
    """A trail bucket with the policy AWS documents."""
    s3 = clients.s3(region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    arn = policies.trail_arn(region, ACCOUNT, trail)
    s3.put_bucket_policy(
        Bucket=bucket, Policy=json.dumps(policies.trail_bucket_policy(bucket, ACCOUNT, arn))
    )


def make_trail(
    clients: AwsClients, name: str, bucket: str, region: str = HOME, **extra: Any
) -> None:
    """A logging multi-region trail with global events and validation (overridable)."""
    options = {
        "IsMultiRegionTrail": True,
        "IncludeGlobalServiceEvents": True,
        "EnableLogFileValidation": True,
        **extra,
    }
    clients.cloudtrail(region).create_trail(Name=name, S3BucketName=bucket, **options)
    clients.cloudtrail(region).start_logging(Name=name)


def function_zip() -> bytes:
    """A one-file deployment package (moto stores it; it never runs)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def healthy(clients: AwsClients) -> Healthy:
    """A trail, CIS filters with alarms to a subscribed topic, and sign-in rules everywhere."""
    found = Healthy(clients)
    make_bucket(clients, found.bucket, found.trail)
    logs = clients.logs(HOME)
    logs.create_log_group(logGroupName=found.log_group)
    group_arn = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:{found.log_group}:*"
    make_trail(
        clients,
        found.trail,
        found.bucket,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-logs",
    )
    sns = clients.sns(HOME)
    found.topic = sns.create_topic(Name="cis-alarms")["TopicArn"]
    found.subscription = sns.subscribe(
        TopicArn=found.topic, Protocol="email", Endpoint="secops@example.com"
    )["SubscriptionArn"]
    for control, pattern in CIS_CLOUDTRAIL_FILTERS.items():
        name = found.filter_name(control)
        logs.put_metric_filter(
            logGroupName=found.log_group,
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": name, "metricNamespace": "CISBenchmark", "metricValue": "1"}
            ],
        )
        clients.cloudwatch(HOME).put_metric_alarm(
            AlarmName=name,
            MetricName=name,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
            AlarmActions=[found.topic],
        )
    role = clients.iam().create_role(
        RoleName="alerts",
        AssumeRolePolicyDocument=json.dumps(policies.assume_role_policy("lambda.amazonaws.com")),
    )["Role"]["Arn"]
    function = clients.lambda_("us-east-1").create_function(
        FunctionName="alerts",
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": function_zip()},
    )
    found.function = function["FunctionArn"]
    for region in SIGN_IN_REGIONS:
        events = clients.events(region)
        rule = events.put_rule(Name="signin-alerts", EventPattern=json.dumps(SIGN_IN_PATTERN))
        target = (
            found.function
            if region == "us-east-1"
            else f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
        )
        events.put_targets(Rule="signin-alerts", Targets=[{"Id": "1", "Arn": target}])
        if region == "us-east-1":
            clients.lambda_(region).add_permission(
                FunctionName="alerts",
                StatementId="events",
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
                SourceArn=rule["RuleArn"],
            )
    return found
