"""GetMetricStatistics with percentiles over ten million datapoints, against pandas on the same data.

The datapoints (one metric, one day, about 6,900 a minute) go in through the bulk path; then
GetMetricStatistics asks for p50, p90, p99 and p99.9 at a one-minute period (1,440 periods, the
most one call may return), and in a second call for tm99. Baseline, in the same process: pandas
computing the same nearest-rank percentiles and trimmed mean per minute from the DataFrame it
already holds (sort, rank within the minute, pick ranks), i.e. what a learner would write by hand.
The script checks that both agree before timing.

    .venv/bin/python benchmarks/metrics_percentiles.py            # --rows 10000000 --rounds 2
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import numpy as np
import pandas as pd

from awslab import Lab

PERCENTILES = (0.5, 0.9, 0.99, 0.999)
CALLS = {"percentiles": ["p50", "p90", "p99", "p99.9"], "trimmed mean": ["tm99"]}


def sample(rows: int, start: pd.Timestamp, seed: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, 86_400_000, rows))  # milliseconds over one day
    values = rng.gamma(3.0, 20.0, rows).round(2)
    return pd.DataFrame({"timestamp": start + pd.to_timedelta(offsets, unit="ms"), "value": values})


def ranked_minutes(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    ranked = frame.assign(minute=frame["timestamp"].dt.floor("min")).sort_values(["minute", "value"])
    groups = ranked.groupby("minute", sort=True)
    return ranked, groups.cumcount().to_numpy() + 1, groups["value"].transform("size").to_numpy()


def pandas_percentiles(frame: pd.DataFrame) -> pd.DataFrame:
    """p50, p90, p99, p99.9 per minute with pandas: sort, rank within the minute, pick ⌈q·N⌉."""
    ranked, position, size = ranked_minutes(frame)
    return pd.DataFrame({f"p{q * 100:g}": ranked.loc[position == np.maximum(np.ceil(np.round(q * size, 6)), 1)]
                         .set_index("minute")["value"] for q in PERCENTILES})


def pandas_trimmed(frame: pd.DataFrame) -> pd.DataFrame:
    """tm99 per minute with pandas: the mean of the points ranked up to ⌈0.99·N⌉."""
    ranked, position, size = ranked_minutes(frame)
    kept = ranked.loc[position <= np.ceil(np.round(0.99 * size, 6))]
    return pd.DataFrame({"tm99": kept.groupby("minute")["value"].mean()})


BASELINES = {"percentiles": pandas_percentiles, "trimmed mean": pandas_trimmed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    lab = Lab(start="2026-01-02T00:00:00Z")
    start = pd.Timestamp("2026-01-01T00:00:00Z")
    frame = sample(args.rows, start)
    began = time.perf_counter()
    lab.service_for("cloudwatch").put_datapoints(frame, namespace="Bench", metric_name="Latency",
                                                 unit="Milliseconds")
    loaded = time.perf_counter() - began
    cw = lab.client("cloudwatch")
    print(f"{args.rows:,} datapoints loaded through the bulk path in {loaded:.1f} s "
          f"({args.rows / loaded:,.0f} rows/s)")

    for name, statistics in CALLS.items():
        def ask() -> list[dict]:
            return cw.get_metric_statistics(
                Namespace="Bench", MetricName="Latency", StartTime=start.to_pydatetime(),
                EndTime=(start + timedelta(days=1)).to_pydatetime(), Period=60,
                ExtendedStatistics=statistics)["Datapoints"]

        points = ask()
        expected = BASELINES[name](frame)
        got = pd.DataFrame({p["Timestamp"]: p["ExtendedStatistics"] for p in points}).T.sort_index()
        assert len(got) == len(expected) == 1440
        assert np.allclose(got[list(expected.columns)].to_numpy(), expected.to_numpy(), rtol=1e-12), name
        lab_times, pandas_times = [], []
        for _ in range(args.rounds):
            began = time.perf_counter()
            ask()
            lab_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            BASELINES[name](frame)
            pandas_times.append(time.perf_counter() - began)
        lab_best, pandas_best = min(lab_times), min(pandas_times)
        print(f"{name} ({', '.join(statistics)}) per minute over 1,440 periods: GetMetricStatistics {lab_best:.2f} s; "
              f"pandas, same answers: {pandas_best:.2f} s; ratio pandas/lab = {pandas_best / lab_best:.1f}x")


if __name__ == "__main__":
    main()
