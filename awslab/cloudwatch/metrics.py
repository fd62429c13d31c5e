"""Metric storage: the ``cloudwatch_datapoints`` table and PutMetricData's rules.

A metric is (region, namespace, metric name, dimension set); each distinct dimension set is a
separate metric, and units are kept apart.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any

import pyarrow

from ..errors import AWSError

CREATE_DATAPOINTS = """
CREATE TABLE IF NOT EXISTS cloudwatch_datapoints (
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    metric_name VARCHAR NOT NULL,
    dimensions VARCHAR NOT NULL,      -- canonical JSON: [{"Name":…,"Value":…}] sorted by Name
    timestamp TIMESTAMPTZ NOT NULL,   -- as published; after roll-up, the start of the period
    unit VARCHAR NOT NULL,
    storage_resolution INTEGER NOT NULL,  -- 1 (high resolution) or 60, as published
    period INTEGER NOT NULL,          -- the period this row stands for: 1 or 60 as published, 60/300/3600 after roll-up
    value DOUBLE,                     -- a raw value; null for a StatisticSet and for a rolled-up row
    count DOUBLE NOT NULL,            -- how many times the raw value occurred (Values/Counts)
    sample_count DOUBLE NOT NULL,
    sum DOUBLE NOT NULL,
    minimum DOUBLE NOT NULL,
    maximum DOUBLE NOT NULL,
    histogram STRUCT(value DOUBLE, count DOUBLE)[],  -- a rolled-up row's raw values (3 significant digits), null if not raw
    received_at TIMESTAMPTZ NOT NULL  -- lab time the row was published (ListMetrics' two weeks)
)"""

COLUMNS = ["region", "account_id", "namespace", "metric_name", "dimensions", "timestamp", "unit",
           "storage_resolution", "period", "value", "count", "sample_count", "sum", "minimum", "maximum",
           "received_at"]
"""The columns a published row fills (``histogram`` is only set by the roll-up)."""

UNITS = frozenset("""Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes Bits
Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second Megabytes/Second Gigabytes/Second
Terabytes/Second Bits/Second Kilobits/Second Megabits/Second Gigabits/Second Terabits/Second Count/Second
None""".split())

_ARROW_SCHEMA = pyarrow.schema(
    [(name, pyarrow.string()) for name in COLUMNS[:5]] + [("timestamp", pyarrow.timestamp("us", tz="UTC")),
                                                         ("unit", pyarrow.string())]
    + [(name, pyarrow.int32()) for name in ("storage_resolution", "period")]
    + [(name, pyarrow.float64()) for name in ("value", "count", "sample_count", "sum", "minimum", "maximum")]
    + [("received_at", pyarrow.timestamp("us", tz="UTC"))])

MAX_DATUMS = 1000
MAX_DIMENSIONS = 30
MAX_VALUES = 150
MAX_NAME_LENGTH = 255
VALUE_LIMIT = 2.0 ** 360
PAST_LIMIT = timedelta(weeks=2)
FUTURE_LIMIT = timedelta(hours=2)
_NAMESPACE = re.compile(r"^[0-9A-Za-z.\-_/#: ]+$")


def canonical_dimensions(dimensions: list[dict[str, str]] | None) -> str:
    """The dimension set as one comparable text: JSON sorted by name, exactly as DuckDB's
    ``to_json(list_sort([{'Name': …, 'Value': …}, …]))`` writes it (so SQL publishers agree)."""
    ordered = sorted(({"Name": d["Name"], "Value": d["Value"]} for d in dimensions or []),
                     key=lambda d: d["Name"])
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)


def _bad_value(value: float) -> bool:
    return math.isnan(value) or math.isinf(value) or abs(value) > VALUE_LIMIT


def _number_text(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity") if math.isinf(value) else repr(value)


def validate_put(namespace: str, data: list[dict[str, Any]], now: datetime, *, aws_service: bool) -> None:
    """Raise AWS's error for the first kind of violation in a PutMetricData request.

    Several datums failing the same way are reported together, one message per line, as AWS does.
    """
    if namespace.startswith("AWS/") and not aws_service:
        raise AWSError("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
    if (not namespace.strip() or not _NAMESPACE.match(namespace) or namespace.startswith(":")
            or len(namespace) > MAX_NAME_LENGTH):
        raise AWSError("InvalidParameterValue", f"The value {namespace} for parameter Namespace is invalid.")
    if not data:
        raise AWSError("MissingParameter", "The parameter MetricData is required.")
    if len(data) > MAX_DATUMS:
        raise AWSError("InvalidParameterValue",
                       f"The collection MetricData must not have a size greater than {MAX_DATUMS}.")
    problems: list[tuple[str, str]] = []
    for index, datum in enumerate(data, start=1):
        where = f"MetricData.member.{index}"
        forms = [key for key in ("Value", "Values", "StatisticValues") if key in datum]
        if "Value" in datum and "Values" in datum:
            problems.append(("InvalidParameterCombination",
                             f"The parameters {where}.Value and {where}.Values are mutually exclusive and you have specified both."))
        elif "Value" in datum and "StatisticValues" in datum:
            problems.append(("InvalidParameterCombination",
                             f"The parameters {where}.Value and {where}.StatisticValues are mutually exclusive and you have specified both."))
        elif not forms:
            problems.append(("MissingParameter", f"The parameter {where}.Value is required."))
        if len(datum.get("MetricName", "")) > MAX_NAME_LENGTH:
            problems.append(("InvalidParameterValue", f"The value for parameter {where}.MetricName must be "
                                                      f"1 to {MAX_NAME_LENGTH} characters long."))
        for position, dimension in enumerate(datum.get("Dimensions") or [], start=1):
            for key in ("Name", "Value"):
                if len(dimension.get(key, "")) > MAX_NAME_LENGTH:
                    problems.append(("InvalidParameterValue",
                                     f"The value for parameter {where}.Dimensions.member.{position}.{key} must be "
                                     f"1 to {MAX_NAME_LENGTH} characters long."))
        if len(datum.get("Dimensions") or []) > MAX_DIMENSIONS:
            problems.append(("InvalidParameterValue",
                             f"The collection {where}.Dimensions must not have a size greater than {MAX_DIMENSIONS}."))
        names = [d["Name"] for d in datum.get("Dimensions") or []]
        if len(names) != len(set(names)):
            problems.append(("InvalidParameterValue", f"No duplicate dimension names are allowed in {where}.Dimensions."))
        if "Value" in datum and _bad_value(datum["Value"]):
            problems.append(("InvalidParameterValue",
                             f"The value {_number_text(datum['Value'])} for parameter {where}.Value is invalid."))
        values = datum.get("Values")
        if values is not None:
            if len(values) > MAX_VALUES:
                problems.append(("InvalidParameterValue",
                                 f"The collection {where}.Values must not have a size greater than {MAX_VALUES}."))
            counts = datum.get("Counts")
            if counts is not None and len(counts) != len(values):
                problems.append(("InvalidParameterValue",
                                 f"The parameters {where}.Values and {where}.Counts must be of the same size."))
            for position, count in enumerate(counts or [], start=1):
                if _bad_value(count) or count < 0:
                    problems.append(("InvalidParameterValue",
                                     f"The value {_number_text(count)} for parameter {where}.Counts.member.{position} is invalid."))
            for position, value in enumerate(values, start=1):
                if _bad_value(value):
                    problems.append(("InvalidParameterValue",
                                     f"The value {_number_text(value)} for parameter {where}.Values.member.{position} is invalid."))
        statistics = datum.get("StatisticValues")
        if statistics is not None:
            for key in ("SampleCount", "Sum", "Minimum", "Maximum"):
                if _bad_value(statistics[key]):
                    problems.append(("InvalidParameterValue",
                                     f"The value {_number_text(statistics[key])} for parameter {where}.StatisticValues.{key} is invalid."))
        unit = datum.get("Unit", "None")
        if unit not in UNITS:
            problems.append(("InvalidParameterValue", f"The value {unit} for parameter {where}.Unit is invalid."))
        resolution = datum.get("StorageResolution", 60)
        if resolution not in (1, 60):
            problems.append(("InvalidParameterValue",
                             f"The value {resolution} for parameter {where}.StorageResolution is invalid."))
        timestamp = datum.get("Timestamp")
        if timestamp is not None and not now - PAST_LIMIT <= timestamp <= now + FUTURE_LIMIT:
            # One message for both directions, as AWS answers (and AWS-compatible Eucalyptus copied).
            problems.append(("InvalidParameterValue",
                             f"The parameter {where}.Timestamp must specify a time within the past two weeks."))
    if problems:
        code = problems[0][0]
        raise AWSError(code, "\n".join(message for kind, message in problems if kind == code))


def _is_raw(statistics: dict[str, float]) -> bool:
    """A StatisticSet that is really raw values, for which CloudWatch still computes percentiles:
    SampleCount 1 with Min, Max and Sum equal, or Min = Max and Sum = Min × SampleCount.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html"""
    low, high, total, count = (statistics["Minimum"], statistics["Maximum"], statistics["Sum"],
                               statistics["SampleCount"])
    return low == high and (count == 1 and total == low or math.isclose(total, low * count))


def datapoint_rows(region: str, account_id: str, namespace: str, datum: dict[str, Any],
                   now: datetime) -> list[tuple]:
    """The table rows for one MetricDatum (a Value, Values with Counts, or StatisticValues)."""
    dims = canonical_dimensions(datum.get("Dimensions"))
    timestamp = datum.get("Timestamp") or now
    resolution = datum.get("StorageResolution", 60)
    head = (region, account_id, namespace, datum["MetricName"], dims, timestamp, datum.get("Unit", "None"),
            resolution, resolution)
    if "Values" in datum:
        counts = datum.get("Counts") or [1.0] * len(datum["Values"])
        return [head + (v, c, c, v * c, v, v, now) for v, c in zip(datum["Values"], counts)]
    if "Value" in datum:
        value = datum["Value"]
        return [head + (value, 1.0, 1.0, value, value, value, now)]
    s = datum["StatisticValues"]
    if _is_raw(s):
        return [head + (s["Minimum"], s["SampleCount"], s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"], now)]
    return [head + (None, s["SampleCount"], s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"], now)]


def insert_rows(db, rows: list[tuple]) -> None:
    if not rows:
        return
    if len(rows) == 1:
        db.execute(f"INSERT INTO cloudwatch_datapoints ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                   list(rows[0]))
        return
    # One statement for the whole batch, from an Arrow table (cheaper to build than a DataFrame).
    batch = pyarrow.table({name: list(values) for name, values in zip(COLUMNS, zip(*rows))}, schema=_ARROW_SCHEMA)
    db.execute("INSERT INTO cloudwatch_datapoints BY NAME SELECT * FROM batch")


def insert_select(db, region: str, account_id: str, select_sql: str, params: Any = None) -> None:
    """Bulk insert: ``select_sql`` yields the table's columns by name, except region, account_id
    and period (a published row's period is its storage resolution)."""
    db.execute("INSERT INTO cloudwatch_datapoints BY NAME SELECT ? AS region, ? AS account_id, "
               f"s.storage_resolution AS period, s.* FROM ({select_sql}) s",
               [region, account_id] + list(params or []))


LIST_METRICS_SQL = """
SELECT namespace, metric_name, dimensions
FROM cloudwatch_datapoints
WHERE region = $region AND account_id = $account
  AND ($namespace IS NULL OR namespace = $namespace)
  AND ($metric_name IS NULL OR metric_name = $metric_name)
GROUP BY ALL
HAVING max(received_at) >= $since
ORDER BY namespace, metric_name, dimensions
"""

LIST_METRICS_WINDOW = timedelta(weeks=2)
"""ListMetrics shows metrics that received data in the past two weeks.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html"""


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
