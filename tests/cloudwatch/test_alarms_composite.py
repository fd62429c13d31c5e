"""Composite alarms through the API: created and evaluated at once, re-evaluated when a child
changes state, actions suppression.

Pages: API:PutCompositeAlarm ("When this operation creates an alarm, the alarm state is immediately
set to INSUFFICIENT_DATA. The alarm is then evaluated"), UG:Create_Composite_Alarm,
UG:Create_Composite_Alarm_Suppression (WaitPeriod, ExtensionPeriod), API:DescribeAlarms
(ChildrenOfAlarmName, ParentsOfAlarmName), API:DeleteAlarms. Reason texts recorded from AWS are in
awslab/cloudwatch/composite.py.
"""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

import awslab.lab
from awslab import Lab
from awslab.service import Service

TOPIC = "arn:aws:sns:us-east-1:123456789012:ops"
ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
PUBLISHED: list[dict] = []


class StubSns(Service):
    answers = ("sns",)

    def publish(self, call, params):
        PUBLISHED.append(params)
        return {"MessageId": "00000000-0000-0000-0000-000000000001"}


@pytest.fixture
def lab(monkeypatch):
    PUBLISHED.clear()
    monkeypatch.setattr(awslab.lab, "SERVICES", awslab.lab.SERVICES + [f"{__name__}:StubSns"])
    fresh = Lab(start="2026-01-01T00:00:00Z")
    yield fresh
    fresh.close()


@pytest.fixture
def cw(lab):
    client = lab.client("cloudwatch")
    for name in ("cpu", "disk", "deploying"):
        client.put_metric_alarm(AlarmName=name, Namespace="Shop", MetricName=name, Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                                TreatMissingData="ignore")  # without data they keep the state tests give them
        client.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="start")
    return client


def composite(cw, name="service", rule="ALARM(cpu) OR ALARM(disk)", **extra):
    cw.put_composite_alarm(AlarmName=name, AlarmRule=rule, AlarmActions=[TOPIC], **extra)
    return cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]


def error_of(call):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_created_and_evaluated_at_once(cw):
    """The recorded creation reason: "<arn> was created and its alarm rule evaluates to OK"."""
    alarm = composite(cw)
    assert alarm["StateValue"] == "OK"
    assert alarm["StateReason"] == f"{ARN}service was created and its alarm rule evaluates to OK"
    data = json.loads(alarm["StateReasonData"])
    assert [t["arn"] for t in data["triggeringAlarms"]] == [f"{ARN}cpu", f"{ARN}disk"]
    history = cw.describe_alarm_history(AlarmName="service", AlarmTypes=["CompositeAlarm"])["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from INSUFFICIENT_DATA to OK",
                                                      'Alarm "service" created']
    assert all(h["AlarmType"] == "CompositeAlarm" for h in history)
    assert cw.describe_alarm_history(AlarmName="service")["AlarmHistoryItems"] == []  # default: metric alarms


def test_child_change_reevaluates_the_composite(lab, cw):
    """UG:Create_Composite_Alarm: the composite is ALARM while its rule is true; the reason names the
    child that transitioned, as AWS writes it ("... transitioned to ALARM at Thursday 01 January, 2026 ...")."""
    composite(cw)
    lab.advance(minutes=5, seconds=7)
    cw.set_alarm_state(AlarmName="disk", StateValue="ALARM", StateReason="full")
    alarm = cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"] == f"{ARN}disk transitioned to ALARM at Thursday 01 January, 2026 00:05:07 UTC"
    assert json.loads(alarm["StateReasonData"])["triggeringAlarms"] == [
        {"arn": f"{ARN}disk", "state": {"value": "ALARM", "timestamp": "2026-01-01T00:05:07.000+0000"}}]
    message = json.loads(json.loads(PUBLISHED[-1]["Message"])["default"])
    assert list(message)[-4:] == ["InsufficientDataActions", "OldStateValue", "AlarmRule", "TriggeringChildren"]
    assert message["AlarmRule"] == "ALARM(cpu) OR ALARM(disk)"


def test_nested_composites_and_cycles(cw):
    """Composites of composites are evaluated children first; a cycle stops evaluation (API:PutCompositeAlarm)."""
    composite(cw, "inner", "ALARM(cpu)")
    composite(cw, "outer", "ALARM(inner) AND OK(disk)")
    cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot")
    states = {a["AlarmName"]: a["StateValue"] for a in cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]}
    assert states == {"inner": "ALARM", "outer": "ALARM"}
    cw.put_composite_alarm(AlarmName="inner", AlarmRule="ALARM(outer)")  # now a cycle: inner <-> outer
    cw.set_alarm_state(AlarmName="disk", StateValue="ALARM", StateReason="x")
    states = {a["AlarmName"]: a["StateValue"] for a in cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]}
    assert states == {"inner": "ALARM", "outer": "ALARM"}


def test_rule_and_action_errors(cw):
    """AWS-recorded: "Error in AlarmRule [Unsupported token ')' at char 1]" and "Could not save the
    composite alarm as alarms [gone] in the alarm rule do not exist"; composites take no EC2 actions."""
    assert error_of(lambda: cw.put_composite_alarm(AlarmName="c", AlarmRule="()")) == \
        ("ValidationError", "Error in AlarmRule [Unsupported token ')' at char 1]")
    assert error_of(lambda: cw.put_composite_alarm(AlarmName="c", AlarmRule="ALARM(gone)")) == \
        ("ValidationError", "Could not save the composite alarm as alarms [gone] in the alarm rule do not exist")
    code, _ = error_of(lambda: cw.put_composite_alarm(AlarmName="c", AlarmRule="ALARM(cpu)",
                                                      AlarmActions=["arn:aws:automate:us-east-1:ec2:stop"]))
    assert code == "ValidationError"
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


def test_children_and_parents(cw):
    """API:DescribeAlarms ChildrenOfAlarmName / ParentsOfAlarmName."""
    composite(cw, "service", "ALARM(cpu) OR ALARM(disk)")
    children = cw.describe_alarms(ChildrenOfAlarmName="service")
    assert sorted(a["AlarmName"] for a in children["MetricAlarms"]) == ["cpu", "disk"]
    parents = cw.describe_alarms(ParentsOfAlarmName="cpu")
    assert [a["AlarmName"] for a in parents["CompositeAlarms"]] == ["service"]


def test_children_cannot_be_deleted_while_used(cw):
    """API:DeleteAlarms: a composite's children cannot be deleted while it uses them (the cycle note),
    and one call deletes at most one composite alarm."""
    composite(cw, "a", "ALARM(cpu)")
    composite(cw, "b", "ALARM(disk)")
    assert error_of(lambda: cw.delete_alarms(AlarmNames=["cpu"]))[0] == "ValidationError"
    assert error_of(lambda: cw.delete_alarms(AlarmNames=["a", "b"]))[0] == "ValidationError"
    cw.delete_alarms(AlarmNames=["a", "cpu"])
    assert {a["AlarmName"] for a in cw.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])["MetricAlarms"]} \
        == {"disk", "deploying"}


def test_suppressor_in_alarm_silences_actions(cw):
    """UG:Create_Composite_Alarm_Suppression: "When a suppressor alarm changes states from OK to ALARM, its
    composite alarm stops taking actions"; ActionsSuppressedBy says why."""
    composite(cw, ActionsSuppressor="deploying", ActionsSuppressorWaitPeriod=0, ActionsSuppressorExtensionPeriod=0)
    cw.set_alarm_state(AlarmName="deploying", StateValue="ALARM", StateReason="deploy")
    cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot")
    alarm = cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert alarm["StateValue"] == "ALARM" and alarm["ActionsSuppressedBy"] == "Alarm"
    assert PUBLISHED == []


def test_wait_period_then_actions(lab, cw):
    """WaitPeriod: the composite waits for the suppressor; if it never goes to ALARM, the composite
    performs its actions when the wait ends."""
    composite(cw, ActionsSuppressor="deploying", ActionsSuppressorWaitPeriod=120, ActionsSuppressorExtensionPeriod=60)
    cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot")
    alarm = cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert alarm["ActionsSuppressedBy"] == "WaitPeriod"
    assert alarm["ActionsSuppressedReason"] == "Actions suppressed by WaitPeriod"
    lab.advance(minutes=1)
    assert PUBLISHED == []
    lab.advance(minutes=1)
    assert len(PUBLISHED) == 1
    assert "ActionsSuppressedBy" not in \
        cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]


def test_wait_period_caught_by_the_suppressor(lab, cw):
    """WaitPeriod: the suppressor goes to ALARM within the wait, so the actions never run; after it
    leaves ALARM the ExtensionPeriod keeps them quiet."""
    composite(cw, ActionsSuppressor="deploying", ActionsSuppressorWaitPeriod=120, ActionsSuppressorExtensionPeriod=60)
    cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="hot")
    cw.set_alarm_state(AlarmName="deploying", StateValue="ALARM", StateReason="deploy")
    lab.advance(minutes=3)
    assert PUBLISHED == []
    cw.set_alarm_state(AlarmName="deploying", StateValue="OK", StateReason="done")
    alarm = cw.describe_alarms(AlarmNames=["service"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert alarm["ActionsSuppressedBy"] == "ExtensionPeriod"
