"""Benchmark: evaluating 10,000 alarms every minute over one simulated day.

    .venv/bin/python benchmarks/alarms_eval.py                      # 10,000 alarms, 1,000 metrics, 24 hours
    .venv/bin/python benchmarks/alarms_eval.py --alarms 2000 --hours 2   # a quick run

The lab publishes one datapoint a minute for each of 1,000 metrics — a daily cycle between 10 and
94 with a little noise, so each alarm changes state a few times a day; about one minute in twelve
is missing — each datapoint arriving a minute after its timestamp (a whole day of arrivals is
stored at the start, so the table holds a day however long the run), and 10 alarms watch each
metric (statistics Average/Maximum/Sum/Minimum/SampleCount/p90, periods of 1, 2 and 5 minutes,
N from 1 to 5, every TreatMissingData). ``lab.advance(hours=24)`` then runs 1,440 evaluations of
all 10,000 alarms: 14.4 million alarm evaluations.

Printed:

* the time the alarm job took over the day, per minute and per alarm evaluation, and the
  transitions it wrote;
* the **baseline**, measured in the same run at the same instant: the same evaluations done one
  alarm at a time (one SQL query for the alarm's own range, then ``evaluate_alarm``), as a
  simulator without the batched pass would, on a sample of the alarms; against it, one batched
  evaluation of all alarms at that instant (medians of three alternating rounds); the ratio is
  baseline / batched, per alarm evaluation;
* what one evaluation reads: DuckDB's profile of the batched query (EXPLAIN ANALYZE) gives the
  rows the scan of ``cloudwatch_datapoints`` read, against the rows in the table and the rows in
  the alarms' evaluation ranges.

No timing is asserted; the figures go to benchmarks/alarms_eval.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from awslab import Lab  # noqa: E402
from awslab.cloudwatch import alarms_store as store  # noqa: E402
from awslab.cloudwatch.alarm_evaluation import AlarmConfig, Datapoint, evaluate_alarm, evaluation_windows  # noqa: E402
from awslab.cloudwatch.alarms_job import points_sql  # noqa: E402
from awslab.cloudwatch.statistics import parse_extended_statistic, statistics_sql  # noqa: E402

START = "2026-03-02T00:00:00Z"

DATA_SQL = """
SELECT 'Bench' AS namespace, 'Latency' AS metric_name,
       '[{"Name":"Host","Value":"h' || lpad(CAST(h AS VARCHAR), 4, '0') || '"}]' AS dimensions,
       ?::TIMESTAMPTZ + to_minutes(m) + INTERVAL 20 SECOND AS timestamp, 'Milliseconds' AS unit,
       60 AS storage_resolution, v AS value, 1.0 AS count, 1.0 AS sample_count, v AS sum, v AS minimum,
       v AS maximum, ?::TIMESTAMPTZ + to_minutes(m + 1) AS received_at
FROM (
    SELECT h, m, 50 + 40 * sin(2 * pi() * (m / 1440 + h / 1000)) + 4 * ((hash(h, m) % 1000) / 1000.0) AS v
    FROM range(?) hosts(h), range(?) minutes(m)
    WHERE hash(m, h) % 12 <> 0                    -- about one minute in twelve is missing
)
ORDER BY timestamp, dimensions
"""

# (name, statistic or extended statistic, period, N, M, threshold, operator, treat)
TEMPLATES = [
    ("avg-1", "Average", 60, 1, None, 95.0, "GreaterThanThreshold", None),
    ("avg-3of2", "Average", 60, 3, 2, 90.0, "GreaterThanThreshold", "missing"),
    ("max-5of3", "Maximum", 60, 5, 3, 92.0, "GreaterThanOrEqualToThreshold", "breaching"),
    ("sum-2", "Sum", 60, 2, None, 85.0, "GreaterThanThreshold", "notBreaching"),
    ("p90-3", "p90", 60, 3, None, 90.0, "GreaterThanThreshold", "ignore"),
    ("min-4", "Minimum", 60, 4, None, 25.0, "LessThanThreshold", "missing"),
    ("count-3", "SampleCount", 60, 3, 2, 1.0, "LessThanThreshold", "breaching"),
    ("avg5m-2", "Average", 300, 2, None, 85.0, "GreaterThanThreshold", "notBreaching"),
    ("max5m-3of1", "Maximum", 300, 3, 1, 99.0, "GreaterThanThreshold", "ignore"),
    ("avg2m-5", "Average", 120, 5, 4, 80.0, "GreaterThanThreshold", "missing"),
]


def build(alarms: int, hours: int) -> tuple[Lab, int]:
    hosts = max(1, alarms // len(TEMPLATES))
    lab = Lab(start=START)
    lab.hub.publish("metric_data", {"region": lab.region, "account_id": lab.account_id, "datapoints_sql": DATA_SQL,
                                    "params": [lab.now, lab.now, hosts, max(hours, 24) * 60 + 10]})
    cw = lab.client("cloudwatch")
    for name, stat, period, n, m, threshold, operator, treat in TEMPLATES:
        params = dict(AlarmName=f"{name}-h0000", Namespace="Bench", MetricName="Latency", Period=period,
                      Dimensions=[{"Name": "Host", "Value": "h0000"}], EvaluationPeriods=n, Threshold=threshold,
                      ComparisonOperator=operator)
        params.update({"ExtendedStatistic": stat} if stat.startswith("p") else {"Statistic": stat})
        if m:
            params["DatapointsToAlarm"] = m
        if treat:
            params["TreatMissingData"] = treat
        cw.put_metric_alarm(**params)
    # The other hosts' alarms are copies of these rows (what PutMetricAlarm would write), made in SQL.
    lab.db.execute("""
        INSERT INTO cloudwatch_alarms BY NAME
        SELECT * EXCLUDE (host) REPLACE (
            nextval('cloudwatch_alarm_ids') AS alarm_id,
            replace(alarm_name, 'h0000', host) AS alarm_name,
            replace(alarm_arn, 'h0000', host) AS alarm_arn,
            replace(dimensions, 'h0000', host) AS dimensions)
        FROM (SELECT a.*, 'h' || lpad(CAST(h AS VARCHAR), 4, '0') AS host
              FROM cloudwatch_alarms a, range(1, ?) hosts(h))""", [hosts])
    lab.service_for("cloudwatch")._alarms_changed()
    return lab, hosts * len(TEMPLATES)


def one_at_a_time(lab: Lab, rows: list[dict]) -> float:
    """Seconds to evaluate ``rows`` one alarm at a time: each alarm reads its own range with its own query."""
    db, now = lab.db, lab.now
    started = time.perf_counter()
    for row in rows:
        extended = [parse_extended_statistic(row["extended_statistic"])] if row["extended_statistic"] else []
        windows = evaluation_windows(now, row["period"], row["evaluation_periods"])
        source = """(SELECT CAST(floor((epoch(timestamp) - epoch($start)) / $period) AS BIGINT) AS bucket, unit,
                            value, count, sample_count, sum, minimum, maximum, histogram
                     FROM cloudwatch_datapoints
                     WHERE region = $region AND account_id = $account AND namespace = $namespace
                       AND metric_name = $metric AND dimensions = $dimensions
                       AND timestamp >= $start AND timestamp < $end AND received_at <= $end)"""
        found = db.execute(statistics_sql(source, extended, ("bucket",)), {
            "start": windows[0], "end": now, "period": row["period"], "region": row["region"],
            "account": row["account_id"], "namespace": row["namespace"], "metric": row["metric_name"],
            "dimensions": row["dimensions"]}).fetchall()
        column = {"SampleCount": 1, "Sum": 2, "Average": 3, "Minimum": 4, "Maximum": 5}.get(row["statistic"], 6)
        by_bucket = {r[0]: (r[column], r[1]) for r in found}
        points = [Datapoint(w, *by_bucket.get(k, (None, None))) for k, w in enumerate(windows)]
        evaluate_alarm(AlarmConfig.from_alarm(store.describe_shape(row)), points, current_state=row["state_value"],
                       evaluation_time=now)
    return time.perf_counter() - started


def same_instant(lab: Lab, sample: int, rounds: int = 3) -> tuple[float, float]:
    """Seconds per alarm evaluation, batched and one at a time, measured alternately at the same
    instant (the states are already those of this instant, so neither writes anything): medians."""
    service = lab.service_for("cloudwatch")
    alarms = lab.db.execute("SELECT count(*) FROM cloudwatch_alarms WHERE period >= 60").fetchone()[0]
    rows = store.rows(lab.db, "alarm_type = 'MetricAlarm'")
    rows = rows[::max(1, len(rows) // sample)][:sample]  # every template, every kind of alarm
    batched, single = [], []
    for _ in range(rounds):
        with lab.transaction():
            started = time.perf_counter()
            service._evaluate(lab.now, "minute")
            batched.append((time.perf_counter() - started) / alarms)
        single.append(one_at_a_time(lab, rows) / len(rows))
    return sorted(batched)[rounds // 2], sorted(single)[rounds // 2]


def scan_profile(lab: Lab) -> dict[str, int]:
    """Rows DuckDB's scan of cloudwatch_datapoints read for one batched evaluation (EXPLAIN ANALYZE)."""
    db, now = lab.db, lab.now
    sql = points_sql("minute")
    span = db.execute("SELECT max((evaluation_periods + 2) * period) FROM cloudwatch_alarms").fetchone()[0]
    params = {"end": now, "earliest": now - timedelta(seconds=span), "top_of_hour": now.minute == 0}
    plan = json.loads(db.execute(f"EXPLAIN (ANALYZE, FORMAT json) {sql}", params).fetchall()[0][1])
    scans = []

    def walk(node):
        if node.get("type") == "TABLE_SCAN" and "cloudwatch_datapoints" in node.get("extra_info", {}).get("Table", ""):
            scans.append(node)
        for child in node.get("children", []):
            walk(child)

    for node in plan["operator"]:
        walk(node)
    in_ranges = db.execute("SELECT count(*) FROM cloudwatch_datapoints WHERE timestamp >= ? AND timestamp < ?",
                           [params["earliest"], now]).fetchone()[0]
    return {"table_rows": db.execute("SELECT count(*) FROM cloudwatch_datapoints").fetchone()[0],
            "rows_scanned": sum(s.get("rows_scanned", 0) for s in scans),
            "row_groups_scanned": sum(s.get("row_groups_scanned", 0) for s in scans),
            "row_groups_in_table": max((s.get("total_row_groups_to_scan", 0) for s in scans), default=0),
            "rows_in_the_ranges": in_ranges}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=10_000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--baseline-alarms", type=int, default=1_000)
    args = parser.parse_args()

    lab, alarms = build(args.alarms, args.hours)
    service = lab.service_for("cloudwatch")
    job_seconds = [0.0]
    evaluate = service._evaluate_every_minute

    def timed(instant):
        started = time.perf_counter()
        evaluate(instant)
        job_seconds[0] += time.perf_counter() - started

    next(j for j in lab.scheduler.periodic if j.name == "cloudwatch alarm evaluation").run = timed
    started = time.perf_counter()
    lab.advance(hours=args.hours)
    total = time.perf_counter() - started
    minutes = args.hours * 60
    evaluations = alarms * minutes
    transitions = lab.db.execute("SELECT count(*) FROM cloudwatch_alarm_history "
                                 "WHERE history_item_type = 'StateUpdate'").fetchone()[0]
    batched, baseline = same_instant(lab, args.baseline_alarms)
    scan = scan_profile(lab)

    print(f"{alarms} alarms on {alarms // len(TEMPLATES)} metrics, {args.hours} h of lab time "
          f"({evaluations:,} alarm evaluations, {transitions:,} state changes)")
    print(f"lab.advance: {total:.1f} s, of which the alarm job {job_seconds[0]:.1f} s "
          f"({job_seconds[0] / minutes * 1000:.1f} ms per minute, "
          f"{job_seconds[0] / evaluations * 1e6:.1f} µs per alarm evaluation, state changes included)")
    print(f"at one instant: batched {batched * 1e6:.1f} µs per alarm evaluation; one alarm at a time "
          f"({args.baseline_alarms} alarms) {baseline * 1e6:.0f} µs")
    print(f"ratio one-at-a-time / batched: {baseline / batched:.0f}x")
    print(f"one evaluation read {scan['rows_scanned']:,} of {scan['table_rows']:,} datapoint rows "
          f"({scan['row_groups_scanned']} of {scan['row_groups_in_table']} row groups); "
          f"{scan['rows_in_the_ranges']:,} rows lie inside the alarms' evaluation ranges")


if __name__ == "__main__":
    main()
