"""Exercises for the CloudWatch Logs notebook (30), checked by the lab's own filter-pattern engine and tables.

LG:FilterAndPatternSyntax (patterns), LG:MonitoringLogData (metric filters are not retroactive) and
LAPI:PutRetentionPolicy (retention values).
"""

from __future__ import annotations

from typing import Any

from ..errors import AWSError
from ..exercises import Exercise, Wrong
from ..logs.groups import RETENTION_DAYS
from ..logs.patterns import compile_filter_pattern

ACCESS_LOG = [
    '198.51.100.7 - - [01/Jan/2026:00:00:10 +0000] "GET /index.html HTTP/1.1" 200 5120',
    '198.51.100.8 - - [01/Jan/2026:00:00:20 +0000] "GET /api/orders HTTP/1.1" 500 531',
    '198.51.100.9 - - [01/Jan/2026:00:00:30 +0000] "GET /missing HTTP/1.1" 404 209',
    '198.51.100.7 - - [01/Jan/2026:00:00:40 +0000] "POST /api/orders HTTP/1.1" 503 120',
    '198.51.100.5 - - [01/Jan/2026:00:00:50 +0000] "GET /500-errors.html HTTP/1.1" 200 999',
]
"""Apache common-log lines: two 5xx answers, and a 200 whose path contains "500" (a trap for term patterns)."""


def _five_xx(pattern_text: Any) -> None:
    if not isinstance(pattern_text, str):
        raise Wrong("give the pattern as a string")
    try:
        pattern = compile_filter_pattern(pattern_text, "metric")
    except AWSError as problem:
        raise Wrong(f"CloudWatch Logs refuses it: {problem.message} ({getattr(problem, 'reason', '')})") from None
    got = [line for line in ACCESS_LOG if pattern.matches(line)]
    want = [line for line in ACCESS_LOG if line.split('" ')[1].startswith("5")]
    if got != want:
        raise Wrong(f"it matches {len(got)} line(s), {sum(line in want for line in got)} of them 5xx; "
                    f"the 5xx lines are {len(want)}")


def _retention(answer: Any) -> None:
    if answer not in RETENTION_DAYS:
        raise Wrong(f"{answer!r} is not a value PutRetentionPolicy accepts: {RETENTION_DAYS}")
    if answer < 730:
        raise Wrong(f"{answer} days is less than two years")
    if answer != min(d for d in RETENTION_DAYS if d >= 730):
        raise Wrong(f"{answer} keeps them, but a shorter accepted value does too")


def logs_exercises(lab: Any, group: str, namespace: str = "WebServer",
                   metric: str = "404Count") -> tuple[Exercise, Exercise, Exercise]:
    """Notebook 30: a pattern for 5xx lines, what a new metric filter missed, the retention for two years."""
    q1 = Exercise(
        "Write a filter pattern that matches exactly the 5xx responses of `ACCESS_LOG`.",
        checker=_five_xx,
        hints=["A term pattern such as 500 also matches a path that contains 500.",
               "Name the fields of a space-delimited pattern: [ip, identity, user, timestamp, request, status, bytes]",
               "A value may end with *: status = 5*"],
        answer="[ip, identity, user, timestamp, request, status_code = 5*, bytes]")

    pattern = compile_filter_pattern("[ip, identity, user, timestamp, request, status_code = 404, bytes]")

    def missed(answer: Any) -> None:
        in_group = lab.sql(f"SELECT count(*) FROM logs_events WHERE log_group = ? AND {pattern.to_sql('message')}",
                           params=[group]).fetchall()[0][0]
        counted = lab.sql("SELECT coalesce(sum(value), 0) FROM cloudwatch_datapoints WHERE namespace = ? AND "
                          "metric_name = ?", params=[namespace, metric]).fetchall()[0][0]
        if answer != in_group - counted:
            raise Wrong(f"{answer!r}: the group holds {in_group} 404 responses; how many of them did the metric count?")

    q2 = Exercise(f"How many of the 404 responses stored in `{group}` did the `{metric}` metric NOT count?",
                  checker=missed,
                  hints=["Only events ingested after PutMetricFilter are counted.",
                         "Count the group's 404s with FilterLogEvents, and the metric's with the Sum statistic."],
                  answer="the 404s ingested before the metric filter was created: all 404s minus the metric's Sum")
    q3 = Exercise("Which retentionInDays keeps log events for at least two years, and no longer than needed?",
                  checker=_retention, hints=["PutRetentionPolicy accepts only its listed values."],
                  answer="731")
    return q1, q2, q3
