"""Metric expiration: the roll-up schedule driven by the lab clock.

UG:cloudwatch_concepts#metrics-retention
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention):
data points with a period under 60 s are available for 3 hours, 60 s for 15 days, 300 s for 63 days,
3600 s for 455 days; "data points that are initially published with a shorter period are aggregated
together for long-term storage". API:GetMetricStatistics Period: old data needs a coarse period.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from awslab import Lab

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def cw(lab):
    return lab.client("cloudwatch")


def read(cw, start, end, period, statistics=("SampleCount", "Sum", "Average"), name="m", **kw):
    if "ExtendedStatistics" not in kw:
        kw["Statistics"] = list(statistics)
    points = cw.get_metric_statistics(Namespace="S", MetricName=name, StartTime=start, EndTime=end,
                                      Period=period, **kw)["Datapoints"]
    return sorted(points, key=lambda p: p["Timestamp"])


def rows(lab, name="m"):
    return lab.sql("SELECT period, count(*) FROM cloudwatch_datapoints WHERE metric_name = ? GROUP BY ALL ORDER BY 1",
                   params=[name]).fetchall()


def high_resolution(cw, seconds=120):
    """One value a second for two minutes from T0: 0, 1, 2, …"""
    for start in range(0, seconds, 1000):
        cw.put_metric_data(Namespace="S", MetricData=[
            {"MetricName": "m", "Value": float(s), "StorageResolution": 1, "Timestamp": T0 + timedelta(seconds=s)}
            for s in range(start, min(seconds, start + 1000))])


def test_high_resolution_data_is_readable_at_one_second_for_three_hours(lab, cw):
    high_resolution(cw)
    assert len(read(cw, T0, T0 + timedelta(minutes=2), 1)) == 120
    lab.advance(hours=2, minutes=59)
    assert len(read(cw, T0, T0 + timedelta(minutes=2), 1)) == 120
    assert rows(lab) == [(1, 120)]
    lab.advance(minutes=3)
    # older than three hours: a 1-second period returns nothing, a 60-second period everything
    assert read(cw, T0, T0 + timedelta(minutes=2), 1) == []
    minutes = read(cw, T0, T0 + timedelta(minutes=2), 60)
    assert [(p["SampleCount"], p["Sum"]) for p in minutes] == [(60.0, sum(range(60))), (60.0, sum(range(60, 120)))]
    assert rows(lab) == [(60, 2)]  # one row per minute now


def test_one_minute_data_after_fifteen_days_is_only_five_minute_data(lab, cw):
    cw.put_metric_data(Namespace="S", MetricData=[
        {"MetricName": "m", "Value": float(i), "Timestamp": T0 + timedelta(minutes=i)} for i in range(10)])
    lab.advance(days=14, hours=23)
    assert len(read(cw, T0, T0 + timedelta(minutes=10), 60)) == 10
    lab.advance(hours=2)
    assert read(cw, T0, T0 + timedelta(minutes=10), 60) == []
    five = read(cw, T0, T0 + timedelta(minutes=10), 300)
    assert [(p["SampleCount"], p["Sum"]) for p in five] == [(5.0, 10.0), (5.0, 35.0)]
    assert rows(lab) == [(300, 2)]
    lab.advance(days=49)  # 64 days old: only hours
    assert read(cw, T0, T0 + timedelta(minutes=10), 300) == []
    assert [(p["SampleCount"], p["Sum"]) for p in read(cw, T0, T0 + timedelta(hours=1), 3600)] == [(10.0, 45.0)]
    assert rows(lab) == [(3600, 1)]


def test_data_is_gone_after_455_days(lab, cw):
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": 1.0, "Timestamp": T0}])
    lab.advance(days=454)
    assert len(read(cw, T0, T0 + timedelta(hours=1), 3600)) == 1
    lab.advance(days=1)
    assert read(cw, T0, T0 + timedelta(hours=1), 3600) == []
    assert rows(lab) == []


def test_percentiles_stay_available_after_roll_up(lab, cw):
    """CloudWatch keeps percentiles for aged data; the lab keeps a histogram of values rounded to
    three significant digits, so a percentile moves by at most 0.5 %."""
    values = np.random.default_rng(3).gamma(2.0, 50.0, 3000)
    frame = pd.DataFrame({"timestamp": [T0 + timedelta(milliseconds=300 * i) for i in range(len(values))],
                          "value": values})
    lab.service_for("cloudwatch").put_datapoints(frame, namespace="S", metric_name="m")
    window = (T0, T0 + timedelta(minutes=15))
    before = read(cw, *window, 900, ExtendedStatistics=["p50", "p99", "tm90"])[0]["ExtendedStatistics"]
    lab.advance(days=70)
    after = read(cw, *window, 3600, ExtendedStatistics=["p50", "p99", "tm90"])[0]["ExtendedStatistics"]
    for name in ("p50", "p99", "tm90"):
        assert after[name] == pytest.approx(before[name], rel=0.005)
    basic = read(cw, *window, 3600)[0]
    assert basic["SampleCount"] == 3000 and basic["Sum"] == pytest.approx(values.sum())


def test_statistic_sets_keep_percentiles_unavailable_after_roll_up(lab, cw):
    cw.put_metric_data(Namespace="S", MetricData=[
        {"MetricName": "m", "Timestamp": T0, "StatisticValues": {"SampleCount": 3, "Sum": 6, "Minimum": 1, "Maximum": 3}},
        {"MetricName": "m", "Timestamp": T0, "Values": [4, 5]}])
    lab.advance(days=16)
    (point,) = read(cw, T0, T0 + timedelta(minutes=5), 300, ExtendedStatistics=["p50"])
    assert point["ExtendedStatistics"] == {}
    assert read(cw, T0, T0 + timedelta(minutes=5), 300)[0]["Sum"] == 15.0


def test_units_and_metrics_roll_up_apart(lab, cw):
    cw.put_metric_data(Namespace="S", MetricData=[
        {"MetricName": "m", "Value": 1.0, "Unit": "Seconds", "Timestamp": T0},
        {"MetricName": "m", "Value": 2.0, "Unit": "Count", "Timestamp": T0 + timedelta(minutes=1)},
        {"MetricName": "m", "Value": 3.0, "Unit": "Count", "Timestamp": T0 + timedelta(minutes=2),
         "Dimensions": [{"Name": "Host", "Value": "a"}]}])
    lab.advance(days=16)
    assert lab.sql("SELECT unit, dimensions, sum FROM cloudwatch_datapoints ORDER BY 1, 2").fetchall() == [
        ("Count", "[]", 2.0), ("Count", '[{"Name":"Host","Value":"a"}]', 3.0), ("Seconds", "[]", 1.0)]


def test_stepping_equals_one_jump():
    """The roll-up is a function of the clock, not of how the clock got there."""
    results = []
    for step in (None, timedelta(days=5)):
        lab = Lab(start=T0)
        cw = lab.client("cloudwatch")
        cw.put_metric_data(Namespace="S", MetricData=[
            {"MetricName": "m", "Values": [float(i), float(i) * 2], "Timestamp": T0 + timedelta(minutes=i)}
            for i in range(0, 121, 3)])
        target = T0 + timedelta(days=70)
        while step and lab.now + step < target:
            lab.advance(step)
        lab.run_until(target)
        results.append(lab.sql("SELECT timestamp, period, sample_count, sum, minimum, maximum, histogram "
                               "FROM cloudwatch_datapoints ORDER BY timestamp").fetchall())
        lab.close()
    assert results[0] == results[1] and len(results[0]) == 3


def test_a_reopened_lab_keeps_its_rolled_up_data(tmp_path):
    path = tmp_path / "lab.duckdb"
    lab = Lab(start=T0, path=path)
    lab.client("cloudwatch").put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": 5.0}])
    lab.advance(days=20)
    lab.close()
    again = Lab(path=path)
    assert read(again.client("cloudwatch"), T0, T0 + timedelta(minutes=5), 300)[0]["Sum"] == 5.0
    again.advance(days=440)
    assert rows(again) == []
    again.close()
