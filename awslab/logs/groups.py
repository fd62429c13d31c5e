"""Log groups and log streams: the ``logs_groups`` and ``logs_streams`` tables, names, ARNs and retention.

Rules from the CloudWatch Logs API Reference (LAPI:CreateLogGroup, LAPI:CreateLogStream, LAPI:DescribeLogGroups,
LAPI:DescribeLogStreams, LAPI:PutRetentionPolicy) and the User Guide page "Working with log groups and log
streams" (LG:Working-with-log-groups-and-streams):

* group names are 1-512 characters of ``a-z A-Z 0-9 _ - / . #``, unique in a Region, and can't start with
  ``aws/``; stream names are 1-512 characters without ``:`` or ``*``, unique in their group;
* a group's events never expire until PutRetentionPolicy sets one of the documented day values; the lab
  deletes an event when its timestamp is older than the retention period, measured on the lab clock
  (AWS says deletion "typically takes up to 72 hours" after that: the lab does it at once, a *choice*);
* ``arn`` ends in ``:*`` and ``logGroupArn`` does not; a stream's ``storedBytes`` is always 0 (deprecated
  in 2019), a group's counts the UTF-8 bytes of the messages it keeps.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from awslab.errors import AWSError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
"""PutRetentionPolicy's possible values (LAPI:PutRetentionPolicy)."""

LOG_GROUP_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY")
PAGE_LIMIT = 50
"""DescribeLogGroups and DescribeLogStreams return up to 50 items a page (their ``limit`` maximum)."""

_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
_STREAM_NAME = re.compile(r"[^:*]*")

TABLES = {
    "logs_groups": "one row per CloudWatch Logs log group: name, creation time, retention, class, tags",
    "logs_streams": "one row per log stream: its group, creation time, first/last event and last ingestion times",
    "logs_state": "CloudWatch Logs counters and job watermarks (next event sequence number, retention, agents)",
}

CREATE = [
    """CREATE TABLE IF NOT EXISTS logs_groups (
        region VARCHAR NOT NULL,
        account_id VARCHAR NOT NULL,
        log_group VARCHAR NOT NULL,
        creation_time TIMESTAMPTZ NOT NULL,
        retention_in_days INTEGER,              -- NULL: events never expire
        kms_key_id VARCHAR,
        log_group_class VARCHAR NOT NULL,       -- STANDARD, INFREQUENT_ACCESS or DELIVERY
        deletion_protection BOOLEAN NOT NULL,
        tags VARCHAR NOT NULL                   -- JSON object
    )""",
    """CREATE TABLE IF NOT EXISTS logs_streams (
        region VARCHAR NOT NULL,
        account_id VARCHAR NOT NULL,
        log_group VARCHAR NOT NULL,
        log_stream VARCHAR NOT NULL,
        creation_time TIMESTAMPTZ NOT NULL,
        first_event_timestamp TIMESTAMPTZ,      -- NULL until the first event arrives
        last_event_timestamp TIMESTAMPTZ,
        last_ingestion_time TIMESTAMPTZ
    )""",
    "CREATE TABLE IF NOT EXISTS logs_state (key VARCHAR NOT NULL, value VARCHAR)",
]


# ------------------------------------------------------------------------------------------------ time and ARNs
def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as the Logs API writes every time."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def group_arn(region: str, account_id: str, name: str, *, star: bool = True) -> str:
    """The group's ARN; ``star`` adds the trailing ``:*`` of LogGroup.arn (logGroupArn has none)."""
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}" + (":*" if star else "")


def stream_arn(region: str, account_id: str, group: str, stream: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{group}:log-stream:{stream}"


def name_from_identifier(identifier: str) -> str:
    """A log group name from a ``logGroupIdentifier``: the name itself or the group's ARN (with or without ``:*``)."""
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        if len(parts) >= 7 and parts[2] == "logs" and parts[5] == "log-group":
            return parts[6]
        raise AWSError("InvalidParameterException", f"Invalid log group identifier: {identifier}")
    return identifier


def group_name_of(params: dict[str, Any]) -> str:
    """The group a call names with ``logGroupName`` or ``logGroupIdentifier`` (exactly one of them)."""
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if (name is None) == (identifier is None):
        # *choice*: AWS documents the rule ("You must include one of these two parameters, but you can't
        # include both") but not its message.
        raise AWSError("InvalidParameterException",
                       "You must include either logGroupIdentifier or logGroupName, but not both.")
    return name if name is not None else name_from_identifier(identifier)


# ------------------------------------------------------------------------------------------------ validation
def constraint_error(value: Any, member: str, constraint: str) -> AWSError:
    """The service's message for a value outside its model's constraints (as the JSON Logs API words it)."""
    return AWSError("InvalidParameterException",
                    f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
                    f"{constraint}")


def check_group_name(name: str, member: str = "logGroupName") -> None:
    if len(name) > 512:
        raise constraint_error(name, member, "Member must have length less than or equal to 512")
    if not _GROUP_NAME.fullmatch(name):
        raise constraint_error(name, member, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")


def check_stream_name(name: str, member: str = "logStreamName") -> None:
    if len(name) > 512:
        raise constraint_error(name, member, "Member must have length less than or equal to 512")
    if not _STREAM_NAME.fullmatch(name):
        raise constraint_error(name, member, "Member must satisfy regular expression pattern: [^:*]*")


def check_limit(limit: int | None, maximum: int, member: str = "limit") -> int:
    if limit is None:
        return maximum
    if limit > maximum:
        raise constraint_error(limit, member, f"Member must have value less than or equal to {maximum}")
    return limit


def group_not_found() -> AWSError:
    return AWSError("ResourceNotFoundException", "The specified log group does not exist.")


def stream_not_found() -> AWSError:
    return AWSError("ResourceNotFoundException", "The specified log stream does not exist.")


# ------------------------------------------------------------------------------------------------ paging
def encode_token(value: Any) -> str:
    """An opaque nextToken carrying where the next page starts."""
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def decode_token(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise AWSError("InvalidParameterException", "The specified nextToken is invalid.") from None


# ------------------------------------------------------------------------------------------------ groups
def find_group(db, region: str, account_id: str, name: str) -> dict[str, Any] | None:
    row = db.execute("SELECT log_group, creation_time, retention_in_days, kms_key_id, log_group_class, "
                     "deletion_protection, tags FROM logs_groups WHERE region = ? AND account_id = ? AND log_group = ?",
                     [region, account_id, name]).fetchone()
    if row is None:
        return None
    keys = ("name", "creation_time", "retention_in_days", "kms_key_id", "log_group_class", "deletion_protection",
            "tags")
    group = dict(zip(keys, row))
    group["tags"] = json.loads(group["tags"])
    return group


def require_group(db, region: str, account_id: str, name: str) -> dict[str, Any]:
    group = find_group(db, region, account_id, name)
    if group is None:
        raise group_not_found()
    return group


def create_group(db, region: str, account_id: str, name: str, now: datetime, *, tags: dict[str, str] | None = None,
                 kms_key_id: str | None = None, log_group_class: str = "STANDARD",
                 deletion_protection: bool = False) -> None:
    """CreateLogGroup's rules and row."""
    check_group_name(name)
    if name.startswith("aws/"):
        # *choice*: the rule is documented (LAPI:CreateLogGroup), its message is not.
        raise AWSError("InvalidParameterException", "Log group names can't start with the string aws/")
    if log_group_class not in LOG_GROUP_CLASSES:
        raise constraint_error(log_group_class, "logGroupClass",
                               "Member must satisfy enum value set: [" + ", ".join(LOG_GROUP_CLASSES) + "]")
    if find_group(db, region, account_id, name) is not None:
        raise AWSError("ResourceAlreadyExistsException", "The specified log group already exists")
    db.execute("INSERT INTO logs_groups VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
               [region, account_id, name, now, kms_key_id, log_group_class, deletion_protection,
                json.dumps(tags or {}, sort_keys=True)])


def delete_group(db, region: str, account_id: str, name: str) -> None:
    """DeleteLogGroup: the group, its streams, its events and its metric filters."""
    group = require_group(db, region, account_id, name)
    if group["deletion_protection"]:
        # *choice*: DeleteLogGroup lists ValidationException among its errors; the wording is the lab's.
        raise AWSError("ValidationException", f"Log group {name} has deletion protection enabled. Disable deletion "
                                              "protection before deleting the log group.")
    key = [region, account_id, name]
    for table in ("logs_events", "logs_streams", "logs_metric_filters", "logs_groups"):
        db.execute(f"DELETE FROM {table} WHERE region = ? AND account_id = ? AND log_group = ?", key)


DESCRIBE_GROUPS_SQL = """
SELECT g.log_group, epoch_ms(g.creation_time), g.retention_in_days, g.kms_key_id, g.log_group_class,
       g.deletion_protection,
       (SELECT count(*) FROM logs_metric_filters f
         WHERE f.region = g.region AND f.account_id = g.account_id AND f.log_group = g.log_group),
       (SELECT coalesce(sum(strlen(e.message)), 0) FROM logs_events e
         WHERE e.region = g.region AND e.account_id = g.account_id AND e.log_group = g.log_group)
FROM logs_groups g
WHERE g.region = $region AND g.account_id = $account
  AND ($prefix IS NULL OR starts_with(g.log_group, $prefix))
  AND ($pattern IS NULL OR contains(g.log_group, $pattern))
  AND ($class IS NULL OR g.log_group_class = $class)
  AND ($names IS NULL OR list_contains($names, g.log_group))
  AND ($after IS NULL OR g.log_group > $after)
ORDER BY g.log_group
LIMIT $limit
"""


def describe_groups(db, region: str, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeLogGroups: groups in name order, 50 a page (LAPI:DescribeLogGroups)."""
    prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
    if prefix is not None and pattern is not None:
        # *choice*: the rule is documented ("mutually exclusive"), the message is the lab's.
        raise AWSError("InvalidParameterException",
                       "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
    limit = check_limit(params.get("limit"), PAGE_LIMIT)
    names = None
    if params.get("logGroupIdentifiers"):
        names = [name_from_identifier(i) for i in params["logGroupIdentifiers"]]
    after = decode_token(params["nextToken"]) if params.get("nextToken") else None
    rows = db.execute(DESCRIBE_GROUPS_SQL, {
        "region": region, "account": account_id, "prefix": prefix, "pattern": pattern,
        "class": params.get("logGroupClass"), "names": names, "after": after, "limit": limit + 1}).fetchall()
    groups = []
    for name, created, retention, kms, klass, protected, filters, stored in rows[:limit]:
        group: dict[str, Any] = {"logGroupName": name, "creationTime": created}
        if pattern is None:
            # With logGroupNamePattern only arn, creationTime and logGroupName are returned.
            if retention is not None:
                group["retentionInDays"] = retention
            group["metricFilterCount"] = filters
        group["arn"] = group_arn(region, account_id, name)
        if pattern is None:
            group["storedBytes"] = int(stored)
            if kms:
                group["kmsKeyId"] = kms
            group["logGroupClass"] = klass
            group["logGroupArn"] = group_arn(region, account_id, name, star=False)
            if protected:
                group["deletionProtectionEnabled"] = True
        groups.append(group)
    response: dict[str, Any] = {"logGroups": groups}
    if len(rows) > limit:
        response["nextToken"] = encode_token(rows[limit - 1][0])
    return response


def put_retention(db, region: str, account_id: str, name: str, days: int) -> None:
    """PutRetentionPolicy: only the documented day values are accepted."""
    if days not in RETENTION_DAYS:
        raise constraint_error(days, "retentionInDays", "Member must satisfy enum value set: ["
                               + ", ".join(str(d) for d in RETENTION_DAYS) + "]")
    require_group(db, region, account_id, name)
    db.execute("UPDATE logs_groups SET retention_in_days = ? WHERE region = ? AND account_id = ? AND log_group = ?",
               [days, region, account_id, name])


def delete_retention(db, region: str, account_id: str, name: str) -> None:
    require_group(db, region, account_id, name)
    db.execute("UPDATE logs_groups SET retention_in_days = NULL WHERE region = ? AND account_id = ? AND log_group = ?",
               [region, account_id, name])


# ------------------------------------------------------------------------------------------------ streams
def find_stream(db, region: str, account_id: str, group: str, stream: str) -> bool:
    return db.execute("SELECT 1 FROM logs_streams WHERE region = ? AND account_id = ? AND log_group = ? AND "
                      "log_stream = ?", [region, account_id, group, stream]).fetchone() is not None


def create_stream(db, region: str, account_id: str, group: str, stream: str, now: datetime) -> None:
    check_stream_name(stream)
    require_group(db, region, account_id, group)
    if find_stream(db, region, account_id, group, stream):
        raise AWSError("ResourceAlreadyExistsException", "The specified log stream already exists")
    db.execute("INSERT INTO logs_streams VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL)",
               [region, account_id, group, stream, now])


def ensure_stream(db, region: str, account_id: str, group: str, stream: str, now: datetime) -> None:
    """Create the stream unless it exists (CloudTrail and the agent create the streams they write to)."""
    if not find_stream(db, region, account_id, group, stream):
        db.execute("INSERT INTO logs_streams VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL)",
                   [region, account_id, group, stream, now])


def delete_stream(db, region: str, account_id: str, group: str, stream: str) -> None:
    require_group(db, region, account_id, group)
    if not find_stream(db, region, account_id, group, stream):
        raise stream_not_found()
    key = [region, account_id, group, stream]
    db.execute("DELETE FROM logs_events WHERE region = ? AND account_id = ? AND log_group = ? AND log_stream = ?", key)
    db.execute("DELETE FROM logs_streams WHERE region = ? AND account_id = ? AND log_group = ? AND log_stream = ?", key)


DESCRIBE_STREAMS_SQL = """
SELECT log_stream, epoch_ms(creation_time), epoch_ms(first_event_timestamp), epoch_ms(last_event_timestamp),
       epoch_ms(last_ingestion_time)
FROM logs_streams
WHERE region = $region AND account_id = $account AND log_group = $group
  AND ($prefix IS NULL OR starts_with(log_stream, $prefix))
ORDER BY {order}
LIMIT $limit OFFSET $offset
"""


def describe_streams(db, region: str, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """DescribeLogStreams: by name (default) or by last event time, ascending unless ``descending``."""
    group = group_name_of(params)
    require_group(db, region, account_id, group)
    order_by = params.get("orderBy", "LogStreamName")
    prefix = params.get("logStreamNamePrefix")
    if order_by == "LastEventTime" and prefix is not None:
        raise AWSError("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
    limit = check_limit(params.get("limit"), PAGE_LIMIT)
    offset = int(decode_token(params["nextToken"])) if params.get("nextToken") else 0
    direction = "DESC" if params.get("descending") else "ASC"
    if order_by == "LastEventTime":
        # Streams without events sort as the oldest.
        order = f"coalesce(last_event_timestamp, TIMESTAMPTZ '1970-01-01') {direction}, log_stream {direction}"
    else:
        order = f"log_stream {direction}"
    rows = db.execute(DESCRIBE_STREAMS_SQL.format(order=order), {
        "region": region, "account": account_id, "group": group, "prefix": prefix, "limit": limit + 1,
        "offset": offset}).fetchall()
    streams = []
    for name, created, first, last, ingested in rows[:limit]:
        stream: dict[str, Any] = {"logStreamName": name, "creationTime": created}
        if first is not None:
            stream.update(firstEventTimestamp=first, lastEventTimestamp=last, lastIngestionTime=ingested)
        stream["arn"] = stream_arn(region, account_id, group, name)
        stream["storedBytes"] = 0
        streams.append(stream)
    response: dict[str, Any] = {"logStreams": streams}
    if len(rows) > limit:
        response["nextToken"] = encode_token(offset + limit)
    return response


# ------------------------------------------------------------------------------------------------ retention
EXPIRE_SQL = """
DELETE FROM logs_events e
USING logs_groups g
WHERE e.region = g.region AND e.account_id = g.account_id AND e.log_group = g.log_group
  AND g.retention_in_days IS NOT NULL
  AND e.timestamp < $until - to_days(g.retention_in_days)
"""

NEXT_EXPIRY_SQL = """
SELECT min(e.timestamp + to_days(g.retention_in_days))
FROM logs_events e JOIN logs_groups g
  ON e.region = g.region AND e.account_id = g.account_id AND e.log_group = g.log_group
WHERE g.retention_in_days IS NOT NULL
"""


def expire_events(db, until: datetime) -> None:
    """Delete every event older than its group's retention period at ``until`` (one statement)."""
    db.execute(EXPIRE_SQL, {"until": until})


def next_expiry(db) -> datetime | None:
    """The instant the next event expires (strictly after it has, the DELETE above removes it)."""
    return db.execute(NEXT_EXPIRY_SQL).fetchone()[0]


def retention_cutoff(retention_in_days: int | None, now: datetime) -> datetime | None:
    return None if retention_in_days is None else now - timedelta(days=retention_in_days)
