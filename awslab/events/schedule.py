"""EventBridge schedule expressions: ``rate()`` and six-field ``cron()``, as PutRule accepts them.

``parse_schedule(expression)`` validates an expression and returns a ``Schedule``; its
``next_fire(after)`` and ``fire_times(after, until)`` give the instants a scheduled rule fires on
the lab clock, always in UTC and on whole minutes. Rules come from the user guide page
"Creating a rule that runs on a schedule" (cron and rate expressions) and from AWS-recorded
PutRule answers (LocalStack ``tests/aws/services/events/test_events_schedule.py``):

* ``rate(value unit)``: a positive whole number and ``minute``/``hour``/``day``, singular for 1 and
  plural otherwise, lower case, one space, nothing else (``rate(1 minutes)``, ``rate(10 MINUTES)``,
  ``rate( 10 minutes )`` are all refused).
* ``cron(minutes hours day-of-month month day-of-week year)``: ``, - * /`` everywhere, ``?`` in one of
  the two day fields (the other must then be set, and only one may be ``?``), ``L`` and ``W`` in
  day-of-month, ``L`` and ``#`` in day-of-week (1 = Sunday, or SUN-SAT; ``#`` only as the sole item),
  months as 1-12 or JAN-DEC, years 1970-2199. A range may wrap (``20-2`` hours, ``FRI-MON``).

Every invalid expression gets ``ValidationException: Parameter ScheduleExpression is not valid.``
Where AWS does not say, this module chooses and says so: a rate's first firing is one period after
the minute the rule was created (``start``), a ``nW`` past the month's end never fires, and a
range's increment does not wrap.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from ..errors import AWSError

__all__ = ["INVALID_MESSAGE", "MAX_LENGTH", "Schedule", "Rate", "Cron", "parse_schedule", "invalid_schedule"]

INVALID_MESSAGE = "Parameter ScheduleExpression is not valid."
MAX_LENGTH = 256                     # PutRule ScheduleExpression shape
FIRST_YEAR, LAST_YEAR = 1970, 2199
_MINUTE = timedelta(minutes=1)
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_MONTHS = {name: number for number, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: number for number, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}


def invalid_schedule() -> AWSError:
    return AWSError("ValidationException", INVALID_MESSAGE)


class _Invalid(ValueError):
    pass


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        return instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc)


def _next_minute(after: datetime) -> datetime:
    """The first whole minute strictly after ``after``."""
    return _utc(after).replace(second=0, microsecond=0) + _MINUTE


class Schedule:
    """A validated schedule expression. ``start`` is when the rule was created (rates need it)."""

    expression: str

    def next_fire(self, after: datetime, *, start: datetime | None = None) -> datetime | None:
        """The first firing strictly after ``after``, or None if there is none (cron past 2199)."""
        for instant in self.fire_times(after, None, start=start):
            return instant
        return None

    def fire_times(self, after: datetime, until: datetime | None, *,
                   start: datetime | None = None) -> Iterator[datetime]:
        """Every firing in ``(after, until]`` in order (unbounded when ``until`` is None)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Rate(Schedule):
    """``rate(value unit)``: every ``period``, counted from the minute the rule was created."""

    expression: str
    value: int
    unit: str
    period: timedelta

    def fire_times(self, after: datetime, until: datetime | None, *,
                   start: datetime | None = None) -> Iterator[datetime]:
        if start is None:
            raise ValueError("a rate schedule fires relative to the rule's creation: pass start=")
        anchor = _utc(start).replace(second=0, microsecond=0)
        after = _utc(after)
        # Ambiguous in AWS's documentation: the first firing is taken to be one period after creation.
        steps = max(1, (after - anchor) // self.period + 1)
        instant = anchor + steps * self.period
        end = None if until is None else _utc(until)
        while end is None or instant <= end:
            yield instant
            instant += self.period


@dataclass(frozen=True)
class _DayRule:
    """One day field: ``any`` (``*``/``?``), a set of days, or one special form."""

    kind: str                 # "any", "set", "last", "last-weekday", "weekday" (nW), "last-dow" (nL), "nth" (n#k)
    days: frozenset[int] = frozenset()
    number: int = 0
    nth: int = 0


@dataclass(frozen=True)
class Cron(Schedule):
    """``cron(...)``: the sets of minutes, hours, months and years, and the day rule in force."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: _DayRule | None      # None when it is "?"
    day_of_week: _DayRule | None       # None when it is "?"

    def fires_on(self, day: date) -> bool:
        """Whether the schedule fires at some time on ``day`` (UTC)."""
        if day.month not in self.months or day.year not in self.years:
            return False
        if self.day_of_month is not None:
            return _day_of_month_matches(self.day_of_month, day)
        return _day_of_week_matches(self.day_of_week, day)

    def fire_times(self, after: datetime, until: datetime | None, *,
                   start: datetime | None = None) -> Iterator[datetime]:
        first = _next_minute(after)
        end = None if until is None else _utc(until)
        minutes = sorted(self.minutes)
        hours = sorted(self.hours)
        for year in sorted(y for y in self.years if y >= first.year):
            for month in sorted(m for m in self.months if (year, m) >= (first.year, first.month)):
                if end is not None and (year, month) > (end.year, end.month):
                    return
                first_day = first.day if (year, month) == (first.year, first.month) else 1
                for day in range(first_day, calendar.monthrange(year, month)[1] + 1):
                    today = date(year, month, day)
                    if not self.fires_on(today):
                        continue
                    for hour in hours:
                        for minute in minutes:
                            instant = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
                            if instant < first:
                                continue
                            if end is not None and instant > end:
                                return
                            yield instant


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1      # Monday is 0 in Python, Sunday is 1 in cron


def _nearest_weekday(year: int, month: int, number: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if number > last:
        return None
    weekday = date(year, month, number).weekday()
    if weekday == 5:                              # Saturday: the Friday before, unless that leaves the month
        return number - 1 if number > 1 else number + 2
    if weekday == 6:                              # Sunday: the Monday after, unless that leaves the month
        return number + 1 if number < last else number - 2
    return number


def _day_of_month_matches(rule: _DayRule, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if rule.kind == "any":
        return True
    if rule.kind == "set":
        return day.day in rule.days
    if rule.kind == "last":
        return day.day == last
    if rule.kind == "last-weekday":
        return day.day == _nearest_weekday(day.year, day.month, last)
    return day.day == _nearest_weekday(day.year, day.month, rule.number)      # "weekday"


def _day_of_week_matches(rule: _DayRule | None, day: date) -> bool:
    if rule is None or rule.kind == "any":
        return True
    weekday = _aws_weekday(day)
    if rule.kind == "set":
        return weekday in rule.days
    if weekday != rule.number:
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    if rule.kind == "last-dow":
        return day.day + 7 > last
    return (day.day - 1) // 7 + 1 == rule.nth                                   # "nth"


# ---------------------------------------------------------------------------------------------
# Parsing

_RATE = re.compile(r"rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^ ()]+(?: [^ ()]+){5})\)")


def parse_schedule(expression: str) -> Rate | Cron:
    """Validate ``expression`` as PutRule does; raises ``AWSError`` ``ValidationException`` if invalid."""
    if not isinstance(expression, str):
        raise TypeError(f"a schedule expression is a string, not {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise AWSError("ValidationException",
                       f"1 validation error detected: Value '{expression}' at 'scheduleExpression' failed to "
                       f"satisfy constraint: Member must have length less than or equal to {MAX_LENGTH}")
    try:
        if match := _RATE.fullmatch(expression):
            return _rate(expression, int(match.group(1)), match.group(2))
        if match := _CRON.fullmatch(expression):
            return _cron(expression, match.group(1).split(" "))
    except _Invalid:
        pass
    raise invalid_schedule()


def _rate(expression: str, value: int, unit: str) -> Rate:
    singular = unit.rstrip("s")
    if value < 1 or (value == 1) != (unit == singular):
        raise _Invalid(expression)
    try:
        period = value * _UNITS[singular]
    except OverflowError:
        raise _Invalid(expression) from None
    return Rate(expression, value, singular, period)


def _number(token: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    if names is not None and token.upper() in names:
        return names[token.upper()]
    if not token.isascii() or not token.isdigit():
        raise _Invalid(token)
    value = int(token)
    if not low <= value <= high:
        raise _Invalid(token)
    return value


def _span(low: int, high: int, start: int, end: int) -> list[int]:
    if start <= end:
        return list(range(start, end + 1))
    return list(range(start, high + 1)) + list(range(low, end + 1))     # a wrapping range, e.g. 20-2


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None, *,
           max_step: int, wraps: bool = True) -> frozenset[int]:
    """A ``, - * /`` field as the set of values it selects."""
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        if slash:
            step = _number(step_text, 1, max_step)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, low, high, names), _number(last, low, high, names)
            if end < start and not wraps:
                raise _Invalid(item)
        else:
            start = _number(base, low, high, names)
            end = high if slash else start
        span = _span(low, high, start, end)
        values.update(span[::step] if slash else span)
    return frozenset(values)


def _day_of_month(text: str) -> _DayRule | None:
    if text == "?":
        return None
    if text == "*":
        return _DayRule("any")
    if text == "L":
        return _DayRule("last")
    if text == "LW":
        return _DayRule("last-weekday")
    if text.endswith("W"):
        return _DayRule("weekday", number=_number(text[:-1], 1, 31))
    return _DayRule("set", _field(text, 1, 31, max_step=31))


def _day_of_week(text: str) -> _DayRule | None:
    if text == "?":
        return None
    if text == "*":
        return _DayRule("any")
    if text == "L":
        return _DayRule("set", frozenset([7]))       # "L" alone is the last day of the week: Saturday
    if "#" in text:
        day, _, nth = text.partition("#")
        return _DayRule("nth", number=_number(day, 1, 7, _DAYS), nth=_number(nth, 1, 5))
    if text.endswith("L") and "," not in text and "-" not in text and "/" not in text:
        return _DayRule("last-dow", number=_number(text[:-1], 1, 7, _DAYS))
    return _DayRule("set", _field(text, 1, 7, _DAYS, max_step=7))


def _cron(expression: str, fields: list[str]) -> Cron:
    minutes, hours, dom, month, dow, year = fields
    day_of_month = _day_of_month(dom)
    day_of_week = _day_of_week(dow)
    if (day_of_month is None) == (day_of_week is None):
        raise _Invalid(expression)                  # exactly one of the day fields must be "?"
    return Cron(
        expression,
        minutes=_field(minutes, 0, 59, max_step=59),
        hours=_field(hours, 0, 23, max_step=23),
        months=_field(month, 1, 12, _MONTHS, max_step=12),
        years=_field(year, FIRST_YEAR, LAST_YEAR, max_step=LAST_YEAR - FIRST_YEAR, wraps=False),
        day_of_month=day_of_month,
        day_of_week=day_of_week,
    )
