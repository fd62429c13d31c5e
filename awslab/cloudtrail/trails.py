"""Trails: their settings, logging state and selectors, in ``cloudtrail_trails``.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from ..errors import AWSError
from . import selectors

MAX_TRAILS_PER_REGION = 5

CREATE_TRAILS = """
CREATE TABLE IF NOT EXISTS cloudtrail_trails (
    account_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    home_region VARCHAR NOT NULL,
    s3_bucket VARCHAR NOT NULL,
    s3_key_prefix VARCHAR,
    sns_topic_name VARCHAR,
    include_global_service_events BOOLEAN NOT NULL,
    is_multi_region BOOLEAN NOT NULL,
    log_file_validation BOOLEAN NOT NULL,
    cloudwatch_logs_group_arn VARCHAR,
    cloudwatch_logs_role_arn VARCHAR,
    kms_key_id VARCHAR,
    event_selectors JSON,            -- basic selectors, null when advanced ones are used
    advanced_event_selectors JSON,
    has_custom_selectors BOOLEAN NOT NULL,
    is_logging BOOLEAN NOT NULL,
    start_logging_time TIMESTAMPTZ,
    stop_logging_time TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    tags JSON,
    PRIMARY KEY (account_id, name)
)"""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,126}[A-Za-z0-9]$")


def trail_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{name}"


def check_name(name: str) -> None:
    """Trail names: 3–128 characters, letters, digits, periods, underscores, dashes; start and
    end with a letter or digit; no adjacent ``._-`` characters, not shaped like an IP address."""
    if not _NAME.match(name) or re.search(r"[._-]{2}", name) or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        raise AWSError("InvalidTrailNameException",
                       "Trail name must starts with a letter or number, end with a letter or number, and contain "
                       "only ASCII letters, numbers, periods, underscores and dashes, and have between 3 and 128 "
                       "characters, and not have adjacent periods, underscores or dashes, and not be formatted "
                       "as an IP address.")


def _row_dict(db, where: str, params: list) -> list[dict[str, Any]]:
    cursor = db.execute(f"SELECT * FROM cloudtrail_trails WHERE {where} ORDER BY name", params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def all_trails(db, account_id: str) -> list[dict[str, Any]]:
    return _row_dict(db, "account_id = ?", [account_id])


def find(db, account_id: str, region: str, name_or_arn: str) -> dict[str, Any]:
    """The trail named (or with the ARN) ``name_or_arn`` visible from ``region``, or TrailNotFoundException."""
    name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    for trail in _row_dict(db, "account_id = ? AND name = ?", [account_id, name]):
        if trail["home_region"] == region or trail["is_multi_region"]:
            return trail
    raise AWSError("TrailNotFoundException",
                   f"Unknown trail: {name_or_arn} for the user: {account_id}")


def visible_from(db, account_id: str, region: str) -> list[dict[str, Any]]:
    """Trails whose home is ``region`` plus multi-region trails (their shadow trails)."""
    return [t for t in all_trails(db, account_id) if t["home_region"] == region or t["is_multi_region"]]


def describe(trail: dict[str, Any]) -> dict[str, Any]:
    """A trail as GetTrail/DescribeTrails return it."""
    shown = {
        "Name": trail["name"],
        "S3BucketName": trail["s3_bucket"],
        "IncludeGlobalServiceEvents": trail["include_global_service_events"],
        "IsMultiRegionTrail": trail["is_multi_region"],
        "HomeRegion": trail["home_region"],
        "TrailARN": trail_arn(trail["home_region"], trail["account_id"], trail["name"]),
        "LogFileValidationEnabled": trail["log_file_validation"],
        "HasCustomEventSelectors": trail["has_custom_selectors"],
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
    }
    for key, column in (("S3KeyPrefix", "s3_key_prefix"), ("SnsTopicName", "sns_topic_name"),
                        ("CloudWatchLogsLogGroupArn", "cloudwatch_logs_group_arn"),
                        ("CloudWatchLogsRoleArn", "cloudwatch_logs_role_arn"), ("KmsKeyId", "kms_key_id")):
        if trail[column]:
            shown[key] = trail[column]
    if trail["sns_topic_name"]:
        shown["SnsTopicARN"] = f"arn:aws:sns:{trail['home_region']}:{trail['account_id']}:{trail['sns_topic_name']}"
    return shown


def creation_response(trail: dict[str, Any]) -> dict[str, Any]:
    shown = describe(trail)
    for key in ("HomeRegion", "HasCustomEventSelectors", "HasInsightSelectors"):
        shown.pop(key)
    return shown


def create(db, account_id: str, region: str, params: dict[str, Any], now: datetime, lab_regions: tuple[str, ...]) -> dict[str, Any]:
    name = params["Name"]
    check_name(name)
    if _row_dict(db, "account_id = ? AND name = ?", [account_id, name]):
        raise AWSError("TrailAlreadyExistsException",
                       f"Trail {name} already exists for customer: {account_id}")
    multi = params.get("IsMultiRegionTrail", False)
    include_global = params.get("IncludeGlobalServiceEvents", True)
    if multi and not include_global:
        raise AWSError("InvalidParameterCombinationException",
                       "Multi-Region trail must include global service events.")
    regions = lab_regions if multi else (region,)
    for covered in regions:
        if len(visible_from(db, account_id, covered)) >= MAX_TRAILS_PER_REGION:
            raise AWSError("MaximumNumberOfTrailsExceededException",
                           f"User: {account_id} already has {MAX_TRAILS_PER_REGION} trails in {covered}.")
    if params.get("CloudWatchLogsLogGroupArn") and not params.get("CloudWatchLogsRoleArn"):
        raise AWSError("InvalidCloudWatchLogsRoleArnException",
                       "You must specify a role ARN together with a CloudWatch Logs log group ARN.")
    db.execute("""INSERT INTO cloudtrail_trails VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, false,
                  false, NULL, NULL, ?, ?)""",
               [account_id, name, region, params["S3BucketName"], params.get("S3KeyPrefix"),
                params.get("SnsTopicName"), include_global, multi, params.get("EnableLogFileValidation", False),
                params.get("CloudWatchLogsLogGroupArn"), params.get("CloudWatchLogsRoleArn"), params.get("KmsKeyId"),
                now, json.dumps(params.get("TagsList") or [])])
    return find(db, account_id, region, name)


def update(db, account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    trail = find(db, account_id, region, params["Name"])
    if trail["home_region"] != region:
        raise AWSError("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.")
    changes = {"s3_bucket": params.get("S3BucketName"), "s3_key_prefix": params.get("S3KeyPrefix"),
               "sns_topic_name": params.get("SnsTopicName"),
               "include_global_service_events": params.get("IncludeGlobalServiceEvents"),
               "is_multi_region": params.get("IsMultiRegionTrail"),
               "log_file_validation": params.get("EnableLogFileValidation"),
               "cloudwatch_logs_group_arn": params.get("CloudWatchLogsLogGroupArn"),
               "cloudwatch_logs_role_arn": params.get("CloudWatchLogsRoleArn"), "kms_key_id": params.get("KmsKeyId")}
    changes = {k: v for k, v in changes.items() if v is not None}
    merged = {**trail, **changes}
    if merged["is_multi_region"] and not merged["include_global_service_events"]:
        raise AWSError("InvalidParameterCombinationException",
                       "Multi-Region trail must include global service events.")
    for column, value in changes.items():
        db.execute(f"UPDATE cloudtrail_trails SET {column} = ? WHERE account_id = ? AND name = ?",
                   [value, account_id, trail["name"]])
    return find(db, account_id, region, trail["name"])


def put_selectors(db, account_id: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    trail = find(db, account_id, region, params["TrailName"])
    if trail["home_region"] != region:
        raise AWSError("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.")
    basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
    if (basic is None) == (advanced is None):
        raise AWSError("InvalidParameterCombinationException",
                       "You must specify either EventSelectors or AdvancedEventSelectors, but not both.")
    basic = selectors.validate_basic(basic) if basic is not None else None
    advanced = selectors.validate_advanced(advanced) if advanced is not None else None
    db.execute("""UPDATE cloudtrail_trails SET event_selectors = ?, advanced_event_selectors = ?,
                  has_custom_selectors = true WHERE account_id = ? AND name = ?""",
               [None if basic is None else json.dumps(basic), None if advanced is None else json.dumps(advanced),
                account_id, trail["name"]])
    response: dict[str, Any] = {"TrailARN": trail_arn(trail["home_region"], account_id, trail["name"])}
    if basic is not None:
        response["EventSelectors"] = basic
    else:
        response["AdvancedEventSelectors"] = advanced
    return response


def selectors_of(trail: dict[str, Any]) -> tuple[list | None, list | None]:
    basic = json.loads(trail["event_selectors"]) if trail["event_selectors"] else None
    advanced = json.loads(trail["advanced_event_selectors"]) if trail["advanced_event_selectors"] else None
    return basic, advanced


def set_logging(db, account_id: str, region: str, name: str, logging: bool, now: datetime) -> dict[str, Any]:
    trail = find(db, account_id, region, name)
    if trail["home_region"] != region:
        raise AWSError("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.")
    column = "start_logging_time" if logging else "stop_logging_time"
    if trail["is_logging"] != logging:
        db.execute(f"UPDATE cloudtrail_trails SET is_logging = ?, {column} = ? WHERE account_id = ? AND name = ?",
                   [logging, now, account_id, trail["name"]])
    return find(db, account_id, region, trail["name"])


def delete(db, account_id: str, region: str, name: str) -> dict[str, Any]:
    trail = find(db, account_id, region, name)
    if trail["home_region"] != region:
        raise AWSError("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.")
    db.execute("DELETE FROM cloudtrail_trails WHERE account_id = ? AND name = ?", [account_id, trail["name"]])
    return trail
