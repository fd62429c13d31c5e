"""Reading metrics: GetMetricStatistics' rules and the per-period statistics behind GetMetricData.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import AWSError
from .metrics import canonical_dimensions
from .statistics import BASIC, ExtendedStatistic, parse_extended_statistic, statistics_sql

MAX_DATAPOINTS = 1440
SHORT_PERIODS = (1, 5, 10, 20, 30)


@dataclass(frozen=True)
class MetricKey:
    namespace: str
    metric_name: str
    dimensions: str  # canonical JSON

    @classmethod
    def of(cls, metric: dict[str, Any]) -> "MetricKey":
        return cls(metric["Namespace"], metric["MetricName"], canonical_dimensions(metric.get("Dimensions")))


def check_period(period: int, parameter: str = "Period") -> None:
    if period <= 0 or (period not in SHORT_PERIODS and period % 60):
        raise AWSError("InvalidParameterValue",
                       f"The parameter {parameter} must be 1, 5, 10, 20, 30, or a multiple of 60.")


def round_start(start: datetime, now: datetime) -> datetime:
    """StartTime rounding: under 15 days old to the minute, 15–63 days to five minutes, older to the hour."""
    age = now - start
    step = 60 if age < timedelta(days=15) else 300 if age < timedelta(days=63) else 3600
    epoch = int(start.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step, tz=start.tzinfo)


def period_fits_age(period: int, start: datetime, now: datetime) -> bool:
    """Old data is only kept at coarse periods; a finer request returns no datapoints (not an error)."""
    age = now - start
    if age > timedelta(days=63):
        return period % 3600 == 0
    if age > timedelta(days=15):
        return period % 300 == 0
    if age > timedelta(hours=3):
        return period % 60 == 0
    return True


def period_rows(db, region: str, account_id: str, key: MetricKey, start: datetime, end: datetime,
                period: int, unit: str | None, extended: list[ExtendedStatistic]) -> list[tuple]:
    """Per-period statistics rows: bucket, unit, sample_count, sum, average, minimum, maximum, x0…"""
    source = f"""(
        SELECT to_timestamp(epoch($start) + floor((epoch(timestamp) - epoch($start)) / $period) * $period) AS bucket,
               unit, value, count, sample_count, sum, minimum, maximum
        FROM cloudwatch_datapoints
        WHERE region = $region AND account_id = $account AND namespace = $namespace
          AND metric_name = $metric_name AND dimensions = $dimensions
          AND timestamp >= $start AND timestamp < $end AND ($unit IS NULL OR unit = $unit))"""
    return db.execute(statistics_sql(source, extended), {
        "start": start, "end": end, "period": period, "region": region, "account": account_id,
        "namespace": key.namespace, "metric_name": key.metric_name, "dimensions": key.dimensions,
        "unit": unit}).fetchall()


def get_metric_statistics(db, region: str, account_id: str, params: dict[str, Any], now: datetime) -> dict[str, Any]:
    """GetMetricStatistics with its validation, rounding, age rule and datapoint limit."""
    statistics = params.get("Statistics") or []
    extended_texts = params.get("ExtendedStatistics") or []
    if statistics and extended_texts:
        raise AWSError("InvalidParameterCombination",
                       "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.")
    if not statistics and not extended_texts:
        raise AWSError("MissingParameter", "Must specify either Statistics or ExtendedStatistics.")
    for index, name in enumerate(statistics, start=1):
        if name not in BASIC:
            raise AWSError("InvalidParameterValue",
                           f"The parameter Statistics.member.{index} must be a value in the set "
                           "[ Minimum, Maximum, Average, SampleCount, Sum ].")
    if len(statistics) > 5 or len(extended_texts) > 10:
        raise AWSError("InvalidParameterValue", "You can specify at most 5 Statistics and 10 ExtendedStatistics.")
    extended = [parse_extended_statistic(text) for text in extended_texts]
    period = params["Period"]
    check_period(period)
    start, end = params["StartTime"], params["EndTime"]
    if start == end:
        raise AWSError("InvalidParameterValue", "The parameter StartTime must not equal parameter EndTime.")
    if start > end:
        raise AWSError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
    requested = int(-(-(end - start).total_seconds() // period))
    if requested > MAX_DATAPOINTS:
        raise AWSError("InvalidParameterCombination",
                       f"You have requested up to {requested} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. "
                       "You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
    key = MetricKey.of(params)
    response: dict[str, Any] = {"Label": params["MetricName"], "Datapoints": []}
    if not period_fits_age(period, start, now):
        return response
    rows = period_rows(db, region, account_id, key, round_start(start, now), end, period, params.get("Unit"), extended)
    for bucket, unit, count, total, average, low, high, *values in rows:
        point: dict[str, Any] = {"Timestamp": bucket, "Unit": unit}
        for name in statistics:
            point[name] = float({"SampleCount": count, "Sum": total, "Average": average,
                                 "Minimum": low, "Maximum": high}[name])
        if extended:
            point["ExtendedStatistics"] = {stat.text: float(value) for stat, value in zip(extended, values)
                                           if value is not None}
        response["Datapoints"].append(point)
    return response


def statistic_series(db, region: str, account_id: str, metric: dict[str, Any], stat: str, period: int,
                     start: datetime, end: datetime, unit: str | None, now: datetime) -> tuple[list[datetime], list[float]]:
    """One statistic per period, oldest first: what a GetMetricData MetricStat query returns.

    A period with no data has no timestamp (CloudWatch returns no value for it).
    """
    check_period(period, "MetricStat.Period")
    extended = [] if stat in BASIC else [parse_extended_statistic(stat)]
    if not period_fits_age(period, start, now):
        return [], []
    rows = period_rows(db, region, account_id, MetricKey.of(metric), round_start(start, now), end, period, unit,
                       extended)
    times, values = [], []
    for bucket, _unit, count, total, average, low, high, *ext in rows:
        value = ext[0] if extended else {"SampleCount": count, "Sum": total, "Average": average,
                                         "Minimum": low, "Maximum": high}[stat]
        if value is not None:
            times.append(bucket)
            values.append(float(value))
    return times, values
