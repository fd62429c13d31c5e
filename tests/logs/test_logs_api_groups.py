"""Log groups, log streams and retention through boto3.

Pages: LAPI:CreateLogGroup, LAPI:DescribeLogGroups, LAPI:CreateLogStream, LAPI:DescribeLogStreams,
LAPI:PutRetentionPolicy (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_<Op>.html) and
LG:Working-with-log-groups-and-streams.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from awslab.logs.groups import RETENTION_DAYS

START_MS = 1767225600000  # 2026-01-01T00:00:00Z, the lab's start


@pytest.fixture
def logs(lab):
    return lab.client("logs")


def error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_create_describe_and_delete_a_group(logs, lab):
    """CreateLogGroup then DescribeLogGroups: name, creation time in ms, both ARN forms, no retention (never expire)."""
    logs.create_log_group(logGroupName="/app/web", tags={"team": "web"})
    group = logs.describe_log_groups()["logGroups"][0]
    assert group == {"logGroupName": "/app/web", "creationTime": START_MS, "metricFilterCount": 0,
                     "arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web:*", "storedBytes": 0,
                     "logGroupClass": "STANDARD", "logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/web"}
    assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {"team": "web"}
    logs.delete_log_group(logGroupName="/app/web")
    assert logs.describe_log_groups()["logGroups"] == []


def test_group_name_rules(logs):
    """Names are unique per Region, use [.-_/#A-Za-z0-9], and can't start with aws/."""
    logs.create_log_group(logGroupName="a")
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_group(logGroupName="a")
    assert error(excinfo) == ("ResourceAlreadyExistsException", "The specified log group already exists")
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_group(logGroupName="bad name")
    assert error(excinfo)[0] == "InvalidParameterException"
    assert "[\\.\\-_/#A-Za-z0-9]+" in error(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_group(logGroupName="aws/mine")
    assert error(excinfo)[0] == "InvalidParameterException"
    logs.create_log_group(logGroupName="/aws/lambda/f")  # a leading slash is fine
    with pytest.raises(ClientError) as excinfo:
        logs.delete_log_group(logGroupName="missing")
    assert error(excinfo) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_describe_log_groups_pages_prefix_and_pattern(logs):
    """50 a page in name order; nextToken continues; prefix and pattern (case-sensitive substring) filter."""
    names = [f"/g/{i:03d}" for i in range(60)] + ["DataLogs", "aws-DataLogs", "GroupDataLogs", "datalogs"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    first = logs.describe_log_groups()
    assert len(first["logGroups"]) == 50 and "nextToken" in first
    pages = logs.get_paginator("describe_log_groups").paginate()
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == sorted(names)
    assert len(logs.describe_log_groups(logGroupNamePrefix="/g/05")["logGroups"]) == 10
    matched = logs.describe_log_groups(logGroupNamePattern="DataLogs")["logGroups"]
    # The example of LAPI:DescribeLogGroups: DataLogs, aws/DataLogs, GroupDataLogs match; datalogs does not.
    assert [g["logGroupName"] for g in matched] == ["DataLogs", "GroupDataLogs", "aws-DataLogs"]
    assert set(matched[0]) == {"logGroupName", "creationTime", "arn"}
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_groups(logGroupNamePrefix="a", logGroupNamePattern="b")
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_groups(limit=51)
    assert error(excinfo)[0] == "InvalidParameterException"


def test_streams_create_describe_order_and_delete(logs, lab):
    """Streams: unique in their group, no ':' or '*'; ordered by name or by last event time."""
    logs.create_log_group(logGroupName="g")
    for name in ("b", "a", "c"):
        logs.create_log_stream(logGroupName="g", logStreamName=name)
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_stream(logGroupName="g", logStreamName="a")
    assert error(excinfo) == ("ResourceAlreadyExistsException", "The specified log stream already exists")
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_stream(logGroupName="g", logStreamName="x:y")
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_stream(logGroupName="nope", logStreamName="a")
    assert error(excinfo)[0] == "ResourceNotFoundException"
    logs.put_log_events(logGroupName="g", logStreamName="c", logEvents=[{"timestamp": START_MS - 1000, "message": "x"}])
    logs.put_log_events(logGroupName="g", logStreamName="a", logEvents=[{"timestamp": START_MS, "message": "y"}])
    by_name = logs.describe_log_streams(logGroupName="g")["logStreams"]
    assert [s["logStreamName"] for s in by_name] == ["a", "b", "c"]
    a = by_name[0]
    assert a["firstEventTimestamp"] == a["lastEventTimestamp"] == START_MS and a["storedBytes"] == 0
    assert a["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:a"
    recent = logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in recent] == ["a", "c", "b"]
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_streams(logGroupName="g", orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error(excinfo) == ("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:g"
    assert len(logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]) == 3
    logs.delete_log_stream(logGroupName="g", logStreamName="a")
    assert lab.sql("SELECT count(*) FROM logs_events WHERE log_stream = 'a'").fetchall()[0][0] == 0
    with pytest.raises(ClientError) as excinfo:
        logs.delete_log_stream(logGroupName="g", logStreamName="a")
    assert error(excinfo) == ("ResourceNotFoundException", "The specified log stream does not exist.")


def test_describe_log_streams_pages(logs):
    logs.create_log_group(logGroupName="g")
    for i in range(55):
        logs.create_log_stream(logGroupName="g", logStreamName=f"s{i:02d}")
    pages = list(logs.get_paginator("describe_log_streams").paginate(logGroupName="g"))
    assert [len(p["logStreams"]) for p in pages] == [50, 5]


def test_retention_accepts_only_the_documented_values(logs):
    """PutRetentionPolicy's possible values: 1, 3, 5, ... 3653 (LAPI:PutRetentionPolicy); others are refused."""
    logs.create_log_group(logGroupName="g")
    for days in RETENTION_DAYS:
        logs.put_retention_policy(logGroupName="g", retentionInDays=days)
        assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == days
    for days in (2, 4, 10, 366, 3650, 9999):
        with pytest.raises(ClientError) as excinfo:
            logs.put_retention_policy(logGroupName="g", retentionInDays=days)
        code, message = error(excinfo)
        assert code == "InvalidParameterException"
        assert message.startswith(f"1 validation error detected: Value '{days}' at 'retentionInDays'")
        assert "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60" in message
    with pytest.raises(ClientError) as excinfo:
        logs.put_retention_policy(logGroupName="missing", retentionInDays=1)
    assert error(excinfo)[0] == "ResourceNotFoundException"


def test_retention_is_enforced_by_the_lab_clock(logs, lab):
    """Events older than the retention period are deleted; DeleteRetentionPolicy makes them never expire again."""
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    day = 86_400_000
    for age, message in ((10 * day, "ten days old"), (2 * day, "two days old"), (0, "new")):
        # A batch may not span more than 24 hours: one call each.
        logs.put_log_events(logGroupName="g", logStreamName="s",
                            logEvents=[{"timestamp": START_MS - age, "message": message}])
    logs.put_retention_policy(logGroupName="g", retentionInDays=7)
    lab.advance(minutes=1)
    messages = lambda: [m for (m,) in lab.sql("SELECT message FROM logs_events ORDER BY timestamp").fetchall()]  # noqa: E731
    assert messages() == ["two days old", "new"]
    lab.advance(days=5, minutes=1)
    assert messages() == ["new"]
    logs.delete_retention_policy(logGroupName="g")
    lab.advance(days=400)
    assert messages() == ["new"]
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]


def test_stored_bytes_and_metric_filter_count(logs):
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[{"timestamp": START_MS, "message": "héllo"}])
    logs.put_metric_filter(logGroupName="g", filterName="f", filterPattern="hello",
                           metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}])
    group = logs.describe_log_groups()["logGroups"][0]
    assert group["storedBytes"] == len("héllo".encode()) and group["metricFilterCount"] == 1


def test_tags_and_deletion_protection(logs):
    logs.create_log_group(logGroupName="g", deletionProtectionEnabled=True)
    logs.tag_log_group(logGroupName="g", tags={"a": "1", "b": "2"})
    logs.untag_log_group(logGroupName="g", tags=["a"])
    assert logs.list_tags_log_group(logGroupName="g")["tags"] == {"b": "2"}
    assert logs.describe_log_groups()["logGroups"][0]["deletionProtectionEnabled"] is True
    with pytest.raises(ClientError) as excinfo:
        logs.delete_log_group(logGroupName="g")
    assert error(excinfo)[0] == "ValidationException"


def test_api_calls_are_recorded_in_cloudtrail(logs, lab):
    """Management events for CreateLogGroup; PutLogEvents is not logged (LG:logging_cw_api_calls_cwl)."""
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[{"timestamp": START_MS, "message": "x"}])
    names = [n for (n,) in lab.sql("SELECT event_name FROM cloudtrail_events WHERE event_source = "
                                   "'logs.amazonaws.com' ORDER BY event_time").fetchall()]
    assert names == ["CreateLogGroup", "CreateLogStream"]


def test_groups_are_announced_to_aws_config(logs, lab):
    """Each change publishes the group's AWS::Logs::LogGroup configuration; Config's inventory lists them."""
    facts = []
    lab.hub.subscribe("resource_changed", facts.append)
    logs.create_log_group(logGroupName="g")
    logs.put_retention_policy(logGroupName="g", retentionInDays=30)
    logs.delete_log_group(logGroupName="g")
    logged = [(f["status"], f["configuration"].get("RetentionInDays")) for f in facts
              if f["resource_type"] == "AWS::Logs::LogGroup"]
    assert logged == [("created", None), ("updated", 30), ("deleted", None)]
    logs.create_log_group(logGroupName="h")
    inventory = {"region": "us-east-1", "account_id": "123456789012", "time": lab.now, "collect": []}
    for subscriber in lab.hub.subscribers("resource_inventory"):
        subscriber(inventory)
    assert [f["resource_id"] for f in inventory["collect"] if f["resource_type"] == "AWS::Logs::LogGroup"] == ["h"]
