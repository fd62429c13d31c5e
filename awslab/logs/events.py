"""Log events: ingesting a batch (PutLogEvents' limits), and reading them back (GetLogEvents, FilterLogEvents).

``logs_events`` holds one row per event: its group and stream, ``timestamp`` (when it happened),
``ingestion_time`` (when the lab received it), the message, a 56-digit ``event_id`` and a ``sequence`` number
that grows with every event the lab ingests (events of one batch are consecutive, in batch order).

PutLogEvents' rules (LAPI:PutLogEvents, LAPI:RejectedLogEventsInfo, LG:cloudwatch_limits_cwl):

* a batch has at most 10,000 events and at most 1,048,576 bytes, counting each message's UTF-8 bytes plus
  26 bytes per event; an event may not exceed 256 KB (262,144 bytes, counted the same way): these fail the
  whole call with InvalidParameterException ("Log event too large: N bytes exceeds limit of 262144",
  "Upload too large: N bytes exceeds limit of 1048576", as AWS words them in client reports);
* events must be in chronological order, else the call fails; among the events it accepts, a batch may not
  span more than 24 hours;
* events more than 2 hours in the future, more than 14 days in the past, or older than the group's retention
  are rejected while the rest are stored, and reported in ``rejectedLogEventsInfo``:
  ``tooNewLogEventStartIndex`` (the first too-new event, inclusive), ``tooOldLogEventEndIndex`` and
  ``expiredLogEventEndIndex`` (one past the last too-old / expired event: "This field is exclusive", and the
  CloudWatch agent reads it as a count);
* messages are text: one that is not valid UTF-8 (a lone surrogate) fails the call (*choice*: AWS documents
  UTF-8 messages but not the error's wording).

The current API reference raises the event limit to 1 MB; the lab keeps the 256 KB of the issue it implements
and of CloudTrail's delivery rule (``MAX_EVENT_SIZE`` is the one place to change it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas

from awslab.errors import AWSError

from .groups import (check_limit, constraint_error, decode_token, encode_token, retention_cutoff,
                     stream_not_found, to_ms)
from .patterns import compile_filter_pattern

MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
MAX_EVENT_SIZE = 262_144
EVENT_OVERHEAD = 26
MAX_SPAN = timedelta(hours=24)
PAST_LIMIT = timedelta(days=14)
FUTURE_LIMIT = timedelta(hours=2)
PAGE_BYTES = 1_048_576
"""GetLogEvents and FilterLogEvents return at most 1 MB of events a page (up to 10,000 events)."""
DESCENDING_SINCE_MS = 1_704_067_200_000
"""FilterLogEvents' startFromHead=false needs a startTime on or after 2024-01-01T00:00:00Z."""

TABLES = {"logs_events": "one row per log event: group, stream, timestamp, ingestion time, message, event id, "
                         "sequence (ingestion order)"}

CREATE = """
CREATE TABLE IF NOT EXISTS logs_events (
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    log_group VARCHAR NOT NULL,
    log_stream VARCHAR NOT NULL,
    timestamp TIMESTAMPTZ NOT NULL,       -- when the event happened (millisecond precision)
    ingestion_time TIMESTAMPTZ NOT NULL,  -- when CloudWatch Logs received it
    message VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,            -- 56 digits: timestamp (ms) then sequence, zero-padded
    sequence BIGINT NOT NULL              -- ingestion order across the lab; a batch is a run of numbers
)"""


@dataclass
class Batch:
    """The events of one ingestion that were stored: sequence numbers ``first`` to ``last`` (empty if last < first)."""

    region: str
    account_id: str
    log_group: str
    log_stream: str
    first: int
    last: int
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return max(0, self.last - self.first + 1)


# ------------------------------------------------------------------------------------------------ ingest
def event_size(message: str) -> int:
    """An event's size as PutLogEvents counts it: UTF-8 bytes of the message plus 26."""
    return len(message.encode("utf-8")) + EVENT_OVERHEAD


def check_batch(events: list[dict[str, Any]], now: datetime,
                retention_in_days: int | None) -> tuple[list[int], dict[str, int]]:
    """Apply PutLogEvents' rules to a batch: raise for the ones that fail the call, and return the indexes
    of the events to store with ``rejectedLogEventsInfo``."""
    if len(events) > MAX_EVENTS:
        raise constraint_error("[...]", "logEvents", f"Member must have length less than or equal to {MAX_EVENTS}")
    total = 0
    for event in events:
        try:
            size = event_size(event["message"])
        except UnicodeEncodeError:
            raise AWSError("InvalidParameterException", "Log event message must be valid UTF-8 text.") from None
        if size > MAX_EVENT_SIZE:
            raise AWSError("InvalidParameterException",
                           f"Log event too large: {size} bytes exceeds limit of {MAX_EVENT_SIZE}")
        total += size
    if total > MAX_BATCH_BYTES:
        raise AWSError("InvalidParameterException",
                       f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}")
    stamps = [event["timestamp"] for event in events]
    if any(later < earlier for earlier, later in zip(stamps, stamps[1:])):
        raise AWSError("InvalidParameterException",
                       "Log events in a single PutLogEvents request must be in chronological order.")
    oldest, newest = to_ms(now - PAST_LIMIT), to_ms(now + FUTURE_LIMIT)
    cutoff = retention_cutoff(retention_in_days, now)
    expired_before = to_ms(cutoff) if cutoff is not None else None
    rejected: dict[str, int] = {}
    accepted: list[int] = []
    for index, stamp in enumerate(stamps):
        if stamp > newest:
            rejected.setdefault("tooNewLogEventStartIndex", index)
        elif stamp < oldest:
            rejected["tooOldLogEventEndIndex"] = index + 1
        elif expired_before is not None and stamp < expired_before:
            rejected["expiredLogEventEndIndex"] = index + 1
        else:
            accepted.append(index)
    if accepted and stamps[accepted[-1]] - stamps[accepted[0]] > MAX_SPAN // timedelta(milliseconds=1):
        raise AWSError("InvalidParameterException",
                       "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    return accepted, rejected


def _reserve(db, count: int) -> int:
    """The first of ``count`` fresh sequence numbers (kept in ``logs_state`` so a reopened lab continues)."""
    row = db.execute("SELECT CAST(value AS BIGINT) FROM logs_state WHERE key = 'next_sequence'").fetchone()
    first = row[0] if row else 1
    if row is None:
        db.execute("INSERT INTO logs_state VALUES ('next_sequence', ?)", [str(first + count)])
    else:
        db.execute("UPDATE logs_state SET value = ? WHERE key = 'next_sequence'", [str(first + count)])
    return first


INSERT_SQL = """
INSERT INTO logs_events
SELECT $region, $account, $group, $stream, make_timestamptz(ts_ms * 1000),
       coalesce(make_timestamptz(ingested_ms * 1000), $ingestion_time), message,
       printf('%020d%036d', ts_ms, $first + idx), $first + idx
FROM frame
"""

UPDATE_STREAM_SQL = """
UPDATE logs_streams s SET
    first_event_timestamp = CASE WHEN s.first_event_timestamp IS NULL OR b.first_ts < s.first_event_timestamp
                                 THEN b.first_ts ELSE s.first_event_timestamp END,
    last_event_timestamp = CASE WHEN s.last_event_timestamp IS NULL OR b.last_ts > s.last_event_timestamp
                                THEN b.last_ts ELSE s.last_event_timestamp END,
    last_ingestion_time = b.ingested
FROM (SELECT min(timestamp) AS first_ts, max(timestamp) AS last_ts, max(ingestion_time) AS ingested
      FROM logs_events WHERE sequence BETWEEN $first AND $last) b
WHERE s.region = $region AND s.account_id = $account AND s.log_group = $group AND s.log_stream = $stream
"""


def store(db, region: str, account_id: str, group: str, stream: str, timestamps_ms: list[int], messages: list[str],
          ingestion_time: datetime, ingested_ms: list[int] | None = None) -> Batch:
    """Insert events (already checked) in one statement and update their stream's times."""
    count = len(messages)
    first = _reserve(db, count) if count else 0
    batch = Batch(region, account_id, group, stream, first, first + count - 1)
    if not count:
        return batch
    frame = pandas.DataFrame({"idx": range(count), "ts_ms": pandas.array(timestamps_ms, dtype="int64"),
                              "ingested_ms": pandas.array(ingested_ms or [None] * count, dtype="Int64"),
                              "message": pandas.array(messages, dtype=object)})
    params = {"region": region, "account": account_id, "group": group, "stream": stream, "first": first,
              "ingestion_time": ingestion_time}
    db.execute(INSERT_SQL, params)
    db.execute(UPDATE_STREAM_SQL, {"region": region, "account": account_id, "group": group, "stream": stream,
                                   "first": first, "last": batch.last})
    del frame
    return batch


def store_select(db, region: str, account_id: str, group: str, stream: str, select_sql: str, params: list[Any],
                 count: int) -> Batch:
    """Insert ``count`` events that a SELECT yields as (idx, ts_ms, ingested_ms, message), idx from 0 (bulk path)."""
    first = _reserve(db, count) if count else 0
    batch = Batch(region, account_id, group, stream, first, first + count - 1)
    if not count:
        return batch
    db.execute(f"""INSERT INTO logs_events
                   SELECT ?, ?, ?, ?, make_timestamptz(ts_ms * 1000), make_timestamptz(ingested_ms * 1000), message,
                          printf('%020d%036d', ts_ms, ? + idx), ? + idx
                   FROM ({select_sql})""", [region, account_id, group, stream, first, first, *params])
    db.execute(UPDATE_STREAM_SQL, {"region": region, "account": account_id, "group": group, "stream": stream,
                                   "first": first, "last": batch.last})
    return batch


# ------------------------------------------------------------------------------------------------ GetLogEvents
MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MAX_SEQUENCE = 2**62


def clamp_ms(ms: int | None) -> int | None:
    """A caller's epoch-ms bound kept inside what a timestamp can hold (the API only bounds it below by 0)."""
    return None if ms is None else min(ms, MAX_TIMESTAMP_MS)


def _invalid_token() -> AWSError:
    return AWSError("InvalidParameterException", "The specified nextToken is invalid.")


def _position(token: str) -> tuple[str, int, int]:
    """(direction, timestamp ms, sequence) from a GetLogEvents token ``f/<event id>/s`` or ``b/<event id>/s``."""
    parts = token.split("/")
    if len(parts) != 3 or parts[0] not in ("f", "b") or len(parts[1]) != 56 or not parts[1].isascii() \
            or not parts[1].isdigit() or parts[2] != "s":
        raise _invalid_token()
    ts, seq = int(parts[1][:20]), int(parts[1][20:])
    if ts > MAX_TIMESTAMP_MS or seq > MAX_SEQUENCE:
        raise _invalid_token()
    return parts[0], ts, seq


def _token(direction: str, ts_ms: int, sequence: int) -> str:
    return f"{direction}/{ts_ms:020d}{sequence:036d}/s"


GET_EVENTS_SQL = """
SELECT ts, seq, message, ingested FROM (
    SELECT epoch_ms(timestamp) AS ts, sequence AS seq, message, epoch_ms(ingestion_time) AS ingested,
           sum(strlen(message) + 26) OVER (ORDER BY timestamp {direction}, sequence {direction}) AS running,
           row_number() OVER (ORDER BY timestamp {direction}, sequence {direction}) AS n
    FROM (SELECT * FROM logs_events
          WHERE region = $region AND account_id = $account AND log_group = $group AND log_stream = $stream
            AND ($start IS NULL OR timestamp >= make_timestamptz($start * 1000))
            AND ($end IS NULL OR timestamp < make_timestamptz($end * 1000))
            AND {position}
          ORDER BY timestamp {direction}, sequence {direction}
          LIMIT $limit))
WHERE running <= $bytes OR n = 1
ORDER BY ts, seq
"""


def get_log_events(db, region: str, account_id: str, group: str, stream: str, params: dict[str, Any]) -> dict[str, Any]:
    """GetLogEvents: a page of one stream's events, oldest first within the page, with both tokens.

    Without a token the page is the latest events (``startFromHead`` false, the default) or the earliest;
    ``f/...`` pages forward after a position, ``b/...`` backward before it. An empty page gives back the token
    that was passed in, which is how callers know they have reached the end (LAPI:GetLogEvents).
    """
    if not db.execute("SELECT 1 FROM logs_streams WHERE region = ? AND account_id = ? AND log_group = ? AND "
                      "log_stream = ?", [region, account_id, group, stream]).fetchone():
        raise stream_not_found()
    limit = check_limit(params.get("limit"), MAX_EVENTS)
    token = params.get("nextToken")
    if token:
        direction, ts, seq = _position(token)
        forward = direction == "f"
        position = (f"(timestamp, sequence) {'>' if forward else '<'} (make_timestamptz({ts} * 1000), {seq})")
    else:
        forward = bool(params.get("startFromHead", False))
        position = "TRUE"
    rows = db.execute(GET_EVENTS_SQL.format(direction="ASC" if forward else "DESC", position=position), {
        "region": region, "account": account_id, "group": group, "stream": stream,
        "start": clamp_ms(params.get("startTime")), "end": clamp_ms(params.get("endTime")), "limit": limit,
        "bytes": PAGE_BYTES}).fetchall()
    events = [{"timestamp": ts, "message": message, "ingestionTime": ingested} for ts, _, message, ingested in rows]
    if rows:
        forward_token = _token("f", rows[-1][0], rows[-1][1])
        backward_token = _token("b", rows[0][0], rows[0][1])
    elif token:
        forward_token = backward_token = token
        if token.startswith("f/"):
            backward_token = "b/" + token[2:]
        else:
            forward_token = "f/" + token[2:]
    else:
        forward_token, backward_token = _token("f", 0, 0), _token("b", 0, 0)
    return {"events": events, "nextForwardToken": forward_token, "nextBackwardToken": backward_token}


# ------------------------------------------------------------------------------------------------ FilterLogEvents
FILTER_SQL = """
SELECT log_stream, epoch_ms(timestamp) AS ts, message, epoch_ms(ingestion_time) AS ingested, event_id, sequence,
       strlen(message) + 26 AS size
FROM logs_events
WHERE {candidates}
  AND timestamp >= make_timestamptz($low * 1000) AND timestamp <= make_timestamptz($high * 1000)
  AND {position}
  AND {pattern}
ORDER BY timestamp {direction}, ingestion_time {direction}, sequence {direction}
LIMIT $limit
"""

CANDIDATES = """region = $region AND account_id = $account AND log_group = $group
  AND ($streams IS NULL OR list_contains($streams, log_stream))
  AND ($prefix IS NULL OR starts_with(log_stream, $prefix))"""

SPAN_SQL = f"""
SELECT epoch_ms(min(timestamp)), epoch_ms(max(timestamp)) FROM logs_events
WHERE {CANDIDATES}
  AND timestamp >= make_timestamptz($low * 1000) AND timestamp <= make_timestamptz($high * 1000)
"""


def filter_log_events(db, region: str, account_id: str, group: str, params: dict[str, Any]) -> dict[str, Any]:
    """FilterLogEvents: the group's events matching a filter pattern, in pages of 10,000 events or 1 MB.

    Events are sorted by timestamp, then ingestion time, then ingestion order (LAPI:FilterLogEvents); the
    pattern runs in DuckDB, over windows of time that double until the page is full, so a page costs about
    what it returns, not a scan of the whole group. ``nextToken`` carries the direction and the last event
    returned; it is absent when nothing more matches.
    """
    if params.get("logStreamNames") and params.get("logStreamNamePrefix") is not None:
        # *choice*: the rule is documented, the message is the lab's.
        raise AWSError("InvalidParameterException",
                       "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
    limit = check_limit(params.get("limit"), MAX_EVENTS)
    pattern = compile_filter_pattern(params.get("filterPattern") or "", "filter")
    low, high = clamp_ms(params.get("startTime")) or 0, clamp_ms(params.get("endTime"))
    high = MAX_TIMESTAMP_MS if high is None else high
    token = params.get("nextToken")
    if token:
        state = decode_token(token)
        if not (isinstance(state, list) and len(state) == 4 and state[0] in ("f", "b")
                and all(type(x) is int and 0 <= x <= MAX_TIMESTAMP_MS for x in state[1:])):
            raise _invalid_token()
        forward = state[0] == "f"
        ts, ingested, seq = state[1:]
        position = (f"(timestamp, ingestion_time, sequence) {'>' if forward else '<'} "
                    f"(make_timestamptz({ts} * 1000), make_timestamptz({ingested} * 1000), {seq})")
        low, high = (max(low, ts), high) if forward else (low, min(high, ts))
    else:
        forward = params.get("startFromHead", True)
        if not forward and (params.get("startTime") is None or params["startTime"] < DESCENDING_SINCE_MS):
            # *choice* of wording; the rule is LAPI:FilterLogEvents' (startFromHead).
            raise AWSError("InvalidParameterException", "startFromHead set to false is supported only when "
                                                        "startTime is on or after Jan 1, 2024 00:00:00 UTC.")
        position = "TRUE"
    keys = {"region": region, "account": account_id, "group": group,
            "streams": params.get("logStreamNames") or None, "prefix": params.get("logStreamNamePrefix")}
    rows: list[tuple] = []
    first, last = db.execute(SPAN_SQL, {**keys, "low": low, "high": high}).fetchone()
    if first is not None:
        sql = FILTER_SQL.format(candidates=CANDIDATES, direction="ASC" if forward else "DESC", position=position,
                                pattern=pattern.to_sql("message", db))
        low, high = max(low, first), min(high, last)
        window = max(1, (high - low) // 32 + 1)
        size = 0
        while low <= high and len(rows) <= limit and size <= PAGE_BYTES:
            chunk = (low, min(high, low + window - 1)) if forward else (max(low, high - window + 1), high)
            found = db.execute(sql, {**keys, "low": chunk[0], "high": chunk[1],
                                     "limit": limit + 1 - len(rows)}).fetchall()
            rows += found
            size += sum(row[6] for row in found)
            low, high = (chunk[1] + 1, high) if forward else (low, chunk[0] - 1)
            window *= 2
    page: list[tuple] = []
    size = 0
    for row in rows[:limit]:
        size += row[6]
        if page and size > PAGE_BYTES:
            break
        page.append(row)
    events = [{"logStreamName": stream, "timestamp": ts, "message": message, "ingestionTime": ingested,
               "eventId": event_id} for stream, ts, message, ingested, event_id, _, _ in page]
    response: dict[str, Any] = {"events": events, "searchedLogStreams": []}
    if len(rows) > len(page):
        last_row = page[-1]
        response["nextToken"] = encode_token(["f" if forward else "b", last_row[1], last_row[3], last_row[5]])
    return response
