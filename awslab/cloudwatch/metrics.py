"""Metric storage: the ``cloudwatch_datapoints`` table and the PutMetricData/ListMetrics rules.

A metric is (region, namespace, metric name, dimension set); each distinct dimension set is a
separate metric. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas

CREATE_DATAPOINTS = """
CREATE TABLE IF NOT EXISTS cloudwatch_datapoints (
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    metric_name VARCHAR NOT NULL,
    dimensions VARCHAR NOT NULL,      -- canonical JSON: [{"Name":…,"Value":…}] sorted by Name
    timestamp TIMESTAMPTZ NOT NULL,
    unit VARCHAR NOT NULL,
    storage_resolution INTEGER NOT NULL,
    value DOUBLE,                     -- a raw value (null for a StatisticSet)
    count DOUBLE NOT NULL,            -- how many times the raw value occurred (Values/Counts)
    sample_count DOUBLE NOT NULL,
    sum DOUBLE NOT NULL,
    minimum DOUBLE NOT NULL,
    maximum DOUBLE NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
)"""


def canonical_dimensions(dimensions: list[dict[str, str]] | None) -> str:
    """The dimension set as one comparable text: JSON sorted by name."""
    ordered = sorted(({"Name": d["Name"], "Value": d["Value"]} for d in dimensions or []),
                     key=lambda d: d["Name"])
    return json.dumps(ordered, separators=(",", ":"))


def datapoint_rows(region: str, account_id: str, namespace: str, datum: dict[str, Any],
                   now: datetime) -> list[tuple]:
    """The table rows for one MetricDatum (a Value, Values with Counts, or StatisticValues)."""
    dims = canonical_dimensions(datum.get("Dimensions"))
    timestamp = datum.get("Timestamp") or now
    unit = datum.get("Unit", "None")
    resolution = datum.get("StorageResolution", 60)
    head = (region, account_id, namespace, datum["MetricName"], dims, timestamp, unit, resolution)
    if "StatisticValues" in datum:
        s = datum["StatisticValues"]
        return [head + (None, s["SampleCount"], s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"], now)]
    if "Values" in datum:
        counts = datum.get("Counts") or [1.0] * len(datum["Values"])
        return [head + (v, c, c, v * c, v, v, now) for v, c in zip(datum["Values"], counts)]
    value = datum["Value"]
    return [head + (value, 1.0, 1.0, value, value, value, now)]


_COLUMNS = ["region", "account_id", "namespace", "metric_name", "dimensions", "timestamp", "unit",
            "storage_resolution", "value", "count", "sample_count", "sum", "minimum", "maximum", "received_at"]


def insert_rows(db, rows: list[tuple]) -> None:
    if len(rows) == 1:
        db.execute("INSERT INTO cloudwatch_datapoints VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", list(rows[0]))
        return
    frame = pandas.DataFrame(rows, columns=_COLUMNS)  # one statement for a whole batch
    db.execute("INSERT INTO cloudwatch_datapoints SELECT * FROM frame")


def insert_select(db, region: str, account_id: str, select_sql: str, params: Any = None) -> None:
    """Bulk insert: ``select_sql`` yields every column after region and account_id, in table order."""
    db.execute(f"INSERT INTO cloudwatch_datapoints SELECT ?, ?, * FROM ({select_sql})",
               [region, account_id] + list(params or []))


LIST_METRICS_SQL = """
SELECT namespace, metric_name, dimensions
FROM cloudwatch_datapoints
WHERE region = $region AND account_id = $account
  AND ($namespace IS NULL OR namespace = $namespace)
  AND ($metric_name IS NULL OR metric_name = $metric_name)
  AND received_at >= $since
GROUP BY ALL
ORDER BY namespace, metric_name, dimensions
"""


def list_metrics(db, region: str, account_id: str, namespace: str | None, metric_name: str | None,
                 dimension_filters: list[dict[str, str]], since: datetime) -> list[dict[str, Any]]:
    """Metrics matching ListMetrics' filters, as {Namespace, MetricName, Dimensions}."""
    rows = db.execute(LIST_METRICS_SQL, {"region": region, "account": account_id, "namespace": namespace,
                                         "metric_name": metric_name, "since": since}).fetchall()
    metrics = []
    for ns, name, dims_text in rows:
        dims = json.loads(dims_text)
        present = {d["Name"]: d["Value"] for d in dims}
        if all(f["Name"] in present and ("Value" not in f or present[f["Name"]] == f["Value"])
               for f in dimension_filters):
            metrics.append({"Namespace": ns, "MetricName": name, "Dimensions": dims})
    return metrics


LIST_METRICS_WINDOW = timedelta(weeks=2)
"""ListMetrics shows metrics that received data in the past two weeks.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html"""
