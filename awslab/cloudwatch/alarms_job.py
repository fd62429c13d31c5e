"""Alarm evaluation on the lab clock.

Every minute (UG:alarm-evaluation) the lab evaluates every metric alarm whose period is a
minute or more; alarms whose Period x EvaluationPeriods exceeds a day only on the hour; 10, 20
and 30-second alarms every 10 seconds (a second job, active only while such alarms exist).

One evaluation of all due single-metric alarms is **one SQL pass per statistic**: the due
alarms are joined with ``cloudwatch_datapoints`` on their metric, keeping only datapoints inside
each alarm's own evaluation range (N + 2 periods ending now, see alarm_evaluation) that had
*arrived* by now (``received_at``, so late data counts from the evaluation after it arrives);
statistics_sql aggregates them per alarm and period. The timestamp range of all ranges is also
given to the scan as a constant, so DuckDB's zone maps skip the row groups outside every
range. The per-period values form a matrix that :mod:`alarms_screen` screens in numpy; only the
alarms whose state would change go through :func:`evaluate_alarm`, which writes the reason.
Metric-math and anomaly-band alarms are evaluated one by one with the math engine.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..errors import AWSError
from . import alarms_store as store
from . import reading
from .alarm_evaluation import AlarmConfig, Datapoint, evaluate_alarm, evaluation_windows
from .alarms_anomaly import metric_properties
from .alarms_screen import OPERATOR_CODES, STATE_CODES, TREAT_CODES, screen
from .math import MathContext, evaluate_queries
from .math_series import Series
from .statistics import parse_extended_statistic, statistics_sql

MINUTE, SHORT = "minute", "short"
BASIC_ORDER = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")  # statistics_sql's column order

_CADENCE = {
    MINUTE: "period >= 60 AND (period * evaluation_periods <= 86400 OR $top_of_hour)",
    SHORT: "period < 60",
}


def _case(column: str, codes: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{name}' THEN {code}" for name, code in codes.items())
    return f"CASE {column} {whens} ELSE -1 END"


_ALARMS_SQL = f"""
SELECT alarm_id,
       {_case('state_value', STATE_CODES)} AS state,
       {_case('comparison_operator', OPERATOR_CODES)} AS operator,
       threshold, evaluation_periods AS n, coalesce(datapoints_to_alarm, evaluation_periods) AS m,
       {_case("CASE WHEN namespace = 'AWS/DynamoDB' THEN 'ignore' ELSE coalesce(treat_missing_data, 'missing') END",
              TREAT_CODES)} AS treat,
       {_case('statistic', {name: i for i, name in enumerate(BASIC_ORDER)})} AS stat,
       coalesce(extended_statistic, '') AS extended,
       extended_statistic LIKE 'p%' AND evaluate_low_sample_count_percentile = 'ignore' AS engine_only,
       (evaluation_periods + 2) * period AS span
FROM cloudwatch_alarms
WHERE alarm_type = 'MetricAlarm' AND metrics IS NULL AND {{cadence}}
ORDER BY alarm_id
"""

_POINTS_SQL = """
SELECT a.alarm_id, a.extended,
       CAST(floor((epoch(d.timestamp) - epoch(a.range_start)) / a.period) AS BIGINT) AS bucket,
       d.value, d.count, d.sample_count, d.sum, d.minimum, d.maximum, d.histogram
FROM (
    SELECT alarm_id, region, account_id, namespace, metric_name, dimensions, unit, period,
           coalesce(extended_statistic, '') AS extended,
           $end - to_seconds(CAST((evaluation_periods + 2) * period AS BIGINT)) AS range_start
    FROM cloudwatch_alarms
    WHERE alarm_type = 'MetricAlarm' AND metrics IS NULL AND {cadence}
) a
JOIN cloudwatch_datapoints d
  ON d.region = a.region AND d.account_id = a.account_id AND d.namespace = a.namespace
 AND d.metric_name = a.metric_name AND d.dimensions = a.dimensions
WHERE d.timestamp >= $earliest AND d.timestamp < $end   -- every range lies inside: zone maps prune
  AND d.timestamp >= a.range_start                       -- this alarm's own evaluation range
  AND d.received_at <= $end                              -- only data that has arrived
  AND (a.unit IS NULL OR d.unit = a.unit)
"""
POINTS_TABLE = "cloudwatch_alarm_points"
"""A temporary table: the datapoints of one evaluation, read once, aggregated per statistic."""


def points_sql(cadence: str) -> str:
    """The SELECT reading every due single-metric alarm's evaluation range: the only read of
    ``cloudwatch_datapoints`` in an evaluation."""
    return _POINTS_SQL.format(cadence=_CADENCE[cadence])


def statistics_of(extended: str | None) -> str:
    """Per alarm and period, the statistics of the points read by :func:`points_sql`, for the
    alarms of one extended statistic (or, with None, the basic statistics of every alarm)."""
    if extended is None:
        return statistics_sql(f"(SELECT * FROM {POINTS_TABLE} WHERE extended = '')", [], ("alarm_id", "bucket"))
    return statistics_sql(f"(SELECT * FROM {POINTS_TABLE} WHERE extended = $extended)",
                          [parse_extended_statistic(extended, "ExtendedStatistic")], ("alarm_id", "bucket"))


class AlarmJobMixin:
    """The evaluation jobs, mixed into the CloudWatch service (needs ``self.lab``)."""

    _alarm_counts: dict[str, int] | None = None

    # ------------------------------------------------------------------ activity
    def _alarms_changed(self) -> None:
        self._alarm_counts = None

    def _counts(self) -> dict[str, int]:
        """What the jobs have to do, counted once per change of the alarms (is_active is asked often)."""
        if self._alarm_counts is None:
            found = self.lab.db.execute(
                "SELECT count(*) FILTER (WHERE alarm_type = 'MetricAlarm' AND period >= 60), "
                "count(*) FILTER (WHERE alarm_type = 'MetricAlarm' AND period < 60), "
                "count(*) FILTER (WHERE alarm_type = 'MetricAlarm' AND metrics IS NOT NULL), "
                "count(*) FILTER (WHERE actions_pending_until IS NOT NULL), "
                "count(*) FILTER (WHERE len(list_filter(ok_actions || alarm_actions || insufficient_data_actions, "
                "lambda a: a LIKE 'arn:%:autoscaling:%')) > 0), "
                "count(*) FILTER (WHERE alarm_type = 'CompositeAlarm') FROM cloudwatch_alarms").fetchone()
            minute, short, math, pending, scaling, composite = found
            self._alarm_counts = {MINUTE: minute + pending, SHORT: short, "math": math, "pending": pending,
                                  "scaling": scaling, "composite": composite}
        return self._alarm_counts

    # ------------------------------------------------------------------ jobs
    def _evaluate_every_minute(self, instant: datetime) -> None:
        self._evaluate(instant, MINUTE)
        if self._counts()["pending"]:
            self._release_suppressions(instant)
        if self._counts()["scaling"] and self.lab.service_for("autoscaling") is not None:
            self._repeat_autoscaling(instant)
        if instant.minute == 0:
            self.lab.db.execute("DELETE FROM cloudwatch_alarm_history WHERE timestamp < ?",
                                [instant - store.HISTORY_RETENTION])

    def _evaluate_every_10_seconds(self, instant: datetime) -> None:
        self._evaluate(instant, SHORT)

    def _evaluate(self, instant: datetime, cadence: str) -> None:
        """Evaluate every alarm of a cadence due at ``instant`` (see the module docstring)."""
        self._evaluate_single_metric(instant, cadence)
        if not self._counts()["math"]:
            return
        where = f"alarm_type = 'MetricAlarm' AND metrics IS NOT NULL AND {_CADENCE[cadence]}"
        for row in store.rows(self.lab.db, where, self._cadence_params(instant, cadence)):
            self._evaluate_math_alarm(row, instant)

    @staticmethod
    def _cadence_params(instant: datetime, cadence: str) -> dict[str, Any]:
        return {"top_of_hour": instant.minute == 0 and instant.second == 0} if cadence == MINUTE else {}

    def _evaluate_single_metric(self, instant: datetime, cadence: str) -> None:
        db = self.lab.db
        top = self._cadence_params(instant, cadence)
        alarms = db.execute(_ALARMS_SQL.format(cadence=_CADENCE[cadence]), top).fetchnumpy()
        ids = alarms["alarm_id"]
        if len(ids) == 0:
            return
        n = alarms["n"].astype(np.int64)
        width = int(n.max()) + 2
        values = np.full((len(ids), width), np.nan)
        samples = np.full((len(ids), width), np.nan)
        params = {"end": instant, "earliest": instant - timedelta(seconds=int(alarms["span"].max())), **top}
        db.execute(f"CREATE OR REPLACE TEMP TABLE {POINTS_TABLE} AS {points_sql(cadence)}", params)
        try:
            groups: list[str | None] = [None] if (alarms["stat"] >= 0).any() else []
            groups += sorted(set(alarms["extended"][alarms["extended"] != ""].tolist()))
            for extended in groups:
                found = db.execute(statistics_of(extended), {"extended": extended} if extended else {}).fetchnumpy()
                if len(found["alarm_id"]) == 0:
                    continue
                row_index = np.searchsorted(ids, found["alarm_id"])
                if extended is None:
                    stacked = np.column_stack([np.asarray(found[c], dtype=float) for c in
                                               ("sample_count", "sum", "average", "minimum", "maximum")])
                    chosen = stacked[np.arange(len(row_index)), alarms["stat"][row_index]]
                else:
                    chosen = np.asarray(found["x0"], dtype=float)  # null where unavailable -> NaN
                column = width - (n[row_index] + 2) + found["bucket"]
                values[row_index, column] = chosen
                samples[row_index, column] = np.asarray(found["sample_count"], dtype=float)
        finally:
            db.execute(f"DROP TABLE IF EXISTS {POINTS_TABLE}")
        in_range = np.arange(width)[None, :] >= (width - (n + 2))[:, None]
        engine_only = np.asarray(alarms["engine_only"], dtype=bool)
        screened = screen(values, in_range, alarms["operator"], np.asarray(alarms["threshold"], dtype=float), n,
                          alarms["m"].astype(np.int64), alarms["treat"], alarms["state"])
        candidates = np.flatnonzero(engine_only | (screened != alarms["state"]))
        if len(candidates) == 0:
            return
        chosen_ids = [int(i) for i in ids[candidates]]
        by_id = {r["alarm_id"]: r for r in store.rows(db, "list_contains(?, alarm_id)", [chosen_ids])}
        changes = []
        for position in candidates:
            row = by_id[int(ids[position])]
            count = int(n[position]) + 2
            windows = evaluation_windows(instant, row["period"], row["evaluation_periods"])
            first = width - count
            points = [Datapoint(windows[k], _number(values[position, first + k]), _number(samples[position, first + k]))
                      for k in range(count)]
            change = self._judge(row, points, instant)
            if change is not None:
                changes.append(change)
        if changes:
            self._transitions(changes, instant)

    def _judge(self, row: dict[str, Any], points: list[Datapoint], instant: datetime):
        """evaluate_alarm's verdict as a change (row, state, reason, reason data), or None."""
        config = AlarmConfig.from_alarm(store.describe_shape(row))
        result = evaluate_alarm(config, points, current_state=row["state_value"], evaluation_time=instant)
        return (row, result.state, result.reason, result.reason_data) if result.changed else None

    # ------------------------------------------------------------------ metric math and anomaly bands
    def _evaluate_math_alarm(self, row: dict[str, Any], instant: datetime) -> None:
        queries = json.loads(row["metrics"])
        windows = evaluation_windows(instant, row["period"], row["evaluation_periods"])
        start = windows[0]
        metric_data: dict[str, Series] = {}
        for query in queries:
            stat = query.get("MetricStat")
            if stat is None:
                continue
            metric = stat["Metric"]
            times, values = reading.statistic_series(self.lab.db, row["region"], row["account_id"], metric,
                                                     stat["Stat"], stat["Period"], start, instant, stat.get("Unit"),
                                                     instant)
            metric_data[query["Id"]] = Series(metric["MetricName"], times, values, stat["Period"],
                                              metric_properties(metric, stat["Stat"]))
        context = MathContext(start=start, end=instant, period=row["period"], metric_data=metric_data,
                              anomaly_band=self.anomaly_band_callback(row["region"], row["account_id"], instant))
        try:
            results = evaluate_queries(queries, context)
        except AWSError:
            return  # the alarm cannot be evaluated this time (e.g. a bad expression): it keeps its state
        band_id = row["threshold_metric_id"]
        value = next((r for r in results if r["Id"] != band_id), None)
        if value is None:
            return
        values = dict(zip(value["Timestamps"], value["Values"]))
        lower: dict[datetime, float] = {}
        upper: dict[datetime, float] = {}
        bounds = [r for r in results if r["Id"] == band_id]
        if len(bounds) == 2:
            for when, a, b in _aligned(bounds[0], bounds[1]):
                lower[when], upper[when] = min(a, b), max(a, b)
        points = [Datapoint(w, values.get(w), None, lower.get(w), upper.get(w)) for w in windows]
        change = self._judge(row, points, instant)
        if change is not None:
            self._transitions([change], instant)


def _aligned(first: dict[str, Any], second: dict[str, Any]):
    other = dict(zip(second["Timestamps"], second["Values"]))
    for when, value in zip(first["Timestamps"], first["Values"]):
        if when in other:
            yield when, value, other[when]


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)

