"""The Config rules API, mixed into ConfigService: rules, evaluations, compliance.

https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config.html
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config-rules.html (trigger types)
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_example-events.html
https://docs.aws.amazon.com/config/latest/APIReference/API_PutEvaluations.html

A rule evaluates when it is created, on every recorded change of a resource in its scope
(change-triggered), at its frequency (periodic: every 1, 3, 6, 12 or 24 hours on the lab
clock), or both (hybrid). A managed rule runs its logic from ``rules/``; a custom rule invokes
a lab Lambda function as ``config.amazonaws.com`` with AWS's invoking event, and the function
reports through PutEvaluations with the result token of that invocation.

Plausible choices (AWS does not document them): periodic runs fall on multiples of the
frequency since the epoch (UTC midnight for 24 hours); a failing Lambda function records
LastErrorCode/LastErrorMessage from its error payload.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..errors import AWSError
from ..gateway import Call
from . import recorder, rules_store
from .rules import compliance
from .rules.lab_context import LabRuleContext
from .rules.managed import managed_rule
from .rules.model import (
    EVALUATION_COMPLIANCE_TYPES,
    MAX_ANNOTATION_LENGTH,
    Evaluation,
    RuleParameterError,
)
from .rules_store import Rule, invalid, no_such_rule

SERVICE = "config.amazonaws.com"

# The current result of each (rule, resource) the batch touches, the rows that survive (not older
# than the current one), their recorded times, and which resources change compliance.
STORE_SQL = """
CREATE TEMP TABLE config_stored_evaluations AS
WITH config_incoming_evaluations AS (
    SELECT r[1]::BIGINT AS seq, r[2] AS resource_type, r[3] AS resource_id, r[4] AS compliance_type,
        r[5] AS annotation, r[6]::TIMESTAMPTZ AS ordering_timestamp
    FROM (SELECT unnest(from_json($rows::JSON, '["VARCHAR[]"]')) AS r)
),
previous AS (
    SELECT e.* FROM config_evaluations AS e
    WHERE e.account_id = $account AND e.region = $region AND e.config_rule_name = $rule
      AND (e.resource_type, e.resource_id) IN (SELECT (resource_type, resource_id) FROM config_incoming_evaluations)
    QUALIFY row_number() OVER (PARTITION BY e.resource_type, e.resource_id
                               ORDER BY e.ordering_timestamp DESC, e.result_recorded_time DESC) = 1
),
kept AS (
    SELECT i.*, p.compliance_type AS old_type, p.annotation AS old_annotation,
        p.ordering_timestamp AS old_ordering, p.result_recorded_time AS old_recorded,
        p.config_rule_invoked_time AS old_invoked, p.result_token AS old_token,
        greatest($now::TIMESTAMPTZ, coalesce(p.result_recorded_time + INTERVAL 1 MICROSECOND, $now::TIMESTAMPTZ))
            + to_microseconds(row_number() OVER (PARTITION BY i.resource_type, i.resource_id ORDER BY i.seq) - 1)
            AS recorded,
        row_number() OVER (PARTITION BY i.resource_type, i.resource_id ORDER BY i.seq DESC) = 1 AS last_of_batch
    FROM config_incoming_evaluations AS i
    LEFT JOIN previous AS p USING (resource_type, resource_id)
    WHERE p.ordering_timestamp IS NULL OR p.ordering_timestamp <= i.ordering_timestamp
)
SELECT * FROM kept"""

CHANGED_SQL = """SELECT resource_type, resource_id, compliance_type, annotation, ordering_timestamp, recorded, old_type,
    old_annotation, old_ordering, old_recorded, old_invoked, old_token
FROM config_stored_evaluations
WHERE last_of_batch AND (old_type IS NULL OR old_type <> compliance_type)
ORDER BY seq
"""

INSERT_SQL = """INSERT INTO config_evaluations
SELECT $account, $region, $rule, resource_type, resource_id, compliance_type, annotation, ordering_timestamp,
    recorded, $invoked, $token
FROM config_stored_evaluations ORDER BY seq"""


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _page(found: list[Any], params: dict[str, Any], key: str, default: int = 100,
          limit_name: str = "Limit") -> dict[str, Any]:
    limit = params.get(limit_name) or default
    try:
        start = int(base64.b64decode(params["NextToken"]).decode()) if params.get("NextToken") else 0
    except ValueError:
        raise AWSError("InvalidNextTokenException", "The nextToken provided is invalid") from None
    out: dict[str, Any] = {key: found[start:start + limit]}
    if start + limit < len(found):
        out["NextToken"] = base64.b64encode(str(start + limit).encode()).decode()
    return out


class ConfigRuleOperations:
    """Rules, evaluations and compliance (a mixin of ConfigService; ``self.lab`` is the lab)."""

    lab: Any
    _periodic_frequencies: tuple[datetime, set[str]] | None = None

    def _setup_rules(self) -> None:
        db = self.lab.db
        for statement in rules_store.CREATE:
            db.execute(statement)
        self.lab.hub.subscribe("config_item_changed", self._on_items_changed, batch=True)
        for frequency, hours in rules_store.FREQUENCIES.items():
            self.lab.scheduler.every(f"config periodic rules {frequency}", timedelta(hours=hours),
                                     lambda instant, f=frequency: self._run_periodic(f, instant),
                                     is_active=lambda f=frequency: self._has_periodic(f), order=62)

    # ------------------------------------------------------------------ evaluating
    def _context(self, rule: Rule, now: datetime) -> LabRuleContext:
        return LabRuleContext(self.lab, rule.region, now, rule.in_scope)

    def _set_status(self, rule: Rule, now: datetime, error: tuple[str, str] | None) -> None:
        if error is None:
            self.lab.db.execute("UPDATE config_rules SET last_success_invocation = ?, last_success_evaluation = ? "
                                "WHERE account_id = ? AND region = ? AND name = ?",
                                [now, now, rule.account_id, rule.region, rule.name])
        else:
            self.lab.db.execute("UPDATE config_rules SET last_failed_invocation = ?, last_failed_evaluation = ?, "
                                "last_error_code = ?, last_error_message = ? WHERE account_id = ? AND region = ? AND "
                                "name = ?", [now, now, error[0], error[1][:1000], rule.account_id, rule.region,
                                             rule.name])

    def _evaluate(self, rule: Rule, now: datetime, row: dict[str, Any] | None = None, *,
                  message: dict[str, Any] | None = None, left_scope: bool = False, periodic: bool = False) -> None:
        """Run a rule once: for one changed item (``row``) or over its whole scope (``row`` None)."""
        if rule.owner == "AWS":
            managed = managed_rule(rule.source_identifier)
            try:
                if row is not None and left_scope:
                    found = [Evaluation(row["resource_type"], row["resource_id"], "NOT_APPLICABLE",
                                        row["capture_time"])]
                else:
                    item = json.loads(row["item"]) if row is not None and isinstance(row["item"], str) else \
                        (row["item"] if row is not None else None)
                    found = managed.evaluate(item, rule.input_parameters, self._context(rule, now))
            except (RuleParameterError, ClientError) as error:
                self._set_status(rule, now, ("InvalidParameterValueException"
                                             if isinstance(error, RuleParameterError) else "AccessDenied", str(error)))
                return
            self._store(rule, [(e.compliance_resource_type, e.compliance_resource_id, e.compliance_type,
                                e.annotation, e.ordering_timestamp) for e in found], now, None)
            self._set_status(rule, now, None)
            return
        if row is None and rule.frequency is not None:
            self._invoke(rule, now, {"awsAccountId": rule.account_id, "notificationCreationTime": _iso(now),
                                     "messageType": "ScheduledNotification", "recordVersion": "1.0"},
                         "ScheduledNotification", False)
        if rule.on_change:
            if row is not None:
                invoking = message or {"configurationItemDiff": None,
                                       "configurationItem": json.loads(row["item"]) if isinstance(row["item"], str)
                                       else row["item"],
                                       "notificationCreationTime": _iso(now),
                                       "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"}
                self._invoke(rule, now, invoking, "ConfigurationItemChangeNotification", left_scope)
            elif not periodic:
                context = self._context(rule, now)
                types = (rule.spec.get("Scope") or {}).get("ComplianceResourceTypes") or \
                    [t for (t,) in self.lab.db.execute("SELECT DISTINCT resource_type FROM config_items WHERE "
                                                       "account_id = ? AND region = ? ORDER BY 1",
                                                       [rule.account_id, rule.region]).fetchall()]
                for resource_type in types:
                    for item in context.list_items(resource_type):
                        self._invoke(rule, now, {"configurationItemDiff": None, "configurationItem": item,
                                                 "notificationCreationTime": _iso(now),
                                                 "messageType": "ConfigurationItemChangeNotification",
                                                 "recordVersion": "1.3"},
                                     "ConfigurationItemChangeNotification", False)

    def _invoke(self, rule: Rule, now: datetime, invoking: dict[str, Any], message_type: str, left: bool) -> None:
        """Invoke a custom rule's Lambda function with AWS's event; it answers with PutEvaluations."""
        seq = self.lab.db.execute("SELECT count(*) FROM config_result_tokens").fetchone()[0]
        token = base64.b64encode(hashlib.sha256(f"{rule.arn}/{now.isoformat()}/{seq}".encode()).digest()).decode()
        self.lab.db.execute("INSERT INTO config_result_tokens VALUES (?, ?, ?, ?, ?, ?)",
                            [token, rule.account_id, rule.region, rule.name, now, message_type])
        rec = recorder.get(self.lab.db, rule.account_id, rule.region)
        role = (rec or {}).get("role_arn") or \
            f"arn:aws:iam::{rule.account_id}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
        event = {"version": "1.0", "invokingEvent": json.dumps(invoking, default=str),
                 "ruleParameters": rule.input_parameters, "resultToken": token, "eventLeftScope": left,
                 "executionRoleArn": role, "configRuleArn": rule.arn, "configRuleName": rule.name,
                 "configRuleId": rule.rule_id, "accountId": rule.account_id, "evaluationMode": "DETECTIVE"}
        client = self.lab.service_client("lambda", SERVICE, rule.region)
        try:
            answer = client.invoke(FunctionName=rule.source_identifier, Payload=json.dumps(event).encode())
        except ClientError as error:
            self._set_status(rule, now, (error.response["Error"]["Code"], error.response["Error"]["Message"]))
            return
        if answer.get("FunctionError"):
            payload = json.loads(answer["Payload"].read() or b"{}")
            self._set_status(rule, now, (payload.get("errorType", "Unhandled"), payload.get("errorMessage", "")))
        else:
            self._set_status(rule, now, None)

    def _store(self, rule: Rule, found: list[tuple], now: datetime, token: str | None,
               invoked: datetime | None = None) -> None:
        """Record evaluations in one batch; announce each resource whose compliance type changed.

        An older result never replaces a newer one (the latest OrderingTimestamp wins); results
        recorded in the same instant keep their order, a microsecond apart.
        """
        if not found:
            return
        incoming = json.dumps([[n, f[0], f[1], f[2], f[3], f[4] if isinstance(f[4], str) else f[4].isoformat()]
                               for n, f in enumerate(found)])
        db = self.lab.db
        try:
            db.execute(STORE_SQL, {"account": rule.account_id, "region": rule.region, "rule": rule.name, "now": now,
                                   "rows": incoming}).fetchall()
            changed = db.execute(CHANGED_SQL).fetchall()
            db.execute(INSERT_SQL, {"account": rule.account_id, "region": rule.region, "rule": rule.name,
                                    "invoked": invoked or now, "token": token}).fetchall()
        finally:
            db.execute("DROP TABLE IF EXISTS config_stored_evaluations")
        channel = recorder.channel(db, rule.account_id, rule.region) if changed else None
        for (resource_type, resource_id, compliance_type, annotation, ordering, recorded, old_type, old_annotation,
             old_ordering, old_recorded, old_invoked, old_token) in changed:
            old = None if old_type is None else (old_type, old_annotation, old_ordering, old_recorded, old_invoked,
                                                 old_token)
            self._announce_compliance(rule, resource_type, resource_id, now,
                                      (compliance_type, annotation, ordering, recorded, invoked or now, token), old,
                                      channel)

    def _announce_compliance(self, rule: Rule, resource_type: str, resource_id: str, now: datetime,
                             new: tuple, old: tuple | None, channel: dict[str, Any] | None) -> None:
        def result(values: tuple) -> dict[str, Any]:
            compliance_type, annotation, ordering, recorded, invoked, token = values
            out: dict[str, Any] = {
                "evaluationResultIdentifier": {
                    "evaluationResultQualifier": {"configRuleName": rule.name, "resourceType": resource_type,
                                                  "resourceId": resource_id, "evaluationMode": "DETECTIVE"},
                    "orderingTimestamp": _iso(ordering)},
                "complianceType": compliance_type, "resultRecordedTime": _iso(recorded),
                "configRuleInvokedTime": _iso(invoked), "annotation": annotation, "resultToken": token}
            return out

        message: dict[str, Any] = {"awsAccountId": rule.account_id, "configRuleName": rule.name,
                                   "configRuleARN": rule.arn, "resourceType": resource_type,
                                   "resourceId": resource_id, "awsRegion": rule.region,
                                   "newEvaluationResult": result(new)}
        if old is not None:
            message["oldEvaluationResult"] = result(old)
        message.update(notificationCreationTime=_iso(now), messageType="ComplianceChangeNotification",
                       recordVersion="1.0")
        self.lab.hub.publish("config_compliance_changed", {"message": message, "region": rule.region,
                                                           "account_id": rule.account_id, "time": now})
        if channel and channel["sns_topic_arn"]:
            subject = (f"[AWS Config:{rule.region}] {resource_type} {resource_id} is {new[0]} with {rule.name} in "
                       f"Account {rule.account_id}")
            self.lab.service_client("sns", SERVICE, rule.region).publish(
                TopicArn=channel["sns_topic_arn"], Subject=subject[:100], Message=json.dumps(message))

    def _on_items_changed(self, facts: list[dict[str, Any]]) -> None:
        """Change-triggered rules evaluate each recorded item in their scope (rules read once per batch)."""
        active: dict[tuple[str, str], list[Rule]] = {}
        for fact in facts:
            where = (fact["account_id"], fact["region"])
            if where not in active:
                active[where] = [r for r in rules_store.rules(self.lab.db, *where) if r.on_change]
            if active[where]:
                self._evaluate_change(active[where], fact)

    def _evaluate_change(self, active: list[Rule], fact: dict[str, Any]) -> None:
        row = fact["row"]
        tags = fact["message"]["configurationItem"].get("tags") or {}
        for rule in active:
            if rule.in_scope(row["resource_type"], row["resource_id"], tags):
                self._evaluate(rule, fact["time"], row, message=fact["message"])
            elif self._has_result(rule, row["resource_type"], row["resource_id"]) and \
                    self._type_in_scope(rule, row["resource_type"]):
                self._evaluate(rule, fact["time"], row, message=fact["message"], left_scope=True)

    @staticmethod
    def _type_in_scope(rule: Rule, resource_type: str) -> bool:
        types = (rule.spec.get("Scope") or {}).get("ComplianceResourceTypes")
        return not types or resource_type in types

    def _has_result(self, rule: Rule, resource_type: str, resource_id: str) -> bool:
        return self.lab.db.execute(
            "SELECT count(*) FROM config_evaluations WHERE account_id = ? AND region = ? AND config_rule_name = ? AND "
            "resource_type = ? AND resource_id = ? AND compliance_type <> 'NOT_APPLICABLE'",
            [rule.account_id, rule.region, rule.name, resource_type, resource_id]).fetchone()[0] > 0

    def _has_periodic(self, frequency: str) -> bool:
        # asked by each frequency's job at every due instant: read the rules once per instant
        cached = self._periodic_frequencies
        if cached is None or cached[0] != self.lab.now:
            cached = (self.lab.now, {r.frequency for region in self.lab.regions
                                     for r in rules_store.rules(self.lab.db, self.lab.account_id, region)
                                     if r.state == "ACTIVE" and r.frequency})
            self._periodic_frequencies = cached
        return frequency in cached[1]

    def _rules_changed(self) -> None:
        self._periodic_frequencies = None

    def _run_periodic(self, frequency: str, instant: datetime) -> None:
        for region in self.lab.regions:
            for rule in rules_store.rules(self.lab.db, self.lab.account_id, region):
                if rule.frequency == frequency and rule.state == "ACTIVE" and rule.created < instant:
                    self._evaluate(rule, instant, periodic=True)

    # ------------------------------------------------------------------ rules API
    def put_config_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._rules_changed()
        spec = rules_store.validate(params["ConfigRule"], lambda arn: self._lambda_exists(call.region, arn))
        name = spec["ConfigRuleName"]
        existing = call.db.execute("SELECT state FROM config_rules WHERE account_id = ? AND region = ? AND name = ?",
                                   [call.account_id, call.region, name]).fetchone()
        if existing is None:
            count = call.db.execute("SELECT count(*) FROM config_rules WHERE account_id = ? AND region = ?",
                                    [call.account_id, call.region]).fetchone()[0]
            if count >= rules_store.MAX_RULES:
                raise AWSError("MaxNumberOfConfigRulesExceededException", f"Failed to put config rule '{name}' "
                               f"because the maximum number of config rules: {rules_store.MAX_RULES} is reached.")
            rule_id = rules_store.rule_id_for(call.account_id, call.region, name)
            arn = f"arn:aws:config:{call.region}:{call.account_id}:config-rule/{rule_id}"
            call.db.execute("INSERT INTO config_rules (account_id, region, name, rule_id, arn, spec, state, created) "
                            "VALUES (?, ?, ?, ?, ?, ?, 'ACTIVE', ?)",
                            [call.account_id, call.region, name, rule_id, arn, json.dumps(spec), call.time])
        else:
            if existing[0] != "ACTIVE":
                raise AWSError("ResourceInUseException", f"The rule {name} is currently being deleted.  Please "
                               "retry after some time")
            call.db.execute("UPDATE config_rules SET spec = ? WHERE account_id = ? AND region = ? AND name = ?",
                            [json.dumps(spec), call.account_id, call.region, name])
        # a new or updated rule evaluates at once (evaluate-config-rules.html)
        self._evaluate(rules_store.get(call.db, call.account_id, call.region, name), call.time)
        return {}

    def _lambda_exists(self, region: str, arn: str) -> bool:
        try:
            self.lab.service_client("lambda", SERVICE, region).get_function(FunctionName=arn)
            return True
        except ClientError:
            return False

    def describe_config_rules(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = rules_store.rules(call.db, call.account_id, call.region, params.get("ConfigRuleNames"))
        shown = [{**r.spec, "ConfigRuleArn": r.arn, "ConfigRuleId": r.rule_id, "ConfigRuleState": r.state,
                  "EvaluationModes": [{"Mode": "DETECTIVE"}]} for r in found]
        return _page(shown, params, "ConfigRules", default=25)

    def delete_config_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._rules_changed()
        name = params["ConfigRuleName"]
        rules_store.get(call.db, call.account_id, call.region, name)
        if call.db.execute("SELECT count(*) FROM config_remediations WHERE account_id = ? AND region = ? AND "
                           "config_rule_name = ?", [call.account_id, call.region, name]).fetchone()[0]:
            raise AWSError("ResourceInUseException", f"The rule {name} has a remediation configuration attached. "
                           "Delete the remediation configuration before deleting the rule.")
        for table, column in (("config_rules", "name"), ("config_evaluations", "config_rule_name"),
                              ("config_result_tokens", "config_rule_name")):
            call.db.execute(f"DELETE FROM {table} WHERE account_id = ? AND region = ? AND {column} = ?",
                            [call.account_id, call.region, name])
        return {}

    def delete_evaluation_results(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        rules_store.get(call.db, call.account_id, call.region, name)
        call.db.execute("DELETE FROM config_evaluations WHERE account_id = ? AND region = ? AND config_rule_name = ?",
                        [call.account_id, call.region, name])
        return {}

    def start_config_rules_evaluation(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        names = params.get("ConfigRuleNames") or []
        if len(names) > 25:
            raise AWSError("LimitExceededException", "The number of rules exceeds the limit of 25.")
        for rule in rules_store.rules(call.db, call.account_id, call.region, names or None):
            # re-runs against the last known state; nothing is re-recorded
            self._evaluate(rule, call.time)
        return {}

    def describe_config_rule_evaluation_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = rules_store.rules(call.db, call.account_id, call.region, params.get("ConfigRuleNames"))
        out = []
        for rule in found:
            row = call.db.execute("SELECT last_success_invocation, last_failed_invocation, last_success_evaluation, "
                                  "last_failed_evaluation, last_error_code, last_error_message FROM config_rules "
                                  "WHERE account_id = ? AND region = ? AND name = ?",
                                  [rule.account_id, rule.region, rule.name]).fetchone()
            status: dict[str, Any] = {"ConfigRuleName": rule.name, "ConfigRuleArn": rule.arn,
                                      "ConfigRuleId": rule.rule_id, "FirstActivatedTime": rule.created,
                                      "FirstEvaluationStarted": True}
            for key, value in zip(("LastSuccessfulInvocationTime", "LastFailedInvocationTime",
                                   "LastSuccessfulEvaluationTime", "LastFailedEvaluationTime", "LastErrorCode",
                                   "LastErrorMessage"), row):
                if value is not None:
                    status[key] = value
            out.append(status)
        return _page(out, params, "ConfigRulesEvaluationStatus", default=1000)

    # ------------------------------------------------------------------ PutEvaluations
    def put_evaluations(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        evaluations = params.get("Evaluations") or []
        if not evaluations:
            raise invalid("The Evaluations object in your request cannot be null.Add the required parameters and "
                          "try again.")
        if len(evaluations) > 100:
            raise AWSError("ValidationException", "1 validation error detected: Value at 'evaluations' failed to "
                           "satisfy constraint: Member must have length less than or equal to 100")
        for n, evaluation in enumerate(evaluations, 1):
            if evaluation["ComplianceType"] not in EVALUATION_COMPLIANCE_TYPES:
                if evaluation["ComplianceType"] == "INSUFFICIENT_DATA":
                    raise invalid("The ComplianceType INSUFFICIENT_DATA is not supported for PutEvaluations; use "
                                  "COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE.")
                raise rules_store.enum_error(evaluation["ComplianceType"], f"evaluations.{n}.member.complianceType",
                                        ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA"))
            if len(evaluation.get("Annotation") or "") > MAX_ANNOTATION_LENGTH:
                raise AWSError("ValidationException", f"1 validation error detected: Value at "
                               f"'evaluations.{n}.member.annotation' failed to satisfy constraint: Member must have "
                               "length less than or equal to 256")
            for key, limit in (("ComplianceResourceType", 256), ("ComplianceResourceId", 768)):
                if not 1 <= len(evaluation[key]) <= limit:
                    raise AWSError("ValidationException", f"1 validation error detected: Value at "
                                   f"'evaluations.{n}.member.{key[0].lower() + key[1:]}' failed to satisfy "
                                   f"constraint: Member must have length between 1 and {limit}")
        token = params["ResultToken"]
        found = call.db.execute("SELECT config_rule_name, invoked_time FROM config_result_tokens WHERE token = ? AND "
                                "account_id = ? AND region = ?", [token, call.account_id, call.region]).fetchone()
        if found is None:
            raise AWSError("InvalidResultTokenException", "The resultToken provided is invalid")
        name, invoked = found
        exists = call.db.execute("SELECT count(*) FROM config_rules WHERE account_id = ? AND region = ? AND name = ?",
                                 [call.account_id, call.region, name]).fetchone()[0]
        if not exists:
            raise no_such_rule(name)
        if params.get("TestMode"):
            return {"FailedEvaluations": []}
        rule = rules_store.get(call.db, call.account_id, call.region, name)
        self._store(rule, [(e["ComplianceResourceType"], e["ComplianceResourceId"], e["ComplianceType"],
                            e.get("Annotation"), e["OrderingTimestamp"]) for e in evaluations],
                    call.time, token, invoked)
        return {"FailedEvaluations": []}

    # ------------------------------------------------------------------ compliance API
    def _rule_names(self, call: Call, names: list[str] | None = None) -> list[str]:
        return [r.name for r in rules_store.rules(call.db, call.account_id, call.region, names)]

    def describe_compliance_by_config_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        names = self._rule_names(call, params.get("ConfigRuleNames"))
        found = compliance.compliance_by_config_rule(call.db, names, scope=(call.account_id, call.region),
                                                     compliance_types=params.get("ComplianceTypes"))
        return _page(found, params, "ComplianceByConfigRules", default=1000)

    def describe_compliance_by_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("ResourceId") and not params.get("ResourceType"):
            raise invalid("The resourceType is required when resourceId is provided.")
        found = compliance.compliance_by_resource(
            call.db, scope=(call.account_id, call.region), rule_names=self._rule_names(call),
            resource_type=params.get("ResourceType"), resource_id=params.get("ResourceId"),
            compliance_types=params.get("ComplianceTypes"))
        return _page(found, params, "ComplianceByResources", default=100)

    def _results(self, call: Call, where: str, args: dict[str, Any], types: list[str] | None) -> list[dict[str, Any]]:
        sql = (f"SELECT * FROM ({compliance.current_results_sql('config_evaluations', scoped=True)}) "
               f"WHERE {where} ORDER BY config_rule_name, resource_type, resource_id")
        cursor = call.db.execute(sql, {"scope_account": call.account_id, "scope_region": call.region, **args})
        names = [c[0] for c in cursor.description]
        out = []
        for values in cursor.fetchall():
            r = dict(zip(names, values))
            if types and r["compliance_type"] not in types:
                continue
            result: dict[str, Any] = {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {"ConfigRuleName": r["config_rule_name"],
                                                  "ResourceType": r["resource_type"], "ResourceId": r["resource_id"],
                                                  "EvaluationMode": "DETECTIVE"},
                    "OrderingTimestamp": r["ordering_timestamp"]},
                "ComplianceType": r["compliance_type"], "ResultRecordedTime": r["result_recorded_time"],
                "ConfigRuleInvokedTime": r["config_rule_invoked_time"]}
            if r["annotation"]:
                result["Annotation"] = r["annotation"]
            if r["result_token"]:
                result["ResultToken"] = r["result_token"]
            out.append(result)
        return out

    def get_compliance_details_by_config_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        rules_store.get(call.db, call.account_id, call.region, name)
        found = self._results(call, "config_rule_name = $name", {"name": name}, params.get("ComplianceTypes"))
        return _page(found, params, "EvaluationResults", default=100)

    def get_compliance_details_by_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        names = self._rule_names(call)
        found = self._results(call, "resource_type = $type AND resource_id = $id AND list_contains($names::VARCHAR[], "
                                    "config_rule_name)", {"type": params["ResourceType"], "id": params["ResourceId"],
                                                          "names": names}, params.get("ComplianceTypes"))
        return _page(found, params, "EvaluationResults", default=100)

    def get_compliance_summary_by_config_rule(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"ComplianceSummary": compliance.compliance_summary_by_config_rule(
            call.db, self._rule_names(call), call.time, scope=(call.account_id, call.region))}

    def get_compliance_summary_by_resource_type(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"ComplianceSummariesByResourceType": compliance.compliance_summary_by_resource_type(
            call.db, call.time, params.get("ResourceTypes"), scope=(call.account_id, call.region),
            rule_names=self._rule_names(call))}


__all__ = ["ConfigRuleOperations"]
