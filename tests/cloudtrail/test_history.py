"""Event history: LookupEvents and the console's downloads.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html
"""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import botocore.exceptions
import pytest

from awslab import cloudtrail


def names(response):
    return [e["EventName"] for e in response["Events"]]


def test_newest_first_with_the_envelope_fields(lab):
    cw = lab.client("cloudwatch")
    cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1}])
    lab.advance(minutes=1)
    cw.list_metrics()
    events = lab.client("cloudtrail").lookup_events()["Events"]
    assert [e["EventName"] for e in events] == ["ListMetrics", "PutMetricData"]
    first = events[1]
    assert first["ReadOnly"] == "false" and events[0]["ReadOnly"] == "true"
    assert first["EventSource"] == "monitoring.amazonaws.com"
    assert first["Username"] == "learner"
    assert first["AccessKeyId"].startswith("AKIA")
    assert json.loads(first["CloudTrailEvent"])["eventID"] == first["EventId"]
    assert first["EventTime"] == lab.start


def test_only_the_last_90_days(lab):
    lab.client("cloudwatch").list_metrics()
    lab.advance(days=89)
    assert names(lab.client("cloudtrail").lookup_events()) == ["ListMetrics"]
    lab.advance(days=2)
    assert "ListMetrics" not in names(lab.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListMetrics"}]))


def test_only_management_events(lab):
    lab.hub.publish("cloudtrail_event", {"record": {
        "eventVersion": "1.11", "eventTime": "2026-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "awsRegion": "us-east-1", "eventID": "data-1", "eventType": "AwsApiCall",
        "eventCategory": "Data", "managementEvent": False, "readOnly": True, "userIdentity": {"type": "Root"}}})
    lab.client("cloudwatch").list_metrics()
    assert "GetObject" not in names(lab.client("cloudtrail").lookup_events())


def test_each_region_has_its_own_history(lab):
    lab.client("cloudwatch", region_name="eu-west-1").list_metrics()
    assert "ListMetrics" not in names(lab.client("cloudtrail").lookup_events())
    assert "ListMetrics" in names(lab.client("cloudtrail", region_name="eu-west-1").lookup_events())


def test_global_service_events_appear_in_every_region(lab):
    lab.hub.publish("cloudtrail_event", {"record": {
        "eventVersion": "1.11", "eventTime": "2026-01-01T00:00:00Z", "eventSource": "iam.amazonaws.com",
        "eventName": "CreateUser", "awsRegion": "us-east-1", "eventID": "iam-1", "eventType": "AwsApiCall",
        "eventCategory": "Management", "managementEvent": True, "readOnly": False,
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}}})
    for region in lab.regions:
        assert "CreateUser" in names(lab.client("cloudtrail", region_name=region).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}]))


@pytest.mark.parametrize("key, value, expected", [
    ("EventName", "PutMetricData", ["PutMetricData"]),
    ("ReadOnly", "true", ["ListMetrics"]),
    ("ReadOnly", "false", ["PutMetricData"]),
    ("Username", "alice", ["ListMetrics"]),
    ("EventSource", "monitoring.amazonaws.com", ["ListMetrics", "PutMetricData"]),
])
def test_lookup_attributes(lab, key, value, expected):
    lab.client("iam").create_user(UserName="alice")
    lab.client("cloudwatch").put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1}])
    with lab.as_principal("alice"):
        lab.client("cloudwatch").list_metrics()
    found = names(lab.client("cloudtrail").lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}]))
    assert [n for n in found if n not in ("LookupEvents", "CreateUser")] == expected


def test_event_id_and_access_key_attributes(lab):
    lab.client("cloudwatch").list_metrics()
    event = lab.client("cloudtrail").lookup_events()["Events"][0]
    by_id = lab.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": event["EventId"]}])["Events"]
    assert [e["EventId"] for e in by_id] == [event["EventId"]]
    by_key = lab.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": event["AccessKeyId"]}])["Events"]
    assert event["EventId"] in [e["EventId"] for e in by_key]


def test_only_one_lookup_attribute(lab):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("cloudtrail").lookup_events(LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "ReadOnly", "AttributeValue": "true"}])
    assert raised.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_max_results_50_and_paging(lab):
    cw = lab.client("cloudwatch")
    for _ in range(60):
        cw.list_metrics()
    ct = lab.client("cloudtrail")
    first = ct.lookup_events()
    assert len(first["Events"]) == 50 and "NextToken" in first
    second = ct.lookup_events(NextToken=first["NextToken"])
    assert len(second["Events"]) == 10  # the rest of the 60; lookups made since are newer than the page
    assert not {e["EventId"] for e in first["Events"]} & {e["EventId"] for e in second["Events"]}
    pages = list(ct.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 20}))
    assert sum(len(p["Events"]) for p in pages) >= 62
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ct.lookup_events(MaxResults=51)
    assert raised.value.response["Error"]["Code"] == "InvalidMaxResultsException"


def test_time_range(lab):
    cw = lab.client("cloudwatch")
    cw.list_metrics()
    lab.advance(hours=1)
    cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1}])
    ct = lab.client("cloudtrail")
    window = ct.lookup_events(StartTime=lab.start, EndTime=lab.start + timedelta(minutes=30))
    assert names(window) == ["ListMetrics"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        ct.lookup_events(StartTime=lab.now, EndTime=lab.start)
    assert raised.value.response["Error"]["Code"] == "InvalidTimeRangeException"


def test_download_json_and_csv(lab, tmp_path):
    lab.client("cloudwatch").put_metric_data(Namespace="A", MetricData=[{"MetricName": "=cmd", "Value": 1}])
    exported = json.loads(cloudtrail.download_event_history(lab, tmp_path / "h.json").read_text())
    assert [r["eventName"] for r in exported["Records"]] == ["PutMetricData"]
    rows = list(csv.reader(cloudtrail.download_event_history(lab, tmp_path / "h.csv", format="csv").open()))
    assert rows[0] == cloudtrail.history.CSV_COLUMNS if hasattr(cloudtrail, "history") else rows[0][0] == "Event ID"
    assert rows[1][3] == "PutMetricData" and rows[1][2] == "learner"
