"""The handler's least-privilege policy, from what its configuration actually uses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from trailguard.infra.policies import Policy, allow, policy

SECRET_PREFIXES = ("ssm:", "secretsmanager:")


def handler_policy(  # noqa: PLR0913 - one parameter per resource it grants access to
    config: Mapping[str, Any],
    *,
    account: str,
    region: str,
    function: str,
    config_parameter: str,
    dead_letter_queue: str,
    table: str | None,
) -> Policy:
    """Only what the Lambda handler does: log, read its configuration and secrets, send, keep state.

    ``config`` is the parsed alerting configuration (trailguard.yaml without ``deploy:``).
    """
    prefix = f"arn:aws:{{}}:{region}:{account}:"
    parameters = [_parameter_arn(config_parameter, region, account)]
    secrets: list[str] = []
    for reference in _secret_references(config):
        scheme, _, name = reference.partition(":")
        if scheme == "ssm":
            parameters.append(_parameter_arn(name, region, account))
        else:
            secrets.append(_secret_arn(name.partition("#")[0], region, account))
    statements = [
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [prefix.format("logs") + f"log-group:/aws/lambda/{function}:*"],
            "WriteOwnLogs",
        ),
        allow(["ssm:GetParameter"], sorted(set(parameters)), "ReadConfigurationAndSecrets"),
        allow(["sqs:SendMessage"], [prefix.format("sqs") + dead_letter_queue], "DeadLetters"),
    ]
    if secrets:
        statements.append(allow(["secretsmanager:GetSecretValue"], sorted(set(secrets)), "Secrets"))
    if table:
        actions = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"]
        statements.append(
            allow(
                [f"dynamodb:{action}" for action in actions],
                [prefix.format("dynamodb") + f"table/{table}"],
                "DeliveryState",
            )
        )
    destinations = config.get("destinations") or {}
    kinds = {str(item.get("type")) for item in destinations.values() if isinstance(item, Mapping)}
    topics = sorted(
        str(item["topic_arn"])
        for item in destinations.values()
        if isinstance(item, Mapping) and item.get("type") == "sns" and item.get("topic_arn")
    )
    if topics:
        statements.append(allow(["sns:Publish"], topics, "PublishAlerts"))
    if "ses" in kinds:
        statements.append(allow(["ses:SendEmail", "ses:SendRawEmail"], ["*"], "SendAlertEmail"))
    lookups = (config.get("accounts") or {}).get("lookup") or []
    if "organizations" in lookups:
        statements.append(allow(["organizations:ListAccounts"], ["*"], "AccountNames"))
    if "iam" in lookups:
        statements.append(allow(["iam:ListAccountAliases"], ["*"], "AccountAlias"))
    return policy(statements)


def forwarder_policy(home_bus: str) -> Policy:
    """What EventBridge needs to forward events from another region to the home bus."""
    return policy([allow(["events:PutEvents"], [home_bus], "ForwardToHomeBus")])


def cloudtrail_logs_policy(log_group_arn: str) -> Policy:
    """What CloudTrail needs to write to its log group.

    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html
    """
    streams = log_group_arn.removesuffix(":*") + ":log-stream:*"
    return policy([allow(["logs:CreateLogStream", "logs:PutLogEvents"], [streams], "TrailLogs")])


def _secret_references(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if value.startswith(SECRET_PREFIXES):
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _secret_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_references(item)


def _parameter_arn(name: str, region: str, account: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _secret_arn(name: str, region: str, account: str) -> str:
    if name.startswith("arn:"):
        return name
    # Secrets Manager appends a dash and six random characters to every secret's ARN.
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????"
