"""The bulk path: a DataFrame or Arrow table of datapoints straight into ``cloudwatch_datapoints``.

For large synthetic or imported series, where a million PutMetricData datums would take
minutes through boto3. The same rules as PutMetricData apply (API:PutMetricData,
API:MetricDatum), checked in SQL over the whole batch; any bad row rejects the whole batch with
a ``ValueError`` naming the first bad rows, and nothing is stored.

Input columns (one row per datapoint):

* ``timestamp`` (required): when the value was measured (naive times are UTC);
* ``value``: a raw value, or the four StatisticSet columns ``sample_count``, ``sum``,
  ``minimum``, ``maximum`` (a row with ``value`` null uses them);
* ``count`` (optional, default 1): how many times the value occurred, as PutMetricData's ``Counts``;
* ``metric_name``, ``namespace``, ``unit``, ``storage_resolution`` (optional when given as
  arguments, which then apply to every row);
* dimensions: a ``dimensions`` column of JSON text (``[{"Name": …, "Value": …}]``, any order),
  or the columns named in ``dimension_columns`` (column name = dimension name, a null value
  leaves the dimension out), or the ``dimensions`` argument (a dict for every row).

How: the frame is read once into a temporary table. Rules about a datapoint (timestamp, value,
count, resolution) are checked row by row; rules about the metric (namespace, name, unit,
dimensions) once per distinct metric, which is also where its dimensions get their canonical
form. Then one INSERT.

    >>> import pandas as pd
    >>> from awslab import Lab
    >>> lab = Lab(start="2026-01-01T00:00:00Z")
    >>> frame = pd.DataFrame({"timestamp": pd.date_range("2025-12-31T23:00Z", periods=60, freq="min"),
    ...                       "value": range(60)})
    >>> put_datapoints(lab, frame, namespace="Shop", metric_name="Latency", unit="Milliseconds")
    60
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..errors import AWSError
from .metrics import FUTURE_LIMIT, MAX_DIMENSIONS, MAX_NAME_LENGTH, PAST_LIMIT, UNITS, VALUE_LIMIT, validate_put

if TYPE_CHECKING:
    from ..lab import Lab

BACKFILL_LIMIT = timedelta(days=455)
"""How far back ``backfill=True`` accepts timestamps: what CloudWatch still holds."""
SHOWN_PROBLEMS = 5
_counter = itertools.count()
_DIMENSION_LIST = 'STRUCT("Name" VARCHAR, "Value" VARCHAR)[]'

ROW_RULES: list[tuple[str, str]] = [
    ("timestamp IS NULL", "'timestamp is missing'"),
    ("timestamp < $earliest", "'timestamp ' || timestamp || ' is {earliest_text} before the lab clock'"),
    ("timestamp > $latest", "'timestamp ' || timestamp || ' is more than two hours after the lab clock'"),
    ("storage_resolution IS NULL OR storage_resolution NOT IN (1, 60)", "'storage_resolution must be 1 or 60'"),
    ("value IS NULL AND (sample_count IS NULL OR sum IS NULL OR minimum IS NULL OR maximum IS NULL)",
     "'value is missing (or NaN), and there is no statistic set'"),
    ("NOT (coalesce(abs(value), 0) <= {limit} AND coalesce(abs(sample_count), 0) <= {limit} "
     "AND coalesce(abs(sum), 0) <= {limit} AND coalesce(abs(minimum), 0) <= {limit} "
     "AND coalesce(abs(maximum), 0) <= {limit})", "'a value is Infinity or beyond ±2^360'"),
    ("count IS NULL OR NOT (count >= 0 AND count <= {limit})", "'count must be a number, 0 or more'"),
]
"""PutMetricData's rules about one datapoint (API:MetricDatum): (condition a bad row meets, message)."""

METRIC_RULES: list[tuple[str, str]] = [
    ("namespace IS NULL OR length(namespace) > {max_name} OR trim(namespace) = '' "
     "OR NOT regexp_full_match(namespace, '[0-9A-Za-z.\\-_/#: ]+') OR starts_with(namespace, ':')",
     "'namespace ' || coalesce(namespace, 'missing') || ' is invalid'"),
    ("starts_with(namespace, 'AWS/')", "'namespace AWS/ is reserved for AWS services'"),
    ("metric_name IS NULL OR length(metric_name) NOT BETWEEN 1 AND {max_name}",
     "'metric_name must be 1 to {max_name} characters long'"),
    ("unit IS NULL OR unit NOT IN ({units})", "'unit ' || coalesce(unit, 'null') || ' is invalid'"),
    ("dims IS NULL", "'dimensions are not a JSON list of {{\"Name\": …, \"Value\": …}}'"),
    ("len(dims) > {max_dimensions}", "'more than {max_dimensions} dimensions'"),
    ("len(dims) <> len(list_distinct(list_transform(dims, lambda d: d.\"Name\")))",
     "'a dimension name appears twice'"),
    ("len(list_filter(dims, lambda d: d.\"Name\" IS NULL OR d.\"Value\" IS NULL "
     "OR length(d.\"Name\") NOT BETWEEN 1 AND {max_name} OR length(d.\"Value\") NOT BETWEEN 1 AND {max_name})) > 0",
     "'dimension names and values must be 1 to {max_name} characters long'"),
]
"""PutMetricData's rules about the metric a datapoint belongs to, checked once per distinct metric."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _column_or(columns: set[str], name: str, default: Any, sql_type: str) -> str:
    if name in columns:
        return f"CAST({_quote(name)} AS {sql_type})"
    if default is None:
        return f"CAST(NULL AS {sql_type})"
    return f"CAST({_text(str(default))} AS {sql_type})"


def _dimensions_text(columns: set[str], dimensions: dict[str, str] | None,
                     dimension_columns: list[str] | None) -> str:
    """SQL for a row's dimensions as JSON text (any order; made canonical once per metric)."""
    if dimension_columns:
        missing = [name for name in dimension_columns if name not in columns]
        if missing:
            raise ValueError(f"put_datapoints: no column {', '.join(missing)} for dimension_columns")
        items = []
        for name in sorted(dimension_columns):  # sorted by name: already canonical
            head = _text('{"Name":' + _json(name) + ',"Value":')
            items.append(f"CASE WHEN {_quote(name)} IS NOT NULL THEN {head} || "
                         f"to_json(CAST({_quote(name)} AS VARCHAR)) || '}}' END")
        return f"'[' || concat_ws(',', {', '.join(items)}) || ']'"
    if "dimensions" in columns:
        return "coalesce(CAST(dimensions AS VARCHAR), '[]')"
    items = ",".join('{"Name":' + _json(k) + ',"Value":' + _json(v) + "}" for k, v in (dimensions or {}).items())
    return _text(f"[{items}]")


def _json(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def put_datapoints(lab: "Lab", frame: Any, *, namespace: str | None = None, metric_name: str | None = None,
                   dimensions: dict[str, str] | None = None, unit: str | None = None,
                   storage_resolution: int | None = None, dimension_columns: list[str] | None = None,
                   region: str | None = None, backfill: bool = False) -> int:
    """Store a DataFrame (pandas) or Arrow table of datapoints, validated as PutMetricData would.

    ``region`` defaults to the lab's region. ``backfill=True`` accepts timestamps up to 455 days
    old instead of two weeks (for imported history); the retention roll-up then applies at the
    next clock movement (``lab.put_datapoints`` applies it at once). Returns the number of rows
    stored; raises ``ValueError`` (storing nothing) if any row breaks a rule.
    """
    region = region or lab.region
    if region not in lab.regions:
        raise ValueError(f"put_datapoints: the lab simulates {', '.join(lab.regions)}, not {region}")
    if namespace is not None:
        try:
            validate_put(namespace, [{"MetricName": "m", "Value": 0}], lab.now, aws_service=False)
        except AWSError as error:
            raise ValueError(f"put_datapoints: {error.message}") from None
    if unit is not None and unit not in UNITS:
        raise ValueError(f"put_datapoints: the unit {unit} is not one of CloudWatch's units")
    name = f"cloudwatch_bulk_input_{next(_counter)}"
    stage, metrics = f"{name}_stage", f"{name}_metrics"
    db = lab.db
    db.register(name, frame)
    try:
        columns = {row[0] for row in db.execute(f"DESCRIBE {name}").fetchall()}
        if "timestamp" not in columns:
            raise ValueError("put_datapoints: the frame needs a timestamp column")
        if "value" not in columns and not {"sample_count", "sum", "minimum", "maximum"} <= columns:
            raise ValueError("put_datapoints: the frame needs a value column, or sample_count, sum, minimum "
                             "and maximum columns")
        values = {"max_name": MAX_NAME_LENGTH, "max_dimensions": MAX_DIMENSIONS, "limit": repr(VALUE_LIMIT),
                  "units": ", ".join(_text(u) for u in sorted(UNITS)),
                  "earliest_text": "more than 455 days" if backfill else "more than two weeks"}
        row_rules = [(c.format(**values), m.format(**values)) for c, m in ROW_RULES]
        metric_rules = [(c.format(**values), m.format(**values)) for c, m in METRIC_RULES]
        params = {"earliest": lab.now - (BACKFILL_LIMIT if backfill else PAST_LIMIT), "latest": lab.now + FUTURE_LIMIT}
        with lab.transaction():
            # One read of the caller's frame, then columnar passes over the copy.
            db.execute(f"""
                CREATE TEMP TABLE {stage} AS
                SELECT row_number() OVER () - 1 AS row,
                       {_column_or(columns, 'namespace', namespace, 'VARCHAR')} AS namespace,
                       {_column_or(columns, 'metric_name', metric_name, 'VARCHAR')} AS metric_name,
                       {_dimensions_text(columns, dimensions, dimension_columns)} AS dimensions_text,
                       CAST(timestamp AS TIMESTAMPTZ) AS timestamp,
                       {_column_or(columns, 'unit', unit or 'None', 'VARCHAR')} AS unit,
                       {_column_or(columns, 'storage_resolution', storage_resolution or 60, 'INTEGER')} AS storage_resolution,
                       {_column_or(columns, 'value', None, 'DOUBLE')} AS value,
                       {_column_or(columns, 'count', 1, 'DOUBLE')} AS count,
                       {_column_or(columns, 'sample_count', None, 'DOUBLE')} AS sample_count,
                       {_column_or(columns, 'sum', None, 'DOUBLE')} AS sum,
                       {_column_or(columns, 'minimum', None, 'DOUBLE')} AS minimum,
                       {_column_or(columns, 'maximum', None, 'DOUBLE')} AS maximum
                FROM {name}""")
            db.execute(f"""
                CREATE TEMP TABLE {metrics} AS
                SELECT *, to_json(list_sort(dims))::VARCHAR AS dimensions FROM (
                    SELECT namespace, metric_name, unit, dimensions_text,
                           TRY_CAST(TRY_CAST(dimensions_text AS JSON) AS {_DIMENSION_LIST}) AS dims
                    FROM (SELECT DISTINCT namespace, metric_name, unit, dimensions_text FROM {stage}))""")
            _refuse_bad_rows(db, stage, metrics, row_rules, metric_rules, params)
            return db.execute(f"""
                INSERT INTO cloudwatch_datapoints BY NAME
                SELECT $region AS region, $account AS account_id, s.namespace, s.metric_name, m.dimensions,
                       s.timestamp, s.unit, s.storage_resolution, s.storage_resolution AS period,
                       -- a StatisticSet of one repeated value is raw data (metrics.datapoint_rows)
                       CASE WHEN s.value IS NOT NULL THEN s.value
                            WHEN s.minimum = s.maximum AND abs(s.sum - s.minimum * s.sample_count) <= 1e-9 * abs(s.sum)
                            THEN s.minimum END AS value,
                       CASE WHEN s.value IS NULL THEN s.sample_count ELSE s.count END AS count,
                       CASE WHEN s.value IS NULL THEN s.sample_count ELSE s.count END AS sample_count,
                       CASE WHEN s.value IS NULL THEN s.sum ELSE s.value * s.count END AS sum,
                       CASE WHEN s.value IS NULL THEN s.minimum ELSE s.value END AS minimum,
                       CASE WHEN s.value IS NULL THEN s.maximum ELSE s.value END AS maximum,
                       $now AS received_at
                FROM {stage} s JOIN {metrics} m
                  ON s.namespace IS NOT DISTINCT FROM m.namespace AND s.metric_name IS NOT DISTINCT FROM m.metric_name
                 AND s.unit IS NOT DISTINCT FROM m.unit AND s.dimensions_text = m.dimensions_text""",
                {"region": region, "account": lab.account_id, "now": lab.now}).fetchone()[0]
    finally:
        db.execute(f"DROP TABLE IF EXISTS {stage}")
        db.execute(f"DROP TABLE IF EXISTS {metrics}")
        db.unregister(name)


def _refuse_bad_rows(db, stage: str, metrics: str, row_rules: list[tuple[str, str]],
                     metric_rules: list[tuple[str, str]], params: dict[str, Any]) -> None:
    """Raise ValueError naming the first bad rows, if any row or any metric breaks a rule."""
    row_bad = " OR ".join(f"coalesce({condition}, false)" for condition, _ in row_rules)
    metric_bad = " OR ".join(f"coalesce({condition}, true)" for condition, _ in metric_rules)
    bad_metrics = db.execute(f"SELECT count(*) FROM {metrics} WHERE {metric_bad}").fetchone()[0]
    bad_rows = db.execute(f"SELECT count(*) FROM {stage} WHERE {row_bad}", params).fetchone()[0]
    if not bad_metrics and not bad_rows:
        return
    listed = ", ".join(f"CASE WHEN {condition} THEN {message} END" for condition, message in row_rules)
    listed_metric = ", ".join(f"CASE WHEN coalesce({condition}, true) THEN {message} END"
                              for condition, message in metric_rules)
    first = db.execute(f"""
        SELECT s.row, list_filter([{listed}] || coalesce(m.problems, []), lambda p: p IS NOT NULL) AS problems
        FROM {stage} s LEFT JOIN (
            SELECT namespace, metric_name, unit, dimensions_text, [{listed_metric}] AS problems
            FROM {metrics} WHERE {metric_bad}) m
          ON s.namespace IS NOT DISTINCT FROM m.namespace AND s.metric_name IS NOT DISTINCT FROM m.metric_name
         AND s.unit IS NOT DISTINCT FROM m.unit AND s.dimensions_text = m.dimensions_text
        WHERE m.problems IS NOT NULL OR {row_bad}
        ORDER BY s.row LIMIT {SHOWN_PROBLEMS}""", params).fetchall()
    count = db.execute(f"""
        SELECT count(*) FROM {stage} s LEFT JOIN (SELECT * FROM {metrics} WHERE {metric_bad}) m
          ON s.namespace IS NOT DISTINCT FROM m.namespace AND s.metric_name IS NOT DISTINCT FROM m.metric_name
         AND s.unit IS NOT DISTINCT FROM m.unit AND s.dimensions_text = m.dimensions_text
        WHERE m.dimensions_text IS NOT NULL OR {row_bad}""", params).fetchone()[0]
    shown = "; ".join(f"row {row}: {', '.join(found)}" for row, found in first)
    raise ValueError(f"put_datapoints rejected the batch, storing nothing: {count} row(s) break "
                     f"PutMetricData's rules; the first: {shown}")
