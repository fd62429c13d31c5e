"""The lab's clock: the only source of time in the lab; it never reads the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .errors import ClockError


def parse_instant(value: str | datetime) -> datetime:
    """A timezone-aware UTC datetime from an ISO-8601 string or a datetime.

    Naive datetimes are taken as UTC, as boto3 does for request parameters.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        raise TypeError(f"expected an ISO-8601 string or datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def as_duration(delta: timedelta | None = None, *, seconds: float = 0, minutes: float = 0,
                hours: float = 0, days: float = 0) -> timedelta:
    """One duration from a timedelta and/or keyword amounts."""
    total = timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
    if delta is not None:
        if not isinstance(delta, timedelta):
            raise TypeError("advance() takes a timedelta or seconds=, minutes=, hours=, days=")
        total += delta
    return total


class Clock:
    """A settable, forward-only UTC clock; ``on_change`` persists each new reading."""

    def __init__(self, start: datetime, on_change=None):
        self._now = parse_instant(start)
        self._on_change = on_change

    @property
    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        instant = parse_instant(instant)
        if instant < self._now:
            raise ClockError(
                f"the lab clock only moves forward: it is {self._now.isoformat()}, "
                f"cannot go back to {instant.isoformat()}"
            )
        self._now = instant
        if self._on_change is not None:
            self._on_change(instant)
