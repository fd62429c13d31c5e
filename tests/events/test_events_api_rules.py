"""Rules, targets and TestEventPattern through boto3, against AWS-recorded answers.

Recorded answers: LocalStack's AWS-validated snapshots test_events.snapshot.json (TestEventRule,
TestEventTarget), test_events_rules.snapshot.json, test_events_patterns.snapshot.json and
test_events_schedule.snapshot.json; rules from the API reference (PutRule, PutTargets, DeleteRule).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import answer as strip

PATTERN = json.dumps({"source": ["core.update-account-command"], "detail-type": ["core.update-account-command"],
                      "detail": {"command": ["update-account"]}})
QUEUE = "arn:aws:sqs:us-east-1:123456789012:inbox"


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("bus", ["default", "custom"])
def test_put_list_describe_delete_rule(events, bus):
    """test_put_list_with_prefix_describe_delete_rule[custom|default]: ARNs, ListRules and DescribeRule shapes."""
    if bus == "custom":
        events.create_event_bus(Name="custom")
    arn = events.put_rule(Name="test-rule", EventPattern=PATTERN, EventBusName=bus)["RuleArn"]
    expected_arn = ("arn:aws:events:us-east-1:123456789012:rule/test-rule" if bus == "default"
                    else "arn:aws:events:us-east-1:123456789012:rule/custom/test-rule")
    assert arn == expected_arn
    listed = {"Name": "test-rule", "Arn": arn, "EventPattern": PATTERN, "State": "ENABLED", "EventBusName": bus}
    assert events.list_rules(NamePrefix="test-rule", EventBusName=bus)["Rules"] == [listed]
    assert strip(events.describe_rule(Name="test-rule", EventBusName=bus)) == {**listed, "CreatedBy": "123456789012"}
    events.delete_rule(Name="test-rule", EventBusName=bus)
    assert events.list_rules(NamePrefix="test-rule", EventBusName=bus)["Rules"] == []


def test_put_rule_replaces(events):
    """test_put_multiple_rules_with_same_name: PutRule on an existing name updates it (one rule, same ARN);
    arguments left out become empty (API reference, PutRule)."""
    first = events.put_rule(Name="r", EventPattern=PATTERN, Description="first")["RuleArn"]
    assert events.put_rule(Name="r", EventPattern=PATTERN)["RuleArn"] == first
    (rule,) = events.list_rules()["Rules"]
    assert "Description" not in rule


def test_list_rules_pages(events):
    """test_list_rule_with_limit: Limit 3 then NextToken."""
    for index in range(6):
        events.put_rule(Name=f"rule-{index}", EventPattern=PATTERN)
    first = events.list_rules(Limit=3)
    second = events.list_rules(Limit=5, NextToken=first["NextToken"])
    assert [r["Name"] for r in first["Rules"] + second["Rules"]] == [f"rule-{i}" for i in range(6)]


def test_describe_missing_rule(events):
    """test_describe_nonexistent_rule."""
    assert error(events.describe_rule, Name="missing") == ("ResourceNotFoundException",
                                                          "Rule missing does not exist on EventBus default.")
    assert error(events.enable_rule, Name="missing")[0] == "ResourceNotFoundException"
    assert error(events.put_rule, Name="r", EventPattern=PATTERN, EventBusName="nope") == (
        "ResourceNotFoundException", "Event bus nope does not exist.")


def test_disable_and_enable(events):
    """test_disable_re_enable_rule."""
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    events.enable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "ENABLED"


def test_put_rule_validation(events):
    """PutRule's checks: a pattern or a schedule; schedules only on the default bus; AWS's pattern and
    schedule errors; the Name constraint."""
    assert error(events.put_rule, Name="r") == ("ValidationException",
                                                "Parameter(s) EventPattern or ScheduleExpression must be specified.")
    events.create_event_bus(Name="custom")
    assert error(events.put_rule, Name="r", ScheduleExpression="rate(5 minutes)", EventBusName="custom") == (
        "ValidationException", "ScheduleExpression is supported only on the default event bus.")
    assert error(events.put_rule, Name="r", ScheduleExpression="rate(1 minutes)") == (
        "ValidationException", "Parameter ScheduleExpression is not valid.")
    code, message = error(events.put_rule, Name="r", EventPattern='{"source": "aws.ec2"}')
    assert code == "InvalidEventPatternException"
    assert message.startswith('Event pattern is not valid. Reason: "source" must be an object or an array')
    assert error(events.put_rule, Name="bad name!", EventPattern=PATTERN) == (
        "ValidationException", "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy "
                               "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
    assert events.put_rule(Name="both", EventPattern=PATTERN, ScheduleExpression="cron(0 12 * * ? *)")["RuleArn"]


def test_put_rule_states(events):
    """RuleState enum: ENABLED (default), DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS; others refused."""
    events.put_rule(Name="r", EventPattern=PATTERN, State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    assert events.describe_rule(Name="r")["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
    code, message = error(events.put_rule, Name="r", EventPattern=PATTERN, State="SOMETIMES")
    assert code == "ValidationException" and "Member must satisfy enum value set" in message


# ---------------------------------------------------------------------------------------------
# Targets

@pytest.mark.parametrize("bus", ["default", "custom"])
def test_put_list_remove_target(events, bus):
    """test_put_list_remove_target[custom|default]."""
    if bus == "custom":
        events.create_event_bus(Name="custom")
    events.put_rule(Name="r", EventPattern=PATTERN, EventBusName=bus)
    assert strip(events.put_targets(Rule="r", EventBusName=bus, Targets=[{"Id": "t", "Arn": QUEUE}])) == {
        "FailedEntryCount": 0, "FailedEntries": []}
    assert events.list_targets_by_rule(Rule="r", EventBusName=bus)["Targets"] == [{"Id": "t", "Arn": QUEUE}]
    assert strip(events.remove_targets(Rule="r", EventBusName=bus, Ids=["t"])) == {"FailedEntryCount": 0,
                                                                                   "FailedEntries": []}
    assert events.list_targets_by_rule(Rule="r", EventBusName=bus)["Targets"] == []


def test_at_most_five_targets(events):
    """test_add_exceed_fife_targets_per_rule: LimitExceededException; updating an existing Id is not a new one."""
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=[{"Id": f"t{i}", "Arn": QUEUE} for i in range(5)])
    events.put_targets(Rule="r", Targets=[{"Id": "t0", "Arn": QUEUE, "Input": '{"x": 1}'}])
    assert error(events.put_targets, Rule="r", Targets=[{"Id": "t5", "Arn": QUEUE}]) == (
        "LimitExceededException", "The requested resource exceeds the maximum number allowed.")
    first = events.list_targets_by_rule(Rule="r", Limit=3)
    rest = events.list_targets_by_rule(Rule="r", NextToken=first["NextToken"])
    assert [t["Id"] for t in first["Targets"] + rest["Targets"]] == [f"t{i}" for i in range(5)]
    assert first["Targets"][0] == {"Id": "t0", "Arn": QUEUE, "Input": '{"x": 1}'}


def test_target_validation(events):
    """test_put_target_id_validation, and the input checks of the user guide's "Transforming target input"."""
    events.put_rule(Name="r", EventPattern=PATTERN)
    assert error(events.put_targets, Rule="r", Targets=[{"Id": "!@#$@!#$", "Arn": QUEUE}]) == (
        "ValidationException", "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to "
                               "satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
    long_id = "x" * 65
    assert error(events.put_targets, Rule="r", Targets=[{"Id": long_id, "Arn": QUEUE}]) == (
        "ValidationException", f"1 validation error detected: Value '{long_id}' at 'targets.1.member.id' failed to "
                               "satisfy constraint: Member must have length less than or equal to 64")
    assert error(events.put_targets, Rule="r", Targets=[{"Id": "t", "Arn": QUEUE, "Input": "{}", "InputPath": "$"}]) == (
        "ValidationException", "Only one of Input, InputPath, or InputTransformer must be provided for target t.")
    assert error(events.put_targets, Rule="r", Targets=[{"Id": "t", "Arn": QUEUE, "InputTransformer": {
        "InputPathsMap": {"a": "$.detail"}, "InputTemplate": '"<a> <b>"'}}]) == (
        "ValidationException", "InputTemplate for target t contains invalid placeholder b.")
    code, message = error(events.put_targets, Rule="r", Targets=[{"Id": "t", "Arn": QUEUE, "RetryPolicy": {
        "MaximumRetryAttempts": 186}}])
    assert code == "ValidationException" and message.endswith("Member must have value less than or equal to 185")
    assert error(events.put_targets, Rule="missing", Targets=[{"Id": "t", "Arn": QUEUE}]) == (
        "ResourceNotFoundException", "Rule missing does not exist on EventBus default.")
    assert error(events.put_targets, Rule="r", Targets=[{"Id": "t", "Arn": "not-an-arn"}])[0] == "ValidationException"


def test_delete_rule_with_targets_is_refused(events):
    """test_delete_rule_with_targets; a rule that is not there deletes without error."""
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE}])
    assert error(events.delete_rule, Name="r") == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="r", Ids=["t"])
    events.delete_rule(Name="r")
    events.delete_rule(Name="r")


def test_update_rule_keeps_targets(events):
    """test_update_rule_with_targets."""
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE}])
    events.put_rule(Name="r", EventPattern=PATTERN)
    assert events.list_targets_by_rule(Rule="r")["Targets"] == [{"Id": "t", "Arn": QUEUE}]


def test_list_rule_names_by_target(events):
    for name in ("b", "a", "c"):
        events.put_rule(Name=name, EventPattern=PATTERN)
    events.put_targets(Rule="b", Targets=[{"Id": "t", "Arn": QUEUE}])
    events.put_targets(Rule="a", Targets=[{"Id": "t", "Arn": QUEUE}])
    assert events.list_rule_names_by_target(TargetArn=QUEUE)["RuleNames"] == ["a", "b"]


def test_rule_tags(events):
    arn = events.put_rule(Name="r", EventPattern=PATTERN, Tags=[{"Key": "k", "Value": "v"}])["RuleArn"]
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert error(events.list_tags_for_resource, ResourceARN=arn + "x") == (
        "ResourceNotFoundException", "Rule rx does not exist on EventBus default.")


# ---------------------------------------------------------------------------------------------
# TestEventPattern

EVENT = json.dumps({"id": "1", "account": "123456789012", "source": "aws.ec2", "time": "2026-01-01T00:00:00Z",
                    "region": "us-east-1", "resources": [], "detail-type": "EC2 Instance State-change Notification",
                    "detail": {"state": "running", "x-limit": 301.8}})


def test_test_event_pattern(events):
    """TestEventPattern uses the same matcher as rules: AWS-recorded results and errors."""
    assert events.test_event_pattern(EventPattern='{"source": ["aws.ec2"]}', Event=EVENT)["Result"] is True
    assert events.test_event_pattern(EventPattern='{"detail": {"x-limit": [{"numeric": [">", 302]}]}}',
                                     Event=EVENT)["Result"] is False
    code, message = error(events.test_event_pattern, EventPattern='{"source": [{"prefix": ["a"]}]}', Event=EVENT)
    assert (code, message.split("\n")[0]) == ("InvalidEventPatternException",
                                             "Event pattern is not valid. Reason: prefix match pattern must be a string")
    assert error(events.test_event_pattern, EventPattern='{"source": ["aws.ec2"]}', Event='"a string"') == (
        "ValidationException", "Parameter Event is not valid.")
    assert error(events.test_event_pattern, EventPattern='{"source": ["aws.ec2"]}', Event='{"source": "aws.ec2"}') == (
        "ValidationException", "Parameter Event is not valid.")
