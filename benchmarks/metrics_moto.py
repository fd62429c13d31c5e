"""The same PutMetricData + GetMetricStatistics workload through the lab and through moto, as a ratio.

Workload (identical boto3 calls for both, in the same process):

* 100 PutMetricData calls of 100 datums each (10,000 datapoints: four metrics, five hosts, one
  value every few seconds over the hour before the clock);
* 200 GetMetricStatistics calls, each one metric and host over that hour at a 60-second period
  with the five basic statistics (60 datapoints each).

moto 5 keeps datapoints in Python lists and recomputes each statistic in Python; the lab stores
rows in DuckDB and aggregates in SQL. The answers' totals (SampleCount, Sum) are checked to agree;
the timestamps do not (moto stamps a datapoint with its first value's time, AWS with the period's start).

    .venv/bin/python benchmarks/metrics_moto.py            # --puts 100 --gets 200
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timedelta, timezone

import boto3

from awslab import Lab

NOW = datetime(2026, 1, 1, 1, 0, tzinfo=timezone.utc)
METRICS = ["Latency", "Errors", "Requests", "Bytes"]
HOSTS = [f"host-{i}" for i in range(5)]
STATISTICS = ["SampleCount", "Sum", "Average", "Minimum", "Maximum"]


def puts(count: int) -> list[dict]:
    calls = []
    for call in range(count):
        data = []
        for i in range(100):
            n = call * 100 + i
            data.append({"MetricName": METRICS[n % 4], "Value": float(n % 97), "Unit": "Count",
                         "Timestamp": NOW - timedelta(hours=1) + timedelta(seconds=(n * 3600) // (count * 100)),
                         "Dimensions": [{"Name": "Host", "Value": HOSTS[(n // 4) % 5]}]})
        calls.append({"Namespace": "Bench", "MetricData": data})
    return calls


def gets(count: int) -> list[dict]:
    return [{"Namespace": "Bench", "MetricName": METRICS[i % 4], "Dimensions": [{"Name": "Host", "Value": HOSTS[i % 5]}],
             "StartTime": NOW - timedelta(hours=1), "EndTime": NOW, "Period": 60, "Statistics": STATISTICS,
             "Unit": "Count"} for i in range(count)]


def run(cw, put_calls: list[dict], get_calls: list[dict]) -> tuple[float, float, list]:
    began = time.perf_counter()
    for call in put_calls:
        cw.put_metric_data(**call)
    put_time = time.perf_counter() - began
    answers = []
    began = time.perf_counter()
    for call in get_calls:
        points = cw.get_metric_statistics(**call)["Datapoints"]
        # totals only: moto stamps each datapoint with its first value's time, not the period start
        answers.append((sum(p["SampleCount"] for p in points), round(sum(p["Sum"] for p in points), 6)))
    return put_time, time.perf_counter() - began, answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--puts", type=int, default=100)
    parser.add_argument("--gets", type=int, default=200)
    args = parser.parse_args()
    put_calls, get_calls = puts(args.puts), gets(args.gets)

    lab = Lab(start=NOW)
    lab_put, lab_get, lab_answers = run(lab.client("cloudwatch"), put_calls, get_calls)

    from moto import mock_aws

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        moto_put, moto_get, moto_answers = run(boto3.client("cloudwatch", region_name="us-east-1"), put_calls,
                                               get_calls)
    agree = sum(a == b for a, b in zip(lab_answers, moto_answers))
    lab_total, moto_total = lab_put + lab_get, moto_put + moto_get
    print(f"{args.puts} PutMetricData x 100 datums, then {args.gets} GetMetricStatistics "
          f"({agree}/{len(get_calls)} answers with the same totals)")
    print(f"lab:  put {lab_put:.2f} s, get {lab_get:.2f} s, total {lab_total:.2f} s")
    print(f"moto: put {moto_put:.2f} s, get {moto_get:.2f} s, total {moto_total:.2f} s")
    print(f"ratio moto/lab: put {moto_put / lab_put:.1f}x, get {moto_get / lab_get:.1f}x, "
          f"whole workload {moto_total / lab_total:.1f}x")


if __name__ == "__main__":
    main()
