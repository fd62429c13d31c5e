"""GetMetricData through boto3: MetricStat queries, expressions, SEARCH over the lab's metrics,
ScanBy, pagination, labels and errors.

API:GetMetricData = https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html,
API:MetricDataQuery = .../APIReference/API_MetricDataQuery.html,
UG:using-metric-math = https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
UG:search-expression-syntax = .../monitoring/search-expression-syntax.html.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pytest

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture
def cw(lab):
    client = lab.client("cloudwatch")
    client.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Requests", "Value": float(v), "Timestamp": at(i), "Unit": "Count"}
        for i, v in enumerate([10, 20, 30, 40, 50])])
    client.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Errors", "Value": float(v), "Timestamp": at(i), "Unit": "Count"}
        for i, v in enumerate([1, 0, 3, 0, 5])])
    lab.advance(minutes=5)
    return client


def stat(query_id, name="Requests", stat="Sum", period=60, namespace="Shop", dims=None, **extra):
    metric = {"Namespace": namespace, "MetricName": name}
    if dims:
        metric["Dimensions"] = [{"Name": k, "Value": v} for k, v in dims.items()]
    return {"Id": query_id, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat, **extra.pop("ms", {})},
            **extra}


def data(cw, *queries, start=T0, end=None, **kw):
    return cw.get_metric_data(MetricDataQueries=list(queries), StartTime=start, EndTime=end or at(5), **kw)


def values(result):
    return list(zip(result["Timestamps"], result["Values"]))


def test_a_metric_stat_query_newest_first_by_default(cw):
    """API:GetMetricData ScanBy: TimestampDescending (the default) returns the newest data first."""
    (result,) = data(cw, stat("m1"))["MetricDataResults"]
    assert result["Id"] == "m1" and result["Label"] == "Requests" and result["StatusCode"] == "Complete"
    assert values(result) == [(at(4), 50.0), (at(3), 40.0), (at(2), 30.0), (at(1), 20.0), (at(0), 10.0)]
    (ascending,) = data(cw, stat("m1"), ScanBy="TimestampAscending")["MetricDataResults"]
    assert ascending["Values"] == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_expressions_labels_and_return_data(cw):
    """UG:using-metric-math: an error rate from two metrics; ReturnData false hides the inputs."""
    response = data(cw, stat("errors", "Errors", ReturnData=False), stat("requests", ReturnData=False),
                    {"Id": "rate", "Expression": "100 * errors / requests", "Label": "Error rate"},
                    ScanBy="TimestampAscending")
    (result,) = response["MetricDataResults"]
    assert (result["Id"], result["Label"]) == ("rate", "Error rate")
    assert result["Values"] == [10.0, 0.0, 10.0, 0.0, 10.0]
    assert response["Messages"] == []


def test_an_expression_without_label_is_labelled_by_its_id(cw):
    (result,) = data(cw, stat("m1", ReturnData=False), {"Id": "doubled", "Expression": "m1 * 2"})["MetricDataResults"]
    assert result["Label"] == "doubled"


def test_division_by_zero_drops_points_and_says_so(cw):
    """UG:using-metric-math: a division by zero drops the data point."""
    (result,) = data(cw, stat("e", "Errors", ReturnData=False), {"Id": "r", "Expression": "10 / e"},
                     ScanBy="TimestampAscending")["MetricDataResults"]
    assert result["Values"] == [10.0, 10 / 3, 2.0]
    assert result["Messages"][0]["Code"] == "ArithmeticError"


def test_max_datapoints_and_next_token(cw):
    """API:GetMetricData MaxDatapoints: "The maximum number of data points the request should return
    before paginating"; NextToken continues."""
    first = data(cw, stat("m1"), stat("m2", "Errors"), MaxDatapoints=3)
    assert [(r["Id"], len(r["Values"]), r["StatusCode"]) for r in first["MetricDataResults"]] == [("m1", 3, "PartialData")]
    second = data(cw, stat("m1"), stat("m2", "Errors"), MaxDatapoints=3, NextToken=first["NextToken"])
    assert [(r["Id"], r["Values"]) for r in second["MetricDataResults"]] == [("m1", [20.0, 10.0]), ("m2", [5.0])]
    paginator = cw.get_paginator("get_metric_data")
    pages = list(paginator.paginate(MetricDataQueries=[stat("m1"), stat("m2", "Errors")], StartTime=T0, EndTime=at(5),
                                    MaxDatapoints=4))
    total = sum(len(r["Values"]) for page in pages for r in page["MetricDataResults"])
    assert total == 10 and "NextToken" not in pages[-1]


def test_an_invalid_next_token(cw):
    assert error_of(lambda: data(cw, stat("m1"), NextToken="not-a-token")) == (
        "InvalidNextToken", "The next token specified is invalid.")


def test_start_time_is_rounded_and_stamps_are_period_starts(cw):
    """API:GetMetricData StartTime: under 15 days old, rounded down to the whole minute."""
    (result,) = data(cw, stat("m1", period=120), start=at(0.5), ScanBy="TimestampAscending")["MetricDataResults"]
    assert values(result) == [(at(0), 30.0), (at(2), 70.0), (at(4), 50.0)]


def test_old_data_needs_a_coarse_period(lab, cw):
    """API:MetricStat Period: StartTime 15–63 days ago needs a multiple of 300 seconds, "or no data
    points in that time range is returned"."""
    lab.advance(days=20)
    assert data(cw, stat("m1", period=60))["MetricDataResults"][0]["Values"] == []
    assert data(cw, stat("m1", period=300))["MetricDataResults"][0]["Values"] == [150.0]


def test_percentile_stats_and_units(lab, cw):
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Values": list(range(1, 101)), "Unit": "Milliseconds", "Timestamp": at(1)},
        {"MetricName": "Latency", "Value": 1000.0, "Unit": "Seconds", "Timestamp": at(1)}])
    results = data(cw, stat("p", "Latency", "p90", ms={"Unit": "Milliseconds"}), stat("s", "Latency", "SampleCount"),
                   stat("none", "Latency", "Sum", ms={"Unit": "Bytes"}))["MetricDataResults"]
    assert [(r["Id"], r["Values"]) for r in results] == [("p", [90.0]), ("s", [101.0]), ("none", [])]


def test_search_over_the_labs_metrics(lab, cw):
    """UG:search-expression-syntax: SEARCH finds the region's metrics by schema and terms; each
    result carries the query's Id; SUM(SEARCH(...)) adds them up."""
    for host in ("web-1", "web-2"):
        cw.put_metric_data(Namespace="Fleet", MetricData=[
            {"MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": host}], "Value": v, "Timestamp": at(i)}
            for i, v in enumerate([10.0, 20.0])])
    cw.put_metric_data(Namespace="Fleet", MetricData=[{"MetricName": "CPU", "Value": 99.0, "Timestamp": at(0)}])
    lab.client("cloudwatch", region_name="eu-west-1").put_metric_data(Namespace="Fleet", MetricData=[
        {"MetricName": "CPU", "Dimensions": [{"Name": "Host", "Value": "web-9"}], "Value": 5.0, "Timestamp": at(0)}])
    search = "SEARCH('{Fleet,Host} MetricName=\"CPU\"', 'Average', 60)"
    results = data(cw, {"Id": "s", "Expression": search}, ScanBy="TimestampAscending")["MetricDataResults"]
    assert sorted((r["Id"], r["Label"], r["Values"][0]) for r in results) == [("s", "web-1", 10.0), ("s", "web-2", 10.0)]
    (total,) = data(cw, {"Id": "t", "Expression": f"SUM({search})", "Label": "fleet"},
                    ScanBy="TimestampAscending")["MetricDataResults"]
    assert total["Values"] == [20.0, 40.0]
    labelled = data(cw, {"Id": "s", "Expression": search, "Label": "[max: ${MAX} CPU for host ${PROP('Dim.Host')}]"})
    assert sorted(r["Label"] for r in labelled["MetricDataResults"]) == [  # UG:graph-dynamic-labels' example
        "[max: 20 CPU for host web-1] web-1", "[max: 20 CPU for host web-2] web-2"]
    assert error_of(lambda: data(cw, {"Id": "s", "Expression": "SEARCH('{Fleet,Host}', 'Median', 60)"}))[0] == \
        "ValidationError"


def test_query_errors(cw):
    """API:GetMetricData: at most 500 queries; Ids and expressions as API:MetricDataQuery says."""
    too_many = [stat(f"m{i}") for i in range(501)]
    assert error_of(lambda: data(cw, *too_many)) == (
        "ValidationError", "The collection MetricDataQueries must not have a size greater than 500.")
    assert error_of(lambda: data(cw, {"Id": "e1", "Expression": "m9 * 2"})) == (
        "ValidationError", "Error in expression e1: Unrecognized metric or expression id m9")
    assert error_of(lambda: data(cw, {"Id": "e1"}))[0] == "ValidationError"
    assert error_of(lambda: data(cw, stat("m1", period=90))) == (
        "InvalidParameterValue",
        "The parameter MetricDataQueries.member.1.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.")
    assert error_of(lambda: data(cw, stat("m1", stat="Median"))) == (
        "InvalidParameterValue",
        "The value Median for parameter MetricDataQueries.member.1.MetricStat.Stat is not supported.")
    assert error_of(lambda: data(cw, stat("m1"), start=at(5), end=at(1)))[0] == "InvalidParameterValue"


def test_label_options_timezone(cw):
    """API:LabelOptions Timezone: + or - then four digits, e.g. +0130."""
    (result,) = data(cw, stat("m1", Label="last at ${LAST_TIME}"), LabelOptions={"Timezone": "+0130"})["MetricDataResults"]
    assert result["Label"] == "last at 2026-01-01T01:34:00+01:30"
    assert error_of(lambda: data(cw, stat("m1"), LabelOptions={"Timezone": "UTC"}))[0] == "InvalidParameterValue"


def test_a_hundred_thousand_points_fit_one_call(lab):
    """API:GetMetricData: up to 100,800 data points per call; more paginate."""
    import pandas as pd

    frame = pd.DataFrame({"timestamp": pd.date_range(T0 - timedelta(hours=2), periods=7200, freq="s"),
                          "value": 1.0})
    lab.service_for("cloudwatch").put_datapoints(frame, namespace="Big", metric_name="m", storage_resolution=1)
    cw = lab.client("cloudwatch")
    queries = [stat(f"m{i}", "m", namespace="Big", period=1) for i in range(15)]
    page = data(cw, *queries, start=T0 - timedelta(hours=2), end=T0)
    assert sum(len(r["Values"]) for r in page["MetricDataResults"]) == 100_800 and "NextToken" in page
