"""Anomaly detectors: PutAnomalyDetector, DescribeAnomalyDetectors, DeleteAnomalyDetector, and the
band ANOMALY_DETECTION_BAND draws from a detector's model.

The model is awslab.cloudwatch.anomaly (docs/anomaly-model.md): trained on the metric's last
two weeks, minus the detector's excluded time ranges, in its metric time zone. The lab trains
it when a band is needed and keeps it for the rest of the lab hour (``trained_until`` is the
start of the current hour), so a band is the same all hour and an anomaly in the hour being
judged is not yet part of its own baseline. An alarm on ANOMALY_DETECTION_BAND creates the
detector of its metric and statistic if there is none, as CloudWatch does.

API: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutAnomalyDetector.html
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from ..errors import AWSError
from ..gateway import Call
from . import anomaly, reading
from .math_series import Series
from .metrics import canonical_dimensions
from .statistics import is_statistic

MAX_DETECTORS = 500
MAX_EXCLUDED_RANGES = 10
STATUS_PERIOD = 300
"""The period at which DescribeAnomalyDetectors' StateValue is judged (lab choice)."""

_COLUMNS = ("anomaly_detector_id", "region", "account_id", "namespace", "metric_name", "dimensions", "stat",
            "metric_math_queries", "excluded_time_ranges", "metric_timezone", "periodic_spikes", "created_at")


def _invalid(message: str) -> AWSError:
    return AWSError("InvalidParameterValueException", message)


def detector_id(region: str, account_id: str, namespace: str | None, metric: str | None, dims: str | None,
                stat: str | None, math: str | None) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in (region, account_id, namespace, metric, dims, stat, math))
                            .encode()).hexdigest()
    return f"ad-{digest[:32]}"


def metric_properties(metric: dict[str, Any], stat: str) -> dict[str, str]:
    """The properties a metric's Series carries (what ${PROP(...)} shows and the band callback reads)."""
    props = {"Namespace": metric["Namespace"], "MetricName": metric["MetricName"], "Stat": stat}
    props.update({f"Dim.{d['Name']}": d["Value"] for d in metric.get("Dimensions", [])})
    return props


def _metric_of(properties: dict[str, str]) -> dict[str, Any] | None:
    if not {"Namespace", "MetricName", "Stat"} <= set(properties):
        return None
    return {"Namespace": properties["Namespace"], "MetricName": properties["MetricName"],
            "Dimensions": [{"Name": k[4:], "Value": v} for k, v in properties.items() if k.startswith("Dim.")]}


class AnomalyMixin:
    """Anomaly detector operations and the model cache, mixed into the CloudWatch service."""

    _models: dict[tuple, anomaly.AnomalyModel]

    # ------------------------------------------------------------------ models
    def _detector_row(self, region: str, account_id: str, namespace: str, metric_name: str, dims: str,
                      stat: str) -> dict[str, Any] | None:
        found = self.lab.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM cloudwatch_anomaly_detectors WHERE region = ? AND account_id = ? "
            "AND namespace = ? AND metric_name = ? AND dimensions = ? AND stat = ?",
            [region, account_id, namespace, metric_name, dims, stat]).fetchone()
        return dict(zip(_COLUMNS, found)) if found else None

    def _ensure_detector(self, region: str, account_id: str, metric: dict[str, Any], stat: str, when: datetime) -> None:
        dims = canonical_dimensions(metric.get("Dimensions"))
        if self._detector_row(region, account_id, metric["Namespace"], metric["MetricName"], dims, stat) is None:
            self.lab.db.execute(
                "INSERT INTO cloudwatch_anomaly_detectors VALUES (?, ?, ?, ?, ?, ?, ?, NULL, '[]', NULL, NULL, ?)",
                [detector_id(region, account_id, metric["Namespace"], metric["MetricName"], dims, stat, None),
                 region, account_id, metric["Namespace"], metric["MetricName"], dims, stat, when])

    def _model(self, region: str, account_id: str, metric: dict[str, Any], stat: str, period: int,
               trained_until: datetime) -> anomaly.AnomalyModel:
        """The model of a metric and statistic at a period, trained up to ``trained_until``."""
        dims = canonical_dimensions(metric.get("Dimensions"))
        key = (region, account_id, metric["Namespace"], metric["MetricName"], dims, stat, period, trained_until)
        cache = self.__dict__.setdefault("_models", {})
        if key in cache:
            return cache[key]
        row = self._detector_row(region, account_id, metric["Namespace"], metric["MetricName"], dims, stat)
        excluded = [anomaly.ExcludedTimeRange(pd.Timestamp(r["StartTime"]), pd.Timestamp(r["EndTime"]))
                    for r in json.loads(row["excluded_time_ranges"])] if row else []
        zone = (row or {}).get("metric_timezone") or "UTC"
        times, values = reading.statistic_series(self.lab.db, region, account_id, metric, stat, period,
                                                 trained_until - anomaly.TRAINING_WINDOW, trained_until, None,
                                                 trained_until)
        unit = self.lab.db.execute(
            "SELECT arg_max(unit, timestamp) FROM cloudwatch_datapoints WHERE region = ? AND account_id = ? "
            "AND namespace = ? AND metric_name = ? AND dimensions = ?",
            [region, account_id, metric["Namespace"], metric["MetricName"], dims]).fetchone()[0]
        history = pd.Series(values, index=pd.DatetimeIndex(times), dtype=float)
        model = anomaly.train(history, period, excluded_time_ranges=excluded, metric_timezone=zone, unit=unit,
                              trained_until=trained_until)
        if len(cache) > 256:
            cache.clear()
        cache[key] = model
        return model

    def _band(self, region: str, account_id: str, series: Series, stddevs: float,
              now: datetime) -> tuple[pd.Series, pd.Series]:
        """ANOMALY_DETECTION_BAND(series, stddevs) at the series' timestamps, as (lower, upper).

        The series' properties name its metric and statistic (Namespace, MetricName, Stat,
        Dim.<name>, see :func:`metric_properties`); that metric's model is used. A series that is
        not a metric (an expression) gets a model trained on its own datapoints (lab choice).
        """
        period = int(series.period or 60)
        trained_until = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        metric = _metric_of(dict(series.properties))
        stamps = pd.DatetimeIndex(series.datetimes())
        if metric is not None:
            model = self._model(region, account_id, metric, series.properties["Stat"], period, trained_until)
        else:
            model = anomaly.train(pd.Series(series.values, index=stamps), period)
        return model.band(stamps, stddevs)

    def anomaly_band_callback(self, region: str, account_id: str,
                              now: datetime) -> Callable[[Series, float], tuple[pd.Series, pd.Series]]:
        """The ``MathContext.anomaly_band`` callback alarms use."""
        return lambda series, stddevs: self._band(region, account_id, series, stddevs, now)

    def _alarm_anomaly_band(self, series: Series, stddevs: float) -> tuple[pd.Series, pd.Series]:
        """GetMetricData's ``_anomaly_band(series, stddevs)``: the metric's Region and AccountId are
        in the series' properties, the time is the lab's."""
        props = dict(series.properties)
        return self._band(props.get("Region", self.lab.region), props.get("AccountId", self.lab.account_id),
                          series, stddevs, self.lab.now)

    # ------------------------------------------------------------------ API
    def _detector_params(self, params: dict[str, Any]) -> dict[str, Any]:
        legacy = {k: params[k] for k in ("Namespace", "MetricName", "Dimensions", "Stat") if k in params}
        single, math = params.get("SingleMetricAnomalyDetector"), params.get("MetricMathAnomalyDetector")
        if sum(bool(x) for x in (legacy, single, math)) > 1:
            raise AWSError("InvalidParameterCombinationException",
                           "Specify the metric either with Namespace, MetricName, Dimensions and Stat, with "
                           "SingleMetricAnomalyDetector, or with MetricMathAnomalyDetector.")  # lab wording
        if math:
            return {"metric_math_queries": json.dumps(math.get("MetricDataQueries") or [])}
        source = single or legacy
        for name in ("Namespace", "MetricName", "Stat"):
            if not source.get(name):
                raise AWSError("MissingRequiredParameterException", f"The parameter {name} is required.")
        if not is_statistic(source["Stat"]):
            raise _invalid(f"The value {source['Stat']} for parameter Stat is not supported.")
        return {"namespace": source["Namespace"], "metric_name": source["MetricName"],
                "dimensions": canonical_dimensions(source.get("Dimensions")), "stat": source["Stat"]}

    def put_anomaly_detector(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        key = self._detector_params(params)
        config = params.get("Configuration") or {}
        ranges = config.get("ExcludedTimeRanges") or []
        if len(ranges) > MAX_EXCLUDED_RANGES:
            raise _invalid(f"The collection ExcludedTimeRanges must not have a size greater than {MAX_EXCLUDED_RANGES}.")
        for index, excluded in enumerate(ranges, start=1):
            if excluded["StartTime"] >= excluded["EndTime"]:
                raise _invalid(f"The value of Configuration.ExcludedTimeRanges.member.{index}.StartTime must be "
                               "before EndTime.")  # lab wording
        zone = config.get("MetricTimezone")
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise _invalid(f"The value {zone} for parameter MetricTimezone is invalid.") from None
        full = {c: None for c in ("namespace", "metric_name", "dimensions", "stat", "metric_math_queries")} | key
        ident = detector_id(call.region, call.account_id, full["namespace"], full["metric_name"], full["dimensions"],
                            full["stat"], full["metric_math_queries"])
        db = call.db
        exists = db.execute("SELECT created_at FROM cloudwatch_anomaly_detectors WHERE anomaly_detector_id = ?",
                            [ident]).fetchone()
        if not exists and db.execute("SELECT count(*) FROM cloudwatch_anomaly_detectors WHERE region = ? AND "
                                     "account_id = ?", [call.region, call.account_id]).fetchone()[0] >= MAX_DETECTORS:
            raise AWSError("LimitExceededException", f"The maximum number of anomaly detection models "
                                                     f"({MAX_DETECTORS}) in this Region has been reached.")
        db.execute("DELETE FROM cloudwatch_anomaly_detectors WHERE anomaly_detector_id = ?", [ident])
        stored = json.dumps([{"StartTime": r["StartTime"].isoformat(), "EndTime": r["EndTime"].isoformat()}
                             for r in ranges])
        spikes = (params.get("MetricCharacteristics") or {}).get("PeriodicSpikes")
        db.execute("INSERT INTO cloudwatch_anomaly_detectors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [ident, call.region, call.account_id, full["namespace"], full["metric_name"], full["dimensions"],
                    full["stat"], full["metric_math_queries"], stored, zone, spikes,
                    exists[0] if exists else call.time])
        self.__dict__.setdefault("_models", {}).clear()
        return {}

    def _detector_shape(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        config: dict[str, Any] = {"ExcludedTimeRanges": [
            {"StartTime": datetime.fromisoformat(r["StartTime"]), "EndTime": datetime.fromisoformat(r["EndTime"])}
            for r in json.loads(row["excluded_time_ranges"])]}
        if row["metric_timezone"]:
            config["MetricTimezone"] = row["metric_timezone"]
        out: dict[str, Any] = {"AnomalyDetectorId": row["anomaly_detector_id"]}
        if row["metric_math_queries"] is not None:
            out.update(Configuration=config, StateValue="TRAINED_INSUFFICIENT_DATA",
                       MetricMathAnomalyDetector={"MetricDataQueries": json.loads(row["metric_math_queries"])})
            return out
        dims = json.loads(row["dimensions"])
        metric = {"Namespace": row["namespace"], "MetricName": row["metric_name"], "Dimensions": dims}
        hour = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        state = self._model(row["region"], row["account_id"], metric, row["stat"], STATUS_PERIOD, hour).state
        out.update(Namespace=row["namespace"], MetricName=row["metric_name"], Dimensions=dims, Stat=row["stat"],
                   Configuration=config, StateValue=state,
                   SingleMetricAnomalyDetector={"Namespace": row["namespace"], "MetricName": row["metric_name"],
                                                "Dimensions": dims, "Stat": row["stat"]})
        if row["periodic_spikes"] is not None:
            out["MetricCharacteristics"] = {"PeriodicSpikes": row["periodic_spikes"]}
        return out

    def describe_anomaly_detectors(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ids = params.get("AnomalyDetectorIds")
        filters = [params.get(k) for k in ("Namespace", "MetricName", "Dimensions", "AnomalyDetectorTypes")]
        if ids and any(filters):
            raise AWSError("InvalidParameterCombinationException", "AnomalyDetectorIds cannot be combined with "
                                                                   "Namespace, MetricName, Dimensions or "
                                                                   "AnomalyDetectorTypes.")  # lab wording
        limit = params.get("MaxResults") or 100
        if limit > 100:
            raise _invalid("The value for parameter MaxResults must be between 1 and 100.")  # lab wording
        found = self.lab.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM cloudwatch_anomaly_detectors WHERE region = ? AND account_id = ? "
            "ORDER BY namespace, metric_name, dimensions, stat, anomaly_detector_id",
            [call.region, call.account_id]).fetchall()
        types = set(params.get("AnomalyDetectorTypes") or ["SINGLE_METRIC"])
        wanted_dims = params.get("Dimensions")
        rows = []
        for values in found:
            row = dict(zip(_COLUMNS, values))
            kind = "METRIC_MATH" if row["metric_math_queries"] is not None else "SINGLE_METRIC"
            if ids:
                if row["anomaly_detector_id"] not in ids:
                    continue
            elif kind not in types or (params.get("Namespace") and row["namespace"] != params["Namespace"]) or \
                    (params.get("MetricName") and row["metric_name"] != params["MetricName"]):
                continue
            if wanted_dims and (row["dimensions"] is None or not all(
                    d in json.loads(row["dimensions"]) for d in wanted_dims)):
                continue
            rows.append(row)
        start = token_offset(params.get("NextToken"))
        page = rows[start:start + limit]
        response: dict[str, Any] = {"AnomalyDetectors": [self._detector_shape(r, call.time) for r in page]}
        if start + limit < len(rows):
            response["NextToken"] = str(start + limit)
        return response

    def delete_anomaly_detector(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("AnomalyDetectorId"):
            where, args = "anomaly_detector_id = ?", [params["AnomalyDetectorId"]]
        else:
            key = self._detector_params(params)
            full = {c: None for c in ("namespace", "metric_name", "dimensions", "stat", "metric_math_queries")} | key
            args = [detector_id(call.region, call.account_id, full["namespace"], full["metric_name"],
                                full["dimensions"], full["stat"], full["metric_math_queries"])]
            where = "anomaly_detector_id = ?"
        deleted = call.db.execute(f"DELETE FROM cloudwatch_anomaly_detectors WHERE {where} AND region = ? AND "
                                  "account_id = ?", args + [call.region, call.account_id]).fetchone()[0]
        if not deleted:
            raise AWSError("ResourceNotFoundException", "No anomaly detector found for namespace, metric name, "
                                                        "dimensions and stat.", 404)  # lab wording
        self.__dict__.setdefault("_models", {}).clear()
        return {}


def token_offset(token: str | None) -> int:
    if token is None:
        return 0
    if not token.isdigit():
        raise AWSError("InvalidNextToken", "The service couldn't process your request because the next token "
                                           "provided is invalid.")  # lab wording
    return int(token)
