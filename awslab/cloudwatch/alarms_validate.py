"""PutMetricAlarm's and PutCompositeAlarm's rules: turn the caller's parameters into an alarm's
stored configuration, or raise the error AWS answers with.

Texts recorded from AWS (ValidationError unless said otherwise):

* "DatapointsToAlarm must be less than or equal to EvaluationPeriods"
* "Statistic should not be set if list of Metrics is set." (the same form for the other
  single-metric parameters)
* "Invalid use of EC2 action. An EC2 action can only be used if the alarm is monitoring an EC2
  instance."
* "Metrics list must contain exactly one metric matching the ThresholdMetricId parameter"
* "Exactly one element of the metrics list should return data." (awslab.cloudwatch.math)
* InvalidParameterValue "The value p99x for parameter ExtendedStatistic is not supported."
* "Option x is not supported. Supported options for parameter EvaluateLowSampleCountPercentile
  are evaluate and ignore."

Where AWS's wording is not on record the message follows the same style (lab choice, marked).
The period limits are PutMetricAlarm's ``Period``: 10, 20, 30 or a multiple of 60; Period x
EvaluationPeriods at most 604,800 seconds, and at most 86,400 for periods under an hour.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

from ..errors import AWSError, validation_error
from .alarm_evaluation import BAND_OPERATORS, TREAT_MISSING_DATA
from .math import validate_queries
from .math_parser import calls
from .metrics import canonical_dimensions
from .statistics import parse_extended_statistic

ALARM_PERIODS_BELOW_A_MINUTE = (10, 20, 30)
MAX_EVALUATION_SECONDS = 604_800
MAX_SHORT_PERIOD_EVALUATION_SECONDS = 86_400
MAX_TAGS = 50

_SNS = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?")
_EC2 = re.compile(r"arn:aws[a-z-]*:automate:([a-z0-9-]+):ec2:(stop|terminate|reboot|recover)")
_SWF_EC2 = re.compile(r"arn:aws[a-z-]*:swf:[a-z0-9-]+:\d{12}:action/actions/AWS_EC2\.InstanceId\."
                      r"(Stop|Terminate|Reboot|Recover)/1\.0")
_AUTOSCALING = re.compile(r"arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:scalingPolicy:[0-9a-f-]+:"
                          r"autoScalingGroupName/(.+):policyName/(.+)")
_LAMBDA = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?")
_SSM = re.compile(r"arn:aws[a-z-]*:ssm(-incidents)?:[a-z0-9-]*:\d{12}:(opsitem|responseplan)[:/].+")
_AIOPS = re.compile(r"arn:aws[a-z-]*:aiops:[a-z0-9-]+:\d{12}:investigation-group:.+")

_SINGLE_METRIC_PARAMETERS = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions",
                             "Period", "Unit")
ACTION_LISTS = (("OKActions", "ok_actions"), ("AlarmActions", "alarm_actions"),
                ("InsufficientDataActions", "insufficient_data_actions"))


def action_kind(arn: str) -> str | None:
    """sns, ec2, autoscaling, lambda, ssm, aiops, or None for an ARN no alarm action can have."""
    for kind, pattern in (("sns", _SNS), ("ec2", _EC2), ("ec2", _SWF_EC2), ("autoscaling", _AUTOSCALING),
                          ("lambda", _LAMBDA), ("ssm", _SSM), ("aiops", _AIOPS)):
        if pattern.fullmatch(arn):
            return kind
    return None


def ec2_operation(arn: str) -> str:
    """stop, terminate, reboot or recover for an EC2 action ARN."""
    match = _EC2.fullmatch(arn)
    return match.group(2) if match else _SWF_EC2.fullmatch(arn).group(1).lower()


def autoscaling_policy(arn: str) -> tuple[str, str]:
    """(AutoScalingGroupName, PolicyName) named by a scaling policy ARN."""
    match = _AUTOSCALING.fullmatch(arn)
    return match.group(1), match.group(2)


def _check_name(name: str, parameter: str = "AlarmName") -> None:
    # PutMetricAlarm: "AlarmName ... UTF-8 characters, no control characters" (lab wording).
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise validation_error(f"The value {name} for parameter {parameter} is invalid: "
                               "it must not contain control characters.")


def _check_actions(params: dict[str, Any], *, allowed: Iterable[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    allowed = set(allowed)
    for parameter, column in ACTION_LISTS:
        actions = list(params.get(parameter) or [])
        for arn in actions:
            kind = action_kind(arn)
            if kind is None:
                raise validation_error(f"Invalid arn syntax: {arn}")
            if kind not in allowed:
                raise validation_error(f"The action {arn} in {parameter} is not supported for this kind of "
                                       "alarm.")  # lab wording; composite alarms take SNS, Lambda, SSM
        found[column] = actions
    return found


def _check_tags(tags: list[dict[str, str]] | None) -> str:
    tags = list(tags or [])
    if len(tags) > MAX_TAGS:
        raise AWSError("InvalidParameterValue", f"The collection Tags must not have a size greater than {MAX_TAGS}.")
    return json.dumps([{"Key": t["Key"], "Value": t["Value"]} for t in tags])


def check_alarm_period(period: int, parameter: str = "Period") -> None:
    if period <= 0 or (period not in ALARM_PERIODS_BELOW_A_MINUTE and period % 60):
        # lab wording, after GetMetricStatistics' "must be 1, 5, 10, 20, 30, or a multiple of 60"
        raise AWSError("InvalidParameterValue", f"The parameter {parameter} must be 10, 20, 30, or a multiple of 60.")


def _check_evaluation_range(period: int, evaluation_periods: int) -> None:
    total = period * evaluation_periods
    if total > MAX_EVALUATION_SECONDS or (period < 3600 and total > MAX_SHORT_PERIOD_EVALUATION_SECONDS):
        limit = MAX_SHORT_PERIOD_EVALUATION_SECONDS if period < 3600 and total <= MAX_EVALUATION_SECONDS \
            else MAX_EVALUATION_SECONDS
        # PutMetricAlarm ``Period``: "An alarm's total current evaluation period can be no longer than
        # seven days ... For alarms with a period of less than one hour (3,600 seconds), the total
        # evaluation period can't be longer than one day (86,400 seconds)." (lab wording)
        raise validation_error(f"The total evaluation period (Period x EvaluationPeriods = {total} seconds) "
                               f"must not exceed {limit} seconds.")


def _option(params: dict[str, Any], parameter: str, options: tuple[str, ...]) -> str | None:
    value = params.get(parameter)
    if value is not None and value not in options:
        listed = ", ".join(options[:-1]) + " and " + options[-1]
        raise validation_error(f"Option {value} is not supported. Supported options for parameter {parameter} "
                               f"are {listed}.")
    return value


def _metric_queries(params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The Metrics list, each query with ReturnData explicit, and the alarm's period."""
    queries = [dict(query) for query in params["Metrics"]]
    for query in queries:
        query.setdefault("ReturnData", True)
    threshold_id = params.get("ThresholdMetricId")
    if threshold_id is not None:
        matching = [q for q in queries if q["Id"] == threshold_id and q["ReturnData"]]
        if len(matching) != 1:
            raise validation_error("Metrics list must contain exactly one metric matching the ThresholdMetricId parameter")
    # An anomaly alarm returns both the metric and its band; the band is the threshold, not a datapoint.
    checked = [dict(q, ReturnData=False) if q["Id"] == threshold_id else q for q in queries]
    trees = validate_queries(checked, for_alarm=True)
    band = trees.get(threshold_id) if threshold_id is not None else None
    if threshold_id is not None and (band is None or not calls(band, "ANOMALY_DETECTION_BAND")):
        raise validation_error(f"The ThresholdMetricId {threshold_id} must refer to an ANOMALY_DETECTION_BAND "
                               "expression.")  # lab wording
    periods = []
    for index, query in enumerate(queries, start=1):
        stat = query.get("MetricStat")
        if stat is not None:
            check_alarm_period(stat["Period"], f"Metrics.member.{index}.MetricStat.Period")
            if stat["Stat"] not in ("SampleCount", "Average", "Sum", "Minimum", "Maximum"):
                parse_extended_statistic(stat["Stat"], f"Metrics.member.{index}.MetricStat.Stat")
            periods.append(stat["Period"])
        elif query.get("Period") is not None:
            check_alarm_period(query["Period"], f"Metrics.member.{index}.Period")
            periods.append(query["Period"])
    if not periods:
        raise validation_error("The metrics list must contain at least one metric.")  # lab wording
    return queries, periods[0]


def metric_alarm_columns(params: dict[str, Any], region: str) -> dict[str, Any]:
    """The stored configuration of a PutMetricAlarm request (cloudwatch_alarms columns), validated."""
    _check_name(params["AlarmName"])
    operator = params["ComparisonOperator"]
    n = params["EvaluationPeriods"]
    m = params.get("DatapointsToAlarm")
    columns: dict[str, Any] = {
        "alarm_description": params.get("AlarmDescription"),
        "actions_enabled": params.get("ActionsEnabled", True),
        "evaluation_periods": n, "datapoints_to_alarm": m, "comparison_operator": operator,
        "treat_missing_data": _option(params, "TreatMissingData", TREAT_MISSING_DATA),
        "evaluate_low_sample_count_percentile": _option(params, "EvaluateLowSampleCountPercentile",
                                                        ("evaluate", "ignore")),
        "threshold_metric_id": params.get("ThresholdMetricId"), "tags": _check_tags(params.get("Tags")),
    }
    if m is not None and m > n:
        raise validation_error("DatapointsToAlarm must be less than or equal to EvaluationPeriods")
    if "Metrics" in params:
        for parameter in _SINGLE_METRIC_PARAMETERS:
            if params.get(parameter) not in (None, []):
                raise validation_error(f"{parameter} should not be set if list of Metrics is set.")
        queries, period = _metric_queries(params)
        columns.update(metrics=json.dumps(queries), period=period)
    else:
        if "MetricName" not in params:
            raise AWSError("MissingParameter", "The parameter MetricName is required.")  # lab wording
        if "Namespace" not in params:
            raise AWSError("MissingParameter", "The parameter Namespace is required.")
        if "Period" not in params:
            raise AWSError("MissingParameter", "The parameter Period is required.")
        statistic, extended = params.get("Statistic"), params.get("ExtendedStatistic")
        if statistic and extended:
            raise AWSError("InvalidParameterCombination", "The parameters Statistic and ExtendedStatistic are "
                                                          "mutually exclusive and you have specified both.")
        if not statistic and not extended:
            raise AWSError("InvalidParameterCombination", "Must specify either Statistic or ExtendedStatistic")
        if extended:
            parse_extended_statistic(extended, "ExtendedStatistic")
        if params.get("ThresholdMetricId") is not None:
            raise validation_error("ThresholdMetricId can only be used with a list of Metrics.")  # lab wording
        check_alarm_period(params["Period"])
        names = [d["Name"] for d in params.get("Dimensions") or []]
        if len(names) != len(set(names)):
            raise AWSError("InvalidParameterValue", "No duplicate dimension names are allowed in Dimensions.")
        columns.update(namespace=params["Namespace"], metric_name=params["MetricName"],
                       dimensions=canonical_dimensions(params.get("Dimensions")), statistic=statistic,
                       extended_statistic=extended, period=params["Period"], unit=params.get("Unit"))
    _check_evaluation_range(columns["period"], n)
    if operator in BAND_OPERATORS:
        if params.get("ThresholdMetricId") is None:
            raise validation_error(f"ThresholdMetricId must be set for the ComparisonOperator {operator}.")  # lab
        if params.get("Threshold") is not None:
            raise validation_error("Threshold should not be set if ThresholdMetricId is set.")  # lab wording
    else:
        if params.get("ThresholdMetricId") is not None:
            raise validation_error(f"ThresholdMetricId cannot be used with the ComparisonOperator {operator}.")  # lab
        if params.get("Threshold") is None:
            raise AWSError("MissingParameter", "The parameter Threshold is required.")  # lab wording
        columns["threshold"] = float(params["Threshold"])
    columns.update(_check_actions(params, allowed=("sns", "ec2", "autoscaling", "lambda", "ssm", "aiops")))
    actions = [a for _, c in ACTION_LISTS for a in columns[c]]
    if any(action_kind(a) == "ec2" for a in actions):
        instance = "InstanceId" in [d["Name"] for d in json.loads(columns.get("dimensions") or "[]")]
        if "Metrics" in params or not instance:
            raise validation_error("Invalid use of EC2 action. An EC2 action can only be used if the alarm is "
                                   "monitoring an EC2 instance.")
    if operator in BAND_OPERATORS and any(action_kind(a) == "autoscaling" for a in actions):
        # PutMetricAlarm: "Alarms based on anomaly detection models cannot have Auto Scaling actions."
        raise validation_error("Alarms based on anomaly detection models cannot have Auto Scaling actions.")
    return columns


def composite_alarm_columns(params: dict[str, Any], existing: set[str]) -> dict[str, Any]:
    """The stored configuration of a PutCompositeAlarm request, validated against the alarms that
    exist (``existing``: names). The rule itself is checked by composite.parse_alarm_rule."""
    from .composite import alarm_name, check_alarms_exist, parse_alarm_rule

    _check_name(params["AlarmName"])
    rule = parse_alarm_rule(params["AlarmRule"])
    check_alarms_exist(rule, existing)
    columns: dict[str, Any] = {
        "alarm_description": params.get("AlarmDescription"), "actions_enabled": params.get("ActionsEnabled", True),
        "alarm_rule": params["AlarmRule"], "tags": _check_tags(params.get("Tags")),
    }
    columns.update(_check_actions(params, allowed=("sns", "lambda", "ssm", "aiops")))
    suppressor = params.get("ActionsSuppressor")
    if suppressor is not None:
        if alarm_name(suppressor) not in existing:
            raise validation_error(f"Could not save the composite alarm as the actions suppressor alarm "
                                   f"[{suppressor}] does not exist")  # after AWS's rule-children message
        for parameter in ("ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
            if params.get(parameter) is None:
                raise validation_error(f"{parameter} is required when ActionsSuppressor is specified.")  # lab
            if params[parameter] < 0:
                raise AWSError("InvalidParameterValue", f"The value {params[parameter]} for parameter "
                                                        f"{parameter} is invalid.")
    elif params.get("ActionsSuppressorWaitPeriod") is not None or params.get("ActionsSuppressorExtensionPeriod") is not None:
        raise validation_error("ActionsSuppressorWaitPeriod and ActionsSuppressorExtensionPeriod can only be "
                               "set with ActionsSuppressor.")  # lab wording
    columns.update(actions_suppressor=suppressor,
                   actions_suppressor_wait_period=params.get("ActionsSuppressorWaitPeriod"),
                   actions_suppressor_extension_period=params.get("ActionsSuppressorExtensionPeriod"))
    return columns
