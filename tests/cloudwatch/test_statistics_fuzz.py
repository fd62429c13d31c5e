"""Fuzzing the extended-statistic parser, and the SQL statistics against a plain-Python reference.

UG:Statistics-definitions = https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html:
whatever the text, parse_extended_statistic returns a statistic or raises AWS's InvalidParameterValue;
on any multiset of values the SQL gives what the definitions (as awslab/cloudwatch/statistics.py states
them: nearest rank, whole data points, lower bound exclusive) give computed by hand.
"""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from awslab.cloudwatch.statistics import ExtendedStatistic, parse_extended_statistic, statistics_sql
from awslab.errors import AWSError

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SQL_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DB = duckdb.connect()

PIECES = ["p", "tm", "wm", "tc", "ts", "pr", "TM", "WM", "TC", "TS", "PR", "IQM", "P", "(", ")", ":", "%", ".",
          "0", "1", "5", "9", "10", "25", "50", "75", "90", "99", "100", "101", "150", "1000", "0.005", " ", "-", "e"]


def parse_or_error(text):
    try:
        return parse_extended_statistic(text)
    except AWSError as error:
        assert error.code == "InvalidParameterValue"
        assert error.message == f"The value {text} for parameter ExtendedStatistics is not supported."
        return error


@FUZZ
@given(st.text(max_size=30))
def test_any_text_is_a_statistic_or_invalid_parameter_value(text):
    parse_or_error(text)


@FUZZ
@given(st.lists(st.sampled_from(PIECES), max_size=8).map("".join))
def test_statistic_shaped_text_is_a_statistic_or_invalid_parameter_value(text):
    found = parse_or_error(text)
    if isinstance(found, ExtendedStatistic) and found.percent:
        assert all(b is None or 0 <= b <= 1 for b in (found.lower, found.upper))


@FUZZ
@given(st.sampled_from(["p", "tm", "wm", "tc", "ts"]),
       st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False))
def test_the_short_form_gives_the_upper_percentage(kind, number):
    text = f"{kind}{number.normalize():f}"
    found = parse_or_error(text)
    if kind != "p" and number == 0:
        assert isinstance(found, AWSError)
    else:
        assert found.upper == Decimal(f"{number.normalize():f}") / 100 and found.lower is None


# ------------------------------------------------------------------ SQL against the definitions

def reference(stat: ExtendedStatistic, values: list[float]) -> float | None:
    """The definitions, by hand, on a sorted list (one entry per data point)."""
    ordered = sorted(values)
    n = len(ordered)
    if stat.kind == "p":
        return ordered[max(math.ceil(stat.upper * n), 1) - 1]
    if stat.percent:
        lo = 0 if stat.lower is None else math.ceil(stat.lower * n)
        hi = n if stat.upper is None else math.ceil(stat.upper * n)
        kept = ordered[lo:hi]
        if stat.kind == "WM":
            return None if not kept else (sum(kept) + kept[0] * lo + kept[-1] * (n - hi)) / n
    else:
        low = -math.inf if stat.lower is None else float(stat.lower)
        high = math.inf if stat.upper is None else float(stat.upper)
        kept = [v for v in ordered if low < v <= high]
        if stat.kind == "WM":
            return sum(min(max(v, low), high) for v in ordered) / n
        if stat.kind == "PR":
            return 100.0 * len(kept) / n
    if stat.kind == "TM":
        return sum(kept) / len(kept) if kept else None
    if stat.kind == "TC":
        return float(len(kept))
    return float(sum(kept))  # TS


STATISTICS = ["p0", "p1", "p10", "p33.3", "p50", "p90", "p99", "p99.9", "p100", "tm90", "tm99", "TM(10%:90%)",
              "TM(5%:)", "IQM", "wm90", "WM(25%:75%)", "WM(10:40)", "tc50", "TC(30%:60%)", "TC(10:20)",
              "ts75", "TS(80%:)", "TS(:15)", "PR(:20)", "PR(5:25)", "TM(10:30)"]


@SQL_FUZZ
@given(st.lists(st.integers(0, 50), min_size=1, max_size=60))
def test_sql_statistics_match_the_definitions_for_single_values(values):
    """Every value published once: the quantile_disc and sorted-list path."""
    test_sql_statistics_match_the_definitions.hypothesis.inner_test([(v, 1) for v in values])


@SQL_FUZZ
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 3)), min_size=1, max_size=40))
def test_sql_statistics_match_the_definitions(points):
    """Values (0–50, so ties are common) published with Counts; one period: the running-count path
    (or the single-value path when every count is 1)."""
    frame = pd.DataFrame({"bucket": 0, "unit": "None", "value": [float(v) for v, _ in points],
                          "count": [float(c) for _, c in points], "sample_count": [float(c) for _, c in points],
                          "sum": [float(v * c) for v, c in points], "minimum": [float(v) for v, _ in points],
                          "maximum": [float(v) for v, _ in points]})
    frame["histogram"] = None
    stats = [parse_extended_statistic(text) for text in STATISTICS]
    DB.register("points_frame", frame)
    DB.execute("CREATE OR REPLACE TABLE points AS SELECT * EXCLUDE (histogram), "
               "CAST(NULL AS STRUCT(value DOUBLE, count DOUBLE)[]) AS histogram FROM points_frame")
    (row,) = DB.execute(statistics_sql("points", stats)).fetchall()
    expanded = [float(v) for v, c in points for _ in range(c)]
    assert row[2] == len(expanded) and row[3] == sum(expanded)
    for stat, got in zip(stats, row[7:]):
        expected = reference(stat, expanded)
        if expected is None:
            assert got is None, stat.text
        else:
            assert got is not None and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (stat.text, got, expected)
