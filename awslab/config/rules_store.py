"""Config rules and their evaluations as tables, and the checks PutConfigRule makes.

https://docs.aws.amazon.com/config/latest/APIReference/API_PutConfigRule.html
https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html
https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config-rules.html

Messages follow what moto reproduces from AWS (the API reference gives codes, not messages).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import AWSError
from .rules.managed import managed_rule

CREATE = [
    """CREATE TABLE IF NOT EXISTS config_rules (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, name VARCHAR NOT NULL, rule_id VARCHAR NOT NULL,
        arn VARCHAR NOT NULL, spec JSON NOT NULL, state VARCHAR NOT NULL, created TIMESTAMPTZ NOT NULL,
        last_success_invocation TIMESTAMPTZ, last_failed_invocation TIMESTAMPTZ,
        last_success_evaluation TIMESTAMPTZ, last_failed_evaluation TIMESTAMPTZ,
        last_error_code VARCHAR, last_error_message VARCHAR, PRIMARY KEY (account_id, region, name))""",
    """CREATE TABLE IF NOT EXISTS config_evaluations (
        account_id VARCHAR NOT NULL, region VARCHAR NOT NULL, config_rule_name VARCHAR NOT NULL,
        resource_type VARCHAR NOT NULL, resource_id VARCHAR NOT NULL, compliance_type VARCHAR NOT NULL,
        annotation VARCHAR, ordering_timestamp TIMESTAMPTZ NOT NULL, result_recorded_time TIMESTAMPTZ NOT NULL,
        config_rule_invoked_time TIMESTAMPTZ NOT NULL, result_token VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS config_result_tokens (
        token VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, region VARCHAR NOT NULL,
        config_rule_name VARCHAR NOT NULL, invoked_time TIMESTAMPTZ NOT NULL, message_type VARCHAR NOT NULL)""",
]

OWNERS = ("AWS", "CUSTOM_LAMBDA", "CUSTOM_POLICY")
MESSAGE_TYPES = ("ConfigurationItemChangeNotification", "ConfigurationSnapshotDeliveryCompleted",
                 "OversizedConfigurationItemChangeNotification", "ScheduledNotification")
CHANGE_TYPES = ("ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification")
FREQUENCIES = {"One_Hour": 1, "Three_Hours": 3, "Six_Hours": 6, "Twelve_Hours": 12, "TwentyFour_Hours": 24}
DEFAULT_FREQUENCY = "TwentyFour_Hours"
MAX_RULES = 1000


def invalid(message: str) -> AWSError:
    return AWSError("InvalidParameterValueException", message)


def enum_error(value: str, where: str, allowed) -> AWSError:
    return AWSError("ValidationException", f"1 validation error detected: Value '{value}' at '{where}' failed to "
                    f"satisfy constraint: Member must satisfy enum value set: [{', '.join(sorted(allowed))}]")


def no_such_rule(name: str) -> AWSError:
    return AWSError("NoSuchConfigRuleException",
                    f"The ConfigRule '{name}' provided in the request is invalid. Please check the configRule name")


@dataclass
class Rule:
    """One stored rule: its API spec and what triggers it."""

    account_id: str
    region: str
    name: str
    rule_id: str
    arn: str
    spec: dict[str, Any]
    state: str
    created: datetime

    @property
    def owner(self) -> str:
        return self.spec["Source"]["Owner"]

    @property
    def source_identifier(self) -> str:
        return self.spec["Source"].get("SourceIdentifier", "")

    @property
    def input_parameters(self) -> str:
        return self.spec.get("InputParameters") or "{}"

    @property
    def on_change(self) -> bool:
        if self.owner == "AWS":
            managed = managed_rule(self.source_identifier)
            return managed.trigger.on_change and not managed.account_level
        return any(d.get("MessageType") in CHANGE_TYPES for d in self.spec["Source"].get("SourceDetails") or [])

    @property
    def frequency(self) -> str | None:
        """The periodic frequency, or None for a rule that only runs on changes."""
        if self.owner == "AWS":
            managed = managed_rule(self.source_identifier)
            if managed.trigger.periodic or managed.account_level:
                return self.spec.get("MaximumExecutionFrequency") or DEFAULT_FREQUENCY
            return None
        for detail in self.spec["Source"].get("SourceDetails") or []:
            if detail.get("MessageType") == "ScheduledNotification":
                return (detail.get("MaximumExecutionFrequency") or self.spec.get("MaximumExecutionFrequency")
                        or DEFAULT_FREQUENCY)
        return None

    def in_scope(self, resource_type: str, resource_id: str, tags: dict[str, str]) -> bool:
        """Whether a resource falls in the rule's Scope (types, one resource, or a tag)."""
        scope = self.spec.get("Scope") or {}
        if scope.get("ComplianceResourceTypes") and resource_type not in scope["ComplianceResourceTypes"]:
            return False
        if scope.get("ComplianceResourceId") and resource_id != scope["ComplianceResourceId"]:
            return False
        if scope.get("TagKey"):
            if scope["TagKey"] not in tags:
                return False
            if scope.get("TagValue") is not None and tags[scope["TagKey"]] != scope["TagValue"]:
                return False
        if self.owner == "AWS" and resource_type not in managed_rule(self.source_identifier).resource_types:
            return False
        return True


def rule_id_for(account_id: str, region: str, name: str) -> str:
    digest = hashlib.sha256(f"{account_id}/{region}/{name}".encode()).hexdigest()
    letters = "".join(c for c in digest if c.isalpha())[:2] + digest[:4]
    return f"config-rule-{letters}"


def _rule(row: tuple, names: list[str]) -> Rule:
    found = dict(zip(names, row))
    return Rule(found["account_id"], found["region"], found["name"], found["rule_id"], found["arn"],
                json.loads(found["spec"]), found["state"], found["created"])


def rules(db, account_id: str, region: str, names: list[str] | None = None) -> list[Rule]:
    cursor = db.execute("SELECT * FROM config_rules WHERE account_id = ? AND region = ? ORDER BY name",
                        [account_id, region])
    columns = [c[0] for c in cursor.description]
    found = [_rule(r, columns) for r in cursor.fetchall()]
    if names:
        known = {r.name for r in found}
        for name in names:
            if name not in known:
                raise no_such_rule(name)
        found = [r for r in found if r.name in names]
    return found


def get(db, account_id: str, region: str, name: str) -> Rule:
    found = rules(db, account_id, region, [name])
    return found[0]


def validate(spec: dict[str, Any], lambda_exists) -> dict[str, Any]:
    """PutConfigRule's checks; returns the spec as DescribeConfigRules will show it."""
    name = spec.get("ConfigRuleName")
    if not name:
        raise invalid("One or more identifiers needs to be provided. Provide Name or Id or Arn")
    if len(name) > 128:
        raise AWSError("ValidationException", f"1 validation error detected: Value '{name}' at "
                       "'configRule.configRuleName' failed to satisfy constraint: Member must have length less than "
                       "or equal to 128")
    if spec.get("CreatedBy"):
        raise invalid("AWS Config populates the CreatedBy field for ServiceLinkedConfigRule. Try again without "
                      "populating the CreatedBy field")
    scope = spec.get("Scope") or {}
    if scope.get("TagValue") and not scope.get("TagKey"):
        raise invalid("Tag key should not be empty when tag value is provided in scope")
    if scope.get("TagKey") and (scope.get("ComplianceResourceTypes") or scope.get("ComplianceResourceId")):
        raise invalid("Scope cannot be applied to both resource and tag")
    if scope.get("ComplianceResourceId") and len(scope.get("ComplianceResourceTypes") or []) != 1:
        raise invalid("A single resourceType should be provided when resourceId is provided in scope")
    if len(scope.get("ComplianceResourceTypes") or []) > 100:
        raise AWSError("ValidationException", "1 validation error detected: Value at "
                       "'configRule.scope.complianceResourceTypes' failed to satisfy constraint: Member must have "
                       "length less than or equal to 100")
    frequency = spec.get("MaximumExecutionFrequency")
    if frequency is not None and frequency not in FREQUENCIES:
        raise enum_error(frequency, "configRule.maximumExecutionFrequency", FREQUENCIES)
    source = spec["Source"]
    owner = source["Owner"]
    if owner not in OWNERS:
        raise enum_error(owner, "configRule.source.owner", OWNERS)
    details = source.get("SourceDetails") or []
    parameters = spec.get("InputParameters")
    if parameters is not None and len(parameters) > 1024:
        raise AWSError("ValidationException", "1 validation error detected: Value at 'configRule.inputParameters' "
                       "failed to satisfy constraint: Member must have length less than or equal to 1024")
    if owner == "AWS":
        managed = managed_rule(source.get("SourceIdentifier", ""))
        if details:
            raise invalid("SourceDetails should be null/empty if the owner is AWS. SourceDetails should be provided "
                          "if the owner is CUSTOM_LAMBDA")
        managed.validate_input_parameters(parameters)
    elif owner == "CUSTOM_POLICY":
        raise invalid("awslab does not evaluate Guard policies: CUSTOM_POLICY rules are not available in the lab.")
    else:
        if not details:
            raise invalid("SourceDetails should be null/empty if the owner is AWS. SourceDetails should be provided "
                          "if the owner is CUSTOM_LAMBDA")
        if len(details) > 25:
            raise AWSError("ValidationException", "1 validation error detected: Value at "
                           "'configRule.source.sourceDetails' failed to satisfy constraint: Member must have length "
                           "less than or equal to 25")
        for detail in details:
            if not detail.get("EventSource"):
                raise AWSError("MissingRequiredConfigRuleParameterException",
                               "Missing required parameter in ConfigRule.SourceDetails: 'EventSource'")
            if detail["EventSource"] != "aws.config":
                raise enum_error(detail["EventSource"], "configRule.source.sourceDetails.eventSource", ["aws.config"])
            if not detail.get("MessageType"):
                raise AWSError("MissingRequiredConfigRuleParameterException",
                               "Missing required parameter in ConfigRule.SourceDetails: 'MessageType'")
            if detail["MessageType"] not in MESSAGE_TYPES:
                raise enum_error(detail["MessageType"], "configRule.source.sourceDetails.messageType", MESSAGE_TYPES)
            wanted = detail.get("MaximumExecutionFrequency")
            if wanted is not None:
                if wanted not in FREQUENCIES:
                    raise enum_error(wanted, "configRule.source.sourceDetails.maximumExecutionFrequency", FREQUENCIES)
                if detail["MessageType"] in CHANGE_TYPES:
                    raise invalid("A maximum execution frequency is not allowed if MessageType is "
                                  "ConfigurationItemChangeNotification or OversizedConfigurationItemChangeNotification")
        if parameters:
            try:
                json.loads(parameters)
            except ValueError:
                raise invalid(f"Invalid json {parameters} passed in the InputParameters field") from None
        if not lambda_exists(source.get("SourceIdentifier", "")):
            raise AWSError("InsufficientPermissionsException",
                           f"The AWS Lambda function {source.get('SourceIdentifier')} cannot be invoked. Check the "
                           "specified function ARN, and check the function's permissions")
    shown = {k: v for k, v in spec.items() if k in ("ConfigRuleName", "Description", "Scope", "Source",
                                                      "InputParameters", "MaximumExecutionFrequency")}
    if owner == "CUSTOM_LAMBDA":
        shown["Source"] = {**source, "SourceDetails": [
            {**d, **({"MaximumExecutionFrequency": d.get("MaximumExecutionFrequency") or DEFAULT_FREQUENCY}
                     if d["MessageType"] in ("ScheduledNotification", "ConfigurationSnapshotDeliveryCompleted")
                     else {})} for d in details]}
    return shown

