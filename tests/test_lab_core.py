"""The Lab: defaults, clock, regions, persistence, clients, unimplemented operations, transactions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import botocore.exceptions
import pytest

from awslab import ClockError, Lab
from awslab.errors import AWSError


def put(cw, name="Hits", value=1.0, **extra):
    cw.put_metric_data(Namespace="Demo", MetricData=[{"MetricName": name, "Value": value, **extra}])


def test_defaults(lab):
    assert lab.now == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert lab.region == "us-east-1"
    assert lab.account_id == "123456789012"
    assert lab.path is None


def test_advance_accepts_units_and_timedelta(lab):
    lab.advance(seconds=30)
    lab.advance(minutes=1)
    lab.advance(hours=1, days=1)
    lab.advance(timedelta(minutes=29, seconds=30))
    assert lab.now == datetime(2026, 1, 2, 1, 31, tzinfo=timezone.utc)
    assert lab.now.tzinfo is not None


def test_clock_never_moves_backwards(lab):
    lab.advance(minutes=5)
    with pytest.raises(ClockError):
        lab.advance(minutes=-1)
    with pytest.raises(ClockError):
        lab.run_until("2026-01-01T00:01:00Z")
    assert lab.now == datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)


def test_clients_are_real_boto3_clients_in_the_labs_region(lab):
    cw = lab.client("cloudwatch")
    assert type(cw).__module__ == "botocore.client"
    assert cw.meta.region_name == "us-east-1"
    assert lab.client("cloudwatch", region_name="eu-west-1").meta.region_name == "eu-west-1"


def test_metrics_live_only_in_their_region(lab):
    put(lab.client("cloudwatch", region_name="eu-west-1"), "EuOnly")
    assert lab.client("cloudwatch").list_metrics()["Metrics"] == []
    names = [m["MetricName"] for m in lab.client("cloudwatch", region_name="eu-west-1").list_metrics()["Metrics"]]
    assert names == ["EuOnly"]


def test_region_outside_the_lab_is_refused_clearly(lab):
    cw = lab.client("cloudwatch", region_name="ap-south-1")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        put(cw)
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert "ap-south-1" in raised.value.response["Error"]["Message"]


def test_botocore_validates_parameters_before_the_lab_sees_them(lab):
    cw = lab.client("cloudwatch")
    with pytest.raises(botocore.exceptions.ParamValidationError):
        cw.put_metric_data(MetricData=[{"MetricName": "x", "Value": 1}])  # Namespace is required
    assert lab.sql("select count(*) from cloudtrail_events").fetchall() == [(0,)]


def test_unimplemented_operation_is_a_clear_client_error(lab):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("cloudwatch").get_dashboard(DashboardName="x")
    error = raised.value.response["Error"]
    assert error["Code"] == "NotImplemented"
    assert "cloudwatch.GetDashboard" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_service_without_simulation_is_a_clear_client_error(lab):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("dynamodb").list_tables()
    assert "dynamodb.ListTables" in raised.value.response["Error"]["Message"]


def test_semantic_error_is_client_error_with_aws_code_and_status(lab):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("cloudwatch").put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "x", "Value": 1}])
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_paginators_come_from_botocore(lab):
    cw = lab.client("cloudwatch")
    cw.put_metric_data(Namespace="Demo", MetricData=[{"MetricName": f"m{i:04d}", "Value": 1} for i in range(1000)])
    cw.put_metric_data(Namespace="Demo", MetricData=[{"MetricName": f"n{i:04d}", "Value": 1} for i in range(200)])
    pages = list(cw.get_paginator("list_metrics").paginate(Namespace="Demo"))
    assert [len(p["Metrics"]) for p in pages] == [500, 500, 200]


def test_mock_routes_plain_boto3_clients_to_the_lab(lab):
    with lab.mock():
        cw = boto3.client("cloudwatch")
        put(cw, "FromMock")
        regional = boto3.Session().client("cloudwatch", region_name="eu-west-1")
        put(regional, "FromSession")
    assert [m["MetricName"] for m in lab.client("cloudwatch").list_metrics()["Metrics"]] == ["FromMock"]
    assert lab.sql("select count(*) from cloudtrail_events where event_name = 'PutMetricData'").fetchall() == [(2,)]


def test_persistent_lab_resumes_clock_and_state(tmp_path):
    path = tmp_path / "lab.duckdb"
    first = Lab(start="2026-03-01T00:00:00Z", path=path, region="eu-west-1")
    put(first.client("cloudwatch"), "Saved")
    first.advance(hours=2)
    first.close()
    again = Lab(path=path)
    assert again.now == datetime(2026, 3, 1, 2, tzinfo=timezone.utc)
    assert again.region == "eu-west-1"
    assert [m["MetricName"] for m in again.client("cloudwatch").list_metrics()["Metrics"]] == ["Saved"]
    # ids continue: a reopened lab never reuses an eventID
    put(again.client("cloudwatch"), "After")
    ids = again.sql("select event_id from cloudtrail_events").fetchall()
    assert len(ids) == len(set(ids)) == 3
    again.close()


def test_a_call_failing_half_way_leaves_no_trace(lab, monkeypatch):
    from awslab.cloudwatch import metrics

    original = metrics.insert_rows

    def insert_then_fail(db, rows):
        original(db, rows)
        assert db.execute("select count(*) from cloudwatch_datapoints").fetchone()[0] == 1
        raise AWSError("InternalFailure", "failed half-way", 500, sender_fault=False)

    monkeypatch.setattr(metrics, "insert_rows", insert_then_fail)
    with pytest.raises(botocore.exceptions.ClientError):
        put(lab.client("cloudwatch"))
    assert lab.sql("select count(*) from cloudwatch_datapoints").fetchall() == [(0,)]
    # the failed call is still in CloudTrail, with its error
    assert lab.sql("select error_code from cloudtrail_events").fetchall() == [("InternalFailure",)]


def test_tables_are_listed_with_descriptions(lab):
    tables = lab.tables()
    assert {"lab_state", "cloudtrail_events", "cloudwatch_datapoints"} <= set(tables)
    assert all(isinstance(text, str) and text for text in tables.values())
    actual = {row[0] for row in lab.sql("select table_name from information_schema.tables").fetchall()}
    assert actual <= set(tables), f"tables without a description: {actual - set(tables)}"


def test_nothing_reads_the_wall_clock(lab):
    put(lab.client("cloudwatch"))
    lab.advance(days=400)
    put(lab.client("cloudwatch"))
    times = [row[0] for row in lab.sql("select event_time from cloudtrail_events order by 1").fetchall()]
    assert times == [datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 2, 5, tzinfo=timezone.utc)]


def test_waiters_poll_on_the_lab_clock(lab):
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId="ami-0abcdef1234567890", InstanceType="t3.micro", MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance])  # would sleep 15 s per poll for real
    state = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running" and lab.now > lab.start
