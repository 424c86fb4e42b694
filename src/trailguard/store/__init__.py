"""Where alerts are kept between runs (SQLite by default)."""

from __future__ import annotations

from trailguard.store.sqlite import AlertStore, StoredAlert, default_database_path

__all__ = ["AlertStore", "StoredAlert", "default_database_path"]
