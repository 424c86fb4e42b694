-- trailguard rules as Athena SQL (engine v3) for the standard CloudTrail table.
-- Not exported, as SQL cannot express them exactly:
--   ami-made-public: detail.requestParameters.launchPermission.add.items.group: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   ebs-snapshot-made-public: detail.requestParameters.createVolumePermission.add.items.group: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   s3-public-access-block-removed: detail.requestParameters.PublicAccessBlockConfiguration.BlockPublicAcls: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   s3-public-access-block-removed: detail.requestParameters.PublicAccessBlockConfiguration.IgnorePublicAcls: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   s3-public-access-block-removed: detail.requestParameters.PublicAccessBlockConfiguration.BlockPublicPolicy: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   s3-public-access-block-removed: detail.requestParameters.PublicAccessBlockConfiguration.RestrictPublicBuckets: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   security-group-open-to-world: detail.requestParameters.ipPermissions.items.ipRanges.items.cidrIp: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
--   security-group-open-to-world: detail.requestParameters.ipPermissions.items.ipv6Ranges.items.cidrIpv6: a path inside requestparameters below its first level: EventBridge also looks inside arrays on the way (any element), json_extract does not, so SQL is not exact
-- Note: access-denied-burst-by-principal: threshold not applied: the rule alerts on 20 matches within 600s per userIdentity.arn; this lists every matching event
-- Note: console-login-failures-burst: threshold not applied: the rule alerts on 5 matches within 300s per sourceIPAddress; this lists every matching event
-- Note: unauthorized-api-call: threshold not applied: the rule alerts on 10 matches within 300s per recipientAccountId; this lists every matching event
-- Note: console-login-failures-burst, console-login-without-mfa, guardduty-disabled, iam-admin-policy-attached: inside requestParameters & co. an array nested in an array is not looked into (EventBridge would: [["x"]] holds "x"); see docs/athena-notes.md

-- access-denied-burst-by-principal: Burst of denied API calls by one principal
-- severity: medium; match: eventbridge
-- threshold not applied: the rule alerts on 20 matches within 600s per userIdentity.arn; this lists every matching event
SELECT *
FROM cloudtrail_logs
WHERE (errorcode LIKE 'AccessDenied%' ESCAPE '\' OR errorcode LIKE '%UnauthorizedOperation' ESCAPE '\')
  AND useridentity.arn IS NOT NULL
  AND useridentity.invokedby IS NULL;

-- account-left-organization: Account left or was removed from the organization
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname IN ('LeaveOrganization', 'RemoveAccountFromOrganization')
  AND eventsource = 'organizations.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.organizations';

-- aws-config-change: AWS Config recorder or delivery channel changed
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('DeleteDeliveryChannel', 'PutConfigurationRecorder', 'PutDeliveryChannel', 'StopConfigurationRecorder')
  AND eventsource = 'config.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.config';

-- cloudtrail-config-change: CloudTrail trail created, changed, started, stopped or deleted
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('CreateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging', 'UpdateTrail')
  AND eventsource = 'cloudtrail.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.cloudtrail';

-- cloudtrail-logging-stopped: CloudTrail logging stopped or trail deleted
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname IN ('DeleteTrail', 'StopLogging')
  AND eventsource = 'cloudtrail.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.cloudtrail';

-- cloudwatch-logs-deleted: CloudWatch Logs log group or log stream deleted
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname IN ('DeleteLogGroup', 'DeleteLogStream')
  AND eventsource = 'logs.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.logs';

-- console-login-failure: Console sign-in failed authentication
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS Console Sign In via CloudTrail'
  AND errormessage = 'Failed authentication'
  AND eventname = 'ConsoleLogin'
  AND eventsource = 'signin.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.signin';

-- console-login-failures-burst: Burst of failed console sign-ins from one address
-- severity: medium; match: eventbridge
-- note: inside requestParameters & co. an array nested in an array is not looked into (EventBridge would: [["x"]] holds "x"); see docs/athena-notes.md
-- threshold not applied: the rule alerts on 5 matches within 300s per sourceIPAddress; this lists every matching event
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS Console Sign In via CloudTrail'
  AND eventname = 'ConsoleLogin'
  AND eventsource = 'signin.amazonaws.com'
  AND ((substr(json_format(json_extract(responseelements, '$.ConsoleLogin')), 1, 1) = '"' AND TRY_CAST(json_extract(responseelements, '$.ConsoleLogin') AS VARCHAR) = 'Failure') OR (any_match(TRY_CAST(json_extract(responseelements, '$.ConsoleLogin') AS ARRAY(JSON)), v -> substr(json_format(v), 1, 1) = '"' AND TRY_CAST(v AS VARCHAR) = 'Failure')))
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.signin';

-- console-login-root: Root user console sign-in
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS Console Sign In via CloudTrail'
  AND eventname = 'ConsoleLogin'
  AND eventsource = 'signin.amazonaws.com'
  AND useridentity.type = 'Root'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.signin';

-- console-login-without-mfa: IAM user console sign-in without MFA
-- severity: medium; match: eventbridge
-- note: inside requestParameters & co. an array nested in an array is not looked into (EventBridge would: [["x"]] holds "x"); see docs/athena-notes.md
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS Console Sign In via CloudTrail'
  AND (((substr(json_format(json_extract(additionaleventdata, '$.MFAUsed')), 1, 1) = '"' AND NOT regexp_like(TRY_CAST(json_extract(additionaleventdata, '$.MFAUsed') AS VARCHAR), '\A[Yy][Ee][Ss]\z')) OR substr(json_format(json_extract(additionaleventdata, '$.MFAUsed')), 1, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9') OR json_format(json_extract(additionaleventdata, '$.MFAUsed')) IN ('false', 'null', 'true')) OR (any_match(TRY_CAST(json_extract(additionaleventdata, '$.MFAUsed') AS ARRAY(JSON)), v -> ((substr(json_format(v), 1, 1) = '"' AND NOT regexp_like(TRY_CAST(v AS VARCHAR), '\A[Yy][Ee][Ss]\z')) OR substr(json_format(v), 1, 1) IN ('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9') OR json_format(v) IN ('false', 'null', 'true') OR v IS NULL))))
  AND eventname = 'ConsoleLogin'
  AND eventsource = 'signin.amazonaws.com'
  AND ((substr(json_format(json_extract(responseelements, '$.ConsoleLogin')), 1, 1) = '"' AND TRY_CAST(json_extract(responseelements, '$.ConsoleLogin') AS VARCHAR) = 'Success') OR (any_match(TRY_CAST(json_extract(responseelements, '$.ConsoleLogin') AS ARRAY(JSON)), v -> substr(json_format(v), 1, 1) = '"' AND TRY_CAST(v AS VARCHAR) = 'Success')))
  AND useridentity.type = 'IAMUser'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.signin';

-- console-login: Console sign-in
-- severity: info; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS Console Sign In via CloudTrail'
  AND eventname = 'ConsoleLogin'
  AND eventsource = 'signin.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.signin';

-- guardduty-disabled: GuardDuty disabled or detached
-- severity: high; match: eventbridge
-- note: inside requestParameters & co. an array nested in an array is not looked into (EventBridge would: [["x"]] holds "x"); see docs/athena-notes.md
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventsource = 'guardduty.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.guardduty'
  AND (
    eventname IN ('DeleteDetector', 'DeleteMembers', 'DisassociateFromAdministratorAccount', 'DisassociateFromMasterAccount', 'DisassociateMembers', 'StopMonitoringMembers')
    OR (eventname = 'UpdateDetector' AND (json_format(json_extract(requestparameters, '$.enable')) IN ('false') OR any_match(TRY_CAST(json_extract(requestparameters, '$.enable') AS ARRAY(JSON)), v -> json_format(v) IN ('false'))))
  );

-- iam-access-key-created: IAM access key created
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname = 'CreateAccessKey'
  AND eventsource = 'iam.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.iam';

-- iam-admin-policy-attached: Administrator access granted to an IAM identity
-- severity: high; match: eventbridge
-- note: inside requestParameters & co. an array nested in an array is not looked into (EventBridge would: [["x"]] holds "x"); see docs/athena-notes.md
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventsource = 'iam.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.iam'
  AND (
    (eventname IN ('AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy') AND ((substr(json_format(json_extract(requestparameters, '$.policyArn')), 1, 1) = '"' AND TRY_CAST(json_extract(requestparameters, '$.policyArn') AS VARCHAR) LIKE '%:iam::aws:policy/AdministratorAccess' ESCAPE '\') OR (any_match(TRY_CAST(json_extract(requestparameters, '$.policyArn') AS ARRAY(JSON)), v -> substr(json_format(v), 1, 1) = '"' AND TRY_CAST(v AS VARCHAR) LIKE '%:iam::aws:policy/AdministratorAccess' ESCAPE '\'))))
    OR (eventname IN ('PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy') AND ((substr(json_format(json_extract(requestparameters, '$.policyDocument')), 1, 1) = '"' AND (TRY_CAST(json_extract(requestparameters, '$.policyDocument') AS VARCHAR) LIKE '%Action":"*"%' ESCAPE '\' OR TRY_CAST(json_extract(requestparameters, '$.policyDocument') AS VARCHAR) LIKE '%Action": "*"%' ESCAPE '\')) OR (any_match(TRY_CAST(json_extract(requestparameters, '$.policyDocument') AS ARRAY(JSON)), v -> substr(json_format(v), 1, 1) = '"' AND (TRY_CAST(v AS VARCHAR) LIKE '%Action":"*"%' ESCAPE '\' OR TRY_CAST(v AS VARCHAR) LIKE '%Action": "*"%' ESCAPE '\')))))
  );

-- iam-and-security-group-changes: IAM or security group change
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy', 'AuthorizeSecurityGroupEgress', 'AuthorizeSecurityGroupIngress', 'CreateAccessKey', 'CreateGroup', 'CreatePolicy', 'CreateRole', 'CreateSecurityGroup', 'CreateUser', 'DeleteAccessKey', 'DeleteGroup', 'DeleteGroupPolicy', 'DeletePolicy', 'DeleteRole', 'DeleteRolePolicy', 'DeleteSecurityGroup', 'DeleteUser', 'DeleteUserPolicy', 'DetachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy', 'RevokeSecurityGroupEgress', 'RevokeSecurityGroupIngress')
  AND eventsource IN ('ec2.amazonaws.com', 'iam.amazonaws.com')
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) IN ('aws.ec2', 'aws.iam');

-- iam-login-profile-changed: IAM user console password created, changed or removed
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname IN ('CreateLoginProfile', 'DeleteLoginProfile', 'UpdateLoginProfile')
  AND eventsource = 'iam.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.iam';

-- iam-policy-change: IAM policy change
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy', 'CreatePolicy', 'CreatePolicyVersion', 'DeleteGroupPolicy', 'DeletePolicy', 'DeletePolicyVersion', 'DeleteRolePolicy', 'DeleteUserPolicy', 'DetachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy')
  AND eventsource = 'iam.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.iam';

-- iam-user-created: IAM user created
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname = 'CreateUser'
  AND eventsource = 'iam.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.iam';

-- kms-key-disabled-or-scheduled-deletion: KMS key disabled or scheduled for deletion
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('DisableKey', 'ScheduleKeyDeletion')
  AND eventsource = 'kms.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.kms';

-- mfa-device-removed: IAM MFA device deactivated or deleted
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice')
  AND eventsource = 'iam.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.iam';

-- nacl-change: Network ACL changed
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclAssociation', 'ReplaceNetworkAclEntry')
  AND eventsource = 'ec2.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.ec2';

-- network-gateway-change: Internet or customer gateway changed
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('AttachInternetGateway', 'CreateCustomerGateway', 'CreateInternetGateway', 'DeleteCustomerGateway', 'DeleteInternetGateway', 'DetachInternetGateway')
  AND eventsource = 'ec2.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.ec2';

-- organizations-change: AWS Organizations changed
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('AcceptHandshake', 'AttachPolicy', 'CreateAccount', 'CreateOrganizationalUnit', 'CreatePolicy', 'DeclineHandshake', 'DeleteOrganization', 'DeleteOrganizationalUnit', 'DeletePolicy', 'DetachPolicy', 'DisablePolicyType', 'EnablePolicyType', 'InviteAccountToOrganization', 'LeaveOrganization', 'MoveAccount', 'RemoveAccountFromOrganization', 'UpdateOrganizationalUnit', 'UpdatePolicy')
  AND eventsource = 'organizations.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.organizations';

-- root-account-usage: Root user activity
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE eventtype NOT IN ('AwsServiceEvent')
  AND useridentity.invokedby IS NULL
  AND useridentity.type = 'Root';

-- route-table-change: Route table changed
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('CreateRoute', 'CreateRouteTable', 'DeleteRoute', 'DeleteRouteTable', 'DisassociateRouteTable', 'ReplaceRoute', 'ReplaceRouteTableAssociation')
  AND eventsource = 'ec2.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.ec2';

-- s3-bucket-policy-change: S3 bucket policy, ACL, CORS, lifecycle or replication changed
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketPolicy', 'DeleteBucketReplication', 'PutBucketAcl', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketPolicy', 'PutBucketReplication')
  AND eventsource = 's3.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.s3';

-- security-group-change: Security group changed
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('AuthorizeSecurityGroupEgress', 'AuthorizeSecurityGroupIngress', 'CreateSecurityGroup', 'DeleteSecurityGroup', 'RevokeSecurityGroupEgress', 'RevokeSecurityGroupIngress')
  AND eventsource = 'ec2.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.ec2';

-- securityhub-disabled: Security Hub disabled or detached
-- severity: high; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname IN ('BatchDisableStandards', 'DeleteMembers', 'DisableSecurityHub', 'DisassociateFromAdministratorAccount', 'DisassociateFromMasterAccount', 'DisassociateMembers')
  AND eventsource = 'securityhub.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.securityhub';

-- unauthorized-api-call: Unauthorized API calls
-- severity: low; match: eventbridge
-- threshold not applied: the rule alerts on 10 matches within 300s per recipientAccountId; this lists every matching event
SELECT *
FROM cloudtrail_logs
WHERE (errorcode LIKE 'AccessDenied%' ESCAPE '\' OR errorcode LIKE '%UnauthorizedOperation' ESCAPE '\');

-- vpc-change: VPC or VPC peering changed
-- severity: low; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND eventname IN ('AcceptVpcPeeringConnection', 'AttachClassicLinkVpc', 'CreateVpc', 'CreateVpcPeeringConnection', 'DeleteVpc', 'DeleteVpcPeeringConnection', 'DetachClassicLinkVpc', 'DisableVpcClassicLink', 'EnableVpcClassicLink', 'ModifyVpcAttribute', 'RejectVpcPeeringConnection')
  AND eventsource = 'ec2.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.ec2';

-- vpc-flow-logs-deleted: VPC flow logs deleted
-- severity: medium; match: eventbridge
SELECT *
FROM cloudtrail_logs
WHERE (CASE lower(eventtype) WHEN 'awsconsolesignin' THEN 'AWS Console Sign In via CloudTrail' WHEN 'awsserviceevent' THEN 'AWS Service Event via CloudTrail' WHEN 'awsconsoleaction' THEN 'AWS Console Action via CloudTrail' WHEN 'awscloudtrailinsight' THEN 'AWS Insight via CloudTrail' ELSE 'AWS API Call via CloudTrail' END) = 'AWS API Call via CloudTrail'
  AND errorcode IS NULL
  AND eventname = 'DeleteFlowLogs'
  AND eventsource = 'ec2.amazonaws.com'
  AND (CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' ELSE 'aws.' || split_part(eventsource, '.', 1) END) = 'aws.ec2';
