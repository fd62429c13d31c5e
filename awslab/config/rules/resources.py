"""Managed rules for CloudWatch alarms, RDS instances and required tags.

Each rule's docstring names its page under
https://docs.aws.amazon.com/config/latest/developerguide/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from awslab.config.rules.model import (
    ConfigurationItem,
    ManagedRule,
    Parameter,
    RuleContext,
    Trigger,
    Verdict,
    as_list,
    compliant,
    non_compliant,
    not_applicable,
    parse_bool,
)

ALARM = ("AWS::CloudWatch::Alarm",)
DB_INSTANCE = ("AWS::RDS::DBInstance",)

# --------------------------------------------------------------------------------------------
# CloudWatch alarms


def _alarm_actions(ci: ConfigurationItem) -> dict[str, list[str]]:
    # The configuration item spells OK actions "okactions" (as the resource schema lists it).
    ok = ci.get("okactions", default=None) or ci.get("okActions", default=None)
    return {
        "alarmActionRequired": [str(a) for a in as_list(ci.get("alarmActions"))],
        "insufficientDataActionRequired": [str(a) for a in as_list(ci.get("insufficientDataActions"))],
        "okActionRequired": [str(a) for a in as_list(ok)],
    }


def _alarm_action_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    actions = _alarm_actions(ci)
    missing = [name for name, present in actions.items() if params.get(name) and not present]
    if missing:
        return non_compliant(f"Required actions are missing: {', '.join(missing)}.")
    wanted = {params[f"action{i}"] for i in range(1, 6) if params.get(f"action{i}")}
    if wanted:
        configured = {a for name, present in actions.items() if params.get(name) for a in present}
        if not configured & wanted:
            return non_compliant("None of the alarm's actions is one of action1..action5.")
    return compliant()


CLOUDWATCH_ALARM_ACTION_CHECK = ManagedRule(
    identifier="CLOUDWATCH_ALARM_ACTION_CHECK",
    name="cloudwatch-alarm-action-check",
    resource_types=ALARM,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(
        Parameter("alarmActionRequired", optional=False, default="true", parser=parse_bool),
        Parameter("insufficientDataActionRequired", optional=False, default="true", parser=parse_bool),
        Parameter("okActionRequired", optional=False, default="false", parser=parse_bool),
        *(Parameter(f"action{i}") for i in range(1, 6)),
    ),
    check=_alarm_action_check,
)
"""cloudwatch-alarm-action-check: NON_COMPLIANT when an action list that a parameter requires
(alarm: default true, INSUFFICIENT_DATA: true, OK: false) is empty, or when action1..action5
are given and none of the required lists holds one of them."""


def _alarm_settings_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if ci.get("metricName") != params["metricName"]:
        return not_applicable("The alarm watches another metric.")
    wrong = [
        name
        for name, actual in (
            ("period", ci.get("period")),
            ("statistic", ci.get("statistic")),
            ("comparisonOperator", ci.get("comparisonOperator")),
            ("threshold", ci.get("threshold")),
            ("evaluationPeriods", ci.get("evaluationPeriods")),
        )
        if name in params and (actual is None or str(params[name]) != str(actual).removesuffix(".0"))
    ]
    if wrong:
        return non_compliant(f"Settings differ: {', '.join(wrong)}.")
    return compliant()


CLOUDWATCH_ALARM_SETTINGS_CHECK = ManagedRule(
    identifier="CLOUDWATCH_ALARM_SETTINGS_CHECK",
    name="cloudwatch-alarm-settings-check",
    resource_types=ALARM,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(
        Parameter("metricName", optional=False),
        Parameter("period", "int", default="300"),
        Parameter("statistic"),
        Parameter("comparisonOperator"),
        Parameter("threshold", "int"),
        Parameter("evaluationPeriods", "int"),
    ),
    check=_alarm_settings_check,
)
"""cloudwatch-alarm-settings-check: alarms on metricName must have the given period (default
300), statistic, comparisonOperator, threshold and evaluationPeriods; alarms on other metrics
are NOT_APPLICABLE."""

# --------------------------------------------------------------------------------------------
# RDS


def _storage_encrypted_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if not ci.get("storageEncrypted", default=False):
        return non_compliant("Storage is not encrypted.")
    if "kmsKeyId" in params and ci.get("kmsKeyId") != params["kmsKeyId"]:
        return non_compliant(f"Storage is not encrypted with {params['kmsKeyId']}.")
    return compliant()


RDS_STORAGE_ENCRYPTED = ManagedRule(
    identifier="RDS_STORAGE_ENCRYPTED",
    name="rds-storage-encrypted",
    resource_types=DB_INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=(Parameter("kmsKeyId"),),
    check=_storage_encrypted_check,
)
"""rds-storage-encrypted: NON_COMPLIANT when storageEncrypted is false, or the key is not kmsKeyId."""


def _public_access_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if ci.get("publiclyAccessible", default=False):
        return non_compliant("The DB instance is publicly accessible.")
    return compliant()


RDS_INSTANCE_PUBLIC_ACCESS_CHECK = ManagedRule(
    identifier="RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
    name="rds-instance-public-access-check",
    resource_types=DB_INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_public_access_check,
)
"""rds-instance-public-access-check: NON_COMPLIANT when publiclyAccessible is true."""


def _multi_az_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    engine = str(ci.get("engine", default=""))
    if engine.startswith(("aurora", "docdb", "neptune")):
        return not_applicable(f"{engine} instances are not evaluated.")
    return compliant() if ci.get("multiAZ", default=False) else non_compliant("Multi-AZ is not enabled.")


RDS_MULTI_AZ_SUPPORT = ManagedRule(
    identifier="RDS_MULTI_AZ_SUPPORT",
    name="rds-multi-az-support",
    resource_types=DB_INSTANCE,
    trigger=Trigger.CONFIGURATION_CHANGES,
    check=_multi_az_check,
)
"""rds-multi-az-support: NON_COMPLIANT when multiAZ is false; Aurora, DocumentDB and Neptune
instances are NOT_APPLICABLE."""

# --------------------------------------------------------------------------------------------
# Tags

REQUIRED_TAGS_TYPES = (
    "AWS::ACM::Certificate", "AWS::AutoScaling::AutoScalingGroup", "AWS::CloudFormation::Stack",
    "AWS::CodeBuild::Project", "AWS::DynamoDB::Table", "AWS::EC2::CustomerGateway",
    "AWS::EC2::Instance", "AWS::EC2::InternetGateway", "AWS::EC2::NetworkAcl",
    "AWS::EC2::NetworkInterface", "AWS::EC2::RouteTable", "AWS::EC2::SecurityGroup",
    "AWS::EC2::Subnet", "AWS::EC2::Volume", "AWS::EC2::VPC", "AWS::EC2::VPNConnection",
    "AWS::EC2::VPNGateway", "AWS::ElasticLoadBalancing::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::RDS::DBInstance",
    "AWS::RDS::DBSecurityGroup", "AWS::RDS::DBSnapshot", "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::EventSubscription", "AWS::Redshift::Cluster", "AWS::Redshift::ClusterParameterGroup",
    "AWS::Redshift::ClusterSecurityGroup", "AWS::Redshift::ClusterSnapshot",
    "AWS::Redshift::ClusterSubnetGroup", "AWS::S3::Bucket",
)  # fmt: skip


def _required_tags_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    for i in range(1, 7):
        key = params.get(f"tag{i}Key")
        if not key:
            continue
        if key not in ci.tags:  # keys are case-sensitive
            return non_compliant(f"The tag {key} is missing.")
        allowed = params.get(f"tag{i}Value")
        if allowed and ci.tags[key] not in allowed:
            return non_compliant(f"The tag {key} has the value {ci.tags[key]!r}, not one of {', '.join(allowed)}.")
    return compliant()


REQUIRED_TAGS = ManagedRule(
    identifier="REQUIRED_TAGS",
    name="required-tags",
    resource_types=REQUIRED_TAGS_TYPES,
    trigger=Trigger.CONFIGURATION_CHANGES,
    parameters=tuple(
        p
        for i in range(1, 7)
        for p in (
            Parameter(f"tag{i}Key", optional=i > 1, default="CostCenter" if i == 1 else None),
            Parameter(f"tag{i}Value", "CSV"),
        )
    ),
    check=_required_tags_check,
)
"""required-tags: NON_COMPLIANT when a resource lacks one of tag1Key..tag6Key (case-sensitive),
or a tag's value is not in the comma-separated tagNValue list when that is given."""

RULES = (
    CLOUDWATCH_ALARM_ACTION_CHECK,
    CLOUDWATCH_ALARM_SETTINGS_CHECK,
    RDS_STORAGE_ENCRYPTED,
    RDS_INSTANCE_PUBLIC_ACCESS_CHECK,
    RDS_MULTI_AZ_SUPPORT,
    REQUIRED_TAGS,
)
