"""Exercises and small helpers for the CloudTrail notebooks (01–04)."""

from __future__ import annotations

import gzip
import json
from typing import Any

from ..exercises import Exercise, Wrong


def read_log_file(lab: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    """The records of one delivered log file (gunzipped, parsed)."""
    body = lab.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return json.loads(gzip.decompress(body))["Records"]


def delivered_keys(lab: Any, bucket: str, kind: str = "CloudTrail") -> list[str]:
    """Keys of delivered log files (``kind="CloudTrail"``) or digests (``"CloudTrail-Digest"``)."""
    pages = lab.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="AWSLogs/")
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []) if f"/{kind}/" in o["Key"])


def history_exercises(lab: Any) -> tuple[Exercise, Exercise, Exercise]:
    def write_count(answer) -> None:
        events = lab.client("cloudtrail").get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}])
        expected = sum(1 for page in events for e in page["Events"] if e.get("Username") == "learner")
        if answer != expected:
            raise Wrong(f"{answer!r} write events? LookupEvents with ReadOnly=false counts {expected} by learner")

    def category(answer) -> None:
        if str(answer).lower() != "data":
            raise Wrong("S3 object-level calls such as PutObject are not management events")

    def region(answer) -> None:
        if answer != "us-east-1":
            raise Wrong(f"{answer!r}: look at awsRegion in the CreateUser record")

    return (
        Exercise("How many write (not read-only) management events did the user learner make?", write_count,
                 hints=["LookupEvents takes one lookup attribute: ReadOnly = false.", "Count those with Username learner."],
                 answer="sum over lookup_events pages with LookupAttributes ReadOnly=false, Username == 'learner'"),
        Exercise("Which eventCategory does CloudTrail give the S3 PutObject call?", category,
                 hints=["It is missing from LookupEvents: event history holds management events only."],
                 answer='"Data"'),
        Exercise("In which region is IAM's CreateUser recorded, whatever the client's region?", region,
                 hints=["IAM is a global service."], answer='"us-east-1"'),
    )


def trail_exercises(lab: Any, bucket: str) -> tuple[Exercise, Exercise]:
    def first_event(answer) -> None:
        first = read_log_file(lab, bucket, delivered_keys(lab, bucket)[0])[0]["eventName"]
        if answer != first:
            raise Wrong(f"{answer!r} is not the first record of the first log file")

    def minutes(answer) -> None:
        if answer != 5:
            raise Wrong("advance the clock minute by minute and list the bucket each time")

    return (
        Exercise("What is the eventName of the very first record the trail delivered?", first_event,
                 hints=["A trail logs from its own StartLogging call on."], answer='"StartLogging"'),
        Exercise("At most how many minutes after a call does the lab's trail deliver it?", minutes,
                 hints=["Log files are stamped with their delivery time, to the minute."], answer="5"),
    )


def integrity_exercises(report_after_tampering: Any) -> tuple[Exercise, Exercise]:
    def invalid_logs(answer) -> None:
        expected = sum(1 for f in report_after_tampering.logs if not f.valid)
        if answer != expected:
            raise Wrong(f"the report lists {expected} invalid log files, not {answer!r}")

    def reason(answer) -> None:
        reasons = {f.status for f in report_after_tampering.files if not f.valid}
        if f"INVALID: {answer}" not in reasons:
            raise Wrong(f"{answer!r} is not one of the reasons in the report: {sorted(reasons)}")

    return (
        Exercise("How many log files does validation report as INVALID after your tampering?", invalid_logs,
                 hints=["report.logs lists every log file a valid digest names."],
                 answer="sum(not f.valid for f in report.logs)"),
        Exercise("What reason does validation give for the log file you edited?", reason,
                 hints=["The digest holds the SHA-256 of each log file's uncompressed bytes."],
                 answer='"hash value doesn\'t match"'),
    )


def tamper(lab: Any, bucket: str, action: str) -> str:
    """Do one of the things an intruder does to a trail's bucket; returns the key touched.

    ``action``: ``"modify log"`` (rewrite a record), ``"delete log"``, ``"delete digest"``
    (the middle one of a chain) or ``"forge digest"`` (drop a log file from a digest's list).
    """
    s3 = lab.client("s3")
    logs, digests = delivered_keys(lab, bucket), delivered_keys(lab, bucket, "CloudTrail-Digest")
    if action == "modify log":
        key = logs[0]
        records = read_log_file(lab, bucket, key)
        records[0]["sourceIPAddress"] = "203.0.113.66"
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode()))
    elif action == "delete log":
        key = logs[-1]
        s3.delete_object(Bucket=bucket, Key=key)
    elif action == "delete digest":
        key = digests[len(digests) // 2]
        s3.delete_object(Bucket=bucket, Key=key)
    elif action == "forge digest":
        key = digests[0]
        digest = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        digest["logFiles"] = digest["logFiles"][1:]
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(json.dumps(digest).encode()))
    else:
        raise ValueError(f"unknown tampering {action!r}")
    return key


TAMPERINGS = ("modify log", "delete log", "delete digest", "forge digest")
