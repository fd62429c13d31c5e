"""AWS service events on the default bus: the hub converters against AWS's documented examples, and
the lab's own services feeding them end to end.

Documented examples: CloudWatch user guide "Alarm events and EventBridge" (single-metric and metric math
samples); EC2 user guide's "EC2 Instance State-change Notification" (as the EventBridge user guide
quotes it); Config developer guide "Example Compliance Change Notification" and "Example Configuration
Item Change Notifications"; EventBridge user guide "Events from AWS services" (CloudTrail delivery, the
List/Get/Describe rule and its STS exceptions) and "Receiving read-only management events".
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from awslab.events import sources

from .conftest import read_queue

ALARM_EXAMPLE = {
    "version": "0", "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92", "detail-type": "CloudWatch Alarm State Change",
    "source": "aws.cloudwatch", "account": "123456789012", "time": "2019-10-02T17:04:40Z", "region": "us-east-1",
    "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"],
    "detail": {
        "alarmName": "ServerCpuTooHigh",
        "configuration": {
            "description": "Goes into alarm when server CPU utilization is too high!",
            "metrics": [{"id": "30b6c6b2-a864-43a2-4877-c09a1afc3b87",
                         "metricStat": {"metric": {"dimensions": {"InstanceId": "i-12345678901234567"},
                                                   "name": "CPUUtilization", "namespace": "AWS/EC2"},
                                        "period": 300, "stat": "Average"},
                         "returnData": True}]},
        "previousState": {
            "reason": "Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was "
                      "not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).",
            "reasonData": "{\"version\":\"1.0\",\"queryDate\":\"2019-10-01T13:56:40.985+0000\",\"startDate\":"
                          "\"2019-10-01T13:46:00.000+0000\",\"statistic\":\"Average\",\"period\":300,"
                          "\"recentDatapoints\":[0.0666851903306472],\"threshold\":50.0}",
            "timestamp": "2019-10-01T13:56:40.987+0000", "value": "OK"},
        "state": {
            "reason": "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was "
                      "greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).",
            "reasonData": "{\"version\":\"1.0\",\"queryDate\":\"2019-10-02T17:04:40.985+0000\",\"startDate\":"
                          "\"2019-10-02T16:59:00.000+0000\",\"statistic\":\"Average\",\"period\":300,"
                          "\"recentDatapoints\":[99.50160229693434],\"threshold\":50.0}",
            "timestamp": "2019-10-02T17:04:40.989+0000", "value": "ALARM"}}}


def without_id(event: dict) -> dict:
    return {k: v for k, v in event.items() if k != "id"}


def alarm_fact(**extra) -> dict:
    detail = ALARM_EXAMPLE["detail"]
    fact = {"alarm_name": "ServerCpuTooHigh", "alarm_arn": ALARM_EXAMPLE["resources"][0], "state": "ALARM",
            "previous_state": "OK", "reason": detail["state"]["reason"], "reason_data": detail["state"]["reasonData"],
            "time": datetime(2019, 10, 2, 17, 4, 40, 989000, tzinfo=timezone.utc), "region": "us-east-1",
            "account_id": "123456789012"}
    return fact | extra


def test_alarm_event_from_the_publishers_detail():
    """The alarms engine builds the detail; the converter wraps it in AWS's envelope."""
    event = sources.alarm_state_event(alarm_fact(event_detail=ALARM_EXAMPLE["detail"]))
    assert without_id(event) == without_id(ALARM_EXAMPLE)
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]


def test_alarm_detail_built_from_describe_alarms_shape():
    """Without a prebuilt detail the converter assembles state and configuration from the fact."""
    configuration = {"AlarmName": "ServerCpuTooHigh", "AlarmDescription": ALARM_EXAMPLE["detail"]["configuration"][
        "description"], "MetricName": "CPUUtilization", "Namespace": "AWS/EC2", "Statistic": "Average",
                     "Dimensions": [{"Name": "InstanceId", "Value": "i-12345678901234567"}], "Period": 300}
    previous = ALARM_EXAMPLE["detail"]["previousState"]
    detail = sources.alarm_state_event(alarm_fact(
        configuration=configuration, previous_reason=previous["reason"], previous_reason_data=previous["reasonData"],
        previous_time=datetime(2019, 10, 1, 13, 56, 40, 987000, tzinfo=timezone.utc)))["detail"]
    expected = json.loads(json.dumps(ALARM_EXAMPLE["detail"]))
    detail["configuration"]["metrics"][0]["id"] = expected["configuration"]["metrics"][0]["id"]   # AWS: a random id
    assert detail == expected


def test_metric_math_alarm_configuration():
    """The documented metric math sample's configuration, from DescribeAlarms' Metrics."""
    described = {"AlarmDescription": "Goes into alarm if total network traffic exceeds 10Kb", "Metrics": [
        {"Id": "e1", "Expression": "SUM(METRICS())", "Label": "Total Network Traffic", "ReturnData": True},
        *[{"Id": f"m{i}", "MetricStat": {"Metric": {"Namespace": "AWS/EC2", "MetricName": name, "Dimensions": [
            {"Name": "InstanceId", "Value": "i-12345678901234567"}]}, "Period": 300, "Stat": "Maximum"},
           "ReturnData": False} for i, name in ((1, "NetworkIn"), (2, "NetworkOut"))]]}
    detail = sources.alarm_detail(alarm_fact(configuration=described))
    assert detail["configuration"] == {
        "description": "Goes into alarm if total network traffic exceeds 10Kb",
        "metrics": [{"id": "e1", "expression": "SUM(METRICS())", "label": "Total Network Traffic", "returnData": True},
                    *[{"id": f"m{i}", "metricStat": {"metric": {"namespace": "AWS/EC2", "name": name, "dimensions": {
                        "InstanceId": "i-12345678901234567"}}, "period": 300, "stat": "Maximum"}, "returnData": False}
                      for i, name in ((1, "NetworkIn"), (2, "NetworkOut"))]]}


def test_ec2_state_change_example():
    """EC2 Instance State-change Notification as the user guide shows it (id aside)."""
    event = sources.ec2_state_event({"instance_id": "i-abcd1111", "state": "pending", "previous_state": None,
                                     "time": datetime(2021, 11, 11, 21, 29, 54, tzinfo=timezone.utc),
                                     "region": "us-east-1", "account_id": "123456789012"})
    assert without_id(event) == {
        "version": "0", "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "123456789012", "time": "2021-11-11T21:29:54Z", "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-abcd1111", "state": "pending"}}


COMPLIANCE_MESSAGE = {
    "awsAccountId": "123456789012", "configRuleName": "cloudtrail-enabled",
    "configRuleARN": "arn:aws:config:us-east-2:123456789012:config-rule/config-rule-9rpvxc",
    "resourceType": "AWS::::Account", "resourceId": "123456789012", "awsRegion": "us-east-2",
    "newEvaluationResult": {"evaluationResultIdentifier": {"evaluationResultQualifier": {
        "configRuleName": "cloudtrail-enabled", "resourceType": "AWS::::Account", "resourceId": "123456789012"},
        "orderingTimestamp": "2016-09-27T19:48:40.619Z"}, "complianceType": "COMPLIANT",
        "resultRecordedTime": "2016-09-27T19:48:41.405Z", "configRuleInvokedTime": "2016-09-27T19:48:40.914Z",
        "annotation": None, "resultToken": None},
    "oldEvaluationResult": {"evaluationResultIdentifier": {"evaluationResultQualifier": {
        "configRuleName": "cloudtrail-enabled", "resourceType": "AWS::::Account", "resourceId": "123456789012"},
        "orderingTimestamp": "2016-09-27T16:30:49.531Z"}, "complianceType": "NON_COMPLIANT",
        "resultRecordedTime": "2016-09-27T16:30:50.717Z", "configRuleInvokedTime": "2016-09-27T16:30:50.105Z",
        "annotation": None, "resultToken": None},
    "notificationCreationTime": "2016-09-27T19:48:42.620Z", "messageType": "ComplianceChangeNotification",
    "recordVersion": "1.0"}


def test_config_compliance_change_example():
    """The documented ComplianceChangeNotification becomes the event's detail."""
    event = sources.config_compliance_event({"message": COMPLIANCE_MESSAGE})
    assert (event["detail-type"], event["source"], event["region"], event["account"]) == (
        "Config Rules Compliance Change", "aws.config", "us-east-2", "123456789012")
    assert event["detail"] == COMPLIANCE_MESSAGE and event["resources"] == []
    assert event["time"] == "2016-09-27T19:48:42Z"
    parts = sources.config_compliance_event({
        "config_rule_name": "cloudtrail-enabled", "config_rule_arn": COMPLIANCE_MESSAGE["configRuleARN"],
        "resource_type": "AWS::::Account", "resource_id": "123456789012", "region": "us-east-2",
        "account_id": "123456789012", "time": datetime(2016, 9, 27, 19, 48, 42, 620000, tzinfo=timezone.utc),
        "new_evaluation_result": COMPLIANCE_MESSAGE["newEvaluationResult"],
        "old_evaluation_result": COMPLIANCE_MESSAGE["oldEvaluationResult"]})
    assert parts["detail"] == COMPLIANCE_MESSAGE


def test_config_item_change_example():
    """A ConfigurationItemChangeNotification (the guide's EC2 instance example, trimmed)."""
    item = {"relatedEvents": [], "relationships": [{"resourceId": "sg-3f1fef43", "resourceName": None,
                                                    "resourceType": "AWS::EC2::SecurityGroup",
                                                    "name": "Is associated with SecurityGroup"}],
            "configuration": {"instanceId": "i-007d374c8912e3e90", "state": {"code": 16, "name": "running"}},
            "configurationItemVersion": "1.3", "configurationItemCaptureTime": "2017-01-09T22:50:14.328Z",
            "configurationStateId": 1484002214328, "awsAccountId": "123456789012", "configurationItemStatus": "OK",
            "resourceType": "AWS::EC2::Instance", "resourceId": "i-007d374c8912e3e90",
            "ARN": "arn:aws:ec2:us-east-2:123456789012:instance/i-007d374c8912e3e90", "awsRegion": "us-east-2",
            "availabilityZone": "us-east-2c", "configurationStateMd5Hash": "",
            "resourceCreationTime": "2017-01-09T20:13:28.000Z"}
    diff = {"changedProperties": {"Configuration.SecurityGroups.1": {
        "previousValue": None, "updatedValue": {"groupName": "example-security-group-2", "groupId": "sg-3f1fef43"},
        "changeType": "CREATE"}}, "changeType": "UPDATE"}
    message = {"configurationItemDiff": diff, "configurationItem": item,
               "notificationCreationTime": "2017-01-09T22:50:15.928Z",
               "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}
    event = sources.config_item_event({"message": message})
    assert (event["detail-type"], event["source"], event["region"]) == ("Config Configuration Item Change",
                                                                        "aws.config", "us-east-2")
    assert event["detail"] == message and event["resources"] == [item["ARN"]]
    built = sources.config_item_event({"configuration_item": item, "configuration_item_diff": diff,
                                       "notification_creation_time": "2017-01-09T22:50:15.928Z",
                                       "region": "us-east-2", "account_id": "123456789012",
                                       "time": datetime(2017, 1, 9, 22, 50, 15, tzinfo=timezone.utc)})
    assert built["detail"] == message


@pytest.mark.parametrize("record, read_only", [
    ({"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "managementEvent": True}, True),
    ({"eventSource": "iam.amazonaws.com", "eventName": "GetRole", "managementEvent": True}, True),
    ({"eventSource": "sts.amazonaws.com", "eventName": "GetSessionToken", "managementEvent": True}, False),
    ({"eventSource": "sts.amazonaws.com", "eventName": "GetFederationToken", "managementEvent": True}, False),
    ({"eventSource": "cloudtrail.amazonaws.com", "eventName": "LookupEvents", "managementEvent": True}, False),
    ({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "managementEvent": False}, False),
    ({"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "managementEvent": True}, False),
])
def test_read_only_management_rule(record, read_only):
    """List/Get/Describe management calls need ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, except STS's
    GetFederationToken and GetSessionToken; other read-only calls (LookupEvents) reach plain rules."""
    assert sources.is_read_only_management(record) is read_only


# ---------------------------------------------------------------------------------------------
# End to end, from the lab's own services

def watch(events, queue, pattern: dict, name: str = "watch", state: str = "ENABLED") -> str:
    url, arn = queue
    events.put_rule(Name=name, EventPattern=json.dumps(pattern), State=state)
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return url


SG_PATTERN = {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"],
              "detail": {"eventName": ["CreateSecurityGroup", "AuthorizeSecurityGroupIngress"]}}


def test_api_calls_reach_the_default_bus_only_with_a_logging_trail(lab, events, queue):
    url = watch(events, queue, SG_PATTERN)
    ec2 = lab.client("ec2")
    ec2.create_security_group(GroupName="no-trail-yet", Description="d")
    assert read_queue(lab, url) == []
    assert lab.sql("SELECT count(*) FROM events_received").fetchall() == [(0,)]


def test_security_group_change_via_cloudtrail(lab, events, queue, trail):
    url = watch(events, queue, SG_PATTERN)
    ec2 = lab.client("ec2")
    group = ec2.create_security_group(GroupName="web", Description="web servers")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    created, opened = read_queue(lab, url)
    record = lab.sql("SELECT record FROM cloudtrail_events WHERE event_name = 'AuthorizeSecurityGroupIngress'"
                     ).fetchall()[0][0]
    assert opened["detail"] == json.loads(record)
    assert (opened["source"], opened["detail-type"], opened["resources"]) == ("aws.ec2", "AWS API Call via CloudTrail", [])
    assert opened["time"] == opened["detail"]["eventTime"] and opened["region"] == "us-east-1"
    assert created["detail"]["eventName"] == "CreateSecurityGroup"


def test_read_only_calls_need_the_opt_in_state(lab, events, queue, trail):
    describe = {"detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["DescribeSecurityGroups"]}}
    plain = watch(events, queue, describe)
    lab.client("ec2").describe_security_groups()
    assert read_queue(lab, plain) == []
    events.put_rule(Name="watch", EventPattern=json.dumps(describe), State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    lab.client("ec2").describe_security_groups()
    (event,) = read_queue(lab, plain)
    assert event["detail"]["eventName"] == "DescribeSecurityGroups"


def test_console_sign_in(lab, events, queue, trail):
    url = watch(events, queue, {"detail-type": ["AWS Console Sign In via CloudTrail"]})
    lab.console_login("root", mfa=False)          # (with MFA a CheckMfa sign-in event comes first)
    (event,) = read_queue(lab, url)
    assert (event["source"], event["detail"]["eventName"]) == ("aws.signin", "ConsoleLogin")
    assert event["detail"]["responseElements"] == {"ConsoleLogin": "Success"}


def test_events_land_in_the_region_of_the_call(lab, events, trail):
    lab.client("ec2", region_name="eu-west-1").create_security_group(GroupName="g", Description="d")
    regions = lab.sql("SELECT DISTINCT region FROM events_received WHERE source = 'aws.ec2'").fetchall()
    assert regions == [("eu-west-1",)]


def test_alarm_and_instance_events_from_the_lab(lab, events, queue):
    """The lab's CloudWatch alarms and EC2 instances put their events on the default bus (no trail needed)."""
    url = watch(events, queue, {"source": ["aws.cloudwatch", "aws.ec2"],
                                "detail-type": ["CloudWatch Alarm State Change", "EC2 Instance State-change Notification"]})
    cw = lab.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="High", MetricName="Load", Namespace="Demo", Statistic="Average", Period=60,
                        EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold")
    cw.put_metric_data(Namespace="Demo", MetricData=[{"MetricName": "Load", "Value": 10}])
    lab.advance(minutes=1)
    instance = lab.client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                                               InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    lab.advance(minutes=2)
    seen = [(e["detail-type"], e["detail"].get("state")) for e in read_queue(lab, url)]
    assert seen[0][0] == "CloudWatch Alarm State Change" and seen[0][1]["value"] == "ALARM"
    assert seen[1:] == [("EC2 Instance State-change Notification", "pending"),
                        ("EC2 Instance State-change Notification", "running")]
    assert lab.sql("SELECT count(*) FROM events_received WHERE event->>'$.detail.instance-id' = ?",
                   [instance]).fetchall() == [(2,)]


def test_config_facts_on_the_hub(lab, events, queue):
    """Config's facts (published here by the test) become events on the region's default bus."""
    url = watch(events, queue, {"source": ["aws.config"], "detail": {"newEvaluationResult": {
        "complianceType": ["NON_COMPLIANT"]}}})
    message = json.loads(json.dumps(COMPLIANCE_MESSAGE).replace("us-east-2", "us-east-1"))
    lab.hub.publish("config_compliance_changed", {"message": message, "region": "us-east-1",
                                                  "account_id": lab.account_id, "time": lab.now})
    assert read_queue(lab, url) == []                     # COMPLIANT: the rule wants NON_COMPLIANT
    message["newEvaluationResult"]["complianceType"] = "NON_COMPLIANT"
    lab.hub.publish("config_compliance_changed", {"message": message, "region": "us-east-1",
                                                  "account_id": lab.account_id, "time": lab.now})
    (event,) = read_queue(lab, url)
    assert event["detail"]["configRuleName"] == "cloudtrail-enabled"


def test_config_items_from_the_lab(lab, events, queue):
    """With AWS Config recording, a new security group arrives as "Config Configuration Item Change"."""
    delivery = pytest.importorskip("awslab.config.delivery")
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="config-bucket")
    s3.put_bucket_policy(Bucket="config-bucket", Policy=json.dumps(delivery.bucket_policy("config-bucket",
                                                                                           lab.account_id)))
    config = lab.client("config")
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": "arn:aws:iam::123456789012:role/config", "recordingGroup": {"allSupported": True}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-bucket"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    url = watch(events, queue, {"source": ["aws.config"], "detail-type": ["Config Configuration Item Change"],
                                "detail": {"configurationItem": {"resourceType": ["AWS::EC2::SecurityGroup"]}}})
    group = lab.client("ec2").create_security_group(GroupName="web", Description="d")["GroupId"]
    lab.advance(minutes=5)
    found = [e for e in read_queue(lab, url) if e["detail"]["configurationItem"]["resourceId"] == group]
    assert found and found[0]["resources"] == [found[0]["detail"]["configurationItem"]["ARN"]]
    assert found[0]["detail"]["messageType"] == "ConfigurationItemChangeNotification"
