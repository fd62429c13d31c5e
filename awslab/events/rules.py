"""Rules and their targets (mixed into the EventBridge service).

API reference: PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule,
ListRuleNamesByTarget, TestEventPattern, PutTargets, RemoveTargets, ListTargetsByRule. Messages from
AWS-recorded answers (LocalStack ``test_events.snapshot.json``) and the reference notes:

* PutRule creates or replaces: arguments left out become empty, tags are kept. It needs an
  EventPattern or a ScheduleExpression (or both: the rule then fires on both); a schedule only on the
  default bus. PutRule, TestEventPattern and delivery use the same compiled matcher (patterns.py).
* A rule has at most five targets (``LimitExceededException``) and cannot be deleted while it has any
  (``Rule can't be deleted since it has targets.``). Deleting a rule that does not exist succeeds.
* PutTargets checks each target's input settings (transform.py) and refuses an ARN that is not one.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .buses import paginate
from .patterns import compile_pattern, validate_test_event
from .schedule import parse_schedule
from .store import DEFAULT_BUS, next_seq, rule_arn, rule_not_found, to_json
from .transform import validate_target_input

MAX_TARGETS = 5
MAX_RULES_PER_BUS = 300
LIMIT_EXCEEDED = "The requested resource exceeds the maximum number allowed."
STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


class RuleOperations:
    """Rule and target handlers (mixed into EventsService)."""

    lab: Any
    _bus: Any
    _rules_changed: Any

    def _rule(self, call: Call, name: str, bus_param: str | None) -> dict[str, Any]:
        bus = self._bus(call, bus_param)
        cursor = call.db.execute("SELECT * FROM events_rules WHERE region = ? AND account_id = ? AND bus_name = ? "
                                 "AND name = ?", [call.region, call.account_id, bus["name"], name])
        row = cursor.fetchone()
        if row is None:
            raise rule_not_found(name, bus["name"])
        return dict(zip([c[0] for c in cursor.description], row))

    @staticmethod
    def _rule_shape(rule: dict[str, Any], describe: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": rule["name"], "Arn": rule["arn"]}
        if rule["event_pattern"] is not None:
            out["EventPattern"] = rule["event_pattern"]
        if rule["schedule_expression"] is not None:
            out["ScheduleExpression"] = rule["schedule_expression"]
        out["State"] = rule["state"]
        for key, column in (("Description", "description"), ("RoleArn", "role_arn"), ("ManagedBy", "managed_by")):
            if rule[column] is not None:
                out[key] = rule[column]
        out["EventBusName"] = rule["bus_name"]
        if describe:
            out["CreatedBy"] = rule["created_by"]
        return out

    # ------------------------------------------------------------------ rules
    def put_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus(call, params.get("EventBusName"))
        pattern, schedule = params.get("EventPattern"), params.get("ScheduleExpression")
        if not pattern and not schedule:
            raise AWSError("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if schedule:
            if bus["name"] != DEFAULT_BUS:
                raise AWSError("ValidationException", "ScheduleExpression is supported only on the default event bus.")
            parse_schedule(schedule)
        if pattern:
            compile_pattern(pattern)
        name = params["Name"]
        arn = rule_arn(call.region, call.account_id, bus["name"], name)
        existing = call.db.execute("SELECT created, created_by, schedule_expression, schedule_anchor, tags "
                                   "FROM events_rules WHERE arn = ?", [arn]).fetchone()
        if existing is None:
            count = call.db.execute("SELECT count(*) FROM events_rules WHERE region = ? AND account_id = ? AND "
                                    "bus_name = ?", [call.region, call.account_id, bus["name"]]).fetchone()[0]
            if count >= MAX_RULES_PER_BUS:
                raise AWSError("LimitExceededException", LIMIT_EXCEEDED)
            created, created_by, anchor = call.time, call.account_id, call.time if schedule else None
            tags = to_json({t["Key"]: t["Value"] for t in params.get("Tags") or []})
        else:
            created, created_by, old_schedule, anchor, tags = existing
            # A rate schedule counts from when its expression was set (schedule.py's documented choice).
            if schedule != old_schedule:
                anchor = call.time if schedule else None
        call.db.execute("DELETE FROM events_rules WHERE arn = ?", [arn])
        call.db.execute("INSERT INTO events_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                        [arn, call.region, call.account_id, bus["name"], name, pattern or None, schedule or None,
                         params.get("State") or "ENABLED", params.get("Description"), params.get("RoleArn"),
                         created_by, created, anchor, tags])
        self._rules_changed()
        return {"RuleArn": arn}

    def describe_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._rule_shape(self._rule(call, params["Name"], params.get("EventBusName")), describe=True)

    def list_rules(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus(call, params.get("EventBusName"))
        cursor = call.db.execute("SELECT * FROM events_rules WHERE region = ? AND account_id = ? AND bus_name = ? "
                                 "AND starts_with(name, ?) ORDER BY name",
                                 [call.region, call.account_id, bus["name"], params.get("NamePrefix") or ""])
        names = [c[0] for c in cursor.description]
        page, token = paginate([self._rule_shape(dict(zip(names, row))) for row in cursor.fetchall()], params)
        return {"Rules": page, **({"NextToken": token} if token else {})}

    def _set_state(self, call: Call, params: dict[str, Any], state: str) -> dict[str, Any]:
        rule = self._rule(call, params["Name"], params.get("EventBusName"))
        call.db.execute("UPDATE events_rules SET state = ? WHERE arn = ?", [state, rule["arn"]])
        self._rules_changed()
        return {}

    def enable_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(call, params, "ENABLED")

    def disable_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(call, params, "DISABLED")

    def delete_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        try:
            rule = self._rule(call, params["Name"], params.get("EventBusName"))
        except AWSError as error:
            if error.message.startswith("Rule "):
                return {}                      # deleting a rule that is not there succeeds
            raise
        if call.db.execute("SELECT 1 FROM events_targets WHERE rule_arn = ?", [rule["arn"]]).fetchone():
            raise AWSError("ValidationException", "Rule can't be deleted since it has targets.")
        call.db.execute("DELETE FROM events_retries WHERE rule_arn = ?", [rule["arn"]])
        call.db.execute("DELETE FROM events_rules WHERE arn = ?", [rule["arn"]])
        self._rules_changed()
        return {}

    def list_rule_names_by_target(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus(call, params.get("EventBusName"))
        names = [name for (name,) in call.db.execute(
            "SELECT DISTINCT r.name FROM events_rules r JOIN events_targets t ON t.rule_arn = r.arn "
            "WHERE r.region = ? AND r.account_id = ? AND r.bus_name = ? AND t.target_arn = ? ORDER BY r.name",
            [call.region, call.account_id, bus["name"], params["TargetArn"]]).fetchall()]
        page, token = paginate(names, params)
        return {"RuleNames": page, **({"NextToken": token} if token else {})}

    def test_event_pattern(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        pattern = compile_pattern(params["EventPattern"])
        validate_test_event(params["Event"])
        # The event's text, not a parsed copy: [300] matches 300.0 by its literal as well as its value.
        return {"Result": pattern.matches(params["Event"])}

    # ------------------------------------------------------------------ targets
    def put_targets(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rule = self._rule(call, params["Rule"], params.get("EventBusName"))
        targets = params["Targets"]
        for index, target in enumerate(targets, start=1):
            validate_target_input(target, index)
            if not target["Arn"].startswith("arn:") or len(target["Arn"].split(":", 5)) != 6:
                raise AWSError("ValidationException", f"Parameter {target['Arn']} is not valid. "
                                                      "Reason: Provided Arn is not in correct format.")
        existing = {tid for (tid,) in call.db.execute("SELECT target_id FROM events_targets WHERE rule_arn = ?",
                                                       [rule["arn"]]).fetchall()}
        if len(existing | {t["Id"] for t in targets}) > MAX_TARGETS:
            raise AWSError("LimitExceededException", LIMIT_EXCEEDED)
        for target in targets:
            seq = call.db.execute("SELECT seq FROM events_targets WHERE rule_arn = ? AND target_id = ?",
                                  [rule["arn"], target["Id"]]).fetchone()
            call.db.execute("DELETE FROM events_targets WHERE rule_arn = ? AND target_id = ?",
                            [rule["arn"], target["Id"]])
            call.db.execute("INSERT INTO events_targets VALUES (?, ?, ?, ?, ?)",
                            [rule["arn"], target["Id"], target["Arn"], to_json(target),
                             seq[0] if seq else next_seq(call.db)])
        self._rules_changed()
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rule = self._rule(call, params["Rule"], params.get("EventBusName"))
        call.db.execute("DELETE FROM events_targets WHERE rule_arn = ? AND target_id IN (SELECT unnest(?::VARCHAR[]))",
                        [rule["arn"], params["Ids"]])
        call.db.execute("DELETE FROM events_retries WHERE rule_arn = ? AND target_id IN (SELECT unnest(?::VARCHAR[]))",
                        [rule["arn"], params["Ids"]])
        self._rules_changed()
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rule = self._rule(call, params["Rule"], params.get("EventBusName"))
        targets = [json.loads(spec) for (spec,) in call.db.execute(
            "SELECT spec FROM events_targets WHERE rule_arn = ? ORDER BY seq", [rule["arn"]]).fetchall()]
        page, token = paginate(targets, params)
        return {"Targets": page, **({"NextToken": token} if token else {})}
