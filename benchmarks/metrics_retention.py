"""Advancing the lab clock fifteen months over one million datapoints, against pandas doing the roll-up.

Fifty metrics, one datapoint a minute each for the two weeks before the lab's start (the most
PutMetricData accepts), plus three hours of one-second data for one metric: about 1.02 million
rows. Then:

* ``one jump`` — ``lab.advance(days=456)``: every stage of the roll-up and the expiry at once;
* ``day by day`` — 456 calls of ``lab.advance(days=1)`` on a fresh copy, so the rows go through
  each stage in turn (1-second → 1-minute at 3 hours, 1-minute → 5-minute at 15 days, 5-minute →
  1-hour at 63 days, gone at 455 days), as a learner watching the table would see.

Baseline, in the same process: pandas performing the same roll-ups once on the DataFrame (1 s → 60 s,
60 s → 300 s, 300 s → 3600 s: SampleCount, Sum, Minimum, Maximum and the value histogram per metric
and period) — the work itself, with no clock and no tables. Other services' catch-up jobs run on
every advance too (the lab's world publishes EC2 metrics); their share is included.

    .venv/bin/python benchmarks/metrics_retention.py            # --metrics 50
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from awslab import Lab

START = pd.Timestamp("2026-01-15T00:00:00Z")


def sample(metrics: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    minutes = pd.date_range(START - pd.Timedelta(days=14) + pd.Timedelta(minutes=1), START, freq="min")
    standard = pd.DataFrame({
        "timestamp": np.tile(minutes, metrics),
        "metric_name": np.repeat([f"m{i:02d}" for i in range(metrics)], len(minutes)),
        "storage_resolution": 60,
    })
    seconds = pd.date_range(START - pd.Timedelta(hours=3) + pd.Timedelta(seconds=1), START, freq="s")
    high = pd.DataFrame({"timestamp": seconds, "metric_name": "fast", "storage_resolution": 1})
    frame = pd.concat([standard, high], ignore_index=True)
    frame["value"] = rng.gamma(2.0, 25.0, len(frame)).round(2)
    return frame


def load(frame: pd.DataFrame) -> Lab:
    lab = Lab(start=START.to_pydatetime())
    lab.service_for("cloudwatch").put_datapoints(frame, namespace="Bench")
    return lab


def pandas_roll_up(frame: pd.DataFrame) -> int:
    """The three roll-ups with pandas; returns the rows left after the last one."""
    rows = frame.assign(count=1.0, sum=frame["value"], minimum=frame["value"], maximum=frame["value"],
                        rounded=frame["value"].round(1))
    for period in ("60s", "300s", "3600s"):
        rows = rows.assign(bucket=rows["timestamp"].dt.floor(period))
        keys = ["metric_name", "bucket"]
        totals = rows.groupby(keys).agg(count=("count", "sum"), sum=("sum", "sum"), minimum=("minimum", "min"),
                                        maximum=("maximum", "max"))
        histogram = rows.groupby(keys + ["rounded"])["count"].sum().reset_index()
        totals = totals.reset_index().rename(columns={"bucket": "timestamp"})
        rows = histogram.rename(columns={"bucket": "timestamp"}).merge(totals, on=["metric_name", "timestamp"],
                                                                       suffixes=("", "_total"))
    return len(totals)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metrics", type=int, default=50)
    args = parser.parse_args()
    frame = sample(args.metrics)

    lab = load(frame)
    began = time.perf_counter()
    lab.advance(days=456)
    jump = time.perf_counter() - began
    assert lab.sql("SELECT count(*) FROM cloudwatch_datapoints WHERE namespace = 'Bench'").fetchall() == [(0,)]
    lab.close()

    lab = load(frame)
    service = lab.service_for("cloudwatch")
    spent = [0.0]
    keep = service._keep_retention

    def timed(until):  # how much of each advance is CloudWatch's retention job
        started = time.perf_counter()
        keep(until)
        spent[0] += time.perf_counter() - started

    service._keep_retention = timed
    lab.scheduler.catch_up = [job if job.name != "cloudwatch retention" else type(job)(job.name, timed, job.order)
                              for job in lab.scheduler.catch_up]
    counts = {}
    began = time.perf_counter()
    for day in range(1, 457):
        lab.advance(days=1)
        if day in (1, 16, 64, 455, 456):
            counts[day] = lab.sql("SELECT count(*) FROM cloudwatch_datapoints WHERE namespace = 'Bench'").fetchall()[0][0]
    stepped = time.perf_counter() - began
    lab.close()

    began = time.perf_counter()
    pandas_roll_up(frame)
    baseline = time.perf_counter() - began

    print(f"{len(frame):,} datapoints ({args.metrics} one-minute metrics over 14 days, 3 hours of one-second data)")
    print("rows after 1, 16, 64, 455, 456 days: " + ", ".join(f"{n:,}" for n in counts.values()))
    print(f"advance 456 days in one jump: {jump:.2f} s; day by day (456 advances): {stepped:.1f} s, "
          f"of which CloudWatch's retention job {spent[0]:.1f} s (the rest: the other services' jobs)")
    print(f"pandas, the three roll-ups once: {baseline:.2f} s; ratio retention job day by day / pandas = "
          f"{spent[0] / baseline:.1f}x, one jump / pandas = {jump / baseline:.2f}x")


if __name__ == "__main__":
    main()
