"""Delivery to targets, input transformation end to end, retries and dead-letter queues.

Sources: user guide "Amazon EventBridge targets", "Transforming target input" (its EC2 example),
"Event retry policy and using dead-letter queues" (the DLQ message attributes); AWS-recorded
deliveries in LocalStack's test_events_targets.snapshot.json and test_events_inputs.snapshot.json.
"""

from __future__ import annotations

import json

from .conftest import read_queue

EC2_DETAIL = {"instance-id": "i-0123456789", "state": "RUNNING"}
ENTRY = {"Source": "example.ec2", "DetailType": "EC2 Instance State-change Notification",
         "Detail": json.dumps(EC2_DETAIL)}
PATTERN = json.dumps({"source": ["example.ec2"]})


def rule_with(events, *targets, name="r"):
    events.put_rule(Name=name, EventPattern=PATTERN)
    events.put_targets(Rule=name, Targets=list(targets))


def deliveries(lab, *columns: str) -> list[tuple]:
    return lab.sql(f"SELECT {', '.join(columns)} FROM events_delivered ORDER BY seq").fetchall()


def dead_letters(lab, queue_arn: str) -> list[tuple[dict, dict]]:
    """(body, {attribute: value}) of each message on a dead-letter queue, read from the lab's SQS table
    (the message attributes EventBridge writes)."""
    rows = lab.sql("SELECT body, message_attributes FROM sqs_messages WHERE queue_arn = ? ORDER BY seq",
                   [queue_arn]).fetchall()
    return [(json.loads(body), {k: v["StringValue"] for k, v in json.loads(attrs).items()}) for body, attrs in rows]


def test_sqs_target_gets_the_event(lab, events, queue):
    """test_put_events_with_target_sqs: the message body is the event as compact JSON."""
    url, arn = queue
    rule_with(events, {"Id": "q", "Arn": arn})
    event_id = events.put_events(Entries=[ENTRY])["Entries"][0]["EventId"]
    (body,) = read_queue(lab, url)
    assert body["id"] == event_id and body["detail"] == EC2_DETAIL
    assert deliveries(lab, "rule_name", "target_id", "event_id", "attempt", "outcome") == [
        ("r", "q", event_id, 0, "delivered")]


def test_sns_target_publishes_the_event(lab, events, queue):
    """test_put_events_with_target_sns: the SNS notification's Message is the event JSON."""
    url, queue_arn = queue
    sns = lab.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    rule_with(events, {"Id": "topic", "Arn": topic})
    events.put_events(Entries=[ENTRY])
    (notification,) = read_queue(lab, url)
    assert notification["Type"] == "Notification" and notification["TopicArn"] == topic
    assert json.loads(notification["Message"])["detail"] == EC2_DETAIL


def test_log_group_target_writes_a_stream_per_event(lab, events):
    """test_put_events_with_target_cloudwatch_logs: one log event, the event as message, its time as timestamp."""
    logs = lab.client("logs")
    logs.create_log_group(logGroupName="/aws/events/audit")
    rule_with(events, {"Id": "logs", "Arn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/audit"})
    event_id = events.put_events(Entries=[ENTRY])["Entries"][0]["EventId"]
    (logged,) = logs.get_log_events(logGroupName="/aws/events/audit", logStreamName=event_id)["events"]
    assert json.loads(logged["message"])["id"] == event_id
    assert logged["timestamp"] == int(lab.now.timestamp() * 1000)


def test_log_group_target_with_timestamp_and_message_template(lab, events):
    """A CloudWatch Logs target's InputTransformer may shape {"timestamp": ..., "message": ...}."""
    logs = lab.client("logs")
    logs.create_log_group(logGroupName="g")
    rule_with(events, {"Id": "logs", "Arn": "arn:aws:logs:us-east-1:123456789012:log-group:g",
                       "InputTransformer": {"InputPathsMap": {"t": "$.time", "s": "$.detail.state"},
                                            "InputTemplate": '{"timestamp": <t>, "message": "state <s>"}'}})
    event_id = events.put_events(Entries=[ENTRY])["Entries"][0]["EventId"]
    (logged,) = logs.get_log_events(logGroupName="g", logStreamName=event_id)["events"]
    assert logged["message"] == "state RUNNING"


def test_missing_log_group_is_not_retried(lab, events):
    rule_with(events, {"Id": "logs", "Arn": "arn:aws:logs:us-east-1:123456789012:log-group:nope"})
    events.put_events(Entries=[ENTRY])
    assert deliveries(lab, "outcome", "error_code") == [("dropped", "NO_RESOURCE")]


def test_bus_target_forwards_to_another_bus(lab, events, queue):
    """test_put_events_with_target_events: the event arrives on the other bus and matches its rules."""
    url, arn = queue
    bus_arn = events.create_event_bus(Name="audit")["EventBusArn"]
    rule_with(events, {"Id": "bus", "Arn": bus_arn})
    events.put_rule(Name="on-audit", EventBusName="audit", EventPattern=PATTERN)
    events.put_targets(Rule="on-audit", EventBusName="audit", Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(Entries=[ENTRY])
    (body,) = read_queue(lab, url)
    assert (body["source"], body["detail"]) == ("example.ec2", EC2_DETAIL)


def test_registered_callable_stands_in_for_lambda(lab, events):
    seen = []
    arn = lab.service_for("events").events_target("handler", seen.append)
    assert arn == "arn:aws:lambda:us-east-1:123456789012:function:handler"
    rule_with(events, {"Id": "fn", "Arn": arn})
    events.put_events(Entries=[ENTRY])
    assert [e["detail"] for e in seen] == [EC2_DETAIL]


def test_lab_lambda_function_is_invoked_asynchronously(lab, events):
    """With no callable registered, the lab's Lambda service is invoked (InvocationType Event)."""
    calls = []
    arn = lab.service_for("lambda").define_function("fn", lambda event, context: calls.append(event["detail"]))
    rule_with(events, {"Id": "fn", "Arn": arn})
    events.put_events(Entries=[ENTRY])
    assert calls == [EC2_DETAIL]


def test_input_constant_and_input_path(lab, events, queue):
    """Input replaces the event; InputPath selects part of it (test_put_events_with_target_sqs_event_detail_match)."""
    url, arn = queue
    rule_with(events, {"Id": "constant", "Arn": arn, "Input": '{"EventType": "1"}'},
              {"Id": "path", "Arn": arn, "InputPath": "$.detail"})
    events.put_events(Entries=[ENTRY])
    assert read_queue(lab, url) == [{"EventType": "1"}, EC2_DETAIL]


def test_input_transformer_user_guide_example(lab, events, queue):
    """The user guide's example: a string template is delivered with its quotes; a JSON template with values."""
    url, arn = queue
    paths = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}
    rule_with(events, {"Id": "text", "Arn": arn, "InputTransformer": {
        "InputPathsMap": paths, "InputTemplate": '"<instance> is in state <state> at <timestamp>"'}},
        {"Id": "json", "Arn": arn, "InputTransformer": {
            "InputPathsMap": paths, "InputTemplate": '{"instance": <instance>, "state": <state>, '
                                                     '"rule": <aws.events.rule-name>}'}})
    events.put_events(Entries=[ENTRY])
    text, document = read_queue(lab, url)
    assert text == "i-0123456789 is in state RUNNING at 2026-01-01T00:00:00Z"   # JSON string: quotes parsed away
    ((raw,),) = lab.sql("SELECT input FROM events_delivered WHERE target_id = 'text'").fetchall()
    assert raw == '"i-0123456789 is in state RUNNING at 2026-01-01T00:00:00Z"'
    assert document == {"instance": "i-0123456789", "state": "RUNNING", "rule": "r"}


def test_disabled_rule_delivers_nothing(lab, events, queue):
    url, arn = queue
    rule_with(events, {"Id": "q", "Arn": arn})
    events.disable_rule(Name="r")
    events.put_events(Entries=[ENTRY])
    assert read_queue(lab, url) == []
    events.enable_rule(Name="r")
    events.put_events(Entries=[ENTRY])
    assert len(read_queue(lab, url)) == 1


# ---------------------------------------------------------------------------------------------
# Retries and dead letters

def failing(times: list, fail_first: int = 10**6):
    def fn(event):
        times.append(event["id"])
        if len(times) <= fail_first:
            raise RuntimeError("target unavailable")
    return fn


def test_retries_then_dead_letter_by_attempts(lab, events, queue):
    """MaximumRetryAttempts 2: three tries on the lab clock (0 s, 1 s, 3 s), then the DLQ with AWS's attributes."""
    _, dlq = queue
    calls: list = []
    fn = lab.service_for("events").events_target("flaky", failing(calls))
    rule_with(events, {"Id": "fn", "Arn": fn, "RetryPolicy": {"MaximumRetryAttempts": 2},
                       "DeadLetterConfig": {"Arn": dlq}})
    event_id = events.put_events(Entries=[ENTRY])["Entries"][0]["EventId"]
    assert deliveries(lab, "outcome") == [("retrying",)]
    lab.advance(minutes=1)
    rows = lab.sql("SELECT extract(epoch FROM time)::INT - extract(epoch FROM TIMESTAMPTZ '2026-01-01 00:00:00+00')::INT, "
                   "attempt, outcome, error_code FROM events_delivered ORDER BY seq").fetchall()
    assert rows == [(0, 0, "retrying", "SDK_CLIENT_ERROR"), (1, 1, "retrying", "SDK_CLIENT_ERROR"),
                    (3, 2, "dead-lettered", "SDK_CLIENT_ERROR")]
    assert len(calls) == 3
    ((body, attributes),) = dead_letters(lab, dlq)
    assert body["id"] == event_id
    assert attributes == {"RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/r", "TARGET_ARN": fn,
                          "ERROR_CODE": "SDK_CLIENT_ERROR", "ERROR_MESSAGE": "RuntimeError: target unavailable",
                          "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts", "RETRY_ATTEMPTS": "2"}


def test_retries_stop_at_maximum_event_age(lab, events, queue):
    """MaximumEventAgeInSeconds 60: tries at 0, 1, 3, 7, 15, 31 s; the next (63 s) would be too late."""
    _, dlq = queue
    calls: list = []
    fn = lab.service_for("events").events_target("flaky", failing(calls))
    rule_with(events, {"Id": "fn", "Arn": fn, "RetryPolicy": {"MaximumEventAgeInSeconds": 60},
                       "DeadLetterConfig": {"Arn": dlq}})
    events.put_events(Entries=[ENTRY])
    lab.advance(minutes=5)
    assert len(calls) == 6
    ((_, attributes),) = dead_letters(lab, dlq)
    assert (attributes["EXHAUSTED_RETRY_CONDITION"], attributes["RETRY_ATTEMPTS"]) == ("MaximumEventAgeInSeconds", "5")


def test_a_retry_can_succeed(lab, events):
    calls: list = []
    fn = lab.service_for("events").events_target("flaky", failing(calls, fail_first=1))
    rule_with(events, {"Id": "fn", "Arn": fn})
    events.put_events(Entries=[ENTRY])
    lab.advance(seconds=30)
    assert deliveries(lab, "attempt", "outcome") == [(0, "retrying"), (1, "delivered")]
    assert lab.sql("SELECT count(*) FROM events_retries").fetchall() == [(0,)]


def test_missing_target_goes_straight_to_the_dlq(lab, events, queue):
    """A target that does not exist is not retried: RETRY_ATTEMPTS 0 and no EXHAUSTED_RETRY_CONDITION."""
    _, dlq = queue
    rule_with(events, {"Id": "topic", "Arn": "arn:aws:sns:us-east-1:123456789012:no-such-topic",
                       "DeadLetterConfig": {"Arn": dlq}})
    events.put_events(Entries=[ENTRY])
    ((_, attributes),) = dead_letters(lab, dlq)
    assert (attributes["ERROR_CODE"], attributes["RETRY_ATTEMPTS"]) == ("NO_RESOURCE", "0")
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_no_dlq_means_dropped(lab, events):
    fn = lab.service_for("events").events_target("broken", failing([]))
    rule_with(events, {"Id": "fn", "Arn": fn, "RetryPolicy": {"MaximumRetryAttempts": 0}})
    events.put_events(Entries=[ENTRY])
    assert deliveries(lab, "outcome") == [("dropped",)]


def test_delivery_metrics(lab, events):
    """AWS/Events metrics by RuleName: TriggeredRules, Invocations, FailedInvocations (user guide, monitoring)."""
    fn = lab.service_for("events").events_target("broken", failing([]))
    rule_with(events, {"Id": "fn", "Arn": fn, "RetryPolicy": {"MaximumRetryAttempts": 0}})
    events.put_events(Entries=[ENTRY])
    cw = lab.client("cloudwatch")
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Events")["Metrics"]}
    assert names == {"TriggeredRules", "Invocations", "FailedInvocations"}
