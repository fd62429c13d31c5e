"""The AWS Config service: recorder, delivery channel, configuration items and their history.

Rules, advanced query and remediation live in their own modules and join this class.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Service
from . import delivery, items, query, recorder
from .remediation import RemediationOperations
from .rules_api import ConfigRuleOperations

HISTORY_WINDOW = timedelta(days=7)
CREATE_INVENTORIES = """CREATE TABLE IF NOT EXISTS config_inventories (
    account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, instance_id VARCHAR NOT NULL, applications JSON NOT NULL,
    platform_name VARCHAR NOT NULL, platform_version VARCHAR NOT NULL, enabled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, region, instance_id))"""


class ConfigService(ConfigRuleOperations, RemediationOperations, Service):
    answers = ("config",)

    def setup(self) -> None:
        db = self.lab.db
        db.execute(items.CREATE_ITEMS)
        db.execute(items.CREATE_INDEX)
        for statement in recorder.CREATE:
            db.execute(statement)
        self.lab.hub.subscribe("resource_changed", self._on_resources_changed, batch=True)
        self.lab.scheduler.every("config history delivery", delivery.HISTORY_INTERVAL, self._deliver_history,
                                 is_active=self._history_pending, order=60)
        # periodic snapshots fall on the UTC grid of their frequency (every 24 h at 00:00, …), whatever
        # on-demand snapshots were delivered in between: AWS does not say where its grid lies
        for frequency, hours in recorder.FREQUENCIES.items():
            self.lab.scheduler.every(f"config snapshot delivery {frequency}", timedelta(hours=hours),
                                     lambda instant, f=frequency: self._deliver_snapshots(f, instant),
                                     is_active=lambda f=frequency: self._snapshot_frequency_in_use(f), order=61)
        db.execute(CREATE_INVENTORIES)
        self._setup_rules()
        self._setup_remediation()

    def tables(self) -> dict[str, str]:
        return {"config_items": "every configuration item AWS Config recorded, both spellings derivable; kept after "
                                "deletion",
                "config_recorders": "the configuration recorder of each region: recording group, mode, on or off",
                "config_delivery_channels": "the delivery channel of each region: bucket, SNS topic, snapshot frequency",
                "config_retention": "the retention period (days) for configuration items, per region",
                "config_rules": "every Config rule: its ConfigRule spec, state and evaluation status",
                "config_evaluations": "every evaluation result a rule reported; the latest per rule and resource "
                                      "counts",
                "config_result_tokens": "the result token of each custom rule invocation, for PutEvaluations",
                "config_remediations": "the remediation configuration of each rule",
                "config_remediation_executions": "the latest remediation execution per rule and resource",
                "config_remediation_exceptions": "resources excluded from remediation, per rule",
                "config_inventories": "instances whose software inventory (SSM) is on, with their applications"}

    # ------------------------------------------------------------------ recording
    def _recording_in(self, region: str) -> dict[str, Any] | None:
        found = recorder.get(self.lab.db, self.lab.account_id, region)
        return found if found and found["recording"] else None

    def _record(self, facts: list[dict[str, Any]], region: str, rec: dict[str, Any],
                status: str | None = None) -> None:
        """Record a run of resource changes in one region: one read of the resources' latest items,
        one insert, then the announcements (batched on the hub, so rules see them together)."""
        group, mode = rec["recording_group"], rec["recording_mode"]
        latest = items.latest(self.lab.db, list({(f["account_id"], region, f["resource_type"], f["resource_id"])
                                                 for f in facts}))
        written: list[tuple[dict[str, Any], dict[str, Any] | None, bool]] = []
        for fact in facts:
            key = (fact["account_id"], region, fact["resource_type"], fact["resource_id"])
            recorded = recorder.records_type(group, fact["resource_type"])
            frequency = recorder.frequency_of(mode, fact["resource_type"])
            before = latest.get(key)
            row = items.build(fact, before, recorded=recorded, region=region,
                              frequency="DAILY" if frequency == "DAILY" else None, status=status)
            if row is not None:
                written.append((row, before, recorded))
                latest[key] = row
        items.insert(self.lab.db, [row for row, _, _ in written])
        channel = recorder.channel(self.lab.db, self.lab.account_id, region)
        with self.lab.hub.held():
            for row, before, recorded in written:
                if recorded:
                    delivery.announce(self.lab, region, row, before, row["capture_time"], channel)

    def _on_resources_changed(self, facts: list[dict[str, Any]]) -> None:
        for region in dict.fromkeys(f["region"] for f in facts):
            rec = self._recording_in(region)
            if rec is not None:
                self._record([f for f in facts if f["region"] == region], region, rec)

    def _discover(self, region: str, now: datetime) -> None:
        """On start, Config takes an inventory of the resources in scope (ResourceDiscovered items)."""
        rec = self._recording_in(region)
        collected: list[dict[str, Any]] = []
        # asked directly of the subscribers: inside a call the hub holds facts until commit
        inventory = {"region": region, "account_id": self.lab.account_id, "time": now, "collect": collected}
        for subscriber in self.lab.hub.subscribers("resource_inventory"):
            subscriber(inventory)
        collected.extend(self._inventories(region, now))
        self._record([{**fact, "time": now, "status": "created", "event_id": None} for fact in collected], region, rec,
                     status="ResourceDiscovered")

    # ------------------------------------------------------------------ recorder and channel API
    def put_configuration_recorder(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        recorder.put(call.db, call.account_id, call.region, params["ConfigurationRecorder"])
        return {}

    def describe_configuration_recorders(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.get(call.db, call.account_id, call.region)
        names = params.get("ConfigurationRecorderNames") or []
        if names and (found is None or found["name"] not in names):
            raise AWSError("NoSuchConfigurationRecorderException",
                           f"Cannot find configuration recorder with the specified name '{names[0]}'.")
        return {"ConfigurationRecorders": [recorder.describe(found, call.account_id, call.region)] if found else []}

    def describe_configuration_recorder_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.get(call.db, call.account_id, call.region)
        names = params.get("ConfigurationRecorderNames") or []
        if names and (found is None or found["name"] not in names):
            raise AWSError("NoSuchConfigurationRecorderException",
                           f"Cannot find configuration recorder with the specified name '{names[0]}'.")
        return {"ConfigurationRecordersStatus": [recorder.status(found, call.account_id, call.region)] if found else []}

    def delete_configuration_recorder(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.get(call.db, call.account_id, call.region)
        if found is None or found["name"] != params["ConfigurationRecorderName"]:
            raise AWSError("NoSuchConfigurationRecorderException", "Cannot find configuration recorder with the "
                           f"specified name '{params['ConfigurationRecorderName']}'.")
        call.db.execute("DELETE FROM config_recorders WHERE account_id = ? AND region = ?", [call.account_id, call.region])
        return {}

    def start_configuration_recorder(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        was = recorder.get(call.db, call.account_id, call.region)
        recorder.set_recording(call.db, call.account_id, call.region, params["ConfigurationRecorderName"], True, call.time)
        if was and not was["recording"]:
            self._discover(call.region, call.time)
        return {}

    def stop_configuration_recorder(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        recorder.set_recording(call.db, call.account_id, call.region, params["ConfigurationRecorderName"], False, call.time)
        return {}

    def put_delivery_channel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        spec = params["DeliveryChannel"]
        if not spec.get("s3BucketName"):
            raise AWSError("NoSuchBucketException", "Cannot find a S3 bucket with an appropriate bucket policy to be "
                           "used as delivery channel: null")
        frequency = (spec.get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency")
        if frequency is not None and frequency not in recorder.FREQUENCIES:
            raise AWSError("ValidationException",
                           f"Invalid delivery frequency {frequency}.")
        if spec.get("snsTopicARN") and not spec["snsTopicARN"].startswith("arn:aws:sns:"):
            raise AWSError("InvalidSNSTopicARNException", "The sns topic arn is not valid.")
        recorder.put_channel(call.db, call.account_id, call.region, spec)
        delivery.check_bucket(self.lab, spec["s3BucketName"], call.region, spec.get("s3KeyPrefix"))
        return {}

    def describe_delivery_channels(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.channel(call.db, call.account_id, call.region)
        return {"DeliveryChannels": [recorder.describe_channel(found)] if found else []}

    def describe_delivery_channel_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.channel(call.db, call.account_id, call.region)
        if found is None:
            return {"DeliveryChannelsStatus": []}

        def info(moment):
            return {"lastStatus": "Success", "lastAttemptTime": moment, "lastSuccessfulTime": moment} if moment \
                else {"lastStatus": "Not_Applicable"}

        return {"DeliveryChannelsStatus": [{"name": found["name"],
                                            "configHistoryDeliveryInfo": info(found["last_history_delivery"]),
                                            "configSnapshotDeliveryInfo": info(found["last_snapshot_delivery"]),
                                            "configStreamDeliveryInfo": {"lastStatus": "SUCCESS" if found["sns_topic_arn"]
                                                                         else "NOT_APPLICABLE"}}]}

    def delete_delivery_channel(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.channel(call.db, call.account_id, call.region)
        if found is None or found["name"] != params["DeliveryChannelName"]:
            raise AWSError("NoSuchDeliveryChannelException", "Cannot find delivery channel with specified name "
                           f"'{params['DeliveryChannelName']}'.")
        if self._recording_in(call.region):
            raise AWSError("LastDeliveryChannelDeleteFailedException", "Failed to delete last specified delivery "
                           f"channel with name '{found['name']}', because there is a running configuration recorder.")
        call.db.execute("DELETE FROM config_delivery_channels WHERE account_id = ? AND region = ?",
                        [call.account_id, call.region])
        return {}

    def deliver_config_snapshot(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = recorder.channel(call.db, call.account_id, call.region)
        if found is None or found["name"] != params["deliveryChannelName"]:
            raise AWSError("NoSuchDeliveryChannelException", "Cannot find delivery channel with specified name "
                           f"'{params['deliveryChannelName']}'.")
        rec = recorder.get(call.db, call.account_id, call.region)
        if rec is None:
            raise AWSError("NoAvailableConfigurationRecorderException", "There are no configuration recorders available.")
        if not rec["recording"]:
            raise AWSError("NoRunningConfigurationRecorderException", "There is no configuration recorder running.")
        self.lab.flush()
        return {"configSnapshotId": delivery.deliver_snapshot(self.lab, call.region, call.time, call.event_id)}

    # ------------------------------------------------------------------ retention
    def put_retention_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        days = params["RetentionPeriodInDays"]
        if not 30 <= days <= 2557:
            raise AWSError("ValidationException", f"1 validation error detected: Value '{days}' at "
                           "'retentionPeriodInDays' failed to satisfy constraint: Member must have value between 30 "
                           "and 2557")
        call.db.execute("INSERT OR REPLACE INTO config_retention VALUES (?, ?, ?)", [call.account_id, call.region, days])
        return {"RetentionConfiguration": {"Name": "default", "RetentionPeriodInDays": days}}

    def describe_retention_configurations(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = call.db.execute("SELECT days FROM config_retention WHERE account_id = ? AND region = ?",
                              [call.account_id, call.region]).fetchone()
        return {"RetentionConfigurations": [{"Name": "default", "RetentionPeriodInDays": row[0]}] if row else []}

    def delete_retention_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params["RetentionConfigurationName"] != "default" or not call.db.execute(
                "SELECT 1 FROM config_retention WHERE account_id = ? AND region = ?",
                [call.account_id, call.region]).fetchone():
            raise AWSError("NoSuchRetentionConfigurationException", "Cannot find retention configuration with the "
                           f"specified name '{params['RetentionConfigurationName']}'.")
        call.db.execute("DELETE FROM config_retention WHERE account_id = ? AND region = ?", [call.account_id, call.region])
        return {}

    # ------------------------------------------------------------------ reading items
    def _visible(self, call: Call, resource_type: str, resource_id: str) -> list[dict[str, Any]]:
        """A resource's items the retention period still shows, oldest first: every item newer than the
        cutoff, and the one that was current at the cutoff."""
        found = items.rows(call.db, "account_id = ? AND region = ? AND resource_type = ? AND resource_id = ? "
                                    "ORDER BY state_id", [call.account_id, call.region, resource_type, resource_id])
        cutoff = call.time - timedelta(days=recorder.retention_days(call.db, call.account_id, call.region))
        older = [r for r in found if r["capture_time"] <= cutoff]
        return older[-1:] + [r for r in found if r["capture_time"] > cutoff]

    def get_resource_config_history(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("limit") or 10
        if limit > 100:
            raise AWSError("InvalidLimitException", "Value for limit must be between 0 and 100.")
        later = params.get("laterTime") or call.time
        earlier = params.get("earlierTime")
        if earlier and earlier >= later:
            raise AWSError("InvalidTimeRangeException", "The earlierTime value is later than or equal to laterTime.")
        visible = self._visible(call, params["resourceType"], params["resourceId"])
        if not visible:
            raise AWSError("ResourceNotDiscoveredException",
                           f"Resource {params['resourceId']} of resourceType:{params['resourceType']} is unknown or "
                           "has not been discovered")
        forward = params.get("chronologicalOrder") == "Forward"
        try:
            cursor = json.loads(base64.b64decode(params["nextToken"])) if params.get("nextToken") else None
        except ValueError:
            raise AWSError("InvalidNextTokenException", "The nextToken provided is invalid") from None
        oldest = visible[0]["capture_time"]
        low = max(earlier or oldest, oldest) if earlier else oldest
        # each call looks at no more than seven days of history (documented; pages may come back short)
        if forward:
            start = datetime.fromisoformat(cursor["from"]) if cursor else low
            end = min(start + HISTORY_WINDOW, later + timedelta(microseconds=1))
            page = [r for r in visible if start <= r["capture_time"] < end
                    and (cursor is None or r["state_id"] > cursor["after"])]
            chosen = page[:limit]
            more = len(page) > limit or end <= later
            token = {"from": (chosen[-1]["capture_time"] if len(page) > limit else end).isoformat(),
                     "after": chosen[-1]["state_id"] if len(page) > limit else -1} if more else None
        else:
            end = datetime.fromisoformat(cursor["until"]) if cursor else later
            start = max(end - HISTORY_WINDOW, low)
            page = [r for r in reversed(visible) if start <= r["capture_time"] <= end
                    and (cursor is None or cursor["before"] is None or r["state_id"] < cursor["before"])]
            current = [r for r in visible if r["capture_time"] <= end]
            if not cursor and current and current[-1] not in page:
                page.insert(0, current[-1])  # the state as of laterTime is always the first answer
            chosen = page[:limit]
            more = len(page) > limit or start > low
            before = chosen[-1]["state_id"] if chosen else (cursor or {}).get("before")
            token = {"until": (chosen[-1]["capture_time"] if len(page) > limit else start).isoformat(),
                     "before": before} if more else None
        response: dict[str, Any] = {"configurationItems": [items.api_form(r) for r in chosen]}
        if token:
            response["nextToken"] = base64.b64encode(json.dumps(token).encode()).decode()
        return response

    def batch_get_resource_config(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        keys = params["resourceKeys"]
        if len(keys) > 100:
            raise AWSError("ValidationException", "The number of resource keys must be between 1 and 100.")
        found = []
        for key in keys:
            visible = self._visible(call, key["resourceType"], key["resourceId"])
            if visible and not visible[-1]["status"].startswith("ResourceDeleted"):
                found.append(items.api_form(visible[-1], base=True))
        return {"baseConfigurationItems": found, "unprocessedResourceKeys": []}

    def list_discovered_resources(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        latest = items.rows(call.db, """account_id = ? AND region = ? AND resource_type = ? AND state_id IN (
            SELECT max(state_id) FROM config_items WHERE account_id = ? AND region = ? AND resource_type = ?
            GROUP BY resource_id) ORDER BY resource_id""",
                            [call.account_id, call.region, params["resourceType"]] * 2)
        ids, name = params.get("resourceIds") or [], params.get("resourceName")
        shown = []
        for row in latest:
            deleted = row["status"].startswith("ResourceDeleted")
            if (deleted and not params.get("includeDeletedResources")) or (ids and row["resource_id"] not in ids) \
                    or (name and row["resource_name"] != name):
                continue
            entry = {"resourceType": row["resource_type"], "resourceId": row["resource_id"]}
            if row["resource_name"]:
                entry["resourceName"] = row["resource_name"]
            if deleted:
                entry["resourceDeletionTime"] = row["capture_time"]
            shown.append(entry)
        limit = params.get("limit") or 100
        start = int(params.get("nextToken") or 0)
        response: dict[str, Any] = {"resourceIdentifiers": shown[start:start + limit]}
        if start + limit < len(shown):
            response["nextToken"] = str(start + limit)
        return response

    def select_resource_config(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return query.select_resource_config(call.db, params["Expression"], params.get("Limit"),
                                            params.get("NextToken"), account_id=call.account_id, region=call.region)

    # ------------------------------------------------------------------ software inventory
    def enable_inventory(self, instance_id: str, applications: list[dict[str, Any]] | None = None, *,
                         platform_name: str = "Amazon Linux", platform_version: str = "2023",
                         region: str | None = None) -> None:
        """Turn on SSM inventory for an instance: Config records an AWS::SSM::ManagedInstanceInventory item.

        https://docs.aws.amazon.com/config/latest/developerguide/recording-software-configuration.html
        ``applications`` are dicts like ``{"Name": "nginx", "Version": "1.24.0"}``. Calling it again
        with a different list records the change (an application installed or removed).
        """
        region = region or self.lab.region
        with self.lab.transaction():
            self.lab.db.execute("INSERT OR REPLACE INTO config_inventories VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [self.lab.account_id, region, instance_id, json.dumps(applications or []),
                                 platform_name, platform_version, self.lab.now])
            fact = self._inventory_fact(self.lab.account_id, region, instance_id, applications or [], platform_name,
                                        platform_version, self.lab.now)
            self._on_resources_changed([{**fact, "time": self.lab.now, "event_id": None, "principal": None}])

    def _inventory_fact(self, account: str, region: str, instance_id: str, applications: list[dict[str, Any]],
                        platform_name: str, platform_version: str, at: datetime) -> dict[str, Any]:
        apps = {f"{a['Name']}": {"Name": a["Name"], "Version": a.get("Version", ""),
                                 "Publisher": a.get("Publisher", ""), "InstalledTime": a.get("InstalledTime", "")}
                for a in applications}
        return {"resource_type": "AWS::SSM::ManagedInstanceInventory", "resource_id": instance_id,
                "resource_name": None, "arn": None, "availability_zone": None, "resource_creation_time": at,
                "status": "created", "region": region, "account_id": account,
                "configuration": {"AWS:InstanceInformation": {"Content": {instance_id: {
                    "AgentType": "amazon-ssm-agent", "InstanceId": instance_id, "InstanceStatus": "Active",
                    "PlatformName": platform_name, "PlatformType": "Linux", "PlatformVersion": platform_version,
                    "ResourceType": "EC2Instance"}}},
                    "AWS:Application": {"Content": apps}},
                "supplementary_configuration": {}, "tags": {},
                "relationships": [{"relationshipName": "Is associated with Instance",
                                   "resourceType": "AWS::EC2::Instance", "resourceId": instance_id}]}

    def _inventories(self, region: str, now: datetime) -> list[dict[str, Any]]:
        rows = self.lab.db.execute("SELECT instance_id, applications, platform_name, platform_version FROM "
                                   "config_inventories WHERE account_id = ? AND region = ? ORDER BY instance_id",
                                   [self.lab.account_id, region]).fetchall()
        return [self._inventory_fact(self.lab.account_id, region, i, json.loads(a), n, v, now) for i, a, n, v in rows]

    # ------------------------------------------------------------------ jobs
    def _history_pending(self) -> bool:
        """A history file is due only where items changed since the last one (idle time is skipped)."""
        return bool(self.lab.db.execute(
            "SELECT count(*) FROM config_delivery_channels c JOIN config_items i ON i.account_id = c.account_id "
            "AND i.region = c.region WHERE i.capture_time > coalesce(c.last_history_delivery, "
            "'-infinity'::TIMESTAMPTZ)").fetchone()[0])

    def _snapshot_frequency_in_use(self, frequency: str) -> bool:
        return bool(self.lab.db.execute("SELECT count(*) FROM config_delivery_channels WHERE snapshot_frequency = ?",
                                        [frequency]).fetchone()[0])

    def _deliver_history(self, instant: datetime) -> None:
        for (region,) in self.lab.db.execute("SELECT region FROM config_delivery_channels WHERE account_id = ?",
                                             [self.lab.account_id]).fetchall():
            delivery.deliver_history(self.lab, region, instant)

    def _deliver_snapshots(self, frequency: str, instant: datetime) -> None:
        rows = self.lab.db.execute("SELECT region FROM config_delivery_channels WHERE account_id = ? AND "
                                   "snapshot_frequency = ?", [self.lab.account_id, frequency]).fetchall()
        for (region,) in rows:
            if self._recording_in(region):
                delivery.deliver_snapshot(self.lab, region, instant, f"{region}/{instant.isoformat()}")
