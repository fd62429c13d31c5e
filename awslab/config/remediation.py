"""Remediation of noncompliant resources, mixed into ConfigService, and the lab's automation documents.

https://docs.aws.amazon.com/config/latest/developerguide/remediation.html
https://docs.aws.amazon.com/config/latest/APIReference/API_RemediationConfiguration.html
https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-disables3bucketpublicreadwrite.html
https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-disablepublicaccessforsecuritygroup.html

A rule has at most one remediation configuration: an SSM automation document run for a
noncompliant resource, by hand (StartRemediationExecution) or automatically when the rule finds
the resource noncompliant. The lab's documents are small Python functions calling the lab's API
as Systems Manager Automation does: as the role in the ``AutomationAssumeRole`` parameter, or,
without one, as the lab's default principal (Automation then uses the caller's permissions). A failed automatic remediation is retried on the lab clock, spaced so
that MaximumAutomaticAttempts fit in RetryAttemptSeconds (plausible: AWS documents only the
window); when they are used up Config puts a RemediationException on the resource.

Volume encryption (AWSConfigRemediation-EncryptEBSVolume...) is not available: the lab's EC2
has no snapshots to copy a volume through.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..errors import AWSError
from ..gateway import Call
from . import rules_store
from .rules.compliance import current_results_sql
from .rules_store import invalid

SSM = "ssm.amazonaws.com"


class _Clients:
    """boto3 clients of the lab made as the automation's principal."""

    def __init__(self, lab: Any, cache: dict[tuple, Any], role: str | None) -> None:
        self.lab, self.cache, self.role = lab, cache, role

    def service_client(self, name: str, _principal: str, region: str) -> Any:
        key = (name, region, self.role)
        if key not in self.cache:
            self.cache[key] = self.lab.client(name, region_name=region, principal=self.role)
        return self.cache[key]

CREATE = [
    """CREATE TABLE IF NOT EXISTS config_remediations (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, config_rule_name VARCHAR NOT NULL, spec JSON NOT NULL,
        PRIMARY KEY (account_id, region, config_rule_name))""",
    """CREATE TABLE IF NOT EXISTS config_remediation_executions (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, config_rule_name VARCHAR NOT NULL,
        resource_type VARCHAR NOT NULL, resource_id VARCHAR NOT NULL, state VARCHAR NOT NULL,
        invocation_time TIMESTAMPTZ NOT NULL, last_updated TIMESTAMPTZ NOT NULL, attempts INTEGER NOT NULL,
        next_attempt TIMESTAMPTZ, error VARCHAR, automatic BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS config_remediation_exceptions (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, config_rule_name VARCHAR NOT NULL,
        resource_type VARCHAR NOT NULL, resource_id VARCHAR NOT NULL, message VARCHAR,
        expiration_time TIMESTAMPTZ)""",
]


def _disable_s3_public_read_write(lab: Any, region: str, params: dict[str, list[str]]) -> None:
    """AWS-DisableS3BucketPublicReadWrite: turn on all four S3 Block Public Access settings."""
    lab.service_client("s3", SSM, region).put_public_access_block(
        Bucket=params["S3BucketName"][0], PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})


def _enable_s3_encryption(lab: Any, region: str, params: dict[str, list[str]]) -> None:
    """AWS-EnableS3BucketEncryption: default encryption with SSEAlgorithm (AES256 by default)."""
    algorithm = (params.get("SSEAlgorithm") or ["AES256"])[0]
    lab.service_client("s3", SSM, region).put_bucket_encryption(
        Bucket=params["BucketName"][0], ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}]})


def _disable_public_access_for_security_group(lab: Any, region: str, params: dict[str, list[str]]) -> None:
    """AWS-DisablePublicAccessForSecurityGroup: revoke SSH (22) and RDP (3389) from 0.0.0.0/0 and ::/0."""
    ec2 = lab.service_client("ec2", SSM, region)
    group_id = params["GroupId"][0]
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    for permission in group.get("IpPermissions", []):
        low, high = permission.get("FromPort", 0), permission.get("ToPort", 65535)
        everything = permission.get("IpProtocol") == "-1"
        if not (everything or (permission.get("IpProtocol") == "tcp" and
                               any(low <= port <= high for port in (22, 3389)))):
            continue
        open_v4 = [r for r in permission.get("IpRanges", []) if r.get("CidrIp") == "0.0.0.0/0"]
        open_v6 = [r for r in permission.get("Ipv6Ranges", []) if r.get("CidrIpv6") == "::/0"]
        if open_v4 or open_v6:
            revoke = {k: v for k, v in permission.items() if k in ("IpProtocol", "FromPort", "ToPort")}
            ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[
                {**revoke, **({"IpRanges": [{"CidrIp": "0.0.0.0/0"}]} if open_v4 else {}),
                 **({"Ipv6Ranges": [{"CidrIpv6": "::/0"}]} if open_v6 else {})}])


NONCOMPLIANT_SQL = f"""SELECT resource_type, resource_id FROM ({current_results_sql(scoped=True)})
WHERE config_rule_name = $rule AND compliance_type = 'NON_COMPLIANT'
ORDER BY resource_type, resource_id"""

DOCUMENTS: dict[str, Callable[[Any, str, dict[str, list[str]]], None]] = {
    "AWS-DisableS3BucketPublicReadWrite": _disable_s3_public_read_write,
    "AWS-EnableS3BucketEncryption": _enable_s3_encryption,
    "AWS-DisablePublicAccessForSecurityGroup": _disable_public_access_for_security_group,
}


def _resolve(spec: dict[str, Any], resource_id: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in (spec.get("Parameters") or {}).items():
        if "ResourceValue" in value:
            out[name] = [resource_id]
        else:
            out[name] = list((value.get("StaticValue") or {}).get("Values") or [])
    return out


class RemediationOperations:
    """Remediation configurations, executions and exceptions (a mixin of ConfigService)."""

    lab: Any

    def _setup_remediation(self) -> None:
        self._automation_clients: dict[tuple, Any] = {}
        for statement in CREATE:
            self.lab.db.execute(statement)
        self.lab.hub.subscribe("config_compliance_changed", self._on_compliance_changed)
        self.lab.scheduler.every("config remediation retries", timedelta(minutes=1), self._retry_due,
                                 is_active=self._retries_pending, order=63)

    def _remediation(self, account: str, region: str, rule: str) -> dict[str, Any] | None:
        row = self.lab.db.execute("SELECT spec FROM config_remediations WHERE account_id = ? AND region = ? AND "
                                  "config_rule_name = ?", [account, region, rule]).fetchone()
        return None if row is None else json.loads(row[0])

    def _excepted(self, account: str, region: str, rule: str, resource_id: str, now: datetime) -> bool:
        return self.lab.db.execute(
            "SELECT count(*) FROM config_remediation_exceptions WHERE account_id = ? AND region = ? AND "
            "config_rule_name = ? AND resource_id = ? AND (expiration_time IS NULL OR expiration_time > ?)",
            [account, region, rule, resource_id, now]).fetchone()[0] > 0

    def _execute(self, account: str, region: str, rule: str, resource_type: str, resource_id: str,
                 now: datetime, automatic: bool) -> str:
        """Run the document once for one resource; returns the execution state."""
        spec = self._remediation(account, region, rule)
        assert spec is not None
        previous = self.lab.db.execute(
            "SELECT attempts, invocation_time FROM config_remediation_executions WHERE account_id = ? AND region = ? "
            "AND config_rule_name = ? AND resource_id = ?", [account, region, rule, resource_id]).fetchone()
        attempts = (previous[0] if previous and automatic else 0) + 1
        error = None
        try:
            params = _resolve(spec, resource_id)
            role = (params.get("AutomationAssumeRole") or [None])[0]
            DOCUMENTS[spec["TargetId"]](_Clients(self.lab, self._automation_clients, role), region, params)
        except (ClientError, KeyError, IndexError, LookupError) as failure:
            error = str(failure)
        state, next_attempt = ("SUCCEEDED", None) if error is None else ("FAILED", None)
        if error is not None and automatic:
            maximum = spec.get("MaximumAutomaticAttempts") or 5
            if attempts >= maximum:
                self.lab.db.execute("INSERT INTO config_remediation_exceptions VALUES (?, ?, ?, ?, ?, ?, NULL)",
                                    [account, region, rule, resource_type, resource_id,
                                     f"Automatic remediation failed {attempts} times: {error}"[:1024]])
            else:
                spacing = math.ceil((spec.get("RetryAttemptSeconds") or 60) / maximum)
                next_attempt = now + timedelta(seconds=spacing)
        self.lab.db.execute("DELETE FROM config_remediation_executions WHERE account_id = ? AND region = ? AND "
                            "config_rule_name = ? AND resource_id = ?", [account, region, rule, resource_id])
        self.lab.db.execute("INSERT INTO config_remediation_executions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [account, region, rule, resource_type, resource_id, state,
                             previous[1] if previous and automatic and attempts > 1 else now, now, attempts,
                             next_attempt, error, automatic])
        return state

    def _on_compliance_changed(self, fact: dict[str, Any]) -> None:
        message = fact["message"]
        if message["newEvaluationResult"]["complianceType"] != "NON_COMPLIANT":
            return
        account, region, rule = fact["account_id"], fact["region"], message["configRuleName"]
        spec = self._remediation(account, region, rule)
        if spec and spec.get("Automatic") and not self._excepted(account, region, rule, message["resourceId"],
                                                                 fact["time"]):
            self._execute(account, region, rule, message["resourceType"], message["resourceId"], fact["time"], True)

    def _retries_pending(self) -> bool:
        return self.lab.db.execute("SELECT count(*) FROM config_remediation_executions WHERE next_attempt IS NOT "
                                   "NULL").fetchone()[0] > 0

    def _retry_due(self, instant: datetime) -> None:
        due = self.lab.db.execute("SELECT account_id, region, config_rule_name, resource_type, resource_id FROM "
                                  "config_remediation_executions WHERE next_attempt <= ?", [instant]).fetchall()
        for account, region, rule, resource_type, resource_id in due:
            self.lab.db.execute("UPDATE config_remediation_executions SET next_attempt = NULL WHERE account_id = ? "
                                "AND region = ? AND config_rule_name = ? AND resource_id = ?",
                                [account, region, rule, resource_id])
            if self._remediation(account, region, rule) and not self._excepted(account, region, rule, resource_id,
                                                                               instant):
                self._execute(account, region, rule, resource_type, resource_id, instant, True)

    # ------------------------------------------------------------------ API
    def put_remediation_configurations(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        failed = []
        for spec in params["RemediationConfigurations"]:
            rules_store.get(call.db, call.account_id, call.region, spec["ConfigRuleName"])
            if spec["TargetType"] != "SSM_DOCUMENT":
                raise invalid(f"TargetType {spec['TargetType']} is not supported.")
            if spec["TargetId"] not in DOCUMENTS:
                raise invalid(f"The document {spec['TargetId']} is not available in awslab; available documents: "
                              f"{', '.join(sorted(DOCUMENTS))}.")
            if len(spec.get("Parameters") or {}) > 25:
                raise invalid("The number of parameters exceeds the limit of 25.")
            attempts, seconds = spec.get("MaximumAutomaticAttempts"), spec.get("RetryAttemptSeconds")
            if attempts is not None and not 1 <= attempts <= 25:
                raise AWSError("ValidationException", f"1 validation error detected: Value '{attempts}' at "
                               "'remediationConfigurations.1.member.maximumAutomaticAttempts' failed to satisfy "
                               "constraint: Member must have value between 1 and 25")
            if seconds is not None and not 1 <= seconds <= 2678000:
                raise AWSError("ValidationException", f"1 validation error detected: Value '{seconds}' at "
                               "'remediationConfigurations.1.member.retryAttemptSeconds' failed to satisfy "
                               "constraint: Member must have value between 1 and 2678000")
            if spec.get("Automatic"):
                spec = {"MaximumAutomaticAttempts": 5, "RetryAttemptSeconds": 60, **spec}
            rule = rules_store.get(call.db, call.account_id, call.region, spec["ConfigRuleName"])
            spec = {**spec, "Arn": f"arn:aws:config:{call.region}:{call.account_id}:remediation-configuration/"
                                   f"{rule.name}/{rule.rule_id}", "CreatedByService": None}
            spec = {k: v for k, v in spec.items() if v is not None}
            call.db.execute("INSERT OR REPLACE INTO config_remediations VALUES (?, ?, ?, ?)",
                            [call.account_id, call.region, spec["ConfigRuleName"], json.dumps(spec)])
            if spec.get("Automatic"):
                self._remediate_noncompliant(call, spec["ConfigRuleName"])
        return {"FailedBatches": failed}

    def _remediate_noncompliant(self, call: Call, rule: str) -> None:
        """Turning automatic remediation on starts it for every resource the rule now holds noncompliant
        (API_PutRemediationConfigurations: "Auto remediation can be initiated even for compliant resources")."""
        found = call.db.execute(NONCOMPLIANT_SQL, {"scope_account": call.account_id, "scope_region": call.region,
                                                   "rule": rule}).fetchall()
        for resource_type, resource_id in found:
            if not self._excepted(call.account_id, call.region, rule, resource_id, call.time):
                self._execute(call.account_id, call.region, rule, resource_type, resource_id, call.time, True)

    def describe_remediation_configurations(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        found = []
        for name in params["ConfigRuleNames"]:
            spec = self._remediation(call.account_id, call.region, name)
            if spec:
                found.append(spec)
        return {"RemediationConfigurations": found}

    def delete_remediation_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        if self._remediation(call.account_id, call.region, name) is None:
            raise AWSError("NoSuchRemediationConfigurationException", "No RemediationConfiguration for rule exists.")
        call.db.execute("DELETE FROM config_remediations WHERE account_id = ? AND region = ? AND config_rule_name = ?",
                        [call.account_id, call.region, name])
        return {}

    def start_remediation_execution(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        if self._remediation(call.account_id, call.region, name) is None:
            raise AWSError("NoSuchRemediationConfigurationException", "No RemediationConfiguration for rule exists.")
        failed = []
        for key in params["ResourceKeys"]:
            state = self._execute(call.account_id, call.region, name, key["resourceType"], key["resourceId"],
                                  call.time, False)
            if state == "FAILED":
                failed.append(key)
        out: dict[str, Any] = {"FailedItems": failed}
        if failed:
            out["FailureMessage"] = "The remediation of one or more resources failed."
        return out

    def describe_remediation_execution_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        if self._remediation(call.account_id, call.region, name) is None:
            raise AWSError("NoSuchRemediationConfigurationException", "No RemediationConfiguration for rule exists.")
        wanted = {k["resourceId"] for k in params.get("ResourceKeys") or []}
        rows = call.db.execute("SELECT resource_type, resource_id, state, invocation_time, last_updated, error FROM "
                               "config_remediation_executions WHERE account_id = ? AND region = ? AND "
                               "config_rule_name = ? ORDER BY resource_type, resource_id",
                               [call.account_id, call.region, name]).fetchall()
        out = []
        for resource_type, resource_id, state, invoked, updated, error in rows:
            if wanted and resource_id not in wanted:
                continue
            step: dict[str, Any] = {"Name": "Remediation", "State": state, "StartTime": updated,
                                    "StopTime": updated}
            if error:
                step["ErrorMessage"] = error[:1024]
            out.append({"ResourceKey": {"resourceType": resource_type, "resourceId": resource_id}, "State": state,
                        "StepDetails": [step], "InvocationTime": invoked, "LastUpdatedTime": updated})
        return {"RemediationExecutionStatuses": out}

    def put_remediation_exceptions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        rules_store.get(call.db, call.account_id, call.region, name)
        for key in params["ResourceKeys"]:
            call.db.execute("DELETE FROM config_remediation_exceptions WHERE account_id = ? AND region = ? AND "
                            "config_rule_name = ? AND resource_id = ?",
                            [call.account_id, call.region, name, key["ResourceId"]])
            call.db.execute("INSERT INTO config_remediation_exceptions VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [call.account_id, call.region, name, key["ResourceType"], key["ResourceId"],
                             params.get("Message"), params.get("ExpirationTime")])
        return {"FailedBatches": []}

    def describe_remediation_exceptions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigRuleName"]
        wanted = {k["ResourceId"] for k in params.get("ResourceKeys") or []}
        rows = call.db.execute("SELECT resource_type, resource_id, message, expiration_time FROM "
                               "config_remediation_exceptions WHERE account_id = ? AND region = ? AND "
                               "config_rule_name = ? ORDER BY resource_type, resource_id",
                               [call.account_id, call.region, name]).fetchall()
        out = []
        for resource_type, resource_id, message, expiration in rows:
            if wanted and resource_id not in wanted:
                continue
            entry: dict[str, Any] = {"ConfigRuleName": name, "ResourceType": resource_type, "ResourceId": resource_id}
            if message:
                entry["Message"] = message
            if expiration:
                entry["ExpirationTime"] = expiration
            out.append(entry)
        return {"RemediationExceptions": out}

    def delete_remediation_exceptions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        for key in params["ResourceKeys"]:
            call.db.execute("DELETE FROM config_remediation_exceptions WHERE account_id = ? AND region = ? AND "
                            "config_rule_name = ? AND resource_id = ?",
                            [call.account_id, call.region, params["ConfigRuleName"], key["ResourceId"]])
        return {"FailedBatches": []}
