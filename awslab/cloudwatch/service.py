"""The CloudWatch service: operation handlers over the cloudwatch_* tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..gateway import Call
from ..service import Service
from . import metrics, reading, retention

PAGE_SIZE = 500


class CloudWatchService(Service):
    answers = ("cloudwatch",)

    def setup(self) -> None:
        self.lab.db.execute(metrics.CREATE_DATAPOINTS)
        self.lab.hub.subscribe("metric_data", self._on_metric_data)
        self._roll_up_due: datetime | None = None
        self._roll_up_known = False
        self.lab.scheduler.keep_up("cloudwatch retention", self._keep_retention, order=50)

    def tables(self) -> dict[str, str]:
        return {"cloudwatch_datapoints": "one row per published value (or statistic set) of a metric, "
                                         "rolled up to 1-minute, 5-minute and 1-hour rows as it ages, gone after 455 days"}

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

    # ------------------------------------------------------------------ reading
    def list_metrics(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        window = timedelta(hours=3) if params.get("RecentlyActive") == "PT3H" else metrics.LIST_METRICS_WINDOW
        found = metrics.list_metrics(call.db, call.region, call.account_id, params.get("Namespace"),
                                     params.get("MetricName"), params.get("Dimensions", []),
                                     call.time - window)
        start = int(params.get("NextToken") or 0)
        page = found[start:start + PAGE_SIZE]
        response: dict[str, Any] = {"Metrics": page}
        if start + PAGE_SIZE < len(found):
            response["NextToken"] = str(start + PAGE_SIZE)
        return response

    def get_metric_statistics(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return reading.get_metric_statistics(call.db, call.region, call.account_id, params, call.time)
