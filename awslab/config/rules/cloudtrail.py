"""Managed rules for AWS CloudTrail trails.

Each rule's docstring names its page under
https://docs.aws.amazon.com/config/latest/developerguide/. Account-level rules read the trails
as DescribeTrails, GetTrailStatus and GetEventSelectors return them; per-trail rules read the
AWS::CloudTrail::Trail configuration items.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from awslab.config.rules.model import (
    ConfigurationItem,
    ManagedRule,
    Parameter,
    RuleContext,
    Trigger,
    Verdict,
    compliant,
    non_compliant,
    parse_timestamp,
)

TRAIL = ("AWS::CloudTrail::Trail",)
_TRAIL_FIELDS = {
    "s3BucketName": "S3BucketName",
    "snsTopicArn": "SnsTopicARN",
    "cloudWatchLogsLogGroupArn": "CloudWatchLogsLogGroupArn",
}


def _logging_trails(params: Mapping[str, Any], context: RuleContext, *, multi_region: bool) -> list[dict[str, Any]]:
    """Trails that are logging and match the rule's optional bucket, topic and log group."""
    found = []
    for trail in context.describe_trails().get("trailList", []):
        if multi_region and not trail.get("IsMultiRegionTrail"):
            continue
        if any(name in params and trail.get(field) != params[name] for name, field in _TRAIL_FIELDS.items()):
            continue
        if context.get_trail_status(trail.get("TrailARN") or trail.get("Name")).get("IsLogging"):
            found.append(trail)
    return found


def _cloudtrail_enabled_check(params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if _logging_trails(params, context, multi_region=False):
        return compliant()
    return non_compliant("No logging trail matches the rule parameters.")


CLOUD_TRAIL_ENABLED = ManagedRule(
    identifier="CLOUD_TRAIL_ENABLED",
    name="cloudtrail-enabled",
    resource_types=(),
    trigger=Trigger.PERIODIC,
    parameters=(Parameter("s3BucketName"), Parameter("snsTopicArn"), Parameter("cloudWatchLogsLogGroupArn")),
    check_account=_cloudtrail_enabled_check,
)
"""cloudtrail-enabled: the account is NON_COMPLIANT unless a trail is logging and, when given,
delivers to s3BucketName, notifies snsTopicArn and sends to cloudWatchLogsLogGroupArn."""


def _selectors_match(params: Mapping[str, Any], selectors: Mapping[str, Any]) -> bool:
    """Management-event selectors of a trail that satisfy includeManagementEvents/readWriteType."""
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("ExcludeManagementEventSources"):
            continue
        if params.get("includeManagementEvents") and not selector.get("IncludeManagementEvents", True):
            continue
        wanted = params.get("readWriteType")
        if wanted and str(selector.get("ReadWriteType", "All")).lower() != wanted.lower():
            continue
        return True
    # A trail without basic selectors (advanced selectors only) meets only an unconstrained rule.
    unconstrained = not params.get("includeManagementEvents") and not params.get("readWriteType")
    return not selectors.get("EventSelectors") and unconstrained


def _multi_region_check(params: Mapping[str, Any], context: RuleContext) -> Verdict:
    for trail in _logging_trails(params, context, multi_region=True):
        if _selectors_match(params, context.get_event_selectors(trail.get("TrailARN") or trail.get("Name"))):
            return compliant()
    return non_compliant("No logging multi-Region trail matches the rule parameters.")


MULTI_REGION_CLOUD_TRAIL_ENABLED = ManagedRule(
    identifier="MULTI_REGION_CLOUD_TRAIL_ENABLED",
    name="multi-region-cloudtrail-enabled",
    resource_types=(),
    trigger=Trigger.PERIODIC,
    parameters=(
        Parameter("s3BucketName"),
        Parameter("snsTopicArn"),
        Parameter("cloudWatchLogsLogGroupArn"),
        Parameter("includeManagementEvents", "boolean"),
        Parameter("readWriteType"),
    ),
    check_account=_multi_region_check,
)
"""multi-region-cloudtrail-enabled: the account is NON_COMPLIANT unless a logging multi-Region
trail matches the parameters: bucket, topic, log group, includeManagementEvents and
readWriteType (ReadOnly, WriteOnly or ALL) of a selector that excludes no management events."""


def _validation_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if ci.get("logFileValidationEnabled", default=False):
        return compliant()
    return non_compliant("Log file validation is disabled.")


CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED = ManagedRule(
    identifier="CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",
    name="cloud-trail-log-file-validation-enabled",
    resource_types=TRAIL,
    trigger=Trigger.PERIODIC,
    check=_validation_check,
)
"""cloud-trail-log-file-validation-enabled: a trail without log file validation (digest files)
is NON_COMPLIANT."""


def _encryption_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if ci.get("kmsKeyId"):
        return compliant()
    return non_compliant("The trail's log files are not encrypted with a KMS key.")


CLOUD_TRAIL_ENCRYPTION_ENABLED = ManagedRule(
    identifier="CLOUD_TRAIL_ENCRYPTION_ENABLED",
    name="cloud-trail-encryption-enabled",
    resource_types=TRAIL,
    trigger=Trigger.PERIODIC,
    check=_encryption_check,
)
"""cloud-trail-encryption-enabled: a trail without a KMS key (SSE-KMS) is NON_COMPLIANT."""


def _cloudwatch_logs_check(ci: ConfigurationItem, params: Mapping[str, Any], context: RuleContext) -> Verdict:
    if not ci.get("cloudWatchLogsLogGroupArn"):
        return non_compliant("The trail does not send events to CloudWatch Logs.")
    if "expectedDeliveryWindowAge" in params:
        status = context.get_trail_status(ci.get("trailARN") or ci.get("name") or ci.resource_id)
        delivered = parse_timestamp(status.get("LatestCloudWatchLogsDeliveryTime"))
        if delivered is None or context.now - delivered > timedelta(hours=params["expectedDeliveryWindowAge"]):
            return non_compliant("No delivery to CloudWatch Logs within expectedDeliveryWindowAge hours.")
    return compliant()


CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED = ManagedRule(
    identifier="CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
    name="cloud-trail-cloud-watch-logs-enabled",
    resource_types=TRAIL,
    trigger=Trigger.PERIODIC,
    parameters=(Parameter("expectedDeliveryWindowAge", "int"),),
    check=_cloudwatch_logs_check,
)
"""cloud-trail-cloud-watch-logs-enabled: a trail whose CloudWatchLogsLogGroupArn is empty is
NON_COMPLIANT; with expectedDeliveryWindowAge (hours), its latest delivery must be that recent."""

RULES = (
    CLOUD_TRAIL_ENABLED,
    MULTI_REGION_CLOUD_TRAIL_ENABLED,
    CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED,
    CLOUD_TRAIL_ENCRYPTION_ENABLED,
    CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED,
)
