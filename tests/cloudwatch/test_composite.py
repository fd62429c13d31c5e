"""Composite alarm rules against AWS's documentation and recorded AWS errors.

Pages: PutCompositeAlarm (API reference, AlarmRule) and the User Guide's "Creating a composite
alarm" (Create_Composite_Alarm.html) / "Composite alarms" (alarm-combining.html).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timezone

import pytest

from awslab.cloudwatch.composite import (
    ALARM, INSUFFICIENT_DATA, OK, AlarmRule, And, AtLeast, Constant, Not, Or, StateCheck,
    affected_composites, alarm_name, check_alarms_exist, composite_state_reason,
    composite_state_reason_data, cyclic_composites, evaluate_alarm_rule, parse_alarm_rule,
    triggering_alarms,
)
from awslab.errors import AWSError

STATES = (ALARM, OK, INSUFFICIENT_DATA)


def error_of(rule: str) -> AWSError:
    with pytest.raises(AWSError) as caught:
        parse_alarm_rule(rule)
    assert caught.value.code == "ValidationError" and caught.value.status == 400
    return caught.value


def all_states(*names: str):
    for combo in itertools.product(STATES, repeat=len(names)):
        yield dict(zip(names, combo))


# --- the documented examples ------------------------------------------------------------------------

def test_both_alarms_must_be_in_alarm():
    """PutCompositeAlarm: ``ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)`` "goes into
    ALARM state only if both ... are in ALARM state"."""
    rule = parse_alarm_rule("ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)")
    for states in all_states("CPUUtilizationTooHigh", "DiskReadOpsTooHigh"):
        expected = ALARM if set(states.values()) == {ALARM} else OK
        assert rule.state(states) == expected


def test_deployment_window_suppresses_noise():
    """PutCompositeAlarm: ``ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)``."""
    rule = parse_alarm_rule("ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)")
    for states in all_states("CPUUtilizationTooHigh", "DeploymentInProgress"):
        expected = states["CPUUtilizationTooHigh"] == ALARM and states["DeploymentInProgress"] != ALARM
        assert rule.evaluate(states) is expected


def test_parentheses_and_ok_function():
    """PutCompositeAlarm: ``(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND
    OK(NetworkOutTooHigh)``, and the console's quoted form of the same rule."""
    names = ("CPUUtilizationTooHigh", "DiskReadOpsTooHigh", "NetworkOutTooHigh")
    plain = parse_alarm_rule("(ALARM(CPUUtilizationTooHigh) OR ALARM(DiskReadOpsTooHigh)) AND OK(NetworkOutTooHigh)")
    quoted = parse_alarm_rule('(ALARM("CPUUtilizationTooHigh") OR \nALARM("DiskReadOpsTooHigh")) AND \nOK("NetworkOutTooHigh")')
    assert plain.tree == quoted.tree
    assert plain.alarms == names
    for states in all_states(*names):
        expected = (states[names[0]] == ALARM or states[names[1]] == ALARM) and states[names[2]] == OK
        assert plain.evaluate(states) is expected


def test_true_and_false():
    """PutCompositeAlarm: "TRUE always evaluates to TRUE. FALSE always evaluates to FALSE.\""""
    assert evaluate_alarm_rule("TRUE", {}) == ALARM
    assert evaluate_alarm_rule("FALSE", {}) == OK
    assert parse_alarm_rule("FALSE").alarms == ()
    # Create_Composite_Alarm breaks cycles by setting a rule "to False".
    assert evaluate_alarm_rule("False", {}) == OK


def test_insufficient_data_function():
    rule = parse_alarm_rule("INSUFFICIENT_DATA(a) OR NOT OK(b)")
    assert rule.tree == Or((StateCheck(INSUFFICIENT_DATA, "a"), Not(StateCheck(OK, "b"))))
    assert rule.evaluate({"a": INSUFFICIENT_DATA, "b": OK}) is True
    assert rule.evaluate({"a": ALARM, "b": OK}) is False


def test_references_by_arn_and_quoted_names():
    """PutCompositeAlarm: "You can use either alarm names or ARNs"; names "can be surrounded with
    double-quotes"; a quote inside a quoted name is escaped with a backslash."""
    arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:SampleQueue Oldest Age Alarm"
    rule = parse_alarm_rule(f'ALARM("{arn}") AND ALARM("with \\"quotes\\"") AND OK(plain-name_1.x)')
    assert rule.alarms == (arn, 'with "quotes"', "plain-name_1.x")
    assert alarm_name(arn) == "SampleQueue Oldest Age Alarm"
    assert rule.evaluate({"SampleQueue Oldest Age Alarm": ALARM, 'with "quotes"': ALARM, "plain-name_1.x": OK})


def test_precedence_not_and_or():
    """NOT binds tighter than AND, AND tighter than OR (lab choice; AWS's examples use parentheses)."""
    assert parse_alarm_rule("ALARM(a) OR ALARM(b) AND ALARM(c)").tree == \
        Or((StateCheck(ALARM, "a"), And((StateCheck(ALARM, "b"), StateCheck(ALARM, "c")))))
    assert parse_alarm_rule("NOT ALARM(a) AND ALARM(b)").tree == \
        And((Not(StateCheck(ALARM, "a")), StateCheck(ALARM, "b")))
    assert parse_alarm_rule("NOT NOT ALARM(a)").tree == StateCheck(ALARM, "a")


def test_missing_child_counts_as_insufficient_data():
    assert parse_alarm_rule("INSUFFICIENT_DATA(gone)").evaluate({}) is True


def test_at_least():
    """AT_LEAST(n | n%, [NOT] STATE, (alarms)), as CloudWatch has accepted since November 2025."""
    rule = parse_alarm_rule("AT_LEAST(2, ALARM, (a, b, c))")
    assert rule.tree == AtLeast(2, False, ALARM, False, ("a", "b", "c"))
    assert rule.evaluate({"a": ALARM, "b": ALARM, "c": OK}) and not rule.evaluate({"a": ALARM})
    percent = parse_alarm_rule('AT_LEAST("60%", NOT OK, (a, b, c, d, e))')
    assert percent.evaluate({"a": ALARM, "b": ALARM, "c": INSUFFICIENT_DATA})          # 3 of 5 not OK
    assert not percent.evaluate({"a": ALARM, "b": ALARM, "c": OK, "d": OK, "e": OK})  # 2 of 5
    with_arns = parse_alarm_rule("AT_LEAST(1, ALARM, (arn:aws:cloudwatch:eu-west-1:1:alarm:x, y))")
    assert with_arns.alarms == ("arn:aws:cloudwatch:eu-west-1:1:alarm:x", "y")
    error_of("AT_LEAST(4, ALARM, (a, b, c))")
    error_of("AT_LEAST(0, ALARM, (a))")
    error_of("AT_LEAST(2, MAYBE, (a, b))")


# --- errors -----------------------------------------------------------------------------------------

def test_empty_parentheses_error_is_awss():
    """Recorded from AWS (aws-cdk issue #34662): rule "()" -> Error in AlarmRule [Unsupported token ')' at char 1]."""
    assert error_of("()").message == "Error in AlarmRule [Unsupported token ')' at char 1]"


def test_unquoted_name_with_spaces_error_is_awss():
    """Recorded from AWS (aws-cdk issue #13953): an unquoted ARN whose name has spaces."""
    rule = ("(ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:SampleQueue Oldest Age Alarm) "
            "OR ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:SampleQueue Visible Messages Alarm))")
    assert error_of(rule).message == "Error in AlarmRule [Unsupported token 'Oldest' at char 67, must be: ')']"


@pytest.mark.parametrize("rule, message", [
    ("ALARM(a) AND", "Error in AlarmRule [Unexpected end of AlarmRule at char 12]"),
    ("ALARM a", "Error in AlarmRule [Unsupported token 'a' at char 6, must be: '(']"),
    ("ALARM(a) ALARM(b)", "Error in AlarmRule [Unsupported token 'ALARM' at char 9]"),
    ("(ALARM(a)", "Error in AlarmRule [Unexpected end of AlarmRule at char 9, must be: ')']"),
    ("ALARM(a))", "Error in AlarmRule [Unsupported token ')' at char 8]"),
    ("MAYBE(a)", "Error in AlarmRule [Unsupported token 'MAYBE' at char 0]"),
    ("ALARM()", "Error in AlarmRule [Unsupported token ')' at char 6]"),
    ('ALARM("a)', "Error in AlarmRule [Unsupported token '\"a)' at char 6]"),
    ("   ", "Error in AlarmRule [Unexpected end of AlarmRule at char 3]"),
])
def test_syntax_errors(rule, message):
    """Errors in the same form as AWS's recorded ones (lab wording where none is recorded)."""
    assert error_of(rule).message == message


def test_limits():
    """PutCompositeAlarm: at most 100 children, 500 elements, 10240 characters."""
    hundred = " OR ".join(f"ALARM(a{i})" for i in range(100))
    assert len(parse_alarm_rule(hundred).alarms) == 100
    assert "100" in error_of(hundred + " OR ALARM(a100)").message
    assert len(parse_alarm_rule(" OR ".join(["ALARM(a)"] * 400)).alarms) == 1
    assert "500" in error_of(" OR ".join(["TRUE"] * 501)).message
    assert "500" in error_of("(" * 250 + " OR ".join(["TRUE"] * 251) + ")" * 250).message
    too_long = "TRUE OR " * 1280 + "TRUE"
    assert error_of(too_long).message.endswith("Member must have length less than or equal to 10240")


def test_children_must_exist():
    """Recorded from AWS (CloudFormation/Terraform reports): every child must exist on save."""
    rule = parse_alarm_rule("ALARM(a) OR ALARM(gone) OR OK(arn:aws:cloudwatch:us-east-1:1:alarm:b)")
    check_alarms_exist(rule, ["a", "b", "gone"])
    with pytest.raises(AWSError) as caught:
        check_alarms_exist(rule, ["a"])
    assert caught.value.message == ("Could not save the composite alarm as alarms "
                                    "[gone, arn:aws:cloudwatch:us-east-1:1:alarm:b] in the alarm rule do not exist")


# --- when children change -----------------------------------------------------------------------------

def test_triggering_alarms():
    rule = parse_alarm_rule("(ALARM(cpu) OR ALARM(disk)) AND NOT ALARM(deploy)")
    states = {"cpu": ALARM, "disk": OK, "deploy": OK}
    assert rule.state(states) == ALARM
    assert triggering_alarms(rule, states) == ["cpu", "deploy"]
    states["deploy"] = ALARM
    assert triggering_alarms(rule, states) == ["disk", "deploy"]


def test_composites_re_evaluated_children_first_and_cycles_stop():
    """PutCompositeAlarm: composites can watch composites; "the evaluation of composite alarms
    stops if CloudWatch detects a cycle in the evaluation path"."""
    rules = {
        "service": parse_alarm_rule("ALARM(web) OR ALARM(db)"),
        "web": parse_alarm_rule("ALARM(cpu) AND ALARM(latency)"),
        "page": parse_alarm_rule("ALARM(service) AND NOT ALARM(maintenance)"),
        "loop-a": parse_alarm_rule("ALARM(loop-b) OR ALARM(cpu)"),
        "loop-b": parse_alarm_rule("ALARM(loop-a)"),
    }
    assert affected_composites(rules, "cpu") == ["web", "service", "page"]
    assert affected_composites(rules, "maintenance") == ["page"]
    assert cyclic_composites(rules) == {"loop-a", "loop-b"}


def test_composite_reason_texts():
    """Recorded from AWS (describe-alarms / EventBridge events of composite alarms)."""
    child = "arn:aws:cloudwatch:us-east-2:672774589314:alarm:-Task-ImageQueueScalingAlarm846F1F23-19LPTQIB9ANUQ"
    when = datetime(2022, 10, 30, 20, 47, 35, 671000, tzinfo=timezone.utc)
    assert composite_state_reason(ALARM, trigger_arn=child, trigger_state=ALARM, trigger_time=when) == \
        f"{child} transitioned to ALARM at Sunday 30 October, 2022 20:47:35 UTC"
    main = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:SuppressionDemo.EventBridge.Main"
    assert composite_state_reason(OK, composite_arn=main) == f"{main} was created and its alarm rule evaluates to OK"
    data = composite_state_reason_data([(child, ALARM, when)])
    assert data == ('{"triggeringAlarms":[{"arn":"' + child +
                    '","state":{"value":"ALARM","timestamp":"2022-10-30T20:47:35.671+0000"}}]}')
    assert json.loads(data)["triggeringAlarms"][0]["state"]["value"] == ALARM


def test_rule_keeps_its_text():
    rule = parse_alarm_rule("TRUE")
    assert isinstance(rule, AlarmRule) and rule.text == "TRUE" and rule.tree == Constant(True)
