"""The 14 CIS CloudTrail metric filters, verbatim as Security Hub's CloudWatch.1-14 check them.

Security Hub passes a control only when the filter is exactly this pattern (whitespace aside),
so tuned variants belong in rules, not here.
https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
(CIS v1.2.0 3.x / v1.4.0 4.x numbering in the keys' comments.)
"""

from __future__ import annotations

CIS_CLOUDTRAIL_FILTERS: dict[str, str] = {
    # 3.3 / 4.3 Usage of the "root" account
    "CloudWatch.1": (
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS'
        ' && $.eventType !="AwsServiceEvent"}'
    ),
    # 3.1 / 4.1 Unauthorized API calls
    "CloudWatch.2": '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    # 3.2 / 4.2 Management Console sign-in without MFA
    "CloudWatch.3": (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes")'
        ' && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }'
    ),
    # 3.4 / 4.4 IAM policy changes
    "CloudWatch.4": (
        "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy)"
        " || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy)"
        " || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy)"
        " || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy)"
        " || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion)"
        " || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy)"
        " || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy)"
        " || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}"
    ),
    # 3.5 / 4.5 CloudTrail configuration changes
    "CloudWatch.5": (
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail)"
        " || ($.eventName=StartLogging) || ($.eventName=StopLogging)}"
    ),
    # 3.6 / 4.6 Console authentication failures
    "CloudWatch.6": '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    # 3.7 / 4.7 Disabling or scheduled deletion of customer-created CMKs
    "CloudWatch.7": (
        "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey)"
        " || ($.eventName=ScheduleKeyDeletion))}"
    ),
    # 3.8 / 4.8 S3 bucket policy changes
    "CloudWatch.8": (
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl)"
        " || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors)"
        " || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication)"
        " || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors)"
        " || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}"
    ),
    # 3.9 / 4.9 AWS Config configuration changes
    "CloudWatch.9": (
        "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)"
        " || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel)"
        " || ($.eventName=PutConfigurationRecorder))}"
    ),
    # 3.10 / 4.10 Security group changes
    "CloudWatch.10": (
        "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress)"
        " || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress)"
        " || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}"
    ),
    # 3.11 / 4.11 NACL changes
    "CloudWatch.11": (
        "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry)"
        " || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry)"
        " || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}"
    ),
    # 3.12 / 4.12 Network gateway changes
    "CloudWatch.12": (
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway)"
        " || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway)"
        " || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}"
    ),
    # 3.13 / 4.13 Route table changes
    "CloudWatch.13": (
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute)"
        " || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable)"
        " || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}"
    ),
    # 3.14 / 4.14 VPC changes
    "CloudWatch.14": (
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute)"
        " || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection)"
        " || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection)"
        " || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc)"
        " || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"
    ),
}
