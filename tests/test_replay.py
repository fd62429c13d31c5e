"""Replaying real exported CloudTrail logs through the lab: the CIS alarm and an EventBridge rule
fire on the real tampering in the invictus-ir sample (StopLogging ×3, DeleteTrail ×3).

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awslab import Lab, trail

SAMPLE = Path(__file__).resolve().parents[1] / "datasets" / "invictus-ir_aws_dataset" / "CloudTrail"
CIS_CLOUDTRAIL_CHANGES = ("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) "
                          "|| ($.eventName = StartLogging) || ($.eventName = StopLogging) }")


@pytest.fixture(scope="module")
def sample():
    return trail.load(SAMPLE)


def test_replay_fires_the_cis_alarm_and_an_eventbridge_rule(sample):
    lab = Lab(start="2023-07-10T11:00:00Z")
    logs, cw = lab.client("logs"), lab.client("cloudwatch")
    logs.create_log_group(logGroupName="replayed")
    logs.put_metric_filter(logGroupName="replayed", filterName="CloudTrailChanges", filterPattern=CIS_CLOUDTRAIL_CHANGES,
                           metricTransformations=[{"metricName": "CloudTrailEventCount",
                                                   "metricNamespace": "CISBenchmark", "metricValue": "1"}])
    cw.put_metric_alarm(AlarmName="cloudtrail-changes", Namespace="CISBenchmark", MetricName="CloudTrailEventCount",
                        Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")
    queue = lab.client("sqs").create_queue(QueueName="tampering")["QueueUrl"]
    events = lab.client("events")
    events.put_rule(Name="stop-logging", EventPattern=json.dumps({
        "source": ["aws.cloudtrail"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventName": ["StopLogging"]}}))
    events.put_targets(Rule="stop-logging", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:tampering"}])

    summary = lab.replay_trail(sample, log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:replayed:*")

    assert summary.events == len(sample) and summary.to_log_group > 2800
    counted = lab.sql("select sum(value) from cloudwatch_datapoints where namespace = 'CISBenchmark'").fetchall()[0][0]
    expected = sample.sql("select count(*) from cloudtrail_events where event_name in "
                          "('CreateTrail','UpdateTrail','DeleteTrail','StartLogging','StopLogging')").fetchall()[0][0]
    assert counted == expected and expected >= 6
    history = cw.describe_alarm_history(AlarmName="cloudtrail-changes", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert any("to ALARM" in item["HistorySummary"] for item in history)
    received = lab.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    names = [json.loads(m["Body"])["detail"]["eventName"] for m in received]
    assert names and set(names) == {"StopLogging"}


def test_replay_refuses_a_clock_past_the_events_unless_shifted(sample):
    lab = Lab(start="2026-01-01T00:00:00Z")
    with pytest.raises(ValueError):
        lab.replay_trail(sample)
    summary = lab.replay_trail(sample, shift=True)
    assert summary.first.isoformat() == "2026-01-01T00:00:00+00:00"
