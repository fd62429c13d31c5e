"""AWS service events: the lab's facts turned into the events AWS services put on the default bus.

Each function takes a hub fact (a dict, see docs/architecture.md) and returns the event in AWS's
documented shape, or None when EventBridge would not receive one. No API plumbing here: the
service decides which bus gets the event.

* "AWS API Call via CloudTrail" and the other CloudTrail-delivered types (user guide, "Events from
  AWS services" and "Receiving read-only management events"): ``source`` is ``aws.`` + the called
  service's prefix of ``eventSource`` (``monitoring.amazonaws.com`` gives ``aws.monitoring``, as the
  EventBridge events reference lists it), ``resources`` is empty, ``detail`` is the CloudTrail record.
  Management calls whose names start with ``List``, ``Get`` or ``Describe`` (except STS
  ``GetFederationToken`` and ``GetSessionToken``) are *read-only management events*: only rules in the
  ``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` state see them. Data events (which a trail logs
  only when selected) are not subject to that filter.
* "CloudWatch Alarm State Change" / "Configuration Change" (CloudWatch user guide, "Alarm events and
  EventBridge"): ``source`` ``aws.cloudwatch``, ``resources`` the alarm ARN, ``detail`` alarmName,
  state, previousState, configuration.
* "EC2 Instance State-change Notification" (EC2 user guide example): ``detail`` {instance-id, state}.
* "Config Configuration Item Change" and "Config Rules Compliance Change" (Config developer guide,
  "Monitoring AWS Config with Amazon EventBridge"): ``detail`` is the notification message Config
  would publish to SNS, with ``configurationItem`` an object.
* "Scheduled Event" (``source`` ``aws.events``, ``resources`` the rule ARN, ``detail`` ``{}``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .store import derive_id, envelope, event_time, parse_time

__all__ = [
    "CLOUDTRAIL_DETAIL_TYPES", "READ_ONLY_EXCEPTIONS", "cloudtrail_event", "is_read_only_management",
    "alarm_state_event", "alarm_configuration_event", "ec2_state_event", "config_item_event",
    "config_compliance_event", "scheduled_event", "alarm_detail",
]

CLOUDTRAIL_DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
}
READ_ONLY_PREFIXES = ("List", "Get", "Describe")
READ_ONLY_EXCEPTIONS = frozenset({("sts.amazonaws.com", "GetFederationToken"),
                                  ("sts.amazonaws.com", "GetSessionToken")})


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return parse_time(str(value))


def _millis(instant: datetime) -> str:
    """CloudWatch's detail timestamps: ``2019-10-02T17:04:40.989+0000``."""
    instant = instant.astimezone(timezone.utc)
    return instant.strftime("%Y-%m-%dT%H:%M:%S") + f".{instant.microsecond // 1000:03d}+0000"


# ---------------------------------------------------------------------------------------------
# CloudTrail

def is_read_only_management(record: dict[str, Any]) -> bool:
    """Whether plain ``ENABLED`` rules skip this record (a List/Get/Describe management call)."""
    name = str(record.get("eventName") or "")
    if not name.startswith(READ_ONLY_PREFIXES):
        return False
    if (record.get("eventSource"), name) in READ_ONLY_EXCEPTIONS:
        return False
    return record.get("managementEvent", record.get("eventCategory", "Management") == "Management") is not False


def cloudtrail_event(record: dict[str, Any], account_id: str) -> dict[str, Any] | None:
    """The event a CloudTrail record puts on the default bus of its ``awsRegion``, or None."""
    detail_type = CLOUDTRAIL_DETAIL_TYPES.get(str(record.get("eventType", "AwsApiCall")))
    source_host = record.get("eventSource")
    if detail_type is None or not source_host or not record.get("eventTime"):
        return None
    try:
        when = parse_time(str(record["eventTime"]))
    except ValueError:
        return None
    prefix = str(source_host).split(".amazonaws.com", 1)[0]
    account = record.get("recipientAccountId") or account_id
    return envelope(derive_id("eventbridge", "cloudtrail", record.get("eventID"), account), detail_type,
                    "aws." + prefix, account, when, record.get("awsRegion", ""), [], record)


# ---------------------------------------------------------------------------------------------
# CloudWatch alarms

def _state(value: str | None, reason: str | None, reason_data: str | None, when: datetime | None) -> dict[str, Any]:
    state: dict[str, Any] = {"value": value}
    if reason is not None:
        state["reason"] = reason
    if reason_data:
        state["reasonData"] = reason_data
    if when is not None:
        state["timestamp"] = _millis(when)
    return state


def _configuration(described: dict[str, Any], alarm_arn: str) -> dict[str, Any]:
    """``detail.configuration`` from the alarm as DescribeAlarms shows it."""
    if "AlarmRule" in described:                         # a composite alarm
        out: dict[str, Any] = {"alarmRule": described["AlarmRule"]}
        for key in ("ActionsSuppressor", "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
            if described.get(key) is not None:
                out[key[:1].lower() + key[1:]] = described[key]
        return out
    out = {}
    if described.get("AlarmDescription") is not None:
        out["description"] = described["AlarmDescription"]
    metrics = []
    if described.get("Metrics"):
        for query in described["Metrics"]:
            item: dict[str, Any] = {"id": query["Id"]}
            if "MetricStat" in query:
                stat = query["MetricStat"]
                metric = stat["Metric"]
                item["metricStat"] = {"metric": _metric(metric.get("Namespace"), metric.get("MetricName"),
                                                        metric.get("Dimensions") or []),
                                      "period": stat["Period"], "stat": stat["Stat"]}
            else:
                item["expression"] = query.get("Expression")
                if query.get("Label") is not None:
                    item["label"] = query["Label"]
            item["returnData"] = query.get("ReturnData", True)
            metrics.append(item)
    elif described.get("MetricName"):
        metrics.append({"id": derive_id("alarm-metric", alarm_arn),
                        "metricStat": {"metric": _metric(described.get("Namespace"), described["MetricName"],
                                                         described.get("Dimensions") or []),
                                       "period": described.get("Period"),
                                       "stat": described.get("Statistic") or described.get("ExtendedStatistic")},
                        "returnData": True})
    out["metrics"] = metrics
    return out


def _metric(namespace: str | None, name: str | None, dimensions: list[dict[str, str]]) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "dimensions": {d["Name"]: d["Value"] for d in dimensions}}


def alarm_detail(fact: dict[str, Any]) -> dict[str, Any]:
    """The detail of "CloudWatch Alarm State Change": the publisher's ``event_detail`` if it built one,
    else assembled from the fact's fields (the previous state's reason is then unknown)."""
    if fact.get("event_detail"):
        return fact["event_detail"]
    when = _when(fact["time"])
    return {"alarmName": fact["alarm_name"],
            "state": _state(fact["state"], fact.get("reason"), fact.get("reason_data"), when),
            "previousState": _state(fact.get("previous_state"), fact.get("previous_reason"),
                                    fact.get("previous_reason_data"), fact.get("previous_time")),
            "configuration": _configuration(fact.get("configuration") or {}, fact["alarm_arn"])}


def alarm_state_event(fact: dict[str, Any]) -> dict[str, Any]:
    when = _when(fact["time"])
    arn = fact["alarm_arn"]
    return envelope(derive_id("eventbridge", "alarm", arn, when.isoformat(), fact["state"]),
                    "CloudWatch Alarm State Change", "aws.cloudwatch", fact["account_id"], when, fact["region"],
                    [arn], alarm_detail(fact))


def alarm_configuration_event(fact: dict[str, Any]) -> dict[str, Any] | None:
    if not fact.get("event_detail"):
        return None
    when = _when(fact["time"])
    arn = fact["alarm_arn"]
    return envelope(derive_id("eventbridge", "alarm-configuration", arn, when.isoformat(), fact.get("operation")),
                    "CloudWatch Alarm Configuration Change", "aws.cloudwatch", fact["account_id"], when,
                    fact["region"], [arn], fact["event_detail"])


# ---------------------------------------------------------------------------------------------
# EC2

def ec2_state_event(fact: dict[str, Any]) -> dict[str, Any]:
    when = _when(fact["time"])
    region, account, instance = fact["region"], fact["account_id"], fact["instance_id"]
    return envelope(derive_id("eventbridge", "ec2", instance, fact["state"], when.isoformat()),
                    "EC2 Instance State-change Notification", "aws.ec2", account, when, region,
                    [f"arn:aws:ec2:{region}:{account}:instance/{instance}"],
                    {"instance-id": instance, "state": fact["state"]})


# ---------------------------------------------------------------------------------------------
# AWS Config

def _notification_time(fact: dict[str, Any]) -> str:
    value = fact.get("notification_creation_time") or fact.get("time")
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def config_item_event(fact: dict[str, Any]) -> dict[str, Any] | None:
    """Accepts ``message`` (the whole ConfigurationItemChangeNotification) or its parts:
    ``configuration_item`` (notification form), ``configuration_item_diff``, ``notification_creation_time``."""
    message = fact.get("message")
    if message is None:
        item = fact.get("configuration_item")
        if item is None:
            return None
        message = {"recordVersion": fact.get("record_version", "1.3"),
                   "messageType": "ConfigurationItemChangeNotification",
                   "configurationItemDiff": fact.get("configuration_item_diff"),
                   "notificationCreationTime": _notification_time(fact),
                   "configurationItem": item}
    item = message.get("configurationItem") or {}
    arn = item.get("ARN") or item.get("arn")
    return _config_event("Config Configuration Item Change", message, fact, [arn] if arn else [])


def config_compliance_event(fact: dict[str, Any]) -> dict[str, Any] | None:
    """Accepts ``message`` (the whole ComplianceChangeNotification) or its parts: ``config_rule_name``,
    ``config_rule_arn``, ``resource_type``, ``resource_id``, ``new_evaluation_result`` and, after the first
    evaluation, ``old_evaluation_result``."""
    message = fact.get("message")
    if message is None:
        if "new_evaluation_result" not in fact:
            return None
        message = {"resourceId": fact["resource_id"], "awsRegion": fact["region"], "awsAccountId": fact["account_id"],
                   "configRuleName": fact["config_rule_name"], "recordVersion": "1.0",
                   "configRuleARN": fact["config_rule_arn"], "messageType": "ComplianceChangeNotification",
                   "newEvaluationResult": fact["new_evaluation_result"]}
        if fact.get("old_evaluation_result") is not None:
            message["oldEvaluationResult"] = fact["old_evaluation_result"]
        message["notificationCreationTime"] = _notification_time(fact)
        message["resourceType"] = fact["resource_type"]
    # Captured compliance events carry no resources (reference/config.md, section 3.3).
    return _config_event("Config Rules Compliance Change", message, fact, [])


def _config_event(detail_type: str, message: dict[str, Any], fact: dict[str, Any],
                  resources: list[str]) -> dict[str, Any]:
    when = _when(fact.get("time") or message.get("notificationCreationTime"))
    region = fact.get("region") or message.get("awsRegion") or (message.get("configurationItem") or {}).get("awsRegion")
    account = fact.get("account_id") or message.get("awsAccountId")
    key = (message.get("configurationItem") or {}).get("configurationStateId") or message.get("resourceId")
    return envelope(derive_id("eventbridge", "config", detail_type, key, message.get("notificationCreationTime"),
                              message.get("configRuleName")),
                    detail_type, "aws.config", account, when, region, resources, message)


# ---------------------------------------------------------------------------------------------
# Schedules

def scheduled_event(rule_arn: str, region: str, account_id: str, when: datetime) -> dict[str, Any]:
    return envelope(derive_id("eventbridge", "schedule", rule_arn, event_time(when)), "Scheduled Event",
                    "aws.events", account_id, when, region, [rule_arn], {})
