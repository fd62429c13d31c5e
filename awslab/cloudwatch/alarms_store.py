"""Alarm storage: the ``cloudwatch_alarms``, ``cloudwatch_alarm_history`` and
``cloudwatch_anomaly_detectors`` tables, and the shapes AWS returns for what they hold.

One row per alarm, metric or composite: its configuration in columns a learner can query
(``select alarm_name, state_value from cloudwatch_alarms``) and its state. The shapes here are
the ones AWS documents or was recorded returning:

* DescribeAlarms' ``MetricAlarm`` and ``CompositeAlarm`` (API:DescribeAlarms);
* DescribeAlarmHistory's items: ``HistorySummary`` "Alarm updated from OK to ALARM",
  "Alarm \\"x\\" created" / "updated" / "deleted", "Successfully executed action <arn>", and
  ``HistoryData`` JSON with ``createdAlarm`` (whose action list is spelled ``okactions``, as AWS
  writes it), ``updatedAlarm`` + ``originalUpdatedFields``, ``oldState``/``newState``;
* the ``configuration`` of EventBridge's "CloudWatch Alarm State Change" and "Configuration
  Change" events (UG:cloudwatch-and-eventbridge).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from .alarm_evaluation import json_time, to_json

CREATE_STATEMENTS = (
    "CREATE SEQUENCE IF NOT EXISTS cloudwatch_alarm_ids START 1",
    "CREATE SEQUENCE IF NOT EXISTS cloudwatch_alarm_history_ids START 1",
    """
CREATE TABLE IF NOT EXISTS cloudwatch_alarms (
    alarm_id BIGINT NOT NULL,              -- the lab's own key, stable across updates
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    alarm_name VARCHAR NOT NULL,
    alarm_arn VARCHAR NOT NULL,
    alarm_type VARCHAR NOT NULL,           -- MetricAlarm | CompositeAlarm
    alarm_description VARCHAR,
    actions_enabled BOOLEAN NOT NULL,
    ok_actions VARCHAR[] NOT NULL,
    alarm_actions VARCHAR[] NOT NULL,
    insufficient_data_actions VARCHAR[] NOT NULL,
    namespace VARCHAR,                     -- single-metric alarms
    metric_name VARCHAR,
    dimensions VARCHAR,                    -- canonical JSON [{"Name":…,"Value":…}] sorted by Name
    statistic VARCHAR,
    extended_statistic VARCHAR,
    period INTEGER,                        -- the alarm's period (a math alarm's: its queries')
    unit VARCHAR,
    evaluation_periods INTEGER,
    datapoints_to_alarm INTEGER,
    threshold DOUBLE,
    comparison_operator VARCHAR,
    treat_missing_data VARCHAR,
    evaluate_low_sample_count_percentile VARCHAR,
    threshold_metric_id VARCHAR,
    metrics VARCHAR,                       -- JSON MetricDataQuery list of a metric-math alarm
    alarm_rule VARCHAR,                    -- composite alarms
    actions_suppressor VARCHAR,
    actions_suppressor_wait_period INTEGER,
    actions_suppressor_extension_period INTEGER,
    actions_suppressed_by VARCHAR,         -- WaitPeriod | ExtensionPeriod | Alarm while suppressed
    actions_suppressed_reason VARCHAR,
    actions_pending_until TIMESTAMPTZ,     -- when held-back composite actions run (wait/extension)
    state_value VARCHAR NOT NULL,
    state_reason VARCHAR NOT NULL,
    state_reason_data VARCHAR,
    state_updated_timestamp TIMESTAMPTZ NOT NULL,
    state_transitioned_timestamp TIMESTAMPTZ NOT NULL,
    alarm_configuration_updated_timestamp TIMESTAMPTZ NOT NULL,
    tags VARCHAR NOT NULL                  -- JSON [{"Key":…,"Value":…}]
)""",
    """
CREATE TABLE IF NOT EXISTS cloudwatch_alarm_history (
    history_id BIGINT NOT NULL,
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    alarm_name VARCHAR NOT NULL,
    alarm_type VARCHAR NOT NULL,
    timestamp TIMESTAMPTZ NOT NULL,
    history_item_type VARCHAR NOT NULL,    -- ConfigurationUpdate | StateUpdate | Action
    history_summary VARCHAR NOT NULL,
    history_data VARCHAR NOT NULL
)""",
    """
CREATE TABLE IF NOT EXISTS cloudwatch_anomaly_detectors (
    anomaly_detector_id VARCHAR NOT NULL,
    region VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL,
    namespace VARCHAR,
    metric_name VARCHAR,
    dimensions VARCHAR,                    -- canonical JSON, as in cloudwatch_datapoints
    stat VARCHAR,
    metric_math_queries VARCHAR,           -- JSON, for a MetricMathAnomalyDetector
    excluded_time_ranges VARCHAR NOT NULL, -- JSON [{"StartTime":iso,"EndTime":iso}]
    metric_timezone VARCHAR,
    periodic_spikes BOOLEAN,
    created_at TIMESTAMPTZ NOT NULL
)""",
)

TABLES = {
    "cloudwatch_alarms": "one row per metric or composite alarm: its configuration as PutMetricAlarm/"
                         "PutCompositeAlarm set it, and its current state",
    "cloudwatch_alarm_history": "alarm history items (ConfigurationUpdate, StateUpdate, Action) as "
                                "DescribeAlarmHistory returns them, kept 30 days",
    "cloudwatch_anomaly_detectors": "anomaly detection models (PutAnomalyDetector, or created by an alarm "
                                    "on ANOMALY_DETECTION_BAND); the model itself is trained on demand",
}

HISTORY_RETENTION = timedelta(days=30)
"""How long alarm history is kept: 30 days in the current user guide (the 2023 guide said two
weeks); DescribeAlarmHistory keeps a deleted alarm's history too."""

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)", "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)", "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)", "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)", "eu-central-1": "EU (Frankfurt)", "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)", "eu-north-1": "EU (Stockholm)",
    "eu-south-1": "EU (Milan)", "me-south-1": "Middle East (Bahrain)", "sa-east-1": "South America (Sao Paulo)",
}
"""The Region names alarm notifications use ("Region":"US East (N. Virginia)", "EU (Ireland)",
"Asia Pacific (Singapore)" in recorded notifications)."""

COLUMNS = (
    "alarm_id", "region", "account_id", "alarm_name", "alarm_arn", "alarm_type", "alarm_description",
    "actions_enabled", "ok_actions", "alarm_actions", "insufficient_data_actions", "namespace", "metric_name",
    "dimensions", "statistic", "extended_statistic", "period", "unit", "evaluation_periods",
    "datapoints_to_alarm", "threshold", "comparison_operator", "treat_missing_data",
    "evaluate_low_sample_count_percentile", "threshold_metric_id", "metrics", "alarm_rule",
    "actions_suppressor", "actions_suppressor_wait_period", "actions_suppressor_extension_period",
    "actions_suppressed_by", "actions_suppressed_reason", "actions_pending_until", "state_value",
    "state_reason", "state_reason_data", "state_updated_timestamp", "state_transitioned_timestamp",
    "alarm_configuration_updated_timestamp", "tags",
)
SELECT_ALARM = f"SELECT {', '.join(COLUMNS)} FROM cloudwatch_alarms"


def alarm_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{name}"


def region_name(region: str) -> str:
    return REGION_NAMES.get(region, region)


# --- reading and writing rows -------------------------------------------------------------------------

def rows(db, where: str = "TRUE", params: list | dict | None = None) -> list[dict[str, Any]]:
    """Alarm rows as dicts (column name -> value), ordered by name."""
    found = db.execute(f"{SELECT_ALARM} WHERE {where} ORDER BY alarm_name", params or []).fetchall()
    return [dict(zip(COLUMNS, row)) for row in found]


def find(db, region: str, account_id: str, name: str) -> dict[str, Any] | None:
    found = rows(db, "region = ? AND account_id = ? AND alarm_name = ?", [region, account_id, name])
    return found[0] if found else None


def insert(db, row: dict[str, Any]) -> None:
    db.execute(f"INSERT INTO cloudwatch_alarms ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
               [row.get(c) for c in COLUMNS])


def next_alarm_id(db) -> int:
    return db.execute("SELECT nextval('cloudwatch_alarm_ids')").fetchone()[0]


def add_history(db, region: str, account_id: str, name: str, alarm_type: str, when: datetime,
                item_type: str, summary: str, data: str) -> None:
    db.execute("INSERT INTO cloudwatch_alarm_history VALUES (nextval('cloudwatch_alarm_history_ids'), "
               "?, ?, ?, ?, ?, ?, ?, ?)", [region, account_id, name, alarm_type, when, item_type, summary, data])


# --- DescribeAlarms shapes ----------------------------------------------------------------------------

def _dimensions(row: dict[str, Any]) -> list[dict[str, str]]:
    return json.loads(row["dimensions"]) if row.get("dimensions") else []


def describe_shape(row: dict[str, Any]) -> dict[str, Any]:
    """The alarm as DescribeAlarms returns it (MetricAlarm or CompositeAlarm), absent keys omitted."""
    out: dict[str, Any] = {"AlarmName": row["alarm_name"], "AlarmArn": row["alarm_arn"]}
    if row["alarm_description"] is not None:
        out["AlarmDescription"] = row["alarm_description"]
    out.update({
        "AlarmConfigurationUpdatedTimestamp": row["alarm_configuration_updated_timestamp"],
        "ActionsEnabled": row["actions_enabled"],
        "OKActions": list(row["ok_actions"]),
        "AlarmActions": list(row["alarm_actions"]),
        "InsufficientDataActions": list(row["insufficient_data_actions"]),
        "StateValue": row["state_value"],
        "StateReason": row["state_reason"],
    })
    if row["state_reason_data"] is not None:
        out["StateReasonData"] = row["state_reason_data"]
    out["StateUpdatedTimestamp"] = row["state_updated_timestamp"]
    if row["alarm_type"] == "CompositeAlarm":
        out["AlarmRule"] = row["alarm_rule"]
        out["StateTransitionedTimestamp"] = row["state_transitioned_timestamp"]
        for key, column in (("ActionsSuppressedBy", "actions_suppressed_by"),
                            ("ActionsSuppressedReason", "actions_suppressed_reason"),
                            ("ActionsSuppressor", "actions_suppressor"),
                            ("ActionsSuppressorWaitPeriod", "actions_suppressor_wait_period"),
                            ("ActionsSuppressorExtensionPeriod", "actions_suppressor_extension_period")):
            if row[column] is not None:
                out[key] = row[column]
        return out
    if row["metrics"] is None:
        out["MetricName"] = row["metric_name"]
        out["Namespace"] = row["namespace"]
        if row["statistic"] is not None:
            out["Statistic"] = row["statistic"]
        if row["extended_statistic"] is not None:
            out["ExtendedStatistic"] = row["extended_statistic"]
    out["Dimensions"] = _dimensions(row)
    if row["metrics"] is None:
        out["Period"] = row["period"]
        if row["unit"] is not None:
            out["Unit"] = row["unit"]
    out["EvaluationPeriods"] = row["evaluation_periods"]
    if row["datapoints_to_alarm"] is not None:
        out["DatapointsToAlarm"] = row["datapoints_to_alarm"]
    if row["threshold"] is not None:
        out["Threshold"] = row["threshold"]
    out["ComparisonOperator"] = row["comparison_operator"]
    for key, column in (("TreatMissingData", "treat_missing_data"),
                        ("EvaluateLowSampleCountPercentile", "evaluate_low_sample_count_percentile")):
        if row[column] is not None:
            out[key] = row[column]
    if row["metrics"] is not None:
        out["Metrics"] = json.loads(row["metrics"])
    if row["threshold_metric_id"] is not None:
        out["ThresholdMetricId"] = row["threshold_metric_id"]
    out["StateTransitionedTimestamp"] = row["state_transitioned_timestamp"]
    return out


# --- history items ----------------------------------------------------------------------------------

def _pairs(dimensions: list[dict[str, str]]) -> list[dict[str, str]]:
    """Dimensions as alarm history and notifications write them: value first, lowercase keys."""
    return [{"value": d["Value"], "name": d["Name"]} for d in dimensions]


def history_alarm(row: dict[str, Any]) -> dict[str, Any]:
    """The alarm inside a ConfigurationUpdate's HistoryData (``createdAlarm``/``updatedAlarm``),
    in the recorded key order and spelling (``okactions``)."""
    out: dict[str, Any] = {"alarmName": row["alarm_name"]}
    if row["alarm_description"] is not None:
        out["alarmDescription"] = row["alarm_description"]
    out["alarmArn"] = row["alarm_arn"]
    out["alarmConfigurationUpdatedTimestamp"] = json_time(row["alarm_configuration_updated_timestamp"], millis=True)
    if row["alarm_type"] == "CompositeAlarm":
        out["alarmRule"] = row["alarm_rule"]
        for key, column in (("actionsSuppressor", "actions_suppressor"),
                            ("actionsSuppressorWaitPeriod", "actions_suppressor_wait_period"),
                            ("actionsSuppressorExtensionPeriod", "actions_suppressor_extension_period")):
            if row[column] is not None:
                out[key] = row[column]
    elif row["metrics"] is None:
        out["namespace"] = row["namespace"]
        out["metricName"] = row["metric_name"]
        if row["statistic"] is not None:
            out["statistic"] = row["statistic"]
        if row["extended_statistic"] is not None:
            out["extendedStatistic"] = row["extended_statistic"]
        out["period"] = row["period"]
        if row["unit"] is not None:
            out["unit"] = row["unit"]
        out["dimensions"] = _pairs(_dimensions(row))
    else:
        out["metrics"] = json.loads(row["metrics"])
    if row["alarm_type"] == "MetricAlarm":
        if row["threshold"] is not None:
            out["threshold"] = float(row["threshold"])
        if row["threshold_metric_id"] is not None:
            out["thresholdMetricId"] = row["threshold_metric_id"]
        out["comparisonOperator"] = row["comparison_operator"]
        out["evaluationPeriods"] = row["evaluation_periods"]
        if row["datapoints_to_alarm"] is not None:
            out["datapointsToAlarm"] = row["datapoints_to_alarm"]
        if row["treat_missing_data"] is not None:
            out["treatMissingData"] = row["treat_missing_data"]
        if row["evaluate_low_sample_count_percentile"] is not None:
            out["evaluateLowSampleCountPercentile"] = row["evaluate_low_sample_count_percentile"]
    out["stateValue"] = row["state_value"]
    out["stateUpdatedTimestamp"] = json_time(row["state_updated_timestamp"], millis=True)
    out["actionsEnabled"] = row["actions_enabled"]
    out["alarmActions"] = list(row["alarm_actions"])
    out["insufficientDataActions"] = list(row["insufficient_data_actions"])
    out["okactions"] = list(row["ok_actions"])
    return out


def configuration_history(kind: str, row: dict[str, Any], before: dict[str, Any] | None = None) -> tuple[str, str]:
    """(HistorySummary, HistoryData) of a ConfigurationUpdate: ``kind`` is Create, Update or Delete."""
    name = row["alarm_name"]
    if kind == "Create":
        return f'Alarm "{name}" created', to_json({"version": "1.0", "type": "Create", "createdAlarm": history_alarm(row)})
    if kind == "Delete":
        return f'Alarm "{name}" deleted', to_json({"version": "1.0", "type": "Delete", "deletedAlarm": history_alarm(row)})
    after = history_alarm(row)
    original = history_alarm(before) if before else {}
    changed = {key: original.get(key) for key in after if original.get(key) != after[key] and key != "stateValue"
               and key != "stateUpdatedTimestamp"}
    return f'Alarm "{name}" updated', to_json({"version": "1.0", "type": "Update", "updatedAlarm": after,
                                                "originalUpdatedFields": changed})


def _state_json(value: str, reason: str, reason_data: str | None) -> str:
    text = f'{{"stateValue":{json.dumps(value)},"stateReason":{json.dumps(reason, ensure_ascii=False)}'
    if reason_data:
        try:
            json.loads(reason_data)
            embedded = reason_data  # already JSON as CloudWatch writes it: embed it as an object
        except ValueError:
            embedded = json.dumps(reason_data, ensure_ascii=False)
        text += f',"stateReasonData":{embedded}'
    return text + "}"


def state_history(old: tuple[str, str, str | None], new: tuple[str, str, str | None]) -> tuple[str, str]:
    """(HistorySummary, HistoryData) of a StateUpdate, from (value, reason, reason data) pairs."""
    return (f"Alarm updated from {old[0]} to {new[0]}",
            f'{{"version":"1.0","oldState":{_state_json(*old)},"newState":{_state_json(*new)}}}')


def history_item(row: tuple) -> dict[str, Any]:
    name, alarm_type, timestamp, item_type, summary, data = row
    return {"AlarmName": name, "AlarmType": alarm_type, "Timestamp": timestamp, "HistoryItemType": item_type,
            "HistorySummary": summary, "HistoryData": data}


# --- EventBridge shapes -----------------------------------------------------------------------------

def metric_id(row: dict[str, Any]) -> str:
    """The id EventBridge gives a single-metric alarm's one query: a UUID (stable per alarm here)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, row["alarm_arn"]))


def _event_query(query: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": query["Id"]}
    if "MetricStat" in query:
        stat = query["MetricStat"]
        metric = stat["Metric"]
        out["metricStat"] = {"metric": {"namespace": metric["Namespace"], "name": metric["MetricName"],
                                        "dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}},
                             "period": stat["Period"], "stat": stat["Stat"]}
        if "Unit" in stat:
            out["metricStat"]["unit"] = stat["Unit"]
    else:
        out["expression"] = query["Expression"]
    if "Label" in query:
        out["label"] = query["Label"]
    out["returnData"] = query.get("ReturnData", True)
    if "Period" in query:
        out["period"] = query["Period"]
    return out


def event_metrics(row: dict[str, Any]) -> list[dict[str, Any]]:
    if row["metrics"] is not None:
        return [_event_query(q) for q in json.loads(row["metrics"])]
    stat = {"Metric": {"Namespace": row["namespace"], "MetricName": row["metric_name"],
                       "Dimensions": _dimensions(row)},
            "Period": row["period"], "Stat": row["statistic"] or row["extended_statistic"]}
    if row["unit"] is not None:
        stat["Unit"] = row["unit"]
    return [_event_query({"Id": metric_id(row), "MetricStat": stat, "ReturnData": True})]


def event_configuration(row: dict[str, Any]) -> dict[str, Any]:
    """``detail.configuration`` of a "CloudWatch Alarm State Change" event."""
    if row["alarm_type"] == "CompositeAlarm":
        out: dict[str, Any] = {"alarmRule": row["alarm_rule"]}
        for key, column in (("actionsSuppressor", "actions_suppressor"),
                            ("actionsSuppressorWaitPeriod", "actions_suppressor_wait_period"),
                            ("actionsSuppressorExtensionPeriod", "actions_suppressor_extension_period")):
            if row[column] is not None:
                out[key] = row[column]
        return out
    out = {}
    if row["alarm_description"] is not None:
        out["description"] = row["alarm_description"]
    out["metrics"] = event_metrics(row)
    return out


def event_full_configuration(row: dict[str, Any]) -> dict[str, Any]:
    """``detail.configuration`` of a "CloudWatch Alarm Configuration Change" event."""
    out: dict[str, Any] = {}
    if row["alarm_type"] == "CompositeAlarm":
        out.update(event_configuration(row))
    else:
        out["evaluationPeriods"] = row["evaluation_periods"]
        if row["threshold"] is not None:
            out["threshold"] = row["threshold"]
        out["comparisonOperator"] = row["comparison_operator"]
        if row["treat_missing_data"] is not None:
            out["treatMissingData"] = row["treat_missing_data"]
        out["metrics"] = event_metrics(row)
    out["alarmName"] = row["alarm_name"]
    if row["alarm_description"] is not None:
        out["description"] = row["alarm_description"]
    out.update({"actionsEnabled": row["actions_enabled"],
                "timestamp": json_time(row["alarm_configuration_updated_timestamp"], millis=True),
                "okActions": list(row["ok_actions"]), "alarmActions": list(row["alarm_actions"]),
                "insufficientDataActions": list(row["insufficient_data_actions"])})
    return out


def event_state(value: str, reason: str | None, reason_data: str | None, when: datetime,
                suppressed_by: str | None = None, suppressed_reason: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {}
    if suppressed_by:
        state["actionsSuppressedBy"] = suppressed_by
        state["actionsSuppressedReason"] = suppressed_reason
    state["value"] = value
    if reason is not None:
        state["reason"] = reason
    if reason_data:
        state["reasonData"] = reason_data
    state["timestamp"] = json_time(when, millis=True)
    return state
