"""The vectorised screen agrees with evaluate_alarm on the state of every alarm.

The lab evaluates all alarms each minute with awslab.cloudwatch.alarms_screen and runs the
engine only where the screen predicts a change, so the two must agree exactly — for the rules
of UG:alarms-and-missing-data (evaluation range, the four TreatMissingData values, M out of N,
premature alarms) on any datapoints.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from awslab.cloudwatch.alarm_evaluation import (STATES, THRESHOLD_OPERATORS, TREAT_MISSING_DATA, AlarmConfig,
                                                Datapoint, evaluate_alarm)
from awslab.cloudwatch.alarms_screen import OPERATOR_CODES, STATE_CODES, TREAT_CODES, screen

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@st.composite
def alarms(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, n))
    values = draw(st.lists(st.one_of(st.none(), st.sampled_from([0.0, 5.0, 10.0, 15.0])), min_size=n + 2,
                           max_size=n + 2))
    return (n, m, draw(st.sampled_from(list(THRESHOLD_OPERATORS))), draw(st.sampled_from(TREAT_MISSING_DATA)),
            draw(st.sampled_from(STATES)), values)


@settings(max_examples=150, deadline=None)
@given(st.lists(alarms(), min_size=1, max_size=8))
def test_screen_matches_the_engine(batch):
    width = max(n for n, *_ in batch) + 2
    values = np.full((len(batch), width), np.nan)
    in_range = np.zeros((len(batch), width), dtype=bool)
    for row, (n, _, _, _, _, points) in enumerate(batch):
        first = width - (n + 2)
        in_range[row, first:] = True
        values[row, first:] = [np.nan if v is None else v for v in points]
    states = screen(values, in_range, np.array([OPERATOR_CODES[b[2]] for b in batch]), np.full(len(batch), 10.0),
                    np.array([b[0] for b in batch]), np.array([b[1] for b in batch]),
                    np.array([TREAT_CODES[b[3]] for b in batch]), np.array([STATE_CODES[b[4]] for b in batch]))
    for row, (n, m, operator, treat, current, points) in enumerate(batch):
        config = AlarmConfig(operator, n, 60, threshold=10.0, datapoints_to_alarm=m, treat_missing_data=treat)
        datapoints = [Datapoint(T0 + timedelta(minutes=i), v) for i, v in enumerate(points)]
        expected = evaluate_alarm(config, datapoints, current_state=current,
                                  evaluation_time=T0 + timedelta(minutes=n + 2)).state
        assert states[row] == STATE_CODES[expected], (n, m, operator, treat, current, points)
