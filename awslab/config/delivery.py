"""Config's deliveries: history files every six hours, snapshots, and SNS notifications.

https://docs.aws.amazon.com/config/latest/developerguide/config-concepts.html#config-history
https://docs.aws.amazon.com/config/latest/developerguide/notifications-for-AWS-Config.html

Files go to the channel's bucket through the lab's S3, written as ``config.amazonaws.com``:
``[prefix/]AWSLogs/ACCOUNT/Config/REGION/YYYY/M/D/ConfigHistory/…`` (month and day not
zero-padded, as in AWS's examples), one history file per resource type that changed, and
``ConfigSnapshot/…`` files holding every current item.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..errors import AWSError
from . import items, recorder

if TYPE_CHECKING:
    from ..lab import Lab

SERVICE = "config.amazonaws.com"
HISTORY_INTERVAL = timedelta(hours=6)
SNS_LIMIT = 256 * 1024


def bucket_policy(bucket: str, account_id: str, prefix: str | None = None) -> dict[str, Any]:
    """The bucket policy AWS documents for a Config delivery channel's bucket."""
    path = f"{prefix}/AWSLogs/{account_id}/Config/*" if prefix else f"AWSLogs/{account_id}/Config/*"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSConfigBucketPermissionsCheck", "Effect": "Allow", "Principal": {"Service": SERVICE},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"AWS:SourceAccount": account_id}}},
        {"Sid": "AWSConfigBucketExistenceCheck", "Effect": "Allow", "Principal": {"Service": SERVICE},
         "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"AWS:SourceAccount": account_id}}},
        {"Sid": "AWSConfigBucketDelivery", "Effect": "Allow", "Principal": {"Service": SERVICE},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/{path}",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "AWS:SourceAccount": account_id}}}]}


def check_bucket(lab: "Lab", bucket: str, region: str, prefix: str | None) -> None:
    try:
        lab.service_client("s3", SERVICE, region).get_bucket_acl(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchBucket", "404"):
            raise AWSError("NoSuchBucketException", f"Cannot find a S3 bucket with an appropriate bucket policy "
                           f"to be used as delivery channel: {bucket}") from error
        raise AWSError("InsufficientDeliveryPolicyException",
                       f"Insufficient delivery policy to s3 bucket: {bucket}, unable to write to bucket, provided s3 "
                       f"key prefix is '{prefix or 'null'}'.") from error


def _key(channel: dict[str, Any], account: str, region: str, when: datetime, kind: str, name: str) -> str:
    prefix = f"{channel['s3_key_prefix']}/" if channel["s3_key_prefix"] else ""
    return (f"{prefix}AWSLogs/{account}/Config/{region}/{when.year}/{when.month}/{when.day}/{kind}/{name}.json.gz")


def _put(lab: "Lab", channel: dict[str, Any], region: str, key: str, body: dict[str, Any]) -> None:
    lab.service_client("s3", SERVICE, region).put_object(
        Bucket=channel["s3_bucket"], Key=key, Body=gzip.compress(json.dumps(body, default=str).encode(), mtime=0),
        ACL="bucket-owner-full-control")


def _notify(lab: "Lab", channel: dict[str, Any], region: str, subject: str, message: dict[str, Any]) -> None:
    if channel["sns_topic_arn"]:
        lab.service_client("sns", SERVICE, region).publish(TopicArn=channel["sns_topic_arn"], Subject=subject[:100],
                                                           Message=json.dumps(message, default=str))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def deliver_history(lab: "Lab", region: str, now: datetime) -> list[str]:
    """One history file per resource type whose items changed since the last delivery."""
    account = lab.account_id
    channel = recorder.channel(lab.db, account, region)
    if channel is None:
        return []
    since = channel["last_history_delivery"] or datetime.min.replace(tzinfo=now.tzinfo)
    changed = items.rows(lab.db, "account_id = ? AND region = ? AND capture_time > ? AND capture_time <= ? "
                                 "ORDER BY resource_type, state_id", [account, region, since, now])
    keys = []
    for resource_type in sorted({r["resource_type"] for r in changed}):
        of_type = [json.loads(r["item"]) for r in changed if r["resource_type"] == resource_type]
        safe = resource_type.replace("::", "_").replace(":", "_")
        # the job runs at the first six-hour mark after a change, so every change lies in this window
        start = now - HISTORY_INTERVAL
        name = f"{account}_Config_{region}_ConfigHistory_{safe}_{_stamp(start)}_{_stamp(now)}_1"
        key = _key(channel, account, region, now, "ConfigHistory", name)
        _put(lab, channel, region, key, {"fileVersion": "1.0", "configurationItems": of_type})
        _notify(lab, channel, region, f"[AWS Config:{region}] Configuration History Delivery Completed for Account {account}",
                {"s3ObjectKey": key, "s3Bucket": channel["s3_bucket"], "notificationCreationTime": _ms(now),
                 "messageType": "ConfigurationHistoryDeliveryCompleted", "recordVersion": "1.1"})
        keys.append(key)
    lab.db.execute("UPDATE config_delivery_channels SET last_history_delivery = ? WHERE account_id = ? AND region = ?",
                   [now, account, region])
    return keys


def deliver_snapshot(lab: "Lab", region: str, now: datetime, seed: str) -> str:
    account = lab.account_id
    channel = recorder.channel(lab.db, account, region)
    snapshot_id = str(uuid.UUID(bytes=hashlib.sha256(seed.encode()).digest()[:16], version=4))
    _notify(lab, channel, region, f"[AWS Config:{region}] Configuration Snapshot Delivery Started for Account {account}",
            {"configSnapshotId": snapshot_id, "notificationCreationTime": _ms(now),
             "messageType": "ConfigurationSnapshotDeliveryStarted", "recordVersion": "1.1"})
    key = _key(channel, account, region, now, "ConfigSnapshot",
               f"{account}_Config_{region}_ConfigSnapshot_{_stamp(now)}_{snapshot_id}")
    _put(lab, channel, region, key, {"fileVersion": "1.0", "configSnapshotId": snapshot_id,
                                     "configurationItems": [json.loads(r["item"]) for r in items.current(lab.db, account, region)]})
    _notify(lab, channel, region, f"[AWS Config:{region}] Configuration Snapshot Delivery Completed for Account {account}",
            {"configSnapshotId": snapshot_id, "s3ObjectKey": key, "s3Bucket": channel["s3_bucket"],
             "notificationCreationTime": _ms(now), "messageType": "ConfigurationSnapshotDeliveryCompleted",
             "recordVersion": "1.1"})
    lab.db.execute("UPDATE config_delivery_channels SET last_snapshot_delivery = ? WHERE account_id = ? AND region = ?",
                   [now, account, region])
    return snapshot_id


def _diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """changedProperties as Config writes them: Configuration.<key> and Relationships.<n>."""
    if before is None:
        return {}
    changed: dict[str, Any] = {}
    old_config = items.from_json(before["configuration"]) or {}
    new_config = after["configuration"] or {}
    for key in sorted(set(old_config) | set(new_config)):
        if old_config.get(key) != new_config.get(key):
            kind = "CREATE" if key not in old_config else "DELETE" if key not in new_config else "UPDATE"
            changed[f"Configuration.{key}"] = {"previousValue": old_config.get(key), "updatedValue": new_config.get(key),
                                               "changeType": kind}
    old_rel = items.from_json(before["relationships"]) or []
    new_rel = after["relationships"] or []
    for index, relation in enumerate(r for r in new_rel if r not in old_rel):
        changed[f"Relationships.{index}"] = {"previousValue": None, "updatedValue": relation, "changeType": "CREATE"}
    for index, relation in enumerate(r for r in old_rel if r not in new_rel):
        changed[f"Relationships.{len(new_rel) + index}"] = {"previousValue": relation, "updatedValue": None,
                                                            "changeType": "DELETE"}
    return changed


def announce(lab: "Lab", region: str, row: dict[str, Any], before: dict[str, Any] | None, now: datetime,
             channel: dict[str, Any] | None) -> None:
    """Tell SNS subscribers (of ``channel``'s topic) and the hub (rules, EventBridge) about a new item."""
    change = "DELETE" if row["status"].startswith("ResourceDeleted") else "CREATE" if before is None or \
        before["status"].startswith("ResourceDeleted") else "UPDATE"
    message = {"configurationItemDiff": {"changedProperties": _diff(before, row) if change == "UPDATE" else {},
                                         "changeType": change},
               "configurationItem": row["item"], "notificationCreationTime": _ms(now),
               "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}
    lab.hub.publish("config_item_changed", {"message": message, "region": region, "account_id": lab.account_id,
                                            "resource_type": row["resource_type"], "resource_id": row["resource_id"],
                                            "time": now, "row": row})
    if channel is None or not channel["sns_topic_arn"]:
        return
    verb = {"CREATE": "Created", "UPDATE": "Updated", "DELETE": "Deleted"}[change]
    subject = f"[AWS Config:{region}] {row['resource_type']} {row['resource_id']} {verb} in Account {lab.account_id}"
    if len(json.dumps(message, default=str).encode()) > SNS_LIMIT:
        item = row["item"]
        message = {"configurationItemSummary": {
            "changeType": change, **{k: item[k] for k in ("configurationItemVersion", "configurationItemCaptureTime",
                                                          "configurationStateId", "awsAccountId",
                                                          "configurationItemStatus", "resourceType", "resourceId",
                                                          "resourceName", "ARN", "awsRegion", "availabilityZone",
                                                          "configurationStateMd5Hash", "resourceCreationTime")}},
            "s3DeliverySummary": {"s3BucketLocation": f"{channel['s3_bucket']}/AWSLogs/{lab.account_id}/Config/"
                                                      f"{region}/OversizedChangeNotification"},
            "notificationCreationTime": _ms(now), "messageType": "OversizedConfigurationItemChangeNotification",
            "recordVersion": "1.0"}
    _notify(lab, channel, region, subject, message)
