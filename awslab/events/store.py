"""EventBridge's tables, ARNs and the event envelope: the vocabulary every other module shares.

ARNs follow the API reference and AWS-recorded answers (LocalStack ``test_events.snapshot.json``):
``event-bus/NAME``, ``rule/NAME`` on the default bus but ``rule/BUS/NAME`` on a custom bus,
``archive/NAME`` and ``replay/NAME``. The envelope's keys come in the order AWS writes them
(user guide, "Amazon EventBridge events"): version, id, detail-type, source, account, time, region,
(replay-name), resources, detail; ``time`` has whole seconds and a ``Z``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from ..errors import AWSError

DEFAULT_BUS = "default"

SCHEMA = [
    "CREATE SEQUENCE IF NOT EXISTS events_seq",
    """CREATE TABLE IF NOT EXISTS events_buses (
        arn VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
        description VARCHAR, dead_letter_arn VARCHAR, kms_key_identifier VARCHAR, log_config JSON, tags JSON,
        created TIMESTAMPTZ NOT NULL, last_modified TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events_rules (
        arn VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, bus_name VARCHAR NOT NULL,
        name VARCHAR NOT NULL, event_pattern VARCHAR, schedule_expression VARCHAR, state VARCHAR NOT NULL,
        description VARCHAR, role_arn VARCHAR, managed_by VARCHAR, created_by VARCHAR NOT NULL,
        created TIMESTAMPTZ NOT NULL, schedule_anchor TIMESTAMPTZ, tags JSON)""",
    """CREATE TABLE IF NOT EXISTS events_targets (
        rule_arn VARCHAR NOT NULL, target_id VARCHAR NOT NULL, target_arn VARCHAR NOT NULL, spec JSON NOT NULL,
        seq BIGINT NOT NULL, PRIMARY KEY (rule_arn, target_id))""",
    """CREATE TABLE IF NOT EXISTS events_received (
        seq BIGINT NOT NULL, received_at TIMESTAMPTZ NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        bus_name VARCHAR NOT NULL, event_id VARCHAR NOT NULL, event_time TIMESTAMPTZ, source VARCHAR,
        detail_type VARCHAR, replay_name VARCHAR, matched_rules INTEGER, event JSON NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events_delivered (
        seq BIGINT NOT NULL, time TIMESTAMPTZ NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        rule_arn VARCHAR NOT NULL, rule_name VARCHAR NOT NULL, target_id VARCHAR NOT NULL, target_arn VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL, attempt INTEGER NOT NULL, outcome VARCHAR NOT NULL, error_code VARCHAR,
        error_message VARCHAR, input VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS events_retries (
        seq BIGINT NOT NULL, due_at TIMESTAMPTZ NOT NULL, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        rule_arn VARCHAR NOT NULL, target_id VARCHAR NOT NULL, event JSON NOT NULL, ingested_at TIMESTAMPTZ NOT NULL,
        retries INTEGER NOT NULL, error_code VARCHAR, error_message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS events_archives (
        arn VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
        event_source_arn VARCHAR NOT NULL, description VARCHAR, event_pattern VARCHAR, retention_days INTEGER NOT NULL,
        kms_key_identifier VARCHAR, state VARCHAR NOT NULL, created TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events_archive_events (
        seq BIGINT NOT NULL, archive_arn VARCHAR NOT NULL, event_id VARCHAR NOT NULL, event_time TIMESTAMPTZ NOT NULL,
        archived_at TIMESTAMPTZ NOT NULL, size_bytes BIGINT NOT NULL, event JSON NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events_replays (
        arn VARCHAR PRIMARY KEY, region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
        description VARCHAR, archive_arn VARCHAR NOT NULL, destination_arn VARCHAR NOT NULL, filter_arns JSON,
        event_start TIMESTAMPTZ NOT NULL, event_end TIMESTAMPTZ NOT NULL, state VARCHAR NOT NULL, state_reason VARCHAR,
        replay_start TIMESTAMPTZ NOT NULL, replay_end TIMESTAMPTZ, last_replayed TIMESTAMPTZ,
        due_at TIMESTAMPTZ)""",
]

TABLES = {
    "events_buses": "one row per EventBridge event bus: each region's default bus and the custom buses",
    "events_rules": "one row per rule: its bus, event pattern and/or schedule expression, state",
    "events_targets": "one row per rule target: its ARN and the Target structure as PutTargets stored it",
    "events_received": "every event an event bus received (PutEvents, AWS service events, replays), "
                       "with how many rules it matched",
    "events_delivered": "a log of every delivery attempt: rule, target, event id, outcome "
                        "(delivered, retrying, dead-lettered, dropped, ...) and the input sent",
    "events_retries": "deliveries waiting to be retried on the lab clock, per the target's RetryPolicy",
    "events_archives": "one row per archive: its bus, event pattern and retention",
    "events_archive_events": "the events each archive holds, by event time (expired per RetentionDays)",
    "events_replays": "one row per replay: archive, time window, destination and state",
}


# ---------------------------------------------------------------------------------------------
# Names and ARNs

def bus_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/{name}"


def rule_arn(region: str, account_id: str, bus_name: str, name: str) -> str:
    if bus_name == DEFAULT_BUS:
        return f"arn:aws:events:{region}:{account_id}:rule/{name}"
    return f"arn:aws:events:{region}:{account_id}:rule/{bus_name}/{name}"


def archive_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:archive/{name}"


def replay_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:replay/{name}"


def bus_name_of(name_or_arn: str | None) -> str:
    """A bus name from an ``EventBusName`` parameter, which may be a name or a bus ARN."""
    if not name_or_arn:
        return DEFAULT_BUS
    if name_or_arn.startswith("arn:") and ":event-bus/" in name_or_arn:
        return name_or_arn.split(":event-bus/", 1)[1]
    return name_or_arn


def arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN; raises ValueError when it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[2], parts[3], parts[4], parts[5]


def bus_not_found(name: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"Event bus {name} does not exist.")


def rule_not_found(name: str, bus_name: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus_name}.")


# ---------------------------------------------------------------------------------------------
# Events

def derive_id(*parts: Any) -> str:
    """A deterministic v4-shaped UUID from ``parts``: the lab never draws random ids."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def event_time(instant: datetime) -> str:
    """The envelope's ``time``: UTC, whole seconds, ``Z``."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def envelope(event_id: str, detail_type: str, source: str, account: str, time: datetime | str, region: str,
             resources: list[str], detail: Any) -> dict[str, Any]:
    """An event as EventBridge delivers it, keys in AWS's order."""
    return {"version": "0", "id": event_id, "detail-type": detail_type, "source": source, "account": account,
            "time": time if isinstance(time, str) else event_time(time), "region": region,
            "resources": list(resources), "detail": detail}


def with_replay_name(event: dict[str, Any], replay_name: str) -> dict[str, Any]:
    """A replayed event: ``replay-name`` after ``region`` (AWS-recorded replay deliveries)."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        if key == "replay-name":
            continue
        out[key] = value
        if key == "region":
            out["replay-name"] = replay_name
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return event_time(value) if value.microsecond == 0 else \
            value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def to_json(value: Any) -> str:
    """Compact JSON; a datetime a fact carries becomes ISO text, as it would be on the wire."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_plain)


def as_json_value(value: Any) -> Any:
    """``value`` with only JSON types inside (what an event is once it leaves a service)."""
    return json.loads(to_json(value))


def next_seq(db: Any) -> int:
    return db.execute("SELECT nextval('events_seq')").fetchone()[0]
