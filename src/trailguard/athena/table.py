"""The standard CloudTrail Athena table: which record field is which column, and its DDL.

The columns are those of AWS's partition-projection sample table ("Querying AWS CloudTrail
logs", https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html).
Its SerDe reads each record of the ``{"Records": [...]}`` files into one row: scalar fields
become STRING columns, ``userIdentity`` and ``tlsDetails`` STRUCTs, ``resources`` an ARRAY of
STRUCTs, and ``requestParameters``, ``responseElements``, ``additionalEventData`` and
``serviceEventDetails`` STRINGs that hold the field's JSON text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from trailguard.athena import _sql
from trailguard.errors import ConfigError

DEFAULT_TABLE = "cloudtrail_logs"
LOCATION_PLACEHOLDER = "s3://BUCKET/AWSLogs/ACCOUNT_ID/CloudTrail/REGION"
"""What the DDL says when no --location is given; the statement tells the reader to replace it."""
PARTITION = '"timestamp"'
"""The projected partition column, 'yyyy/MM/dd' (quoted: TIMESTAMP is a keyword)."""

_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
_LOCATION = re.compile(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^\s']*)?")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")


class Kind(Enum):
    """How a column holds a record field's values."""

    STRING = "string"
    """The field's string (CloudTrail writes these fields as strings)."""
    BOOLEAN = "boolean"
    """A boolean field read into a STRING column: 'true' or 'false'."""
    JSON = "json"
    """The field's JSON text (an object, or null)."""


@dataclass(frozen=True)
class Column:
    """A record field as SQL reads it."""

    sql: str
    kind: Kind


_STRINGS = {
    "eventVersion": "eventversion",
    "eventTime": "eventtime",
    "eventSource": "eventsource",
    "eventName": "eventname",
    "awsRegion": "awsregion",
    "sourceIPAddress": "sourceipaddress",
    "userAgent": "useragent",
    "errorCode": "errorcode",
    "errorMessage": "errormessage",
    "requestID": "requestid",
    "eventID": "eventid",
    "eventType": "eventtype",
    "apiVersion": "apiversion",
    "recipientAccountId": "recipientaccountid",
    "sharedEventID": "sharedeventid",
    "vpcEndpointId": "vpcendpointid",
}
_IDENTITY = ("type", "principalId", "arn", "accountId", "invokedBy", "accessKeyId", "userName")
_ISSUER = ("type", "principalId", "arn", "accountId", "userName")
_STRUCT_LEAVES = [
    *(f"userIdentity.{name}" for name in _IDENTITY),
    "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "userIdentity.sessionContext.attributes.creationDate",
    *(f"userIdentity.sessionContext.sessionIssuer.{name}" for name in _ISSUER),
    "userIdentity.sessionContext.ec2RoleDelivery",
    "tlsDetails.tlsVersion",
    "tlsDetails.cipherSuite",
    "tlsDetails.clientProvidedHostHeader",
]
JSON_COLUMNS = {
    "requestParameters": "requestparameters",
    "responseElements": "responseelements",
    "additionalEventData": "additionaleventdata",
    "serviceEventDetails": "serviceeventdetails",
}
COLUMNS: dict[str, Column] = {
    **{field: Column(sql, Kind.STRING) for field, sql in _STRINGS.items()},
    **{path: Column(path.lower(), Kind.STRING) for path in _STRUCT_LEAVES},
    **{field: Column(sql, Kind.JSON) for field, sql in JSON_COLUMNS.items()},
    "readOnly": Column("readonly", Kind.BOOLEAN),
}
"""Record field paths (as CloudTrail spells them) that are columns or STRUCT leaves."""

STRUCTS = frozenset(
    {"userIdentity", "userIdentity.sessionContext", "tlsDetails"}
    | {"userIdentity.sessionContext.attributes", "userIdentity.sessionContext.sessionIssuer"}
)
"""Paths that are STRUCTs (objects): not values themselves."""
NOT_IN_TABLE = "not in the standard CloudTrail table (add it as a column, then translate by hand)"


def column(path: str) -> tuple[Column, tuple[str, ...]]:
    """The column holding a record field path, and the keys left to read inside its JSON.

    Raises KeyError with the reason when the path is not readable from the table.
    """
    if path in COLUMNS:
        return COLUMNS[path], ()
    head, _, rest = path.partition(".")
    if head in JSON_COLUMNS and rest:
        return COLUMNS[head], tuple(rest.split("."))
    if path in STRUCTS:
        raise KeyError("an object, not a value")
    if head == "resources":
        raise KeyError("resources is an array of STRUCTs; patterns on it are not translated")
    raise KeyError(NOT_IN_TABLE)


@dataclass(frozen=True)
class TableLayout:
    """Where the trail's files are and how the table is partitioned.

    With ``accounts`` and ``regions`` the table covers an organization trail (or several
    accounts and regions of one trail): ``location`` is the ``AWSLogs/<o-id>/`` (or
    ``AWSLogs/``) folder and the ``account`` and ``region`` partitions are projected as enums.
    Without them it is AWS's sample: one account and region, ``location`` being
    ``AWSLogs/<account-id>/CloudTrail/<region>``.
    """

    table: str = DEFAULT_TABLE
    location: str | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    since: str = "2020/01/01"

    def __post_init__(self) -> None:
        if not _TABLE_NAME.fullmatch(self.table):
            raise ConfigError(f"--table: {self.table!r} is not a table name ([db.]name)")
        if self.location is not None and not _LOCATION.fullmatch(self.location):
            raise ConfigError(f"--location: {self.location!r} is not an s3://bucket/prefix URL")
        if bool(self.accounts) != bool(self.regions):
            raise ConfigError("--account and --region go together (an org-trail layout)")
        for account in self.accounts:
            if not _ACCOUNT.fullmatch(account):
                raise ConfigError(f"--account: {account!r} is not a 12-digit account id")
        for region in self.regions:
            if not _REGION.fullmatch(region):
                raise ConfigError(f"--region: {region!r} is not a region name")

    @property
    def multi(self) -> bool:
        """Whether the table has projected account and region partitions."""
        return bool(self.accounts)


_COLUMNS_DDL = """\
    eventversion STRING,
    useridentity STRUCT<
        type: STRING, principalid: STRING, arn: STRING, accountid: STRING,
        invokedby: STRING, accesskeyid: STRING, username: STRING,
        sessioncontext: STRUCT<
            attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
            sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING,
                                  accountid: STRING, username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: MAP<STRING, STRING>>>,
    eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING,
    sourceipaddress STRING, useragent STRING, errorcode STRING, errormessage STRING,
    requestparameters STRING, responseelements STRING, additionaleventdata STRING,
    requestid STRING, eventid STRING, readonly STRING,
    resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
    eventtype STRING, apiversion STRING, recipientaccountid STRING,
    serviceeventdetails STRING, sharedeventid STRING, vpcendpointid STRING,
    tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>"""


def render_ddl(layout: TableLayout) -> str:
    """CREATE EXTERNAL TABLE with partition projection, as in AWS's sample (cited above)."""
    location = (layout.location or LOCATION_PLACEHOLDER).rstrip("/")
    lines = []
    if layout.location is None:
        lines.append(f"-- Replace {LOCATION_PLACEHOLDER} with your trail's folder (--location).")
    partitions = "`timestamp` STRING"
    properties = [
        ("projection.enabled", "true"),
        ("projection.timestamp.format", "yyyy/MM/dd"),
        ("projection.timestamp.interval", "1"),
        ("projection.timestamp.interval.unit", "DAYS"),
        ("projection.timestamp.range", f"{layout.since},NOW"),
        ("projection.timestamp.type", "date"),
    ]
    template = f"{location}/${{timestamp}}"
    if layout.multi:
        partitions = "account STRING, region STRING, `timestamp` STRING"
        properties += [
            ("projection.account.type", "enum"),
            ("projection.account.values", ",".join(layout.accounts)),
            ("projection.region.type", "enum"),
            ("projection.region.values", ",".join(layout.regions)),
        ]
        template = f"{location}/${{account}}/CloudTrail/${{region}}/${{timestamp}}"
    properties.append(("storage.location.template", template))
    lines += [
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {layout.table} (",
        _COLUMNS_DDL,
        ")",
        f"PARTITIONED BY ({partitions})",
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
        f"LOCATION {_sql.string(location + '/')}",
        "TBLPROPERTIES (",
        ",\n".join(f"  {_sql.string(key)} = {_sql.string(value)}" for key, value in properties),
        ");",
    ]
    return "\n".join(lines)


def partition_days(since: str | None, until: str | None) -> list[str]:
    """Predicates on the day partition for an eventTime window (CloudTrail time strings).

    As the S3 source does (``KeyFilter.keeps_day``), ``until`` is widened by one day: a file is
    delivered after its events, so a day's folder may hold the last events of the day before.
    """
    found = []
    if since:
        found.append(f"{PARTITION} >= {_sql.string(since[:10].replace('-', '/'))}")
    if until:
        latest = date.fromisoformat(until[:10]) + timedelta(days=1)
        found.append(f"{PARTITION} <= {_sql.string(latest.strftime('%Y/%m/%d'))}")
    return found


def comment(text: str) -> str:
    """Text safe inside a ``--`` comment: a line break would end it and start SQL."""
    return " ".join(text.split())


def select_from(layout_table: str, where: str, comments: Sequence[str] = ()) -> str:
    """``SELECT * FROM table WHERE ...;`` with leading comment lines."""
    head = [f"-- {comment(line)}" if line else "--" for line in comments]
    return "\n".join([*head, "SELECT *", f"FROM {layout_table}", f"WHERE {where};"])
