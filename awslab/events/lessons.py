"""Helpers and self-checking exercises for the EventBridge notebook (50-eventbridge).

The checkers call EventBridge's own engines (patterns.py, schedule.py) or read the lab's tables, so
the notebook never hard-codes an answer the engine could disagree with.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import AWSError
from ..exercises import Exercise, Wrong
from .patterns import compile_pattern
from .schedule import parse_schedule


def read_queue(lab: Any, queue_url: str) -> list[Any]:
    """Every message on a lab queue, oldest first, its body parsed when it is JSON; the messages are deleted."""
    sqs = lab.client("sqs")
    bodies: list[Any] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            try:
                bodies.append(json.loads(message["Body"]))
            except ValueError:
                bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


COMPARISON = [
    ("what triggers it", "an event: something happened (an API call, a state change, a schedule tick)",
     "a metric: a statistic over periods crosses a threshold"),
    ("state", "none: every matching event is delivered", "OK / ALARM / INSUFFICIENT_DATA; acts on a change"),
    ("when it reacts", "at once, per event", "at the next evaluation, after M of N periods breach"),
    ("missing data", "nothing happens", "TreatMissingData decides (missing, breaching, notBreaching, ignore)"),
    ("what it can call", "20+ target types, five per rule, input transformers, retries and a DLQ",
     "SNS, Auto Scaling, EC2 actions, Lambda, Systems Manager"),
    ("typical use", "react to a change: remediate, notify, route, fan out",
     "watch a trend: latency, error rate, CPU, a budget"),
    ("how they meet", "a rule can match \"CloudWatch Alarm State Change\"",
     "an alarm can watch AWS/Events metrics (FailedInvocations)"),
]


def comparison_table() -> Any:
    """EventBridge rules and CloudWatch alarms, side by side (a DataFrame)."""
    import pandas as pd

    return pd.DataFrame(COMPARISON, columns=["", "EventBridge rule", "CloudWatch alarm"]).set_index("")


def _pattern_text(answer: Any) -> str:
    if isinstance(answer, str):
        return answer
    return json.dumps(answer)


def eventbridge_exercises(open_world: dict[str, Any], one_host: dict[str, Any],
                          delivered_attempts: int) -> tuple[Exercise, Exercise, Exercise]:
    """Three questions: a pattern for SSH opened to the world, a weekday schedule, the retry count.

    ``open_world`` and ``one_host`` are two "AWS API Call via CloudTrail" events the notebook produced
    (an ingress rule for 0.0.0.0/0 and one for a single address); ``delivered_attempts`` is how many
    times the flaky target was called, read from ``events_delivered``.
    """

    def pattern(answer: Any) -> None:
        try:
            compiled = compile_pattern(_pattern_text(answer))
        except AWSError as error:
            raise Wrong(f"EventBridge refuses that pattern: {error.message}") from None
        except (TypeError, ValueError):
            raise Wrong("give the pattern as JSON text or a dict") from None
        if not compiled.matches(open_world):
            raise Wrong("it does not match the rule opened to 0.0.0.0/0: " + str(compiled.explain(open_world)))
        if compiled.matches(one_host):
            raise Wrong("it also matches the rule opened to a single address: be more specific")

    def schedule(answer: Any) -> None:
        try:
            parsed = parse_schedule(str(answer))
        except AWSError as error:
            raise Wrong(f"PutRule refuses it: {error.message}") from None
        monday = datetime(2026, 3, 2, tzinfo=timezone.utc)
        fires = [t.strftime("%a %H:%M") for t in parsed.fire_times(monday - timedelta(minutes=1),
                                                                 monday + timedelta(days=7) - timedelta(minutes=1),
                                                                 start=monday)]
        wanted = [f"{day} 08:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")]
        if fires != wanted:
            raise Wrong(f"in the week of 2 March 2026 it fires at {fires[:8]}{' ...' if len(fires) > 8 else ''}")

    q1 = Exercise("Write an event pattern that matches the AuthorizeSecurityGroupIngress call opening a port to "
                  "0.0.0.0/0, but not the one opening it to 203.0.113.7/32.", checker=pattern,
                  hints=["Start from the rule in this notebook; keep eventName and narrow on the CIDR.",
                         "The CIDR may sit at requestParameters.cidrIp or inside ipPermissions.ipRanges: $or both."],
                  answer='{"detail": {"eventName": ["AuthorizeSecurityGroupIngress"], "$or": ['
                         '{"requestParameters": {"cidrIp": ["0.0.0.0/0"]}}, {"requestParameters": {"ipPermissions": '
                         '{"ipRanges": {"cidrIp": ["0.0.0.0/0"]}}}}]}}')
    q2 = Exercise("Give a schedule expression that fires at 08:00 UTC on weekdays only.", checker=schedule,
                  hints=["cron has six fields: minutes hours day-of-month month day-of-week year.",
                         "One of day-of-month and day-of-week must be '?'; days of the week are 1-7 (SUN-SAT)."],
                  answer="cron(0 8 ? * MON-FRI *)")
    q3 = Exercise("The flaky target had MaximumRetryAttempts 2. How many times was it called in all?",
                  expected=delivered_attempts,
                  hints=["One first attempt plus the retries; count the rows of events_delivered for it."],
                  answer=f"{delivered_attempts}: the first attempt and two retries, then the dead-letter queue")
    return q1, q2, q3
