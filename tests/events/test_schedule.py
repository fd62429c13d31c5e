"""Schedule expressions: the user guide's "Creating a rule that runs on a schedule" and AWS-recorded PutRule answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import islice

import pytest

from awslab.errors import AWSError
from awslab.events.schedule import Cron, Rate, parse_schedule

UTC = timezone.utc
START = datetime(2026, 1, 1, tzinfo=UTC)          # a Thursday


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def first(expression: str, count: int, after: datetime = START, **kwargs) -> list[datetime]:
    return list(islice(parse_schedule(expression).fire_times(after, None, **kwargs), count))


# AWS-validated invalid expressions (LocalStack test_events_schedule.py, markers.aws.validated).
INVALID = [
    "rate(10 seconds)", "rate(10 years)", "rate(1 minutes)", "rate(1 hours)", "rate(1 days)",
    "rate(10 minute)", "rate(10 hour)", "rate(10 day)", "rate()", "rate(10)", "rate(10 minutess)",
    "rate(foo minutes)", "rate(0 minutes)", "rate(-10 minutes)", "rate(10 MINUTES)", "rate( 10 minutes )",
    " rate(10 minutes)", "cron(0 1 * * * *)", "cron(7 20 * * NOT *)", "cron(INVALID)",
    "cron(0 dummy ? * MON-FRI *)", "cron(71 8 1 * ? *)", "cron()", "at(2021-12-31T23:59:59Z)",
]


@pytest.mark.parametrize("expression", INVALID)
def test_aws_rejects(expression):
    """Every invalid expression gets ValidationException "Parameter ScheduleExpression is not valid."."""
    with pytest.raises(AWSError) as caught:
        parse_schedule(expression)
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        "ValidationException", "Parameter ScheduleExpression is not valid.", 400)


@pytest.mark.parametrize("expression", [
    "cron(0 10 * * ? *)", "cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0 8 1 * ? *)",
    "cron(0/15 * * * ? *)", "cron(0/10 * ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)",
    "cron(0/30 20-23 ? * MON-FRI *)", "cron(0/30 0-2 ? * MON-FRI *)", "cron(0/30 20-2 ? * MON-FRI *)",
    "cron(0 12 * * ? *)", "cron(5,35 14 * * ? *)", "cron(15 10 ? * 6L 2019-2022)",
    "cron(15 10 ? * 6L 2002-2005)", "cron(* * ? * SAT#3 *)", "rate(1 minute)", "rate(5 minutes)",
    "rate(1 hour)", "rate(1 day)",
])
def test_aws_accepts(expression):
    """The user guide's examples and the AWS-validated PutRule cron list."""
    assert parse_schedule(expression).expression == expression


def test_rate_units_and_first_firing():
    """Rate expressions start when the rule is created: here one period after the creation minute."""
    rate = parse_schedule("rate(5 minutes)")
    assert isinstance(rate, Rate) and rate.period == timedelta(minutes=5)
    created = at(2026, 1, 1, 9, 0, 42)
    assert first("rate(5 minutes)", 3, created, start=created) == [at(2026, 1, 1, 9, 5), at(2026, 1, 1, 9, 10),
                                                                   at(2026, 1, 1, 9, 15)]
    assert rate.next_fire(at(2026, 1, 1, 9, 5), start=created) == at(2026, 1, 1, 9, 10)
    assert parse_schedule("rate(1 day)").next_fire(START, start=START) == at(2026, 1, 2)
    with pytest.raises(ValueError):
        rate.next_fire(START)


def test_daily_and_weekday_examples():
    """Guide examples: 10:00 every day; 18:00 Monday to Friday; 08:00 on the 1st of the month."""
    assert first("cron(0 10 * * ? *)", 2) == [at(2026, 1, 1, 10), at(2026, 1, 2, 10)]
    assert first("cron(0 18 ? * MON-FRI *)", 3) == [at(2026, 1, 1, 18), at(2026, 1, 2, 18), at(2026, 1, 5, 18)]
    assert first("cron(0 8 1 * ? *)", 2) == [at(2026, 1, 1, 8), at(2026, 2, 1, 8)]
    assert first("cron(5,35 14 * * ? *)", 3) == [at(2026, 1, 1, 14, 5), at(2026, 1, 1, 14, 35), at(2026, 1, 2, 14, 5)]


def test_increments_and_ranges():
    """Guide: 0/15 every 15 minutes; 0/5 8-17 on weekdays until 17:55; 1/10 is 1, 11, 21..."""
    assert first("cron(0/15 * * * ? *)", 3) == [at(2026, 1, 1, 0, 15), at(2026, 1, 1, 0, 30), at(2026, 1, 1, 0, 45)]
    fires = list(parse_schedule("cron(0/5 8-17 ? * MON-FRI *)").fire_times(START, at(2026, 1, 1, 23, 59)))
    assert (fires[0], fires[-1], len(fires)) == (at(2026, 1, 1, 8), at(2026, 1, 1, 17, 55), 120)
    cron = parse_schedule("cron(1/10 * * * ? *)")
    assert isinstance(cron, Cron) and sorted(cron.minutes) == [1, 11, 21, 31, 41, 51]


def test_wrapping_hour_range():
    """Guide: 0/30 20-2 on MON-FRI runs Friday evening and Monday 00:00-02:00, not Saturday morning."""
    fires = list(parse_schedule("cron(0/30 20-2 ? * MON-FRI *)").fire_times(at(2026, 1, 2, 19), at(2026, 1, 5, 3)))
    assert fires[:8] == [at(2026, 1, 2, 20), at(2026, 1, 2, 20, 30), at(2026, 1, 2, 21), at(2026, 1, 2, 21, 30),
                         at(2026, 1, 2, 22), at(2026, 1, 2, 22, 30), at(2026, 1, 2, 23), at(2026, 1, 2, 23, 30)]
    assert fires[8:] == [at(2026, 1, 5, 0), at(2026, 1, 5, 0, 30), at(2026, 1, 5, 1), at(2026, 1, 5, 1, 30),
                         at(2026, 1, 5, 2), at(2026, 1, 5, 2, 30)]


def test_day_of_week_numbering_l_and_hash():
    """Day-of-week 1 = Sunday; 6L is the last Friday; 3#2 the second Tuesday; L alone is Saturday."""
    assert first("cron(0 9 ? * 1 *)", 1) == [at(2026, 1, 4, 9)]
    assert first("cron(15 10 ? * 6L 2026)", 2) == [at(2026, 1, 30, 10, 15), at(2026, 2, 27, 10, 15)]
    assert first("cron(0 9 ? * 3#2 *)", 2) == [at(2026, 1, 13, 9), at(2026, 2, 10, 9)]
    assert first("cron(0 9 ? * L *)", 1) == [at(2026, 1, 3, 9)]
    assert first("cron(* * ? * SAT#3 *)", 2) == [at(2026, 1, 17, 0, 0), at(2026, 1, 17, 0, 1)]
    assert parse_schedule("cron(15 10 ? * 6L 2002-2005)").next_fire(START) is None


def test_day_of_month_l_and_w():
    """L is the month's last day; 3W the weekday nearest the 3rd (Saturday 3 Jan 2026 -> Friday 2nd)."""
    assert first("cron(0 0 L * ? *)", 3) == [at(2026, 1, 31), at(2026, 2, 28), at(2026, 3, 31)]
    assert first("cron(0 0 L 2 ? 2028)", 1) == [at(2028, 2, 29)]
    assert first("cron(0 9 3W * ? *)", 3) == [at(2026, 1, 2, 9), at(2026, 2, 3, 9), at(2026, 3, 3, 9)]
    assert first("cron(0 9 1W * ? *)", 2, at(2026, 2, 1)) == [at(2026, 2, 2, 9), at(2026, 3, 2, 9)]   # 1st is a Sunday
    assert first("cron(0 9 LW * ? *)", 1) == [at(2026, 1, 30, 9)]


def test_names_years_and_impossible_dates():
    assert first("cron(0 0 1 JAN,JUL ? 2026-2027)", 5, at(2025, 12, 31)) == [
        at(2026, 1, 1), at(2026, 7, 1), at(2027, 1, 1), at(2027, 7, 1)]
    assert parse_schedule("cron(0 0 31 2 ? *)").next_fire(START) is None
    for bad in ("cron(0 0 1 * ? 1969)", "cron(0 0 1 * ? 2200)", "cron(0 0 ? * ? *)", "cron(0 0 32 * ? *)",
                "cron(0 0 ? * 8 *)", "cron(0 0 ? * 3#1,6#3 *)", "cron(0 0 1 13 ? *)", "cron(0 24 * * ? *)",
                "cron(0/0 * * * ? *)", "cron(0 0 * * ? * *)"):
        with pytest.raises(AWSError):
            parse_schedule(bad)


def test_fire_times_window_is_half_open_and_whole_minutes():
    """Fire times fall in (after, until], on whole minutes, in UTC."""
    cron = parse_schedule("cron(0 * * * ? *)")
    assert list(cron.fire_times(at(2026, 1, 1, 1), at(2026, 1, 1, 3))) == [at(2026, 1, 1, 2), at(2026, 1, 1, 3)]
    assert cron.next_fire(at(2026, 1, 1, 1, 59, 59)) == at(2026, 1, 1, 2)
    fifteen_months = list(parse_schedule("cron(0 12 * * ? *)").fire_times(START, at(2027, 4, 1)))
    assert len(fifteen_months) == 455


def test_length_limit():
    with pytest.raises(AWSError) as caught:
        parse_schedule("rate(" + "1" * 300 + " minutes)")
    assert caught.value.code == "ValidationException"
