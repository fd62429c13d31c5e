"""Configuration items: recorded from the world's resource changes, in schema version 1.3.

https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html

One row of ``config_items`` per configuration item. AWS writes an item in two spellings: the
API form (GetResourceConfigHistory: ``accountId``, ``arn``, ``configuration`` as a JSON *string*,
``relationshipName``) and the notification form (SNS, EventBridge, rule events, delivered
files: ``awsAccountId``, ``ARN``, ``configurationItemVersion``, objects, ``name``).
:func:`api_form` and :func:`notification_form` produce each from a row.

``relatedEvents`` carries the CloudTrail eventID of the call that caused the change. AWS left
this list empty from schema 1.3 on; the lab fills it so a learner can join the two, and says so.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

CREATE_ITEMS = """
CREATE TABLE IF NOT EXISTS config_items (
    account_id VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    resource_type VARCHAR NOT NULL,
    resource_id VARCHAR NOT NULL,
    resource_name VARCHAR,
    arn VARCHAR,
    availability_zone VARCHAR,
    capture_time TIMESTAMPTZ NOT NULL,
    resource_creation_time TIMESTAMPTZ,
    status VARCHAR NOT NULL,            -- OK, ResourceDiscovered, ResourceDeleted, ResourceNotRecorded, ...
    configuration JSON,
    supplementary_configuration JSON,
    tags JSON,
    relationships JSON,                 -- [{resourceType, resourceId, resourceName, relationshipName}]
    related_events JSON,                -- CloudTrail eventIDs behind the change
    version VARCHAR NOT NULL,           -- "1.3"
    state_id BIGINT NOT NULL,           -- configurationStateId: orders a resource's items
    item JSON,                          -- the notification form, as delivered
    recording_frequency VARCHAR         -- DAILY items only
)"""
# GetResourceConfigHistory and BatchGetResourceConfig look a resource's items up by its id
CREATE_INDEX = "CREATE INDEX IF NOT EXISTS config_items_resource ON config_items (resource_id)"

GLOBAL_TYPES = frozenset({"AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"})
NOT_RECORDED = {"created": "ResourceNotRecorded", "updated": "ResourceNotRecorded", "deleted": "ResourceDeletedNotRecorded"}
RECORDED = {"created": "ResourceDiscovered", "updated": "OK", "deleted": "ResourceDeleted"}

_COLUMNS = ["account_id", "region", "resource_type", "resource_id", "resource_name", "arn", "availability_zone",
            "capture_time", "resource_creation_time", "status", "configuration", "supplementary_configuration",
            "tags", "relationships", "related_events", "version", "state_id", "item", "recording_frequency"]


_JSON_COLUMNS = frozenset({"configuration", "supplementary_configuration", "tags", "relationships", "related_events",
                           "item"})


def latest(db, keys: list[tuple[str, str, str, str]]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """The newest item of each resource, keyed (account, region, type, id); one query for them all."""
    if not keys:
        return {}
    wanted = {name: [k[i] for k in keys] for i, name in enumerate(("account", "region", "type", "id"))}
    cursor = db.execute("""SELECT i.* FROM config_items i
        JOIN (SELECT unnest($account) account, unnest($region) region, unnest($type) type, unnest($id) id) w
          ON i.resource_id = w.id AND i.account_id = w.account AND i.region = w.region AND i.resource_type = w.type
        QUALIFY row_number() OVER (PARTITION BY i.account_id, i.region, i.resource_type, i.resource_id
                                   ORDER BY i.state_id DESC) = 1""", wanted)
    names = [c[0] for c in cursor.description]
    found = [dict(zip(names, r)) for r in cursor.fetchall()]
    return {(r["account_id"], r["region"], r["resource_type"], r["resource_id"]): r for r in found}


def _relationships(fact: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"resourceType": r["resourceType"], "resourceId": r.get("resourceId"),
             "resourceName": r.get("resourceName"), "relationshipName": r["relationshipName"]}
            for r in fact.get("relationships") or []]


def _plain(value: Any) -> Any:
    """JSON-shaped data (datetimes as text), so a new item compares equal to a stored one."""
    return json.loads(json.dumps(value, default=str))


def _content(row: dict[str, Any]) -> tuple:
    return (row["status"].startswith("ResourceDeleted"), from_json(row["configuration"]),
            from_json(row["supplementary_configuration"]) or {}, from_json(row["relationships"]) or [],
            from_json(row["tags"]) or {})


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def build(fact: dict[str, Any], previous: dict[str, Any] | None, *, recorded: bool, region: str,
          frequency: str | None = None, status: str | None = None) -> dict[str, Any] | None:
    """The item for one resource change after ``previous``; None when nothing about the resource changed.

    ``status`` forces ResourceDiscovered (the recorder's inventory at start).
    """
    kind = fact["status"]
    if recorded:
        first = previous is None or previous["status"].startswith("ResourceDeleted")
        status = status or ("ResourceDeleted" if kind == "deleted" else "ResourceDiscovered" if first else "OK")
        deleted = kind == "deleted"
        configuration = None if deleted else _plain(fact.get("configuration"))
        supplementary = {} if deleted else _plain(fact.get("supplementary_configuration") or {})
        relationships = [] if deleted else _relationships(fact)
        tags = {} if deleted else _plain(fact.get("tags") or {})
    else:
        status = NOT_RECORDED[kind]
        configuration, supplementary, relationships, tags = None, {}, [], {}
    if previous is not None and _content(previous) == (status.startswith("ResourceDeleted"), configuration,
                                                       supplementary, relationships, tags):
        return None  # Config records a new item only when something about the resource changed
    capture = fact["time"]
    floor = previous["state_id"] + 1 if previous else 0
    state_id = max(_epoch_ms(capture), floor)
    row = {
        "account_id": fact["account_id"], "region": region, "resource_type": fact["resource_type"],
        "resource_id": fact["resource_id"], "resource_name": fact.get("resource_name"), "arn": fact.get("arn"),
        "availability_zone": fact.get("availability_zone") or ("Not Applicable" if recorded else None),
        "capture_time": capture, "resource_creation_time": fact.get("resource_creation_time"), "status": status,
        "configuration": configuration, "supplementary_configuration": supplementary, "tags": tags,
        "relationships": relationships, "related_events": [fact["event_id"]] if fact.get("event_id") else [],
        "version": "1.3", "state_id": state_id, "recording_frequency": frequency,
    }
    row["item"] = notification_form(row)
    return row


def insert(db, rows: list[dict[str, Any]]) -> None:
    """Append items built by :func:`build`, in one statement."""
    if not rows:
        return
    columns = {c: [json.dumps(r[c], default=str) if c in _JSON_COLUMNS and r[c] is not None else r[c] for r in rows]
               for c in _COLUMNS}
    db.execute(f"INSERT INTO config_items SELECT {', '.join(f'unnest(${c})' for c in _COLUMNS)}", columns)


def from_json(value: Any) -> Any:
    """A JSON column as Python data, whether read from the table (text) or just built (objects)."""
    return json.loads(value) if isinstance(value, str) else value


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def notification_form(row: dict[str, Any]) -> dict[str, Any]:
    """The item as SNS, EventBridge, rule events and delivered files spell it."""
    return {
        "relatedEvents": from_json(row["related_events"]) or [],
        "relationships": [{"resourceId": r.get("resourceId"), "resourceName": r.get("resourceName"),
                           "resourceType": r["resourceType"], "name": r["relationshipName"]}
                          for r in from_json(row["relationships"]) or []],
        "configuration": from_json(row["configuration"]),
        "supplementaryConfiguration": from_json(row["supplementary_configuration"]) or {},
        "tags": from_json(row["tags"]) or {},
        "configurationItemVersion": row["version"],
        "configurationItemCaptureTime": _iso(row["capture_time"]),
        "configurationStateId": row["state_id"],
        "awsAccountId": row["account_id"],
        "configurationItemStatus": row["status"],
        "resourceType": row["resource_type"],
        "resourceId": row["resource_id"],
        "resourceName": row["resource_name"],
        "ARN": row["arn"],
        "awsRegion": "global" if row["resource_type"] in GLOBAL_TYPES else row["region"],
        "availabilityZone": row["availability_zone"],
        "configurationStateMd5Hash": "",
        "resourceCreationTime": _iso(row["resource_creation_time"]),
    }


def api_form(row: dict[str, Any], *, base: bool = False) -> dict[str, Any]:
    """The item as GetResourceConfigHistory (or, ``base``, BatchGetResourceConfig) returns it."""
    item: dict[str, Any] = {
        "version": row["version"], "accountId": row["account_id"], "configurationItemCaptureTime": row["capture_time"],
        "configurationItemStatus": row["status"], "configurationStateId": str(row["state_id"]),
        "resourceType": row["resource_type"], "resourceId": row["resource_id"],
        "awsRegion": "global" if row["resource_type"] in GLOBAL_TYPES else row["region"],
    }
    for key, column in (("arn", "arn"), ("resourceName", "resource_name"), ("availabilityZone", "availability_zone"),
                        ("resourceCreationTime", "resource_creation_time")):
        if row[column] is not None:
            item[key] = row[column]
    configuration = from_json(row["configuration"])
    item["configuration"] = "null" if configuration is None else json.dumps(configuration, default=str)
    item["supplementaryConfiguration"] = {k: json.dumps(v, default=str) if not isinstance(v, str) else v
                                          for k, v in (from_json(row["supplementary_configuration"]) or {}).items()}
    if row.get("recording_frequency"):
        item["recordingFrequency"] = row["recording_frequency"]
    if base:
        return item
    item["configurationItemMD5Hash"] = ""
    item["tags"] = from_json(row["tags"]) or {}
    item["relatedEvents"] = from_json(row["related_events"]) or []
    item["relationships"] = [{k: v for k, v in r.items() if v is not None} for r in from_json(row["relationships"]) or []]
    return item


def current(db, account_id: str, region: str, at: datetime | None = None) -> list[dict[str, Any]]:
    """The newest item of every resource that exists and is recorded (as of ``at``, or now)."""
    return rows(db, """account_id = ? AND region = ? AND (? IS NULL OR capture_time <= ?)
        QUALIFY row_number() OVER (PARTITION BY resource_type, resource_id ORDER BY state_id DESC) = 1
            AND status IN ('OK', 'ResourceDiscovered')
        ORDER BY resource_type, resource_id""", [account_id, region, at, at])


def rows(db, where: str, params: list) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT * FROM config_items WHERE {where}", params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]
