"""Opening and closing the SQLite file that the alert and delivery stores share."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Self

from trailguard.errors import ConfigError, Location


class SqliteDatabase:
    """One SQLite file with its schema created; closes on ``with`` exit."""

    def __init__(self, path: str | Path, schema: str, *, what: str, autocommit: bool) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if autocommit:
                # Transactions are begun explicitly (BEGIN IMMEDIATE) by the store itself.
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                # WAL: a commit appends to the log without an fsync (NORMAL), so recording each
                # attempt stays cheap; a power loss (not a process crash) may lose the last commits.
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            else:
                self._db = sqlite3.connect(self.path)
            self._db.executescript(schema)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"cannot open the {what}: {error}", location=Location(str(path))
            ) from None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
