"""The bulk path: DataFrames and Arrow tables of datapoints, checked in SQL by PutMetricData's rules.

API:PutMetricData / API:MetricDatum = https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/,
UG:cloudwatch_concepts = https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa
import pytest

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def put_datapoints(lab, data, **kw):
    """What ``lab.put_datapoints`` delegates to (awslab.cloudwatch.bulk.put_datapoints, then the roll-up)."""
    return lab.service_for("cloudwatch").put_datapoints(data, **kw)


def frame(n=10, **columns):
    base = {"timestamp": [T0 - timedelta(minutes=i + 1) for i in range(n)], "value": [float(i) for i in range(n)]}
    base.update(columns)
    return pd.DataFrame(base)


def stored(lab):
    return lab.sql("SELECT count(*) FROM cloudwatch_datapoints").fetchall()[0][0]


def sums(lab, **dims):
    cw = lab.client("cloudwatch")
    points = cw.get_metric_statistics(Namespace="Bulk", MetricName="m", StartTime=T0 - timedelta(hours=1), EndTime=T0,
                                      Period=3600, Statistics=["Sum", "SampleCount"],
                                      Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()])["Datapoints"]
    return [(p["Sum"], p["SampleCount"]) for p in points]


def test_a_dataframe_reads_back_like_put_metric_data(lab):
    assert put_datapoints(lab, frame(), namespace="Bulk", metric_name="m", dimensions={"Host": "a"}) == 10
    assert sums(lab, Host="a") == [(45.0, 10.0)]
    # the same metric as PutMetricData's: one identity, whatever path published it
    lab.client("cloudwatch").put_metric_data(Namespace="Bulk", MetricData=[
        {"MetricName": "m", "Value": 5.0, "Timestamp": T0 - timedelta(minutes=30), "Dimensions": [{"Name": "Host", "Value": "a"}]}])
    assert sums(lab, Host="a") == [(50.0, 11.0)]
    assert len(lab.client("cloudwatch").list_metrics(Namespace="Bulk")["Metrics"]) == 1


def test_an_arrow_table_and_per_row_columns(lab):
    table = pa.table({"timestamp": [T0 - timedelta(minutes=1)] * 3, "value": [1.0, 2.0, 3.0],
                      "metric_name": ["m", "m", "other"], "count": [2.0, 1.0, 1.0], "unit": ["Count"] * 3})
    assert put_datapoints(lab, table, namespace="Bulk") == 3
    assert sums(lab) == [(4.0, 3.0)]


def test_dimensions_as_json_text_or_columns_are_canonical(lab):
    """UG:cloudwatch_concepts: dimension order does not make a new metric."""
    put_datapoints(lab, frame(2, dimensions=['[{"Name":"Z","Value":"1"},{"Name":"A","Value":"é"}]',
                                             '[{"Value":"é","Name":"A"},{"Name":"Z","Value":"1"}]']),
                   namespace="Bulk", metric_name="m")
    put_datapoints(lab, frame(2, A=["é", "é"], Z=["1", "1"]), namespace="Bulk", metric_name="m",
                   dimension_columns=["Z", "A"])
    (dims,) = lab.sql("SELECT DISTINCT dimensions FROM cloudwatch_datapoints").fetchall()[0:1]
    assert json.loads(dims[0]) == [{"Name": "A", "Value": "é"}, {"Name": "Z", "Value": "1"}]
    assert lab.sql("SELECT count(DISTINCT dimensions) FROM cloudwatch_datapoints").fetchall() == [(1,)]
    assert sums(lab, Z="1", A="é") == [(2.0, 4.0)]


def test_statistic_set_rows(lab):
    data = pd.DataFrame({"timestamp": [T0 - timedelta(minutes=5)] * 2, "value": [None, None],
                         "sample_count": [3.0, 4.0], "sum": [11.0, 20.0], "minimum": [2.0, 5.0], "maximum": [5.0, 5.0]})
    put_datapoints(lab, data, namespace="Bulk", metric_name="m")
    assert sums(lab) == [(31.0, 7.0)]
    # only the repeated-value set (5 × 4) is raw data, as PutMetricData keeps it
    assert lab.sql("SELECT value, count FROM cloudwatch_datapoints ORDER BY sum").fetchall() == [(None, 3.0), (5.0, 4.0)]


@pytest.mark.parametrize("columns, problem", [
    ({"value": [1.0, float("nan")]}, "row 1: value is missing (or NaN)"),
    ({"value": [1.0, float("inf")]}, "row 1: a value is Infinity or beyond ±2^360"),
    ({"value": [1.0, 2.0 ** 361]}, "row 1: a value is Infinity or beyond ±2^360"),
    ({"timestamp": [T0, T0 - timedelta(days=15)]}, "row 1: timestamp 2025-12-17 00:00:00+00 is more than two weeks"),
    ({"timestamp": [T0, T0 + timedelta(hours=3)]}, "row 1: timestamp 2026-01-01 03:00:00+00 is more than two hours after"),
    ({"unit": ["Count", "Furlongs"]}, "row 1: unit Furlongs is invalid"),
    ({"storage_resolution": [1, 30]}, "row 1: storage_resolution must be 1 or 60"),
    ({"metric_name": ["m", "x" * 256]}, "row 1: metric_name must be 1 to 255 characters long"),
    ({"count": [1.0, -1.0]}, "row 1: count must be a number, 0 or more"),
    ({"dimensions": ["[]", json.dumps([{"Name": f"d{i}", "Value": "v"} for i in range(31)])]},
     "row 1: more than 30 dimensions"),
    ({"dimensions": ["[]", '[{"Name":"a","Value":"1"},{"Name":"a","Value":"2"}]']}, "row 1: a dimension name appears twice"),
])
def test_bad_rows_reject_the_whole_batch(lab, columns, problem):
    """API:MetricDatum: values within ±2^360, no NaN or Infinity; StorageResolution 1 or 60;
    timestamps up to two weeks back and two hours ahead; at most 30 dimensions."""
    data = frame(2, **{"metric_name": ["m", "m"], **columns})
    with pytest.raises(ValueError) as raised:
        put_datapoints(lab, data, namespace="Bulk")
    assert problem in str(raised.value) and "1 row(s)" in str(raised.value)
    assert stored(lab) == 0


def test_the_error_names_the_first_bad_rows(lab):
    data = frame(20, value=[float("nan")] * 20)
    with pytest.raises(ValueError) as raised:
        put_datapoints(lab, data, namespace="Bulk", metric_name="m")
    message = str(raised.value)
    assert "20 row(s)" in message and "row 0:" in message and "row 4:" in message and "row 5:" not in message


def test_namespace_and_shape_errors(lab):
    with pytest.raises(ValueError, match="AWS/"):
        put_datapoints(lab, frame(), namespace="AWS/EC2", metric_name="m")
    with pytest.raises(ValueError, match="timestamp column"):
        put_datapoints(lab, pd.DataFrame({"value": [1.0]}), namespace="Bulk", metric_name="m")
    with pytest.raises(ValueError, match="namespace missing"):
        put_datapoints(lab, frame(), metric_name="m")


def test_backfill_accepts_fifteen_months_and_rolls_up_at_once(lab):
    """UG:cloudwatch_concepts#metrics-retention: data older than 63 days is kept as 1-hour data."""
    old = pd.DataFrame({"timestamp": [T0 - timedelta(days=100, minutes=i) for i in range(120)], "value": 1.0})
    with pytest.raises(ValueError):
        put_datapoints(lab, old, namespace="Bulk", metric_name="m")
    put_datapoints(lab, old, namespace="Bulk", metric_name="m", backfill=True)
    assert lab.sql("SELECT period, sum(sample_count) FROM cloudwatch_datapoints GROUP BY ALL").fetchall() == [(3600, 120.0)]


def test_the_engine_function_alone(lab):
    from awslab.cloudwatch.bulk import put_datapoints as engine

    assert engine(lab, frame(), namespace="Bulk", metric_name="m") == 10
