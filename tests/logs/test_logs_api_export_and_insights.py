"""Export to S3 (CreateExportTask) and Logs Insights (StartQuery, GetQueryResults) through boto3.

Pages: LAPI:CreateExportTask, LAPI:DescribeExportTasks, LAPI:CancelExportTask, LG:S3ExportTasks (the bucket policy
and the export's layout), LAPI:StartQuery, LAPI:GetQueryResults, LG:CWL_QuerySyntax.
"""

from __future__ import annotations

import gzip
import json

import pytest
from botocore.exceptions import ClientError

from awslab.logs.export import bucket_policy

START_MS = 1767225600000  # 2026-01-01T00:00:00Z


@pytest.fixture
def logs(lab):
    client = lab.client("logs")
    client.create_log_group(logGroupName="app")
    for stream in ("web-1", "web-2", "worker"):
        client.create_log_stream(logGroupName="app", logStreamName=stream)
        client.put_log_events(logGroupName="app", logStreamName=stream, logEvents=[
            {"timestamp": START_MS - 60_000 * (3 - i), "message": json.dumps({"stream": stream, "n": i, "status": 200 + 202 * (i % 2)})}
            for i in range(3)])
    return client


@pytest.fixture
def bucket(lab):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="exports")
    s3.put_bucket_policy(Bucket="exports", Policy=json.dumps(bucket_policy("exports", "us-east-1")))
    return "exports"


def error(excinfo) -> tuple[str, str]:
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_export_writes_each_stream_in_aws_layout(logs, lab, bucket):
    """<prefix>/<task id>/<stream>/000000.gz, one "timestamp message" line per event, after the clock moves."""
    task_id = logs.create_export_task(taskName="t1", logGroupName="app", logStreamNamePrefix="web",
                                      fromTime=START_MS - 120_000, to=START_MS, destination=bucket,
                                      destinationPrefix="exported")["taskId"]
    task = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
    assert task["status"]["code"] == "PENDING" and task["destinationPrefix"] == "exported"
    lab.advance(minutes=1)
    task = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
    assert task["status"]["code"] == "COMPLETED"
    assert task["executionInfo"]["creationTime"] == START_MS and task["executionInfo"]["completionTime"] > START_MS
    s3 = lab.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(["exported/aws-logs-write-test", f"exported/{task_id}/web-1/000000.gz",
                           f"exported/{task_id}/web-2/000000.gz"])
    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=f"exported/{task_id}/web-1/000000.gz")["Body"].read())
    lines = body.decode().splitlines()
    assert lines == ['2025-12-31T23:58:00.000Z {"stream": "web-1", "n": 1, "status": 402}',
                     '2025-12-31T23:59:00.000Z {"stream": "web-1", "n": 2, "status": 200}']
    # CloudTrail shows the writes as CloudWatch Logs' own.
    invokers = {r for (r,) in lab.sql("SELECT DISTINCT json_extract_string(record, '$.userIdentity.invokedBy') "
                                      "FROM cloudtrail_events WHERE event_name = 'PutObject'").fetchall()}
    assert invokers == {"logs.us-east-1.amazonaws.com"}


def test_export_needs_the_bucket_policy_and_one_active_task(logs, lab, bucket):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="private")
    with pytest.raises(ClientError) as excinfo:
        logs.create_export_task(logGroupName="app", fromTime=0, to=START_MS, destination="private")
    assert error(excinfo) == ("InvalidParameterException", "GetBucketAcl call on the given bucket failed. Please check "
                                                           "if CloudWatch Logs has been granted permission to perform "
                                                           "this operation.")
    with pytest.raises(ClientError) as excinfo:
        logs.create_export_task(logGroupName="app", fromTime=0, to=START_MS, destination="no-such-bucket")
    assert error(excinfo)[0] == "InvalidParameterException"
    first = logs.create_export_task(logGroupName="app", fromTime=0, to=START_MS, destination=bucket)["taskId"]
    with pytest.raises(ClientError) as excinfo:
        logs.create_export_task(logGroupName="app", fromTime=0, to=START_MS, destination=bucket)
    assert error(excinfo) == ("LimitExceededException", "Resource limit exceeded.")
    logs.cancel_export_task(taskId=first)
    assert logs.describe_export_tasks(statusCode="CANCELLED")["exportTasks"][0]["taskId"] == first
    with pytest.raises(ClientError) as excinfo:
        logs.cancel_export_task(taskId=first)
    assert error(excinfo)[0] == "InvalidOperationException"
    with pytest.raises(ClientError) as excinfo:
        logs.create_export_task(logGroupName="app", fromTime=START_MS, to=0, destination=bucket)
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        logs.create_export_task(logGroupName="nope", fromTime=0, to=START_MS, destination=bucket)
    assert error(excinfo)[0] == "ResourceNotFoundException"
    default = logs.create_export_task(logGroupName="app", fromTime=0, to=START_MS, destination=bucket)["taskId"]
    lab.advance(minutes=1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="exportedlogs/")["Contents"]]
    assert f"exportedlogs/{default}/worker/000000.gz" in keys  # the default prefix is exportedlogs


def _results(logs, query: str, **kwargs) -> dict:
    query_id = logs.start_query(logGroupName="app", startTime=START_MS // 1000 - 3600, endTime=START_MS // 1000,
                                queryString=query, **kwargs)["queryId"]
    return logs.get_query_results(queryId=query_id)


def test_insights_fields_filter_sort_limit(logs):
    result = _results(logs, "fields @timestamp, stream, n | filter status = 402 | sort @timestamp asc | limit 2")
    assert result["status"] == "Complete"
    rows = [{f["field"]: f["value"] for f in row} for row in result["results"]]
    assert [(r["stream"], r["n"]) for r in rows] == [("web-1", "1"), ("web-2", "1")]
    assert all("@ptr" in r for r in rows)
    assert result["statistics"]["recordsMatched"] == 3.0 and result["statistics"]["recordsScanned"] == 9.0


def test_insights_stats_by_bin_and_parse(logs):
    result = _results(logs, "stats count(*) as events, avg(status) by bin(1m)")
    rows = [{f["field"]: f["value"] for f in row} for row in result["results"]]
    assert [r["events"] for r in rows] == ["3", "3", "3"]
    result = _results(logs, 'parse @message /"stream": "(?<host>[a-z]+)/ | stats count(*) by host')
    rows = [{f["field"]: f["value"] for f in row} for row in result["results"]]
    assert rows == [{"host": "web", "count(*)": "6"}, {"host": "worker", "count(*)": "3"}]


def test_insights_errors(logs):
    with pytest.raises(ClientError) as excinfo:
        logs.start_query(logGroupName="app", startTime=0, endTime=1, queryString="dedup @message")
    code, message = error(excinfo)
    assert code == "MalformedQueryException" and "dedup" in message
    with pytest.raises(ClientError) as excinfo:
        logs.start_query(logGroupName="missing", startTime=0, endTime=1, queryString="fields @message")
    assert error(excinfo)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        logs.start_query(logGroupName="app", logGroupNames=["app"], startTime=0, endTime=1, queryString="fields @message")
    assert error(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        logs.get_query_results(queryId="00000000-0000-0000-0000-000000000000")
    assert error(excinfo)[0] == "ResourceNotFoundException"


def test_query_results_page_and_expire(logs, lab):
    query_id = logs.start_query(logGroupName="app", startTime=0, endTime=START_MS // 1000,
                                queryString="fields @message")["queryId"]
    first = logs.get_query_results(queryId=query_id, maxItems=4)
    assert len(first["results"]) == 4 and "nextToken" in first
    rest = logs.get_query_results(queryId=query_id, maxItems=10, nextToken=first["nextToken"])
    assert len(rest["results"]) == 5 and "nextToken" not in rest
    described = logs.describe_queries()["queries"][0]
    assert described["queryId"] == query_id and described["status"] == "Complete" and described["logGroupName"] == "app"
    with pytest.raises(ClientError) as excinfo:
        logs.stop_query(queryId=query_id)
    assert error(excinfo)[0] == "InvalidParameterException"
    lab.advance(days=8)
    with pytest.raises(ClientError):
        logs.get_query_results(queryId=query_id)
