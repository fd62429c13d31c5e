"""PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, Enable/DisableAlarmActions,
SetAlarmState and alarm tags through boto3, with AWS's shapes and errors.

Pages: API:PutMetricAlarm, API:DescribeAlarms, API:DeleteAlarms, API:SetAlarmState
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_<Op>.html). Shapes are the
ones recorded from AWS in LocalStack's snapshot tests (test_cloudwatch.snapshot.json:
test_describe_minimal_metric_alarm, test_set_alarm_invalid_input); error texts quoted in
awslab/cloudwatch/alarms_validate.py.
"""

from __future__ import annotations

import json
from datetime import timedelta

import botocore.exceptions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SNS = "arn:aws:sns:us-east-1:123456789012:ops"


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture
def cw(lab):
    return lab.client("cloudwatch")


def simple(**extra):
    params = dict(AlarmName="cpu-high", Namespace="Shop", MetricName="Orders", Statistic="Sum", Period=60,
                  EvaluationPeriods=1, Threshold=30.0, ComparisonOperator="GreaterThanThreshold")
    params.update(extra)
    return params


def test_minimal_metric_alarm_is_described_as_aws_does(cw):
    """test_describe_minimal_metric_alarm (AWS-recorded): INSUFFICIENT_DATA, "Unchecked: Initial alarm
    creation", empty action lists and Dimensions, no description, unit or TreatMissingData."""
    cw.put_metric_alarm(**simple())
    response = cw.describe_alarms()
    assert response["CompositeAlarms"] == []
    alarm = response["MetricAlarms"][0]
    assert set(alarm) == {"ActionsEnabled", "AlarmActions", "AlarmArn", "AlarmConfigurationUpdatedTimestamp",
                          "AlarmName", "ComparisonOperator", "Dimensions", "EvaluationPeriods",
                          "InsufficientDataActions", "MetricName", "Namespace", "OKActions", "Period", "StateReason",
                          "StateTransitionedTimestamp", "StateUpdatedTimestamp", "StateValue", "Statistic",
                          "Threshold"}
    assert alarm["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high"
    assert (alarm["StateValue"], alarm["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")
    assert alarm["Dimensions"] == [] and alarm["ActionsEnabled"] is True


def test_every_parameter_is_kept(cw):
    """API:PutMetricAlarm: every documented parameter comes back from DescribeAlarms."""
    params = simple(ExtendedStatistic="p99", AlarmDescription="slow orders",
                    Dimensions=[{"Name": "Store", "Value": "Lyon"}], Unit="Seconds", EvaluationPeriods=5,
                    DatapointsToAlarm=3, TreatMissingData="notBreaching", EvaluateLowSampleCountPercentile="ignore",
                    OKActions=[SNS], AlarmActions=[SNS], InsufficientDataActions=[SNS], ActionsEnabled=False,
                    Tags=[{"Key": "team", "Value": "shop"}])
    del params["Statistic"]
    cw.put_metric_alarm(**params)
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert alarm["ExtendedStatistic"] == "p99" and "Statistic" not in alarm
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"], alarm["Unit"]) == (5, 3, "Seconds")
    assert alarm["TreatMissingData"] == "notBreaching" and alarm["EvaluateLowSampleCountPercentile"] == "ignore"
    assert alarm["AlarmActions"] == [SNS] and alarm["ActionsEnabled"] is False
    tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "shop"}]


def test_update_keeps_state_and_tags(lab, cw):
    """API:PutMetricAlarm: "When you update an existing alarm, its state is left unchanged, but the update
    completely overwrites the previous configuration"; tags of an update are ignored."""
    cw.put_metric_alarm(**simple(Tags=[{"Key": "a", "Value": "1"}]))
    cw.set_alarm_state(AlarmName="cpu-high", StateValue="ALARM", StateReason="testing")
    cw.put_metric_alarm(**simple(Threshold=50.0, Tags=[{"Key": "b", "Value": "2"}]))
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"], alarm["Threshold"]) == ("ALARM", "testing", 50.0)
    assert cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "a", "Value": "1"}]
    history = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="ConfigurationUpdate")["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == 'Alarm "cpu-high" updated'
    data = json.loads(history[0]["HistoryData"])
    assert data["type"] == "Update" and data["updatedAlarm"]["threshold"] == 50.0
    assert data["originalUpdatedFields"]["threshold"] == 30.0


@pytest.mark.parametrize("extra, code, message", [
    (dict(EvaluationPeriods=2, DatapointsToAlarm=3), "ValidationError",
     "DatapointsToAlarm must be less than or equal to EvaluationPeriods"),
    (dict(Period=60, EvaluationPeriods=1441), "ValidationError",
     "The total evaluation period (Period x EvaluationPeriods = 86460 seconds) must not exceed 86400 seconds."),
    (dict(Period=3600, EvaluationPeriods=169), "ValidationError",
     "The total evaluation period (Period x EvaluationPeriods = 608400 seconds) must not exceed 604800 seconds."),
    (dict(Period=45), "InvalidParameterValue", "The parameter Period must be 10, 20, 30, or a multiple of 60."),
    (dict(ExtendedStatistic="p99"), "InvalidParameterCombination",
     "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both."),
    (dict(Statistic=None, ExtendedStatistic="q99"), "InvalidParameterValue",
     "The value q99 for parameter ExtendedStatistic is not supported."),
    (dict(TreatMissingData="zero"), "ValidationError",
     "Option zero is not supported. Supported options for parameter TreatMissingData are missing, ignore, "
     "breaching and notBreaching."),
    (dict(EvaluateLowSampleCountPercentile="maybe"), "ValidationError",
     "Option maybe is not supported. Supported options for parameter EvaluateLowSampleCountPercentile are "
     "evaluate and ignore."),
    (dict(AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"]), "ValidationError",
     "Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2 instance."),
    (dict(AlarmActions=["not-an-arn"]), "ValidationError", "Invalid arn syntax: not-an-arn"),
])
def test_put_metric_alarm_errors(cw, extra, code, message):
    """API:PutMetricAlarm's rules (periods: "Period multiplied by EvaluationPeriods can't be more than 604,800
    seconds ... less than one hour ... can't be longer than one day"); bad input stores nothing."""
    params = {k: v for k, v in simple(**extra).items() if v is not None}
    assert error_of(lambda: cw.put_metric_alarm(**params)) == (code, message)
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_metrics_list_rules(cw):
    """API:PutMetricAlarm ``Metrics``: single-metric parameters are refused beside it; exactly one query
    returns data; ThresholdMetricId must match a returned query."""
    queries = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders"}, "Period": 60,
                                           "Stat": "Sum"}, "ReturnData": False},
               {"Id": "e1", "Expression": "m1 * 2"}]
    base = dict(AlarmName="math", EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                Metrics=queries)
    assert error_of(lambda: cw.put_metric_alarm(**base, Statistic="Sum")) == \
        ("ValidationError", "Statistic should not be set if list of Metrics is set.")
    both = [dict(queries[0], ReturnData=True), queries[1]]
    assert error_of(lambda: cw.put_metric_alarm(**dict(base, Metrics=both))) == \
        ("ValidationError", "Exactly one element of the metrics list should return data.")
    band = dict(base, Threshold=None, ComparisonOperator="GreaterThanUpperThreshold", ThresholdMetricId="ad1",
                Metrics=[dict(queries[0], ReturnData=True),
                         {"Id": "ad2", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}])
    band = {k: v for k, v in band.items() if v is not None}
    assert error_of(lambda: cw.put_metric_alarm(**band)) == \
        ("ValidationError", "Metrics list must contain exactly one metric matching the ThresholdMetricId parameter")
    cw.put_metric_alarm(**base)
    alarm = cw.describe_alarms()["MetricAlarms"][0]
    assert alarm["Metrics"][1] == {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}
    assert "Period" not in alarm and "MetricName" not in alarm


def test_ec2_actions_need_an_instance_metric(cw):
    """UG:UsingAlarmActions: EC2 actions only for alarms on a metric with an InstanceId dimension."""
    cw.put_metric_alarm(**simple(Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
                                 Dimensions=[{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
                                 AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"]))
    assert cw.describe_alarms()["MetricAlarms"][0]["AlarmActions"] == ["arn:aws:automate:us-east-1:ec2:stop"]


def test_set_alarm_state_errors(cw):
    """test_set_alarm_invalid_input (AWS-recorded): the enum message; ResourceNotFound with HTTP 404."""
    cw.put_metric_alarm(**simple())
    assert error_of(lambda: cw.set_alarm_state(AlarmName="cpu-high", StateValue="INVALID", StateReason="x")) == (
        "ValidationError", "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFound"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error_of(lambda: cw.set_alarm_state(AlarmName="cpu-high", StateValue="OK", StateReason="x",
                                               StateReasonData="{not json"))[0] == "InvalidFormat"


def test_describe_alarms_filters_and_pages(cw):
    """API:DescribeAlarms: AlarmNames, AlarmNamePrefix (not both), StateValue, ActionPrefix, AlarmTypes
    (default metric alarms only), MaxRecords and NextToken."""
    for index in range(5):
        cw.put_metric_alarm(**simple(AlarmName=f"web-{index}", AlarmActions=[SNS] if index % 2 else []))
    cw.put_metric_alarm(**simple(AlarmName="db-0"))
    cw.set_alarm_state(AlarmName="web-3", StateValue="ALARM", StateReason="testing")
    names = lambda response: [a["AlarmName"] for a in response["MetricAlarms"]]  # noqa: E731
    assert names(cw.describe_alarms(AlarmNamePrefix="web-")) == [f"web-{i}" for i in range(5)]
    assert names(cw.describe_alarms(AlarmNames=["db-0", "web-2", "missing"])) == ["db-0", "web-2"]
    assert names(cw.describe_alarms(StateValue="ALARM")) == ["web-3"]
    assert names(cw.describe_alarms(ActionPrefix="arn:aws:sns:us-east-1:123456789012:")) == ["web-1", "web-3"]
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    first = cw.describe_alarms(MaxRecords=4)
    second = cw.describe_alarms(MaxRecords=4, NextToken=first["NextToken"])
    assert len(names(first)) == 4 and len(names(second)) == 2 and "NextToken" not in second
    assert error_of(lambda: cw.describe_alarms(AlarmNames=["a"], AlarmNamePrefix="a"))[0] == \
        "InvalidParameterCombination"
    paginated = cw.get_paginator("describe_alarms").paginate(PaginationConfig={"PageSize": 2})
    assert sum(len(page["MetricAlarms"]) for page in paginated) == 6


def test_describe_alarms_for_metric(cw):
    """API:DescribeAlarmsForMetric: standard alarms on exactly that metric, filtered by statistic/period."""
    dims = [{"Name": "Store", "Value": "Lyon"}]
    cw.put_metric_alarm(**simple(AlarmName="a", Dimensions=dims))
    cw.put_metric_alarm(**simple(AlarmName="b", Dimensions=dims, Statistic="Average"))
    cw.put_metric_alarm(**simple(AlarmName="c"))
    found = cw.describe_alarms_for_metric(Namespace="Shop", MetricName="Orders", Dimensions=dims)["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == ["a", "b"]
    found = cw.describe_alarms_for_metric(Namespace="Shop", MetricName="Orders", Dimensions=dims,
                                          Statistic="Average")["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == ["b"]


def test_delete_alarms_keeps_history(cw):
    """API:DeleteAlarms: incorrect names are ignored and the others deleted; DescribeAlarmHistory:
    "CloudWatch retains the history of an alarm even if you delete the alarm"."""
    cw.put_metric_alarm(**simple())
    cw.delete_alarms(AlarmNames=["cpu-high", "never-existed"])
    assert cw.describe_alarms()["MetricAlarms"] == []
    history = cw.describe_alarm_history(AlarmName="cpu-high")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ['Alarm "cpu-high" deleted', 'Alarm "cpu-high" created']
    assert json.loads(history[0]["HistoryData"])["type"] == "Delete"


def test_enable_disable_alarm_actions_is_a_configuration_update(cw):
    """EnableAlarmActions/DisableAlarmActions change ActionsEnabled; history records an Update whose
    originalUpdatedFields hold the old value."""
    cw.put_metric_alarm(**simple())
    cw.disable_alarm_actions(AlarmNames=["cpu-high"])
    assert cw.describe_alarms()["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.enable_alarm_actions(AlarmNames=["cpu-high"])
    assert cw.describe_alarms()["MetricAlarms"][0]["ActionsEnabled"] is True
    item = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="ConfigurationUpdate")["AlarmHistoryItems"][0]
    data = json.loads(item["HistoryData"])
    assert data["originalUpdatedFields"]["actionsEnabled"] is False and data["updatedAlarm"]["actionsEnabled"] is True


def test_created_alarm_history_spells_okactions_as_aws(cw):
    """A ConfigurationUpdate recorded from AWS: {"version":"1.0","type":"Create","createdAlarm":{...,
    "dimensions":[{"value":...,"name":...}], ..., "okactions":[]}}."""
    cw.put_metric_alarm(**simple(Dimensions=[{"Name": "Store", "Value": "Lyon"}]))
    item = cw.describe_alarm_history(AlarmName="cpu-high")["AlarmHistoryItems"][0]
    assert (item["AlarmType"], item["HistoryItemType"]) == ("MetricAlarm", "ConfigurationUpdate")
    created = json.loads(item["HistoryData"])["createdAlarm"]
    assert created["dimensions"] == [{"value": "Lyon", "name": "Store"}]
    assert list(created)[-4:] == ["actionsEnabled", "alarmActions", "insufficientDataActions", "okactions"]


def test_tags(cw):
    cw.put_metric_alarm(**simple())
    arn = cw.describe_alarms()["MetricAlarms"][0]["AlarmArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert error_of(lambda: cw.tag_resource(ResourceARN=arn + "x", Tags=[]))[0] == "ResourceNotFoundException"


_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(period=st.integers(1, 200_000), n=st.integers(1, 2000), m=st.integers(1, 2000),
       extended=st.one_of(st.none(), _text), treat=st.one_of(st.none(), _text), action=_text,
       operator=st.sampled_from(["GreaterThanThreshold", "LessThanLowerThreshold"]),
       expression=st.one_of(st.none(), _text))
def test_put_metric_alarm_fuzz(cw, period, n, m, extended, treat, action, operator, expression):
    """Arbitrary parameters give success or an AWS error, never another exception."""
    params = dict(AlarmName="fuzz", EvaluationPeriods=n, DatapointsToAlarm=m, ComparisonOperator=operator,
                  AlarmActions=[action])
    if expression is None:
        params.update(Namespace="Shop", MetricName="Orders", Period=period, Threshold=1.0)
        params.update({"ExtendedStatistic": extended} if extended else {"Statistic": "Sum"})
    else:
        params.update(Metrics=[{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders"},
                                                           "Period": period, "Stat": extended or "Sum"},
                                "ReturnData": False}, {"Id": "e1", "Expression": expression}],
                      ThresholdMetricId="e1")
    if treat:
        params["TreatMissingData"] = treat
    try:
        cw.put_metric_alarm(**params)
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] in {"ValidationError", "InvalidParameterValue",
                                                   "InvalidParameterCombination", "MissingParameter"}


def test_alarm_changes_are_announced_for_config_and_eventbridge(lab, cw):
    """UG:cloudwatch-and-eventbridge, "CloudWatch Alarm Configuration Change": operation create/update/
    delete with the configuration; and a resource_changed fact so AWS Config records AWS::CloudWatch::Alarm."""
    facts: dict[str, list] = {"alarm_configuration_changed": [], "resource_changed": []}
    for topic, found in facts.items():
        lab.hub.subscribe(topic, found.append)
    cw.put_metric_alarm(**simple(AlarmActions=[SNS]))
    cw.put_metric_alarm(**simple(Threshold=50.0))
    cw.delete_alarms(AlarmNames=["cpu-high"])
    events = facts["alarm_configuration_changed"]
    assert [e["event_detail"]["operation"] for e in events] == ["create", "update", "delete"]
    assert events[1]["event_detail"]["previousConfiguration"]["threshold"] == 30.0
    assert events[1]["event_detail"]["configuration"]["threshold"] == 50.0
    alarms = [f for f in facts["resource_changed"] if f["resource_type"] == "AWS::CloudWatch::Alarm"]
    assert [f["status"] for f in alarms] == ["created", "updated", "deleted"]
    assert alarms[0]["configuration"]["alarmActions"] == [SNS] and alarms[0]["configuration"]["okactions"] == []
    assert alarms[0]["resource_id"] == "cpu-high"


def test_describe_alarm_history_filters_and_pages(lab, cw):
    """API:DescribeAlarmHistory: HistoryItemType, StartDate/EndDate, ScanBy (newest first by default),
    MaxRecords and NextToken."""
    cw.put_metric_alarm(**simple())
    for index, state in enumerate(["ALARM", "OK", "ALARM", "OK"]):
        lab.advance(seconds=1)
        cw.set_alarm_state(AlarmName="cpu-high", StateValue=state, StateReason=f"step {index}")
    newest = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="StateUpdate", MaxRecords=3)
    assert [h["HistorySummary"].split()[-1] for h in newest["AlarmHistoryItems"]] == ["OK", "ALARM", "OK"]
    rest = cw.describe_alarm_history(AlarmName="cpu-high", HistoryItemType="StateUpdate", MaxRecords=3,
                                     NextToken=newest["NextToken"])
    assert len(rest["AlarmHistoryItems"]) == 1 and "NextToken" not in rest
    oldest = cw.describe_alarm_history(AlarmName="cpu-high", ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert oldest[0]["HistoryItemType"] == "ConfigurationUpdate"
    window = cw.describe_alarm_history(AlarmName="cpu-high", StartDate=lab.now - timedelta(seconds=1),
                                       EndDate=lab.now)["AlarmHistoryItems"]
    assert len(window) == 2
