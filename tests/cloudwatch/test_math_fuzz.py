"""Fuzzing the metric math parser, evaluator and SEARCH parser with hypothesis.

Whatever the expression, GetMetricData answers with results or with AWS's ValidationError
(UG:using-metric-math: bad expressions are rejected) — never with another Python exception.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings, strategies as st

from awslab.cloudwatch.math import MathContext, Series, evaluate_queries, parse_expression, parse_search
from awslab.cloudwatch.math_parser import FUNCTIONS, KEYWORDS
from awslab.errors import AWSError

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _series(label: str, values: list[float | None]) -> Series:
    points = [(T0 + timedelta(minutes=i), v) for i, v in enumerate(values) if v is not None]
    return Series(label, [t for t, _ in points], [v for _, v in points], period=60)


def _search(query, statistic, period):
    metrics = [("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1"}), ("MyApp", "Latency", {})]
    return [_series(name, [1, 2, None, 4]) for ns, name, dims in metrics if query.matches(ns, name, dims)]


def _band(series, stddevs):
    return (series.derive(series.ns, series.values - stddevs), series.derive(series.ns, series.values + stddevs))


CONTEXT = MathContext(start=T0, end=T0 + timedelta(minutes=6), period=60,
                      metric_data={"m1": _series("m1", [1, 0, None, -3, 5]), "m2": _series("m2", [None, 2, 2, 0]),
                                   "errors_a": _series("errors_a", [])},
                      search=_search, anomaly_band=_band)
METRIC_QUERIES = [{"Id": key, "MetricStat": {"Period": 60}, "ReturnData": False} for key in CONTEXT.metric_data]


def answer(expression: str) -> list[dict] | AWSError:
    """GetMetricData's answer to one expression over the fuzz context."""
    try:
        results = evaluate_queries([*METRIC_QUERIES, {"Id": "e1", "Expression": expression},
                                    {"Id": "e2", "Expression": "e1", "ReturnData": False}], CONTEXT)
    except AWSError as error:
        assert error.code == "ValidationError" and error.message
        return error
    for result in results:
        assert len(result["Timestamps"]) == len(result["Values"])
        assert all(math.isfinite(value) for value in result["Values"])
        assert result["Timestamps"] == sorted(set(result["Timestamps"]))
        assert result["Id"] == "e1" and result["StatusCode"] == "Complete"
    return results


GRAMMAR_PIECES = (["m1", "m2", "e2", "errors_a", "m9", "M1", "1", "0", "-1", "2.5", "1e308", ".5", '"errors"',
                   "'x'", "(", ")", "[", "]", ",", "+", "-", "*", "/", "^", "<", ">", "<=", ">=", "==", "!=",
                   "AND", "OR", "&&", "||", " ", "!", "=", "'{AWS/EC2,InstanceId} CPU'", "'Average'", "300"]
                  + sorted(FUNCTIONS) + sorted(KEYWORDS))


@FUZZ
@given(st.text(max_size=80))
def test_any_text_gets_a_result_or_a_validation_error(text):
    answer(text)


@FUZZ
@given(st.lists(st.sampled_from(GRAMMAR_PIECES), max_size=25).map("".join))
def test_token_soup_gets_a_result_or_a_validation_error(text):
    answer(text)


def _call(name: str, args: list[str]) -> str:
    return f"{name}({', '.join(args)})"


ATOMS = st.sampled_from(["m1", "m2", "METRICS()", 'METRICS("m")', "1", "0", "2", "-1", "0.5", "10",
                         "REPEAT", "LINEAR", "AVG", "SUM", "ASC", "DESC",
                         "SEARCH('{AWS/EC2,InstanceId} MetricName=\"CPUUtilization\"', 'Average', 300)"])
EXPRESSIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "<", ">=", "==", "AND", "OR"]), inner)
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"-{e}"),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(inner, max_size=4)).map(lambda t: _call(*t)),
    ),
    max_leaves=12,
)


@FUZZ
@given(EXPRESSIONS)
def test_well_formed_expressions_get_a_result_or_a_validation_error(expression):
    answer(expression)


@FUZZ
@given(st.lists(st.sampled_from(GRAMMAR_PIECES), max_size=25).map("".join))
def test_the_printed_tree_parses_to_the_same_tree(text):
    try:
        tree = parse_expression(text)
    except AWSError:
        return
    printed = str(tree)
    assert str(parse_expression(printed)) == printed
    assert tree.pretty()


@FUZZ
@given(st.one_of(st.text(max_size=60),
                 st.lists(st.sampled_from(["{", "}", ",", '"', "\\", "(", ")", "=", " ", "AND", "OR", "NOT",
                                           "AWS/EC2", "InstanceId", "MetricName", "cpu", "CPUUtilization",
                                           "i-1"]), max_size=20).map("".join)))
def test_search_queries_parse_or_fail_with_a_validation_error(text):
    try:
        query = parse_search(text)
    except AWSError as error:
        assert error.code == "ValidationError"
        return
    for metric in [("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1"}), ("", "", {}), ("a b", "x-Y1", {"": ""})]:
        assert query.matches(*metric) in (True, False)


QUERY = st.fixed_dictionaries(
    {"Id": st.sampled_from(["e1", "e2", "e3", "m1", "E1", "e_1", "1e"]),
     "Expression": st.one_of(EXPRESSIONS, st.sampled_from(["e1", "e2 + e3", "e3 * m1", "SUM([e1, e2])"]))},
    optional={"ReturnData": st.booleans(), "Label": st.sampled_from(["", "L", "${LABEL} ${MAX}", "${PROP('x')}"]),
              "Period": st.sampled_from([1, 60, 300])})


@FUZZ
@given(st.lists(QUERY, max_size=4))
def test_whole_requests_get_results_or_a_validation_error(queries):
    metrics = [query for query in METRIC_QUERIES if query["Id"] not in {q["Id"] for q in queries}]
    try:
        results = evaluate_queries([*metrics, *queries], CONTEXT)
    except AWSError as error:
        assert error.code in ("ValidationError", "MissingParameter")
        return
    returning = {query["Id"] for query in queries if query.get("ReturnData", True)}
    assert {result["Id"] for result in results} <= returning
    for result in results:
        assert len(result["Timestamps"]) == len(result["Values"]) and isinstance(result["Label"], str)
