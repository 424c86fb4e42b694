"""The built-in rule pack: it loads, its examples hold, its CIS filters are exact, it fires."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from trailguard.rules import Rule, Severity, Threshold, load_rules, pack_directory
from trailguard.sources import expand_paths, read_events

SAMPLE_TRAIL = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"

RULE_IDS = {
    "console-login",
    "console-login-root",
    "console-login-without-mfa",
    "console-login-failure",
    "console-login-failures-burst",
    "root-account-usage",
    "iam-and-security-group-changes",
    "iam-policy-change",
    "iam-access-key-created",
    "iam-user-created",
    "iam-login-profile-changed",
    "iam-admin-policy-attached",
    "mfa-device-removed",
    "cloudtrail-config-change",
    "cloudtrail-logging-stopped",
    "guardduty-disabled",
    "securityhub-disabled",
    "aws-config-change",
    "cloudwatch-logs-deleted",
    "vpc-flow-logs-deleted",
    "kms-key-disabled-or-scheduled-deletion",
    "s3-bucket-policy-change",
    "s3-public-access-block-removed",
    "ebs-snapshot-made-public",
    "ami-made-public",
    "security-group-change",
    "security-group-open-to-world",
    "nacl-change",
    "network-gateway-change",
    "route-table-change",
    "vpc-change",
    "organizations-change",
    "account-left-organization",
    "unauthorized-api-call",
    "access-denied-burst-by-principal",
}

# The exact CIS / Security Hub metric filter patterns, copied from ../shared/specs/peers.md §5:
# the [SH] Security Hub text where one exists, the two-clause Security Hub form for 4.1, and the
# CIS text for 4.15 (no Security Hub control).
CIS_FILTERS: dict[str, str] = {
    "cis-aws-foundations:4.1": (
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}'
    ),
    "cis-aws-foundations:4.2": (
        '{ ($.eventName = "ConsoleLogin") && '
        '($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && '
        '($.responseElements.ConsoleLogin = "Success") }'
    ),
    "cis-aws-foundations:4.3": (
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType !="AwsServiceEvent"}'
    ),
    "cis-aws-foundations:4.4": (
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || "
        "($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || "
        "($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || "
        "($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || "
        "($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || "
        "($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || "
        "($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || "
        "($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}"
    ),
    "cis-aws-foundations:4.5": (
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || "
        "($.eventName=DeleteTrail) || ($.eventName=StartLogging) || "
        "($.eventName=StopLogging)}"
    ),
    "cis-aws-foundations:4.6": (
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}'
    ),
    "cis-aws-foundations:4.7": (
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || "
        "($.eventName=ScheduleKeyDeletion))}"
    ),
    "cis-aws-foundations:4.8": (
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || "
        "($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || "
        "($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || "
        "($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}"
    ),
    "cis-aws-foundations:4.9": (
        "{($.eventSource=config.amazonaws.com) && "
        "(($.eventName=StopConfigurationRecorder) || "
        "($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || "
        "($.eventName=PutConfigurationRecorder))}"
    ),
    "cis-aws-foundations:4.10": (
        "{($.eventName=AuthorizeSecurityGroupIngress) || "
        "($.eventName=AuthorizeSecurityGroupEgress) || "
        "($.eventName=RevokeSecurityGroupIngress) || "
        "($.eventName=RevokeSecurityGroupEgress) || "
        "($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"
    ),
    "cis-aws-foundations:4.11": (
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || "
        "($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclEntry) || "
        "($.eventName=ReplaceNetworkAclAssociation)}"
    ),
    "cis-aws-foundations:4.12": (
        "{($.eventName=CreateCustomerGateway) || "
        "($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || "
        "($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || "
        "($.eventName=DetachInternetGateway)}"
    ),
    "cis-aws-foundations:4.13": (
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || "
        "($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || "
        "($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || "
        "($.eventName=DisassociateRouteTable)}"
    ),
    "cis-aws-foundations:4.14": (
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || "
        "($.eventName=ModifyVpcAttribute) || "
        "($.eventName=AcceptVpcPeeringConnection) || "
        "($.eventName=CreateVpcPeeringConnection) || "
        "($.eventName=DeleteVpcPeeringConnection) || "
        "($.eventName=RejectVpcPeeringConnection) || "
        "($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || "
        "($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"
    ),
    "cis-aws-foundations:4.15": (
        "{ ($.eventSource = organizations.amazonaws.com) && "
        '(($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || '
        '($.eventName = "CreateAccount") || '
        '($.eventName = "CreateOrganizationalUnit") || '
        '($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || '
        '($.eventName = "DeleteOrganization") || '
        '($.eventName = "DeleteOrganizationalUnit") || '
        '($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || '
        '($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || '
        '($.eventName = "InviteAccountToOrganization") || '
        '($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || '
        '($.eventName = "RemoveAccountFromOrganization") || '
        '($.eventName = "UpdatePolicy") || '
        '($.eventName = "UpdateOrganizationalUnit")) }'
    ),
}

# The classic AWS example rule "IAM and security group changes": 22 IAM and 6 EC2 event names.
IAM_AND_SECURITY_GROUP_EVENTS = {
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "CreateGroup",
    "CreatePolicy",
    "CreateRole",
    "CreateUser",
    "DeleteAccessKey",
    "DeleteGroup",
    "DeleteGroupPolicy",
    "DeletePolicy",
    "DeleteRole",
    "DeleteRolePolicy",
    "DeleteUser",
    "DeleteUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "AuthorizeSecurityGroupEgress",
    "AuthorizeSecurityGroupIngress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "RevokeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
}

TAG = re.compile(r"^(cis-aws-foundations:4\.\d{1,2}|attack\.t\d{4}(\.\d{3})?|category:[a-z0-9-]+)$")

PACK_RULES, PACK_PROBLEMS = load_rules([pack_directory()])
RULES = {rule.id: rule for rule in PACK_RULES}


def examples() -> list[Any]:
    """One pytest param per (rule, example, expected verdict)."""
    params: list[Any] = []
    for rule in PACK_RULES:
        for wanted, records in ((True, rule.examples.match), (False, rule.examples.no_match)):
            kind = "match" if wanted else "no_match"
            params.extend(
                pytest.param(rule, record, wanted, id=f"{rule.id}-{kind}-{index}")
                for index, record in enumerate(records)
            )
    return params


class TestPackLoads:
    """The pack loads cleanly and holds exactly the documented rules."""

    def test_no_problems(self) -> None:
        """Every rule file loads and every example passes the loader's own check."""
        assert [str(problem) for problem in PACK_PROBLEMS.problems] == []

    def test_exactly_the_documented_ids(self) -> None:
        """The pack holds the documented rule ids, no more and no fewer."""
        assert set(RULES) == RULE_IDS
        assert len(PACK_RULES) == len(RULE_IDS)

    def test_file_name_is_the_id(self) -> None:
        """Each rule lives in <id>.yaml."""
        for rule in PACK_RULES:
            assert rule.location is not None
            assert Path(rule.location.path).name == f"{rule.id}.yaml"

    def test_only_rule_files_in_the_pack(self) -> None:
        """Besides the rules the pack folder holds only SOURCES.md."""
        names = {path.name for path in pack_directory().iterdir()}
        assert names == {f"{rule_id}.yaml" for rule_id in RULE_IDS} | {"SOURCES.md"}


class TestExamples:
    """Each example gets the expected verdict from every pattern the rule has."""

    @pytest.mark.parametrize(("rule", "record", "wanted"), examples())
    def test_verdicts(self, rule: Rule, record: Mapping[str, Any], wanted: bool) -> None:
        """The EventBridge pattern, and the logs filter when there is one, agree with the label."""
        assert rule.matches_eventbridge(record) is wanted
        if rule.logs_filter is not None:
            assert rule.matches_logs_filter(record) is wanted
        assert rule.matches(record) is wanted


class TestMetadata:
    """Every rule is documented, rated, tagged and has enough examples."""

    @pytest.mark.parametrize("rule", PACK_RULES, ids=lambda rule: rule.id)
    def test_rule_is_complete(self, rule: Rule) -> None:
        """Severity, title, description, runbook, EventBridge pattern, two examples of each kind."""
        assert isinstance(rule.severity, Severity)
        assert rule.title.strip()
        assert rule.description.strip()
        assert rule.runbook is not None
        assert rule.runbook.startswith("https://docs.aws.amazon.com/")
        assert rule.eventbridge is not None
        assert len(rule.examples.match) >= 2
        assert len(rule.examples.no_match) >= 2

    @pytest.mark.parametrize("rule", PACK_RULES, ids=lambda rule: rule.id)
    def test_tags(self, rule: Rule) -> None:
        """Tags are CIS, ATT&CK or category tags, with at least one ATT&CK and one category tag."""
        assert all(TAG.match(tag) for tag in rule.tags), rule.tags
        assert any(tag.startswith("attack.t") for tag in rule.tags)
        assert any(tag.startswith("category:") for tag in rule.tags)

    def test_thresholds(self) -> None:
        """The counting rules carry their documented thresholds."""
        assert RULES["console-login-failures-burst"].threshold == Threshold(
            5, 300, ("sourceIPAddress",)
        )
        assert RULES["unauthorized-api-call"].threshold == Threshold(
            10, 300, ("recipientAccountId",)
        )
        assert RULES["access-denied-burst-by-principal"].threshold == Threshold(
            20, 600, ("userIdentity.arn",)
        )

    def test_classic_iam_and_security_group_rule(self) -> None:
        """The classic example rule lists its 28 event names on its two sources."""
        pattern = RULES["iam-and-security-group-changes"].eventbridge
        assert pattern is not None
        assert set(pattern["detail"]["eventName"]) == IAM_AND_SECURITY_GROUP_EVENTS
        assert len(pattern["detail"]["eventName"]) == 28
        assert pattern["source"] == ["aws.iam", "aws.ec2"]


class TestCisFilters:
    """CIS rules carry the exact CIS / Security Hub metric filter text."""

    def test_every_cis_recommendation_has_one_rule(self) -> None:
        """Each of CIS 4.1-4.15 is tagged on exactly one rule."""
        tags = [tag for rule in PACK_RULES for tag in rule.tags if tag in CIS_FILTERS]
        assert sorted(tags) == sorted(CIS_FILTERS)

    @pytest.mark.parametrize("tag", sorted(CIS_FILTERS))
    def test_filter_is_exact(self, tag: str) -> None:
        """The rule tagged with a CIS recommendation has its filter character for character."""
        (rule,) = [rule for rule in PACK_RULES if tag in rule.tags]
        assert rule.logs_filter == CIS_FILTERS[tag]

    def test_only_cis_tags_are_cis_numbers(self) -> None:
        """No rule claims a CIS number outside 4.1-4.15."""
        claimed = {tag for rule in PACK_RULES for tag in rule.tags if tag.startswith("cis-")}
        assert claimed <= set(CIS_FILTERS)


Fired = dict[str, list[Mapping[str, Any]]]
"""The sample trail's records each rule matches, by rule id."""


@pytest.fixture(scope="module")
def fired() -> Fired:
    """Run every rule over every record of the sample trail (thresholds aside)."""
    found: Fired = {}
    for path in expand_paths([str(SAMPLE_TRAIL)]):
        for _, event in read_events(path):
            for rule in PACK_RULES:
                if rule.matches(event):
                    found.setdefault(rule.id, []).append(event)
    return found


class TestSampleTrail:
    """The pack, run over the bundled sample trail, finds the incidents it contains."""

    def test_root_console_login(self, fired: Fired) -> None:
        """A root console sign-in fires the root sign-in and root usage rules."""
        assert {"console-login", "console-login-root", "root-account-usage"} <= set(fired)
        assert all(e["userIdentity"]["type"] == "Root" for e in fired["console-login-root"])

    def test_console_login_without_mfa(self, fired: Fired) -> None:
        """An IAM user's sign-in without MFA fires the CIS 4.2 rule."""
        events = fired["console-login-without-mfa"]
        assert events
        assert all(e["userIdentity"]["type"] == "IAMUser" for e in events)
        assert all(e["additionalEventData"]["MFAUsed"] == "No" for e in events)

    def test_iam_change(self, fired: Fired) -> None:
        """IAM changes fire the change feed, the CIS 4.4 rule and the admin-policy rule."""
        assert {
            "iam-and-security-group-changes",
            "iam-policy-change",
            "iam-admin-policy-attached",
            "iam-user-created",
            "iam-access-key-created",
        } <= set(fired)

    def test_cloudtrail_stop_logging(self, fired: Fired) -> None:
        """A successful StopLogging fires the tampering rule and the CIS 4.5 rule."""
        stopped = [e["eventName"] for e in fired["cloudtrail-logging-stopped"]]
        assert "StopLogging" in stopped
        assert "cloudtrail-config-change" in fired
