"""The state many metric alarms would reach, computed at once with numpy.

Evaluating an alarm with :func:`awslab.cloudwatch.alarm_evaluation.evaluate_alarm` also writes
its StateReason and StateReasonData, which is most of its cost (about 150 µs). Every minute
the lab evaluates every alarm, and nearly always the state stays what it was. So the lab first
*screens* all alarms due this minute with this module — the same rules as ``evaluate_alarm``,
vectorised over a matrix of datapoints — and calls ``evaluate_alarm`` only for the alarms whose
state would change. ``evaluate_alarm`` stays the authority: it is what writes the new state and
its reason. A hypothesis test (tests/cloudwatch/test_alarms_screen.py) checks that both agree on
the state for arbitrary alarms and datapoints.

The screen covers alarms with a static threshold. Anomaly-band alarms, metric-math alarms and
percentile alarms with ``EvaluateLowSampleCountPercentile=ignore`` go straight to the engine.

Layout: row *a* of ``values`` is alarm *a*'s evaluation range, newest period in the last
column, right-aligned; ``in_range[a, j]`` is False left of the alarm's range (ranges differ in
length) and a missing datapoint is NaN inside it.
"""

from __future__ import annotations

import numpy as np

from .alarm_evaluation import ALARM, INSUFFICIENT_DATA, OK, THRESHOLD_OPERATORS, TREAT_MISSING_DATA

STATE_CODES = {OK: 0, ALARM: 1, INSUFFICIENT_DATA: 2}
STATES_BY_CODE = {code: state for state, code in STATE_CODES.items()}
OPERATOR_CODES = {name: code for code, name in enumerate(THRESHOLD_OPERATORS)}
TREAT_CODES = {name: code for code, name in enumerate(TREAT_MISSING_DATA)}
_MISSING, _IGNORE, _BREACHING, _NOT_BREACHING = (TREAT_CODES[t] for t in TREAT_MISSING_DATA)
_OK, _ALARM, _INSUFFICIENT = (STATE_CODES[s] for s in (OK, ALARM, INSUFFICIENT_DATA))


def breaching(values: np.ndarray, operator: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Whether each present datapoint breaches its alarm's threshold (False where missing)."""
    t = threshold[:, None]
    op = operator[:, None]
    with np.errstate(invalid="ignore"):
        result = np.where(op == 0, values >= t, np.where(op == 1, values > t,
                                                         np.where(op == 2, values < t, values <= t)))
    return result & ~np.isnan(values)


def screen(values: np.ndarray, in_range: np.ndarray, operator: np.ndarray, threshold: np.ndarray,
           evaluation_periods: np.ndarray, datapoints_to_alarm: np.ndarray, treat: np.ndarray,
           current: np.ndarray) -> np.ndarray:
    """State codes (see ``STATE_CODES``) the engine would give each alarm; ``current`` for the
    alarms whose state is retained (``ignore``)."""
    count, width = values.shape
    if count == 0:
        return np.empty(0, dtype=np.int8)
    present = in_range & ~np.isnan(values)
    breach = breaching(np.where(in_range, values, np.nan), operator, threshold)
    n, m = evaluation_periods, datapoints_to_alarm
    real = present.sum(axis=1)
    all_breaching = breach.sum(axis=1)

    # Rules 1 and 2: at least N real datapoints -> the newest N real ones decide.
    newer_real = np.cumsum(present[:, ::-1], axis=1)[:, ::-1]  # real datapoints at or after each column
    newest_n = present & (newer_real <= n[:, None])
    enough = real >= n
    decided_by_newest = np.where((breach & newest_n).sum(axis=1) >= m, _ALARM, _OK)

    # Rule 3: fewer than N real -> fill the N - R missing ones with the treatment.
    fill = np.maximum(n - real, 0)
    with_breaching = np.where(all_breaching + fill >= m, _ALARM, _OK)
    with_not_breaching = np.where(all_breaching >= m, _ALARM, _OK)

    # missing / ignore: the real datapoints decide alone, with the premature-alarm rule.
    oldest = np.argmax(present, axis=1)              # column of the oldest real datapoint
    oldest_age = width - 1 - oldest                  # periods between it and the newest period
    premature = (real > 0) & (all_breaching == real) & (oldest_age + 1 >= m)
    conditions = [real == 0, all_breaching >= m, premature, all_breaching < real]
    on_real = np.select(conditions, [_INSUFFICIENT, _ALARM, _ALARM, _OK], default=_INSUFFICIENT)
    retained = (real == 0) | ((all_breaching < m) & premature) | \
               ((all_breaching < m) & ~premature & (all_breaching >= real))
    on_ignore = np.where(retained, current, on_real)

    result = np.select([enough, treat == _BREACHING, treat == _NOT_BREACHING, treat == _IGNORE],
                       [decided_by_newest, with_breaching, with_not_breaching, on_ignore], default=on_real)
    return result.astype(np.int8)
