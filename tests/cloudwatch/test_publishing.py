"""PutMetricData: every form and limit, with AWS's error codes and messages; bad input stores nothing.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html
"""

from __future__ import annotations

from datetime import timedelta

import botocore.exceptions
import pytest


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def stored(lab):
    return lab.sql("select count(*) from cloudwatch_datapoints").fetchall()[0][0]


@pytest.fixture
def cw(lab):
    return lab.client("cloudwatch")


def test_each_dimension_set_is_a_separate_metric(lab, cw):
    for dims in ([], [{"Name": "Server", "Value": "Prod"}],
                 [{"Name": "Server", "Value": "Prod"}, {"Name": "Domain", "Value": "Rio"}]):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Latency", "Value": 1, "Dimensions": dims}])
    metrics = cw.list_metrics(Namespace="Shop")["Metrics"]
    assert len(metrics) == 3
    # dimension order does not make a new metric
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Latency", "Value": 1, "Dimensions": [
        {"Name": "Domain", "Value": "Rio"}, {"Name": "Server", "Value": "Prod"}]}])
    assert len(cw.list_metrics(Namespace="Shop")["Metrics"]) == 3


def test_list_metrics_filters_by_dimension_name_and_value(cw):
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Value": 1, "Dimensions": [{"Name": "Server", "Value": "Prod"}]},
        {"MetricName": "Latency", "Value": 1, "Dimensions": [{"Name": "Server", "Value": "Beta"}]},
        {"MetricName": "Errors", "Value": 1}])
    assert len(cw.list_metrics(Dimensions=[{"Name": "Server"}])["Metrics"]) == 2
    assert len(cw.list_metrics(Dimensions=[{"Name": "Server", "Value": "Beta"}])["Metrics"]) == 1
    assert [m["MetricName"] for m in cw.list_metrics(MetricName="Errors")["Metrics"]] == ["Errors"]


def test_list_metrics_hides_metrics_without_data_for_two_weeks(lab, cw):
    cw.put_metric_data(Namespace="Old", MetricData=[{"MetricName": "m", "Value": 1}])
    lab.advance(days=14, minutes=1)
    assert cw.list_metrics(Namespace="Old")["Metrics"] == []


@pytest.mark.parametrize("datum, code, message", [
    ({"MetricName": "m", "Value": 1, "Values": [1]}, "InvalidParameterCombination",
     "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both."),
    ({"MetricName": "m", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}},
     "InvalidParameterCombination",
     "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both."),
    ({"MetricName": "m", "Values": [1, 2], "Counts": [1]}, "InvalidParameterValue",
     "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."),
    ({"MetricName": "m", "Value": float("nan")}, "InvalidParameterValue",
     "The value NaN for parameter MetricData.member.1.Value is invalid."),
    ({"MetricName": "m", "Value": float("inf")}, "InvalidParameterValue",
     "The value Infinity for parameter MetricData.member.1.Value is invalid."),
    ({"MetricName": "m", "Value": 2.0 ** 361}, "InvalidParameterValue", None),
    ({"MetricName": "m", "Value": 1, "StorageResolution": 30}, "InvalidParameterValue",
     "The value 30 for parameter MetricData.member.1.StorageResolution is invalid."),
    ({"MetricName": "m", "Value": 1, "Dimensions": [{"Name": f"d{i}", "Value": "v"} for i in range(31)]},
     "InvalidParameterValue", "The collection MetricData.member.1.Dimensions must not have a size greater than 30."),
    ({"MetricName": "m", "Values": list(range(151))}, "InvalidParameterValue", None),
])
def test_invalid_datums_get_aws_errors_and_store_nothing(lab, cw, datum, code, message):
    got_code, got_message = error_of(lambda: cw.put_metric_data(Namespace="Shop", MetricData=[datum]))
    assert got_code == code
    if message:
        assert got_message == message
    assert stored(lab) == 0


def test_one_bad_datum_rejects_the_whole_request(lab, cw):
    error_of(lambda: cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "fine", "Value": 1}, {"MetricName": "bad", "Value": float("nan")}]))
    assert stored(lab) == 0


def test_timestamps_two_weeks_back_and_two_hours_ahead(lab, cw):
    lab.advance(days=20)
    now = lab.now
    cw.put_metric_data(Namespace="T", MetricData=[
        {"MetricName": "m", "Value": 1, "Timestamp": now - timedelta(days=13, hours=23)},
        {"MetricName": "m", "Value": 1, "Timestamp": now + timedelta(hours=1, minutes=59)}])
    assert stored(lab) == 2
    code, message = error_of(lambda: cw.put_metric_data(Namespace="T", MetricData=[
        {"MetricName": "m", "Value": 1, "Timestamp": now - timedelta(days=15)},
        {"MetricName": "m", "Value": 1, "Timestamp": now - timedelta(days=16)}]))
    assert code == "InvalidParameterValue"
    assert message == ("The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.\n"
                       "The parameter MetricData.member.2.Timestamp must specify a time within the past two weeks.")
    # AWS answers a timestamp too far ahead with the same message (as AWS-compatible Eucalyptus does)
    assert error_of(lambda: cw.put_metric_data(Namespace="T", MetricData=[
        {"MetricName": "m", "Value": 1, "Timestamp": now + timedelta(hours=3)}])) == (
        "InvalidParameterValue", "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.")
    assert stored(lab) == 2


def test_at_most_1000_datums(lab, cw):
    cw.put_metric_data(Namespace="N", MetricData=[{"MetricName": "m", "Value": i} for i in range(1000)])
    code, _ = error_of(lambda: cw.put_metric_data(Namespace="N", MetricData=[{"MetricName": "m", "Value": 1}] * 1001))
    assert code == "InvalidParameterValue"
    assert stored(lab) == 1000


def test_reserved_and_malformed_namespaces(cw):
    assert error_of(lambda: cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "m", "Value": 1}])) == (
        "InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
    assert error_of(lambda: cw.put_metric_data(Namespace="bad$name", MetricData=[{"MetricName": "m", "Value": 1}]))[0] == \
        "InvalidParameterValue"


def test_units_are_kept_apart(cw):
    cw.put_metric_data(Namespace="U", MetricData=[{"MetricName": "m", "Value": 1, "Unit": "Seconds"},
                                                   {"MetricName": "m", "Value": 1000, "Unit": "Milliseconds"}])
    result = cw.get_metric_statistics(Namespace="U", MetricName="m", StartTime="2026-01-01T00:00:00Z",
                                      EndTime="2026-01-01T00:01:00Z", Period=60, Statistics=["Sum"])
    assert sorted((p["Unit"], p["Sum"]) for p in result["Datapoints"]) == [("Milliseconds", 1000.0), ("Seconds", 1.0)]
    only = cw.get_metric_statistics(Namespace="U", MetricName="m", StartTime="2026-01-01T00:00:00Z",
                                    EndTime="2026-01-01T00:01:00Z", Period=60, Statistics=["Sum"], Unit="Seconds")
    assert [(p["Unit"], p["Sum"]) for p in only["Datapoints"]] == [("Seconds", 1.0)]
