"""Bulk ingestion of datapoints: rows per second through ``put_datapoints``, against two baselines.

The same DataFrame (one million datapoints: ten metrics with a dimension each, one value a
second for a little over a day) is stored three ways in the same process:

* ``put_datapoints`` — the bulk path: PutMetricData's rules checked in SQL, then one INSERT;
* raw DuckDB — ``INSERT INTO cloudwatch_datapoints … SELECT … FROM frame`` with no checks at all
  (what the checks cost);
* boto3 PutMetricData through the lab, 1,000 datums a call (the most AWS allows), on a sample of
  the rows (the rate is per datum, so a sample is enough).

    .venv/bin/python benchmarks/metrics_ingest.py            # --rows 1000000 --boto3-rows 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from awslab import Lab

START = pd.Timestamp("2026-01-01T00:00:00Z")


def sample(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "timestamp": START - pd.to_timedelta(np.arange(rows) // 10, unit="s"),
        "metric_name": "Latency",
        "Host": [f"host-{i % 10}" for i in range(rows)],
        "value": rng.gamma(2.0, 30.0, rows).round(3),
    })


def bulk(frame: pd.DataFrame) -> float:
    lab = Lab(start=START.to_pydatetime())
    began = time.perf_counter()
    stored = lab.service_for("cloudwatch").put_datapoints(frame, namespace="Bench", unit="Milliseconds",
                                                          dimension_columns=["Host"])
    elapsed = time.perf_counter() - began
    assert stored == len(frame)
    lab.close()
    return elapsed


def raw(frame: pd.DataFrame) -> float:
    lab = Lab(start=START.to_pydatetime())
    began = time.perf_counter()
    lab.db.execute("""
        INSERT INTO cloudwatch_datapoints BY NAME
        SELECT 'us-east-1' AS region, '123456789012' AS account_id, 'Bench' AS namespace, metric_name,
               '[{"Name":"Host","Value":"' || Host || '"}]' AS dimensions, timestamp, 'Milliseconds' AS unit,
               60 AS storage_resolution, 60 AS period, value, 1.0 AS count, 1.0 AS sample_count, value AS sum,
               value AS minimum, value AS maximum, now() AS received_at
        FROM frame""")
    elapsed = time.perf_counter() - began
    lab.close()
    return elapsed


def through_boto3(frame: pd.DataFrame) -> float:
    lab = Lab(start=START.to_pydatetime())
    cw = lab.client("cloudwatch")
    datums = [{"MetricName": row.metric_name, "Value": row.value, "Unit": "Milliseconds",
               "Timestamp": row.timestamp.to_pydatetime(), "Dimensions": [{"Name": "Host", "Value": row.Host}]}
              for row in frame.itertuples()]
    began = time.perf_counter()
    for start in range(0, len(datums), 1000):
        cw.put_metric_data(Namespace="Bench", MetricData=datums[start:start + 1000])
    elapsed = time.perf_counter() - began
    lab.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--boto3-rows", type=int, default=20_000)
    args = parser.parse_args()
    frame = sample(args.rows)
    bulk_rate = args.rows / min(bulk(frame), bulk(frame))
    raw_rate = args.rows / min(raw(frame), raw(frame))
    boto3_rate = args.boto3_rows / through_boto3(frame.head(args.boto3_rows))
    print(f"put_datapoints: {bulk_rate:,.0f} rows/s over {args.rows:,} rows (rules checked in SQL)")
    print(f"raw DuckDB INSERT, no checks: {raw_rate:,.0f} rows/s; the checks cost {raw_rate / bulk_rate:.1f}x")
    print(f"boto3 PutMetricData, 1,000 datums a call: {boto3_rate:,.0f} datums/s; "
          f"ratio put_datapoints/boto3 = {bulk_rate / boto3_rate:.0f}x")


if __name__ == "__main__":
    main()
