"""Metric alarm evaluation: one pure function from an alarm and its evaluation range to a state.

This is the rule CloudWatch applies every time it evaluates a metric alarm, with no storage, no
clock and no API in it, so it can be read, tested and taught on its own. The caller (the lab's
alarm scheduler) aggregates the alarm's metric into one datapoint per period over the
*evaluation range*, calls :func:`evaluate_alarm`, and writes the answer back.

Sources (Amazon CloudWatch User Guide):

* "Alarm evaluation" (alarm-evaluation.html): Period, Evaluation Periods (N), Datapoints to Alarm
  (M, "M out of N", default M = N); alarms with periods of a minute or more are evaluated every
  minute on a window that slides with the evaluation time ("at the end of minute 6, the alarm is
  evaluated based on the data from minutes 2 to 6"); 10/20/30-second alarms every 10 seconds;
  alarms whose N x Period exceeds a day once an hour, on data "up to the current hour at the :00
  minute".
* "Configuring how CloudWatch alarms treat missing data" (alarms-and-missing-data.html): the
  evaluation range, the three retrieval rules, the four TreatMissingData values, the two example
  tables, and "Avoiding premature transitions to alarm state".
* "Percentile-based alarms and low data samples" (AlarmThatSendsEmail.html#percentiles-with-low-samples).
* PutMetricAlarm (API reference): ``AWS/DynamoDB`` alarms always ignore missing data.

How the evaluation range is chosen
    AWS says CloudWatch "attempts to retrieve a higher number of data points than the number
    specified as Evaluation Periods" and that the number depends on the period and resolution,
    but publishes only one example: 5 for N = 3. The lab uses **N + 2** periods
    (:func:`evaluation_range_length`). Two public field measurements agree with it: a 15-minute,
    N = 1 alarm with notBreaching returned to OK "just over three periods" after its metric
    stopped, and a 15-minute, N = 8 breaching alarm went to ALARM about ten periods after the
    last good datapoint.

Which periods count as "not yet arrived"
    Nothing is special-cased: the newest window is the period that ends at the evaluation time
    (:func:`evaluation_windows`), and whatever has been stored for it by then is its datapoint.
    A datapoint that arrives late is simply absent at this evaluation and present at the next
    one, as long as its period is still inside the evaluation range; once its period has slid
    out of the range no later evaluation ever sees it. A missing newest datapoint is what the
    evaluation range and the premature-alarm rule exist for: older real datapoints stand in for
    it, and ``- - - - X`` does not alarm until the breach has aged.

Choices where AWS is silent are marked "(lab choice)" in the code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)

INITIAL_STATE = INSUFFICIENT_DATA
INITIAL_REASON = "Unchecked: Initial alarm creation"
"""A new alarm's state and StateReason, as AWS returns them right after PutMetricAlarm."""

MISSING = "missing"
IGNORE = "ignore"
BREACHING = "breaching"
NOT_BREACHING = "notBreaching"
TREAT_MISSING_DATA = (MISSING, IGNORE, BREACHING, NOT_BREACHING)

THRESHOLD_OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
BAND_OPERATORS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
COMPARISON_OPERATORS = tuple(THRESHOLD_OPERATORS) + BAND_OPERATORS

LIST_LIMIT = 5
"""Reasons list at most five datapoints inline; from five supporting datapoints on, AWS writes
"... The most recent datapoints which crossed the threshold: [five newest]" instead."""


@dataclass(frozen=True)
class Datapoint:
    """One period of the evaluation range: its start, its aggregated value (None when missing).

    ``sample_count`` is the period's SampleCount (for percentile low-sample rules and for
    StateReasonData); ``lower``/``upper`` are the anomaly-detection band at this period, used
    only by the three band operators. A band alarm's datapoint without a band is missing.
    """

    timestamp: datetime
    value: float | None
    sample_count: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class AlarmConfig:
    """What evaluation needs from a metric alarm's configuration (PutMetricAlarm's parameters).

    ``datapoints_to_alarm`` stays None when the caller did not set DatapointsToAlarm (M is then
    N); whether it was set, and whether the alarm is defined with ``Metrics`` (metric math,
    anomaly bands), changes the wording of the StateReason (see :func:`state_reason`).
    """

    comparison_operator: str
    evaluation_periods: int
    period: int
    threshold: float | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = MISSING
    statistic: str | None = None
    extended_statistic: str | None = None
    evaluate_low_sample_count_percentile: str | None = None
    unit: str | None = None
    metric_math: bool = False

    def __post_init__(self) -> None:
        if self.comparison_operator not in COMPARISON_OPERATORS:
            raise ValueError(f"unknown ComparisonOperator {self.comparison_operator!r}")
        if self.is_band:
            object.__setattr__(self, "metric_math", True)
        elif self.threshold is None:
            raise ValueError(f"{self.comparison_operator} needs a threshold")
        if self.evaluation_periods < 1 or self.period < 1:
            raise ValueError("EvaluationPeriods and Period must be positive")
        if self.datapoints_to_alarm is not None and not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError("DatapointsToAlarm must be between 1 and EvaluationPeriods")
        if self.treat_missing_data not in TREAT_MISSING_DATA:
            raise ValueError(f"unknown TreatMissingData {self.treat_missing_data!r}")

    @property
    def is_band(self) -> bool:
        return self.comparison_operator in BAND_OPERATORS

    @property
    def m(self) -> int:
        """Datapoints to Alarm, defaulting to Evaluation Periods."""
        return self.datapoints_to_alarm or self.evaluation_periods

    @classmethod
    def from_alarm(cls, alarm: Mapping[str, Any]) -> AlarmConfig:
        """The configuration of a DescribeAlarms-shaped MetricAlarm (PutMetricAlarm parameters).

        Applies PutMetricAlarm's rule that ``AWS/DynamoDB`` alarms always treat missing data as
        ``ignore``, and takes the period of a metric-math alarm from its queries.
        """
        metrics = alarm.get("Metrics") or []
        period = alarm.get("Period")
        if period is None:
            periods = [q.get("Period") or (q.get("MetricStat") or {}).get("Period") for q in metrics]
            period = next((p for p in periods if p), 60)
        return cls(
            comparison_operator=alarm["ComparisonOperator"],
            evaluation_periods=alarm["EvaluationPeriods"],
            period=period,
            threshold=alarm.get("Threshold"),
            datapoints_to_alarm=alarm.get("DatapointsToAlarm"),
            treat_missing_data=effective_treat_missing_data(alarm.get("Namespace"),
                                                            alarm.get("TreatMissingData")),
            statistic=alarm.get("Statistic"),
            extended_statistic=alarm.get("ExtendedStatistic"),
            evaluate_low_sample_count_percentile=alarm.get("EvaluateLowSampleCountPercentile"),
            unit=alarm.get("Unit"),
            metric_math=bool(metrics),
        )


@dataclass(frozen=True)
class AlarmEvaluation:
    """The outcome of one evaluation.

    ``reason`` and ``reason_data`` (StateReason and the StateReasonData JSON text) are None when
    the alarm keeps its state by rule (``ignore`` with nothing to decide on, or a low-sample
    percentile): the alarm's current reason stands. ``rule`` names the documented rule that
    decided, for explanations: ``complete`` (no gaps), ``enough_real`` (gaps but >= N real),
    ``filled`` (missing datapoints filled), ``real_only`` (missing/ignore: the real datapoints
    decided), ``premature``, ``all_missing``, ``too_few`` or ``low_sample``.
    """

    state: str
    changed: bool
    reason: str | None
    reason_data: str | None
    rule: str
    evaluated: tuple[Datapoint, ...] = ()
    filled: int = 0


# --- time: cadence, the evaluation range, windows ------------------------------------------------

def evaluation_cadence(period: int, evaluation_periods: int) -> timedelta:
    """How often CloudWatch evaluates the alarm (alarm-evaluation.html)."""
    if period < 60:
        return timedelta(seconds=10)
    if period * evaluation_periods > 86_400:
        return timedelta(hours=1)
    return timedelta(minutes=1)


def evaluation_range_length(evaluation_periods: int) -> int:
    """Periods in the evaluation range: N + 2 (lab choice; AWS's only example is 5 for N = 3)."""
    return evaluation_periods + 2


def evaluation_windows(evaluation_time: datetime, period: int, evaluation_periods: int,
                       range_length: int | None = None) -> list[datetime]:
    """Start times of the evaluation range's periods, oldest first; the newest ends at the
    evaluation time.

    Windows slide with the evaluation time rather than being aligned to the clock: the end is
    the evaluation time truncated to the second (10/20/30-second alarms), the minute, or, for
    multi-day alarms, the hour (alarm-evaluation.html). Each window is [start, start + period).
    """
    t = evaluation_time.astimezone(timezone.utc)
    cadence = evaluation_cadence(period, evaluation_periods)
    if cadence == timedelta(hours=1):
        end = t.replace(minute=0, second=0, microsecond=0)
    elif cadence == timedelta(minutes=1):
        end = t.replace(second=0, microsecond=0)
    else:
        end = t.replace(microsecond=0)
    length = range_length or evaluation_range_length(evaluation_periods)
    step = timedelta(seconds=period)
    return [end - step * (length - i) for i in range(length)]


# --- rules that do not need the datapoints ---------------------------------------------------------

def effective_treat_missing_data(namespace: str | None, treat_missing_data: str | None) -> str:
    """The TreatMissingData in force: ``missing`` by default, always ``ignore`` for AWS/DynamoDB.

    PutMetricAlarm: "Alarms that evaluate metrics in the AWS/DynamoDB namespace always ignore
    missing data even if you choose a different option for TreatMissingData."
    """
    if namespace == "AWS/DynamoDB":
        return IGNORE
    return treat_missing_data or MISSING


def low_sample_count(extended_statistic: str | None) -> float | None:
    """Fewest samples a percentile needs before it is statistically significant, or None.

    For 0.5 <= p < 1 it is 10 / (1 - p) (1000 for p99); for 0 < p < 0.5 it is 10 / p
    (AlarmThatSendsEmail.html#percentiles-with-low-samples). Only ``pNN`` statistics have one.
    """
    if not extended_statistic or not extended_statistic.startswith("p"):
        return None
    try:
        p = float(extended_statistic[1:]) / 100
    except ValueError:
        return None
    if 0.5 <= p < 1:
        return 10 / (1 - p)
    if 0 < p < 0.5:
        return 10 / p
    return None


def breaches(config: AlarmConfig, point: Datapoint) -> bool | None:
    """Whether a datapoint breaches: True, False, or None when it is missing."""
    v = point.value
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if not config.is_band:
        return bool(THRESHOLD_OPERATORS[config.comparison_operator][1](v, config.threshold))
    below = point.lower is not None and not math.isnan(point.lower)
    above = point.upper is not None and not math.isnan(point.upper)
    op = config.comparison_operator
    if op == "LessThanLowerThreshold":
        return v < point.lower if below else None
    if op == "GreaterThanUpperThreshold":
        return v > point.upper if above else None
    if not (below and above):
        return None
    return v < point.lower or v > point.upper


# --- the evaluation ---------------------------------------------------------------------------------

def evaluate_alarm(config: AlarmConfig, datapoints: Sequence[Datapoint], *, current_state: str,
                   evaluation_time: datetime) -> AlarmEvaluation:
    """Evaluate a metric alarm over its evaluation range.

    ``datapoints`` are the range's periods, one per period, oldest first, contiguous (a missing
    period is a Datapoint with ``value=None``; see :func:`evaluation_windows`). The rules, from
    alarms-and-missing-data.html:

    1. no missing datapoints: the newest N decide;
    2. some missing but at least N real ones: the newest N *real* datapoints decide, whatever
       TreatMissingData says;
    3. fewer than N real: all real datapoints count, and the N - R missing ones are filled with
       the treatment (``breaching``/``notBreaching``); with ``missing`` the real datapoints decide
       alone, all-missing is INSUFFICIENT_DATA, and the premature-alarm rule applies; ``ignore``
       keeps the state wherever ``missing`` would go to INSUFFICIENT_DATA or alarm prematurely.

    ALARM when at least M evaluated datapoints breach, otherwise OK.
    """
    if current_state not in STATES:
        raise ValueError(f"unknown alarm state {current_state!r}")
    points = _checked_range(config, datapoints)
    n, m = config.evaluation_periods, config.m
    verdicts = [breaches(config, p) for p in points]
    real = [(p, b) for p, b in zip(points, verdicts) if b is not None]
    missing = [p for p, b in zip(points, verdicts) if b is None]

    if len(real) >= n:
        evaluated = real[-n:]
        return _decide(config, current_state, evaluation_time, evaluated, [], None,
                       ALARM if _count(evaluated) >= m else OK, "enough_real" if missing else "complete")

    fill = n - len(real)
    fill_periods = missing[-fill:] if fill else []
    breaching = _count(real)
    treat = config.treat_missing_data
    if treat in (BREACHING, NOT_BREACHING):
        filled_breaching = fill if treat == BREACHING else 0
        state = ALARM if breaching + filled_breaching >= m else OK
        return _decide(config, current_state, evaluation_time, real, fill_periods, treat, state, "filled")

    # missing / ignore: the real datapoints decide on their own; fills never count.
    if not real:
        decided: tuple[str, str] = (INSUFFICIENT_DATA, "all_missing")
    elif breaching >= m:
        decided = (ALARM, "real_only")
    elif _premature(points, verdicts, m):
        decided = (ALARM, "premature")
    elif breaching < len(real):
        decided = (OK, "real_only")
    else:
        decided = (INSUFFICIENT_DATA, "too_few")
    state, rule = decided
    if treat == IGNORE and (state == INSUFFICIENT_DATA or rule == "premature"):
        return AlarmEvaluation(current_state, False, None, None, rule, tuple(p for p, _ in real), 0)
    return _decide(config, current_state, evaluation_time, real, fill_periods, None, state, rule)


def _checked_range(config: AlarmConfig, datapoints: Sequence[Datapoint]) -> list[Datapoint]:
    points = list(datapoints)
    if len(points) < config.evaluation_periods:
        raise ValueError("the evaluation range must cover at least EvaluationPeriods periods")
    step = timedelta(seconds=config.period)
    for earlier, later in zip(points, points[1:]):
        if later.timestamp - earlier.timestamp != step:
            raise ValueError("datapoints must be one per period, oldest first, without gaps "
                             "(a missing period is Datapoint(timestamp, None))")
    return points


def _count(evaluated: Sequence[tuple[Datapoint, bool]]) -> int:
    return sum(1 for _, b in evaluated if b)


def _premature(points: Sequence[Datapoint], verdicts: Sequence[bool | None], m: int) -> bool:
    """"Avoiding premature transitions to alarm state": ALARM with fewer than M real datapoints
    when the oldest available datapoint breaches, is at least M periods old, and every newer
    datapoint is breaching or missing.

    The doc's wording says "the oldest available *breaching* datapoint"; read that way the
    2-of-3 row ``0 - X - -`` would alarm, but the same page's table says OK (awsdocs issue
    #129). A non-breaching real datapoint anywhere in the range therefore turns the rule off,
    which reproduces every published row.
    """
    ages = [len(points) - 1 - i for i, b in enumerate(verdicts) if b is not None]
    if not ages or any(b is False for b in verdicts):
        return False
    return max(ages) + 1 >= m


def _decide(config: AlarmConfig, current_state: str, evaluation_time: datetime,
            evaluated: Sequence[tuple[Datapoint, bool]], fill_periods: Sequence[Datapoint],
            treat: str | None, state: str, rule: str) -> AlarmEvaluation:
    if config.evaluate_low_sample_count_percentile == "ignore":
        needed = low_sample_count(config.extended_statistic)
        # "the alarm state does not change during periods with too few data points" (PutMetricAlarm)
        if needed is not None and any(p.sample_count is not None and p.sample_count < needed
                                      for p, _ in evaluated):
            return AlarmEvaluation(current_state, False, None, None, "low_sample",
                                   tuple(p for p, _ in evaluated), 0)
    filled = len(fill_periods) if treat or state == INSUFFICIENT_DATA else 0
    reason = state_reason(config, state, evaluated, fill_periods, treat)
    data = state_reason_data(config, state, evaluation_time, evaluated, fill_periods, treat)
    return AlarmEvaluation(state, state != current_state, reason, data, rule,
                           tuple(p for p, _ in evaluated), filled)


# --- StateReason ------------------------------------------------------------------------------------

def state_reason(config: AlarmConfig, state: str, evaluated: Sequence[tuple[Datapoint, bool]],
                 fill_periods: Sequence[Datapoint] = (), treat: str | None = None) -> str:
    """The StateReason AWS writes for a new state, from the datapoints that decided it.

    Recorded AWS texts this reproduces::

        Threshold Crossed: 1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold (2.0).
        Threshold Crossed: 2 out of the last 2 datapoints [63.0 (11/12/24 06:04:00), 66.0 (11/12/24 05:59:00)]
          were greater than the threshold (50.0) (minimum 2 datapoints for OK -> ALARM transition).
        Threshold Crossed: 30 out of the last 30 datapoints were greater than the threshold (20.0). The
          most recent datapoints which crossed the threshold: [...five...] (minimum 30 datapoints for
          OK -> ALARM transition).
        Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were
          treated as [Breaching].
        Threshold Crossed: 1 datapoint [1.0 (26/08/26 16:16:00)] was not less than the threshold (1.0) and
          2 missing datapoints were treated as [Breaching].
        Thresholds Crossed: 1 out of the last 1 datapoints [0.0 (03/10/19 15:58:00)] was less than the
          lower thresholds [0.0205...] or greater than the upper thresholds [0.3006...] (minimum 1
          datapoint for OK -> ALARM transition).
        Insufficient Data: 1 datapoint was unknown.

    The "N out of the last N ... (minimum M datapoints for OK -> ALARM transition)" form appears
    in every recorded reason of an alarm with DatapointsToAlarm set or defined with Metrics, the
    shorter "N datapoints [...] was ..." form in every recorded reason of the others (lab
    reading of the evidence). The listed datapoints are the ones that support the new state
    (breaching for ALARM, not breaching for OK), newest first; the minimum is M for OK -> ALARM
    and N - M + 1 for ALARM -> OK.
    """
    if state == INSUFFICIENT_DATA:
        unknown = len(fill_periods) or config.evaluation_periods
        return f"Insufficient Data: {unknown} datapoint{' was' if unknown == 1 else 's were'} unknown."
    prefix = "Thresholds Crossed" if config.is_band else "Threshold Crossed"
    want = state == ALARM
    listed = [p for p, b in reversed(evaluated) if b == want]
    if treat:
        treated = "Breaching" if treat == BREACHING else "NonBreaching"
        fill = len(fill_periods)
        tail = f"{fill} missing datapoint{' was' if fill == 1 else 's were'} treated as [{treated}]."
        if not evaluated:
            return f"{prefix}: no datapoints were received for {fill} period{_s(fill)} and {tail}"
        # Lab choice: when no real datapoint supports the new state (the fills decided), list the
        # real ones with their own verdict.
        if not listed:
            listed, want = [p for p, _ in reversed(evaluated)], not want
        k = len(listed)
        return (f"{prefix}: {k} datapoint{_s(k)} [{_items(listed)}] {_was(k)} {_phrase(config, listed, want)} "
                f"and {tail}")
    k = len(listed)
    long_form = config.datapoints_to_alarm is not None or config.metric_math
    head = f"{prefix}: {k} out of the last {config.evaluation_periods} datapoints" if long_form \
        else f"{prefix}: {k} datapoint{_s(k)}"
    if k >= LIST_LIMIT:
        shown = listed[:LIST_LIMIT]
        body = (f"{head} were {_phrase(config, shown, want)}. "
                f"The most recent datapoints which crossed the threshold: [{_items(shown)}]")
    else:
        body = f"{head} [{_items(listed)}] {_was(k)} {_phrase(config, listed, want)}"
    if not long_form:
        return body + "."
    n, m = config.evaluation_periods, config.m
    minimum, transition = (m, "OK -> ALARM") if want else (n - m + 1, "ALARM -> OK")
    return f"{body} (minimum {minimum} datapoint{_s(minimum)} for {transition} transition)."


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def _items(points: Sequence[Datapoint]) -> str:
    return ", ".join(f"{java_double(p.value)} ({reason_time(p.timestamp)})" for p in points)


def _phrase(config: AlarmConfig, points: Sequence[Datapoint], crossing: bool) -> str:
    no = "" if crossing else "not "
    op = config.comparison_operator
    if not config.is_band:
        return f"{no}{THRESHOLD_OPERATORS[op][0]} the threshold ({java_double(config.threshold)})"
    lower = f"{no}less than the lower thresholds [{', '.join(java_double(p.lower) for p in points)}]"
    upper = f"{no}greater than the upper thresholds [{', '.join(java_double(p.upper) for p in points)}]"
    if op == "LessThanLowerThreshold":
        return lower
    if op == "GreaterThanUpperThreshold":
        return upper
    return f"{lower} or {upper}"


# --- StateReasonData --------------------------------------------------------------------------------

def state_reason_data(config: AlarmConfig, state: str, evaluation_time: datetime,
                      evaluated: Sequence[tuple[Datapoint, bool]], fill_periods: Sequence[Datapoint] = (),
                      treat: str | None = None) -> str:
    """The StateReasonData JSON text, keys in AWS's order.

    Recorded AWS example (a describe-alarms output; the same shape is in the AWS docs' event)::

        {"version":"1.0","queryDate":"2024-09-19T06:01:18.043+0000",
         "startDate":"2024-09-19T05:56:00.000+0000","statistic":"Average","period":300,
         "recentDatapoints":[1.0166666666666666],"threshold":90.0,
         "evaluatedDatapoints":[{"timestamp":"2024-09-19T05:56:00.000+0000","sampleCount":1.0,
                                 "value":1.0166666666666666}]}

    ``recentDatapoints`` are the real evaluated values, oldest first, and ``startDate`` the
    oldest one's period (both empty/absent when nothing was received). ``evaluatedDatapoints``
    are, newest first, the datapoints the transition needed: M supporting ones for ALARM,
    N - M + 1 for OK, the unknown periods for INSUFFICIENT_DATA; filled and unknown periods
    carry only a timestamp. (The AWS-recorded examples fit this reading; AWS does not define it.)
    Band alarms carry ``recentLowerThresholds``/``recentUpperThresholds`` instead of
    ``threshold``, and each evaluated datapoint of a one-sided band its bound as ``threshold``.
    """
    data: dict[str, Any] = {"version": "1.0", "queryDate": json_time(evaluation_time, millis=True)}
    if evaluated:
        data["startDate"] = json_time(evaluated[0][0].timestamp)
    if config.unit:
        data["unit"] = config.unit
    statistic = config.statistic or config.extended_statistic
    if statistic and not config.metric_math:
        data["statistic"] = statistic
    data["period"] = config.period
    data["recentDatapoints"] = [p.value for p, _ in evaluated]
    op = config.comparison_operator
    if config.is_band:
        if op != "GreaterThanUpperThreshold":
            data["recentLowerThresholds"] = [p.lower for p, _ in evaluated]
        if op != "LessThanLowerThreshold":
            data["recentUpperThresholds"] = [p.upper for p, _ in evaluated]
    else:
        data["threshold"] = config.threshold
    data["evaluatedDatapoints"] = [_evaluated_entry(config, p, real) for p, real in
                                   _transition_points(config, state, evaluated, fill_periods, treat)]
    return to_json(data)


def _transition_points(config: AlarmConfig, state: str, evaluated: Sequence[tuple[Datapoint, bool]],
                       fill_periods: Sequence[Datapoint], treat: str | None) -> list[tuple[Datapoint, bool]]:
    if state == INSUFFICIENT_DATA:
        return [(p, False) for p in reversed(fill_periods)]
    want = state == ALARM
    supporting = [(p, True) for p, b in evaluated if b == want]
    if treat and (treat == BREACHING) == want:
        supporting += [(p, False) for p in fill_periods]
    supporting.sort(key=lambda item: item[0].timestamp, reverse=True)
    n, m = config.evaluation_periods, config.m
    return supporting[:m if want else n - m + 1]


def _evaluated_entry(config: AlarmConfig, point: Datapoint, real: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"timestamp": json_time(point.timestamp)}
    if not real:
        return entry
    if point.sample_count is not None:
        entry["sampleCount"] = float(point.sample_count)
    entry["value"] = point.value
    if config.comparison_operator == "LessThanLowerThreshold":
        entry["threshold"] = point.lower
    elif config.comparison_operator == "GreaterThanUpperThreshold":
        entry["threshold"] = point.upper
    return entry


# --- formatting as AWS does (its service is written in Java) ---------------------------------------

def java_double(value: float | int | None) -> str:
    """A number as Java's Double.toString writes it: 2.0, 21.5, 1.0E7, 1.0E-5."""
    if value is None:
        return "null"
    x = float(value)
    if x == 0:
        return "-0.0" if math.copysign(1, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        text = repr(x)
        return text if "e" not in text else format(Decimal(text), "f")
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    mantissa = "".join(map(str, digits))
    exp = exponent + len(mantissa) - 1
    fraction = mantissa[1:].rstrip("0") or "0"
    return f"{'-' if sign else ''}{mantissa[0]}.{fraction}E{exp}"


def reason_time(ts: datetime) -> str:
    """A datapoint time as StateReason writes it: ``26/10/23 16:42:00`` (dd/MM/yy, UTC)."""
    return ts.astimezone(timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def json_time(ts: datetime, millis: bool = False) -> str:
    """A time as StateReasonData writes it: ``2024-09-19T05:56:00.000+0000``."""
    t = ts.astimezone(timezone.utc)
    ms = t.microsecond // 1000 if millis else 0
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}+0000"


def to_json(value: Any) -> str:
    """Compact JSON with Java-style doubles, as CloudWatch serialises StateReasonData."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value) if math.isfinite(value) else "null"
    return json.dumps(value, ensure_ascii=False)
