"""The configuration recorder, the delivery channel and the retention configuration.

https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigurationRecorder.html
https://docs.aws.amazon.com/config/latest/APIReference/API_PutDeliveryChannel.html
https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
https://docs.aws.amazon.com/config/latest/developerguide/delete-config-data-with-retention-period.html

One recorder and one delivery channel per account and region; a recorder starts only with a
channel; a channel is deleted only while the recorder is stopped. The recording group says
which types are recorded; global IAM types only with ``includeGlobalResourceTypes``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..errors import AWSError
from .items import GLOBAL_TYPES

CREATE = [
    """CREATE TABLE IF NOT EXISTS config_recorders (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, name VARCHAR NOT NULL, role_arn VARCHAR,
        recording_group JSON NOT NULL, recording_mode JSON NOT NULL, recording BOOLEAN NOT NULL,
        last_start TIMESTAMPTZ, last_stop TIMESTAMPTZ, last_status_change TIMESTAMPTZ,
        PRIMARY KEY (account_id, region))""",
    """CREATE TABLE IF NOT EXISTS config_delivery_channels (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, name VARCHAR NOT NULL, s3_bucket VARCHAR NOT NULL,
        s3_key_prefix VARCHAR, sns_topic_arn VARCHAR, snapshot_frequency VARCHAR,
        last_history_delivery TIMESTAMPTZ, last_snapshot_delivery TIMESTAMPTZ, PRIMARY KEY (account_id, region))""",
    """CREATE TABLE IF NOT EXISTS config_retention (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, days INTEGER NOT NULL, PRIMARY KEY (account_id, region))""",
]

DEFAULT_GROUP = {"allSupported": True, "includeGlobalResourceTypes": False, "resourceTypes": [],
                 "exclusionByResourceTypes": {"resourceTypes": []},
                 "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}
DEFAULT_MODE = {"recordingFrequency": "CONTINUOUS", "recordingModeOverrides": []}
FREQUENCIES = {"One_Hour": 1, "Three_Hours": 3, "Six_Hours": 6, "Twelve_Hours": 12, "TwentyFour_Hours": 24}
DEFAULT_RETENTION_DAYS = 2557


def _invalid_group(message: str) -> AWSError:
    return AWSError("InvalidRecordingGroupException", message)


def check_recording_group(group: dict[str, Any]) -> dict[str, Any]:
    """Refuse the combinations AWS refuses; fill in the defaults."""
    merged = {**DEFAULT_GROUP, **group}
    all_supported = merged.get("allSupported", True)
    types = merged.get("resourceTypes") or []
    excluded = (merged.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
    strategy = (merged.get("recordingStrategy") or {}).get("useOnly")
    if all_supported and (types or excluded):
        raise _invalid_group("The recording group provided is not valid: with allSupported set to true you cannot "
                             "list resourceTypes or exclusionByResourceTypes.")
    if merged.get("includeGlobalResourceTypes") and not all_supported:
        raise _invalid_group("The recording group provided is not valid: includeGlobalResourceTypes can be true "
                             "only when allSupported is true.")
    if not all_supported and not types and not excluded:
        raise _invalid_group("The recording group provided is not valid: list resourceTypes, or exclusion types, "
                             "or set allSupported to true.")
    if types and excluded:
        raise _invalid_group("The recording group provided is not valid: resourceTypes and "
                             "exclusionByResourceTypes cannot be used together.")
    if strategy is None or (group.get("recordingStrategy") is None):
        strategy = ("ALL_SUPPORTED_RESOURCE_TYPES" if all_supported else
                    "EXCLUSION_BY_RESOURCE_TYPES" if excluded else "INCLUSION_BY_RESOURCE_TYPES")
    expected = ("ALL_SUPPORTED_RESOURCE_TYPES" if all_supported else
                "EXCLUSION_BY_RESOURCE_TYPES" if excluded else "INCLUSION_BY_RESOURCE_TYPES")
    if strategy != expected:
        raise _invalid_group(f"The recording group provided is not valid: recordingStrategy {strategy} does not "
                             "match the rest of the recording group.")
    merged["recordingStrategy"] = {"useOnly": strategy}
    merged["resourceTypes"], merged["exclusionByResourceTypes"] = types, {"resourceTypes": excluded}
    return merged


def records_type(group: dict[str, Any], resource_type: str) -> bool:
    """Whether a recorder with this group records ``resource_type`` (with full details)."""
    if resource_type in GLOBAL_TYPES:
        return bool(group.get("allSupported") and group.get("includeGlobalResourceTypes")) or \
            resource_type in (group.get("resourceTypes") or [])
    if group.get("allSupported"):
        return True
    excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
    if excluded:
        return resource_type not in excluded
    return resource_type in (group.get("resourceTypes") or [])


def frequency_of(mode: dict[str, Any], resource_type: str) -> str:
    for override in mode.get("recordingModeOverrides") or []:
        if resource_type in override.get("resourceTypes", []):
            return override["recordingFrequency"]
    return mode.get("recordingFrequency", "CONTINUOUS")


def get(db, account_id: str, region: str) -> dict[str, Any] | None:
    cursor = db.execute("SELECT * FROM config_recorders WHERE account_id = ? AND region = ?", [account_id, region])
    row = cursor.fetchone()
    if row is None:
        return None
    found = dict(zip([c[0] for c in cursor.description], row))
    found["recording_group"] = json.loads(found["recording_group"])
    found["recording_mode"] = json.loads(found["recording_mode"])
    return found


def channel(db, account_id: str, region: str) -> dict[str, Any] | None:
    cursor = db.execute("SELECT * FROM config_delivery_channels WHERE account_id = ? AND region = ?",
                        [account_id, region])
    row = cursor.fetchone()
    return None if row is None else dict(zip([c[0] for c in cursor.description], row))


def put(db, account_id: str, region: str, recorder: dict[str, Any]) -> None:
    name = recorder.get("name", "default")
    existing = get(db, account_id, region)
    if existing and existing["name"] != name:
        raise AWSError("MaxNumberOfConfigurationRecordersExceededException",
                       "Failed to put configuration recorder because you have reached the limit for the maximum "
                       "number of customer managed configuration records: (1)")
    group = check_recording_group(recorder.get("recordingGroup") or {})
    mode = {**DEFAULT_MODE, **(recorder.get("recordingMode") or {})}
    if mode["recordingFrequency"] not in ("CONTINUOUS", "DAILY"):
        raise AWSError("ValidationException",
                       "recordingFrequency must be CONTINUOUS or DAILY.")
    if existing:
        db.execute("UPDATE config_recorders SET role_arn = ?, recording_group = ?, recording_mode = ? WHERE "
                   "account_id = ? AND region = ?",
                   [recorder.get("roleARN"), json.dumps(group), json.dumps(mode), account_id, region])
    else:
        db.execute("INSERT INTO config_recorders VALUES (?, ?, ?, ?, ?, ?, false, NULL, NULL, NULL)",
                   [account_id, region, name, recorder.get("roleARN"), json.dumps(group), json.dumps(mode)])


def describe(recorder: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    shown = {"name": recorder["name"], "recordingGroup": recorder["recording_group"],
             "recordingMode": recorder["recording_mode"],
             "arn": f"arn:aws:config:{region}:{account_id}:configuration-recorder/{recorder['name']}/lab",
             "recordingScope": "PAID"}
    if recorder["role_arn"]:
        shown["roleARN"] = recorder["role_arn"]
    return shown


def status(recorder: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    shown: dict[str, Any] = {"name": recorder["name"], "recording": recorder["recording"],
                             "arn": f"arn:aws:config:{region}:{account_id}:configuration-recorder/{recorder['name']}/lab",
                             "lastStatus": "Success" if recorder["last_start"] else "Pending"}
    for key, column in (("lastStartTime", "last_start"), ("lastStopTime", "last_stop"),
                        ("lastStatusChangeTime", "last_status_change")):
        if recorder[column]:
            shown[key] = recorder[column]
    return shown


def set_recording(db, account_id: str, region: str, name: str, on: bool, now: datetime) -> dict[str, Any]:
    recorder = get(db, account_id, region)
    if recorder is None or recorder["name"] != name:
        raise AWSError("NoSuchConfigurationRecorderException",
                       f"Cannot find configuration recorder with the specified name '{name}'.")
    if on and channel(db, account_id, region) is None:
        raise AWSError("NoAvailableDeliveryChannelException",
                       "Delivery channel is not available to start configuration recorder.")
    column = "last_start" if on else "last_stop"
    db.execute(f"UPDATE config_recorders SET recording = ?, {column} = ?, last_status_change = ? WHERE "
               "account_id = ? AND region = ?", [on, now, now, account_id, region])
    return recorder


def put_channel(db, account_id: str, region: str, spec: dict[str, Any]) -> None:
    if get(db, account_id, region) is None:
        raise AWSError("NoAvailableConfigurationRecorderException",
                       "Configuration recorder is not available to put delivery channel.")
    name = spec.get("name", "default")
    existing = channel(db, account_id, region)
    if existing and existing["name"] != name:
        raise AWSError("MaxNumberOfDeliveryChannelsExceededException",
                       "Failed to put delivery channel because the maximum number of delivery channels: 1 is reached.")
    prefix = spec.get("s3KeyPrefix")
    if prefix is not None and (prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix):
        raise AWSError("InvalidS3KeyPrefixException", "The s3 key prefix is not valid.")
    frequency = (spec.get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency")
    db.execute("INSERT OR REPLACE INTO config_delivery_channels VALUES (?, ?, ?, ?, ?, ?, ?, "
               "(SELECT last_history_delivery FROM config_delivery_channels WHERE account_id = ? AND region = ?), "
               "(SELECT last_snapshot_delivery FROM config_delivery_channels WHERE account_id = ? AND region = ?))",
               [account_id, region, name, spec["s3BucketName"], prefix, spec.get("snsTopicARN"), frequency,
                account_id, region, account_id, region])


def describe_channel(found: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"name": found["name"], "s3BucketName": found["s3_bucket"]}
    if found["s3_key_prefix"]:
        shown["s3KeyPrefix"] = found["s3_key_prefix"]
    if found["sns_topic_arn"]:
        shown["snsTopicARN"] = found["sns_topic_arn"]
    if found["snapshot_frequency"]:
        shown["configSnapshotDeliveryProperties"] = {"deliveryFrequency": found["snapshot_frequency"]}
    return shown


def retention_days(db, account_id: str, region: str) -> int:
    row = db.execute("SELECT days FROM config_retention WHERE account_id = ? AND region = ?",
                     [account_id, region]).fetchone()
    return DEFAULT_RETENTION_DAYS if row is None else row[0]
