"""The metrics notebooks' widgets and exercises, driven by setting ``.value`` on their controls."""

from __future__ import annotations

from datetime import timedelta

import matplotlib
import pandas as pd
import pytest

from awslab.lessons.metrics import (
    GUIDE_IF, T0, expiration_exercises, math_exercises, metric_query, minutes, statistics_exercises,
)
from awslab.plots import period_text, plot_datapoints, plot_metric
from awslab.widgets.metrics import (
    as_table, expiration_explorer, math_playground, monitoring_explorer, statistics_explorer,
)

matplotlib.use("Agg")


@pytest.fixture
def shop(lab):
    """Latency values every minute for an hour, five per minute; the lab clock an hour on."""
    cw = lab.client("cloudwatch")
    cw.put_metric_data(Namespace="Shop", MetricData=[{
        "MetricName": "Latency", "Unit": "Milliseconds", "Timestamp": lab.now + timedelta(minutes=minute),
        "Values": [10.0 + minute, 20.0, 30.0, 40.0, 500.0 if minute % 10 == 0 else 50.0]} for minute in range(60)])
    start = lab.now
    lab.advance(hours=1)
    return cw, start


def test_statistics_explorer_follows_its_controls(shop):
    cw, start = shop
    box, model = statistics_explorer(cw, "Shop", "Latency", start=start, end=start + timedelta(hours=1))
    assert model.stat == "Average" and len(model.result["Values"]) == 12
    box.choice.value = "percentile"
    box.percentile.value = 99.0
    assert model.stat == "p99" and max(model.result["Values"]) == 500.0
    box.period.value = 3600
    assert len(model.result["Values"]) == 1
    box.choice.value = "trimmed mean"
    assert model.stat == "tm99" and model.result["Values"][0] < 50
    box.choice.value = "IQM"
    assert model.stat == "IQM" and box.percentile.disabled


def test_math_playground_shows_results_tree_and_errors(lab):
    cw = lab.client("cloudwatch")
    for name, values in GUIDE_IF.items():
        cw.put_metric_data(Namespace="Guide", MetricData=minutes(values, name, start=lab.now))
    start = lab.now
    lab.advance(minutes=10)
    queries = [metric_query(name, "Guide", name) for name in GUIDE_IF]
    box, model = math_playground(cw, queries, start=start, end=start + timedelta(minutes=5),
                                 examples={"IF": "IF(m1, m2, m3)"})
    # UG:using-metric-math, "Using IF expressions": IF(m1, m2, m3) = [30, 0, 20, -, -]
    assert [r["Values"] for r in model.results] == [[30.0, 0.0, 20.0]]
    assert "IF(...)" in model.tree
    box.expression.value = "m1 +"
    assert model.error.startswith("ValidationError") and model.results == []
    box.expression.value = "m9 * 2"
    assert "Unrecognized metric or expression id m9" in model.error
    box.menu.value = "IF(m1, m2, m3)"
    assert box.expression.value == "IF(m1, m2, m3)" and not model.error
    table = as_table(model.results)
    assert table.loc["e1"].tolist() == ["30", "0", "20"]


def test_monitoring_explorer_switches_instance_period_and_statistic(lab):
    ec2 = lab.client("ec2")
    ids = {}
    for name, kind, detailed in (("xen-basic", "t2.micro", False), ("nitro-basic", "t3.micro", False),
                                 ("nitro-detailed", "t3.micro", True)):
        ids[name] = ec2.run_instances(ImageId="ami-0abcdef1234567890", InstanceType=kind, MinCount=1, MaxCount=1,
                                      Monitoring={"Enabled": detailed})["Instances"][0]["InstanceId"]
    start = lab.now
    lab.advance(minutes=31)
    box, model = monitoring_explorer(lab.client("cloudwatch"), ids, start=start, end=start + timedelta(minutes=30))
    assert {p["SampleCount"] for p in model.points} == {1.0}  # Xen, basic: one sample per five minutes
    box.instance.value = "nitro-basic"
    assert max(p["SampleCount"] for p in model.points) == 5.0  # Nitro, basic: five samples per datapoint
    box.instance.value = "nitro-detailed"
    box.period.value = 60
    assert len(model.points) >= 29 and "SampleCount" in model.table().columns
    box.stat.value = "Maximum"
    assert "Maximum" in model.table().columns


def test_expiration_explorer_keeps_a_snapshot_per_age(lab):
    frame = pd.DataFrame({"timestamp": [lab.now + timedelta(seconds=s) for s in range(0, 3600, 2)], "value": 1.0})
    first = lab.now
    lab.advance(hours=1)
    lab.service_for("cloudwatch").put_datapoints(frame, namespace="Demo", metric_name="hits", storage_resolution=1)
    stops = (("now", timedelta(hours=1, minutes=5)), ("3 hours", timedelta(hours=4, minutes=5)),
             ("15 days", timedelta(days=15, hours=2)), ("63 days", timedelta(days=63, hours=2)),
             ("455 days", timedelta(days=455, hours=2)))
    box, model = expiration_explorer(lab, "Demo", "hits", first=first, span=timedelta(hours=1), stops=stops)
    assert model.snapshot.rows == {1: 1800} and model.snapshot.answers[1][0] == 720  # 24 minutes
    box.slider.value = "3 hours"
    assert model.snapshot.rows == {60: 60} and model.snapshot.answers[1] == (0, 0)
    assert model.snapshot.answers[60] == (60, 1800.0)
    box.slider.value = "15 days"
    assert model.snapshot.rows == {300: 12} and model.snapshot.answers[60] == (0, 0)
    box.slider.value = "63 days"
    assert model.snapshot.rows == {3600: 1} and model.snapshot.answers[3600] == (1, 1800.0)
    box.slider.value = "455 days"
    assert model.snapshot.rows == {} and model.snapshot.answers[3600] == (0, 0)
    q1, q2, q3 = expiration_exercises(model)
    assert q1.check({300: 12}) and not q1.check({60: 12})
    assert q2.check({300, 600, 3600}) and not q2.check({60, 300})
    assert q3.check("12:30:00") and not q3.check("12:32:00")


def test_statistics_and_math_exercises_check_with_the_engine(lab):
    q1, q2, q3 = statistics_exercises(lab)
    assert q1.check(9.0) and not q1.check(9.5)
    assert q2.check({"SampleCount": 4, "Sum": 20, "Minimum": 5, "Maximum": 5})
    assert not q2.check({"SampleCount": 4, "Sum": 21, "Minimum": 5, "Maximum": 6})
    assert q3.check(5.5) and not q3.check(103.0)
    m1, m2, m3 = math_exercises()
    assert m1.check("100 * errors / requests") and not m1.check("errors / requests")
    assert not m1.check("errors +")  # a syntax error is a wrong answer, not a crash
    assert m2.check([30.0, 0.0, None, None, None]) and not m2.check([30.0, None, None, None, None])
    assert m3.check("FILL(m1, 0)") and not m3.check("m1")


def test_plots_label_statistic_period_and_unit(shop):
    cw, start = shop
    ax = plot_metric(cw, "Shop", "Latency", start=start, end=start + timedelta(hours=1), stat="p99", period=300,
                     unit="Milliseconds")
    assert "p99 · 5 minutes" in ax.get_title() and ax.get_ylabel() == "Milliseconds"
    points = cw.get_metric_statistics(Namespace="Shop", MetricName="Latency", StartTime=start,
                                      EndTime=start + timedelta(hours=1), Period=600,
                                      ExtendedStatistics=["p50"])["Datapoints"]
    ax = plot_datapoints(points, "p50", period=600)
    assert "p50 · 10 minutes" in ax.get_title() and ax.get_ylabel() == "Milliseconds"
    assert len(ax.get_lines()[0].get_xdata()) == 6
    assert period_text(86400) == "1 day"


def test_lesson_helpers():
    assert [d["Timestamp"] for d in minutes([1, None, 3], "m")] == [T0, T0 + timedelta(minutes=2)]
