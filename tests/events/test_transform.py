"""Target input: the user guide's "Transforming target input" examples and AWS-recorded deliveries."""

from __future__ import annotations

import json

import pytest

from awslab.errors import AWSError
from awslab.events.transform import (
    extract_path, placeholders, render_target_input, render_template, validate_target_input,
)

# The user guide's example EC2 event and input paths.
GUIDE_EVENT = {
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
    "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
GUIDE_PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}
RULE = {"rule_arn": "arn:aws:events:us-east-2:123456789012:rule/example", "rule_name": "example",
        "ingestion_time": "2015-11-11T21:29:55Z"}

# The event LocalStack's AWS-recorded transformer tests deliver (test_events_inputs.snapshot.json).
RECORDED_EVENT = {
    "version": "0", "id": "6e8d2a15-0000-4000-8000-000000000000", "detail-type": "core.update-account-command",
    "source": "core.update-account-command", "account": "111111111111", "time": "2024-05-13T12:27:07Z",
    "region": "us-east-1", "resources": [],
    "detail": {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}},
}
RECORDED_PATHS = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command"}


def transformed(template: str, paths=GUIDE_PATHS, event=GUIDE_EVENT) -> str:
    target = {"Id": "t", "InputTransformer": {"InputPathsMap": paths, "InputTemplate": template}}
    validate_target_input(target)
    return render_target_input(target, event, **RULE)


@pytest.mark.parametrize("template,output", [
    ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    ('"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'),
    ('{\n  "instance" : <instance>,\n  "state": <state>\n}', '{"instance":"i-0123456789","state":"RUNNING"}'),
    ('{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
     '{"instance":"i-0123456789","state":"RUNNING","instanceStatus":"instance \\"i-0123456789\\" is in RUNNING"}'),
    ('{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
     '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}'),
    ('"<aws.events.rule-name> triggered"', '"example triggered"'),
])
def test_guide_examples(template, output):
    """Transforming target input, "Input transform examples" (the JSON output arrives minified)."""
    assert transformed(template) == output


def test_guide_reserved_variables_in_json():
    """Including reserved variables in JSON: rule ARN and name as strings, the event as an object."""
    out = json.loads(transformed('{"instance": <instance>, "ruleArn": <aws.events.rule-arn>, '
                                 '"ruleName": <aws.events.rule-name>, "originalEvent": <aws.events.event>}'))
    assert out["ruleArn"] == RULE["rule_arn"] and out["ruleName"] == "example"
    assert out["originalEvent"]["detailType"] == "EC2 Instance State-change Notification"
    assert "detail" not in out["originalEvent"]


@pytest.mark.parametrize("template,expected_all,expected_missing", [
    ('"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
     '"Event of core.update-account-command type, at time 2024-05-13T12:27:07Z, info extracted from detail update-account"',
     '"Event of core.update-account-command type, at time 2024-05-13T12:27:07Z, info extracted from detail "'),
    ('"{[/Check with special starting characters for event of <detail-type> type"',
     '"{[/Check with special starting characters for event of core.update-account-command type"',
     '"{[/Check with special starting characters for event of core.update-account-command type"'),
    ('{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}',
     '{"detailType":"core.update-account-command","time":"2024-05-13T12:27:07Z","command":"update-account"}',
     '{"detailType":"core.update-account-command","time":"2024-05-13T12:27:07Z","command":""}'),
])
def test_aws_recorded_templates(template, expected_all, expected_missing):
    """LS-AWS TestInputTransformer: quoted templates keep their quotes; a missing path is empty."""
    assert transformed(template, RECORDED_PATHS, RECORDED_EVENT) == expected_all
    missing = {**RECORDED_PATHS, "command": "$.detail.notinmessage"}
    assert transformed(template, missing, RECORDED_EVENT) == expected_missing


def test_aws_recorded_predefined_variables():
    """LS-AWS test_input_transformer_predefined_variables: string and JSON forms."""
    text = transformed('"Message containing all pre defined variables <aws.events.rule-arn> '
                       '<aws.events.rule-name> <aws.events.event.ingestion-time>"', {}, RECORDED_EVENT)
    assert text == f'"Message containing all pre defined variables {RULE["rule_arn"]} example 2015-11-11T21:29:55Z"'
    body = json.loads(transformed('{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}',
                                  {}, RECORDED_EVENT))
    assert list(body["originalEvent"]) == ["id", "account", "detailType", "time", "source", "region", "resources",
                                           "version"]
    assert body["originalEventJson"] == RECORDED_EVENT


def test_values_inside_strings_are_raw():
    """Inside a string: no quotes and no spaces for arrays and objects, values unescaped."""
    paths = {"payload": "$.detail.payload", "states": "$.detail.states", "flag": "$.detail.flag"}
    event = {"detail": {"payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}, "states": ["ACTIVE", "INACTIVE"],
                        "flag": True}}
    assert transformed('"<payload> <states> <flag>"', paths, event) == '"{acc_id:0a787ecb-4015,sf_id:baz} [ACTIVE,INACTIVE] true"'
    outside = json.loads(transformed('{"p": <payload>, "s": <states>, "f": <flag>}', paths, event))
    assert outside == {"p": event["detail"]["payload"], "s": ["ACTIVE", "INACTIVE"], "f": True}


def test_input_path_and_input():
    """PutTargets Input is passed as is; InputPath passes part of the event (LS-AWS TestInputPath)."""
    assert render_target_input({"Input": '{"custom-value": "somecustominput"}'}, RECORDED_EVENT, **RULE) == \
        '{"custom-value": "somecustominput"}'
    assert render_target_input({"InputPath": "$.detail.payload.sf_id"}, RECORDED_EVENT, **RULE) == '"baz"'
    assert json.loads(render_target_input({"InputPath": "$.detail"}, RECORDED_EVENT, **RULE)) == RECORDED_EVENT["detail"]
    assert json.loads(render_target_input({}, RECORDED_EVENT, **RULE)) == RECORDED_EVENT
    assert render_target_input({"InputPath": "$.detail.nothing"}, RECORDED_EVENT, **RULE) is None


def test_json_paths():
    assert extract_path(GUIDE_EVENT, "$.resources[0]") == GUIDE_EVENT["resources"][0]
    assert extract_path(GUIDE_EVENT, "$['detail']['state']") == "RUNNING"
    assert extract_path(GUIDE_EVENT, "$.detail.*") == ["i-0123456789", "RUNNING"]
    assert extract_path(GUIDE_EVENT, "$") == GUIDE_EVENT


def test_validation_at_put_targets():
    """AWS-recorded PutTargets errors: more than one input setting, an undefined placeholder."""
    with pytest.raises(AWSError) as caught:
        validate_target_input({"Id": "t1", "InputPath": "$.detail",
                               "InputTransformer": {"InputPathsMap": {}, "InputTemplate": '"x"'}})
    assert caught.value.message == "Only one of Input, InputPath, or InputTransformer must be provided for target t1."
    with pytest.raises(AWSError) as caught:
        validate_target_input({"Id": "t1", "InputTransformer": {
            "InputPathsMap": RECORDED_PATHS,
            "InputTemplate": '"Event of <detail-type> type, with not defined key <notdefinedkey>"'}})
    assert (caught.value.code, caught.value.message) == (
        "ValidationException", "InputTemplate for target t1 contains invalid placeholder notdefinedkey.")
    validate_target_input({"Id": "t1", "InputTransformer": {"InputTemplate": '"<aws.events.event.json>"'}})


def test_documented_limits():
    """InputTransformer: at most 100 paths, keys [A-Za-z0-9_-]+, template 1..8192 characters."""
    too_many = {f"k{i}": "$.a" for i in range(101)}
    for transformer in ({"InputPathsMap": too_many, "InputTemplate": '"x"'},
                        {"InputPathsMap": {"bad.key": "$.a"}, "InputTemplate": '"x"'},
                        {"InputPathsMap": {}, "InputTemplate": "x" * 8193}):
        with pytest.raises(AWSError) as caught:
            validate_target_input({"Id": "t", "InputTransformer": transformer})
        assert caught.value.code == "ValidationException"


def test_placeholders_and_non_json_templates():
    assert placeholders('{"a": <x>, "b": "<y> and <aws.events.rule-name>"}') == ["x", "y", "aws.events.rule-name"]
    assert render_template("<x> is in state <y>", {"x": "i-1"}) == '"i-1" is in state ""'
