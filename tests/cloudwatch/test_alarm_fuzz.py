"""Fuzzing: the AlarmRule parser answers any input with a rule or AWS's error, and alarm
evaluation keeps the invariants the documentation implies for any datapoints.

Pages: PutCompositeAlarm (AlarmRule); alarms-and-missing-data.html (User Guide).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab.cloudwatch.alarm_evaluation import (
    ALARM, INSUFFICIENT_DATA, OK, STATES, AlarmConfig, Datapoint, evaluate_alarm, evaluation_cadence,
    evaluation_windows,
)
from awslab.cloudwatch.composite import AlarmRule, parse_alarm_rule
from awslab.errors import AWSError

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def parses_or_fails_like_aws(text: str) -> AlarmRule | None:
    try:
        rule = parse_alarm_rule(text)
    except AWSError as error:
        assert error.code == "ValidationError" and error.status == 400 and error.message
        return None
    assert isinstance(rule, AlarmRule)
    rule.evaluate({})
    return rule


# --- the AlarmRule parser -------------------------------------------------------------------------

@FUZZ
@given(st.text(max_size=200))
def test_any_text_is_a_rule_or_a_validation_error(text):
    """Arbitrary input never raises anything but AWS's ValidationError."""
    parses_or_fails_like_aws(text)


TOKENS = ["ALARM", "OK", "INSUFFICIENT_DATA", "TRUE", "FALSE", "AND", "OR", "NOT", "AT_LEAST", "(", ")", ",",
          '"', "\\", "a", "b c", "arn:aws:cloudwatch:us-east-1:1:alarm:x", "50%", "2", "not", "true", "", "\t"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.lists(st.sampled_from(["", " ", "  ", "\n"]), max_size=40))
def test_token_soup_is_a_rule_or_a_validation_error(tokens, gaps):
    """Near-miss rules built from the language's own tokens."""
    text = "".join(t + (gaps[i] if i < len(gaps) else " ") for i, t in enumerate(tokens))
    parses_or_fails_like_aws(text)


NAMES = st.sampled_from(["a", "b", "c", "cpu high", 'say "hi"', "arn:aws:cloudwatch:eu-west-1:1:alarm:d"])
STATE_FUNCTIONS = st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA"])


def quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def leaf():
    constant = st.sampled_from([("TRUE", lambda s: True), ("FALSE", lambda s: False)])
    check = st.tuples(STATE_FUNCTIONS, NAMES).map(
        lambda fn_name: (f"{fn_name[0]}({quoted(fn_name[1])})",
                         lambda s, f=fn_name[0], n=fn_name[1]: s.get(n.split(":alarm:")[-1], INSUFFICIENT_DATA) == f))
    return constant | check


def combine(children):
    negate = children.map(lambda c: (f"NOT ({c[0]})", lambda s, f=c[1]: not f(s)))
    both = st.tuples(children, children, st.sampled_from(["AND", "OR"])).map(
        lambda t: (f"({t[0][0]}) {t[2]} ({t[1][0]})",
                   (lambda s, a=t[0][1], b=t[1][1]: a(s) and b(s)) if t[2] == "AND"
                   else (lambda s, a=t[0][1], b=t[1][1]: a(s) or b(s))))
    return negate | both


RULES = st.recursive(leaf(), combine, max_leaves=12)
STATE_MAPS = st.dictionaries(st.sampled_from(["a", "b", "c", "cpu high", 'say "hi"', "d"]), st.sampled_from(STATES))


@FUZZ
@given(RULES, STATE_MAPS)
def test_generated_rules_parse_and_evaluate_like_boolean_logic(rule, states):
    """Every well-formed rule parses, and evaluates as the boolean logic it spells out."""
    text, truth = rule
    parsed = parse_alarm_rule(text)
    assert parsed.evaluate(states) is truth(states)
    assert parsed.state(states) == (ALARM if truth(states) else OK)
    assert parse_alarm_rule(f"NOT ({text})").evaluate(states) is (not truth(states))


# --- alarm evaluation -------------------------------------------------------------------------------

VALUES = st.sampled_from([None, 10.0, 50.0])          # missing, not breaching, breaching (threshold 40)


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, n))
    extra = draw(st.integers(0, 4))
    values = draw(st.lists(VALUES, min_size=n + extra, max_size=n + extra))
    return n, m, values, draw(st.sampled_from(STATES))


def evaluate(n, m, values, current, treat):
    config = AlarmConfig("GreaterThanThreshold", n, 60, threshold=40.0, datapoints_to_alarm=m,
                         treat_missing_data=treat, statistic="Sum")
    points = [Datapoint(T0 + timedelta(minutes=i), v, 1.0 if v is not None else None) for i, v in enumerate(values)]
    return evaluate_alarm(config, points, current_state=current, evaluation_time=T0 + timedelta(minutes=len(values)))


@FUZZ
@given(scenarios())
def test_evaluation_invariants(scenario):
    n, m, values, current = scenario
    results = {t: evaluate(n, m, values, current, t) for t in ("missing", "ignore", "breaching", "notBreaching")}
    real = sum(v is not None for v in values)
    for treat, result in results.items():
        assert result.state in STATES and result.changed == (result.state != current)
        if result.reason is None:
            assert result.state == current and result.reason_data is None
        else:
            data = json.loads(result.reason_data)
            assert data["recentDatapoints"] == [p.value for p in result.evaluated]
    # "the value you set for how to treat missing data is not needed and is ignored"
    if real >= n:
        assert len({r.state for r in results.values()}) == 1
        assert results["missing"].state in (OK, ALARM)
    # Filling never leaves the state undecided, and ignore never moves to INSUFFICIENT_DATA.
    assert results["breaching"].state != INSUFFICIENT_DATA
    assert results["notBreaching"].state != INSUFFICIENT_DATA
    if current != INSUFFICIENT_DATA:
        assert results["ignore"].state != INSUFFICIENT_DATA
    # Treating missing data as breaching can only push towards ALARM.
    if results["notBreaching"].state == ALARM:
        assert results["breaching"].state == ALARM
    # ignore agrees with missing wherever missing decided from real datapoints.
    if results["missing"].rule in ("complete", "enough_real", "real_only"):
        assert results["ignore"].state == results["missing"].state


@FUZZ
@given(scenarios(), st.sampled_from(["missing", "ignore", "breaching", "notBreaching"]), st.data())
def test_a_breach_that_recedes_never_raises_an_alarm(scenario, treat, data):
    """Turning one breaching datapoint into a non-breaching one never takes a non-ALARM outcome to ALARM."""
    n, m, values, current = scenario
    breaching = [i for i, v in enumerate(values) if v == 50.0]
    if not breaching:
        return
    i = data.draw(st.sampled_from(breaching))
    calmer = values[:i] + [10.0] + values[i + 1:]
    if evaluate(n, m, values, current, treat).state != ALARM:
        assert evaluate(n, m, calmer, current, treat).state != ALARM


@FUZZ
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)),
       st.sampled_from([10, 20, 30, 60, 300, 3600, 86400]), st.integers(1, 10))
def test_windows_are_contiguous_and_end_at_the_evaluation_time(when, period, n):
    windows = evaluation_windows(when, period, n)
    assert len(windows) == n + 2
    assert all(b - a == timedelta(seconds=period) for a, b in zip(windows, windows[1:]))
    end = windows[-1] + timedelta(seconds=period)
    assert end <= when < end + evaluation_cadence(period, n)


@FUZZ
@given(st.integers(1, 160), st.sampled_from(["AND NOT", "OR NOT", "AND", "OR"]))
def test_deeply_nested_rules_stay_within_python_limits(depth, joint):
    """A 10240-character rule can nest far deeper than Python's recursion limit: parsing,
    evaluating, comparing and printing must not recurse."""
    text = "".join(f"ALARM(a{i % 90}) {joint} (OK(b{i % 9}) OR " for i in range(depth)) + "TRUE" + ")" * depth
    rule = parses_or_fails_like_aws(text)
    if rule is not None:
        assert rule == parse_alarm_rule(text) and hash(rule.tree) == hash(parse_alarm_rule(text).tree)
        assert repr(rule).startswith("AlarmRule(")
    parses_or_fails_like_aws("NOT " * (depth * 16) + "FALSE")
