"""Trail delivery on the lab clock: log files every five minutes, digest files every hour.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/how-cloudtrail-works.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html

CloudTrail "typically delivers logs within an average of about 5 minutes of an API call": the
lab delivers at every five-minute mark, one gzipped ``{"Records": [...]}`` file per trail and
region with the events recorded since the previous delivery, written to the trail's bucket as
``cloudtrail.amazonaws.com`` through the lab's S3. Every hour each trail with log-file
validation delivers a signed digest per region (also in quiet hours, with no log files), chained
to the previous one. Events for a trail's CloudWatch Logs group go out at the same five-minute
marks, on the hub, for the Logs service.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..errors import AWSError
from . import keys, selectors, trails
from .history import GLOBAL_SOURCES

if TYPE_CHECKING:
    from ..lab import Lab

LOG_INTERVAL = timedelta(minutes=5)
DIGEST_INTERVAL = timedelta(hours=1)
CLOUDWATCH_LOGS_EVENT_LIMIT = 256 * 1024
SERVICE = "cloudtrail.amazonaws.com"

CREATE_FILES = """
CREATE TABLE IF NOT EXISTS cloudtrail_delivered_files (
    account_id VARCHAR NOT NULL,
    trail_name VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,            -- 'log' or 'digest'
    bucket VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    delivered_at TIMESTAMPTZ NOT NULL,
    oldest_event_time TIMESTAMPTZ,
    newest_event_time TIMESTAMPTZ,
    sha256 VARCHAR NOT NULL,          -- of the uncompressed bytes
    records INTEGER NOT NULL,
    signature VARCHAR                 -- digests only
)"""

CREATE_STATE = """
CREATE TABLE IF NOT EXISTS cloudtrail_delivery_state (
    account_id VARCHAR NOT NULL,
    trail_name VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    logs_until TIMESTAMPTZ NOT NULL,  -- the last log delivery (or when logging started)
    start_event_id VARCHAR NOT NULL,  -- the StartLogging call: it and every later record are delivered
    next_index BIGINT,                -- the next record (cloudtrail_events.source_index) to consider
    digest_until TIMESTAMPTZ,         -- end of the last digest (null: next digest is a starting digest)
    PRIMARY KEY (account_id, trail_name, region)
)"""

TABLES = {
    "cloudtrail_delivered_files": "one row per log file and digest file a trail delivered to S3: key, hash, times",
    "cloudtrail_delivery_state": "per trail and region: up to when events and digests have been delivered",
    "cloudtrail_signing_keys": "the lab's per-region RSA key pairs that sign digest files",
}


def create_tables(db) -> None:
    db.execute(CREATE_FILES)
    db.execute(CREATE_STATE)
    db.execute(keys.CREATE_KEYS)


def any_logging(db) -> bool:
    return db.execute("SELECT count(*) FROM cloudtrail_trails WHERE is_logging").fetchone()[0] > 0


def any_validating(db) -> bool:
    return db.execute("SELECT count(*) FROM cloudtrail_delivery_state s JOIN cloudtrail_trails t "
                      "ON s.account_id = t.account_id AND s.trail_name = t.name "
                      "WHERE t.log_file_validation").fetchone()[0] > 0


def trail_changed(lab: "Lab") -> None:
    lab.__dict__.pop("_cloudtrail_logging_cache", None)


def regions_of(lab: "Lab", trail: dict[str, Any]) -> tuple[str, ...]:
    return lab.regions if trail["is_multi_region"] else (trail["home_region"],)


def _covers(trail: dict[str, Any], region: str, record: dict[str, Any]) -> bool:
    """Whether the trail's delivery for ``region`` includes ``record`` (region and global rules)."""
    if record.get("eventSource") in GLOBAL_SOURCES and record.get("awsRegion") == "us-east-1":
        return region == "us-east-1" and trail["include_global_service_events"]
    return record.get("awsRegion") == region


def logs_record(lab: "Lab", trail: dict[str, Any], record: dict[str, Any]) -> bool:
    basic, advanced = trails.selectors_of(trail)
    return any(_covers(trail, region, record) for region in regions_of(lab, trail)) and \
        selectors.logs(basic, advanced, record)


def note_event(lab: "Lab", record: dict[str, Any]) -> None:
    """Tell the hub at once when a logging trail logs ``record`` (EventBridge needs a trail)."""
    cache = lab.__dict__.get("_cloudtrail_logging_cache")
    if cache is None:
        cache = [t for t in trails.all_trails(lab.db, lab.account_id) if t["is_logging"]]
        lab.__dict__["_cloudtrail_logging_cache"] = cache
    if any(logs_record(lab, trail, record) for trail in cache):
        lab.hub.publish("cloudtrail_event_logged", {"record": record, "region": record.get("awsRegion"),
                                                    "account_id": lab.account_id})


def check_bucket(lab: "Lab", bucket: str, region: str) -> None:
    """CreateTrail checks, as CloudTrail, that the bucket exists and its policy lets CloudTrail in.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html"""
    try:
        lab.service_client("s3", SERVICE, region).get_bucket_acl(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchBucket", "404"):
            raise AWSError("S3BucketDoesNotExistException", f"S3 bucket {bucket} does not exist.") from error
        raise AWSError("InsufficientS3BucketPolicyException",
                       f"Incorrect S3 bucket policy is detected for bucket: {bucket}") from error


def bucket_policy(bucket: str, account_id: str, region: str, trail: str, prefix: str | None = None) -> dict[str, Any]:
    """The bucket policy AWS documents for a trail's bucket (GetBucketAcl and PutObject for CloudTrail)."""
    source = f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail}"
    path = f"{prefix}/AWSLogs/{account_id}/*" if prefix else f"AWSLogs/{account_id}/*"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": SERVICE},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": source}}},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": SERVICE},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/{path}",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": source}}}]}


def logging_started(lab: "Lab", trail: dict[str, Any], now: datetime, event_id: str) -> None:
    """The StartLogging call and every record after it are delivered; the next digest after a
    (re)start is a starting digest."""
    for region in regions_of(lab, trail):
        lab.db.execute("""INSERT OR REPLACE INTO cloudtrail_delivery_state VALUES (?, ?, ?, ?, ?, NULL, NULL)""",
                       [lab.account_id, trail["name"], region, now, event_id])


def _prefix(trail: dict[str, Any]) -> str:
    return f"{trail['s3_key_prefix']}/" if trail["s3_key_prefix"] else ""


def _unique(*parts: Any) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:16])


def _put(lab: "Lab", trail: dict[str, Any], key: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
    lab.service_client("s3", SERVICE, trail["home_region"]).put_object(
        Bucket=trail["s3_bucket"], Key=key, Body=gzip.compress(body, mtime=0),
        ContentType="application/json", ContentEncoding="gzip", Metadata=metadata or {},
        ACL="bucket-owner-full-control")


def _records_from(lab: "Lab", region: str, first_index: int, end: datetime) -> tuple[list[dict[str, Any]], int]:
    """Records of ``region`` (and global ones) made from ``first_index`` on and timed before ``end``,
    in the order they were made; and the index to start from next time."""
    rows = lab.db.execute(
        """SELECT record, source_index, aws_region IN (?, 'us-east-1') FROM cloudtrail_events
           WHERE source_file = 'lab' AND source_index >= ? AND event_time < ? ORDER BY source_index""",
        [region, first_index, end]).fetchall()
    next_index = rows[-1][1] + 1 if rows else first_index
    return [json.loads(r[0]) for r in rows if r[2]], next_index


def _deliver_trail_logs(lab: "Lab", trail: dict[str, Any], instant: datetime, *, inclusive: bool = False) -> None:
    basic, advanced = trails.selectors_of(trail)
    account = lab.account_id
    for region in regions_of(lab, trail):
        state = lab.db.execute("SELECT start_event_id, next_index FROM cloudtrail_delivery_state WHERE "
                               "account_id = ? AND trail_name = ? AND region = ?",
                               [account, trail["name"], region]).fetchone()
        if state is None:
            continue
        first = state[1]
        if first is None:
            found = lab.db.execute("SELECT source_index FROM cloudtrail_events WHERE event_id = ? AND "
                                   "source_file = 'lab'", [state[0]]).fetchone()
            if found is None:
                continue
            first = found[0]
        cutoff = instant + timedelta(seconds=1) if inclusive else instant
        candidates, next_index = _records_from(lab, region, first, cutoff)
        records = [r for r in candidates if _covers(trail, region, r) and selectors.logs(basic, advanced, r)]
        lab.db.execute("UPDATE cloudtrail_delivery_state SET logs_until = ?, next_index = ? WHERE account_id = ? "
                       "AND trail_name = ? AND region = ?", [instant, next_index, account, trail["name"], region])
        if not records:
            continue
        stamp = instant.strftime("%Y%m%dT%H%MZ")
        key = (f"{_prefix(trail)}AWSLogs/{account}/CloudTrail/{region}/{instant:%Y/%m/%d}/"
               f"{account}_CloudTrail_{region}_{stamp}_{_unique(trail['name'], region, instant)}.json.gz")
        body = json.dumps({"Records": records}, separators=(",", ":")).encode()
        _put(lab, trail, key, body)
        times = [r["eventTime"] for r in records]
        lab.db.execute("INSERT INTO cloudtrail_delivered_files VALUES (?, ?, ?, 'log', ?, ?, ?, ?, ?, ?, ?, NULL)",
                       [account, trail["name"], region, trail["s3_bucket"], key, instant, min(times), max(times),
                        hashlib.sha256(body).hexdigest(), len(records)])
        if trail["cloudwatch_logs_group_arn"]:
            _send_to_cloudwatch_logs(lab, trail, region, records, instant)


def _send_to_cloudwatch_logs(lab: "Lab", trail: dict[str, Any], region: str, records: list[dict[str, Any]],
                             instant: datetime) -> None:
    """One log event per record, JSON message, stream ACCOUNT_CloudTrail_REGION; oversized events are not sent.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html"""
    events = []
    for record in records:
        message = json.dumps(record, separators=(",", ":"))
        if len(message.encode()) + 26 > CLOUDWATCH_LOGS_EVENT_LIMIT:
            continue
        moment = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
        events.append({"timestamp": int(moment.timestamp() * 1000), "message": message})
    if events:
        lab.hub.publish("log_events", {
            "log_group_arn": trail["cloudwatch_logs_group_arn"], "log_stream": f"{lab.account_id}_CloudTrail_{region}",
            "events": events, "region": trail["home_region"], "account_id": lab.account_id, "time": instant,
            "source": SERVICE})


def deliver_logs(lab: "Lab", instant: datetime) -> None:
    for trail in trails.all_trails(lab.db, lab.account_id):
        if trail["is_logging"]:
            _deliver_trail_logs(lab, trail, instant)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _deliver_digest(lab: "Lab", trail: dict[str, Any], region: str, end: datetime) -> None:
    account = lab.account_id
    state = lab.db.execute("SELECT logs_until, digest_until FROM cloudtrail_delivery_state WHERE account_id = ? "
                           "AND trail_name = ? AND region = ?", [account, trail["name"], region]).fetchone()
    if state is None:
        return
    previous = lab.db.execute(
        """SELECT bucket, key, sha256, signature FROM cloudtrail_delivered_files WHERE account_id = ? AND
           trail_name = ? AND region = ? AND kind = 'digest' ORDER BY delivered_at DESC LIMIT 1""",
        [account, trail["name"], region]).fetchone() if state[1] is not None else None
    start = state[1] or lab.db.execute(
        "SELECT coalesce(start_logging_time, created_at) FROM cloudtrail_trails WHERE account_id = ? AND name = ?",
        [account, trail["name"]]).fetchone()[0]
    logs = lab.db.execute(
        """SELECT bucket, key, sha256, oldest_event_time, newest_event_time FROM cloudtrail_delivered_files
           WHERE account_id = ? AND trail_name = ? AND region = ? AND kind = 'log' AND delivered_at > ?
             AND delivered_at <= ? ORDER BY delivered_at, key""", [account, trail["name"], region, start, end]).fetchall()
    fingerprint, private_pem = keys.signing_key(lab.db, region, end)
    key = (f"{_prefix(trail)}AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
           f"{account}_CloudTrail-Digest_{region}_{trail['name']}_{trail['home_region']}_{end:%Y%m%dT%H%M%SZ}.json.gz")
    digest = {
        "awsAccountId": account,
        "digestStartTime": _iso(start),
        "digestEndTime": _iso(end),
        "digestS3Bucket": trail["s3_bucket"],
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": keys.SIGNATURE_ALGORITHM,
        "newestEventTime": _iso(max((row[4] for row in logs), default=None)),
        "oldestEventTime": _iso(min((row[3] for row in logs), default=None)),
        "previousDigestS3Bucket": previous[0] if previous else None,
        "previousDigestS3Object": previous[1] if previous else None,
        "previousDigestHashValue": previous[2] if previous else None,
        "previousDigestHashAlgorithm": "SHA-256" if previous else None,
        "previousDigestSignature": previous[3] if previous else None,
        "logFiles": [{"s3Bucket": b, "s3Object": k, "hashValue": h, "hashAlgorithm": "SHA-256",
                      "newestEventTime": _iso(newest), "oldestEventTime": _iso(oldest)}
                     for b, k, h, oldest, newest in logs],
    }
    body = json.dumps(digest, separators=(",", ":")).encode()
    signature = keys.sign(private_pem, keys.string_to_sign(_iso(end), trail["s3_bucket"], key, body,
                                                           digest["previousDigestSignature"]))
    _put(lab, trail, key, body, {"signature": signature, "signature-algorithm": keys.SIGNATURE_ALGORITHM})
    lab.db.execute("INSERT INTO cloudtrail_delivered_files VALUES (?, ?, ?, 'digest', ?, ?, ?, ?, ?, ?, ?, ?)",
                   [account, trail["name"], region, trail["s3_bucket"], key, end,
                    min((row[3] for row in logs), default=None), max((row[4] for row in logs), default=None),
                    hashlib.sha256(body).hexdigest(), len(logs), signature])
    lab.db.execute("UPDATE cloudtrail_delivery_state SET digest_until = ? WHERE account_id = ? AND trail_name = ? "
                   "AND region = ?", [end, account, trail["name"], region])


def deliver_digests(lab: "Lab", instant: datetime) -> None:
    for trail in trails.all_trails(lab.db, lab.account_id):
        if trail["is_logging"] and trail["log_file_validation"]:
            for region in regions_of(lab, trail):
                _deliver_digest(lab, trail, region, instant)


def final_delivery(lab: "Lab", trail: dict[str, Any], now: datetime) -> None:
    """When logging stops or the trail is deleted: deliver what is pending, the StopLogging or
    DeleteTrail call included, and a final digest. Runs once that call has been recorded."""
    lab.flush()
    _deliver_trail_logs(lab, trail, now, inclusive=True)
    if trail["log_file_validation"]:
        for region in regions_of(lab, trail):
            _deliver_digest(lab, trail, region, now)
    lab.db.execute("DELETE FROM cloudtrail_delivery_state WHERE account_id = ? AND trail_name = ?",
                   [lab.account_id, trail["name"]])


def status(lab: "Lab", trail: dict[str, Any]) -> dict[str, Any]:
    """GetTrailStatus from the trail row and its delivered files."""
    latest = dict(lab.db.execute(
        "SELECT kind, max(delivered_at) FROM cloudtrail_delivered_files WHERE account_id = ? AND trail_name = ? "
        "GROUP BY kind", [lab.account_id, trail["name"]]).fetchall())
    result: dict[str, Any] = {"IsLogging": trail["is_logging"]}
    if trail["start_logging_time"]:
        result["StartLoggingTime"] = trail["start_logging_time"]
        result["TimeLoggingStarted"] = _iso(trail["start_logging_time"])
    if trail["stop_logging_time"]:
        result["StopLoggingTime"] = trail["stop_logging_time"]
        result["TimeLoggingStopped"] = _iso(trail["stop_logging_time"])
    if latest.get("log"):
        result["LatestDeliveryTime"] = latest["log"]
        result["LatestDeliveryAttemptTime"] = _iso(latest["log"])
        result["LatestDeliveryAttemptSucceeded"] = _iso(latest["log"])
        if trail["cloudwatch_logs_group_arn"]:
            result["LatestCloudWatchLogsDeliveryTime"] = latest["log"]
    if latest.get("digest"):
        result["LatestDigestDeliveryTime"] = latest["digest"]
    return result


def public_keys(lab: "Lab", region: str, start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    return [key for key in keys.public_keys(lab.db, region)
            if (end is None or key["ValidityStartTime"] <= end) and (start is None or key["ValidityEndTime"] >= start)]
