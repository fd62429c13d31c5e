"""Exercises and small helpers for the CloudWatch metrics notebooks (10–13).

Every checker asks awslab's own engine (a GetMetricStatistics/GetMetricData call, the period
rules, the metric math evaluator) for the right answer, so a notebook never hard-codes one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Sequence

from botocore.exceptions import ClientError

from ..cloudwatch.math import MathContext, Series, evaluate_expression
from ..cloudwatch.reading import period_fits_age, round_start
from ..errors import AWSError
from ..exercises import Exercise, Wrong

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
"""A Monday: where the guide's example series start."""


def minutes(values: Sequence[float | None], name: str, *, start: datetime = T0, period: int = 60) -> list[dict[str, Any]]:
    """PutMetricData datums for a series written as the guide writes them: one value per period,
    ``None`` for a missing one ("-" in its tables)."""
    return [{"MetricName": name, "Value": float(v), "Timestamp": start + timedelta(seconds=period * i)}
            for i, v in enumerate(values) if v is not None]


def metric_query(query_id: str, namespace: str, name: str, *, stat: str = "Average", period: int = 60,
                 dimensions: Mapping[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A MetricStat query for GetMetricData."""
    metric = {"Namespace": namespace, "MetricName": name,
              "Dimensions": [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]}
    return {"Id": query_id, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}, **extra}


def _series(values: Sequence[float | None], label: str) -> Series:
    points = [(T0 + timedelta(minutes=i), v) for i, v in enumerate(values) if v is not None]
    return Series(label, [t for t, _ in points], [v for _, v in points], period=60)


def _as_list(series: Any, count: int) -> list[float | None]:
    if isinstance(series, list):
        if len(series) != 1:
            raise Wrong("the expression returns several time series; it should return one")
        series = series[0]
    found = dict(zip(series.datetimes(), series.values.tolist()))
    return [found.get(T0 + timedelta(minutes=i)) for i in range(count)]


# ---------------------------------------------------------------------------- 10

def namespaces_exercises(cw: Any, instances: Mapping[str, str], start: datetime, end: datetime
                         ) -> tuple[Exercise, Exercise, Exercise]:
    """Notebook 10: metrics of a namespace, and basic vs detailed monitoring, Xen vs Nitro."""
    def metric_count(answer: Any) -> None:
        expected = len(cw.list_metrics(Namespace="Shop")["Metrics"])
        if answer != expected:
            raise Wrong(f"{answer!r}: ListMetrics(Namespace='Shop') lists {expected} metrics — "
                        "each distinct dimension set (and metric name) is one")

    def sample_count(name: str) -> float:
        points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", StartTime=start,
                                          EndTime=end, Period=300, Statistics=["SampleCount"],
                                          Dimensions=[{"Name": "InstanceId", "Value": instances[name]}])["Datapoints"]
        return max((p["SampleCount"] for p in points), default=0.0)

    def nitro(answer: Any) -> None:
        expected = sample_count("nitro-basic")
        if answer != expected:
            raise Wrong(f"{answer!r}: ask GetMetricStatistics for SampleCount at Period=300")

    def detailed(answer: Any) -> None:
        per_minute = []
        for name, instance_id in instances.items():
            points = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", StartTime=start,
                                              EndTime=start + timedelta(minutes=20), Period=60,
                                              Statistics=["SampleCount"],
                                              Dimensions=[{"Name": "InstanceId", "Value": instance_id}])["Datapoints"]
            if len(points) > 10:
                per_minute.append(name)
        if [answer] != per_minute:
            raise Wrong(f"{answer!r}: which instance has a datapoint every minute at Period=60?")

    return (
        Exercise("How many metrics does ListMetrics show in the namespace Shop?", metric_count,
                 hints=["cw.list_metrics(Namespace='Shop')['Metrics']"], answer="len(cw.list_metrics(Namespace='Shop')['Metrics'])"),
        Exercise("What SampleCount has a five-minute CPUUtilization datapoint of the Nitro instance with basic "
                 "monitoring?", nitro, hints=["Nitro publishes each one-minute sample into the current five-minute "
                                              "datapoint."], answer="5.0"),
        Exercise("Which instance (its name) has detailed monitoring?", detailed,
                 hints=["Detailed monitoring publishes one datapoint a minute."], answer='"nitro-detailed"'),
    )


# ---------------------------------------------------------------------------- 11

def expiration_exercises(model: Any) -> tuple[Exercise, Exercise, Exercise]:
    """Notebook 11: rows per period at an age, the period/age rule, StartTime rounding."""
    def rows_at_15_days(answer: Any) -> None:
        expected = model.snapshots["15 days"].rows
        if answer != expected:
            raise Wrong(f"{answer!r}: read model.snapshots['15 days'].rows, or count the table by period")

    def periods_at_30_days(answer: Any) -> None:
        now = datetime(2026, 6, 1, tzinfo=timezone.utc)
        expected = {p for p in (1, 10, 60, 120, 300, 600, 3600) if period_fits_age(p, now - timedelta(days=30), now)}
        if set(answer) != expected:
            raise Wrong(f"{sorted(answer)!r}: a StartTime 15–63 days ago needs a multiple of 300 seconds")

    def rounding(answer: Any) -> None:
        start = datetime(2026, 3, 1, 12, 32, 34, tzinfo=timezone.utc)
        expected = round_start(start, start + timedelta(days=20)).strftime("%H:%M:%S")
        if answer != expected:
            raise Wrong(f"{answer!r}: between 15 and 63 days old, StartTime goes down to a five-minute boundary")

    return (
        Exercise("At the age '15 days', how many rows of each period does the metric have? "
                 "(a dict {period: rows})", rows_at_15_days, hints=["Look at the slider at 15 days."],
                 answer="model.snapshots['15 days'].rows"),
        Exercise("For a StartTime 30 days ago, which of the periods 1, 10, 60, 120, 300, 600, 3600 return data?",
                 periods_at_30_days, hints=["15 to 63 days ago: multiples of 300 seconds."], answer="{300, 600, 3600}"),
        Exercise("A StartTime of 12:32:34, 20 days ago: to what time (HH:MM:SS) does CloudWatch round it?",
                 rounding, hints=["API:GetMetricData StartTime lists the three cases."], answer='"12:30:00"'),
    )


# ---------------------------------------------------------------------------- 12

def statistics_exercises(lab: Any) -> tuple[Exercise, Exercise, Exercise]:
    """Notebook 12: a percentile by hand, a statistic set that keeps percentiles, a trimmed mean.

    Each check publishes into ``lab`` under a metric of its own (namespace ``Quiz``)."""
    cw = lab.client("cloudwatch")
    checks = iter(range(1, 1_000_000))

    def scratch(data: list[dict[str, Any]]) -> dict[str, Any]:
        """Publish ``data`` now under a new metric and read p50, p90 and TM(10%:90%) of the minute back."""
        name, now = f"check-{next(checks)}", lab.now
        try:
            cw.put_metric_data(Namespace="Quiz", MetricData=[dict(d, MetricName=name, Timestamp=now) for d in data])
        except ClientError as failure:  # the learner's datum may be one AWS refuses
            raise Wrong(f"PutMetricData refused it: {failure.response['Error']['Message']}") from None
        points = cw.get_metric_statistics(Namespace="Quiz", MetricName=name, StartTime=now,
                                          EndTime=now + timedelta(minutes=1), Period=60,
                                          ExtendedStatistics=["p50", "p90", "TM(10%:90%)"])["Datapoints"]
        return points[0]["ExtendedStatistics"] if points else {}

    def p90(answer: Any) -> None:
        expected = scratch([{"Values": [float(v) for v in range(1, 11)]}])["p90"]
        if answer != expected:
            raise Wrong(f"{answer!r}: p90 is the value 90 % of the data is at or below (nearest rank ⌈0.9·N⌉)")

    def statistic_set(answer: Any) -> None:
        if not isinstance(answer, dict) or set(answer) != {"SampleCount", "Sum", "Minimum", "Maximum"}:
            raise Wrong("give a StatisticValues dict: SampleCount, Sum, Minimum, Maximum")
        if answer["SampleCount"] < 2:
            raise Wrong("make SampleCount at least 2 (one value is too easy)")
        if "p50" not in scratch([{"StatisticValues": answer}]):
            raise Wrong("CloudWatch cannot compute percentiles for that set: it is not raw data")

    def trimmed(answer: Any) -> None:
        expected = scratch([{"Values": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 1000]}])["TM(10%:90%)"]
        if answer != expected:
            raise Wrong(f"{answer!r}: drop the lowest and the highest 10 % of the points, average the rest")

    return (
        Exercise("What is p90 of the values 1, 2, …, 10 published in one minute?", p90,
                 hints=["Nine of the ten values are at or below it."], answer="9.0"),
        Exercise("Give a StatisticValues dict with SampleCount ≥ 2 for which CloudWatch still computes p50.",
                 statistic_set, hints=["Min = Max and Sum = Min × SampleCount: it is raw data after all."],
                 answer='{"SampleCount": 4, "Sum": 20, "Minimum": 5, "Maximum": 5}'),
        Exercise("What is TM(10%:90%) of 1, 2, …, 9, 1000?", trimmed,
                 hints=["Ten points: the lowest and the highest are dropped."], answer="5.5"),
    )


# ---------------------------------------------------------------------------- 13

GUIDE_IF = {"m1": [1, 1, 0, 0, None], "m2": [30, None, 0, 0, 30], "m3": [0, 0, 20, None, 20]}
"""The three series of UG:using-metric-math, "Using IF expressions"."""


def math_exercises() -> tuple[Exercise, Exercise, Exercise]:
    """Notebook 13: an error rate, an IF over missing values, FILL."""
    def context(data: Mapping[str, Sequence[float | None]]) -> MathContext:
        return MathContext(start=T0, end=T0 + timedelta(minutes=5), period=60,
                           metric_data={k: _series(v, k) for k, v in data.items()})

    def run(expression: Any, data: Mapping[str, Sequence[float | None]]) -> list[float | None]:
        if not isinstance(expression, str):
            raise Wrong("give the expression as a string")
        try:
            return _as_list(evaluate_expression(expression, context(data)), 5)
        except AWSError as failure:
            raise Wrong(f"{failure.code}: {failure.message}") from None

    def error_rate(answer: Any) -> None:
        data = {"errors": [1, 0, 3, None, 5], "requests": [10, 20, 30, 40, 50]}
        expected = [10.0, 0.0, 10.0, 0.0, 10.0]
        if run(answer, data) != expected:
            raise Wrong(f"{run(answer, data)} is not the error rate in percent {expected}")

    def if_without_false(answer: Any) -> None:
        expected = run("IF(m1, m2)", GUIDE_IF)
        if list(answer) != expected:
            raise Wrong("true with no trueValue gives 0; false with no falseValue drops the point; "
                        "a missing condition drops it")

    def fill(answer: Any) -> None:
        data = {"m1": [5, None, 7, None, 9]}
        if run(answer, data) != [5.0, 0.0, 7.0, 0.0, 9.0]:
            raise Wrong("the missing minutes should become 0 and the others keep their values")

    return (
        Exercise("With metric queries errors and requests, write an expression for the error rate in percent.",
                 error_rate, hints=["Arithmetic works point by point between two series."],
                 answer='"100 * errors / requests"'),
        Exercise("With the guide's m1 = [1, 1, 0, 0, -] and m2 = [30, -, 0, 0, 30], what does IF(m1, m2) return? "
                 "(a list, None for a missing value)", if_without_false,
                 hints=["No falseValue: where m1 is 0 the point is dropped."], answer="[30.0, 0.0, None, None, None]"),
        Exercise("Write an expression that turns every missing minute of m1 into 0.", fill,
                 hints=["FILL(series, value)"], answer='"FILL(m1, 0)"'),
    )
