"""PutLogEvents' limits, GetLogEvents and FilterLogEvents through boto3.

Pages: LAPI:PutLogEvents and LAPI:RejectedLogEventsInfo, LAPI:GetLogEvents, LAPI:FilterLogEvents
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_<Op>.html) and LG:cloudwatch_limits_cwl.
Error messages for oversized events and batches are AWS's, as client reports quote them
("Log event too large: 262592 bytes exceeds limit of 262144").
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

START_MS = 1767225600000  # 2026-01-01T00:00:00Z
DAY = 86_400_000
HOUR = 3_600_000


@pytest.fixture
def logs(lab):
    client = lab.client("logs")
    client.create_log_group(logGroupName="g")
    client.create_log_stream(logGroupName="g", logStreamName="s")
    return client


def put(logs, events, stream="s"):
    return logs.put_log_events(logGroupName="g", logStreamName=stream, logEvents=events)


def error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def stored(lab) -> list[str]:
    return [m for (m,) in lab.sql("SELECT message FROM logs_events ORDER BY sequence").fetchall()]


def test_too_old_and_too_new_events_are_rejected_and_the_rest_stored(logs, lab):
    """Events older than 14 days or more than 2 hours ahead are rejected "while processing remaining valid
    events"; tooOldLogEventEndIndex is exclusive, tooNewLogEventStartIndex inclusive."""
    response = put(logs, [
        {"timestamp": START_MS - 15 * DAY, "message": "old 1"},
        {"timestamp": START_MS - 14 * DAY - 1, "message": "old 2"},
        {"timestamp": START_MS - 14 * DAY + 1, "message": "ok 1"},  # would fail the 24 h span: not accepted below
    ][:2] + [
        {"timestamp": START_MS - 1, "message": "ok 1"},
        {"timestamp": START_MS + 2 * HOUR, "message": "ok 2"},
        {"timestamp": START_MS + 2 * HOUR + 1, "message": "new 1"},
        {"timestamp": START_MS + 3 * HOUR, "message": "new 2"}])
    assert response["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 4}
    assert stored(lab) == ["ok 1", "ok 2"]


def test_events_older_than_the_retention_period_are_expired(logs, lab):
    logs.put_retention_policy(logGroupName="g", retentionInDays=1)
    response = put(logs, [{"timestamp": START_MS - 2 * DAY, "message": "expired"},
                          {"timestamp": START_MS - 2 * DAY + 5, "message": "expired too"}])
    assert response["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 2}
    assert stored(lab) == []
    assert "rejectedLogEventsInfo" not in put(logs, [{"timestamp": START_MS, "message": "fresh"}])


def test_event_size_limit_counts_26_bytes_per_event(logs, lab):
    """256 KB per event, counting the UTF-8 message plus 26 bytes."""
    put(logs, [{"timestamp": START_MS, "message": "x" * (262_144 - 26)}])
    with pytest.raises(ClientError) as excinfo:
        put(logs, [{"timestamp": START_MS, "message": "x" * (262_144 - 25)}])
    assert error(excinfo) == ("InvalidParameterException", "Log event too large: 262145 bytes exceeds limit of 262144")
    with pytest.raises(ClientError) as excinfo:
        put(logs, [{"timestamp": START_MS, "message": "é" * 131_060}])  # 262,120 bytes of UTF-8, + 26
    assert error(excinfo)[1] == "Log event too large: 262146 bytes exceeds limit of 262144"
    assert len(stored(lab)) == 1


def test_batch_size_limit_is_1048576_bytes_including_26_per_event(logs, lab):
    fits = [{"timestamp": START_MS, "message": "x" * (262_144 - 26)}] * 4  # exactly 1,048,576 bytes
    put(logs, fits)
    with pytest.raises(ClientError) as excinfo:
        put(logs, fits + [{"timestamp": START_MS, "message": "y"}])
    assert error(excinfo) == ("InvalidParameterException", "Upload too large: 1048603 bytes exceeds limit of 1048576")
    assert len(stored(lab)) == 4  # the failed call stored nothing


def test_at_most_10000_events(logs, lab):
    put(logs, [{"timestamp": START_MS, "message": "m"}] * 10_000)
    with pytest.raises(ClientError) as excinfo:
        put(logs, [{"timestamp": START_MS, "message": "m"}] * 10_001)
    code, message = error(excinfo)
    assert code == "InvalidParameterException" and "Member must have length less than or equal to 10000" in message
    assert lab.sql("SELECT count(*) FROM logs_events").fetchall()[0][0] == 10_000


def test_chronological_order_and_24_hour_span(logs, lab):
    with pytest.raises(ClientError) as excinfo:
        put(logs, [{"timestamp": START_MS, "message": "b"}, {"timestamp": START_MS - 1, "message": "a"}])
    assert error(excinfo) == ("InvalidParameterException",
                              "Log events in a single PutLogEvents request must be in chronological order.")
    with pytest.raises(ClientError) as excinfo:
        put(logs, [{"timestamp": START_MS - DAY - 1, "message": "a"}, {"timestamp": START_MS, "message": "b"}])
    assert error(excinfo) == ("InvalidParameterException",
                              "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    # The span counts only valid events: a too-old event does not stretch it (LAPI:PutLogEvents).
    response = put(logs, [{"timestamp": START_MS - 20 * DAY, "message": "too old"},
                          {"timestamp": START_MS - DAY, "message": "a"}, {"timestamp": START_MS, "message": "b"}])
    assert response["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    assert stored(lab) == ["a", "b"]


def test_non_utf8_text_is_rejected(logs, lab):
    """Messages are UTF-8 text; a string with a lone surrogate cannot be, and nothing is stored."""
    with pytest.raises(ClientError) as excinfo:
        put(logs, [{"timestamp": START_MS, "message": "ok \udc80"}])
    assert error(excinfo)[0] == "InvalidParameterException"
    assert stored(lab) == []
    put(logs, [{"timestamp": START_MS, "message": "ünïcödé ✓"}])
    assert stored(lab) == ["ünïcödé ✓"]


def test_missing_group_or_stream(logs):
    with pytest.raises(ClientError) as excinfo:
        logs.put_log_events(logGroupName="g", logStreamName="nope", logEvents=[{"timestamp": START_MS, "message": "m"}])
    assert error(excinfo) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    with pytest.raises(ClientError) as excinfo:
        logs.put_log_events(logGroupName="nope", logStreamName="s", logEvents=[{"timestamp": START_MS, "message": "m"}])
    assert error(excinfo) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_get_log_events_pages_forward_and_backward(logs):
    """Latest events by default; startFromHead from the earliest; the same token back at the end of the stream."""
    put(logs, [{"timestamp": START_MS - 100 + i, "message": f"m{i}"} for i in range(25)])
    latest = logs.get_log_events(logGroupName="g", logStreamName="s", limit=10)
    assert [e["message"] for e in latest["events"]] == [f"m{i}" for i in range(15, 25)]
    earlier = logs.get_log_events(logGroupName="g", logStreamName="s", limit=10, nextToken=latest["nextBackwardToken"])
    assert [e["message"] for e in earlier["events"]] == [f"m{i}" for i in range(5, 15)]
    head = logs.get_log_events(logGroupName="g", logStreamName="s", limit=10, startFromHead=True)
    seen, token = [e["message"] for e in head["events"]], head["nextForwardToken"]
    while True:
        page = logs.get_log_events(logGroupName="g", logStreamName="s", limit=10, startFromHead=True, nextToken=token)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"m{i}" for i in range(25)]
    window = logs.get_log_events(logGroupName="g", logStreamName="s", startTime=START_MS - 90, endTime=START_MS - 88,
                                 startFromHead=True)
    assert [e["message"] for e in window["events"]] == ["m10", "m11"]  # endTime is excluded
    assert window["events"][0] == {"timestamp": START_MS - 90, "message": "m10", "ingestionTime": START_MS}


def test_get_log_events_pages_hold_at_most_1_mb(logs):
    big = "x" * 200_000
    put(logs, [{"timestamp": START_MS, "message": big}] * 5)
    page = logs.get_log_events(logGroupName="g", logStreamName="s", startFromHead=True)
    assert len(page["events"]) == 5  # 5 x 200,026 bytes fit in 1,048,576
    put(logs, [{"timestamp": START_MS, "message": big}] * 2)
    page = logs.get_log_events(logGroupName="g", logStreamName="s", startFromHead=True)
    assert len(page["events"]) == 5


def test_filter_log_events_with_patterns_across_streams(logs):
    """Interleaved across streams by timestamp; JSON and space-delimited patterns run in bulk."""
    logs.create_log_stream(logGroupName="g", logStreamName="t")
    put(logs, [{"timestamp": START_MS - 10, "message": json.dumps({"eventName": "ConsoleLogin", "latency": 50})},
               {"timestamp": START_MS - 5, "message": '127.0.0.1 - - [x] "GET / HTTP/1.1" 404 12'}])
    put(logs, [{"timestamp": START_MS - 7, "message": json.dumps({"eventName": "ConsoleLogin", "latency": 500})},
               {"timestamp": START_MS - 1, "message": "ERROR something"}], stream="t")
    found = logs.filter_log_events(logGroupName="g", filterPattern='{ $.eventName = "ConsoleLogin" }')["events"]
    assert [(e["logStreamName"], e["timestamp"]) for e in found] == [("s", START_MS - 10), ("t", START_MS - 7)]
    assert set(found[0]) == {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    assert len(found[0]["eventId"]) == 56
    found = logs.filter_log_events(logGroupName="g", filterPattern="{ $.latency > 100 }")["events"]
    assert [e["timestamp"] for e in found] == [START_MS - 7]
    found = logs.filter_log_events(logGroupName="g", filterPattern="[ip, id, user, ts, request, status = 404, bytes]")
    assert [e["timestamp"] for e in found["events"]] == [START_MS - 5]
    found = logs.filter_log_events(logGroupName="g", logStreamNames=["t"])["events"]
    assert [e["logStreamName"] for e in found] == ["t", "t"]
    found = logs.filter_log_events(logGroupName="g", startTime=START_MS - 7, endTime=START_MS - 5)["events"]
    assert [e["timestamp"] for e in found] == [START_MS - 7, START_MS - 5]  # both ends included
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="g", filterPattern="{ $.a = }")
    assert error(excinfo) == ("InvalidParameterException", "Invalid filter pattern")
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="g", logStreamNames=["t"], logStreamNamePrefix="t")
    assert error(excinfo)[0] == "InvalidParameterException"


def test_filter_log_events_paginates(logs):
    """Pages of `limit` events with nextToken; the paginator reads every event once, in order."""
    put(logs, [{"timestamp": START_MS - 1000 + i, "message": f"ERROR {i}" if i % 3 == 0 else f"ok {i}"}
               for i in range(100)])
    first = logs.filter_log_events(logGroupName="g", filterPattern="ERROR", limit=10)
    assert len(first["events"]) == 10 and "nextToken" in first
    pages = list(logs.get_paginator("filter_log_events").paginate(
        logGroupName="g", filterPattern="ERROR", PaginationConfig={"PageSize": 10}))
    messages = [e["message"] for p in pages for e in p["events"]]
    assert messages == [f"ERROR {i}" for i in range(0, 100, 3)]
    assert "nextToken" not in pages[-1]
    newest = logs.filter_log_events(logGroupName="g", filterPattern="ERROR", limit=2, startFromHead=False,
                                    startTime=START_MS - 2000)
    assert [e["message"] for e in newest["events"]] == ["ERROR 99", "ERROR 96"]
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="g", startFromHead=False, startTime=0)
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="g", nextToken="garbage")
    assert error(excinfo) == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_filter_log_events_pages_hold_at_most_1_mb(logs):
    for _ in range(2):
        put(logs, [{"timestamp": START_MS, "message": "x" * 250_000}] * 3)
    page = logs.filter_log_events(logGroupName="g")
    assert len(page["events"]) == 4 and "nextToken" in page  # 4 x 250,026 bytes fit in 1,048,576, 5 do not
    rest = logs.filter_log_events(logGroupName="g", nextToken=page["nextToken"])
    assert len(rest["events"]) == 2 and "nextToken" not in rest


def test_group_identifier_rules(logs):
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:g"
    put(logs, [{"timestamp": START_MS, "message": "m"}])
    assert len(logs.filter_log_events(logGroupIdentifier=arn)["events"]) == 1
    assert len(logs.get_log_events(logGroupIdentifier="g", logStreamName="s")["events"]) == 1
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupIdentifier=arn, logGroupName="g")
    assert error(excinfo)[0] == "InvalidParameterException"


def test_ingest_bulk_path(lab, logs):
    """The bulk path stores a DataFrame in one statement and drops events PutLogEvents would reject."""
    import pandas

    frame = pandas.DataFrame({"timestamp": [START_MS - i for i in range(1000)] + [START_MS - 20 * DAY],
                              "message": [f"m{i}" for i in range(1001)]})
    assert lab.service_for("logs").ingest("g", "bulk", frame) == 1000
    assert logs.describe_log_streams(logGroupName="g", logStreamNamePrefix="bulk")["logStreams"][0][
        "lastEventTimestamp"] == START_MS
