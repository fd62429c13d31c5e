"""Alarm actions: only on a state change, through the lab's world as monitoring.amazonaws.com.

Pages: UG:alarm-actions ("Alarms invoke actions only when the alarm changes state", Auto Scaling
"once per minute that the alarm remains in the new state"), UG:UsingAlarmActions (EC2 actions),
UG:Notify_Users_Alarm_Changes (SNS), UG:cloudwatch-and-eventbridge (the state change event),
API:SetAlarmState ("the action configured for the appropriate state is invoked").

SNS, Lambda and Auto Scaling are stood in for by small stub services that record exactly what
CloudWatch sends them; EC2 is the lab's own, and one test runs the lab's own Auto Scaling.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import awslab.lab
from awslab import Lab
from awslab.service import Service

TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:on-alarm"
POLICY = ("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1a2b3c4d-0000-1111-2222-333344445555:"
          "autoScalingGroupName/web:policyName/scale-out")
START = "2026-01-01T00:00:00Z"
RECEIVED: list[tuple[str, dict, str]] = []


class StubSns(Service):
    answers = ("sns",)

    def publish(self, call, params):
        RECEIVED.append(("sns", params, call.principal.name))
        return {"MessageId": "00000000-0000-0000-0000-000000000001"}


class StubLambda(Service):
    answers = ("lambda",)

    def invoke(self, call, params):
        RECEIVED.append(("lambda", params, call.principal.name))
        return {"StatusCode": 202}


class StubAutoScaling(Service):
    answers = ("autoscaling",)

    def execute_policy(self, call, params):
        RECEIVED.append(("autoscaling", params, call.principal.name))
        return {}


@pytest.fixture
def world(monkeypatch):
    RECEIVED.clear()
    monkeypatch.setattr(awslab.lab, "SERVICES", awslab.lab.SERVICES + [
        f"{__name__}:StubSns", f"{__name__}:StubLambda", f"{__name__}:StubAutoScaling"])
    lab = Lab(start=START)
    facts: dict[str, list[dict]] = {"alarm_action": [], "alarm_state_changed": [], "ec2_instance_recovery": []}
    for topic, found in facts.items():
        lab.hub.subscribe(topic, found.append)
    yield lab, lab.client("cloudwatch"), facts
    lab.close()


def alarm(cw, name="orders", **extra):
    params = dict(AlarmName=name, Namespace="Shop", MetricName="Orders", Statistic="Sum", Period=60,
                  EvaluationPeriods=1, Threshold=10.0, ComparisonOperator="GreaterThanThreshold",
                  TreatMissingData="notBreaching", AlarmActions=[TOPIC], OKActions=[TOPIC])
    params.update(extra)
    cw.put_metric_alarm(**params)


def test_sns_notification_in_aws_shape(world):
    """The notification recorded from AWS: Subject 'ALARM: "name" in US East (N. Virginia)', a JSON
    message structure whose default message has AWS's keys in AWS's order, published as
    monitoring.amazonaws.com; history says "Successfully executed action <topic>"."""
    lab, cw, _ = world
    alarm(cw, AlarmDescription="too many orders", Dimensions=[{"Name": "Store", "Value": "Lyon"}])
    cw.set_alarm_state(AlarmName="orders", StateValue="ALARM", StateReason="testing alarm")
    kind, params, caller = RECEIVED[-1]
    assert (kind, caller, params["TopicArn"]) == ("sns", "monitoring.amazonaws.com", TOPIC)
    assert params["Subject"] == 'ALARM: "orders" in US East (N. Virginia)'
    assert params["MessageStructure"] == "json"
    structure = json.loads(params["Message"])
    assert set(structure) == {"default", "sms", "email"}
    message = json.loads(structure["default"])
    assert list(message) == ["AlarmName", "AlarmDescription", "AWSAccountId", "AlarmConfigurationUpdatedTimestamp",
                             "NewStateValue", "NewStateReason", "StateChangeTime", "Region", "AlarmArn",
                             "OldStateValue", "OKActions", "AlarmActions", "InsufficientDataActions", "Trigger"]
    assert (message["NewStateValue"], message["OldStateValue"], message["NewStateReason"]) == \
        ("ALARM", "INSUFFICIENT_DATA", "testing alarm")
    assert message["Region"] == "US East (N. Virginia)" and message["StateChangeTime"] == "2026-01-01T00:00:00.000+0000"
    assert message["Trigger"] == {
        "MetricName": "Orders", "Namespace": "Shop", "StatisticType": "Statistic", "Statistic": "SUM", "Unit": None,
        "Dimensions": [{"value": "Lyon", "name": "Store"}], "Period": 60, "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanThreshold", "Threshold": 10.0, "TreatMissingData": "notBreaching",
        "EvaluateLowSampleCountPercentile": ""}
    assert structure["email"].startswith('You are receiving this email because your Amazon CloudWatch Alarm "orders" '
                                         'in the US East (N. Virginia) region has entered the ALARM state, because '
                                         '"testing alarm" at "Thursday 01 January, 2026 00:00:00 UTC".')
    item = cw.describe_alarm_history(AlarmName="orders", HistoryItemType="Action")["AlarmHistoryItems"][0]
    assert item["HistorySummary"] == f"Successfully executed action {TOPIC}"
    data = json.loads(item["HistoryData"])
    assert (data["actionState"], data["notificationResource"], data["error"]) == ("Succeeded", TOPIC, None)
    assert json.loads(data["publishedMessage"]) == structure


def test_actions_run_only_on_a_state_change(world):
    """UG:alarm-actions: actions run on transitions; an alarm staying in ALARM notifies once."""
    lab, cw, facts = world
    alarm(cw)
    for minute in range(5):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 50.0}])
        lab.advance(minutes=1)
    sent = [json.loads(json.loads(p["Message"])["default"])["NewStateValue"] for k, p, _ in RECEIVED if k == "sns"]
    assert sent == ["ALARM"]
    lab.advance(minutes=3)  # no more data: notBreaching -> OK, once
    sent = [json.loads(json.loads(p["Message"])["default"])["NewStateValue"] for k, p, _ in RECEIVED if k == "sns"]
    assert sent == ["ALARM", "OK"]
    assert [f["state"] for f in facts["alarm_state_changed"]] == ["ALARM", "OK"]


def test_disabled_actions_do_not_run(world):
    lab, cw, facts = world
    alarm(cw, ActionsEnabled=False)
    cw.set_alarm_state(AlarmName="orders", StateValue="ALARM", StateReason="testing")
    assert RECEIVED == [] and facts["alarm_action"] == []
    assert cw.describe_alarms()["MetricAlarms"][0]["StateValue"] == "ALARM"


def test_state_change_fact_carries_the_eventbridge_detail(world):
    """UG:cloudwatch-and-eventbridge, single-metric alarm: detail {alarmName, state, previousState,
    configuration{description, metrics[{id, metricStat{metric{namespace,name,dimensions}, period, stat},
    returnData}]}}; state timestamps with milliseconds and +0000."""
    lab, cw, facts = world
    alarm(cw, AlarmDescription="Goes into alarm when too many orders")
    lab.advance(minutes=1)
    fact = facts["alarm_state_changed"][-1]
    detail = fact["event_detail"]
    assert (fact["state"], fact["previous_state"]) == ("OK", "INSUFFICIENT_DATA")
    assert detail["previousState"] == {"value": "INSUFFICIENT_DATA", "reason": "Unchecked: Initial alarm creation",
                                       "timestamp": "2026-01-01T00:00:00.000+0000"}
    assert detail["state"]["value"] == "OK" and detail["state"]["timestamp"] == "2026-01-01T00:01:00.000+0000"
    assert json.loads(detail["state"]["reasonData"])["version"] == "1.0"
    metric = detail["configuration"]["metrics"][0]
    assert detail["configuration"]["description"] == "Goes into alarm when too many orders"
    assert metric["metricStat"] == {"metric": {"namespace": "Shop", "name": "Orders", "dimensions": {}},
                                    "period": 60, "stat": "Sum"}
    assert metric["returnData"] is True and len(metric["id"]) == 36
    assert fact["configuration"]["AlarmName"] == "orders"


def test_lambda_action_payload(world):
    """The payload an alarm sends a Lambda function (recorded from AWS in LocalStack's snapshot
    test_alarm_lambda_target): source, alarmArn, accountId, time, region, alarmData."""
    lab, cw, _ = world
    alarm(cw, AlarmActions=[FUNCTION], OKActions=[])
    cw.set_alarm_state(AlarmName="orders", StateValue="ALARM", StateReason="testing alarm")
    kind, params, caller = RECEIVED[-1]
    payload = json.loads(params["Payload"])
    assert (kind, caller, params["InvocationType"]) == ("lambda", "monitoring.amazonaws.com", "Event")
    assert list(payload) == ["source", "alarmArn", "accountId", "time", "region", "alarmData"]
    assert payload["alarmData"]["state"] == {"value": "ALARM", "reason": "testing alarm",
                                             "timestamp": "2026-01-01T00:00:00.000+0000"}


def test_autoscaling_action_repeats_every_minute(world):
    """UG:alarm-actions: "For Auto Scaling actions, the alarm continues to invoke the action once per
    minute that the alarm remains in the new state"; the policy is named by its ARN."""
    lab, cw, facts = world
    alarm(cw, AlarmActions=[POLICY], OKActions=[], TreatMissingData="breaching")
    lab.advance(minutes=4)
    invocations = [f for f in facts["alarm_action"] if f["kind"] == "autoscaling"]
    assert len(invocations) == 4
    calls = [(p, caller) for kind, p, caller in RECEIVED if kind == "autoscaling"]
    assert len(calls) == 4 and calls[0][1] == "monitoring.amazonaws.com"
    assert calls[0][0] == {"AutoScalingGroupName": "web", "PolicyName": POLICY, "HonorCooldown": True}
    assert invocations[0]["auto_scaling_group_name"] == "web" and invocations[0]["policy_name"] == "scale-out"
    assert [f.get("repeat", False) for f in invocations] == [False, True, True, True]
    items = cw.describe_alarm_history(AlarmName="orders", HistoryItemType="Action")["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == [f"Successfully executed action {POLICY}"]


def test_missing_target_service_is_a_failed_action():
    """Without SNS in the lab, the attempt is still recorded, as a failed Action."""
    lab = Lab(start=START)
    cw = lab.client("cloudwatch")
    facts: list[dict] = []
    lab.hub.subscribe("alarm_action", facts.append)
    alarm(cw)
    cw.set_alarm_state(AlarmName="orders", StateValue="ALARM", StateReason="testing")
    item = cw.describe_alarm_history(AlarmName="orders", HistoryItemType="Action")["AlarmHistoryItems"][0]
    assert item["HistorySummary"].startswith(f"Failed to execute action {TOPIC}. Received error:")
    assert facts[0]["outcome"] == "Failed" and facts[0]["action_arn"] == TOPIC


def test_ec2_stop_action_calls_stop_instances_as_cloudwatch(world):
    """UG:UsingAlarmActions: the alarm stops the instance; CloudTrail records StopInstances invoked
    by monitoring.amazonaws.com (DESIGN principle 5)."""
    lab, cw, _ = world
    ec2 = lab.client("ec2")
    instance = ec2.run_instances(ImageId="ami-0a1b2c3d4e5f60001", InstanceType="t3.micro", MinCount=1,
                                 MaxCount=1)["Instances"][0]["InstanceId"]
    lab.advance(minutes=2)
    cw.put_metric_alarm(AlarmName="idle", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=1000.0, ComparisonOperator="LessThanThreshold",
                        Dimensions=[{"Name": "InstanceId", "Value": instance}],
                        AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"])
    lab.advance(minutes=2)
    state = ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("stopping", "stopped")
    record = lab.sql("SELECT identity_type, invoked_by, source_ip_address FROM cloudtrail_events "
                     "WHERE event_name = 'StopInstances'").fetchall()
    assert record == [("AWSService", "monitoring.amazonaws.com", "monitoring.amazonaws.com")]
    item = cw.describe_alarm_history(AlarmName="idle", HistoryItemType="Action")["AlarmHistoryItems"][0]
    assert item["HistorySummary"] == "Successfully executed action arn:aws:automate:us-east-1:ec2:stop"


def test_ec2_recover_is_announced(world):
    lab, cw, facts = world
    cw.put_metric_alarm(AlarmName="sys", Namespace="AWS/EC2", MetricName="StatusCheckFailed_System",
                        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        Dimensions=[{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
                        AlarmActions=["arn:aws:automate:us-east-1:ec2:recover"])
    cw.set_alarm_state(AlarmName="sys", StateValue="ALARM", StateReason="testing")
    assert facts["ec2_instance_recovery"][0]["instance_id"] == "i-0123456789abcdef0"
    assert lab.now - facts["ec2_instance_recovery"][0]["time"] == timedelta(0)


def test_email_subscriber_receives_the_alarm():
    """With the lab's SNS: an email subscriber confirms, the alarm fires, the email's subject is AWS's."""
    lab = Lab(start=START)
    sns, cw = lab.client("sns"), lab.client("cloudwatch")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    token = lab.service_for("sns").inbox("oncall@example.com")[-1]["token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    alarm(cw, AlarmActions=[topic], OKActions=[])
    cw.set_alarm_state(AlarmName="orders", StateValue="ALARM", StateReason="testing alarm")
    mail = lab.service_for("sns").inbox("oncall@example.com")[-1]
    assert mail["subject"] == 'ALARM: "orders" in US East (N. Virginia)'
    assert mail["topic_arn"] == topic
    item = cw.describe_alarm_history(AlarmName="orders", HistoryItemType="Action")["AlarmHistoryItems"][0]
    assert item["HistorySummary"] == f"Successfully executed action {topic}"


def test_scaling_policy_adds_instances():
    """UG:alarm-actions with the lab's Auto Scaling: the alarm runs the group's policy, the desired
    capacity grows, instances appear."""
    lab = Lab(start=START)
    autoscaling, cw = lab.client("autoscaling"), lab.client("cloudwatch")
    autoscaling.create_launch_configuration(LaunchConfigurationName="web", ImageId="ami-0a1b2c3d4e5f60001",
                                            InstanceType="t3.micro")
    autoscaling.create_auto_scaling_group(AutoScalingGroupName="web", LaunchConfigurationName="web", MinSize=1,
                                          MaxSize=4, DesiredCapacity=1, AvailabilityZones=["us-east-1a"])
    policy = autoscaling.put_scaling_policy(AutoScalingGroupName="web", PolicyName="scale-out",
                                            PolicyType="SimpleScaling", AdjustmentType="ChangeInCapacity",
                                            ScalingAdjustment=1, Cooldown=60)["PolicyARN"]
    alarm(cw, AlarmActions=[policy], OKActions=[], TreatMissingData="breaching")
    lab.advance(minutes=1)
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2
    lab.advance(minutes=3)  # still in ALARM: invoked again each minute, cooldown permitting
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 4 and len(group["Instances"]) >= 2
    callers = lab.sql("SELECT DISTINCT invoked_by FROM cloudtrail_events WHERE event_name = 'ExecutePolicy'").fetchall()
    assert callers == [("monitoring.amazonaws.com",)]
