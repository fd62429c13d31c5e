"""Alarm evaluation on the lab clock, end to end: PutMetricData, lab.advance, DescribeAlarms.

Pages (Amazon CloudWatch User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/):
  MISSING_DATA = alarms-and-missing-data.html (the two tables, evaluation range, premature alarms)
  EVALUATION   = alarm-evaluation.html (every minute, sliding windows, multi-day alarms hourly,
                 10/20/30-second alarms every 10 seconds)
  PERCENTILES  = AlarmThatSendsEmail.html#percentiles-with-low-samples
Recorded AWS reason texts: LocalStack's AWS-recorded snapshot test_put_metric_alarm.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from awslab import Lab

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
RETAIN = "retain"
VALUES = {"0": 10.0, "X": 50.0}

# MISSING_DATA's tables: (M, data oldest first, missing, ignore, breaching, notBreaching)
TABLES = [
    (3, "0 - X - X", "OK", "OK", "OK", "OK"),
    (3, "0 - - - -", "OK", "OK", "OK", "OK"),
    (3, "- - - - -", "INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"),
    (3, "0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    (3, "- - X - -", "ALARM", RETAIN, "ALARM", "OK"),
    (2, "0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    (2, "0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    (2, "0 - X - -", "OK", "OK", "ALARM", "OK"),
    (2, "- - - - 0", "OK", "OK", "ALARM", "OK"),
    (2, "- - - X -", "ALARM", RETAIN, "ALARM", "OK"),
]


def state_of(cw, name):
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def put_alarm(cw, name, **extra):
    params = dict(AlarmName=name, Namespace="Shop", MetricName=name, Statistic="Average", Period=60,
                  EvaluationPeriods=3, Threshold=40.0, ComparisonOperator="GreaterThanThreshold")
    params.update(extra)
    cw.put_metric_alarm(**params)


@pytest.mark.parametrize("m, data, missing, ignore, breaching, not_breaching", TABLES,
                         ids=[f"{row[0]}of3 {row[1]}" for row in TABLES])
def test_missing_data_tables_end_to_end(m, data, missing, ignore, breaching, not_breaching):
    """MISSING_DATA: each row of both tables, for the four TreatMissingData values, through the API.

    The alarm starts OK (SetAlarmState) so that "retain" is visible; the pattern's five periods
    are the evaluation range of the evaluation one minute later."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    treatments = ("missing", "ignore", "breaching", "notBreaching")
    for treat in treatments:
        put_alarm(cw, treat, DatapointsToAlarm=m, TreatMissingData=treat)
        cw.set_alarm_state(AlarmName=treat, StateValue="OK", StateReason="start")
        points = [{"MetricName": treat, "Value": VALUES[c], "Timestamp": T0 - timedelta(minutes=4 - i)}
                  for i, c in enumerate(data.split()) if c != "-"]
        if points:
            cw.put_metric_data(Namespace="Shop", MetricData=points)
    lab.advance(minutes=1)
    for treat, want in zip(treatments, (missing, ignore, breaching, not_breaching)):
        got = state_of(cw, treat)
        assert got["StateValue"] == ("OK" if want == RETAIN else want), (data, treat)
        if want == RETAIN:
            assert got["StateReason"] == "start"


def test_first_breach_reason_as_recorded_from_aws():
    """test_put_metric_alarm (AWS-recorded): Period 30, Average 21.5 of 2 samples, threshold 2.0:
    "Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0)."
    with StateReasonData evaluatedDatapoints [{timestamp, sampleCount 2.0, value 21.5}]."""
    lab = Lab(start="2023-10-26T16:40:00Z")
    cw = lab.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="a", Namespace="N", MetricName="my-metric1", Statistic="Average", Period=30,
                        EvaluationPeriods=1, Threshold=2.0, ComparisonOperator="GreaterThanThreshold",
                        Unit="Seconds", Dimensions=[{"Name": "InstanceId", "Value": "abc"}])
    lab.advance(minutes=2, seconds=25)
    stamp = datetime(2023, 10, 26, 16, 42, tzinfo=timezone.utc)
    cw.put_metric_data(Namespace="N", MetricData=[
        {"MetricName": "my-metric1", "Dimensions": [{"Name": "InstanceId", "Value": "abc"}], "Unit": "Seconds",
         "Values": [20.0, 23.0], "Timestamp": stamp, "StorageResolution": 1}])
    assert state_of(cw, "a")["StateValue"] == "INSUFFICIENT_DATA"
    lab.advance(seconds=5)
    alarm = state_of(cw, "a")
    assert alarm["StateReason"] == "Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than " \
                                   "the threshold (2.0)."
    data = json.loads(alarm["StateReasonData"])
    assert {k: data[k] for k in ("unit", "statistic", "period", "recentDatapoints", "threshold")} == \
        {"unit": "Seconds", "statistic": "Average", "period": 30, "recentDatapoints": [21.5], "threshold": 2.0}
    assert data["evaluatedDatapoints"] == [{"timestamp": "2023-10-26T16:42:00.000+0000", "sampleCount": 2.0,
                                            "value": 21.5}]
    history = cw.describe_alarm_history(AlarmName="a", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert history[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    old = json.loads(history[0]["HistoryData"])["oldState"]
    assert old == {"stateValue": "INSUFFICIENT_DATA", "stateReason": "Unchecked: Initial alarm creation"}


def test_evaluated_every_minute_on_a_sliding_window():
    """EVALUATION: the alarm goes to ALARM in the minute its third breaching period completes, and
    back to OK when the value dips (threshold 3, N = M = 3)."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    put_alarm(cw, "slide", Threshold=3.0)
    states = []
    for minute, value in enumerate([1, 2, 4, 5, 4, 2, 1]):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "slide", "Value": value,
                                                          "Timestamp": T0 + timedelta(minutes=minute)}])
        lab.advance(minutes=1)
        states.append(state_of(cw, "slide")["StateValue"])
    # one real non-breaching datapoint already decides OK (MISSING_DATA's "0 - - - -" row)
    assert states == ["OK", "OK", "OK", "OK", "ALARM", "OK", "OK"]


def test_late_data_counts_once_it_arrives():
    """MISSING_DATA: a datapoint counts from the first evaluation after it arrived (received_at),
    as long as its period is still in the evaluation range; N = 1, M = 1."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    put_alarm(cw, "late", EvaluationPeriods=1, TreatMissingData="notBreaching")
    lab.advance(minutes=2)
    assert state_of(cw, "late")["StateValue"] == "OK"
    lab.advance(seconds=30)  # 00:02:30: a datapoint for 00:01 arrives late
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "late", "Value": 99.0,
                                                      "Timestamp": T0 + timedelta(minutes=1, seconds=10)}])
    lab.advance(seconds=30)  # 00:03: range 00:00-00:03 holds it
    assert state_of(cw, "late")["StateValue"] == "ALARM"


def test_data_published_for_a_later_arrival_is_not_seen_before():
    """received_at decides: a batch whose rows arrive in three minutes is invisible until then."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    put_alarm(cw, "batch", EvaluationPeriods=1)
    lab.hub.publish("metric_data", {
        "region": "us-east-1", "account_id": "123456789012",
        "datapoints_sql": "SELECT 'Shop' AS namespace, 'batch' AS metric_name, '[]' AS dimensions, "
                          "?::TIMESTAMPTZ AS timestamp, 'None' AS unit, 60 AS storage_resolution, 99.0 AS value, "
                          "1.0 AS count, 1.0 AS sample_count, 99.0 AS sum, 99.0 AS minimum, 99.0 AS maximum, "
                          "?::TIMESTAMPTZ AS received_at",
        "params": [T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)]})
    lab.advance(minutes=2)
    assert state_of(cw, "batch")["StateValue"] == "INSUFFICIENT_DATA"
    lab.advance(minutes=1)
    assert state_of(cw, "batch")["StateValue"] == "ALARM"


def test_low_sample_percentile_keeps_its_state():
    """PERCENTILES: with EvaluateLowSampleCountPercentile=ignore, p99 needs 1000 samples a period;
    with fewer the state does not change. With evaluate it does."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    for name, option in (("ignore", "ignore"), ("evaluate", "evaluate")):
        cw.put_metric_alarm(AlarmName=name, Namespace="Shop", MetricName="lat", ExtendedStatistic="p99", Period=60,
                            EvaluationPeriods=1, Threshold=100.0, ComparisonOperator="GreaterThanThreshold",
                            EvaluateLowSampleCountPercentile=option)
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="start")
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "lat", "Values": [500.0, 600.0],
                                                      "Timestamp": T0}])
    lab.advance(minutes=1)
    assert state_of(cw, "ignore")["StateValue"] == "OK"
    assert state_of(cw, "evaluate")["StateValue"] == "ALARM"


def test_multi_day_alarms_are_evaluated_on_the_hour():
    """EVALUATION: an alarm whose Period x EvaluationPeriods exceeds a day is evaluated once an hour."""
    lab = Lab(start=T0 + timedelta(minutes=57))
    cw = lab.client("cloudwatch")
    put_alarm(cw, "daily", Period=3600, EvaluationPeriods=48, DatapointsToAlarm=1, TreatMissingData="breaching")
    lab.advance(minutes=2)
    assert state_of(cw, "daily")["StateValue"] == "INSUFFICIENT_DATA"
    lab.advance(minutes=1)  # 01:00
    assert state_of(cw, "daily")["StateValue"] == "ALARM"
    assert state_of(cw, "daily")["StateTransitionedTimestamp"] == T0 + timedelta(hours=1)


def test_high_resolution_alarms_every_10_seconds():
    """EVALUATION: 10-second alarms are evaluated every 10 seconds."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    put_alarm(cw, "fast", Period=10, EvaluationPeriods=1, TreatMissingData="breaching")
    lab.advance(seconds=10)
    assert state_of(cw, "fast")["StateTransitionedTimestamp"] == T0 + timedelta(seconds=10)


def test_metric_math_alarm():
    """API:PutMetricAlarm ``Metrics``: an alarm on an expression of two metrics."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    stat = lambda name: {"Metric": {"Namespace": "Shop", "MetricName": name}, "Period": 60, "Stat": "Sum"}  # noqa
    cw.put_metric_alarm(AlarmName="errors", EvaluationPeriods=1, Threshold=10.0,
                        ComparisonOperator="GreaterThanThreshold",
                        Metrics=[{"Id": "e", "MetricStat": stat("Errors"), "ReturnData": False},
                                 {"Id": "r", "MetricStat": stat("Requests"), "ReturnData": False},
                                 {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate"}])
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Errors", "Value": 5, "Timestamp": T0},
                                                     {"MetricName": "Requests", "Value": 20, "Timestamp": T0}])
    lab.advance(minutes=1)
    alarm = state_of(cw, "errors")
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"] == "Threshold Crossed: 1 out of the last 1 datapoints [25.0 (01/01/26 00:00:00)] " \
                                   "was greater than the threshold (10.0) (minimum 1 datapoint for OK -> ALARM " \
                                   "transition)."
    assert "statistic" not in json.loads(alarm["StateReasonData"])


def test_set_alarm_state_lasts_until_the_next_evaluation():
    """API:SetAlarmState: "Metric alarms returns to their actual state quickly"."""
    lab = Lab(start=T0)
    cw = lab.client("cloudwatch")
    put_alarm(cw, "quiet", TreatMissingData="notBreaching")
    lab.advance(minutes=1)
    cw.set_alarm_state(AlarmName="quiet", StateValue="ALARM", StateReason="testing")
    assert state_of(cw, "quiet")["StateValue"] == "ALARM"
    lab.advance(minutes=1)
    assert state_of(cw, "quiet")["StateValue"] == "OK"
    summaries = [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName="quiet",
                                                                        HistoryItemType="StateUpdate")["AlarmHistoryItems"]]
    assert summaries == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                         "Alarm updated from INSUFFICIENT_DATA to OK"]


def test_a_reopened_lab_keeps_evaluating(tmp_path):
    """DESIGN principle 6: alarms, their state and history survive a restart; evaluation resumes."""
    path = tmp_path / "lab.duckdb"
    lab = Lab(start=T0, path=path)
    cw = lab.client("cloudwatch")
    put_alarm(cw, "kept", EvaluationPeriods=1, TreatMissingData="breaching")
    lab.advance(minutes=1)
    lab.close()
    lab = Lab(path=path)
    cw = lab.client("cloudwatch")
    assert state_of(cw, "kept")["StateValue"] == "ALARM"
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "kept", "Value": 1.0}])
    lab.advance(minutes=1)
    assert state_of(cw, "kept")["StateValue"] == "OK"
    lab.close()
