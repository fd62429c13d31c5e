"""Metric filters: the ``logs_metric_filters`` table, PutMetricFilter's rules, and turning ingested events into
CloudWatch datapoints in bulk.

From LAPI:PutMetricFilter, LAPI:MetricTransformation and the User Guide's "Creating metrics from log events using
filters" (LG:MonitoringLogData):

* a filter has exactly one metric transformation: metric name and namespace, ``metricValue`` (a number such as
  ``1``, or ``$.field`` / ``$field`` taken from a JSON or space-delimited pattern), an optional ``defaultValue``
  (not with dimensions), up to three dimensions whose values come from fields, and a unit (``None`` if omitted);
* at most 100 metric filters per log group, and at most five regex patterns across a group's metric filters;
* "Filters do not retroactively filter data. Filters only publish the metric data points for events that happen
  after the filter was created": the lab applies a filter to events ingested at or after its creation time;
* each matching event publishes its value at the event's timestamp (CloudWatch then aggregates per minute, and
  percentiles work because values are kept: "You can use any type of CloudWatch statistic, including percentile
  statistics"); an event whose field is missing or not a number publishes nothing;
* the default value is "reported to the metric filter during a period when logs are ingested but no matching
  logs are found ... If no logs are ingested during a one-minute period, then no value is reported": the lab
  publishes it once for each minute (of event time) of an ingested batch in which no event matched (*choice*:
  the minute is judged per batch).

Datapoints go to CloudWatch through the hub's ``metric_data`` fact, as one SELECT over the batch's rows of
``logs_events`` (``datapoints_sql``), so one INSERT publishes a whole batch.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from awslab.errors import AWSError

from .events import Batch
from .groups import check_limit, constraint_error, decode_token, encode_token, require_group
from .patterns import Comparison, FilterPattern, compile_filter_pattern, validate_metric_transformation
from .patterns_tree import _comparisons

MAX_FILTERS_PER_GROUP = 100
MAX_REGEX_PER_GROUP = 5
PAGE_LIMIT = 50

TABLES = {"logs_metric_filters": "one row per metric filter: its group, pattern and metric transformation, "
                                 "and when it was created (it applies to events ingested from then on)"}

CREATE = """
CREATE TABLE IF NOT EXISTS logs_metric_filters (
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    log_group VARCHAR NOT NULL,
    filter_name VARCHAR NOT NULL,
    filter_pattern VARCHAR NOT NULL,
    metric_name VARCHAR NOT NULL,
    metric_namespace VARCHAR NOT NULL,
    metric_value VARCHAR NOT NULL,
    default_value DOUBLE,
    dimensions VARCHAR NOT NULL,          -- JSON object {dimension name: "$.field" or "$field"}
    unit VARCHAR,
    creation_time TIMESTAMPTZ NOT NULL,
    apply_on_transformed_logs BOOLEAN NOT NULL
)"""

UNITS = ("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
         "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
         "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
         "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None")


def _regex_count(pattern: FilterPattern) -> int:
    """How many ``%regex%`` a pattern uses (the per-group quota counts them)."""
    if pattern.kind == "regex":
        return 1
    conditions = [pattern.condition] if pattern.condition is not None else []
    conditions += [f.condition for f in pattern.fields if f.condition is not None]
    return sum(1 for c in conditions for leaf in _comparisons(c)
               if isinstance(leaf, Comparison) and leaf.value.kind == "regex")


def put_metric_filter(db, region: str, account_id: str, params: dict[str, Any], now: datetime) -> None:
    """PutMetricFilter: create the filter, or replace one of the same name (its creation time is kept)."""
    group_name, name = params["logGroupName"], params["filterName"]
    group = require_group(db, region, account_id, group_name)
    pattern = compile_filter_pattern(params["filterPattern"], "metric")
    transformations = params["metricTransformations"]
    if len(transformations) != 1:
        raise constraint_error("[...]", "metricTransformations", "Member must have length less than or equal to 1")
    t = transformations[0]
    if any(c in name for c in ":*"):
        raise constraint_error(name, "filterName", "Member must satisfy regular expression pattern: [^:*]*")
    for key in ("metricName", "metricNamespace"):
        if any(c in t[key] for c in ":*$") or len(t[key]) > 255:
            raise constraint_error(t[key], f"metricTransformations.1.member.{key}",
                                   "Member must satisfy regular expression pattern: [^:*$]*")
    dimensions = t.get("dimensions") or {}
    validate_metric_transformation(pattern, t["metricValue"], dimensions, t.get("defaultValue"))
    if t.get("unit") is not None and t["unit"] not in UNITS:
        raise constraint_error(t["unit"], "metricTransformations.1.member.unit",
                               "Member must satisfy enum value set: [" + ", ".join(UNITS) + "]")
    if group["log_group_class"] != "STANDARD":
        # LG:MonitoringLogData: "Metric filters are supported only for log groups in the Standard log class."
        raise AWSError("InvalidParameterException", "Metric filters are supported only for log groups in the "
                                                    "Standard log class.")
    existing = db.execute("SELECT filter_name, filter_pattern, creation_time FROM logs_metric_filters "
                          "WHERE region = ? AND account_id = ? AND log_group = ?",
                          [region, account_id, group_name]).fetchall()
    others = [row for row in existing if row[0] != name]
    if len(others) >= MAX_FILTERS_PER_GROUP:
        raise AWSError("LimitExceededException", "Resource limit exceeded.")
    regexes = _regex_count(pattern) + sum(_regex_count(compile_filter_pattern(row[1], "metric")) for row in others)
    if _regex_count(pattern) and regexes > MAX_REGEX_PER_GROUP:
        raise AWSError("LimitExceededException",
                       f"A log group can have at most {MAX_REGEX_PER_GROUP} regex patterns across its metric filters.")
    created = next((row[2] for row in existing if row[0] == name), now)
    db.execute("DELETE FROM logs_metric_filters WHERE region = ? AND account_id = ? AND log_group = ? AND "
               "filter_name = ?", [region, account_id, group_name, name])
    db.execute("INSERT INTO logs_metric_filters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [region, account_id, group_name, name, params["filterPattern"], t["metricName"], t["metricNamespace"],
                t["metricValue"], t.get("defaultValue"), json.dumps(dimensions, sort_keys=True), t.get("unit"),
                created, bool(params.get("applyOnTransformedLogs", False))])


def delete_metric_filter(db, region: str, account_id: str, group: str, name: str) -> None:
    require_group(db, region, account_id, group)
    if db.execute("SELECT 1 FROM logs_metric_filters WHERE region = ? AND account_id = ? AND log_group = ? AND "
                  "filter_name = ?", [region, account_id, group, name]).fetchone() is None:
        raise AWSError("ResourceNotFoundException", "The specified metric filter does not exist.")
    db.execute("DELETE FROM logs_metric_filters WHERE region = ? AND account_id = ? AND log_group = ? AND "
               "filter_name = ?", [region, account_id, group, name])


DESCRIBE_SQL = """
SELECT log_group, filter_name, filter_pattern, metric_name, metric_namespace, metric_value, default_value,
       dimensions, unit, epoch_ms(creation_time), apply_on_transformed_logs
FROM logs_metric_filters
WHERE region = $region AND account_id = $account
  AND ($group IS NULL OR log_group = $group)
  AND ($prefix IS NULL OR starts_with(filter_name, $prefix))
  AND ($metric IS NULL OR (metric_name = $metric AND metric_namespace = $namespace))
ORDER BY filter_name, log_group
LIMIT $limit OFFSET $offset
"""


def describe_metric_filters(db, region: str, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeMetricFilters: ASCII-sorted by filter name; the prefix applies only with a log group name."""
    group = params.get("logGroupName")
    if group is not None:
        require_group(db, region, account_id, group)
    if (params.get("metricName") is None) != (params.get("metricNamespace") is None):
        # *choice* of wording; the rule is LAPI:DescribeMetricFilters'.
        raise AWSError("InvalidParameterException", "metricName and metricNamespace must be specified together.")
    limit = check_limit(params.get("limit"), PAGE_LIMIT)
    offset = int(decode_token(params["nextToken"])) if params.get("nextToken") else 0
    rows = db.execute(DESCRIBE_SQL, {
        "region": region, "account": account_id, "group": group,
        "prefix": params.get("filterNamePrefix") if group is not None else None,
        "metric": params.get("metricName"), "namespace": params.get("metricNamespace"),
        "limit": limit + 1, "offset": offset}).fetchall()
    filters = []
    for (log_group, name, pattern, metric, namespace, value, default, dimensions, unit, created,
         transformed) in rows[:limit]:
        transformation: dict[str, Any] = {"metricName": metric, "metricNamespace": namespace, "metricValue": value}
        if default is not None:
            transformation["defaultValue"] = default
        if json.loads(dimensions):
            transformation["dimensions"] = json.loads(dimensions)
        if unit is not None:
            transformation["unit"] = unit
        filters.append({"filterName": name, "filterPattern": pattern, "metricTransformations": [transformation],
                        "creationTime": created, "logGroupName": log_group, "applyOnTransformedLogs": transformed})
    response: dict[str, Any] = {"metricFilters": filters}
    if len(rows) > limit:
        response["nextToken"] = encode_token(offset + limit)
    return response


# ------------------------------------------------------------------------------------------------ datapoints
def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number_sql(expression: str) -> str:
    return (f"(CASE WHEN regexp_full_match(trim({expression}), "
            r"'[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?') "
            f"THEN CAST(trim({expression}) AS DOUBLE) END)")


def _filter_select(db, row: tuple) -> str | None:
    """The datapoints one filter publishes for the batch's events ``e`` (None if its fields can't be computed)."""
    _, pattern_text, metric, namespace, value_spec, default, dimensions_text, unit, created = row
    pattern = compile_filter_pattern(pattern_text, "metric")
    matched = pattern.to_sql("e.message", db)
    spec = value_spec.strip()
    if spec.startswith("$"):
        field = pattern.field_sql(spec, "e.message")
        if field is None:
            return None
        value = _number_sql(field)
    else:
        value = f"CAST({_q(spec)} AS DOUBLE)"
    dimensions = json.loads(dimensions_text)
    # Every field expression is guarded by the match (CASE): DuckDB may evaluate a filter on a computed column
    # before the match, and extracting fields costs far more than matching.
    columns, parts, present = [f"(CASE WHEN {matched} THEN {value} END) AS v"], [], []
    for k, (name, ref) in enumerate(sorted(dimensions.items())):
        expression = pattern.field_sql(ref, "e.message") if ref.startswith("$") else _q(ref)
        if expression is None:
            return None
        columns.append(f"(CASE WHEN {matched} THEN {expression} END) AS d{k}")
        parts.append(f"{{'Name': {_q(name)}, 'Value': d{k}}}")
        present.append(f"coalesce(d{k}, '') <> ''")
    dims = f"to_json(list_sort([{', '.join(parts)}]))" if parts else "'[]'"
    head = f"{_q(namespace)} AS namespace, {_q(metric)} AS metric_name"
    tail = f"{_q(unit or 'None')} AS unit, 60 AS storage_resolution"
    created_at = f"TIMESTAMPTZ {_q(created.isoformat())}"
    events = f"e.ingestion_time >= {created_at}"
    selects = [f"""SELECT {head}, {dims} AS dimensions, e.timestamp AS timestamp, {tail}, v AS value, 1.0 AS count,
                          1.0 AS sample_count, v AS sum, v AS minimum, v AS maximum, e.ingestion_time AS received_at
                   FROM (SELECT e.timestamp, e.ingestion_time, {', '.join(columns)} FROM batch e WHERE {events}) e
                   WHERE v IS NOT NULL{''.join(' AND ' + p for p in present)}"""]
    if default is not None:
        d = repr(float(default))
        selects.append(f"""SELECT {head}, '[]' AS dimensions, minute AS timestamp, {tail}, {d} AS value,
                                  1.0 AS count, 1.0 AS sample_count, {d} AS sum, {d} AS minimum, {d} AS maximum,
                                  ingested AS received_at
                           FROM (SELECT date_trunc('minute', e.timestamp) AS minute, max(e.ingestion_time) AS ingested,
                                        bool_or({matched}) AS any_match
                                 FROM batch e WHERE {events} GROUP BY 1)
                           WHERE NOT any_match""")
    return "\nUNION ALL\n".join(selects)


def datapoints_fact(db, batch: Batch) -> dict[str, Any] | None:
    """The ``metric_data`` fact that publishes a batch's datapoints, or None when the group has no filter.

    The fact carries one SELECT over the batch's rows of ``logs_events`` (a contiguous run of sequence
    numbers), a UNION ALL of every filter's datapoints: CloudWatch inserts them with one statement.
    """
    if batch.size == 0:
        return None
    rows = db.execute("SELECT filter_name, filter_pattern, metric_name, metric_namespace, metric_value, default_value, "
                      "dimensions, unit, creation_time FROM logs_metric_filters "
                      "WHERE region = ? AND account_id = ? AND log_group = ? ORDER BY filter_name",
                      [batch.region, batch.account_id, batch.log_group]).fetchall()
    selects = [s for s in (_filter_select(db, row) for row in rows) if s is not None]
    if not selects:
        return None
    body = "\nUNION ALL\n".join(f"({s})" for s in selects)
    sql = ("WITH batch AS NOT MATERIALIZED "
           f"(SELECT * FROM logs_events WHERE sequence BETWEEN {batch.first} AND {batch.last})\n"
           f"SELECT * FROM ({body})")
    return {"datapoints_sql": sql, "params": [], "region": batch.region, "account_id": batch.account_id}
