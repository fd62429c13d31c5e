"""GetMetricStatistics: the basic and extended statistics, Period rules, StartTime rounding, limits.

Pages: UG:publishingMetrics = https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html,
UG:Statistics-definitions = .../monitoring/Statistics-definitions.html,
UG:cloudwatch_concepts = .../monitoring/cloudwatch_concepts.html,
API:GetMetricStatistics / API:GetMetricData = https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pandas as pd
import pytest

from awslab.cloudwatch.reading import period_fits_age, round_start

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture
def cw(lab):
    return lab.client("cloudwatch")


def stats(cw, name="m", namespace="S", start=T0, end=T0 + timedelta(minutes=1), period=60, **kw):
    if "ExtendedStatistics" not in kw:
        kw.setdefault("Statistics", ["SampleCount", "Sum", "Minimum", "Maximum", "Average"])
    return cw.get_metric_statistics(Namespace=namespace, MetricName=name, StartTime=start, EndTime=end,
                                    Period=period, **kw)["Datapoints"]


def extended(cw, *names, name="m", **kw):
    points = stats(cw, name=name, ExtendedStatistics=list(names), **kw)
    assert len(points) == 1
    return points[0]["ExtendedStatistics"]


def put_values(cw, values, name="m", **datum):
    for start in range(0, len(values), 150):  # at most 150 values per datum
        cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": name, "Values": values[start:start + 150],
                                                       "Timestamp": T0, **datum}])


# ------------------------------------------------------------------ basic statistics

def test_the_publishing_example_values_2_4_5(cw):
    """UG:publishingMetrics: three values 2, 4, 5 in one minute → SampleCount 3, Sum 11,
    Minimum 2, Maximum 5, Average 3.6666666666666665."""
    for value in (2, 4, 5):
        cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": value, "Timestamp": T0}])
    (point,) = stats(cw)
    assert (point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"], point["Average"]) == \
        (3.0, 11.0, 2.0, 5.0, 3.6666666666666665)
    assert point["Timestamp"] == T0 and point["Unit"] == "None"


def test_the_statistic_set_example(cw):
    """UG:publishingMetrics "Publish statistic sets": Sum=11, Minimum=2, Maximum=5, SampleCount=3
    reads back as the same statistics; percentiles need raw values, so none come back."""
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Timestamp": T0, "StatisticValues": {
        "Sum": 11, "Minimum": 2, "Maximum": 5, "SampleCount": 3}}])
    (point,) = stats(cw)
    assert (point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"], point["Average"]) == \
        (3.0, 11.0, 2.0, 5.0, 3.6666666666666665)
    assert extended(cw, "p50", "tm90") == {}


def test_values_with_counts(cw):
    """API:MetricDatum Counts: how many times each value occurred."""
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Timestamp": T0, "Values": [1, 10],
                                                   "Counts": [3, 1]}])
    (point,) = stats(cw)
    assert (point["SampleCount"], point["Sum"], point["Average"]) == (4.0, 13.0, 3.25)
    assert extended(cw, "p75", "p76") == {"p75": 1.0, "p76": 10.0}


def test_datapoints_are_stamped_with_the_period_start(cw):
    """UG:cloudwatch_concepts: "data aggregated from 7:00 to 8:00 is stamped 7:00"."""
    cw.put_metric_data(Namespace="S", MetricData=[
        {"MetricName": "m", "Value": v, "Timestamp": T0 + timedelta(minutes=m)} for m, v in ((5, 1), (59, 3), (61, 5))])
    points = stats(cw, end=T0 + timedelta(hours=2), period=3600)
    assert [(p["Timestamp"], p["Sum"]) for p in points] == [(T0, 4.0), (T0 + timedelta(hours=1), 5.0)]


# ------------------------------------------------------------------ extended statistics

def test_extended_statistics_definitions_on_1_to_100(cw):
    """UG:Statistics-definitions on the values 1…100: tm90 drops the top 10 %, TM(10%:90%) both
    ends, IQM = TM(25%:75%), WM clamps to the edges, PR is a percentage of points with lower
    bound exclusive and upper inclusive, TC/TS count and sum the kept points, TS = TM × TC."""
    put_values(cw, list(range(1, 101)))
    found = extended(cw, "p7", "p50", "p99", "p100", "tm90", "TM(10%:90%)", "IQM", "WM(10%:90%)", "wm98", "PR(:30)")
    assert found == {"p7": 7.0, "p50": 50.0, "p99": 99.0, "p100": 100.0, "tm90": 45.5, "TM(10%:90%)": 50.5,
                     "IQM": 50.5, "WM(10%:90%)": 50.5, "wm98": 50.47, "PR(:30)": 30.0}
    found = extended(cw, "PR(10:20)", "tc90", "ts90", "TC(80%:)", "TS(80%:)", "TM(:95%)", "tm99", "p0", "p0.5", "p99.5")
    assert found == {"PR(10:20)": 10.0, "tc90": 90.0, "ts90": 4095.0, "TC(80%:)": 20.0, "TS(80%:)": 1810.0,
                     "TM(:95%)": 48.0, "tm99": 50.0, "p0": 1.0, "p0.5": 1.0, "p99.5": 100.0}


def test_absolute_bounds_exclude_the_lower_and_include_the_upper(cw):
    """UG:Statistics-definitions: TM(150:1000) removes values "lower than or equal to 150, or
    higher than 1000"; TC(0.005:0.030) counts values in (0.005, 0.030]; WM with values clamps."""
    put_values(cw, [100, 150, 151, 500, 1000, 1001])
    assert extended(cw, "TM(150:1000)", "TC(150:1000)", "TS(150:1000)", "PR(:150)", "WM(150:1000)") == {
        "TM(150:1000)": 1651 / 3, "TC(150:1000)": 3.0, "TS(150:1000)": 1651.0, "PR(:150)": 100 * 2 / 6,
        "WM(150:1000)": (150 + 150 + 151 + 500 + 1000 + 1000) / 6}
    put_values(cw, [0.005, 0.01, 0.03, 0.031], name="small")
    assert extended(cw, "TC(0.005:0.030)", "TC(:0.01)", name="small") == {"TC(0.005:0.030)": 2.0, "TC(:0.01)": 2.0}


def test_percentiles_are_nearest_rank(cw):
    """UG:Statistics-definitions: "p95 … means that 95 percent of the data within the period is
    lower than this value"; the lab uses nearest rank, ⌈p·N⌉, in exact decimal arithmetic."""
    put_values(cw, [float(v) for v in range(1, 16)])
    assert extended(cw, "p90", "p10", "p50", "tm90", "TM(10%:)") == {
        "p90": 14.0, "p10": 2.0, "p50": 8.0, "tm90": sum(range(1, 15)) / 14, "TM(10%:)": sum(range(3, 16)) / 13}


@pytest.mark.parametrize("statistic_values, available", [
    ({"SampleCount": 1, "Sum": 7, "Minimum": 7, "Maximum": 7}, True),
    ({"SampleCount": 4, "Sum": 20, "Minimum": 5, "Maximum": 5}, True),
    ({"SampleCount": 4, "Sum": 21, "Minimum": 5, "Maximum": 6}, False),
    ({"SampleCount": 2, "Sum": 7, "Minimum": 7, "Maximum": 7}, False),
])
def test_percentiles_of_statistic_sets(cw, statistic_values, available):
    """UG:Statistics-definitions, "Requirements to use percentiles…": a statistic set supports them
    only if SampleCount is 1 and Min, Max and Sum are equal, or Min = Max and Sum = Min × SampleCount."""
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Timestamp": T0,
                                                   "StatisticValues": statistic_values}])
    found = extended(cw, "p50")
    assert found == ({"p50": float(statistic_values["Minimum"])} if available else {})


def test_a_statistic_set_in_the_period_makes_percentiles_unavailable(cw):
    cw.put_metric_data(Namespace="S", MetricData=[
        {"MetricName": "m", "Timestamp": T0, "Values": [1, 2, 3]},
        {"MetricName": "m", "Timestamp": T0, "StatisticValues": {"SampleCount": 3, "Sum": 6, "Minimum": 1, "Maximum": 3}}])
    assert extended(cw, "p50") == {}


def test_negative_values_make_extended_statistics_unavailable(cw):
    """UG:Statistics-definitions: "these type of statistics are not available for metrics when any
    of the metric values are negative numbers"; the basic statistics still are."""
    put_values(cw, [-1, 2, 3])
    assert extended(cw, "p50", "TM(10%:90%)", "PR(:2)") == {}
    assert stats(cw)[0]["Minimum"] == -1.0


@pytest.mark.parametrize("text", ["p101", "P99", "tm0", "TM(90%:10%)", "TM(10:90%)", "PR(10%:90%)", "pr90",
                                  "TM()", "tm(:90%)", "iqm", "p99.12345678901", "Average", "p-1", "TM(:101%)"])
def test_unsupported_extended_statistics(cw, text):
    """API:GetMetricStatistics ExtendedStatistics: "Specify values between p0.0 and p100"; the
    range syntax of UG:Statistics-definitions; anything else is InvalidParameterValue."""
    put_values(cw, [1, 2, 3])
    assert error_of(lambda: stats(cw, ExtendedStatistics=[text])) == (
        "InvalidParameterValue", f"The value {text} for parameter ExtendedStatistics is not supported.")


# ------------------------------------------------------------------ request rules

def test_statistics_or_extended_statistics_not_both(cw):
    """API:GetMetricStatistics: "you must specify either Statistics or ExtendedStatistics, but not both"."""
    code, _ = error_of(lambda: stats(cw, Statistics=["Sum"], ExtendedStatistics=["p90"]))
    assert code == "InvalidParameterCombination"
    assert error_of(lambda: cw.get_metric_statistics(Namespace="S", MetricName="m", StartTime=T0,
                                                     EndTime=T0 + timedelta(minutes=1), Period=60)) == (
        "InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics")
    assert error_of(lambda: stats(cw, Statistics=["Sum", "p99"])) == (
        "InvalidParameterValue",
        "The parameter Statistics.member.2 must be a value in the set [ Minimum, Maximum, Average, SampleCount, Sum ].")


@pytest.mark.parametrize("period, ok", [(1, True), (5, True), (10, True), (20, True), (30, True), (60, True),
                                        (120, True), (86400, True), (2, False), (45, False), (90, False)])
def test_period_values(cw, period, ok):
    """API:MetricStat Period: "1, 5, 10, 20, 30, 60, or any multiple of 60"."""
    call = lambda: stats(cw, period=period, end=T0 + timedelta(minutes=10))  # noqa: E731
    if ok:
        call()
    else:
        assert error_of(call) == ("InvalidParameterValue",
                                  "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.")


def test_at_most_1440_datapoints(cw):
    """API:GetMetricStatistics: "The maximum number of data points returned from a single call is
    1,440"; the message as AWS recorded it (LocalStack snapshot)."""
    stats(cw, end=T0 + timedelta(days=1), period=60)  # exactly 1,440
    assert error_of(lambda: stats(cw, end=T0 + timedelta(days=1), period=1)) == (
        "InvalidParameterCombination",
        "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the "
        "datapoints requested by increasing Period, or decreasing the time range.")


def test_start_must_precede_end(cw):
    assert error_of(lambda: stats(cw, start=T0, end=T0))[0] == "InvalidParameterValue"
    assert error_of(lambda: stats(cw, start=T0 + timedelta(minutes=1), end=T0))[0] == "InvalidParameterValue"


def test_dimensions_must_match_exactly(cw):
    """UG:cloudwatch_concepts "Dimension combinations": you can only read the combinations you published."""
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": 1, "Timestamp": T0, "Dimensions": [
        {"Name": "Server", "Value": "Prod"}, {"Name": "Domain", "Value": "Rio"}]}])
    assert stats(cw) == []
    assert stats(cw, Dimensions=[{"Name": "Server", "Value": "Prod"}]) == []
    assert len(stats(cw, Dimensions=[{"Name": "Domain", "Value": "Rio"}, {"Name": "Server", "Value": "Prod"}])) == 1


# ------------------------------------------------------------------ StartTime rounding and the period/age rule

@pytest.mark.parametrize("age, expected", [(timedelta(days=1), "12:32:00"), (timedelta(days=20), "12:30:00"),
                                           (timedelta(days=70), "12:00:00")])
def test_start_time_rounding_examples(age, expected):
    """API:GetMetricData StartTime: 12:32:34 is rounded down to 12:32:00 (under 15 days ago),
    12:30:00 (15–63 days) or 12:00:00 (more than 63 days)."""
    start = datetime(2026, 3, 1, 12, 32, 34, tzinfo=timezone.utc)
    assert round_start(start, start + age).strftime("%H:%M:%S") == expected


def test_short_periods_round_to_their_division_of_the_minute():
    """API:GetMetricData StartTime: a query at 01:05:23 for the previous 10 seconds gets data from
    01:05:10; at 15:07:17 for the previous 5 minutes at period 5, from 15:02:15."""
    now = datetime(2026, 3, 1, 1, 5, 23, tzinfo=timezone.utc)
    assert round_start(now - timedelta(seconds=10), now, 10).strftime("%H:%M:%S") == "01:05:10"
    now = datetime(2026, 3, 1, 15, 7, 17, tzinfo=timezone.utc)
    assert round_start(now - timedelta(minutes=5), now, 5).strftime("%H:%M:%S") == "15:02:15"


def test_rounding_seen_through_the_api(lab, cw):
    """A datapoint at 00:32:10 read from StartTime 00:32:34 comes back stamped 00:32:00."""
    lab.advance(hours=1)
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": 1,
                                                   "Timestamp": T0 + timedelta(minutes=32, seconds=10)}])
    points = stats(cw, start=T0 + timedelta(minutes=32, seconds=34), end=T0 + timedelta(minutes=40))
    assert [p["Timestamp"] for p in points] == [T0 + timedelta(minutes=32)]


@pytest.mark.parametrize("age, period, fits", [
    (timedelta(hours=2), 1, True), (timedelta(hours=4), 1, False), (timedelta(hours=4), 60, True),
    (timedelta(days=14), 120, True), (timedelta(days=16), 60, False), (timedelta(days=16), 300, True),
    (timedelta(days=62), 600, True), (timedelta(days=64), 300, False), (timedelta(days=64), 7200, True)])
def test_period_must_fit_the_age_of_the_start_time(age, period, fits):
    """API:GetMetricStatistics Period: 3 h–15 days → multiple of 60, 15–63 days → of 300,
    older → of 3600, "or no data points in that time range is returned"."""
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    assert period_fits_age(period, now - age, now) is fits


def test_a_period_that_does_not_fit_returns_no_datapoints(lab, cw):
    lab.advance(days=10)
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": 1, "Timestamp": lab.now - timedelta(days=9)}])
    start, end = lab.now - timedelta(days=9, hours=1), lab.now
    assert stats(cw, start=start, end=end, period=1200)
    assert stats(cw, start=start, end=start + timedelta(minutes=10), period=30) == []


def test_units_are_aggregated_apart_without_a_unit(cw):
    """UG:cloudwatch_concepts Units: data with different units is aggregated separately."""
    cw.put_metric_data(Namespace="S", MetricData=[{"MetricName": "m", "Value": 2, "Unit": "Seconds", "Timestamp": T0},
                                                  {"MetricName": "m", "Value": 3, "Unit": "Count", "Timestamp": T0}])
    assert sorted((p["Unit"], p["Sum"]) for p in stats(cw)) == [("Count", 3.0), ("Seconds", 2.0)]
    assert [p["Sum"] for p in stats(cw, Unit="Count")] == [3.0]
    assert stats(cw, Unit="Bytes") == []


def test_statistics_over_a_bulk_sample_match_pandas(lab, cw):
    """The SQL statistics agree with pandas on a seeded sample (Average, Sum, nearest-rank p90)."""
    import numpy as np

    values = np.random.default_rng(7).gamma(2.0, 40.0, 5000).round(3)
    frame = pd.DataFrame({"timestamp": [T0 + timedelta(milliseconds=10 * i) for i in range(len(values))],
                          "value": values})
    lab.service_for("cloudwatch").put_datapoints(frame, namespace="S", metric_name="m")
    (point,) = stats(cw)
    assert point["SampleCount"] == 5000 and point["Average"] == pytest.approx(values.mean())
    ordered = np.sort(values)
    assert extended(cw, "p90")["p90"] == ordered[int(np.ceil(0.9 * 5000)) - 1]
