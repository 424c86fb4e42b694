"""A DuckDB stand-in for the Athena CloudTrail table, to run the translated predicates.

``AthenaTable`` loads records the way the table's SerDe reads them (scalar fields as text, a
boolean as 'true'/'false', requestParameters & co. as their JSON text, userIdentity and
tlsDetails as STRUCTs, resources as an ARRAY of STRUCTs; names matched case-insensitively, as Hive
does) and answers which records a WHERE body selects. The predicates are rendered with the DUCKDB
dialect: the same tree as the Athena SQL, with DuckDB's spelling of the JSON functions.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]

_STRINGS = [
    "eventversion", "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress",
    "useragent", "errorcode", "errormessage", "requestparameters", "responseelements",
    "additionaleventdata", "requestid", "eventid", "readonly", "eventtype", "apiversion",
    "recipientaccountid", "serviceeventdetails", "sharedeventid", "vpcendpointid",
]  # fmt: skip
_IDENTITY = ["type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username"]
_ISSUER = ["type", "principalid", "arn", "accountid", "username"]
_TLS = ["tlsversion", "ciphersuite", "clientprovidedhostheader"]


def _struct(names: Sequence[str]) -> str:
    return "STRUCT(" + ", ".join(f'"{name}" VARCHAR' for name in names) + ")"


_IDENTITY_TYPE = (
    "STRUCT("
    + ", ".join(f'"{name}" VARCHAR' for name in _IDENTITY)
    + ', "sessioncontext" STRUCT("attributes" '
    + _struct(["mfaauthenticated", "creationdate"])
    + ', "sessionissuer" '
    + _struct(_ISSUER)
    + ', "ec2roledelivery" VARCHAR))'
)
_DDL = (
    "CREATE TABLE cloudtrail_logs ("
    + ", ".join(f"{name} VARCHAR" for name in _STRINGS)
    + f", useridentity {_IDENTITY_TYPE}"
    + f", tlsdetails {_struct(_TLS)}"
    + f", resources {_struct(['arn', 'accountid', 'type'])}[]"
    + ', "timestamp" VARCHAR, row_number INTEGER)'
)


def _lower(record: Mapping[str, Any]) -> dict[str, Any]:
    # Hive column names are case-insensitive; the first spelling wins.
    lowered: dict[str, Any] = {}
    for key, value in record.items():
        lowered.setdefault(key.lower(), value)
    return lowered


def serde_string(value: object) -> str | None:
    """A field as a STRING column reads it."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def serde_struct(value: object, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """An object as a STRUCT column reads it (missing fields are NULL)."""
    if not isinstance(value, Mapping):
        return None
    lowered = _lower(value)
    row: dict[str, Any] = {}
    for name, inner in fields.items():
        row[name] = (
            serde_struct(lowered.get(name), inner)
            if isinstance(inner, dict)
            else serde_string(lowered.get(name))
        )
    return row


_IDENTITY_FIELDS: dict[str, Any] = {
    **dict.fromkeys(_IDENTITY),
    "sessioncontext": {
        "attributes": dict.fromkeys(["mfaauthenticated", "creationdate"]),
        "sessionissuer": dict.fromkeys(_ISSUER),
        "ec2roledelivery": None,
    },
}


def serde_row(record: Mapping[str, Any], number: int) -> list[Any]:
    """One record as the table's row."""
    lowered = _lower(record)
    resources = lowered.get("resources")
    return [
        *(serde_string(lowered.get(name)) for name in _STRINGS),
        serde_struct(lowered.get("useridentity"), _IDENTITY_FIELDS),
        serde_struct(lowered.get("tlsdetails"), dict.fromkeys(_TLS)),
        [serde_struct(item, dict.fromkeys(["arn", "accountid", "type"])) for item in resources]
        if isinstance(resources, list)
        else None,
        str(record.get("eventTime", ""))[:10].replace("-", "/"),
        number,
    ]


class AthenaTable:
    """Records in a DuckDB table shaped like the Athena one."""

    def __init__(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.records = list(records)
        self.connection = duckdb.connect()
        self.connection.execute(_DDL)
        placeholders = ", ".join("?" for _ in range(len(_STRINGS) + 5))
        self.connection.executemany(
            f"INSERT INTO cloudtrail_logs VALUES ({placeholders})",
            [serde_row(record, number) for number, record in enumerate(self.records)],
        )

    def selected(self, where: str) -> set[int]:
        """The numbers of the records the WHERE body selects."""
        rows = self.connection.execute(
            f"SELECT row_number FROM cloudtrail_logs WHERE {where}"
        ).fetchall()
        return {row[0] for row in rows}

    def statement(self, sql: str) -> set[int]:
        """The numbers of the records a whole SELECT * statement selects."""
        body = sql.rstrip().rstrip(";").replace("SELECT *", "SELECT row_number", 1)
        return {row[0] for row in self.connection.execute(body).fetchall()}


def _trail_records() -> Iterator[dict[str, Any]]:
    for path in sorted((ROOT / "examples" / "sample-trail").rglob("*.json*")):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        yield from json.loads(data)["Records"]


@pytest.fixture(scope="session")
def real_records() -> list[dict[str, Any]]:
    """Real CloudTrail records: the sample trail, the AWS docs examples and the pack's examples."""
    from trailguard.rules import load_rules, pack_directory  # noqa: PLC0415

    records = list(_trail_records())
    docs = ROOT / "tests" / "fixtures" / "cloudtrail" / "aws_docs_examples.jsonl"
    records += [json.loads(line) for line in docs.read_text().splitlines() if line.strip()]
    rules, _ = load_rules([pack_directory()])
    for rule in rules:
        records += [dict(record) for record in rule.examples.match]
        records += [dict(record) for record in rule.examples.no_match]
    return records


@pytest.fixture(scope="session")
def real_table(real_records: list[dict[str, Any]]) -> AthenaTable:
    """The real records in the DuckDB stand-in table."""
    return AthenaTable(real_records)


@pytest.fixture(scope="session")
def athena_table() -> type[AthenaTable]:
    """Build a stand-in table: ``athena_table(records)``."""
    return AthenaTable
