"""Fuzzing the three EventBridge parsers: any input gives AWS's error or a result, never another exception."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from itertools import islice

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awslab.errors import AWSError
from awslab.events.patterns import EventPattern, PatternSet, compile_pattern, validate_test_event
from awslab.events.schedule import Rate, parse_schedule
from awslab.events.transform import render_target_input, validate_target_input

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.sampled_from(["source", "detail", "detail-type", "state", "a", "b", "a.b", "$or", "", "x y"]) | st.text(max_size=4)
scalars = (st.none() | st.booleans() | st.integers(-10**14, 10**14) | st.floats(allow_nan=False, allow_infinity=False)
           | st.sampled_from(["", "x", "aws.ec2", "10.0.0.1", "10.0.0.0/24", "2001:db8::/64", "*a*", "a**b", "\\",
                              ">", "<=", "=", "300", "1e400", "0.1234567"]) | st.text(max_size=6))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(names, inner, max_size=4), max_leaves=12)
operators = st.sampled_from(["prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists",
                             "cidr", "wildcard", "exactly", "EXISTS", "regex", "$or"])
numeric_lists = st.lists(st.sampled_from([">", ">=", "<", "<=", "=", "!"]) | st.integers(-10, 10) | st.floats(-1e13, 1e13),
                         max_size=5)
operand = json_values | numeric_lists | st.dictionaries(operators, json_values, max_size=2)
match_value = scalars | st.dictionaries(operators, operand, min_size=1, max_size=2) | st.dictionaries(operators, operand, max_size=1)
leaves = st.lists(match_value, max_size=4)
patterns = st.recursive(st.dictionaries(names, leaves, max_size=3),
                        lambda inner: st.dictionaries(names, inner | leaves | st.lists(inner, max_size=3), max_size=3),
                        max_leaves=8)
events = st.dictionaries(names, json_values, max_size=5)


def compile_or_error(text: str) -> EventPattern | None:
    try:
        return compile_pattern(text)
    except AWSError as error:
        assert error.code in ("InvalidEventPatternException", "ValidationException")
        assert error.status == 400
        if error.code == "InvalidEventPatternException":
            assert error.message.startswith("Event pattern is not valid. Reason: ")
        return None


def check_matching(pattern: EventPattern, event: dict) -> None:
    result = pattern.matches(event)
    assert result in (True, False)
    assert pattern.matches(json.dumps(event)) is result
    assert pattern.explain(event).matched is result
    rules: PatternSet[int] = PatternSet()
    rules.add(1, pattern)
    assert rules.matching(event) == ([1] if result else [])


@FUZZ
@given(st.text(max_size=200))
def test_any_text_pattern(text):
    compile_or_error(text)


@FUZZ
@given(patterns, events)
def test_structured_patterns(pattern, event):
    compiled = compile_or_error(json.dumps(pattern))
    if compiled is not None:
        check_matching(compiled, event)


@FUZZ
@given(patterns, st.integers(0, 400), st.integers(0, 6), st.text(max_size=4))
def test_mutated_pattern_text(pattern, position, cut, insert):
    text = json.dumps(pattern)
    position = min(position, len(text))
    compile_or_error(text[:position] + insert + text[position + cut:])


@FUZZ
@given(st.text(max_size=120))
def test_any_test_event_text(text):
    try:
        assert isinstance(validate_test_event(text), dict)
    except AWSError as error:
        assert (error.code, error.message) == ("ValidationException", "Parameter Event is not valid.")


cron_tokens = st.sampled_from(["*", "?", "0", "5", "59", "60", "1-5", "20-2", "0/15", "*/5", "MON-FRI", "SUN", "JAN",
                               "L", "6L", "LW", "3W", "3#2", "SAT#3", "1,2,3", "2026", "1970-2199", "x", "", "-1", "7#6"])
cron_texts = st.lists(cron_tokens, min_size=0, max_size=7).map(lambda fields: "cron(" + " ".join(fields) + ")")
rate_texts = st.builds(lambda n, unit: f"rate({n} {unit})", st.sampled_from(["0", "1", "2", "10", "01", "-3", "x", ""]),
                       st.sampled_from(["minute", "minutes", "hour", "hours", "day", "days", "MINUTES", "seconds", ""]))
instants = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc))


@FUZZ
@given(st.text(max_size=60) | cron_texts | rate_texts, instants)
def test_schedule_expressions(expression, after):
    try:
        schedule = parse_schedule(expression)
    except AWSError as error:
        assert (error.code, error.status) == ("ValidationException", 400)
        return
    start = after - timedelta(minutes=7) if isinstance(schedule, Rate) else None
    fires = list(islice(schedule.fire_times(after, after + timedelta(days=40), start=start), 50))
    assert fires == sorted(fires) and all(f > after and f.second == 0 for f in fires)
    nxt = schedule.next_fire(after, start=start)
    assert nxt is None or nxt > after


templates = st.lists(st.sampled_from(['"', "<", ">", "\\", "{", "}", "[", "]", ":", ",", " ", "a", "<x>", "<y>",
                                      "<aws.events.event>", "<aws.events.rule-name>", "<aws.events.event.json>",
                                      '"<x>"', "<>", "<a b>"]), max_size=12).map("".join)
paths = st.sampled_from(["$", "$.detail", "$.a", "$.a[0]", "$['a']", "$.*", "$..a", "detail", "$.a.b[*]", "", "$["])


@FUZZ
@given(templates, st.dictionaries(st.sampled_from(["x", "y", "bad.key", "AWSx", ""]), paths, max_size=3), events)
def test_input_transformer(template, paths_map, event):
    target = {"Id": "t", "InputTransformer": {"InputPathsMap": paths_map, "InputTemplate": template}}
    try:
        validate_target_input(target)
    except AWSError as error:
        assert error.code == "ValidationException"
        return
    out = render_target_input(target, event, rule_arn="arn:aws:events:us-east-1:123456789012:rule/r",
                              rule_name="r", ingestion_time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert isinstance(out, str)


@FUZZ
@given(paths, events)
def test_input_path(path, event):
    out = render_target_input({"InputPath": path}, event, rule_arn="a", rule_name="r", ingestion_time="t")
    assert out is None or json.loads(out) is not None or out == "null"
