"""AwsClients: one boto3 session's clients per service and region, and AWS errors as messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from trailguard.errors import TrailguardError

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

# IAM is global; its API lives in us-east-1 in the aws partition.
GLOBAL_REGION = "us-east-1"


class AwsError(TrailguardError):
    """An AWS API call failed: AWS's error code and message, and the resource it was about."""

    def __init__(self, code: str, message: str, resource: str) -> None:
        super().__init__(f"{code}: {message} ({resource})")
        self.code = code
        self.aws_message = message
        self.resource = resource


@contextmanager
def aws_errors(resource: str) -> Iterator[None]:
    """Turn botocore's exceptions inside the block into an AwsError naming ``resource``."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        yield
    except ClientError as error:
        raise AwsError(error_code(error), error_message(error), resource) from None
    except BotoCoreError as error:
        raise AwsError(type(error).__name__, str(error), resource) from None


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError (``AccessDenied``), or the class name."""
    response: Any = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or type(error).__name__)


def error_message(error: Exception) -> str:
    """The AWS error message of a botocore ClientError."""
    response: Any = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message") or error)


class AwsClients:
    """Clients of one boto3 session, made on first use and kept per (service, region).

    Only the CLI builds one from a profile; the library takes it as a parameter, and tests pass
    one whose session points at moto.
    """

    def __init__(self, session: boto3.Session | None = None, region: str | None = None) -> None:
        if session is None:
            import boto3  # noqa: PLC0415 - the library imports boto3 only when AWS is used

            session = boto3.Session(region_name=region)
        self.session = session
        self.region: str = region or session.region_name or GLOBAL_REGION
        self._clients: dict[tuple[str, str], Any] = {}
        self._account: str | None = None

    def client(self, service: str, region: str | None = None) -> Any:
        """The client of ``service`` in ``region`` (the session's region when None)."""
        key = (service, region or self.region)
        found = self._clients.get(key)
        if found is None:
            found = self.session.client(service, region_name=key[1])  # type: ignore[call-overload]
            self._clients[key] = found
        return found

    def cloudtrail(self, region: str | None = None) -> CloudTrailClient:
        """CloudTrail in ``region``."""
        return self.client("cloudtrail", region)  # type: ignore[no-any-return]

    def events(self, region: str | None = None) -> EventBridgeClient:
        """EventBridge in ``region``."""
        return self.client("events", region)  # type: ignore[no-any-return]

    def logs(self, region: str | None = None) -> CloudWatchLogsClient:
        """CloudWatch Logs in ``region``."""
        return self.client("logs", region)  # type: ignore[no-any-return]

    def cloudwatch(self, region: str | None = None) -> CloudWatchClient:
        """CloudWatch (metrics and alarms) in ``region``."""
        return self.client("cloudwatch", region)  # type: ignore[no-any-return]

    def sns(self, region: str | None = None) -> SNSClient:
        """SNS in ``region``."""
        return self.client("sns", region)  # type: ignore[no-any-return]

    def sqs(self, region: str | None = None) -> SQSClient:
        """SQS in ``region``."""
        return self.client("sqs", region)  # type: ignore[no-any-return]

    def s3(self, region: str | None = None) -> S3Client:
        """S3 in ``region``."""
        return self.client("s3", region)  # type: ignore[no-any-return]

    def ssm(self, region: str | None = None) -> SSMClient:
        """SSM Parameter Store in ``region``."""
        return self.client("ssm", region)  # type: ignore[no-any-return]

    def lambda_(self, region: str | None = None) -> LambdaClient:
        """Lambda in ``region``."""
        return self.client("lambda", region)  # type: ignore[no-any-return]

    def dynamodb(self, region: str | None = None) -> DynamoDBClient:
        """DynamoDB in ``region``."""
        return self.client("dynamodb", region)  # type: ignore[no-any-return]

    def iam(self) -> IAMClient:
        """IAM (global)."""
        return self.client("iam", GLOBAL_REGION)  # type: ignore[no-any-return]

    def kms(self, region: str | None = None) -> Any:
        """KMS in ``region`` (untyped: the project's stubs do not include KMS)."""
        return self.client("kms", region)

    def account_id(self) -> str:
        """The account the credentials belong to (STS GetCallerIdentity, asked once)."""
        if self._account is None:
            with aws_errors("sts:GetCallerIdentity"):
                self._account = str(self.client("sts").get_caller_identity()["Account"])
        return self._account

    def enabled_regions(self) -> list[str]:
        """Regions enabled for the account (EC2 DescribeRegions lists only those by default)."""
        with aws_errors("ec2:DescribeRegions"):
            regions = self.client("ec2").describe_regions()["Regions"]
        # moto lists opt-in regions too; AWS leaves out the ones not opted in.
        return sorted(
            str(region["RegionName"])
            for region in regions
            if region.get("OptInStatus") != "not-opted-in"
        )
