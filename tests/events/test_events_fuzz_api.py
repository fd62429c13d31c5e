"""Fuzzing the EventBridge API's parsers: arbitrary input gets AWS's answer or AWS's error, never a
Python exception (rule names, schedule expressions, patterns and events, input templates, CloudTrail
records on the hub)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings, strategies as st

from awslab import Lab
from awslab.events import sources

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EVENT = json.dumps({"id": "1", "account": "123456789012", "source": "s", "time": "2026-01-01T00:00:00Z",
                    "region": "us-east-1", "resources": [], "detail-type": "d", "detail": {}})


@pytest.fixture(scope="module")
def events():
    lab = Lab(strict=True)
    client = lab.client("events")
    client.put_rule(Name="fuzz", EventPattern='{"source": ["s"]}')
    yield client
    lab.close()


def aws_error(call, allowed: set[str], **kwargs) -> str | None:
    try:
        call(**kwargs)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        assert code in allowed, error.response["Error"]
        return code
    return None


@FUZZ
@given(name=st.text(min_size=1, max_size=80))
def test_rule_names(events, name):
    aws_error(events.put_rule, {"ValidationException"}, Name=name, EventPattern='{"source": ["s"]}', State="DISABLED")


@FUZZ
@given(expression=st.one_of(st.text(max_size=40), st.from_regex(r"(rate|cron)\([ 0-9a-zA-Z*?/,#L-]{0,30}\)",
                                                                fullmatch=True)))
def test_schedule_expressions(events, expression):
    aws_error(events.put_rule, {"ValidationException"}, Name="schedule", ScheduleExpression=expression or "x",
              State="DISABLED")


@FUZZ
@given(pattern=st.text(max_size=60), event=st.text(max_size=60))
def test_test_event_pattern(events, pattern, event):
    aws_error(events.test_event_pattern, {"InvalidEventPatternException", "ValidationException"},
              EventPattern=pattern, Event=EVENT)
    aws_error(events.test_event_pattern, {"ValidationException"}, EventPattern='{"source": ["s"]}', Event=event)


@FUZZ
@given(template=st.text(min_size=1, max_size=60), key=st.text(min_size=1, max_size=10))
def test_input_templates(events, template, key):
    aws_error(events.put_targets, {"ValidationException"}, Rule="fuzz", Targets=[{
        "Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
        "InputTransformer": {"InputPathsMap": {key: "$.detail"}, "InputTemplate": template}}])


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                       max_size=3), max_leaves=8)


@settings(max_examples=80, deadline=None)
@given(record=st.dictionaries(st.sampled_from(["eventType", "eventSource", "eventTime", "eventName", "awsRegion",
                                               "managementEvent", "eventID", "recipientAccountId"]),
                              json_values, max_size=8))
def test_cloudtrail_records(record):
    event = sources.cloudtrail_event(record, "123456789012")
    assert event is None or event["detail"] is record
    sources.is_read_only_management(record)
