"""The CloudWatch service: operation handlers over the cloudwatch_* tables."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Service
from . import bulk, math, metrics, reading, retention
from .alarms_api import ALARM_TABLES, AlarmOperations
from .math_search import SearchQuery, search_label
from .math_series import MathError, Series
from .statistics import is_statistic

PAGE_SIZE = 500
SEARCH_LIMIT = 500
"""Time series one SEARCH may return (UG:using-search-expressions, quotas)."""
SEARCH_WINDOW = timedelta(weeks=2)
"""SEARCH, like ListMetrics, finds metrics that received data in the past two weeks."""


class CloudWatchService(AlarmOperations, Service):
    answers = ("cloudwatch",)

    def setup(self) -> None:
        self.lab.db.execute(metrics.CREATE_DATAPOINTS)
        self.lab.hub.subscribe("metric_data", self._on_metric_data)
        self._roll_up_due: datetime | None = None
        self._roll_up_known = False
        self.lab.scheduler.keep_up("cloudwatch retention", self._keep_retention, order=50)
        self._setup_alarms()

    def tables(self) -> dict[str, str]:
        return {"cloudwatch_datapoints": "one row per published value (or statistic set) of a metric; as it ages, "
                                         "one row per metric and minute, five minutes, then hour (with its values "
                                         "as a histogram), gone after 455 days"} | ALARM_TABLES

    # ------------------------------------------------------------------ retention
    def _keep_retention(self, until: datetime) -> None:
        if not self._roll_up_known:
            self._roll_up_due = retention.next_roll_up(self.lab.db)
            self._roll_up_known = True
        if self._roll_up_due is not None and self._roll_up_due <= until:
            retention.roll_up(self.lab.db, until)
            self._roll_up_due = retention.next_roll_up(self.lab.db)

    def _data_arrived(self) -> None:
        self._roll_up_known = False  # new data may be older than anything stored

    # ------------------------------------------------------------------ publishing
    def _on_metric_data(self, fact: dict[str, Any]) -> None:
        """Datapoints published by another service (AWS/EC2 from the world, metric filters from Logs).

        The fact carries either ``metric_data`` (a list of PutMetricData MetricDatum dicts, with
        ``namespace``) or ``datapoints_sql``: a SELECT yielding the columns of
        ``cloudwatch_datapoints`` by name except region, account_id and period, for bulk publishing.
        """
        self._data_arrived()
        if "datapoints_sql" in fact:
            metrics.insert_select(self.lab.db, fact["region"], fact["account_id"], fact["datapoints_sql"],
                                  fact.get("params"))
            return
        rows = []
        for datum in fact["metric_data"]:
            rows.extend(metrics.datapoint_rows(fact["region"], fact["account_id"], fact["namespace"],
                                               datum, fact.get("time") or self.lab.now))
        metrics.insert_rows(self.lab.db, rows)

    def put_metric_data(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        namespace, data = params["Namespace"], params.get("MetricData") or []
        metrics.validate_put(namespace, data, call.time, aws_service=call.principal.kind == "AWSService")
        rows = []
        for datum in data:
            rows.extend(metrics.datapoint_rows(call.region, call.account_id, namespace, datum, call.time))
        metrics.insert_rows(call.db, rows)
        self._data_arrived()
        return {}

    def put_datapoints(self, frame: Any, *, namespace: str | None = None, metric_name: str | None = None,
                       dimensions: dict[str, str] | None = None, unit: str | None = None,
                       storage_resolution: int | None = None, dimension_columns: list[str] | None = None,
                       region: str | None = None, backfill: bool = False) -> int:
        """The bulk path (``lab.put_datapoints``): a DataFrame or Arrow table of datapoints straight
        into ``cloudwatch_datapoints`` under PutMetricData's rules, checked in SQL. See
        :func:`awslab.cloudwatch.bulk.put_datapoints`; returns the number of rows stored."""
        stored = bulk.put_datapoints(self.lab, frame, namespace=namespace, metric_name=metric_name,
                                     dimensions=dimensions, unit=unit, storage_resolution=storage_resolution,
                                     dimension_columns=dimension_columns, region=region, backfill=backfill)
        self._data_arrived()
        with self.lab.transaction():
            self._keep_retention(self.lab.now)  # back-filled data rolls up at once
        return stored

    # ------------------------------------------------------------------ reading
    def list_metrics(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        window = timedelta(hours=3) if params.get("RecentlyActive") == "PT3H" else metrics.LIST_METRICS_WINDOW
        found = metrics.list_metrics(call.db, call.region, call.account_id, params.get("Namespace"),
                                     params.get("MetricName"), params.get("Dimensions", []),
                                     call.time - window)
        token = params.get("NextToken")
        try:
            start = int(token or 0)
        except ValueError:
            raise AWSError("InvalidParameterValue", "Invalid nextToken") from None
        page = found[start:start + PAGE_SIZE]
        response: dict[str, Any] = {"Metrics": page}
        if start + PAGE_SIZE < len(found):
            response["NextToken"] = str(start + PAGE_SIZE)
        return response

    def get_metric_statistics(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return reading.get_metric_statistics(call.db, call.region, call.account_id, params, call.time)

    def get_metric_data(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """GetMetricData: MetricStat queries read like GetMetricStatistics (rounded StartTime,
        period/age rule, Unit), expressions through the metric math engine, then ScanBy order
        and MaxDatapoints/NextToken pagination (API:GetMetricData)."""
        queries = params["MetricDataQueries"]
        start, end = params["StartTime"], params["EndTime"]
        reading.check_range(start, end)
        math.validate_queries(queries)
        timezone = (params.get("LabelOptions") or {}).get("Timezone", "+0000")
        math.check_timezone(timezone)
        scan_by = params.get("ScanBy", "TimestampDescending")
        max_datapoints = min(params.get("MaxDatapoints") or math.MAX_DATAPOINTS, math.MAX_DATAPOINTS)
        offset = _read_token(params.get("NextToken"))

        periods: list[int] = []
        metric_data: dict[str, Series] = {}
        for index, query in enumerate(queries, start=1):
            where = f"MetricDataQueries.member.{index}"
            if "Period" in query:
                reading.check_period(query["Period"], f"{where}.Period")
                periods.append(query["Period"])
            if "MetricStat" in query:
                metric_data[query["Id"]] = self._metric_stat(call, query, where, start, end)
                periods.append(query["MetricStat"]["Period"])
        period = min(periods) if periods else 60
        ctx = math.MathContext(start=reading.round_start(start, call.time, period), end=end, period=period,
                               metric_data=metric_data, search=self._searcher(call, start, end),
                               anomaly_band=self._anomaly_band, label_timezone=timezone)
        results = math.evaluate_queries(queries, ctx)
        page, next_offset = math.paginate_results(results, scan_by=scan_by, max_datapoints=max_datapoints,
                                                  start=offset)
        response: dict[str, Any] = {"MetricDataResults": page, "Messages": []}
        if next_offset is not None:
            response["NextToken"] = _write_token(next_offset)
        return response

    def _metric_stat(self, call: Call, query: dict[str, Any], where: str, start: datetime,
                     end: datetime) -> Series:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        for key in ("Namespace", "MetricName"):
            if not metric.get(key):
                raise AWSError("MissingParameter", f"The parameter {where}.MetricStat.Metric.{key} is required.")
        reading.check_unit(stat.get("Unit"), f"{where}.MetricStat.Unit")
        times: list[datetime] = []
        values: list[float] = []
        if query.get("AccountId") in (None, call.account_id):  # the lab holds one account
            times, values = reading.statistic_series(
                call.db, call.region, call.account_id, metric, stat["Stat"], stat["Period"], start, end,
                stat.get("Unit"), call.time, parameter=f"{where}.MetricStat")
        return Series(metric["MetricName"], times, values, period=stat["Period"],
                      properties=_properties(call, reading.MetricKey.of(metric), stat["Stat"], stat["Period"]))

    def _searcher(self, call: Call, start: datetime, end: datetime):
        """SEARCH over the metrics of the call's region: narrowed by namespace in SQL, then
        ``query.matches`` on each distinct metric, then every series in one SQL statement."""
        def search(query: SearchQuery, statistic: str, period: int) -> list[Series]:
            if not is_statistic(statistic):
                raise MathError(f"The statistic {statistic} in SEARCH is not a CloudWatch statistic")
            if period not in reading.SHORT_PERIODS and period % 60:
                raise MathError("The period of a SEARCH must be 1, 5, 10, 20, 30, or a multiple of 60")
            found = [key for key in reading.metrics_in(call.db, call.region, call.account_id, query.namespace,
                                                       call.time - SEARCH_WINDOW)
                     if query.matches(key.namespace, key.metric_name, key.dimension_map)][:SEARCH_LIMIT]
            series = reading.statistic_series_many(call.db, call.region, call.account_id, found, statistic,
                                                   period, start, end, call.time)
            return [Series(search_label(key.metric_name, key.dimension_map), times, values, period=period,
                           properties=_properties(call, key, statistic, period))
                    for key, (times, values) in zip(found, series)]
        return search

    def _anomaly_band(self, series: Series, stddevs: float) -> tuple[Series, Series]:
        """ANOMALY_DETECTION_BAND's model: none yet. The alarms engineer replaces this method
        with one returning ``(lower, upper)`` from ``anomaly.AnomalyModel``."""
        raise MathError(f"There is no anomaly detection model for the metric {series.label}; "
                        "create one with PutAnomalyDetector")


def _properties(call: Call, key: reading.MetricKey, stat: str, period: int) -> dict[str, str]:
    """What ${PROP('...')} may show for a metric (UG:graph-dynamic-labels)."""
    properties = {"MetricName": key.metric_name, "Namespace": key.namespace, "Stat": stat,
                  "Period": str(period), "Region": call.region, "AccountId": call.account_id}
    properties.update({f"Dim.{name}": value for name, value in key.dimension_map.items()})
    return properties


def _write_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _read_token(token: str | None) -> int:
    if token is None:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise AWSError("InvalidNextToken", "The next token specified is invalid.")
