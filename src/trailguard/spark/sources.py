"""Input files for Spark: listed and pruned on the driver, read in the executors.

Executors are separate processes, started before any environment change the driver makes, so
the S3 client settings travel with the tasks as an ``S3Settings`` value instead of through
environment variables. Credentials do not travel: executors use their own (instance profile,
``spark.executorEnv.*``, the profile named in the settings).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trailguard.errors import InputError
from trailguard.scan import ScanWindow, expand_sources

HADOOP_S3_SCHEMES = ("s3a://", "s3n://")


@dataclass(frozen=True)
class S3Settings:
    """How executors build their S3 client: endpoint, region and profile, all optional."""

    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None

    @classmethod
    def from_environment(cls, profile: str | None = None) -> S3Settings:
        """The settings the driver's own boto3 would use from ``AWS_ENDPOINT_URL`` and region."""
        return cls(
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL"),
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            profile=profile,
        )

    def client(self) -> Any:
        """A boto3 S3 client with these settings."""
        import boto3  # noqa: PLC0415 - only for s3:// sources
        from botocore.exceptions import BotoCoreError  # noqa: PLC0415

        try:
            session = boto3.Session(profile_name=self.profile, region_name=self.region)
        except BotoCoreError as error:
            raise InputError(f"S3 client: {error}") from None
        return session.client("s3", endpoint_url=self.endpoint_url)


def as_s3_url(source: str) -> str:
    """``s3a://`` and ``s3n://`` (Hadoop's names for S3) as ``s3://``; anything else unchanged."""
    for scheme in HADOOP_S3_SCHEMES:
        if source.startswith(scheme):
            return "s3://" + source[len(scheme) :]
    return source


def list_files(
    sources: Sequence[str],
    window: ScanWindow,
    s3: S3Settings,
    *,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> list[str]:
    """Every file and object to read, pruned by date, account and region like a local scan."""
    return list(
        expand_sources(
            [as_s3_url(source) for source in sources],
            window,
            s3_client_factory=s3.client,
            accounts=accounts,
            regions=regions,
        )
    )
