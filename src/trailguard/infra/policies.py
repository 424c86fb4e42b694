"""Policy documents: those AWS documents for a trail and its parts, and checks of existing ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

VERSION = "2012-10-17"
Policy = dict[str, Any]
# Condition keys that tie an "any principal" statement to a caller, a source or a network.
_NARROWING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:userid",
        "aws:sourcevpce",
        "aws:sourcevpc",
        "aws:sourceip",
        "kms:calleraccount",
    }
)


def trail_arn(region: str, account: str, name: str) -> str:
    """The ARN of a trail."""
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def trail_bucket_policy(bucket: str, account: str, trail: str) -> Policy:
    """The bucket policy CloudTrail needs, scoped to one trail, plus a deny of plain HTTP.

    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
    """
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringEquals": {"aws:SourceArn": trail}},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": trail,
                    }
                },
            },
            deny_insecure_transport(bucket),
        ],
    }


def deny_insecure_transport(bucket: str) -> Policy:
    """The statement that refuses every request to a bucket over plain HTTP.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
    """
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def trail_key_policy(account: str, trail: str) -> Policy:
    """The KMS key policy for SSE-KMS log files: CloudTrail encrypts, the account decrypts.

    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    """
    context = {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"
    }
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "EnableIAMUserPermissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowCloudTrailToEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail}, "StringLike": context},
            },
            {
                "Sid": "AllowCloudTrailToDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
            },
            {
                "Sid": "AllowAccountToDecryptLogFiles",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account},
                    "StringLike": context,
                },
            },
        ],
    }


def assume_role_policy(service: str, account: str | None = None) -> Policy:
    """A trust policy letting one AWS service assume a role (only for ``account`` when given)."""
    statement: Policy = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return {"Version": VERSION, "Statement": [statement]}


def allow(actions: Sequence[str], resources: Sequence[str], sid: str) -> Policy:
    """One Allow statement."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions) if len(actions) > 1 else actions[0],
        "Resource": list(resources) if len(resources) > 1 else resources[0],
    }


def policy(statements: Iterable[Policy]) -> Policy:
    """A policy document of ``statements``."""
    return {"Version": VERSION, "Statement": list(statements)}


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a policy, whether ``Statement`` is one object or a list."""
    found = document.get("Statement", [])
    if isinstance(found, Mapping):
        return [found]
    return [item for item in found if isinstance(item, Mapping)] if isinstance(found, list) else []


def public_statements(document: Mapping[str, Any]) -> list[str]:
    """Sids (or positions) of Allow statements for any principal with no narrowing condition."""
    found: list[str] = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or not _any_principal(statement.get("Principal")):
            continue
        keys = {
            key.lower()
            for operator in (statement.get("Condition") or {}).values()
            if isinstance(operator, Mapping)
            for key in operator
        }
        if not keys & _NARROWING_KEYS:
            found.append(str(statement.get("Sid") or f"statement {index + 1}"))
    return found


def denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    """Whether a bucket policy denies every principal any S3 action over plain HTTP."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or not _any_principal(statement.get("Principal")):
            continue
        if not any(action in {"s3:*", "*"} for action in _strings(statement.get("Action"))):
            continue
        for operator, values in (statement.get("Condition") or {}).items():
            if operator not in {"Bool", "BoolIfExists"} or not isinstance(values, Mapping):
                continue
            for key, value in values.items():
                if key.lower() == "aws:securetransport" and "false" in {
                    str(item).lower() for item in _strings(value)
                }:
                    return True
    return False


def allows_invoke(document: Mapping[str, Any], principal: str, source_arn: str) -> bool:
    """Whether a function policy lets service ``principal`` invoke it for ``source_arn``."""
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = _strings(statement.get("Action"))
        if not {"lambda:InvokeFunction", "lambda:*", "*"} & set(actions):
            continue
        who = statement.get("Principal")
        services = _strings(who.get("Service")) if isinstance(who, Mapping) else []
        if principal not in services and not _any_principal(who):
            continue
        arns = [
            arn
            for operator, values in (statement.get("Condition") or {}).items()
            if operator in {"ArnLike", "ArnEquals", "StringEquals", "StringLike"}
            and isinstance(values, Mapping)
            for key, value in values.items()
            if key.lower() == "aws:sourcearn"
            for arn in _strings(value)
        ]
        if not arns or any(fnmatchcase(source_arn, arn) for arn in arns):
            return True
    return False


def _any_principal(principal: object) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in _strings(principal.get("AWS"))
    return False


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return [str(value).lower()]
    return []
