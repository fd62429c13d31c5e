"""Event history: LookupEvents over the last 90 days of management events, per region.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html

Events of global services (IAM, sign-in, STS's global endpoint, CloudFront, Route 53) are
recorded in us-east-1 and appear in the event history of every region.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import AWSError

RETENTION = timedelta(days=90)
MAX_RESULTS = 50
GLOBAL_SOURCES = ("iam.amazonaws.com", "signin.amazonaws.com", "cloudfront.amazonaws.com",
                  "route53.amazonaws.com", "organizations.amazonaws.com")
ATTRIBUTES = {
    "EventId": "event_id = $value",
    "EventName": "event_name = $value",
    "ReadOnly": "CAST(read_only AS VARCHAR) = lower($value)",
    "Username": "username = $value",
    "EventSource": "event_source = $value",
    "AccessKeyId": "access_key_id = $value",
    "ResourceType": "list_contains(resource_types, $value)",
    "ResourceName": "list_contains(resource_names, $value)",
}

_EVENTS = """
SELECT *,
    CASE identity_type WHEN 'Root' THEN 'root'
                       WHEN 'AssumedRole' THEN regexp_extract(identity_arn, '[^/]+$')
                       ELSE identity_user_name END AS username,
    coalesce(CAST(resources->'$[*].type' AS VARCHAR[]), []) AS resource_types,
    coalesce(list_transform(CAST(resources->'$[*].ARN' AS VARCHAR[]),
                            lambda a: regexp_extract(a, '[^:/]+$')), []) AS resource_names
FROM cloudtrail_events
WHERE source_file = 'lab' AND event_category = 'Management'
  AND event_time >= $oldest AND event_time >= $start AND event_time < $end
  AND (aws_region = $region OR (aws_region = 'us-east-1' AND event_source IN {globals}))
"""


def _events_sql(attribute: str | None) -> str:
    sql = _EVENTS.format(globals=repr(GLOBAL_SOURCES))
    sql = f"SELECT * FROM ({sql}) WHERE {ATTRIBUTES[attribute]}" if attribute else sql
    return sql + " ORDER BY event_time DESC, source_index DESC"


def _check(params: dict[str, Any]) -> tuple[str | None, str | None]:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise AWSError("InvalidLookupAttributesException",
                       "You cannot specify more than one lookup attribute.")
    if attributes and attributes[0]["AttributeKey"] not in ATTRIBUTES:
        raise AWSError("InvalidLookupAttributesException",
                       f"{attributes[0]['AttributeKey']} is not a valid lookup attribute.")
    limit = params.get("MaxResults", MAX_RESULTS)
    if not 1 <= limit <= MAX_RESULTS:
        raise AWSError("InvalidMaxResultsException", "Value for MaxResults is invalid: it must be between 1 and 50.")
    if params.get("StartTime") and params.get("EndTime") and params["StartTime"] > params["EndTime"]:
        raise AWSError("InvalidTimeRangeException", "Start time cannot be later than end time.")
    if params.get("EventCategory") not in (None, "insight"):
        raise AWSError("InvalidEventCategoryException", "The event category is not valid.")
    if attributes:
        return attributes[0]["AttributeKey"], attributes[0]["AttributeValue"]
    return None, None


def matching_rows(db, region: str, now: datetime, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The event-history rows a LookupEvents request (without paging) would return, newest first."""
    attribute, value = _check(params)
    if params.get("EventCategory") == "insight":
        return []  # the lab does not simulate CloudTrail Insights
    bindings = {"oldest": now - RETENTION, "region": region,
                "start": params.get("StartTime") or datetime.min.replace(tzinfo=now.tzinfo),
                "end": params.get("EndTime") or now + timedelta(seconds=1)}
    if attribute:
        bindings["value"] = value
    cursor = db.execute(_events_sql(attribute), bindings)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def lookup_events(db, region: str, now: datetime, params: dict[str, Any]) -> dict[str, Any]:
    """One page of LookupEvents. The token marks the last event returned, so events recorded
    between pages (the lookups themselves) never shift or repeat a page."""
    rows = matching_rows(db, region, now, params)
    limit = params.get("MaxResults", MAX_RESULTS)
    token = params.get("NextToken")
    if token:
        try:
            moment, index = base64.b64decode(token).decode().split("|")
            cursor = (datetime.fromisoformat(moment), int(index))
        except (ValueError, UnicodeDecodeError):
            raise AWSError("InvalidNextTokenException", "Invalid NextToken.") from None
        rows = [r for r in rows if (r["event_time"], r["source_index"]) < cursor]
    page = rows[:limit]
    response: dict[str, Any] = {"Events": [_event(row) for row in page]}
    if len(rows) > limit:
        last = page[-1]
        response["NextToken"] = base64.b64encode(
            f"{last['event_time'].isoformat()}|{last['source_index']}".encode()).decode()
    return response


def _event(row: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"EventId": row["event_id"], "EventName": row["event_name"],
                             "ReadOnly": "true" if row["read_only"] else "false",
                             "EventTime": row["event_time"], "EventSource": row["event_source"]}
    if row["access_key_id"]:
        event["AccessKeyId"] = row["access_key_id"]
    if row["username"]:
        event["Username"] = row["username"]
    event["Resources"] = [{"ResourceType": t, "ResourceName": n}
                          for t, n in zip(row["resource_types"], row["resource_names"])]
    event["CloudTrailEvent"] = row["record"] if isinstance(row["record"], str) else json.dumps(row["record"])
    return event


CSV_COLUMNS = ["Event ID", "Event time", "User name", "Event name", "Resource type", "Resource name",
               "AWS access key", "AWS region", "Error code", "Source IP address", "Read-only", "Event source",
               "Resources"]
"""The console's CSV export columns. AWS does not publish them; these follow the console's
column names (our documented choice)."""


def download_event_history(db, region: str, now: datetime, path: str | Path, fmt: str = "json",
                           **filters: Any) -> Path:
    """Write the event history (as LookupEvents would filter it) the way the console exports it.

    ``fmt="json"`` writes ``{"Records": [...]}`` of full events; ``fmt="csv"`` writes the
    console's columns (see ``CSV_COLUMNS``). ``filters`` are LookupEvents parameters
    (``LookupAttributes``, ``StartTime``, ``EndTime``).
    """
    rows = matching_rows(db, region, now, filters)
    target = Path(path)
    if fmt == "json":
        records = [json.loads(r["record"]) if isinstance(r["record"], str) else r["record"] for r in rows]
        target.write_text(json.dumps({"Records": records}, indent=1))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            record = json.loads(r["record"]) if isinstance(r["record"], str) else r["record"]
            writer.writerow([_safe(v) for v in (
                r["event_id"], r["event_time"].strftime("%Y-%m-%dT%H:%M:%SZ"), r["username"] or "",
                r["event_name"], ", ".join(r["resource_types"]), ", ".join(r["resource_names"]),
                r["access_key_id"] or "", r["aws_region"], r["error_code"] or "", r["source_ip_address"] or "",
                "true" if r["read_only"] else "false", r["event_source"],
                json.dumps(record.get("resources") or []))])
        target.write_text(buffer.getvalue())
    else:
        raise ValueError(f"format must be 'json' or 'csv', not {fmt!r}")
    return target


def _safe(value: Any) -> str:
    """Neutralise spreadsheet formulas, as the console's CSV-injection warning asks."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
