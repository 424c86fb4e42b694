"""The SQLite alert store: each (rule, eventID) is kept once, however often it is scanned."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from trailguard.alerts import Alert
from trailguard.rules.model import Severity
from trailguard.store._database import SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    rule_id     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event_time  TEXT NOT NULL,
    severity    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    principal   TEXT NOT NULL,
    event_name  TEXT NOT NULL,
    account     TEXT NOT NULL,
    region      TEXT NOT NULL,
    source_ip   TEXT NOT NULL,
    error_code  TEXT,
    count       INTEGER NOT NULL,
    alert       TEXT NOT NULL,
    stored_at   TEXT NOT NULL,
    PRIMARY KEY (rule_id, event_id)
);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (event_time);
"""


def default_database_path() -> Path:
    """``$TRAILGUARD_DB``, else ``$XDG_STATE_HOME/trailguard/trailguard.db`` (~/.local/state)."""
    explicit = os.environ.get("TRAILGUARD_DB")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "trailguard" / "trailguard.db"


@dataclass(frozen=True)
class StoredAlert:
    """An alert as read back from the store."""

    rule_id: str
    event_id: str
    event_time: str
    severity: Severity
    title: str
    principal: str
    event_name: str
    account: str
    region: str
    source_ip: str
    error_code: str | None
    count: int
    stored_at: str
    alert: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """The same columns as ``Alert.summary``."""
        return {key: value for key, value in self.alert.items() if key != "record"} | {
            "severity": str(self.severity)
        }


class AlertStore(SqliteDatabase):
    """Alert history in one SQLite file; safe to share between overlapping scans."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA, what="alert store", autocommit=False)

    def add(self, alerts: Iterable[Alert], *, now: datetime | None = None) -> int:
        """Store alerts not seen before; returns how many were new."""
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        rows = [
            (
                a.rule_id,
                a.event_id,
                a.event_time,
                int(a.severity),
                a.title,
                a.principal,
                a.event_name,
                a.account,
                a.region,
                a.source_ip,
                a.error_code,
                a.count,
                orjson.dumps(a.to_dict()).decode(),
                stamp,
            )
            for a in alerts
        ]
        with self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO alerts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )
            return self._db.total_changes - before

    def list(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        rules: Iterable[str] = (),
        min_severity: Severity | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredAlert]:
        """Stored alerts by eventTime, filtered; times compare as CloudTrail's ISO strings."""
        where: list[str] = []
        params: list[Any] = []
        if since:
            where.append("event_time >= ?")
            params.append(since)
        if until:
            where.append("event_time <= ?")
            params.append(until)
        wanted = list(rules)
        if wanted:
            where.append(f"rule_id IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        if min_severity is not None:
            where.append("severity >= ?")
            params.append(int(min_severity))
        sql = "SELECT * FROM alerts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY event_time, rule_id, event_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for row in self._db.execute(sql, params):
            yield StoredAlert(
                rule_id=row[0],
                event_id=row[1],
                event_time=row[2],
                severity=Severity(row[3]),
                title=row[4],
                principal=row[5],
                event_name=row[6],
                account=row[7],
                region=row[8],
                source_ip=row[9],
                error_code=row[10],
                count=row[11],
                alert=orjson.loads(row[12]),
                stored_at=row[13],
            )
