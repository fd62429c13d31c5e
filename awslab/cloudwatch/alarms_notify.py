"""What an alarm sends when it changes state: the SNS notification, the Lambda payload, the
EventBridge event detail. Pure functions of the alarm's row and its transition.

Shapes, from recorded AWS messages (the SQS copies of SNS notifications in LocalStack's
AWS-recorded snapshots, notifications quoted in public issue threads, UG:cloudwatch-and-eventbridge):

* SNS: CloudWatch publishes a JSON message structure ``{"default": <alarm JSON>, "sms": ...,
  "email": <text>}`` with the Subject ``ALARM: "name" in US East (N. Virginia)``; subscribers
  that take JSON (SQS, Lambda, HTTP) receive the alarm JSON, email subscribers the text.
* the alarm JSON: AlarmName, AlarmDescription (null when unset), AWSAccountId,
  AlarmConfigurationUpdatedTimestamp, NewStateValue, NewStateReason, StateChangeTime, Region
  (its long name), AlarmArn, OldStateValue, OKActions, AlarmActions, InsufficientDataActions and
  Trigger (MetricName, Namespace, StatisticType, Statistic in capitals or ExtendedStatistic,
  Unit (null), Dimensions as ``[{"value":…,"name":…}]``, Period, EvaluationPeriods,
  DatapointsToAlarm when set, ComparisonOperator, Threshold or ThresholdMetricId,
  TreatMissingData and EvaluateLowSampleCountPercentile ("" when unset), Metrics for math
  alarms). A composite alarm's carries AlarmRule and TriggeringChildren instead of Trigger.
* Lambda: ``{"source": "aws.cloudwatch", "alarmArn", "accountId", "time", "region",
  "alarmData": {"alarmName", "state", "previousState", "configuration"}}``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .alarm_evaluation import json_time, to_json
from .alarms_store import event_configuration, event_state, region_name

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def long_time(when: datetime) -> str:
    """``Wednesday 15 September, 2021 18:32:31 UTC``, as alarm emails write times."""
    t = when.astimezone(timezone.utc)
    return f"{_DAYS[t.weekday()]} {t:%d} {_MONTHS[t.month - 1]}, {t:%Y %H:%M:%S} UTC"


def _pairs(dimensions: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"value": d["Value"], "name": d["Name"]} for d in dimensions]


def _notification_query(query: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "Expression" in query:
        out["Expression"] = query["Expression"]
    out["Id"] = query["Id"]
    if "Label" in query:
        out["Label"] = query["Label"]
    if "MetricStat" in query:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        out["MetricStat"] = {"Metric": {"Dimensions": _pairs(metric.get("Dimensions", [])),
                                        "MetricName": metric["MetricName"], "Namespace": metric["Namespace"]},
                             "Period": stat["Period"], "Stat": stat["Stat"]}
        if "Unit" in stat:
            out["MetricStat"]["Unit"] = stat["Unit"]
    out["ReturnData"] = query.get("ReturnData", True)
    return out


def trigger(row: dict[str, Any]) -> dict[str, Any]:
    """The ``Trigger`` of a metric alarm's notification."""
    out: dict[str, Any] = {}
    if row["metrics"] is None:
        out["MetricName"] = row["metric_name"]
        out["Namespace"] = row["namespace"]
        if row["statistic"] is not None:
            out["StatisticType"] = "Statistic"
            out["Statistic"] = row["statistic"].upper()
        else:
            out["StatisticType"] = "ExtendedStatistic"
            out["ExtendedStatistic"] = row["extended_statistic"]
        out["Unit"] = row["unit"]
        out["Dimensions"] = _pairs(json.loads(row["dimensions"] or "[]"))
    out["Period"] = row["period"]
    out["EvaluationPeriods"] = row["evaluation_periods"]
    if row["datapoints_to_alarm"] is not None:
        out["DatapointsToAlarm"] = row["datapoints_to_alarm"]
    out["ComparisonOperator"] = row["comparison_operator"]
    if row["threshold"] is not None:
        out["Threshold"] = float(row["threshold"])
    if row["threshold_metric_id"] is not None:
        out["ThresholdMetricId"] = row["threshold_metric_id"]
    out["TreatMissingData"] = row["treat_missing_data"] or ""
    out["EvaluateLowSampleCountPercentile"] = row["evaluate_low_sample_count_percentile"] or ""
    if row["metrics"] is not None:
        out["Metrics"] = [_notification_query(q) for q in json.loads(row["metrics"])]
    return out


def alarm_message(row: dict[str, Any], old_state: str, new_state: str, reason: str, when: datetime,
                  triggering: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The alarm JSON an SNS notification carries (its ``default`` message)."""
    composite = row["alarm_type"] == "CompositeAlarm"
    out: dict[str, Any] = {"AlarmName": row["alarm_name"], "AlarmDescription": row["alarm_description"],
                           "AWSAccountId": row["account_id"]}
    if not composite:
        out["AlarmConfigurationUpdatedTimestamp"] = json_time(row["alarm_configuration_updated_timestamp"], True)
    out.update({"NewStateValue": new_state, "NewStateReason": reason, "StateChangeTime": json_time(when, True),
                "Region": region_name(row["region"]), "AlarmArn": row["alarm_arn"]})
    actions = {"OKActions": list(row["ok_actions"]), "AlarmActions": list(row["alarm_actions"]),
               "InsufficientDataActions": list(row["insufficient_data_actions"])}
    if composite:
        out.update(actions)
        out["OldStateValue"] = old_state
        out["AlarmRule"] = row["alarm_rule"]
        # Lab choice: AWS's recorded example lists none (its state was forced); the lab lists the
        # children that decided the rule.
        out["TriggeringChildren"] = list(triggering or [])
        return out
    out["OldStateValue"] = old_state
    out.update(actions)
    out["Trigger"] = trigger(row)
    return out


def subject(row: dict[str, Any], new_state: str) -> str:
    return f'{new_state}: "{row["alarm_name"]}" in {region_name(row["region"])}'


def _dimension_text(row: dict[str, Any]) -> str:
    dims = json.loads(row["dimensions"] or "[]")
    return "[" + ", ".join(f"{d['Name']} = {d['Value']}" for d in dims) + "]" if dims else ""


def email_text(row: dict[str, Any], old_state: str, new_state: str, reason: str, when: datetime) -> str:
    """The text an email subscriber receives (the layout of AWS's alarm emails)."""
    region = row["region"]
    name = row["alarm_name"]
    stamp = long_time(when)
    composite = row["alarm_type"] == "CompositeAlarm"
    if composite:
        head = (f'You are receiving this email because your Amazon CloudWatch Alarm "{name}" in the '
                f'{region_name(region)} region has transitioned to {new_state} state on {stamp}, because "{reason}".')
    else:
        head = (f'You are receiving this email because your Amazon CloudWatch Alarm "{name}" in the '
                f'{region_name(region)} region has entered the {new_state} state, because "{reason}" at "{stamp}".')
    lines = [head, "", "View this alarm in the AWS Management Console:",
             f"https://{region}.console.aws.amazon.com/cloudwatch/deeplink.js?region={region}#alarmsV2:alarm/"
             f"{quote(name, safe='')}", "", "Alarm Details:",
             f"- Name:                       {name}",
             f"- Description:                {row['alarm_description'] or ''}",
             f"- State Change:               {old_state} -> {new_state}"]
    if composite:
        lines.append(f"- Alarm Rule:                 {row['alarm_rule']}")
    lines += [f"- Reason for State Change:    {reason}",
              f"- Timestamp:                  {stamp}",
              f"- AWS Account:                {row['account_id']}",
              f"- Alarm Arn:                  {row['alarm_arn']}", ""]
    if not composite:
        m, n = row["datapoints_to_alarm"] or row["evaluation_periods"], row["evaluation_periods"]
        bound = row["threshold"] if row["threshold"] is not None else row["threshold_metric_id"]
        lines += ["Threshold:",
                  f"- The alarm is in the ALARM state when the metric is {row['comparison_operator']} {bound} "
                  f"for at least {m} of the last {n} period(s) of {row['period']} seconds.", ""]
        if row["metrics"] is None:
            lines += ["Monitored Metric:",
                      f"- MetricNamespace:                     {row['namespace']}",
                      f"- MetricName:                          {row['metric_name']}",
                      f"- Dimensions:                          {_dimension_text(row)}",
                      f"- Period:                              {row['period']} seconds",
                      f"- Statistic:                           {row['statistic'] or row['extended_statistic']}",
                      f"- Unit:                                {row['unit'] or 'not specified'}",
                      f"- TreatMissingData:                    {row['treat_missing_data'] or 'missing'}", "", ""]
    else:
        lines += ["Triggering children (max. 10):", ""]
    lines.append("State Change Actions:")
    for label, column in (("OK", "ok_actions"), ("ALARM", "alarm_actions"),
                          ("INSUFFICIENT_DATA", "insufficient_data_actions")):
        actions = list(row[column])
        lines.append(f"- {label}: " + (f"[{', '.join(actions)}]" if actions else ""))
    return "\n".join(lines) + "\n"


def sns_message(row: dict[str, Any], old_state: str, new_state: str, reason: str, when: datetime,
                triggering: list[dict[str, Any]] | None = None) -> str:
    """The JSON message structure CloudWatch publishes (MessageStructure=json)."""
    return json.dumps({
        "default": to_json(alarm_message(row, old_state, new_state, reason, when, triggering)),
        "sms": subject(row, new_state),
        "email": email_text(row, old_state, new_state, reason, when),
    }, ensure_ascii=False)


def state_detail(row: dict[str, Any], old: tuple[str, str, str | None, datetime],
                 new: tuple[str, str, str | None, datetime]) -> dict[str, Any]:
    """``detail`` of a "CloudWatch Alarm State Change" event (and of a Lambda action's alarmData)."""
    return {"alarmName": row["alarm_name"],
            "state": event_state(new[0], new[1], new[2], new[3], row.get("actions_suppressed_by"),
                                 row.get("actions_suppressed_reason")),
            "previousState": event_state(*old),
            "configuration": event_configuration(row)}


def lambda_payload(row: dict[str, Any], detail: dict[str, Any], when: datetime) -> dict[str, Any]:
    return {"source": "aws.cloudwatch", "alarmArn": row["alarm_arn"], "accountId": row["account_id"],
            "time": json_time(when, True), "region": row["region"],
            "alarmData": {key: detail[key] for key in ("alarmName", "state", "previousState", "configuration")}}
