"""CloudWatch alarm operations: PutMetricAlarm, PutCompositeAlarm, DescribeAlarms,
DescribeAlarmsForMetric, DeleteAlarms, Enable/DisableAlarmActions, SetAlarmState,
DescribeAlarmHistory, the anomaly detector operations (alarms_anomaly) and alarm tags.

``AlarmOperations`` is a mixin of the CloudWatch service: ``_setup_alarms()`` creates the tables
and registers the evaluation jobs (alarms_job); state changes and actions are in alarms_actions.

API reference: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ..errors import AWSError, validation_error
from ..gateway import Call
from . import alarms_store as store
from .alarm_evaluation import INITIAL_REASON, INITIAL_STATE, STATES
from .alarms_actions import AlarmActionsMixin
from .alarms_anomaly import AnomalyMixin, token_offset
from .alarms_job import MINUTE, SHORT, AlarmJobMixin
from .alarms_validate import composite_alarm_columns, metric_alarm_columns
from .composite import alarm_name, cyclic_composites, parse_alarm_rule
from .math_parser import Name, calls, parse_expression
from .metrics import canonical_dimensions

ALARM_TABLES = dict(store.TABLES)
"""The alarm tables, for CloudWatchService.tables()."""

DEFAULT_DESCRIBE_RECORDS = 50
DEFAULT_HISTORY_RECORDS = 100


def _not_found_resource() -> AWSError:
    return AWSError("ResourceNotFoundException", "Unknown", 404)


class AlarmOperations(AlarmJobMixin, AlarmActionsMixin, AnomalyMixin):
    """The alarm operations of CloudWatchService (see the module docstring)."""

    def _setup_alarms(self) -> None:
        for statement in store.CREATE_STATEMENTS:
            self.lab.db.execute(statement)
        self._alarms_changed()
        # CloudWatchService defines a placeholder _anomaly_band (no model) in its own class body, which
        # a mixin cannot override; an instance attribute does. (Moving the placeholder to a base class
        # would make this line unnecessary.)
        self._anomaly_band = self._alarm_anomaly_band
        # Late in each instant's order, so data published by other periodic jobs at the same instant counts.
        self.lab.scheduler.every("cloudwatch alarm evaluation", timedelta(minutes=1), self._evaluate_every_minute,
                                 is_active=lambda: self._counts()[MINUTE] > 0, order=900)
        self.lab.scheduler.every("cloudwatch high-resolution alarm evaluation", timedelta(seconds=10),
                                 self._evaluate_every_10_seconds, is_active=lambda: self._counts()[SHORT] > 0,
                                 order=900)

    # ------------------------------------------------------------------ helpers
    def _existing_names(self, call: Call) -> set[str]:
        return {name for (name,) in call.db.execute(
            "SELECT alarm_name FROM cloudwatch_alarms WHERE region = ? AND account_id = ?",
            [call.region, call.account_id]).fetchall()}

    def _new_row(self, call: Call, params: dict[str, Any], columns: dict[str, Any], alarm_type: str,
                 existing: dict[str, Any] | None) -> dict[str, Any]:
        name = params["AlarmName"]
        row = {column: None for column in store.COLUMNS}
        row.update(region=call.region, account_id=call.account_id, alarm_name=name, alarm_type=alarm_type,
                   alarm_arn=store.alarm_arn(call.region, call.account_id, name),
                   alarm_configuration_updated_timestamp=call.time, ok_actions=[], alarm_actions=[],
                   insufficient_data_actions=[])
        row.update(columns)
        if existing is None:
            row.update(alarm_id=store.next_alarm_id(call.db), state_value=INITIAL_STATE, state_reason=INITIAL_REASON,
                       state_reason_data=None, state_updated_timestamp=call.time,
                       state_transitioned_timestamp=call.time)
        else:
            # "When you update an existing alarm, its state is left unchanged"; tags given to an update are ignored.
            for column in ("alarm_id", "state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                           "state_transitioned_timestamp", "tags", "actions_suppressed_by",
                           "actions_suppressed_reason", "actions_pending_until"):
                row[column] = existing[column]
        return row

    def _save(self, call: Call, row: dict[str, Any], existing: dict[str, Any] | None) -> None:
        if existing is not None:
            call.db.execute("DELETE FROM cloudwatch_alarms WHERE alarm_id = ?", [existing["alarm_id"]])
        store.insert(call.db, row)
        kind = "Update" if existing else "Create"
        summary, data = store.configuration_history(kind, row, existing)
        store.add_history(call.db, call.region, call.account_id, row["alarm_name"], row["alarm_type"], call.time,
                          "ConfigurationUpdate", summary, data)
        self._configuration_event(call, row, "update" if existing else "create", existing)
        self._alarms_changed()

    def _resource_changed(self, call: Call, row: dict[str, Any], status: str) -> None:
        """The alarm as AWS Config records it (AWS::CloudWatch::Alarm, metric alarms only): the
        configuration in lowerCamelCase, with the action list spelled ``okactions``."""
        if row["alarm_type"] != "MetricAlarm":
            return
        created = call.db.execute(
            "SELECT min(timestamp) FROM cloudwatch_alarm_history WHERE region = ? AND account_id = ? AND "
            "alarm_name = ? AND history_summary = ?", [call.region, call.account_id, row["alarm_name"],
                                                        f'Alarm "{row["alarm_name"]}" created']).fetchone()[0]
        configuration = store.history_alarm(row)
        configuration["stateReason"] = row["state_reason"]
        if row["state_reason_data"] is not None:
            configuration["stateReasonData"] = row["state_reason_data"]
        call.publish("resource_changed", {
            "resource_type": "AWS::CloudWatch::Alarm", "resource_id": row["alarm_name"],
            "resource_name": row["alarm_name"], "arn": row["alarm_arn"], "availability_zone": None,
            "resource_creation_time": created or call.time, "status": status, "configuration": configuration,
            "supplementary_configuration": {},
            "tags": {t["Key"]: t["Value"] for t in json.loads(row["tags"])}, "relationships": []})

    def _configuration_event(self, call: Call, row: dict[str, Any], operation: str,
                             previous: dict[str, Any] | None = None) -> None:
        detail: dict[str, Any] = {"alarmName": row["alarm_name"], "operation": operation,
                                  "state": store.event_state(row["state_value"], None, None,
                                                             row["state_updated_timestamp"]),
                                  "configuration": store.event_full_configuration(row)}
        if previous is not None and operation == "update":
            detail["previousConfiguration"] = store.event_full_configuration(previous)
        call.publish("alarm_configuration_changed", {"alarm_name": row["alarm_name"], "alarm_arn": row["alarm_arn"],
                                                     "operation": operation, "event_detail": detail})
        self._resource_changed(call, row, {"create": "created", "update": "updated", "delete": "deleted"}[operation])

    # ------------------------------------------------------------------ PutMetricAlarm / PutCompositeAlarm
    def put_metric_alarm(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        columns = metric_alarm_columns(params, call.region)
        existing = store.find(call.db, call.region, call.account_id, params["AlarmName"])
        if existing is not None and existing["alarm_type"] != "MetricAlarm":
            raise validation_error(f"The alarm {params['AlarmName']} already exists as a composite alarm.")  # lab
        row = self._new_row(call, params, dict(columns, alarm_type="MetricAlarm"), "MetricAlarm", existing)
        self._save(call, row, existing)
        if row["metrics"] is not None and row["threshold_metric_id"] is not None:
            self._ensure_band_detectors(call, json.loads(row["metrics"]), row["threshold_metric_id"])
        return {}

    def _ensure_band_detectors(self, call: Call, queries: list[dict[str, Any]], band_id: str) -> None:
        by_id = {q["Id"]: q for q in queries}
        for band in calls(parse_expression(by_id[band_id]["Expression"]), "ANOMALY_DETECTION_BAND"):
            argument = band.args[0] if band.args else None
            source = by_id.get(argument.id) if isinstance(argument, Name) else None
            if source is not None and "MetricStat" in source:
                stat = source["MetricStat"]
                self._ensure_detector(call.region, call.account_id, stat["Metric"], stat["Stat"], call.time)

    def put_composite_alarm(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        existing = store.find(call.db, call.region, call.account_id, params["AlarmName"])
        if existing is not None and existing["alarm_type"] != "CompositeAlarm":
            raise validation_error(f"The alarm {params['AlarmName']} already exists as a metric alarm.")  # lab
        columns = composite_alarm_columns(params, self._existing_names(call) | {params["AlarmName"]})
        row = self._new_row(call, params, columns, "CompositeAlarm", existing)
        self._save(call, row, existing)
        composites = store.rows(call.db, "region = ? AND account_id = ? AND alarm_type = 'CompositeAlarm'",
                                [call.region, call.account_id])
        rules = {c["alarm_name"]: parse_alarm_rule(c["alarm_rule"]) for c in composites}
        if row["alarm_name"] not in cyclic_composites(rules):
            # "The alarm is then evaluated and its state is set appropriately."
            self._evaluate_composite(row, rules[row["alarm_name"]], call.time, call=call,
                                     verb="updated" if existing else "created")
        return {}

    # ------------------------------------------------------------------ DescribeAlarms
    def describe_alarms(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        names, prefix = params.get("AlarmNames"), params.get("AlarmNamePrefix")
        if names and prefix:
            raise AWSError("InvalidParameterCombination", "The parameters AlarmNames and AlarmNamePrefix are "
                                                          "mutually exclusive and you have specified both.")
        family = params.get("ChildrenOfAlarmName") or params.get("ParentsOfAlarmName")
        others = [k for k in ("AlarmNames", "AlarmNamePrefix", "StateValue", "ActionPrefix") if params.get(k)]
        if params.get("ChildrenOfAlarmName") and params.get("ParentsOfAlarmName") or (family and others):
            raise validation_error("If you specify ChildrenOfAlarmName or ParentsOfAlarmName, you cannot specify "
                                   "any other parameters in the request except for MaxRecords and NextToken.")  # lab
        state = params.get("StateValue")
        if state is not None and state not in STATES:
            raise validation_error(f"1 validation error detected: Value '{state}' at 'stateValue' failed to satisfy "
                                   "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")
        limit = params.get("MaxRecords") or DEFAULT_DESCRIBE_RECORDS
        found = store.rows(call.db, "region = ? AND account_id = ?", [call.region, call.account_id])
        if params.get("ChildrenOfAlarmName"):
            parent = next((r for r in found if r["alarm_name"] == params["ChildrenOfAlarmName"]
                           and r["alarm_type"] == "CompositeAlarm"), None)
            children = {alarm_name(a) for a in parse_alarm_rule(parent["alarm_rule"]).alarms} if parent else set()
            found = [r for r in found if r["alarm_name"] in children]
        elif params.get("ParentsOfAlarmName"):
            child = params["ParentsOfAlarmName"]
            found = [r for r in found if r["alarm_type"] == "CompositeAlarm" and child in
                     {alarm_name(a) for a in parse_alarm_rule(r["alarm_rule"]).alarms}]
        else:
            types = set(params.get("AlarmTypes") or ["MetricAlarm"])
            found = [r for r in found if r["alarm_type"] in types
                     and (not names or r["alarm_name"] in names)
                     and (not prefix or r["alarm_name"].startswith(prefix))
                     and (state is None or r["state_value"] == state)
                     and (not params.get("ActionPrefix") or any(
                         a.startswith(params["ActionPrefix"]) for column in ("ok_actions", "alarm_actions",
                                                                             "insufficient_data_actions")
                         for a in r[column]))]
        start = token_offset(params.get("NextToken"))
        page = found[start:start + limit]
        response: dict[str, Any] = {
            "MetricAlarms": [store.describe_shape(r) for r in page if r["alarm_type"] == "MetricAlarm"],
            "CompositeAlarms": [store.describe_shape(r) for r in page if r["alarm_type"] == "CompositeAlarm"]}
        if start + limit < len(found):
            response["NextToken"] = str(start + limit)
        return response

    def describe_alarms_for_metric(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        dims = canonical_dimensions(params.get("Dimensions"))
        found = store.rows(call.db, "region = ? AND account_id = ? AND alarm_type = 'MetricAlarm' AND metrics IS NULL "
                                    "AND namespace = ? AND metric_name = ? AND dimensions = ?",
                           [call.region, call.account_id, params["Namespace"], params["MetricName"], dims])
        found = [r for r in found
                 if all(params.get(key) is None or params[key] == r[column]
                        for key, column in (("Statistic", "statistic"), ("ExtendedStatistic", "extended_statistic"),
                                            ("Period", "period"), ("Unit", "unit")))]
        return {"MetricAlarms": [store.describe_shape(r) for r in found]}

    # ------------------------------------------------------------------ DeleteAlarms, Enable/Disable
    def delete_alarms(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        names = list(dict.fromkeys(params["AlarmNames"]))
        # "If you specify any incorrect alarm names, the alarms you specify with correct names are still deleted."
        doomed = [r for name in names if (r := store.find(call.db, call.region, call.account_id, name))]
        if sum(r["alarm_type"] == "CompositeAlarm" for r in doomed) > 1:
            raise validation_error("You can delete at most one composite alarm in one DeleteAlarms operation.")  # lab
        gone = {r["alarm_name"] for r in doomed}
        for composite in store.rows(call.db, "region = ? AND account_id = ? AND alarm_type = 'CompositeAlarm'",
                                    [call.region, call.account_id]):
            if composite["alarm_name"] in gone:
                continue
            used = {alarm_name(a) for a in parse_alarm_rule(composite["alarm_rule"]).alarms} & gone
            if used:
                # A composite's children cannot be deleted while it refers to them (API:DeleteAlarms, cycles).
                raise validation_error(f"Could not delete alarms [{', '.join(sorted(used))}] as they are referenced "
                                       f"by the composite alarm {composite['alarm_name']}.")  # lab wording
        for row in doomed:
            call.db.execute("DELETE FROM cloudwatch_alarms WHERE alarm_id = ?", [row["alarm_id"]])
            summary, data = store.configuration_history("Delete", row)
            store.add_history(call.db, call.region, call.account_id, row["alarm_name"], row["alarm_type"], call.time,
                              "ConfigurationUpdate", summary, data)
            self._configuration_event(call, row, "delete")
        self._alarms_changed()
        return {}

    def _set_actions_enabled(self, call: Call, params: dict[str, Any], enabled: bool) -> dict[str, Any]:
        for name in dict.fromkeys(params["AlarmNames"]):
            before = store.find(call.db, call.region, call.account_id, name)
            if before is None or before["actions_enabled"] == enabled:
                continue
            call.db.execute("UPDATE cloudwatch_alarms SET actions_enabled = ?, alarm_configuration_updated_timestamp = ? "
                            "WHERE alarm_id = ?", [enabled, call.time, before["alarm_id"]])
            after = dict(before, actions_enabled=enabled, alarm_configuration_updated_timestamp=call.time)
            summary, data = store.configuration_history("Update", after, before)
            store.add_history(call.db, call.region, call.account_id, name, before["alarm_type"], call.time,
                              "ConfigurationUpdate", summary, data)
            self._configuration_event(call, after, "update", before)
        return {}

    def enable_alarm_actions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_actions_enabled(call, params, True)

    def disable_alarm_actions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_actions_enabled(call, params, False)

    # ------------------------------------------------------------------ SetAlarmState
    def set_alarm_state(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        state = params["StateValue"]
        if state not in STATES:
            raise validation_error(f"1 validation error detected: Value '{state}' at 'stateValue' failed to satisfy "
                                   "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]")
        data = params.get("StateReasonData")
        if data is not None:
            try:
                json.loads(data)
            except ValueError:
                raise AWSError("InvalidFormat", "Unknown") from None
        row = store.find(call.db, call.region, call.account_id, params["AlarmName"])
        if row is None:
            raise AWSError("ResourceNotFound", f"Alarm {params['AlarmName']} not found", 404)
        if state == row["state_value"]:
            # No transition: nothing is recorded and no action runs (lab reading of API:SetAlarmState).
            return {}
        self._transition(row, state, params["StateReason"], data, call.time, call=call)
        return {}

    # ------------------------------------------------------------------ DescribeAlarmHistory
    def describe_alarm_history(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        clauses = ["region = ?", "account_id = ?", "list_contains(?, alarm_type)", "timestamp >= ?"]
        args: list[Any] = [call.region, call.account_id, types, call.time - store.HISTORY_RETENTION]
        for key, clause in (("AlarmName", "alarm_name = ?"), ("HistoryItemType", "history_item_type = ?"),
                            ("StartDate", "timestamp >= ?"), ("EndDate", "timestamp <= ?")):
            if params.get(key) is not None:
                clauses.append(clause)
                args.append(params[key])
        order = "ASC" if params.get("ScanBy") == "TimestampAscending" else "DESC"
        limit = params.get("MaxRecords") or DEFAULT_HISTORY_RECORDS
        start = token_offset(params.get("NextToken"))
        found = call.db.execute(
            "SELECT alarm_name, alarm_type, timestamp, history_item_type, history_summary, history_data "
            f"FROM cloudwatch_alarm_history WHERE {' AND '.join(clauses)} "
            f"ORDER BY timestamp {order}, history_id {order} LIMIT ? OFFSET ?", args + [limit + 1, start]).fetchall()
        response: dict[str, Any] = {"AlarmHistoryItems": [store.history_item(r) for r in found[:limit]]}
        if len(found) > limit:
            response["NextToken"] = str(start + limit)
        return response

    # ------------------------------------------------------------------ tags
    def _alarm_by_arn(self, call: Call, arn: str) -> dict[str, Any]:
        found = store.rows(call.db, "alarm_arn = ?", [arn])
        if not found:
            raise _not_found_resource()
        return found[0]

    def tag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self._alarm_by_arn(call, params["ResourceARN"])
        tags = {t["Key"]: t["Value"] for t in json.loads(row["tags"])}
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        if len(tags) > 50:
            raise AWSError("InvalidParameterValueException", "A resource can have at most 50 tags.")  # lab wording
        call.db.execute("UPDATE cloudwatch_alarms SET tags = ? WHERE alarm_id = ?",
                        [json.dumps([{"Key": k, "Value": v} for k, v in tags.items()]), row["alarm_id"]])
        return {}

    def untag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self._alarm_by_arn(call, params["ResourceARN"])
        tags = [t for t in json.loads(row["tags"]) if t["Key"] not in set(params["TagKeys"])]
        call.db.execute("UPDATE cloudwatch_alarms SET tags = ? WHERE alarm_id = ?", [json.dumps(tags), row["alarm_id"]])
        return {}

    def list_tags_for_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": json.loads(self._alarm_by_arn(call, params["ResourceARN"])["tags"])}


__all__ = ["AlarmOperations", "ALARM_TABLES"]
