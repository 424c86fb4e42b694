"""Trail log files in S3: list them with pruning by the key layout, read one object at a time.

Keys follow ``[prefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/NAME.json.gz``, so a
listing can skip accounts, regions and days that a query excludes without reading them.
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-find-log-files.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from trailguard.errors import InputError, Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

S3_URL = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<prefix>.*)$")
# The key test of AWS's CloudTrail Processing Library: trail log files, not digests or Insights.
LOG_FILE_NAME = re.compile(r".+_CloudTrail_[\w\-]+_\d{8}T\d{4}Z_\w+\.json\.gz$")
INSIGHT_FILE_NAME = re.compile(r".+_CloudTrail-Insight_[\w\-]+_\d{8}T\d{4}Z_\w+\.json\.gz$")
MAX_PREFIX_DEPTH = 4
LOGS_ROOT = "AWSLogs/"


def is_s3_url(path: str) -> bool:
    """Whether ``path`` is an ``s3://bucket[/prefix]`` URL."""
    return path.startswith("s3://")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> ``("bucket", "prefix")``."""
    found = S3_URL.match(url)
    if not found:
        raise InputError("not an S3 URL (s3://bucket/prefix)", location=Location(url))
    return found["bucket"], found["prefix"]


@dataclass(frozen=True)
class KeyFilter:
    """What a listing may skip: days outside [since, until], other accounts and regions."""

    since: date | None = None
    until: date | None = None
    accounts: Sequence[str] = ()
    regions: Sequence[str] = ()
    include_insights: bool = False

    def keeps_account(self, account: str) -> bool:
        """Whether an account folder is wanted (organization folders always are)."""
        return not self.accounts or account.startswith("o-") or account in self.accounts

    def keeps_region(self, region: str) -> bool:
        """Whether a region folder is wanted."""
        return not self.regions or region in self.regions

    def keeps_day(self, parts: Sequence[int]) -> bool:
        """Whether a year, year/month or year/month/day folder may hold wanted events.

        A file is delivered after its events happen, usually within minutes, so a day folder
        may hold the last events of the day before: ``until`` is widened by one day.
        """
        if self.since is not None and tuple(parts) < _cut(self.since, len(parts)):
            return False
        if self.until is not None:
            latest = self.until + timedelta(days=1)
            if tuple(parts) > _cut(latest, len(parts)):
                return False
        return True

    def keeps_file(self, name: str) -> bool:
        """Whether an object name is a trail log file (or an Insights file, when asked)."""
        return bool(LOG_FILE_NAME.match(name)) or (
            self.include_insights and bool(INSIGHT_FILE_NAME.match(name))
        )


def _cut(day: date, length: int) -> tuple[int, ...]:
    return (day.year, day.month, day.day)[:length]


def list_log_keys(client: S3Client, url: str, key_filter: KeyFilter | None = None) -> Iterator[str]:
    """The keys of the trail log files under ``url``, in key order, pruned by ``key_filter``."""
    bucket, prefix = parse_s3_url(url)
    wanted = key_filter or KeyFilter()
    yield from _walk(client, bucket, prefix, wanted, depth=0)


def _walk(
    client: S3Client, bucket: str, prefix: str, wanted: KeyFilter, depth: int
) -> Iterator[str]:
    if prefix and not prefix.endswith("/"):
        # A prefix that is a partial name or a single key: list it flat.
        yield from _flat(client, bucket, prefix, wanted)
        return
    root = prefix.rfind(LOGS_ROOT)
    if root < 0:
        children = _children(client, bucket, prefix)
        if prefix + LOGS_ROOT in children:
            yield from _walk(client, bucket, prefix + LOGS_ROOT, wanted, depth)
        elif depth < MAX_PREFIX_DEPTH:
            for child in children:
                yield from _walk(client, bucket, child, wanted, depth + 1)
        return
    below_root = prefix[root + len(LOGS_ROOT) :].strip("/")
    parts = below_root.split("/") if below_root else []
    yield from _walk_layout(client, bucket, prefix, parts, wanted)


def _walk_layout(
    client: S3Client, bucket: str, prefix: str, parts: list[str], wanted: KeyFilter
) -> Iterator[str]:
    trail_dirs = (
        ("CloudTrail", "CloudTrail-Insight") if wanted.include_insights else ("CloudTrail",)
    )
    where = next((i for i, part in enumerate(parts) if part.startswith("CloudTrail")), None)
    if where is None:
        # Above the CloudTrail folder: organization id and account folders.
        for child in _children(client, bucket, prefix):
            name = child[len(prefix) :].rstrip("/")
            is_trail_dir = name.startswith("CloudTrail")
            if (is_trail_dir and name in trail_dirs) or (
                not is_trail_dir and wanted.keeps_account(name)
            ):
                yield from _walk_layout(client, bucket, child, [*parts, name], wanted)
        return
    if parts[where] not in trail_dirs:
        return
    below = parts[where + 1 :]
    if not below:
        for child in _children(client, bucket, prefix):
            region = child[len(prefix) :].rstrip("/")
            if wanted.keeps_region(region):
                yield from _walk_layout(client, bucket, child, [*parts, region], wanted)
        return
    date_parts = below[1:]
    if (wanted.since is None and wanted.until is None) or len(date_parts) >= 3:
        yield from _flat(client, bucket, prefix, wanted)
        return
    for child in _children(client, bucket, prefix):
        name = child[len(prefix) :].rstrip("/")
        if name.isdigit() and wanted.keeps_day([*map(int, date_parts), int(name)]):
            yield from _walk_layout(client, bucket, child, [*parts, name], wanted)


def _children(client: S3Client, bucket: str, prefix: str) -> list[str]:
    paginator = client.get_paginator("list_objects_v2")
    found: list[str] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        found.extend(item["Prefix"] for item in page.get("CommonPrefixes", []))
    return sorted(found)


def _flat(client: S3Client, bucket: str, prefix: str, wanted: KeyFilter) -> Iterator[str]:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if wanted.keeps_file(key.rsplit("/", 1)[-1]):
                yield key


def read_object(client: S3Client, url: str) -> bytes:
    """The bytes of one object; errors name the object and AWS's reason."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - boto only here

    bucket, key = parse_s3_url(url)
    try:
        response = client.get_object(Bucket=bucket, Key=key)
        body: bytes = response["Body"].read()
    except ClientError as error:
        reason = error.response.get("Error", {})
        message = f"{reason.get('Code', 'Error')}: {reason.get('Message', str(error))}"
        raise InputError(message, location=Location(url)) from None
    except BotoCoreError as error:
        raise InputError(str(error), location=Location(url)) from None
    return body
