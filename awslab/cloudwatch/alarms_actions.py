"""What happens when an alarm changes state: the new state is written with a StateUpdate
history item, the change is published on the lab's hub, the actions of the new state run, and
the composite alarms that depend on the alarm are evaluated again.

Rules (UG:alarm-actions / UsingAlarmActions, UG:Create_Composite_Alarm, API:SetAlarmState):

* actions run only on a state change, and only while ActionsEnabled; each run is recorded as an
  ``Action`` history item, "Successfully executed action <arn>" or "Failed to execute action
  <arn>. Received error: ..." (lab wording for the failure);
* SNS topics are published to, Lambda functions invoked, EC2 instances stopped, terminated or
  rebooted through the lab's own APIs, called as ``monitoring.amazonaws.com`` (CloudTrail
  records them so); EC2 ``recover`` has no API and is announced on the hub
  (``ec2_instance_recovery``); Auto Scaling policies are run with ExecutePolicy (HonorCooldown,
  MetricValue = the newest datapoint, BreachThreshold = the threshold), and again every minute
  the alarm stays in the state ("the alarm continues to invoke the action once per minute that
  the alarm remains in the new state"), without a history item for the repeats (lab choice);
* a composite alarm with an ActionsSuppressor takes no actions while the suppressor is in ALARM;
  after going to ALARM it waits up to WaitPeriod seconds for the suppressor, and after the
  suppressor leaves ALARM it stays quiet for ExtensionPeriod seconds; when a wait or extension
  ends with the composite in ALARM it performs its ALARM actions (lab reading of
  UG:Create_Composite_Alarm_Suppression).

Every action attempt is also published as a hub fact ``alarm_action`` so it can be observed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Callable

import pandas as pd

from botocore.exceptions import ClientError

from . import alarms_store as store
from .alarm_evaluation import ALARM, json_time, to_json
from .alarms_notify import lambda_payload, sns_message, state_detail, subject
from .alarms_validate import action_kind, autoscaling_policy, ec2_operation
from .composite import (affected_composites, alarm_name, composite_state_reason, composite_state_reason_data,
                        parse_alarm_rule, triggering_alarms)

MONITORING = "monitoring.amazonaws.com"
ACTION_COLUMNS = {"OK": "ok_actions", "ALARM": "alarm_actions", "INSUFFICIENT_DATA": "insufficient_data_actions"}
_EC2_CALLS = {"stop": "stop_instances", "terminate": "terminate_instances", "reboot": "reboot_instances"}

Publish = Callable[[str, dict[str, Any]], None]


class AlarmActionsMixin:
    """State transitions and actions, mixed into the CloudWatch service (needs ``self.lab``)."""

    # ------------------------------------------------------------------ publishing
    def _publisher(self, call=None) -> Publish:
        if call is not None:
            return call.publish

        def publish(topic: str, fact: dict[str, Any]) -> None:
            self.lab.hub.publish(topic, fact)
        return publish

    # ------------------------------------------------------------------ transitions
    def _transition(self, row: dict[str, Any], state: str, reason: str, reason_data: str | None,
                    when: datetime, *, call=None, run_actions: bool = True,
                    triggering: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Move an alarm to a new state; returns the updated row."""
        return self._transitions([(row, state, reason, reason_data)], when, call=call, run_actions=run_actions,
                                 triggering=triggering)[0]

    def _transitions(self, changes: list[tuple[dict[str, Any], str, str, str | None]], when: datetime, *,
                     call=None, run_actions: bool = True,
                     triggering: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Move alarms to new states at ``when``: the states and StateUpdate items are written in one
        statement each (an evaluation can change thousands), then each change is announced."""
        self._write_states(changes, when)
        publish = self._publisher(call)
        updated = []
        for row, state, reason, reason_data in changes:
            old = (row["state_value"], row["state_reason"], row["state_reason_data"], row["state_updated_timestamp"])
            new_row = dict(row, state_value=state, state_reason=reason, state_reason_data=reason_data,
                           state_updated_timestamp=when, state_transitioned_timestamp=when)
            if row["alarm_type"] == "CompositeAlarm":
                new_row = self._suppression_on_transition(new_row, state, when)
            detail = state_detail(new_row, old, (state, reason, reason_data, when))
            publish("alarm_state_changed", {
                "alarm_name": row["alarm_name"], "alarm_arn": row["alarm_arn"], "alarm_type": row["alarm_type"],
                "state": state, "previous_state": old[0], "reason": reason, "reason_data": reason_data,
                "time": when, "configuration": store.describe_shape(new_row), "event_detail": detail,
                "region": row["region"], "account_id": row["account_id"]})
            if run_actions and new_row["actions_enabled"] and new_row[ACTION_COLUMNS[state]] \
                    and not new_row.get("actions_suppressed_by"):
                self._run_actions(new_row, old[0], state, reason, reason_data, when, detail, call, triggering)
            self._after_transition(new_row, when, call)
            updated.append(new_row)
        return updated

    def _write_states(self, changes: list[tuple[dict[str, Any], str, str, str | None]], when: datetime) -> None:
        db = self.lab.db
        records = []
        for row, state, reason, reason_data in changes:
            summary, data = store.state_history((row["state_value"], row["state_reason"], row["state_reason_data"]),
                                                (state, reason, reason_data))
            records.append((row["alarm_id"], state, reason, reason_data, row["region"], row["account_id"],
                            row["alarm_name"], row["alarm_type"], summary, data))
        if len(records) == 1:
            alarm_id, state, reason, reason_data, region, account, name, kind, summary, data = records[0]
            db.execute("UPDATE cloudwatch_alarms SET state_value = ?, state_reason = ?, state_reason_data = ?, "
                       "state_updated_timestamp = ?, state_transitioned_timestamp = ? WHERE alarm_id = ?",
                       [state, reason, reason_data, when, when, alarm_id])
            store.add_history(db, region, account, name, kind, when, "StateUpdate", summary, data)
            return
        frame = pd.DataFrame(records, columns=["alarm_id", "state", "reason", "reason_data", "region", "account_id",
                                               "alarm_name", "alarm_type", "summary", "data"])
        db.register("cloudwatch_alarm_changes", frame)
        try:
            db.execute("UPDATE cloudwatch_alarms a SET state_value = c.state, state_reason = c.reason, "
                       "state_reason_data = c.reason_data, state_updated_timestamp = $when, "
                       "state_transitioned_timestamp = $when FROM cloudwatch_alarm_changes c "
                       "WHERE a.alarm_id = c.alarm_id", {"when": when})
            db.execute("INSERT INTO cloudwatch_alarm_history SELECT nextval('cloudwatch_alarm_history_ids'), "
                       "region, account_id, alarm_name, alarm_type, $when, 'StateUpdate', summary, data "
                       "FROM cloudwatch_alarm_changes ORDER BY alarm_name", {"when": when})
        finally:
            db.unregister("cloudwatch_alarm_changes")

    def _after_transition(self, row: dict[str, Any], when: datetime, call=None) -> None:
        """Composite alarms that depend on ``row``, and those it suppresses, react to its change."""
        if not self._counts()["composite"]:
            return
        composites = store.rows(self.lab.db, "region = ? AND account_id = ? AND alarm_type = 'CompositeAlarm'",
                                [row["region"], row["account_id"]])
        for composite in composites:
            if composite["actions_suppressor"] and alarm_name(composite["actions_suppressor"]) == row["alarm_name"]:
                self._suppressor_changed(composite, row, when, call)
        rules = {c["alarm_name"]: _rule(c["alarm_rule"]) for c in composites}
        for name in affected_composites(rules, row["alarm_name"]):
            current = store.find(self.lab.db, row["region"], row["account_id"], name)
            self._evaluate_composite(current, rules[name], when, call=call, trigger=row)

    def _child_states(self, region: str, account_id: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        found = self.lab.db.execute(
            "SELECT alarm_name, alarm_arn, state_value, state_transitioned_timestamp FROM cloudwatch_alarms "
            "WHERE region = ? AND account_id = ?", [region, account_id]).fetchall()
        states, info = {}, {}
        for name, arn, state, stamp in found:
            states[name] = states[arn] = state
            info[name] = {"arn": arn, "state": state, "timestamp": stamp}
        return states, info

    def _evaluate_composite(self, row: dict[str, Any], rule, when: datetime, *, call=None,
                            trigger: dict[str, Any] | None = None, verb: str | None = None) -> dict[str, Any]:
        """Re-evaluate a composite alarm's rule; transition if its state changes. ``verb`` is
        "created"/"updated" when the evaluation follows PutCompositeAlarm."""
        states, info = self._child_states(row["region"], row["account_id"])
        state = rule.state(states)
        if state == row["state_value"]:
            return row
        children = triggering_alarms(rule, states)
        triples = [(info[alarm_name(c)]["arn"], info[alarm_name(c)]["state"], info[alarm_name(c)]["timestamp"])
                   for c in children if alarm_name(c) in info]
        if trigger is None:
            reason = composite_state_reason(state, composite_arn=row["alarm_arn"])
            if verb == "updated":
                reason = reason.replace(" was created ", " was updated ")
        else:
            reason = composite_state_reason(state, trigger_arn=trigger["alarm_arn"],
                                            trigger_state=trigger["state_value"], trigger_time=when)
        data = composite_state_reason_data(triples)
        triggering = [{"Arn": arn, "State": {"Value": st, "Timestamp": json_time(ts, True)}}
                      for arn, st, ts in triples]
        return self._transition(row, state, reason, data, when, call=call, triggering=triggering)

    # ------------------------------------------------------------------ suppression (composites)
    def _suppression_on_transition(self, row: dict[str, Any], state: str, when: datetime) -> dict[str, Any]:
        if not row["actions_suppressor"]:
            return row
        suppressor = store.find(self.lab.db, row["region"], row["account_id"], alarm_name(row["actions_suppressor"]))
        by, until = None, None
        if suppressor is not None and suppressor["state_value"] == ALARM:
            by = "Alarm"
        elif row["actions_suppressed_by"] == "ExtensionPeriod" and row["actions_pending_until"] and \
                row["actions_pending_until"] > when:
            by, until = "ExtensionPeriod", row["actions_pending_until"]
        elif state == ALARM and (row["actions_suppressor_wait_period"] or 0) > 0:
            by, until = "WaitPeriod", when + timedelta(seconds=row["actions_suppressor_wait_period"])
        return self._set_suppression(row, by, until)

    def _set_suppression(self, row: dict[str, Any], by: str | None, until: datetime | None) -> dict[str, Any]:
        reason = f"Actions suppressed by {by}" if by else None
        self.lab.db.execute("UPDATE cloudwatch_alarms SET actions_suppressed_by = ?, actions_suppressed_reason = ?, "
                            "actions_pending_until = ? WHERE alarm_id = ?", [by, reason, until, row["alarm_id"]])
        self._alarms_changed()
        return dict(row, actions_suppressed_by=by, actions_suppressed_reason=reason, actions_pending_until=until)

    def _suppressor_changed(self, composite: dict[str, Any], suppressor: dict[str, Any], when: datetime,
                            call=None) -> None:
        if suppressor["state_value"] == ALARM:
            self._set_suppression(composite, "Alarm", None)
        elif composite["actions_suppressed_by"] == "Alarm":
            extension = composite["actions_suppressor_extension_period"] or 0
            if extension > 0:
                self._set_suppression(composite, "ExtensionPeriod", when + timedelta(seconds=extension))
            else:
                self._set_suppression(composite, None, None)

    def _release_suppressions(self, when: datetime) -> None:
        """Waits and extensions that ended by ``when``: the composite performs its ALARM actions."""
        for row in store.rows(self.lab.db, "actions_pending_until IS NOT NULL AND actions_pending_until <= ?", [when]):
            row = self._set_suppression(row, None, None)
            if row["state_value"] == ALARM and row["actions_enabled"]:
                detail = state_detail(row, (row["state_value"], row["state_reason"], row["state_reason_data"],
                                            row["state_updated_timestamp"]),
                                      (row["state_value"], row["state_reason"], row["state_reason_data"], when))
                self._run_actions(row, row["state_value"], row["state_value"], row["state_reason"],
                                  row["state_reason_data"], when, detail, None, None)

    # ------------------------------------------------------------------ actions
    def _run_actions(self, row: dict[str, Any], old_state: str, state: str, reason: str, reason_data: str | None,
                     when: datetime, detail: dict[str, Any], call, triggering) -> None:
        for arn in row[ACTION_COLUMNS[state]]:
            kind = action_kind(arn)
            fact = {"alarm_name": row["alarm_name"], "alarm_arn": row["alarm_arn"], "action_arn": arn,
                    "kind": kind, "state": state, "previous_state": old_state, "time": when,
                    "region": row["region"], "account_id": row["account_id"]}
            published, error = None, None
            try:
                if kind == "sns":
                    published = sns_message(row, old_state, state, reason, when, triggering)
                    self._action_client("sns", arn.split(":")[3]).publish(TopicArn=arn, Subject=subject(row, state),
                                                            Message=published, MessageStructure="json")
                elif kind == "lambda":
                    self._action_client("lambda", arn.split(":")[3]).invoke(
                        FunctionName=arn, InvocationType="Event",
                        Payload=json.dumps(lambda_payload(row, detail, when)).encode())
                elif kind == "ec2":
                    fact.update(self._ec2_action(row, arn, when))
                elif kind == "autoscaling":
                    fact.update(self._autoscaling_fact(row, arn, reason_data))
                    self._execute_policy(row, arn, fact)
                else:
                    raise _ActionError(f"awslab does not simulate the target of {arn}")
            except _ActionError as failure:
                error = str(failure)
            except ClientError as failure:
                error = failure.response["Error"].get("Message") or failure.response["Error"].get("Code")
            fact["outcome"] = "Failed" if error else "Succeeded"
            fact["error"] = error
            self._publisher(call)("alarm_action", fact)
            self._record_action(row, arn, when, published, error)

    def _record_action(self, row: dict[str, Any], arn: str, when: datetime, published: str | None,
                       error: str | None) -> None:
        data = {"actionState": "Failed" if error else "Succeeded",
                "stateUpdateTimestamp": int(when.timestamp() * 1000), "notificationResource": arn,
                "publishedMessage": published, "error": error}
        summary = f"Failed to execute action {arn}. Received error: \"{error}\"" if error \
            else f"Successfully executed action {arn}"
        store.add_history(self.lab.db, row["region"], row["account_id"], row["alarm_name"], row["alarm_type"],
                          when, "Action", summary, to_json(data))

    def _require_service(self, service: str, title: str) -> None:
        if self.lab.service_for(service) is None:
            raise _ActionError(f"awslab does not simulate {title} in this lab")

    def _action_client(self, service: str, region: str):
        self._require_service(service, {"sns": "Amazon SNS", "lambda": "AWS Lambda", "ec2": "Amazon EC2",
                                        "autoscaling": "Amazon EC2 Auto Scaling"}[service])
        return self.lab.service_client(service, MONITORING, region)

    def _ec2_action(self, row: dict[str, Any], arn: str, when: datetime) -> dict[str, Any]:
        dims = {d["Name"]: d["Value"] for d in json.loads(row["dimensions"] or "[]")}
        instance_id = dims.get("InstanceId")
        operation = ec2_operation(arn)
        if instance_id is None:
            raise _ActionError("the alarm's metric has no InstanceId dimension")
        if operation == "recover":
            # Recovery moves the instance to new hardware inside EC2; it has no API call.
            self._publisher()("ec2_instance_recovery", {"instance_id": instance_id, "alarm_arn": row["alarm_arn"],
                                                        "time": when, "region": row["region"],
                                                        "account_id": row["account_id"]})
        else:
            client = self._action_client("ec2", row["region"])
            getattr(client, _EC2_CALLS[operation])(InstanceIds=[instance_id])
        return {"instance_id": instance_id, "operation": operation}

    def _autoscaling_fact(self, row: dict[str, Any], arn: str, reason_data: str | None) -> dict[str, Any]:
        group, policy = autoscaling_policy(arn)
        recent = []
        if reason_data:
            try:
                recent = json.loads(reason_data).get("recentDatapoints") or []
            except (ValueError, AttributeError):
                recent = []
        return {"auto_scaling_group_name": group, "policy_name": policy,
                "metric_value": recent[-1] if recent else None, "breach_threshold": row["threshold"]}

    def _execute_policy(self, row: dict[str, Any], arn: str, fact: dict[str, Any]) -> None:
        params: dict[str, Any] = {"AutoScalingGroupName": fact["auto_scaling_group_name"], "PolicyName": arn,
                                  "HonorCooldown": True}
        if fact["metric_value"] is not None and fact["breach_threshold"] is not None:
            params.update(MetricValue=float(fact["metric_value"]), BreachThreshold=float(fact["breach_threshold"]))
        try:
            self._action_client("autoscaling", arn.split(":")[3]).execute_policy(**params)
        except ClientError as error:
            # A policy in its cooldown declines; the alarm still invoked it.
            if error.response["Error"]["Code"] != "ScalingActivityInProgress":
                raise

    def _repeat_autoscaling(self, when: datetime) -> None:
        """Auto Scaling actions are invoked again every minute the alarm stays in the state."""
        found = store.rows(self.lab.db, "actions_enabled AND alarm_type = 'MetricAlarm' AND len(list_filter("
                           "CASE state_value WHEN 'OK' THEN ok_actions WHEN 'ALARM' THEN alarm_actions "
                           "ELSE insufficient_data_actions END, lambda a: a LIKE 'arn:%:autoscaling:%')) > 0 "
                           "AND state_transitioned_timestamp < ?", [when])
        for row in found:
            for arn in row[ACTION_COLUMNS[row["state_value"]]]:
                if action_kind(arn) == "autoscaling":
                    fact = {"alarm_name": row["alarm_name"], "alarm_arn": row["alarm_arn"], "action_arn": arn,
                            "kind": "autoscaling", "state": row["state_value"],
                            "previous_state": row["state_value"], "time": when, "region": row["region"],
                            "account_id": row["account_id"], "repeat": True, "outcome": "Succeeded", "error": None}
                    fact.update(self._autoscaling_fact(row, arn, row["state_reason_data"]))
                    try:
                        self._execute_policy(row, arn, fact)
                    except (ClientError, _ActionError) as error:
                        fact.update(outcome="Failed", error=str(error))  # repeats leave no history
                    self.lab.hub.publish("alarm_action", fact)


@lru_cache(maxsize=4096)
def _rule(text: str):
    return parse_alarm_rule(text)


class _ActionError(Exception):
    """An action that could not be carried out; recorded as a failed Action history item."""
