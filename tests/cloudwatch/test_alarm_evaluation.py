"""Metric alarm evaluation against AWS's documentation and recorded AWS alarm reasons.

Pages (Amazon CloudWatch User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/):
  MISSING_DATA = alarms-and-missing-data.html ("How alarm state is evaluated when data is missing",
                 "Avoiding premature transitions to alarm state")
  EVALUATION   = alarm-evaluation.html ("Evaluating an alarm", "Example of evaluating a multi-day alarm",
                 the EventBridge example event)
  PERCENTILES  = AlarmThatSendsEmail.html#percentiles-with-low-samples
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from awslab.cloudwatch.alarm_evaluation import (
    ALARM, INITIAL_REASON, INITIAL_STATE, INSUFFICIENT_DATA, OK, STATES, AlarmConfig, Datapoint,
    effective_treat_missing_data, evaluate_alarm, evaluation_cadence, evaluation_range_length,
    evaluation_windows, java_double, low_sample_count,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
RETAIN = "retain"


def pattern(text: str, period: int = 300, start: datetime = T0) -> list[Datapoint]:
    """The doc's notation, oldest first: 0 = not breaching, X = breaching, - = missing (threshold 40)."""
    values = {"0": 10.0, "O": 10.0, "X": 50.0, "-": None}
    return [Datapoint(start + timedelta(seconds=period * i), values[c], 1.0 if values[c] is not None else None)
            for i, c in enumerate(text.split())]


def run(points, *, m=3, n=3, treat="missing", current=OK, **config):
    cfg = AlarmConfig("GreaterThanThreshold", n, 300, threshold=40.0, datapoints_to_alarm=m,
                      treat_missing_data=treat, statistic="Average", **config)
    when = points[-1].timestamp + timedelta(seconds=300, milliseconds=512) if points else T0
    return evaluate_alarm(cfg, points, current_state=current, evaluation_time=when)


# --- the published tables ------------------------------------------------------------------------

# MISSING_DATA, first table: Datapoints to Alarm = Evaluation Periods = 3, evaluation range 5.
# (data points, # of data points that must be filled, MISSING, IGNORE, BREACHING, NOT BREACHING)
THREE_OF_THREE = [
    ("0 - X - X", 0, OK, OK, OK, OK),
    ("0 - - - -", 2, OK, OK, OK, OK),
    ("- - - - -", 3, INSUFFICIENT_DATA, RETAIN, ALARM, OK),
    ("0 X X - X", 0, ALARM, ALARM, ALARM, ALARM),
    ("- - X - -", 2, ALARM, RETAIN, ALARM, OK),
]
# MISSING_DATA, second table: 2 out of 3.
TWO_OF_THREE = [
    ("0 - X - X", 0, ALARM, ALARM, ALARM, ALARM),
    ("0 0 X 0 X", 0, ALARM, ALARM, ALARM, ALARM),
    ("0 - X - -", 1, OK, OK, ALARM, OK),
    ("- - - - 0", 2, OK, OK, ALARM, OK),
    ("- - - X -", 2, ALARM, RETAIN, ALARM, OK),
]
# Rows the same page published before its 2021 rewrite (archived as
# awsdocs/amazon-cloudwatch-user-guide doc_source/AlarmThatSendsEmail.md); the other rows of
# those tables are the ones above. Column 2 there counted missing points in the range, so it is
# recomputed here as points to fill.
EARLIER_THREE_OF_THREE = [
    ("- - - - X", 2, INSUFFICIENT_DATA, RETAIN, ALARM, OK),
    ("X - - - -", 2, ALARM, RETAIN, ALARM, OK),
]
EARLIER_TWO_OF_THREE = [
    ("- - - - X", 2, INSUFFICIENT_DATA, RETAIN, ALARM, OK),
]

TABLE_CASES = (
    [pytest.param(3, *row, id=f"3of3 {row[0]}") for row in THREE_OF_THREE]
    + [pytest.param(2, *row, id=f"2of3 {row[0]}") for row in TWO_OF_THREE]
    + [pytest.param(3, *row, id=f"earlier 3of3 {row[0]}") for row in EARLIER_THREE_OF_THREE]
    + [pytest.param(2, *row, id=f"earlier 2of3 {row[0]}") for row in EARLIER_TWO_OF_THREE]
)


@pytest.mark.parametrize("m, data, to_fill, missing, ignore, breaching, not_breaching", TABLE_CASES)
@pytest.mark.parametrize("current", STATES)
def test_missing_data_tables(m, data, to_fill, missing, ignore, breaching, not_breaching, current):
    """Every row of the two tables in MISSING_DATA, for every TreatMissingData, from every state."""
    for treat, expected in zip(TREATMENTS, (missing, ignore, breaching, not_breaching)):
        result = run(pattern(data), m=m, treat=treat, current=current)
        want = current if expected == RETAIN else expected
        assert result.state == want, f"{data} M={m} {treat} from {current}: {result.state} ({result.rule})"
        assert result.changed == (want != current)
        if expected == RETAIN:
            assert result.reason is None and result.reason_data is None
        else:
            assert result.reason and json.loads(result.reason_data)["version"] == "1.0"


@pytest.mark.parametrize("m, data, to_fill, missing, ignore, breaching, not_breaching", TABLE_CASES)
def test_number_of_datapoints_that_must_be_filled(m, data, to_fill, missing, ignore, breaching, not_breaching):
    """Column 2 of MISSING_DATA's tables: how many of the N necessary datapoints are filled."""
    assert run(pattern(data), m=m, treat="breaching").filled == to_fill
    assert run(pattern(data), m=m, treat="notBreaching").filled == to_fill


def test_second_row_goes_to_alarm_once_the_real_point_leaves_the_range():
    """MISSING_DATA: "The next time this alarm is evaluated, if the data is still missing it will go
    to ALARM, as that non-breaching data point will no longer be in the evaluation range.\""""
    assert run(pattern("0 - - - -"), treat="breaching").state == OK
    assert run(pattern("- - - - -"), treat="breaching").state == ALARM


@pytest.mark.parametrize("data", ["- - - - X", "- - - X -"])
def test_premature_alarm_is_avoided(data):
    """MISSING_DATA, premature transitions: with M = 3 the alarm does not go into ALARM for
    ``- - - - X`` or ``- - - X -``, and the following non-breaching point makes it OK."""
    assert run(pattern(data), current=OK).state != ALARM
    assert run(pattern(data), current=OK, treat="ignore").state == OK
    follow_up = data.split()[1:] + ["O"]
    assert run(pattern(" ".join(follow_up))).state == OK


def test_premature_rule_applies_to_m_out_of_n():
    """MISSING_DATA: "This alarm logic applies to M out of N alarms as well": ``- - - X -`` with
    M = 2 alarms although only one datapoint exists."""
    result = run(pattern("- - - X -"), m=2)
    assert (result.state, result.rule) == (ALARM, "premature")


def test_treatment_is_ignored_with_enough_real_datapoints():
    """MISSING_DATA: with at least N real datapoints "the value you set for how to treat missing
    data is not needed and is ignored"."""
    for treat in TREATMENTS:
        result = run(pattern("X - X - X"), treat=treat)
        assert (result.state, result.rule, result.filled) == (ALARM, "enough_real", 0)


def test_the_figure_in_evaluating_an_alarm():
    """EVALUATION: threshold 3, N = M = 3: ALARM when periods 3-5 breach, OK at period 6 when the
    value dips, still OK at period 9 when only one period breaches."""
    values = [1, 2, 4, 5, 4, 2, 1, 2, 4, 2]
    cfg = AlarmConfig("GreaterThanThreshold", 3, 60, threshold=3.0)
    state, states = INSUFFICIENT_DATA, []
    for i in range(3, len(values) + 1):
        window = [Datapoint(T0 + timedelta(minutes=j), float(values[j])) for j in range(max(0, i - 5), i)]
        state = evaluate_alarm(cfg, window, current_state=state, evaluation_time=T0 + timedelta(minutes=i)).state
        states.append(state)
    assert states == [OK, OK, ALARM, OK, OK, OK, OK, OK]


def test_m_out_of_n_need_not_be_consecutive():
    """EVALUATION: "The breaching data points don't have to be consecutive" (4 out of 5)."""
    cfg = AlarmConfig("GreaterThanThreshold", 5, 60, threshold=40.0, datapoints_to_alarm=4)
    points = pattern("X X 0 X X", period=60)
    assert evaluate_alarm(cfg, points, current_state=OK, evaluation_time=T0 + timedelta(minutes=5)).state == ALARM
    points = pattern("X 0 0 X X", period=60)
    assert evaluate_alarm(cfg, points, current_state=ALARM, evaluation_time=T0 + timedelta(minutes=5)).state == OK


def test_new_alarms_start_insufficient_data():
    """EVALUATION / PutMetricAlarm: a new alarm is INSUFFICIENT_DATA, reason recorded from AWS."""
    assert (INITIAL_STATE, INITIAL_REASON) == (INSUFFICIENT_DATA, "Unchecked: Initial alarm creation")


# --- the evaluation range and its windows -----------------------------------------------------------

def test_windows_slide_with_the_evaluation_time():
    """EVALUATION: Period 5 minutes, N = 1: "at the end of minute 5 the alarm evaluates based on
    data from minutes 1 to 5 ... at the end of minute 6 ... from minutes 2 to 6"."""
    assert evaluation_windows(T0 + timedelta(minutes=5, seconds=20), 300, 1)[-1] == T0
    assert evaluation_windows(T0 + timedelta(minutes=6, seconds=20), 300, 1)[-1] == T0 + timedelta(minutes=1)


def test_evaluation_range_is_five_for_three_evaluation_periods():
    """MISSING_DATA: for N = 3, "CloudWatch retrieves the 5 most recent data points"."""
    assert evaluation_range_length(3) == 5
    assert len(evaluation_windows(T0, 60, 3)) == 5


def test_multi_day_alarms_see_data_up_to_the_hour():
    """EVALUATION, multi-day alarm: evaluated once per hour; at 10:03 only data up to 10:00."""
    one_day_period = 86_400
    assert evaluation_cadence(one_day_period, 3) == timedelta(hours=1)
    windows = evaluation_windows(T0.replace(hour=10, minute=3), one_day_period, 3)
    assert windows[-1] + timedelta(days=1) == T0.replace(hour=10, minute=0)


def test_cadence():
    """EVALUATION: 10, 20 and 30-second alarms every 10 seconds, others every minute."""
    assert [evaluation_cadence(p, 1) for p in (10, 20, 30, 60, 300)] == [timedelta(seconds=10)] * 3 + \
        [timedelta(minutes=1)] * 2


def test_late_data_counts_while_its_period_is_in_the_range():
    """MISSING_DATA: a missing newest datapoint is covered by older real ones; when it arrives late
    the next evaluation uses it; once its period has left the range it no longer counts."""
    cfg = AlarmConfig("GreaterThanThreshold", 2, 60, threshold=40.0)
    before = [Datapoint(T0 + timedelta(minutes=i), v) for i, v in enumerate([10.0, 50.0, 50.0, None])]
    assert evaluate_alarm(cfg, before, current_state=OK, evaluation_time=T0 + timedelta(minutes=4)).state == ALARM
    late = before[:3] + [Datapoint(T0 + timedelta(minutes=3), 10.0)]
    assert evaluate_alarm(cfg, late, current_state=ALARM, evaluation_time=T0 + timedelta(minutes=4)).state == OK


def test_datapoints_must_cover_every_period():
    cfg = AlarmConfig("GreaterThanThreshold", 1, 60, threshold=1.0)
    with pytest.raises(ValueError):
        evaluate_alarm(cfg, [Datapoint(T0, 1.0), Datapoint(T0 + timedelta(minutes=2), 1.0)],
                       current_state=OK, evaluation_time=T0)
    with pytest.raises(ValueError):
        evaluate_alarm(cfg, [], current_state=OK, evaluation_time=T0)


# --- percentiles with low samples, DynamoDB ------------------------------------------------------

def test_low_sample_thresholds():
    """PERCENTILES: fewer than 10/(1-p) samples for 0.5 <= p < 1 (1000 for p99), 10/p below 0.5."""
    assert low_sample_count("p99") == pytest.approx(1000)
    assert low_sample_count("p50") == pytest.approx(20)
    assert low_sample_count("p90") == pytest.approx(100)
    assert low_sample_count("p10") == pytest.approx(100)
    assert low_sample_count("p99.9") == pytest.approx(10000)
    assert low_sample_count("tm99") is None and low_sample_count(None) is None


@pytest.mark.parametrize("policy, samples, expected", [
    ("ignore", 999, OK), ("ignore", 1000, ALARM), ("evaluate", 5, ALARM), (None, 5, ALARM)])
def test_low_sample_percentile_policy(policy, samples, expected):
    """PERCENTILES / PutMetricAlarm: with ``ignore`` "the alarm state does not change during
    periods with too few data points"; ``evaluate`` (the default) always evaluates."""
    cfg = AlarmConfig("GreaterThanThreshold", 1, 60, threshold=40.0, extended_statistic="p99",
                      evaluate_low_sample_count_percentile=policy)
    result = evaluate_alarm(cfg, [Datapoint(T0, 50.0, samples)], current_state=OK,
                            evaluation_time=T0 + timedelta(minutes=1))
    assert result.state == expected
    if expected == OK:
        assert (result.rule, result.reason) == ("low_sample", None)


def test_dynamodb_alarms_always_ignore_missing_data():
    """PutMetricAlarm, TreatMissingData: AWS/DynamoDB alarms "always ignore missing data"."""
    assert effective_treat_missing_data("AWS/DynamoDB", "breaching") == "ignore"
    assert effective_treat_missing_data("AWS/EC2", None) == "missing"
    cfg = AlarmConfig.from_alarm({"Namespace": "AWS/DynamoDB", "ComparisonOperator": "GreaterThanThreshold",
                                  "Threshold": 1.0, "EvaluationPeriods": 1, "Period": 60,
                                  "TreatMissingData": "breaching", "Statistic": "Sum"})
    assert cfg.treat_missing_data == "ignore"


# --- StateReason and StateReasonData as AWS writes them ----------------------------------------------

def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_reason_first_evaluation_single_datapoint():
    """Recorded from AWS (LocalStack snapshot test_put_metric_alarm): Period 30, Average, unit
    Seconds, threshold 2.0, INSUFFICIENT_DATA -> ALARM."""
    cfg = AlarmConfig("GreaterThanThreshold", 1, 30, threshold=2.0, statistic="Average", unit="Seconds",
                      treat_missing_data="notBreaching")
    result = evaluate_alarm(cfg, [Datapoint(at("2023-10-26T16:42:00"), 21.5, 2.0)],
                            current_state=INSUFFICIENT_DATA, evaluation_time=at("2023-10-26T16:42:31.250"))
    assert result.reason == "Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0)."
    data = json.loads(result.reason_data)
    assert list(data) == ["version", "queryDate", "startDate", "unit", "statistic", "period",
                          "recentDatapoints", "threshold", "evaluatedDatapoints"]
    assert data["recentDatapoints"] == [21.5] and data["period"] == 30 and data["unit"] == "Seconds"
    assert data["evaluatedDatapoints"] == [{"timestamp": "2023-10-26T16:42:00.000+0000", "sampleCount": 2.0,
                                            "value": 21.5}]


def test_reason_and_data_alarm_to_ok_exactly():
    """Recorded from AWS (describe-alarms output): DatapointsToAlarm 1 of 1, Period 300, Average,
    GreaterThanOrEqualToThreshold 90.0, evaluated at 06:01:18.043."""
    cfg = AlarmConfig("GreaterThanOrEqualToThreshold", 1, 300, threshold=90.0, datapoints_to_alarm=1,
                      statistic="Average")
    when = at("2024-09-19T06:01:18.043")
    window = evaluation_windows(when, 300, 1)
    points = [Datapoint(t, None) for t in window[:-1]] + [Datapoint(window[-1], 1.0166666666666666, 1.0)]
    result = evaluate_alarm(cfg, points, current_state=ALARM, evaluation_time=when)
    assert result.reason == ("Threshold Crossed: 1 out of the last 1 datapoints [1.0166666666666666 (19/09/24 05:56:00)] "
                             "was not greater than or equal to the threshold (90.0) "
                             "(minimum 1 datapoint for ALARM -> OK transition).")
    assert result.reason_data == (
        '{"version":"1.0","queryDate":"2024-09-19T06:01:18.043+0000","startDate":"2024-09-19T05:56:00.000+0000",'
        '"statistic":"Average","period":300,"recentDatapoints":[1.0166666666666666],"threshold":90.0,'
        '"evaluatedDatapoints":[{"timestamp":"2024-09-19T05:56:00.000+0000","sampleCount":1.0,'
        '"value":1.0166666666666666}]}')


def test_reason_and_data_from_the_documentation_event():
    """EVALUATION, EventBridge example: a Metrics Insights alarm (3 periods, 1 to alarm), exactly."""
    cfg = AlarmConfig("GreaterThanThreshold", 3, 60, threshold=0.0, datapoints_to_alarm=1, metric_math=True)
    when = at("2022-11-08T11:26:05.399")
    window = evaluation_windows(when, 60, 3)
    points = [Datapoint(t, 20000.0 if i >= 2 else None) for i, t in enumerate(window)]
    result = evaluate_alarm(cfg, points, current_state=INSUFFICIENT_DATA, evaluation_time=when)
    assert result.reason == ("Threshold Crossed: 3 out of the last 3 datapoints [20000.0 (08/11/22 11:25:00), "
                             "20000.0 (08/11/22 11:24:00), 20000.0 (08/11/22 11:23:00)] were greater than the "
                             "threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).")
    assert result.reason_data == (
        '{"version":"1.0","queryDate":"2022-11-08T11:26:05.399+0000","startDate":"2022-11-08T11:23:00.000+0000",'
        '"period":60,"recentDatapoints":[20000.0,20000.0,20000.0],"threshold":0.0,'
        '"evaluatedDatapoints":[{"timestamp":"2022-11-08T11:25:00.000+0000","value":20000.0}]}')


def test_reason_two_of_two_on_sliding_five_minute_windows():
    """Recorded from AWS (SNS notification): API Gateway 4XXError Sum, Period 300, 2 of 2,
    threshold 50, evaluated at 06:09:47 on windows starting 05:59 and 06:04 (not clock-aligned)."""
    cfg = AlarmConfig("GreaterThanThreshold", 2, 300, threshold=50.0, datapoints_to_alarm=2,
                      treat_missing_data="notBreaching", statistic="Sum")
    when = at("2024-12-11T06:09:47.192")
    window = evaluation_windows(when, 300, 2)
    assert window[-2:] == [at("2024-12-11T05:59:00"), at("2024-12-11T06:04:00")]
    points = [Datapoint(window[0], 3.0), Datapoint(window[1], 7.0), Datapoint(window[2], 66.0),
              Datapoint(window[3], 63.0)]
    result = evaluate_alarm(cfg, points, current_state=OK, evaluation_time=when)
    assert result.reason == ("Threshold Crossed: 2 out of the last 2 datapoints [63.0 (11/12/24 06:04:00), "
                             "66.0 (11/12/24 05:59:00)] were greater than the threshold (50.0) "
                             "(minimum 2 datapoints for OK -> ALARM transition).")


def test_reason_lists_the_five_most_recent_when_many_cross():
    """Recorded from AWS (SNS notification): SQS depth Maximum, 30 of 30, threshold 20."""
    cfg = AlarmConfig("GreaterThanThreshold", 30, 60, threshold=20.0, datapoints_to_alarm=30,
                      treat_missing_data="ignore", statistic="Maximum")
    start = at("2024-12-06T05:05:00")
    values = [55.0] * 25 + [59.0, 59.0, 59.0, 60.0, 60.0]
    points = [Datapoint(start + timedelta(minutes=i), v) for i, v in enumerate(values)]
    result = evaluate_alarm(cfg, points, current_state=OK, evaluation_time=at("2024-12-06T05:36:35.649"))
    assert result.reason == (
        "Threshold Crossed: 30 out of the last 30 datapoints were greater than the threshold (20.0). "
        "The most recent datapoints which crossed the threshold: [60.0 (06/12/24 05:34:00), "
        "60.0 (06/12/24 05:33:00), 59.0 (06/12/24 05:32:00), 59.0 (06/12/24 05:31:00), "
        "59.0 (06/12/24 05:30:00)] (minimum 30 datapoints for OK -> ALARM transition).")


def test_reason_short_form_with_five_datapoints():
    """Recorded from AWS (SNS e-mail): 5 datapoints, GreaterThanOrEqualToThreshold 80, no
    DatapointsToAlarm."""
    cfg = AlarmConfig("GreaterThanOrEqualToThreshold", 5, 60, threshold=80.0, statistic="Average")
    values = [84.92614979303418, 84.9314310950818, 84.93257920422259, 84.9368272080435, 84.93923823723915]
    points = [Datapoint(at("2025-09-03T06:20:00") + timedelta(minutes=i), v) for i, v in enumerate(values)]
    result = evaluate_alarm(cfg, points, current_state=OK, evaluation_time=at("2025-09-03T06:25:33"))
    assert result.reason == (
        "Threshold Crossed: 5 datapoints were greater than or equal to the threshold (80.0). The most recent "
        "datapoints which crossed the threshold: [84.93923823723915 (03/09/25 06:24:00), 84.9368272080435 "
        "(03/09/25 06:23:00), 84.93257920422259 (03/09/25 06:22:00), 84.9314310950818 (03/09/25 06:21:00), "
        "84.92614979303418 (03/09/25 06:20:00)].")


def test_reason_one_out_of_fifty_back_to_ok():
    """Recorded from AWS (SNS notification): 50 of 50, one datapoint back under the threshold."""
    cfg = AlarmConfig("GreaterThanThreshold", 50, 60, threshold=50.0, datapoints_to_alarm=50,
                      treat_missing_data="ignore", statistic="Maximum")
    start = at("2024-12-03T23:45:00")
    points = [Datapoint(start + timedelta(minutes=i), 48.0 if i == 49 else 70.0) for i in range(50)]
    result = evaluate_alarm(cfg, points, current_state=ALARM, evaluation_time=at("2024-12-04T00:36:01.796"))
    assert result.reason == ("Threshold Crossed: 1 out of the last 50 datapoints [48.0 (04/12/24 00:34:00)] was not "
                             "greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).")


@pytest.mark.parametrize("n, treat, state, reason", [
    (2, "breaching", ALARM,
     "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."),
    (1, "notBreaching", OK,
     "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."),
    (1, "missing", INSUFFICIENT_DATA, "Insufficient Data: 1 datapoint was unknown."),
])
def test_reason_when_nothing_was_received(n, treat, state, reason):
    """Recorded from AWS (LocalStack snapshots test_breaching_alarm_actions / test_put_metric_alarm,
    SNS notifications): the reasons and data for an evaluation range without datapoints."""
    cfg = AlarmConfig("GreaterThanThreshold", n, 10, threshold=2.0, statistic="Average", unit="Seconds",
                      treat_missing_data=treat)
    when = at("2023-09-12T11:56:52.512")
    points = [Datapoint(t, None) for t in evaluation_windows(when, 10, n)]
    result = evaluate_alarm(cfg, points, current_state=OK if state != OK else ALARM, evaluation_time=when)
    assert (result.state, result.reason) == (state, reason)
    data = json.loads(result.reason_data)
    assert list(data) == ["version", "queryDate", "unit", "statistic", "period", "recentDatapoints", "threshold",
                          "evaluatedDatapoints"]
    assert data["recentDatapoints"] == [] and len(data["evaluatedDatapoints"]) == n
    assert all(list(point) == ["timestamp"] for point in data["evaluatedDatapoints"])


def test_reason_with_real_and_filled_datapoints():
    """Recorded from AWS (SNS notification on recovery): 1 real datapoint, 2 filled as breaching."""
    cfg = AlarmConfig("LessThanThreshold", 3, 60, threshold=1.0, treat_missing_data="breaching", statistic="Minimum")
    when = at("2026-08-26T16:19:41")
    window = evaluation_windows(when, 60, 3)
    points = [Datapoint(t, 1.0 if t == at("2026-08-26T16:16:00") else None) for t in window]
    result = evaluate_alarm(cfg, points, current_state=ALARM, evaluation_time=when)
    assert (result.state, result.rule) == (OK, "filled")
    assert result.reason == ("Threshold Crossed: 1 datapoint [1.0 (26/08/26 16:16:00)] was not less than the threshold "
                             "(1.0) and 2 missing datapoints were treated as [Breaching].")


BAND = "LessThanLowerOrGreaterThanUpperThreshold"


def test_reason_anomaly_band_alarm_and_back():
    """Recorded from AWS (EventBridge events of an anomaly-detection alarm, 1 of 1)."""
    cfg = AlarmConfig(BAND, 1, 60)
    alarm = evaluate_alarm(cfg, [Datapoint(at("2019-10-03T15:58:00"), 0.0, None, 0.020599444741798756,
                                           0.3006915352732461)],
                           current_state=OK, evaluation_time=at("2019-10-03T16:00:04.650"))
    assert alarm.reason == ("Thresholds Crossed: 1 out of the last 1 datapoints [0.0 (03/10/19 15:58:00)] was less than "
                            "the lower thresholds [0.020599444741798756] or greater than the upper thresholds "
                            "[0.3006915352732461] (minimum 1 datapoint for OK -> ALARM transition).")
    assert alarm.reason_data.startswith(
        '{"version":"1.0","queryDate":"2019-10-03T16:00:04.650+0000","startDate":"2019-10-03T15:58:00.000+0000",'
        '"period":60,"recentDatapoints":[0.0],"recentLowerThresholds":[0.020599444741798756],'
        '"recentUpperThresholds":[0.3006915352732461]')
    ok = evaluate_alarm(cfg, [Datapoint(at("2019-10-03T15:57:00"), 0.166666666664241, None, 0.0206719426210418,
                                        0.30076870222143803)],
                        current_state=ALARM, evaluation_time=at("2019-10-03T15:59:04.670"))
    assert ok.reason == ("Thresholds Crossed: 1 out of the last 1 datapoints [0.166666666664241 (03/10/19 15:57:00)] "
                         "was not less than the lower thresholds [0.0206719426210418] or not greater than the upper "
                         "thresholds [0.30076870222143803] (minimum 1 datapoint for ALARM -> OK transition).")


def test_reason_and_data_upper_band_exactly():
    """Recorded from AWS (alarm Lambda action payload): GreaterThanUpperThreshold, 1 of 1."""
    cfg = AlarmConfig("GreaterThanUpperThreshold", 1, 60)
    when = at("2024-07-25T07:22:32.386")
    (start,) = evaluation_windows(when, 60, 1, range_length=1)
    result = evaluate_alarm(cfg, [Datapoint(start, 239.0, None, 100.0, 225.71426732099445)],
                            current_state=OK, evaluation_time=when)
    assert result.reason == ("Thresholds Crossed: 1 out of the last 1 datapoints [239.0 (25/07/24 07:21:00)] was greater "
                             "than the upper thresholds [225.71426732099445] (minimum 1 datapoint for OK -> ALARM "
                             "transition).")
    assert result.reason_data == (
        '{"version":"1.0","queryDate":"2024-07-25T07:22:32.386+0000","startDate":"2024-07-25T07:21:00.000+0000",'
        '"period":60,"recentDatapoints":[239.0],"recentUpperThresholds":[225.71426732099445],'
        '"evaluatedDatapoints":[{"timestamp":"2024-07-25T07:21:00.000+0000","value":239.0,'
        '"threshold":225.71426732099445}]}')


def test_reason_band_two_datapoints_and_one_out_of_four():
    """Recorded from AWS (SNS notifications of anomaly-detection alarms): 2 of 2, and 1 of 4."""
    cfg = AlarmConfig(BAND, 2, 300, datapoints_to_alarm=2)
    points = [Datapoint(at("2019-11-22T00:52:00"), 27.035814838199848, None, 31.317673764600034, 32.68864166862828),
              Datapoint(at("2019-11-22T00:57:00"), 28.244242980188464, None, 31.723549397187316, 33.09242087209403)]
    result = evaluate_alarm(cfg, points, current_state=OK, evaluation_time=at("2019-11-22T01:02:17.570"))
    assert result.reason == (
        "Thresholds Crossed: 2 out of the last 2 datapoints [28.244242980188464 (22/11/19 00:57:00), 27.035814838199848 "
        "(22/11/19 00:52:00)] were less than the lower thresholds [31.723549397187316, 31.317673764600034] or greater "
        "than the upper thresholds [33.09242087209403, 32.68864166862828] (minimum 2 datapoints for OK -> ALARM "
        "transition).")
    cfg = AlarmConfig(BAND, 4, 60, datapoints_to_alarm=1)
    points = [Datapoint(at("2025-11-14T18:36:00") + timedelta(minutes=i), 300.0, None, 193.0, 531.0) for i in range(3)]
    points.append(Datapoint(at("2025-11-14T18:39:00"), 537.0, None, 193.33593366980995, 531.4406901351432))
    result = evaluate_alarm(cfg, points, current_state=OK, evaluation_time=at("2025-11-14T18:40:26.838"))
    assert result.reason == (
        "Thresholds Crossed: 1 out of the last 4 datapoints [537.0 (14/11/25 18:39:00)] was less than the lower "
        "thresholds [193.33593366980995] or greater than the upper thresholds [531.4406901351432] "
        "(minimum 1 datapoint for OK -> ALARM transition).")


@pytest.mark.parametrize("operator, value, state", [
    (BAND, 5.0, ALARM), (BAND, 25.0, ALARM), (BAND, 15.0, OK),
    ("LessThanLowerThreshold", 5.0, ALARM), ("LessThanLowerThreshold", 25.0, OK),
    ("GreaterThanUpperThreshold", 25.0, ALARM), ("GreaterThanUpperThreshold", 5.0, OK)])
def test_band_operators(operator, value, state):
    """PutMetricAlarm ComparisonOperator: the three operators of anomaly-detection alarms."""
    cfg = AlarmConfig(operator, 1, 60)
    point = Datapoint(T0, value, None, 10.0, 20.0)
    assert evaluate_alarm(cfg, [point], current_state=INSUFFICIENT_DATA, evaluation_time=T0).state == state


def test_band_alarm_without_a_band_counts_as_missing():
    cfg = AlarmConfig(BAND, 1, 60)
    result = evaluate_alarm(cfg, [Datapoint(T0, 5.0)], current_state=OK, evaluation_time=T0)
    assert result.state == INSUFFICIENT_DATA


def test_numbers_are_written_as_java_doubles():
    """AWS's reasons print doubles Java-style: 2.0, 21.5, 1.0E7."""
    assert [java_double(v) for v in (2, 21.5, 0.0, 1e7, 1.5e-5, 123456.789)] == \
        ["2.0", "21.5", "0.0", "1.0E7", "1.5E-5", "123456.789"]


def test_configuration_is_checked():
    with pytest.raises(ValueError):
        AlarmConfig("GreaterThanThreshold", 3, 60)
    with pytest.raises(ValueError):
        AlarmConfig("GreaterThanThreshold", 3, 60, threshold=1.0, datapoints_to_alarm=4)
    with pytest.raises(ValueError):
        AlarmConfig("Bigger", 3, 60, threshold=1.0)
