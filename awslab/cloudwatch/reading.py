"""Reading metrics: GetMetricStatistics' rules and the per-period statistics behind GetMetricData.

* Period: 1, 5, 10, 20, 30 or a multiple of 60 seconds (API:MetricStat ``Period``).
* StartTime is rounded down: to the whole minute when under 15 days old, to 5 minutes when
  15–63 days old, to the hour when older; a period of 5, 10, 20 or 30 seconds rounds it to that
  division of the minute instead (API:GetMetricData ``StartTime``, the 12:32:34 example).
* Old data needs a coarse period: a StartTime 3 hours–15 days ago needs a multiple of 60,
  15–63 days a multiple of 300, older a multiple of 3600, "or no data points in that time
  range is returned" (API:GetMetricStatistics ``Period``).
* Each datapoint is stamped with the start of its period (UG:cloudwatch_concepts).
* GetMetricStatistics returns at most 1,440 datapoints per call.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import pandas

from ..errors import AWSError
from .metrics import UNITS, canonical_dimensions
from .statistics import BASIC, ExtendedStatistic, parse_extended_statistic, statistics_sql

MAX_DATAPOINTS = 1440
SHORT_PERIODS = (1, 5, 10, 20, 30)
MAX_STATISTICS, MAX_EXTENDED_STATISTICS = 5, 10
EXPIRY = timedelta(days=455)


@dataclass(frozen=True)
class MetricKey:
    """A metric's identity within a region: namespace, name and canonical dimension set."""

    namespace: str
    metric_name: str
    dimensions: str  # canonical JSON

    @classmethod
    def of(cls, metric: dict[str, Any]) -> "MetricKey":
        return cls(metric["Namespace"], metric["MetricName"], canonical_dimensions(metric.get("Dimensions")))

    @property
    def dimension_map(self) -> dict[str, str]:
        return {d["Name"]: d["Value"] for d in json.loads(self.dimensions)}


def check_period(period: int, parameter: str = "Period") -> None:
    if period <= 0 or (period not in SHORT_PERIODS and period % 60):
        raise AWSError("InvalidParameterValue",
                       f"The parameter {parameter} must be 1, 5, 10, 20, 30, or a multiple of 60.")


def check_unit(unit: str | None, parameter: str = "Unit") -> None:
    if unit is not None and unit not in UNITS:
        raise AWSError("InvalidParameterValue", f"The value {unit} for parameter {parameter} is invalid.")


def round_start(start: datetime, now: datetime, period: int = 60) -> datetime:
    """StartTime as CloudWatch rounds it (API:GetMetricData ``StartTime``).

    >>> start = datetime(2026, 1, 1, 12, 32, 34, tzinfo=timezone.utc)
    >>> [round_start(start, start + timedelta(days=d)).strftime("%H:%M:%S") for d in (1, 20, 70)]
    ['12:32:00', '12:30:00', '12:00:00']
    >>> round_start(start, start + timedelta(minutes=5), period=10).strftime("%H:%M:%S")
    '12:32:30'
    """
    age = now - start
    if age < timedelta(days=15):
        step = period if period in SHORT_PERIODS else 60
    elif age < timedelta(days=63):
        step = 300
    else:
        step = 3600
    seconds = int(start.timestamp() // 1)
    return datetime.fromtimestamp(seconds - seconds % step, tz=timezone.utc)


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


_SOURCE = """(
    SELECT to_timestamp(epoch($start) + floor((epoch(d.timestamp) - epoch($start)) / $period) * $period) AS bucket,
           {unit_key} AS unit, {series_key} AS series,
           d.value, d.count, d.sample_count, d.sum, d.minimum, d.maximum, d.histogram
    FROM cloudwatch_datapoints d {join}
    WHERE d.region = $region AND d.account_id = $account {metric_filter}
      AND d.timestamp >= $start AND d.timestamp < $end AND d.timestamp >= $expired
      AND ($unit IS NULL OR d.unit = $unit))"""


def _rows(db, region: str, account_id: str, start: datetime, end: datetime, period: int, unit: str | None,
          extended: list[ExtendedStatistic], now: datetime, *, key: MetricKey | None = None,
          keys: list[MetricKey] | None = None, split_units: bool = True) -> list[tuple]:
    """Per-period statistics rows: series, bucket, unit, sample_count, sum, average, minimum, maximum, x0…"""
    params: dict[str, Any] = {"start": start, "end": end, "period": period, "region": region, "account": account_id,
                              "unit": unit, "expired": now - EXPIRY}
    if key is not None:
        join, metric_filter, series_key = "", ("AND d.namespace = $namespace AND d.metric_name = $metric_name "
                                               "AND d.dimensions = $dimensions"), "0"
        params.update(namespace=key.namespace, metric_name=key.metric_name, dimensions=key.dimensions)
    else:
        wanted = pandas.DataFrame([(i, k.namespace, k.metric_name, k.dimensions) for i, k in enumerate(keys or [])],
                                  columns=["series", "namespace", "metric_name", "dimensions"])
        db.register("cloudwatch_wanted_metrics", wanted)
        join = "JOIN cloudwatch_wanted_metrics w USING (namespace, metric_name, dimensions)"
        metric_filter, series_key = "", "w.series"
    source = _SOURCE.format(unit_key="d.unit" if split_units else "''", series_key=series_key, join=join,
                            metric_filter=metric_filter)
    try:
        return db.execute(statistics_sql(source, extended, ("series", "bucket", "unit")), params).fetchall()
    finally:
        if key is None:
            db.unregister("cloudwatch_wanted_metrics")


def parse_statistics(statistics: list[str], extended_texts: list[str]) -> list[ExtendedStatistic]:
    """GetMetricStatistics' rules for ``Statistics`` and ``ExtendedStatistics``."""
    if statistics and extended_texts:
        raise AWSError("InvalidParameterCombination",
                       "The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.")
    if not statistics and not extended_texts:
        raise AWSError("InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics")
    for index, name in enumerate(statistics, start=1):
        if name not in BASIC:
            raise AWSError("InvalidParameterValue",
                           f"The parameter Statistics.member.{index} must be a value in the set "
                           "[ Minimum, Maximum, Average, SampleCount, Sum ].")
    if len(statistics) > MAX_STATISTICS:
        raise AWSError("InvalidParameterValue",
                       f"The collection Statistics must not have a size greater than {MAX_STATISTICS}.")
    if len(extended_texts) > MAX_EXTENDED_STATISTICS:
        raise AWSError("InvalidParameterValue",
                       f"The collection ExtendedStatistics must not have a size greater than {MAX_EXTENDED_STATISTICS}.")
    return [parse_extended_statistic(text) for text in extended_texts]


def check_range(start: datetime, end: datetime) -> None:
    if start == end:
        raise AWSError("InvalidParameterValue", "The parameter StartTime must not equal parameter EndTime.")
    if start > end:
        raise AWSError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")


def get_metric_statistics(db, region: str, account_id: str, params: dict[str, Any], now: datetime) -> dict[str, Any]:
    """GetMetricStatistics with its validation, rounding, age rule and datapoint limit."""
    statistics = list(dict.fromkeys(params.get("Statistics") or []))
    extended = parse_statistics(statistics, params.get("ExtendedStatistics") or [])
    period = params["Period"]
    check_period(period)
    check_unit(params.get("Unit"))
    start, end = params["StartTime"], params["EndTime"]
    check_range(start, end)
    requested = int(-(-(end - start).total_seconds() // period))
    if requested > MAX_DATAPOINTS:
        raise AWSError("InvalidParameterCombination",
                       f"You have requested up to {requested} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. "
                       "You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
    response: dict[str, Any] = {"Label": params["MetricName"], "Datapoints": []}
    if not period_fits_age(period, start, now):
        return response
    rows = _rows(db, region, account_id, round_start(start, now, period), end, period, params.get("Unit"),
                 extended, now, key=MetricKey.of(params))
    for _series, bucket, unit, count, total, average, low, high, *values in rows:
        point: dict[str, Any] = {"Timestamp": bucket, "Unit": unit}
        for name in statistics:
            point[name] = float({"SampleCount": count, "Sum": total, "Average": average,
                                 "Minimum": low, "Maximum": high}[name])
        if extended:
            point["ExtendedStatistics"] = {stat.text: float(value) for stat, value in zip(extended, values)
                                           if value is not None}
        response["Datapoints"].append(point)
    return response


def _parse_stat(stat: str, parameter: str) -> list[ExtendedStatistic]:
    return [] if stat in BASIC else [parse_extended_statistic(stat, parameter)]


def _pick(stat: str, extended: list[ExtendedStatistic], row: tuple) -> float | None:
    _series, _bucket, _unit, count, total, average, low, high, *ext = row
    value = ext[0] if extended else {"SampleCount": count, "Sum": total, "Average": average,
                                     "Minimum": low, "Maximum": high}[stat]
    return None if value is None else float(value)


def statistic_series(db, region: str, account_id: str, metric: dict[str, Any], stat: str, period: int,
                     start: datetime, end: datetime, unit: str | None, now: datetime,
                     parameter: str = "MetricStat") -> tuple[list[datetime], list[float]]:
    """One statistic per period, oldest first: what a GetMetricData MetricStat query returns.

    ``start`` is the request's StartTime before rounding. A period with no data (or where the
    statistic is unavailable) has no timestamp. Without ``unit`` every unit's data is
    aggregated together (GetMetricData returns one series per query).
    """
    check_period(period, f"{parameter}.Period")
    extended = _parse_stat(stat, f"{parameter}.Stat")
    if not period_fits_age(period, start, now):
        return [], []
    rows = _rows(db, region, account_id, round_start(start, now, period), end, period, unit, extended, now,
                 key=MetricKey.of(metric), split_units=False)
    times, values = [], []
    for row in rows:
        value = _pick(stat, extended, row)
        if value is not None:
            times.append(row[1])
            values.append(value)
    return times, values


def statistic_series_many(db, region: str, account_id: str, keys: list[MetricKey], stat: str, period: int,
                          start: datetime, end: datetime, now: datetime,
                          unit: str | None = None) -> list[tuple[list[datetime], list[float]]]:
    """:func:`statistic_series` for many metrics in one SQL statement (SEARCH's results), in ``keys`` order."""
    extended = _parse_stat(stat, "Stat")
    found: list[tuple[list[datetime], list[float]]] = [([], []) for _ in keys]
    if not keys or not period_fits_age(period, start, now):
        return found
    for row in _rows(db, region, account_id, round_start(start, now, period), end, period, unit, extended, now,
                     keys=keys, split_units=False):
        value = _pick(stat, extended, row)
        if value is not None:
            found[row[0]][0].append(row[1])
            found[row[0]][1].append(value)
    return found


def metrics_in(db, region: str, account_id: str, namespace: str | None, since: datetime) -> Iterable[MetricKey]:
    """Every metric of a region (optionally one namespace) that received data since ``since``."""
    rows = db.execute("""
        SELECT DISTINCT namespace, metric_name, dimensions FROM cloudwatch_datapoints
        WHERE region = $region AND account_id = $account AND ($namespace IS NULL OR namespace = $namespace)
          AND received_at >= $since
        ORDER BY ALL""", {"region": region, "account": account_id, "namespace": namespace, "since": since}).fetchall()
    return [MetricKey(*row) for row in rows]
