"""The CloudWatch service: operation handlers over the cloudwatch_* tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Service
from . import metrics

PAGE_SIZE = 500


class CloudWatchService(Service):
    answers = ("cloudwatch",)

    def setup(self) -> None:
        self.lab.db.execute(metrics.CREATE_DATAPOINTS)
        self.lab.hub.subscribe("metric_data", self._on_metric_data)

    def _on_metric_data(self, fact: dict[str, Any]) -> None:
        """Datapoints published by another service (AWS/EC2 from the world, metric filters from Logs).

        The fact carries either ``metric_data`` (a list of PutMetricData MetricDatum dicts, with
        ``namespace``) or ``datapoints_sql``: a SELECT yielding the columns of
        ``cloudwatch_datapoints`` after region and account_id, in order, for bulk publishing.
        """
        if "datapoints_sql" in fact:
            metrics.insert_select(self.lab.db, fact["region"], fact["account_id"], fact["datapoints_sql"],
                                  fact.get("params"))
            return
        rows = []
        for datum in fact["metric_data"]:
            rows.extend(metrics.datapoint_rows(fact["region"], fact["account_id"], fact["namespace"],
                                               datum, fact.get("time") or self.lab.now))
        metrics.insert_rows(self.lab.db, rows)

    def tables(self) -> dict[str, str]:
        return {"cloudwatch_datapoints": "one row per published value (or statistic set) of a metric: "
                                         "region, namespace, name, dimensions, timestamp, unit, value"}

    def put_metric_data(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        namespace = params["Namespace"]
        if namespace.startswith("AWS/") and call.principal.kind != "AWSService":
            raise AWSError("InvalidParameterValue",
                           "The value AWS/ for parameter Namespace is invalid.")
        rows = []
        for datum in params["MetricData"]:
            rows.extend(metrics.datapoint_rows(call.region, call.account_id, namespace, datum, call.time))
        metrics.insert_rows(call.db, rows)
        return {}

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
