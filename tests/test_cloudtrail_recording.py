"""Every call the lab answers becomes a CloudTrail record of the real shape.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
"""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from awslab.gateway import is_read_only

REQUIRED_FIELDS = {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
                   "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID",
                   "eventID", "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory"}


def records(lab):
    return [json.loads(r[0]) for r in lab.sql("select record from cloudtrail_events order by event_time").fetchall()]


def test_successful_call_record_has_every_field(lab):
    lab.advance(minutes=3)
    lab.client("cloudwatch", region_name="eu-west-1").put_metric_data(
        Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 2}])
    (record,) = records(lab)
    assert REQUIRED_FIELDS <= set(record)
    assert record["eventSource"] == "monitoring.amazonaws.com"
    assert record["eventName"] == "PutMetricData"
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventTime"] == "2026-01-01T00:03:00Z"
    assert record["eventType"] == "AwsApiCall"
    assert record["readOnly"] is False
    assert record["managementEvent"] is True and record["eventCategory"] == "Management"
    assert record["recipientAccountId"] == "123456789012"
    assert record["requestParameters"]["namespace"] == "Shop"
    assert record["userAgent"].startswith("Boto3/")
    assert "errorCode" not in record


def test_failed_call_record_carries_error_code_and_message(lab):
    with pytest.raises(botocore.exceptions.ClientError):
        lab.client("cloudwatch").put_metric_data(Namespace="AWS/X", MetricData=[{"MetricName": "m", "Value": 1}])
    row = lab.sql("select error_code, error_message, event_name from cloudtrail_events").fetchall()
    assert row == [("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.", "PutMetricData")]


@pytest.mark.parametrize("operation, read_only", [
    ("DescribeAlarms", True), ("GetMetricData", True), ("ListMetrics", True), ("LookupEvents", True),
    ("HeadObject", True), ("PutMetricData", False), ("DeleteAlarms", False), ("RunInstances", False),
    ("StopLogging", False), ("CreateTrail", False),
])
def test_read_only_follows_the_operation_verb(operation, read_only):
    assert is_read_only(operation) is read_only


def test_list_call_is_read_only_and_has_no_response_elements(lab):
    lab.client("cloudwatch").list_metrics()
    (record,) = records(lab)
    assert record["readOnly"] is True
    assert record["responseElements"] is None


def test_identity_of_default_user(lab):
    lab.client("cloudwatch").list_metrics()
    identity = records(lab)[0]["userIdentity"]
    assert identity["type"] == "IAMUser"
    assert identity["userName"] == "learner"
    assert identity["arn"] == "arn:aws:iam::123456789012:user/learner"
    assert identity["principalId"].startswith("AIDA")
    assert identity["accessKeyId"].startswith("AKIA")


def test_identity_of_root_role_and_service(lab):
    lab.client("iam").create_role(RoleName="Auditor", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))
    with lab.as_principal("root"):
        lab.client("cloudwatch").list_metrics()
    with lab.as_principal("role/Auditor/alice-session"):
        lab.client("cloudwatch").list_metrics()
    lab.service_client("cloudwatch", "autoscaling.amazonaws.com").list_metrics()
    root, role, service = (r["userIdentity"] for r in records(lab) if r["eventName"] == "ListMetrics")
    assert root == {"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root",
                    "accountId": "123456789012", "accessKeyId": root["accessKeyId"]}
    assert role["type"] == "AssumedRole"
    assert role["arn"] == "arn:aws:sts::123456789012:assumed-role/Auditor/alice-session"
    assert role["principalId"].endswith(":alice-session")
    assert role["sessionContext"]["sessionIssuer"]["arn"] == "arn:aws:iam::123456789012:role/Auditor"
    assert role["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert service == {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}
    actors = [r[0] for r in lab.sql("select actor from cloudtrail_events where event_name = 'ListMetrics' "
                                    "order by source_index").fetchall()]
    assert actors == ["root", "Auditor/alice-session", "autoscaling.amazonaws.com"]
    source = lab.sql("select source_ip_address from cloudtrail_events where identity_type is null or "
                     "identity_type = 'AWSService'").fetchall()
    assert source == [("autoscaling.amazonaws.com",)]


def test_as_principal_nests_and_restores(lab):
    for name in ("alice", "bob"):
        lab.client("iam").create_user(UserName=name)
    with lab.as_principal("alice"):
        with lab.as_principal("bob"):
            lab.client("cloudwatch").list_metrics()
        lab.client("cloudwatch").list_metrics()
    lab.client("cloudwatch").list_metrics()
    assert [r["userIdentity"]["userName"] for r in records(lab) if r["eventName"] == "ListMetrics"] == \
        ["bob", "alice", "learner"]


def test_as_principal_refuses_someone_the_account_does_not_have(lab):
    with pytest.raises(LookupError):
        with lab.as_principal("mallory"):
            pass


def test_typed_columns_match_the_record(lab):
    lab.client("cloudwatch").list_metrics()
    row = lab.sql("select event_source, event_name, aws_region, read_only, event_category, management_event, "
                  "identity_type, identity_user_name, source_file from cloudtrail_events").fetchall()
    assert row == [("monitoring.amazonaws.com", "ListMetrics", "us-east-1", True, "Management", True,
                    "IAMUser", "learner", "lab")]


def test_event_ids_are_unique_and_deterministic():
    from awslab import Lab

    def ids():
        lab = Lab(start="2026-01-01T00:00:00Z")
        for _ in range(3):
            lab.client("cloudwatch").list_metrics()
        return [r[0] for r in lab.sql("select event_id from cloudtrail_events").fetchall()]

    first = ids()
    assert len(set(first)) == 3
    assert first == ids()
