"""Export tasks: CreateExportTask, DescribeExportTasks, CancelExportTask, and the job that writes to S3.

Rules from LAPI:CreateExportTask and the User Guide's "Exporting log data to Amazon S3" (LG:S3ExportTasks):

* one active (PENDING or RUNNING) export task per account at a time (LimitExceededException);
* the destination bucket must let the Region's CloudWatch Logs principal ``logs.<region>.amazonaws.com`` call
  ``s3:GetBucketAcl`` on the bucket and ``s3:PutObject`` with the ``bucket-owner-full-control`` ACL (the policy
  :func:`bucket_policy` writes, as the guide shows); without it CreateExportTask fails with AWS's
  "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission
  to perform this operation.";
* events with a timestamp from ``from`` to ``to`` (both included) of the group's streams (or those starting with
  ``logStreamNamePrefix``) are written under ``<destinationPrefix>/<task id>/<stream name>/000000.gz``, one
  line per event: its timestamp in ISO 8601 with milliseconds, a space, the message (the default prefix is
  ``exportedlogs``); CloudWatch Logs first writes ``<destinationPrefix>/aws-logs-write-test``.

The task runs when the lab clock next moves (a catch-up job), as AWS runs it after the call returns: right
after CreateExportTask it is ``PENDING``; after ``lab.advance(...)`` it is ``COMPLETED`` (or ``FAILED`` when
a PutObject is refused). The S3 calls are made as ``logs.<region>.amazonaws.com``, so CloudTrail shows them.
*Choices*: the status messages ("Pending", "Completed successfully") and the write-test object's text are
the lab's; a stream's file is split every 1,000,000 events (``000001.gz``...).
"""

from __future__ import annotations

import gzip
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from awslab.errors import AWSError

from .events import clamp_ms
from .groups import check_limit, decode_token, encode_token, require_group, to_ms

if TYPE_CHECKING:
    from awslab.lab import Lab

DEFAULT_PREFIX = "exportedlogs"
EVENTS_PER_FILE = 1_000_000
WRITE_TEST_BODY = b"Permission Check Successful"

TABLES = {"logs_export_tasks": "one row per CreateExportTask: group, time range, bucket and prefix, status"}

CREATE = """
CREATE TABLE IF NOT EXISTS logs_export_tasks (
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    task_id VARCHAR NOT NULL,
    task_name VARCHAR,
    log_group VARCHAR NOT NULL,
    log_stream_name_prefix VARCHAR,
    from_time BIGINT NOT NULL,          -- epoch ms, included
    to_time BIGINT NOT NULL,            -- epoch ms, included
    destination VARCHAR NOT NULL,
    destination_prefix VARCHAR NOT NULL,
    status_code VARCHAR NOT NULL,       -- PENDING, RUNNING, COMPLETED, FAILED, CANCELLED
    status_message VARCHAR NOT NULL,
    creation_time TIMESTAMPTZ NOT NULL,
    completion_time TIMESTAMPTZ
)"""


def principal(region: str) -> str:
    """The service principal CloudWatch Logs uses in ``region`` (LG:S3ExportTasks' bucket policy)."""
    return f"logs.{region}.amazonaws.com"


def bucket_policy(bucket: str, region: str, account_id: str | None = None) -> dict[str, Any]:
    """The bucket policy that lets CloudWatch Logs export to ``bucket`` (LG:S3ExportTasks, step 2)."""
    statements: list[dict[str, Any]] = [
        {"Action": "s3:GetBucketAcl", "Effect": "Allow", "Resource": f"arn:aws:s3:::{bucket}",
         "Principal": {"Service": principal(region)}},
        {"Action": "s3:PutObject", "Effect": "Allow", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
         "Principal": {"Service": principal(region)}},
    ]
    if account_id is not None:
        for statement in statements:
            statement.setdefault("Condition", {}).setdefault("StringEquals", {})["aws:SourceAccount"] = account_id
    return {"Version": "2012-10-17", "Statement": statements}


def _s3(lab: "Lab", region: str) -> Any:
    return lab.service_client("s3", principal(region), region)


def create_export_task(lab: "Lab", region: str, account_id: str, params: dict[str, Any], now: datetime,
                       seed: str) -> dict[str, Any]:
    """CreateExportTask: validate, check the bucket as CloudWatch Logs, write the test object, queue the task."""
    db = lab.db
    group = require_group(db, region, account_id, params["logGroupName"])
    start, end = params["from"], params["to"]
    if start > end or end < to_ms(group["creation_time"]):
        # *choice* of wording; the rules are LAPI:CreateExportTask's.
        raise AWSError("InvalidParameterException",
                       f"Specified time range of '{start}' and '{end}' is not valid. Please make sure the values are "
                       "within the retention period of the log group and from value is less than the to value")
    if db.execute("SELECT 1 FROM logs_export_tasks WHERE account_id = ? AND status_code IN ('PENDING', 'RUNNING')",
                  [account_id]).fetchone():
        raise AWSError("LimitExceededException", "Resource limit exceeded.")
    bucket = params["destination"]
    prefix = params.get("destinationPrefix") or DEFAULT_PREFIX
    s3 = _s3(lab, region)
    try:
        s3.get_bucket_acl(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucket":
            raise AWSError("InvalidParameterException", "The specified bucket does not exist.") from None
        raise AWSError("InvalidParameterException", "GetBucketAcl call on the given bucket failed. Please check if "
                                                    "CloudWatch Logs has been granted permission to perform this "
                                                    "operation.") from None
    try:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/aws-logs-write-test", Body=WRITE_TEST_BODY,
                      ACL="bucket-owner-full-control")
    except ClientError:
        raise AWSError("InvalidParameterException", "PutObject call on the given bucket failed. Please check if "
                                                    "CloudWatch Logs has been granted permission to perform this "
                                                    "operation.") from None
    task_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"awslab-logs-export/{seed}"))
    db.execute("INSERT INTO logs_export_tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 'Pending', ?, NULL)",
               [region, account_id, task_id, params.get("taskName"), params["logGroupName"],
                params.get("logStreamNamePrefix"), start, end, bucket, prefix, now])
    return {"taskId": task_id}


def describe_export_tasks(db, account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeExportTasks: newest first, filtered by task id or status code."""
    limit = check_limit(params.get("limit"), 50)
    offset = int(decode_token(params["nextToken"])) if params.get("nextToken") else 0
    rows = db.execute(
        """SELECT task_id, task_name, log_group, from_time, to_time, destination, destination_prefix, status_code,
                  status_message, epoch_ms(creation_time), epoch_ms(completion_time)
           FROM logs_export_tasks
           WHERE account_id = $account AND region = $region
             AND ($task IS NULL OR task_id = $task) AND ($status IS NULL OR status_code = $status)
           ORDER BY creation_time DESC, task_id
           LIMIT $limit OFFSET $offset""",
        {"account": account_id, "region": region, "task": params.get("taskId"), "status": params.get("statusCode"),
         "limit": limit + 1, "offset": offset}).fetchall()
    tasks = []
    for task_id, name, group, start, end, bucket, prefix, code, message, created, completed in rows[:limit]:
        task: dict[str, Any] = {"taskId": task_id}
        if name:
            task["taskName"] = name
        execution: dict[str, Any] = {"creationTime": created}
        if completed is not None:
            execution["completionTime"] = completed
        task.update({"logGroupName": group, "from": start, "to": end, "destination": bucket,
                     "destinationPrefix": prefix, "status": {"code": code, "message": message},
                     "executionInfo": execution})
        tasks.append(task)
    response: dict[str, Any] = {"exportTasks": tasks}
    if len(rows) > limit:
        response["nextToken"] = encode_token(offset + limit)
    return response


def cancel_export_task(db, account_id: str, region: str, task_id: str, now: datetime) -> None:
    row = db.execute("SELECT status_code FROM logs_export_tasks WHERE account_id = ? AND region = ? AND task_id = ?",
                     [account_id, region, task_id]).fetchone()
    if row is None:
        raise AWSError("ResourceNotFoundException", "The specified export task does not exist.")
    if row[0] not in ("PENDING", "RUNNING"):
        # *choice* of wording; the rule ("The task must be in the PENDING or RUNNING state") is LAPI:CancelExportTask's.
        raise AWSError("InvalidOperationException", f"The specified export task has already finished ({row[0]}).")
    db.execute("UPDATE logs_export_tasks SET status_code = 'CANCELLED', status_message = 'Cancelled by user', "
               "completion_time = ? WHERE task_id = ?", [now, task_id])


def pending(db) -> bool:
    return db.execute("SELECT 1 FROM logs_export_tasks WHERE status_code = 'PENDING' LIMIT 1").fetchone() is not None


EXPORT_SQL = """
SELECT log_stream, (row_number() OVER (PARTITION BY log_stream ORDER BY timestamp, sequence) - 1) // $per_file AS part,
       strftime(timestamp, '%Y-%m-%dT%H:%M:%S.%gZ') || ' ' || message AS line, timestamp, sequence
FROM logs_events
WHERE region = $region AND account_id = $account AND log_group = $group
  AND ($prefix IS NULL OR starts_with(log_stream, $prefix))
  AND timestamp >= make_timestamptz($from * 1000) AND timestamp <= make_timestamptz($to * 1000)
"""


def run_pending(lab: "Lab", until: datetime) -> None:
    """Run every PENDING task: one gzip file per stream (per million events), then COMPLETED or FAILED."""
    db = lab.db
    tasks = db.execute("SELECT region, account_id, task_id, log_group, log_stream_name_prefix, from_time, to_time, "
                       "destination, destination_prefix FROM logs_export_tasks WHERE status_code = 'PENDING' "
                       "ORDER BY creation_time").fetchall()
    for region, account_id, task_id, group, prefix, start, end, bucket, key_prefix in tasks:
        files = db.execute(
            f"""SELECT log_stream, part, string_agg(line, chr(10) ORDER BY timestamp, sequence) || chr(10)
                FROM ({EXPORT_SQL}) GROUP BY log_stream, part ORDER BY log_stream, part""",
            {"region": region, "account": account_id, "group": group, "prefix": prefix, "from": clamp_ms(start),
             "to": clamp_ms(end),
             "per_file": EVENTS_PER_FILE}).fetchall()
        s3 = _s3(lab, region)
        code, message = "COMPLETED", "Completed successfully"
        for stream, part, text in files:
            try:
                s3.put_object(Bucket=bucket, Key=f"{key_prefix}/{task_id}/{stream}/{part:06d}.gz",
                              Body=gzip.compress(text.encode("utf-8"), mtime=0), ContentEncoding="gzip",
                              ContentType="application/octet-stream", ACL="bucket-owner-full-control")
            except ClientError as error:
                code, message = "FAILED", f"PutObject failed: {error.response['Error']['Code']}"
                break
        db.execute("UPDATE logs_export_tasks SET status_code = ?, status_message = ?, completion_time = ? "
                   "WHERE task_id = ?", [code, message, until, task_id])
