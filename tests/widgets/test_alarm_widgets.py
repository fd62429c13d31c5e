"""The alarm notebooks' widgets and exercises, driven by setting ``.value`` on their controls.

The playground runs the alarm engine minute by minute; one test checks it against a real lab
(PutMetricData + lab.advance) so the notebook shows what the lab does. Tables: UG:alarms-and-missing-data.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import timedelta

import matplotlib
import pytest

from awslab import Lab
from awslab.lessons.alarms import filled_question, rule_question, state_question, table_row
from awslab.widgets.alarms import PLAYGROUND_START, alarm_playground, parse_points

matplotlib.use("Agg")


def test_playground_follows_its_controls():
    box, model = alarm_playground("10 - 50 - 50", treat="missing")
    assert model.states()[-1] == "OK" or model.states()[-1] in ("ALARM", "INSUFFICIENT_DATA")
    box.treat.value = "breaching"
    assert model.treat == "breaching" and "ALARM" in model.states()
    box.points.value = "- - - - -"
    box.treat.value = "notBreaching"
    assert set(model.states()) == {"OK"}
    assert model.changes[0]["reason"] == ("Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
                                          "datapoints were treated as [NonBreaching].")
    box.evaluation_periods.value = 2
    assert model.datapoints_to_alarm == 2  # M is kept at most N
    box.period.value = 300
    assert len(model.minutes) == 35


def test_playground_matches_the_lab():
    """The playground's states each minute are the lab's for the same alarm and datapoints."""
    box, model = alarm_playground("50 - 50 - - 10", evaluation_periods=3, datapoints_to_alarm=2,
                                  treat="missing")
    lab = Lab(start=PLAYGROUND_START)
    cw = lab.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="a", Namespace="P", MetricName="V", Statistic="Average", Period=60,
                        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=40.0,
                        ComparisonOperator="GreaterThanThreshold")
    cw.put_metric_data(Namespace="P", MetricData=[
        {"MetricName": "V", "Value": v, "Timestamp": PLAYGROUND_START + timedelta(minutes=i)}
        for i, v in enumerate(model.points) if v is not None])
    states = []
    for _ in model.minutes:
        lab.advance(minutes=1)
        states.append(cw.describe_alarms(AlarmNames=["a"])["MetricAlarms"][0]["StateValue"])
    assert states == model.states()


def test_parse_points():
    assert parse_points("1, -, 2.5") == [1.0, None, 2.5]
    with pytest.raises(ValueError):
        parse_points(" ".join(["1"] * 30))


@pytest.mark.parametrize("pattern, m, treat, state, filled", [
    ("- - X - -", 3, "missing", "ALARM", 2),
    ("0 - X - -", 2, "breaching", "ALARM", 1),
    ("- - - - 0", 2, "notBreaching", "OK", 2),
])
def test_table_rows(pattern, m, treat, state, filled):
    """Rows of the user guide's tables, as the exercises compute them."""
    assert table_row(pattern, m=m, treat=treat) == (state, filled)


def test_exercises_check_with_the_engine():
    quiet = io.StringIO()
    with redirect_stdout(quiet):
        assert state_question("- - - - -", treat="ignore", current="ALARM").check("ALARM")
        assert not state_question("- - - - -", treat="missing").check("OK")
        assert filled_question("0 - - - -").check(2)
        rule = rule_question("ALARM when cpu is in ALARM and deploy is not", lambda s: s["cpu"] == "ALARM"
                             and s["deploy"] != "ALARM", ("cpu", "deploy"), "ALARM(cpu) AND NOT ALARM(deploy)")
        assert rule.check("ALARM(cpu) AND NOT ALARM(deploy)")
        assert not rule.check("ALARM(cpu) AND OK(deploy)")
        assert not rule.check("ALARM(cpu")
    assert "INSUFFICIENT_DATA" in quiet.getvalue()
