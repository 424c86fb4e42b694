"""Times on the command line: ISO 8601, relative ('2h', '7d'), and the AWS CLI's forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trailguard.errors import ConfigError

_RELATIVE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Forms the AWS CLI documents for --start-time / --end-time, besides ISO 8601.
_OTHER_FORMATS = (
    "%m-%d-%Y, %I:%M %p",
    "%m-%d-%Y %I:%M %p",
    "%m-%d-%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def zone(name: str | None) -> tzinfo:
    """An IANA time zone by name (``Asia/Seoul``), UTC when None."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Paris)"
        ) from None


def parse_time(text: str, *, now: datetime, tz: tzinfo = UTC) -> datetime:
    """An aware UTC datetime from ``2024-03-01``, ``2024-03-01T12:00:00+09:00``, ``2h``, ``7d`` ...

    Relative times count back from ``now``; times without a zone are in ``tz``.
    """
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return (now - timedelta(**{_UNITS[unit]: amount})).astimezone(UTC)
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        for form in _OTHER_FORMATS:
            try:
                parsed = datetime.strptime(text.strip(), form)  # noqa: DTZ007 - zone applied below
                break
            except ValueError:
                continue
    if parsed is None:
        raise ConfigError(
            f"cannot read the time {text!r}; use ISO 8601 (2024-03-01T12:00:00Z), "
            "a relative time (30m, 2h, 7d) or MM-DD-YYYY, HH:MM AM"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def cloudtrail_time(moment: datetime) -> str:
    """A datetime as CloudTrail writes ``eventTime`` (``2024-03-01T12:00:00Z``), for comparisons."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
