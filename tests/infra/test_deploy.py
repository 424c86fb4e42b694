"""plan / apply / destroy against moto over HTTP: idempotent, re-runnable, tag-scoped."""

from __future__ import annotations

import json
from functools import cache

import pytest
from botocore.exceptions import ClientError

from trailguard.infra import (
    AwsError,
    DeployConflict,
    DeploySettings,
    HandlerInputs,
    apply,
    build_package,
    desired_state,
    destroy,
    plan,
    read_facts,
    run_doctor,
)
from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import REALTIME_RULE
from trailguard.infra.resources import RECONCILERS
from trailguard.rules import load_pack

HOME = "eu-west-1"
COVERED = ["ap-southeast-2", "eu-north-1", "eu-west-1", "us-east-1", "us-east-2"]
OURS = {"Key": "managed-by", "Value": "trailguard"}


@cache
def package():
    return build_package()


@cache
def pack():
    return tuple(load_pack())


def settings(**deploy) -> DeploySettings:
    mapping = {
        "home_region": HOME,
        "regions": [HOME],
        "metric_filters": {"alarm_emails": ["secops@example.com"]},
        **deploy,
    }
    return DeploySettings.from_mapping(mapping)


def desired(clients: AwsClients, chosen: DeploySettings, rules=None):
    handler = HandlerInputs(config_text="time_zone: UTC\n", package=package())
    facts = read_facts(clients, chosen)
    return desired_state(chosen, rules if rules is not None else pack(), facts, handler)


def small() -> DeploySettings:
    """Two sign-in rules real-time, one CIS filter: enough to exercise every resource kind."""
    return settings(
        realtime={"rules": ["console-login-root", "console-login-failure"]},
        metric_filters={"rules": ["root-account-usage"], "alarm_emails": ["a@example.com"]},
        trail={"kms": True},
    )


def tagged_ours(clients: AwsClients) -> list[str]:
    """Every resource of the kinds deploy makes that carries managed-by=trailguard."""
    iam = clients.iam()
    found = [
        role["Arn"]
        for role in iam.list_roles()["Roles"]
        if OURS in iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
    ]
    for region in COVERED:
        events = clients.events(region)
        found += [
            rule["Arn"]
            for rule in events.list_rules()["Rules"]
            if OURS in events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
        ]
    lam = clients.lambda_(HOME)
    found += [
        f["FunctionArn"]
        for f in lam.list_functions()["Functions"]
        if lam.list_tags(Resource=f["FunctionArn"])["Tags"].get("managed-by") == "trailguard"
    ]
    logs = clients.logs(HOME)
    for group in logs.describe_log_groups()["logGroups"]:
        tags = logs.list_tags_log_group(logGroupName=group["logGroupName"])["tags"]
        if tags.get("managed-by") == "trailguard":
            found.append(group["logGroupName"])
    cloudtrail = clients.cloudtrail(HOME)
    for trail in cloudtrail.list_trails()["Trails"]:
        tags = cloudtrail.list_tags(ResourceIdList=[trail["TrailARN"]])["ResourceTagList"]
        if any(OURS in item["TagsList"] for item in tags):
            found.append(trail["TrailARN"])
    sns = clients.sns(HOME)
    for topic in sns.list_topics()["Topics"]:
        if OURS in sns.list_tags_for_resource(ResourceArn=topic["TopicArn"])["Tags"]:
            found.append(topic["TopicArn"])
    cloudwatch = clients.cloudwatch(HOME)
    for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
        if OURS in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]:
            found.append(alarm["AlarmArn"])
    ssm = clients.ssm(HOME)
    for parameter in ssm.describe_parameters()["Parameters"]:
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=parameter["Name"])
        if OURS in tags["TagList"]:
            found.append(parameter["Name"])
    sqs = clients.sqs(HOME)
    for url in sqs.list_queues().get("QueueUrls", []):
        if sqs.list_queue_tags(QueueUrl=url).get("Tags", {}).get("managed-by") == "trailguard":
            found.append(url)
    dynamodb = clients.dynamodb(HOME)
    for name in dynamodb.list_tables()["TableNames"]:
        arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        if OURS in dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]:
            found.append(arn)
    s3 = clients.s3(HOME)
    for bucket in s3.list_buckets()["Buckets"]:
        try:
            tags = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
        except ClientError:
            continue
        if OURS in tags:
            found.append(bucket["Name"])
    kms = clients.kms(HOME)
    for key in kms.list_keys()["Keys"]:
        tags = kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", [])
        if {"TagKey": "managed-by", "TagValue": "trailguard"} in tags:
            found.append(key["KeyArn"])
    return found


class TestApply:
    def test_apply_twice_changes_nothing_and_the_doctor_is_happy(self, clients) -> None:
        """The whole pack: a plan, an apply, then nothing left to do and no finding."""
        chosen = settings()
        wanted = desired(clients, chosen)
        first = plan(wanted, clients, chosen)
        assert {c.action for c in first.changes} == {"create"}
        assert tagged_ours(clients) == []  # plan changes nothing
        done = apply(wanted, clients, chosen)
        assert [r.key for r in wanted.resources] == [c.resource.key for c in done if c.resource]
        again = desired(clients, chosen)
        assert plan(again, clients, chosen).changes == ()
        assert apply(again, clients, chosen) == []
        assert run_doctor(clients, [HOME]) == []

    def test_one_multi_region_trail_with_what_aws_documents(self, clients) -> None:
        """The trail logs everywhere, validates, encrypts with the key and writes to the group."""
        chosen = small()
        apply(desired(clients, chosen), clients, chosen)
        trails = clients.cloudtrail(HOME).describe_trails()["trailList"]
        assert len(trails) == 1
        trail = trails[0]
        assert trail["IsMultiRegionTrail"]
        assert trail["IncludeGlobalServiceEvents"]
        assert trail["LogFileValidationEnabled"]
        assert trail["KmsKeyId"] == f"arn:aws:kms:{HOME}:123456789012:alias/trailguard-cloudtrail"
        assert trail["CloudWatchLogsLogGroupArn"].endswith(":log-group:/trailguard/cloudtrail:*")
        assert clients.cloudtrail(HOME).get_trail_status(Name=trail["Name"])["IsLogging"]
        policy = json.loads(clients.s3().get_bucket_policy(Bucket=trail["S3BucketName"])["Policy"])
        write = next(s for s in policy["Statement"] if s["Sid"] == "AWSCloudTrailWrite")
        assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
        assert any(s["Effect"] == "Deny" for s in policy["Statement"])

    def test_real_time_rules_everywhere_forward_home(self, clients) -> None:
        """Every covered region has a rule forwarding to the home bus; home targets the function."""
        chosen = small()
        apply(desired(clients, chosen), clients, chosen)
        for region in COVERED:
            rules = clients.events(region).list_rules(NamePrefix="trailguard-")["Rules"]
            assert rules, region
            targets = clients.events(region).list_targets_by_rule(Rule=rules[0]["Name"])["Targets"]
            if region == HOME:
                assert targets[0]["Arn"].endswith(":function:trailguard")
            else:
                assert targets[0]["Arn"] == f"arn:aws:events:{HOME}:123456789012:event-bus/default"
                assert targets[0]["RoleArn"].endswith(":role/trailguard-events-forwarder")
        function = clients.lambda_(HOME).get_function(FunctionName="trailguard")["Configuration"]
        assert function["Handler"] == "trailguard.lambda_handler.handler"
        assert function["Environment"]["Variables"]["TRAILGUARD_CONFIG"] == "ssm:/trailguard/config"
        assert function["CodeSha256"] == package().sha256

    def test_read_only_rules_get_all_management_events(self, clients) -> None:
        """A rule that matches Describe calls is deployed in the state that receives them."""
        chosen = settings(realtime={"rules": ["root-account-usage"]}, metric_filters={"rules": []})
        apply(desired(clients, chosen), clients, chosen)
        rule = clients.events(HOME).describe_rule(Name=f"{REALTIME_RULE}1")
        assert rule["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

    def test_routing_a_console_sign_in_but_not_other_calls(self, clients, envelopes) -> None:
        """put_events in us-east-2 reaches the home rules (probe in place of the function)."""
        chosen = small()
        apply(desired(clients, chosen), clients, chosen)
        sqs = clients.sqs(HOME)
        url = sqs.create_queue(QueueName="probe")["QueueUrl"]
        probe = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        events = clients.events(HOME)
        # moto cannot run Lambda targets (PutEvents fails with 500), so an SQS probe stands in.
        for rule in events.list_rules(NamePrefix=REALTIME_RULE)["Rules"]:
            events.remove_targets(Rule=rule["Name"], Ids=["trailguard"])
            events.put_targets(
                Rule=rule["Name"],
                Targets=[{"Id": "probe", "Arn": probe["Attributes"]["QueueArn"]}],
            )
        sign_in = next(e for e in envelopes if e["detail"]["eventName"] == "ConsoleLogin")
        other = next(e for e in envelopes if e["detail"]["eventName"] == "GetCallerIdentity")
        entries = [
            {
                "Source": e["source"],
                "DetailType": e["detail-type"],
                "Detail": json.dumps(e["detail"]),
            }
            for e in (sign_in, other)
        ]
        assert clients.events("us-east-2").put_events(Entries=entries)["FailedEntryCount"] == 0
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        names = {json.loads(m["Body"])["detail"]["eventName"] for m in messages}
        assert names == {"ConsoleLogin"}


class TestSafety:
    def test_adopts_an_existing_multi_region_trail(self, clients) -> None:
        """With a multi-region trail in place, deploy makes no second one."""
        s3 = clients.s3(HOME)
        s3.create_bucket(Bucket="org-trail", CreateBucketConfiguration={"LocationConstraint": HOME})
        clients.cloudtrail("us-west-2").create_trail(
            Name="org",
            S3BucketName="org-trail",
            IsMultiRegionTrail=True,
            IncludeGlobalServiceEvents=True,
        )
        chosen = settings(realtime={"rules": ["console-login-root"]}, metric_filters={"rules": []})
        wanted = desired(clients, chosen)
        assert any("adopting" in note for note in wanted.notes)
        assert not any(
            r.kind in {"trail", "s3-bucket"} and not r.spec.get("adopted") for r in wanted.resources
        )
        apply(wanted, clients, chosen)
        assert [t["Name"] for t in clients.cloudtrail(HOME).list_trails()["Trails"]] == ["org"]

    def test_metric_filters_need_a_log_group_on_the_adopted_trail(self, clients) -> None:
        """An adopted trail without CloudWatch Logs cannot carry metric filters: a clear error."""
        s3 = clients.s3(HOME)
        s3.create_bucket(Bucket="org-trail", CreateBucketConfiguration={"LocationConstraint": HOME})
        clients.cloudtrail(HOME).create_trail(
            Name="org",
            S3BucketName="org-trail",
            IsMultiRegionTrail=True,
            IncludeGlobalServiceEvents=True,
        )
        with pytest.raises(Exception, match="metric filters need the trail"):
            desired(clients, settings(realtime={"enabled": False}))

    def test_a_name_taken_by_someone_else_stops_apply(self, clients) -> None:
        """A role named like ours but not tagged ours: a conflict, and nothing is created."""
        clients.iam().create_role(RoleName="trailguard-handler", AssumeRolePolicyDocument="{}")
        chosen = small()
        wanted = desired(clients, chosen)
        assert [(c.kind, c.name) for c in plan(wanted, clients, chosen).conflicts] == [
            ("iam-role", "trailguard-handler")
        ]
        with pytest.raises(DeployConflict, match="trailguard-handler"):
            apply(wanted, clients, chosen)
        assert tagged_ours(clients) == []

    def test_apply_after_a_failure_halfway_finishes_the_job(self, clients, monkeypatch) -> None:
        """The function fails to create; the next apply creates the rest; a third does nothing."""
        chosen = small()
        reconciler = RECONCILERS["lambda-function"]

        def refuse(*_args):
            error = {"Error": {"Code": "ServiceException", "Message": "try again"}}
            raise ClientError(error, "CreateFunction")

        monkeypatch.setattr(reconciler, "create", refuse)
        with pytest.raises(AwsError, match="ServiceException: try again") as failure:
            apply(desired(clients, chosen), clients, chosen)
        assert "lambda-function trailguard" in str(failure.value)
        monkeypatch.undo()
        finished = apply(desired(clients, chosen), clients, chosen)
        assert {c.kind for c in finished} >= {"lambda-function", "event-rule"}
        assert "s3-bucket" not in {c.kind for c in finished}
        assert apply(desired(clients, chosen), clients, chosen) == []

    def test_fewer_rules_delete_the_rules_no_longer_wanted(self, clients) -> None:
        """Turning real-time off removes our rules and function on the next apply."""
        chosen = small()
        apply(desired(clients, chosen), clients, chosen)
        off = small().__class__.from_mapping(
            {
                "home_region": HOME,
                "regions": [HOME],
                "realtime": {"enabled": False},
                "metric_filters": {"rules": ["root-account-usage"]},
                "trail": {"kms": True},
            }
        )
        changes = apply(desired(clients, off), clients, off)
        deleted = {(c.kind, c.name) for c in changes if c.action == "delete"}
        assert ("lambda-function", "trailguard") in deleted
        assert ("event-rule", "trailguard-forward-1") in deleted
        assert clients.events("us-east-1").list_rules(NamePrefix="trailguard-")["Rules"] == []


class TestDestroy:
    def test_destroy_leaves_nothing_tagged_ours_and_keeps_the_logs(self, clients) -> None:
        """After destroy: no managed-by tag anywhere; bucket (with a log file) and key remain."""
        chosen = small()
        wanted = desired(clients, chosen)
        apply(wanted, clients, chosen)
        bucket = next(r.name for r in wanted.resources if r.kind == "s3-bucket")
        # moto enforces the policy's deny of plain HTTP, and it speaks HTTP: lift it to write.
        clients.s3().delete_bucket_policy(Bucket=bucket)
        clients.s3().put_object(Bucket=bucket, Key="AWSLogs/123456789012/log.json.gz", Body=b"x")
        repaired = apply(desired(clients, chosen), clients, chosen)
        assert [(c.kind, c.fields) for c in repaired] == [("s3-bucket", ("policy",))]
        assert tagged_ours(clients)
        done = destroy(desired(clients, chosen), clients, chosen)
        assert {c.action for c in done} == {"delete", "retain"}
        assert tagged_ours(clients) == []
        clients.s3().delete_bucket_policy(Bucket=bucket)
        objects = clients.s3().list_objects_v2(Bucket=bucket)["Contents"]
        assert [o["Key"] for o in objects] == ["AWSLogs/123456789012/log.json.gz"]
        tags = clients.s3().get_bucket_tagging(Bucket=bucket)["TagSet"]
        assert {"Key": "trailguard-retained", "Value": "true"} in tags
        assert clients.cloudtrail(HOME).list_trails()["Trails"] == []
        assert clients.logs(HOME).describe_metric_filters()["metricFilters"] == []

    def test_destroy_spares_what_is_not_ours(self, clients) -> None:
        """An adopted trail and a user's own rule survive destroy."""
        s3 = clients.s3(HOME)
        s3.create_bucket(Bucket="org-trail", CreateBucketConfiguration={"LocationConstraint": HOME})
        clients.cloudtrail(HOME).create_trail(
            Name="org",
            S3BucketName="org-trail",
            IsMultiRegionTrail=True,
            IncludeGlobalServiceEvents=True,
        )
        clients.events(HOME).put_rule(Name="trailguard-forward-9", EventPattern='{"source":["x"]}')
        chosen = settings(realtime={"rules": ["console-login-root"]}, metric_filters={"rules": []})
        apply(desired(clients, chosen), clients, chosen)
        destroy(desired(clients, chosen), clients, chosen)
        assert [t["Name"] for t in clients.cloudtrail(HOME).list_trails()["Trails"]] == ["org"]
        names = [r["Name"] for r in clients.events(HOME).list_rules()["Rules"]]
        assert names == ["trailguard-forward-9"]

    def test_apply_after_destroy_takes_the_kept_bucket_back(self, clients) -> None:
        """The retained bucket and key are ours again on the next apply, not a conflict."""
        chosen = small()
        apply(desired(clients, chosen), clients, chosen)
        destroy(desired(clients, chosen), clients, chosen)
        changes = apply(desired(clients, chosen), clients, chosen)
        updated = {(c.kind, c.action) for c in changes if c.kind in {"s3-bucket", "kms-key"}}
        assert updated == {("s3-bucket", "update"), ("kms-key", "update")}
        assert apply(desired(clients, chosen), clients, chosen) == []
