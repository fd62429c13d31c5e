"""Exercises for the CloudWatch alarm notebooks (20–21).

Every checker asks awslab's own engines for the right answer — :func:`evaluate_alarm` for the
missing-data tables, the composite rule parser for AlarmRules, the lab's tables for what an
action did — so a notebook never hard-codes one.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..cloudwatch.alarm_evaluation import (ALARM, INSUFFICIENT_DATA, OK, STATES, AlarmConfig, Datapoint,
                                           evaluate_alarm)
from ..cloudwatch.composite import parse_alarm_rule
from ..errors import AWSError
from ..exercises import Exercise, Wrong

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
_VALUES = {"0": 10.0, "X": 50.0, "-": None}


def table_row(pattern: str, *, m: int = 3, n: int = 3, treat: str = "missing", current: str = OK) -> tuple[str, int]:
    """The state and the number of filled datapoints the engine gives one row of the user guide's
    missing-data tables: ``pattern`` is written as the guide writes it (``0 - X - X``, oldest
    first), threshold 40, ``0`` = 10 and ``X`` = 50."""
    points = [Datapoint(T0 + timedelta(minutes=5 * i), _VALUES[c]) for i, c in enumerate(pattern.split())]
    when = points[-1].timestamp + timedelta(minutes=5)

    def run(treatment: str):
        config = AlarmConfig("GreaterThanThreshold", n, 300, threshold=40.0, datapoints_to_alarm=m,
                             treat_missing_data=treatment)
        return evaluate_alarm(config, points, current_state=current, evaluation_time=when)

    # The tables' "datapoints to fill" column does not depend on the treatment; count it where it is used.
    return run(treat).state, run("breaching").filled


def _state_answer(answer: Any) -> str:
    text = str(answer).strip().upper().replace(" ", "_")
    if text not in STATES:
        raise Wrong(f"{answer!r} is not an alarm state: answer OK, ALARM or INSUFFICIENT_DATA")
    return text


def state_question(pattern: str, *, m: int = 3, treat: str = "missing", current: str = OK) -> Exercise:
    """"Which state does the alarm go to?" for one row of the tables."""
    expected, _ = table_row(pattern, m=m, treat=treat, current=current)

    def check(answer: Any) -> None:
        given = _state_answer(answer)
        if given != expected:
            raise Wrong(f"{given} is not what CloudWatch does for {pattern} with DatapointsToAlarm={m} and "
                        f"TreatMissingData={treat}")

    return Exercise(
        prompt=f"EvaluationPeriods = 3, DatapointsToAlarm = {m}, TreatMissingData = {treat}; the alarm is {current}. "
               f"The evaluation range holds `{pattern}` (oldest first). Which state does the alarm go to?",
        checker=check,
        hints=["Count the real datapoints in the range first: if there are at least 3, the newest 3 real ones decide "
               "and the treatment does not matter.",
               "With fewer than 3 real ones, fill only as many missing datapoints as are needed to make 3.",
               "`ignore` keeps the current state wherever `missing` would go to INSUFFICIENT_DATA."],
        answer=expected)


def filled_question(pattern: str, *, m: int = 3) -> Exercise:
    """"How many datapoints must be filled?" (the tables' second column)."""
    _, expected = table_row(pattern, m=m)

    def check(answer: Any) -> None:
        if answer != expected:
            raise Wrong(f"{answer!r}: not the number of missing datapoints CloudWatch fills for {pattern}")

    return Exercise(prompt=f"With EvaluationPeriods = 3 and the range `{pattern}`, how many missing datapoints does "
                           "CloudWatch fill with the TreatMissingData value?",
                    checker=check, hints=["It fills as few as possible: 3 minus the number of real datapoints, "
                                          "never less than 0."], expected=expected, answer=str(expected))


# ---------------------------------------------------------------------------- notebook 21

def rule_question(prompt: str, truth: Callable[[dict[str, str]], bool], alarms: tuple[str, ...],
                  solution: str) -> Exercise:
    """Write an AlarmRule: the checker parses it with the lab's AlarmRule parser and compares it with
    ``truth`` on every combination of the alarms' states."""
    def check(answer: Any) -> None:
        try:
            rule = parse_alarm_rule(str(answer))
        except AWSError as error:
            raise Wrong(f"CloudWatch refuses this rule: {error.message}") from None
        for states in itertools.product(STATES, repeat=len(alarms)):
            given = dict(zip(alarms, states))
            if rule.evaluate(given) != truth(given):
                shown = ", ".join(f"{a}={s}" for a, s in given.items())
                raise Wrong(f"with {shown} your rule is {rule.state(given)}, it should be "
                            f"{ALARM if truth(given) else OK}")

    return Exercise(prompt=prompt, checker=check, hints=["Functions: ALARM(name), OK(name), INSUFFICIENT_DATA(name); "
                                                         "operators AND, OR, NOT; parentheses."], answer=solution)


def value_question(prompt: str, compute: Callable[[], Any], hints: list[str], explain: str = "") -> Exercise:
    """A question whose answer the lab computes when it is checked (a count, a name...)."""
    def check(answer: Any) -> None:
        expected = compute()
        if answer != expected:
            raise Wrong(f"{answer!r} is not it{': ' + explain if explain else ''}")

    exercise = Exercise(prompt=prompt, checker=check, hints=hints)
    exercise.solution = lambda: print(repr(compute()))  # type: ignore[method-assign]
    return exercise


__all__ = ["ALARM", "INSUFFICIENT_DATA", "OK", "table_row", "state_question", "filled_question", "rule_question",
           "value_question"]
