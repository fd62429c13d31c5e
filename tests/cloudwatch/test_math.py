"""Metric math: the documented examples, computed by hand from the documentation's definitions.

Pages: UG:using-metric-math = https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html,
UG:search-expression-syntax = .../monitoring/search-expression-syntax.html,
UG:graph-dynamic-labels = .../monitoring/graph-dynamic-labels.html,
API:GetMetricData / API:MetricDataQuery = https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from awslab.cloudwatch.math import (
    MathContext, Series, evaluate_expression, evaluate_queries, expand_label, order_datapoints,
    paginate_results, parse_expression, parse_search, search_label, validate_queries,
)
from awslab.cloudwatch.math_search import partial_match, tokens
from awslab.errors import AWSError

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)  # a Monday


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def series(label: str, values: list[float | None], period: int = 60) -> Series:
    """A one-minute series from T0; None marks a missing value ('-' in the guide's tables)."""
    points = [(at(i), v) for i, v in enumerate(values) if v is not None]
    return Series(label, [t for t, _ in points], [v for _, v in points], period=period)


def context(minutes: int = 5, **data: Series) -> MathContext:
    return MathContext(start=T0, end=at(minutes), period=60, metric_data=data)


def run(expression: str, minutes: int = 5, **data: Series):
    return evaluate_expression(expression, context(minutes, **data))


def as_list(result: Series, minutes: int = 5) -> list[float | None]:
    """A series as the guide's tables show it: one slot a minute, None where missing."""
    found = dict(zip(result.datetimes(), result.values.tolist()))
    return [found.get(at(i)) for i in range(minutes)]


def error_of(call) -> AWSError:
    with pytest.raises(AWSError) as caught:
        call()
    return caught.value


# ------------------------------------------------------------------ comparison and logical operators

COMPARE = dict(metric1=series("metric1", [30, 20, 0, 0]), metric2=series("metric2", [20, None, 20, None]))


@pytest.mark.parametrize("expression, expected", [
    ("(metric1 < metric2)", [0, 0, 1, 0]),
    ("(metric1 >= 30)", [1, 0, 0, 0]),
    ("(metric1 > 15 AND metric2 > 15)", [1, 0, 0, 0]),
    ("(metric1 > 15 && metric2 > 15)", [1, 0, 0, 0]),
])
def test_comparison_table(expression, expected):
    """UG:using-metric-math, "Comparison and logical operators": metric1 = [30, 20, 0, 0],
    metric2 = [20, -, 20, -]; a value missing on one side counts as 0."""
    assert as_list(run(expression, 4, **COMPARE), 4) == expected


def test_comparison_of_scalars_is_a_scalar():
    """UG:using-metric-math: comparing two scalars returns a single scalar, 0 or 1."""
    assert as_list(run("TIME_SERIES(2 > 1) + TIME_SERIES(1 == 2 OR 3 != 3)", 2), 2) == [1, 1]


# ------------------------------------------------------------------ IF

IF_DATA = dict(metric1=series("metric1", [1, 1, 0, 0, None]),
               metric2=series("metric2", [30, None, 0, 0, 30]),
               metric3=series("metric3", [0, 0, 20, None, 20]))


@pytest.mark.parametrize("expression, expected", [
    ("IF(metric1, metric2, metric3)", [30, 0, 20, None, None]),
    ("IF(metric1, 5, metric3)", [5, 5, 20, None, None]),
    ("IF(metric1, metric2, 5)", [30, 0, 5, 5, None]),
    ("IF(metric1, metric2)", [30, 0, None, None, None]),
])
def test_if_tables(expression, expected):
    """UG:using-metric-math, "Using IF expressions": the three tables for metric1 =
    [1, 1, 0, 0, -], metric2 = [30, -, 0, 0, 30], metric3 = [0, 0, 20, -, 20]; an omitted
    falseValue drops the point."""
    assert as_list(run(expression, 5, **IF_DATA)) == expected


def test_if_with_a_scalar_condition_picks_a_whole_series():
    """UG:using-metric-math: IF(scalar1, metric2, metric3) is metric2 if scalar1 is TRUE,
    metric3 if FALSE, and an empty time series if metric3 is omitted."""
    assert as_list(run("IF(1, metric2, metric3)", **IF_DATA)) == [30, None, 0, 0, 30]
    assert as_list(run("IF(0, metric2, metric3)", **IF_DATA)) == [0, 0, 20, None, 20]
    assert len(run("IF(0, metric2)", **IF_DATA)) == 0


def test_if_use_cases():
    """UG:using-metric-math use cases: IF(metric1<400, metric1) keeps low values;
    IF(metric1<400, 10, 2) maps to two values; IF(latency>threshold, 1, 0)."""
    data = dict(metric1=series("metric1", [100, 500, 399, 400]))
    assert as_list(run("IF(metric1<400, metric1)", 4, **data), 4) == [100, None, 399, None]
    assert as_list(run("IF(metric1<400, 10, 2)", 4, **data), 4) == [10, 2, 10, 2]
    latency = dict(latency=series("latency", [5, 50]), threshold=series("threshold", [10, 10]))
    assert as_list(run("IF(latency>threshold, 1, 0)", 2, **latency), 2) == [0, 1]


# ------------------------------------------------------------------ arithmetic

def test_arithmetic_between_series_treats_missing_values_as_zero():
    """UG:using-metric-math, "Basic arithmetic functions": missing values in a time series
    are treated as 0."""
    data = dict(m1=series("m1", [10, None, 30]), m2=series("m2", [1, 2, None]))
    assert as_list(run("m1 - m2", 3, **data), 3) == [9, -2, 30]
    assert as_list(run("5 * m1", 3, **data), 3) == [50, None, 150]
    assert as_list(run("-5*m1", 3, **data), 3) == [-50, None, -150]
    assert as_list(run("-m1", 3, **data), 3) == [-10, None, -30]
    assert as_list(run("m1 ^ 2 / 100", 3, **data), 3) == [1, None, 9]


def test_division_by_zero_drops_the_point_and_says_so():
    """UG:using-metric-math: "If the value of a data point causes a function to attempt to
    divide by zero, the data point is dropped." AWS reports the drop as an ArithmeticError."""
    queries = [{"Id": "m1", "MetricStat": {"Period": 60}, "ReturnData": False},
               {"Id": "m2", "MetricStat": {"Period": 60}, "ReturnData": False},
               {"Id": "e1", "Expression": "m1 / m2"}]
    ctx = context(3, m1=series("m1", [10, 20, 30]), m2=series("m2", [2, 0, None]))
    [result] = evaluate_queries(queries, ctx)
    assert result["Values"] == [5.0]
    assert result["Messages"] == [{"Code": "ArithmeticError", "Value": "One or more data-points have "
                                   "been dropped due to non-numeric values (NaN, -Infinite, +Infinite)"}]


def test_arithmetic_with_arrays():
    """UG:using-metric-math arithmetic examples: SUM(100/[m1, m2]), AVG([m1,m2]/m3),
    METRICS()*100, SUM(-[m1, m2])."""
    data = dict(m1=series("m1", [10, 50]), m2=series("m2", [20, 25]), m3=series("m3", [10, 5]))
    assert as_list(run("SUM(100/[m1, m2])", 2, **data), 2) == [15, 6]
    assert as_list(run("AVG([m1,m2]/m3)", 2, **data), 2) == [1.5, 7.5]
    assert [as_list(s, 2) for s in run("METRICS()*100", 2, **data)] == [[1000, 5000], [2000, 2500], [1000, 500]]
    assert as_list(run("SUM(-[m1, m2])", 2, **data), 2) == [-30, -75]


def test_arithmetic_between_a_series_and_an_array():
    """UG:using-metric-math: "TS[] TS" operands — each series of the array with the series."""
    data = dict(m1=series("m1", [1, 2]), m2=series("m2", [3, None]), m3=series("m3", [10, 10]))
    result = run("[m1, m2] + m3", 2, **data)
    assert [as_list(s, 2) for s in result] == [[11, 12], [13, 10]]
    assert [s.label for s in result] == ["m1", "m2"]


def test_period_of_a_metric():
    """UG:using-metric-math: PERIOD(m1)/60 and m1/PERIOD(m1); valid input is metrics only."""
    data = dict(m1=series("m1", [300, 600], period=300))
    assert as_list(run("m1/PERIOD(m1)", 2, **data), 2) == [1, 2]
    assert as_list(run("TIME_SERIES(PERIOD(m1)/60)", 2, **data), 2) == [5, 5]
    queries = [{"Id": "m1", "MetricStat": {"Period": 300}}, {"Id": "e1", "Expression": "m1*2"},
               {"Id": "e2", "Expression": "m1/PERIOD(e1)"}]
    assert "PERIOD" in error_of(lambda: evaluate_queries(queries, context(2, **data))).message


# ------------------------------------------------------------------ functions, one by one

def test_aggregates_of_a_series_are_scalars():
    """UG:using-metric-math: AVG, MAX, MIN, SUM, STDDEV and DATAPOINT_COUNT of one series are
    scalars, usable inside a larger expression: m1-AVG(m1), MAX(m1)/m1, m1-MIN(m1),
    m1/STDDEV(m1), SUM(m1)/DATAPOINT_COUNT(m1)."""
    data = dict(m1=series("m1", [2, None, 4, 6]))
    assert as_list(run("m1-AVG(m1)", 4, **data), 4) == [-2, None, 0, 2]
    assert as_list(run("MAX(m1)/m1", 4, **data), 4) == [3, None, 1.5, 1]
    assert as_list(run("m1-MIN(m1)", 4, **data), 4) == [0, None, 2, 4]
    deviation = math.sqrt(((2 - 4) ** 2 + 0 + (6 - 4) ** 2) / 3)  # population standard deviation
    assert as_list(run("m1/STDDEV(m1)", 4, **data), 4) == pytest.approx([2 / deviation, None, 4 / deviation, 6 / deviation])
    assert as_list(run("TIME_SERIES(SUM(m1)/DATAPOINT_COUNT(m1))", 4, **data), 4) == [4, 4, 4, 4]


def test_a_scalar_cannot_be_the_final_result():
    """UG:using-metric-math: "taking the AVG of a single time series produces a scalar number,
    so it can't be the final expression result"."""
    error = error_of(lambda: run("AVG(m1)", m1=series("m1", [1])))
    assert error.code == "ValidationError" and "time series" in error.message


def test_aggregates_of_an_array_are_series():
    """UG:using-metric-math: AVG/MAX/MIN/SUM/STDDEV/DATAPOINT_COUNT of an array are series;
    for AVG "missing values are treated as 0"."""
    data = dict(a=series("a", [1, 4, None]), b=series("b", [3, None, None]), c=series("c", [5, 2, 7]))
    assert as_list(run("AVG(METRICS())", 3, **data), 3) == [3, 2, 7 / 3]
    assert as_list(run("SUM(METRICS())", 3, **data), 3) == [9, 6, 7]
    assert as_list(run("MAX(METRICS())", 3, **data), 3) == [5, 4, 7]
    assert as_list(run("MIN(METRICS())", 3, **data), 3) == [1, 2, 7]
    assert as_list(run("DATAPOINT_COUNT(METRICS())", 3, **data), 3) == [3, 2, 1]
    assert as_list(run("STDDEV(METRICS())", 3, **data), 3) == pytest.approx([math.sqrt(8 / 3), 1, 0])


def test_elementwise_functions():
    """UG:using-metric-math: ABS(m1-m2), MIN(ABS([m1, m2])), CEIL, FLOOR, LOG (natural),
    LOG10."""
    data = dict(m1=series("m1", [1.5, -2.5, 100]), m2=series("m2", [4, 0, 10]))
    assert as_list(run("ABS(m1-m2)", 3, **data), 3) == [2.5, 2.5, 90]
    assert as_list(run("MIN(ABS([m1, m2]))", 3, **data), 3) == [1.5, 0, 10]
    assert as_list(run("CEIL(m1)", 3, **data), 3) == [2, -2, 100]
    assert as_list(run("FLOOR(m1)", 3, **data), 3) == [1, -3, 100]
    assert as_list(run("LOG10(m2)", 3, **data), 3) == [math.log10(4), None, 1]  # log10(0) = -inf is dropped
    assert as_list(run("LOG(m1)", 3, **data), 3) == [math.log(1.5), None, math.log(100)]


def test_diff_diff_time_rate_and_running_sum():
    """UG:using-metric-math: DIFF = value − preceding value; DIFF_TIME = seconds since the
    preceding value; RATE = the difference divided by the seconds between them;
    RUNNING_SUM([m1,m2]) = running sums."""
    data = dict(m1=series("m1", [10, None, 40, 70]), m2=series("m2", [1, 2, 3, 4]))
    assert as_list(run("DIFF(m1)", 4, **data), 4) == [None, None, 30, 30]
    assert as_list(run("DIFF_TIME(m1)", 4, **data), 4) == [None, None, 120, 60]
    assert as_list(run("RATE(m1)", 4, **data), 4) == [None, None, 0.25, 0.5]
    assert [as_list(s, 4) for s in run("RUNNING_SUM([m1,m2])", 4, **data)] == [[10, None, 50, 120], [1, 3, 6, 10]]
    assert [as_list(s, 4) for s in run("DIFF_TIME(METRICS())", 4, **data)] == [[None, None, 120, 60],
                                                                                [None, 60, 60, 60]]


def test_fill():
    """UG:using-metric-math, FILL: a value, a metric, REPEAT (the most recent actual value
    before the gap) or LINEAR (a straight line across the gap), over the whole range."""
    data = dict(m1=series("m1", [None, 2, None, None, 8]), m2=series("m2", [7, 7, 9, None, 9]))
    assert as_list(run("FILL(m1,10)", **data)) == [10, 2, 10, 10, 8]
    assert as_list(run("FILL(m1, MIN(m1))", **data)) == [2, 2, 2, 2, 8]
    assert as_list(run("FILL(m1, REPEAT)", **data)) == [None, 2, 2, 2, 8]
    assert as_list(run("FILL(m1, LINEAR)", **data)) == [None, 2, 4, 6, 8]
    assert [as_list(s) for s in run("FILL(METRICS(), 0)", **data)] == [[0, 2, 0, 0, 8], [7, 7, 9, 0, 9]]
    assert [as_list(s) for s in run("FILL(METRICS(), m2)", **data)] == [[7, 2, 9, None, 8], [7, 7, 9, None, 9]]
    assert [as_list(s) for s in run("FILL(METRICS(), LINEAR)", **data)] == [[None, 2, 4, 6, 8], [7, 7, 9, 9, 9]]


def test_fill_of_a_metric_without_data():
    """UG:using-metric-math, FILL: the fill value covers every period of the range, so an
    alarm on FILL(m1, 0) sees zeros when the metric has no data."""
    assert as_list(run("FILL(m1, 0)", 3, m1=series("m1", [])), 3) == [0, 0, 0]


def test_first_last_sort_and_slice():
    """UG:using-metric-math: SORT by AVG/MIN/MAX/SUM, ASC or DESC, optional limit; SLICE is
    zero-based, start inclusive, end exclusive; FIRST/LAST pick from an array."""
    data = {f"m{i}": series(f"m{i}", [i, 10 * i]) for i in range(1, 8)}
    labels = lambda result: [s.label for s in result]  # noqa: E731
    assert labels(run("SORT(METRICS(), AVG, DESC, 3)", 2, **data)) == ["m7", "m6", "m5"]
    assert labels(run("SORT(METRICS(), MAX, ASC)", 2, **data)) == [f"m{i}" for i in range(1, 8)]
    assert labels(run("SLICE(SORT(METRICS(), SUM, DESC), 0, 2)", 2, **data)) == ["m7", "m6"]
    assert labels(run("SLICE(SORT(METRICS(), AVG, ASC), 5)", 2, **data)) == ["m6", "m7"]
    assert run("FIRST(SORT(METRICS(), AVG, DESC))", 2, **data).label == "m7"
    assert run("LAST(METRICS())", 2, **data).label == "m7"
    # "IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0) ... looks at the top metric"
    assert as_list(run("IF(FIRST(SORT(METRICS(), AVG, DESC))>30, 1, 0)", 2, **data), 2) == [0, 1]


def test_metrics_and_its_filter():
    """UG:using-metric-math, "The METRICS() function": all metrics of the request (not
    expressions); METRICS("errors") those whose Id contains "errors";
    SUM([METRICS("4xx"), METRICS("5xx")]) to match several strings."""
    queries = [
        {"Id": "errors_a", "MetricStat": {"Period": 60}, "ReturnData": False},
        {"Id": "errors_b", "MetricStat": {"Period": 60}, "ReturnData": False},
        {"Id": "requests", "MetricStat": {"Period": 60}, "ReturnData": False},
        {"Id": "e4xx", "MetricStat": {"Period": 60}, "ReturnData": False},
        {"Id": "e5xx", "MetricStat": {"Period": 60}, "ReturnData": False},
        {"Id": "rate", "Expression": 'SUM(METRICS("errors"))/SUM(METRICS("requests"))*100'},
        {"Id": "all", "Expression": "SUM(METRICS())"},
        {"Id": "http", "Expression": 'SUM([METRICS("4xx"), METRICS("5xx")])'},
        {"Id": "count", "Expression": "requests/METRIC_COUNT(METRICS())"},
    ]
    ctx = context(1, errors_a=series("A", [1]), errors_b=series("B", [3]), requests=series("R", [50]),
                  e4xx=series("4", [2]), e5xx=series("5", [5]))
    values = {r["Id"]: r["Values"] for r in evaluate_queries(queries, ctx)}
    assert values == {"rate": [8.0], "all": [61.0], "http": [7.0], "count": [10.0]}


def test_remove_empty_and_time_series():
    """UG:using-metric-math: REMOVE_EMPTY drops series without data points; TIME_SERIES(S)
    is a non-sparse series of the scalar: TIME_SERIES(MAX(m1)), TIME_SERIES(5*AVG(m1))."""
    data = dict(m1=series("m1", [2, None, 4]), m2=series("m2", []))
    assert [s.label for s in run("REMOVE_EMPTY(METRICS())", 3, **data)] == ["m1"]
    assert as_list(run("TIME_SERIES(MAX(m1))", 3, **data), 3) == [4, 4, 4]
    assert as_list(run("TIME_SERIES(5*AVG(m1))", 3, **data), 3) == [15, 15, 15]
    assert as_list(run("TIME_SERIES(10)", 3, **data), 3) == [10, 10, 10]


def test_calendar_functions():
    """UG:using-metric-math: MINUTE/HOUR/DAY/DATE/MONTH/YEAR/EPOCH make a non-sparse series
    from the timestamps; DAY is 1 (Monday) to 7 (Sunday), so IF(DAY(m1)<6,m1) keeps weekdays,
    and IF(MONTH(m1) == 4,m1) keeps April."""
    day = 24 * 60
    week = [T0 + timedelta(hours=h) for h in range(168)]
    hourly = MathContext(start=T0, end=T0 + timedelta(days=7), period=3600,
                         metric_data={"m1": Series("m1", week, [float(h) for h in range(168)], period=3600)})
    days = evaluate_expression("DAY(m1)", hourly)
    assert days.values[::24].tolist() == [1, 2, 3, 4, 5, 6, 7]
    weekdays = evaluate_expression("IF(DAY(m1)<6,m1)", hourly)
    assert weekdays.values.tolist() == [float(h) for h in range(120)]
    business = evaluate_expression("IF((DAY(m1)<6 AND (HOUR(m1)>=9 AND HOUR(m1)<17)),m1)", hourly)
    assert business.values.tolist() == [float(h) for h in range(120) if 9 <= h % 24 < 17]
    assert as_list(run("MINUTE(m1)", 3, m1=series("m1", [1])), 3) == [0, 1, 2]
    data = dict(m1=series("m1", [1]))
    assert as_list(run("DATE(m1) + MONTH(m1) * 100 + YEAR(m1) * 10000", 1, **data), 1) == [20260105]
    assert as_list(run("EPOCH(m1)", 1, **data), 1) == [T0.timestamp()]
    assert len(run("IF(MONTH(m1) == 4,m1)", day, **data)) == 0


def test_search_uses_the_labs_metrics():
    """UG:search-expression-syntax, "Using math expressions": SUM(SEARCH(' {AWS/Lambda,
    FunctionName} MetricName="Errors" ', 'Sum', 300)) sums the Errors of every function."""
    metrics = [("AWS/Lambda", "Errors", {"FunctionName": "a"}), ("AWS/Lambda", "Errors", {"FunctionName": "b"}),
               ("AWS/Lambda", "Invocations", {"FunctionName": "a"}), ("AWS/Lambda", "Errors", {})]
    asked = []

    def search(query, statistic, period):
        asked.append((statistic, period))
        return [series(search_label(name, dims), [1, 2]) for ns, name, dims in metrics
                if query.matches(ns, name, dims)]

    ctx = MathContext(start=T0, end=at(2), period=300, search=search)
    queries = [{"Id": "e1", "Expression": "SEARCH(' {AWS/Lambda, FunctionName}, MetricName=\"Errors\" ', 'Sum', 300)",
                "ReturnData": True},
               {"Id": "e2", "Expression": "SUM(e1)", "Label": "All errors"}]
    results = evaluate_queries(queries, ctx)
    assert [(r["Id"], r["Label"], r["Values"]) for r in results] == [
        ("e1", "a", [1.0, 2.0]), ("e1", "b", [1.0, 2.0]), ("e2", "All errors", [2.0, 4.0])]
    assert asked == [("Sum", 300)]


def test_anomaly_detection_band_is_upper_then_lower():
    """UG:using-metric-math: the band is two series; LAST(ANOMALY_DETECTION_BAND(m1)) is the
    lower bound; the second argument is the number of standard deviations, default 2."""
    seen = []

    def band(source, stddevs):
        seen.append(stddevs)
        return (source.derive(source.ns, source.values - stddevs, label="lower"),
                source.derive(source.ns, source.values + stddevs, label="upper"))

    ctx = MathContext(start=T0, end=at(2), metric_data={"m1": series("m1", [10, 20])}, anomaly_band=band)
    assert [s.label for s in evaluate_expression("ANOMALY_DETECTION_BAND(m1)", ctx)] == ["upper", "lower"]
    assert evaluate_expression("LAST(ANOMALY_DETECTION_BAND(m1,4))", ctx).values.tolist() == [6, 16]
    assert seen == [2.0, 4.0]
    no_model = MathContext(start=T0, end=at(2), metric_data={"m1": series("m1", [10, 20])})
    assert error_of(lambda: evaluate_expression("ANOMALY_DETECTION_BAND(m1)", no_model)).code == "ValidationError"


# ------------------------------------------------------------------ queries: Ids, ReturnData, labels, order

def stat(query_id: str, **extra) -> dict:
    return {"Id": query_id, "MetricStat": {"Period": 60}, **extra}


def test_results_follow_request_order_and_return_data():
    """API:MetricDataQuery: ReturnData defaults to true; an expression may use the Id of
    metrics and of other expressions, in any order in the request."""
    queries = [{"Id": "e2", "Expression": "e1 + 1"}, {"Id": "e1", "Expression": "m1 * 2", "ReturnData": False},
               stat("m1")]
    results = evaluate_queries(queries, context(2, m1=series("CPUUtilization", [1, 2])))
    assert [(r["Id"], r["Label"], r["Values"], r["StatusCode"]) for r in results] == [
        ("e2", "e2", [3.0, 5.0], "Complete"), ("m1", "CPUUtilization", [1.0, 2.0], "Complete")]
    assert results[1]["Timestamps"] == [at(0), at(1)]


def test_labels_of_arrays():
    """UG:using-metric-math, step 6: for an expression producing several series the legend is
    "Expression-Label Metric-Label" — FILL(METRICS(), 0) labelled "Filled With 0:" over a
    metric labelled Errors gives "Filled With 0: Errors"; an empty Label keeps the metric
    labels. UG:graph-dynamic-labels: ${LABEL} places the metric's label."""
    queries = [stat("m1", Label="Errors", ReturnData=False), stat("m2", ReturnData=False),
               {"Id": "e1", "Expression": "FILL(METRICS(), 0)", "Label": "Filled With 0:"},
               {"Id": "e2", "Expression": "METRICS()"},
               {"Id": "e3", "Expression": "METRICS()", "Label": "[max: ${MAX} Errors for Function Name ${LABEL}]"}]
    results = evaluate_queries(queries, context(2, m1=series("Errors", [1, 3]), m2=series("Throttles", [4])))
    assert [r["Label"] for r in results] == [
        "Filled With 0: Errors", "Filled With 0: Throttles", "Errors", "Throttles",
        "[max: 3 Errors for Function Name Errors]", "[max: 4 Errors for Function Name Throttles]"]
    assert {r["Id"] for r in results[:2]} == {"e1"}


def test_dynamic_label_values():
    """UG:graph-dynamic-labels: ${AVG} ${MIN} ${MAX} ${SUM} ${FIRST} ${LAST}
    ${DATAPOINT_COUNT} ${PROP('...')}."""
    s = Series("cpu", [at(0), at(1), at(2)], [1, 2, 6], period=300, properties={"MetricName": "CPUUtilization"})
    assert expand_label("${AVG} ${MIN} ${MAX} ${SUM} ${FIRST} ${LAST} ${DATAPOINT_COUNT}", s) == "3 1 6 9 1 6 3"
    assert expand_label("${PROP('MetricName')} every ${PROP('Period')}s", s) == "CPUUtilization every 300s"


@pytest.mark.parametrize("bad_id", ["M1", "1m", "_m", "m-1", "m 1", "é1", "m" * 256])
def test_ids_must_start_with_a_lowercase_letter(bad_id):
    """API:MetricDataQuery Id: "The valid characters are letters, numbers, and underscore.
    The first character must be a lowercase letter." (and at most 255 characters)"""
    error = error_of(lambda: validate_queries([stat(bad_id)]))
    assert error.code == "ValidationError" and "MetricDataQueries.member.1.Id" in error.message


def test_query_shape_errors():
    """API:MetricDataQuery: Ids unique; exactly one of MetricStat and Expression; at most 500
    queries; an Expression of at most 2,048 characters."""
    assert error_of(lambda: validate_queries([stat("m1"), stat("m1")])).code == "ValidationError"
    assert error_of(lambda: validate_queries([{"Id": "e1", "Expression": "m1", "MetricStat": {}}])).message == (
        "The parameters MetricDataQueries.member.1.MetricStat and MetricDataQueries.member.1.Expression are "
        "mutually exclusive and you have specified both.")
    # the message AWS returns, newline included (recorded in getmoto/moto's tests)
    assert error_of(lambda: validate_queries([{"Id": "e1", "Label": "x"}])).message == (
        "The parameter MetricDataQueries.member.1.MetricStat is required.\n")
    assert error_of(lambda: validate_queries([stat(f"m{i}") for i in range(501)])).message == (
        "The collection MetricDataQueries must not have a size greater than 500.")
    validate_queries([stat(f"m{i}") for i in range(500)])
    long = {"Id": "e1", "Expression": "m1" + " " * 2047}
    assert error_of(lambda: validate_queries([stat("m1"), long])).code == "ValidationError"


def test_expression_errors_name_the_query():
    """UG:using-metric-math: functions are uppercase; Ids start with a lowercase letter; the
    references must exist and must not go round in a circle."""
    cases = {
        "avg(m1)": "Unknown function: avg",
        "m1 +": "Unexpected end of expression",
        "m9 * 2": "Unrecognized metric or expression id m9",
        "e2 + 1": "Circular dependency",
        "FILL(m1, SIDEWAYS)": "Unrecognized identifier 'SIDEWAYS'",
        "SORT(METRICS(), MEDIAN, ASC)": "Unrecognized identifier 'MEDIAN'",
        "SORT(METRICS(), AVG, UP)": "Unrecognized identifier 'UP'",
        "SLICE(METRICS(), -1)": "SLICE expects a whole number",
        "IF([m1, m1], 1, 0)": "IF cannot take an array",
        "[m1, 3]": "An array can hold only time series",
        "METRICS() + METRICS()": "cannot combine two arrays",
        "ABS(m1, m1)": "ABS takes 1 argument, not 2",
        "SEARCH('{AWS/EC2', 'Average', 300)": "metric schema is not closed",
        "SEARCH('x', 'Average', 0)": "at least 1 second",
    }
    for expression, detail in cases.items():
        queries = [stat("m1"), {"Id": "e1", "Expression": expression}, {"Id": "e2", "Expression": "e1"}]
        error = error_of(lambda: evaluate_queries(queries, context(2, m1=series("m1", [1, 2]))))
        assert error.code == "ValidationError", expression
        assert error.message.startswith("Error in expression e"), (expression, error.message)
        assert detail in error.message, (expression, error.message)


def test_cycles_are_found_however_long():
    """API:MetricDataQuery: expressions may use other expressions' Ids — but not their own."""
    queries = [{"Id": f"e{i}", "Expression": f"e{(i + 1) % 50} + 1"} for i in range(50)]
    assert "Circular dependency" in error_of(lambda: evaluate_queries(queries, context())).message
    assert "Circular dependency" in error_of(lambda: evaluate_queries(
        [{"Id": "e1", "Expression": "e1 * 2"}], context())).message


def test_order_and_pagination():
    """API:GetMetricData: ScanBy TimestampDescending (the default) returns the newest data
    first; at most MaxDatapoints (default 100,800) points come back before paginating, and a
    cut-short result says PartialData."""
    results = evaluate_queries([stat("m1"), stat("m2")], context(3, m1=series("a", [1, 2, 3]), m2=series("b", [4, 5])))
    newest_first = order_datapoints(results[0])
    assert newest_first["Values"] == [3.0, 2.0, 1.0] and newest_first["Timestamps"][0] == at(2)
    assert order_datapoints(results[0], "TimestampAscending")["Values"] == [1.0, 2.0, 3.0]
    page, next_start = paginate_results(results, max_datapoints=4)
    assert [(r["Label"], r["Values"], r["StatusCode"]) for r in page] == [
        ("a", [3.0, 2.0, 1.0], "Complete"), ("b", [5.0], "PartialData")]
    page, after = paginate_results(results, max_datapoints=4, start=next_start)
    assert [(r["Label"], r["Values"]) for r in page] == [("b", [4.0])] and after is None
    assert paginate_results(results)[1] is None


# ------------------------------------------------------------------ the tree

def test_the_tree_prints_back_as_metric_math():
    """UG:using-metric-math examples survive a round trip through the tree."""
    for text in ["SUM([m1,m2])/AVG(m2)", "IF(FIRST(SORT(METRICS(), AVG, DESC))>100, 1, 0)",
                 "SLICE(SORT(METRICS(), SUM, DESC), 0, 10)", "-5*m1", "SUM(-[m1, m2])",
                 "IF((DAY(m1)<6 AND (HOUR(m1)>=9 AND HOUR(m1)<17)),m1)", 'SUM(METRICS("errors"))'
                 "/SUM(METRICS(\"requests\"))*100"]:
        tree = parse_expression(text)
        assert str(parse_expression(str(tree))) == str(tree)
    assert str(parse_expression("(m1 + m2) * 2 ^ 3 ^ 2")) == "(m1 + m2) * 2 ^ 3 ^ 2"
    assert str(parse_expression("m1 > 15 && m2 > 15 || m3")) == "m1 > 15 AND m2 > 15 OR m3"
    assert parse_expression("IF(m1 > 10, 1, 0)").pretty() == (
        "IF(...)\n├── >\n│   ├── m1\n│   └── 10\n├── 1\n└── 0")


def test_precedence():
    """Operators bind in the usual order (AWS publishes no table): ^ before unary minus,
    then * /, + -, comparisons, AND, OR."""
    assert as_list(run("TIME_SERIES(-2 ^ 2 + 2 * 3 - 8 / 4 ^ 1)", 1), 1) == [0]
    assert as_list(run("TIME_SERIES(1 + 1 > 1 AND 0 OR 1)", 1), 1) == [1]
    assert as_list(run("TIME_SERIES(2 ^ 3 ^ 2)", 1), 1) == [512]


# ------------------------------------------------------------------ SEARCH syntax

def test_search_tokens():
    """UG:search-expression-syntax, "Tokenization": the table of generated tokens."""
    assert tokens("CustomCount1") == {"customcount1", "custom", "count", "1"}
    assert tokens("SDBFailure") == {"sdbfailure", "sdb", "failure"}
    assert tokens("Project2-trial333") == {"project2trial333", "project", "2", "trial", "333"}


@pytest.mark.parametrize("term, found", [("count", True), ("Count", True), ("COUNT", True), ("couNT", False),
                                         ("CustomCount", True), ("Count1", True), ("customcount", False),
                                         ("count1", False)])
def test_search_partial_matches(term, found):
    """UG:search-expression-syntax, "Partial matches": single tokens case-insensitively,
    composite tokens case-sensitively."""
    assert partial_match(term, "CustomCount1") is found


def test_search_non_alphanumerics_and_exact_matches():
    """UG:search-expression-syntax: network/errors, network+errors, network-errors and
    Network_Errors all find Network-Errors-2 and NetworkErrors2; "CustomCount1" is exact."""
    for term in ["network/errors", "network+errors", "network-errors", "Network_Errors"]:
        assert partial_match(term, "Network-Errors-2") and partial_match(term, "NetworkErrors2")
    exact = parse_search(' {MyNamespace}, "CustomCount1" ')
    assert exact.matches("MyNamespace", "CustomCount1", {})
    assert not parse_search(' {MyNamespace}, "customcount1" ').matches("MyNamespace", "CustomCount1", {})
    assert not parse_search(' {MyNamespace}, "Custom" ').matches("MyNamespace", "CustomCount1", {})
    special = parse_search(' {"My Namespace", "Dimension@Name"}, "Custom:Name[Special_Characters" ')
    assert special.matches("My Namespace", "Custom:Name[Special_Characters", {"Dimension@Name": "x"})
    escaped = parse_search(r' "Europe\\France Traffic\(Network\)" ')
    assert escaped.matches("ns", "Europe\\France Traffic(Network)", {})


def test_search_boolean_operators():
    """UG:search-expression-syntax, "Boolean operators": AND (also implicit), OR, NOT,
    parentheses; the documented Lambda example with nested grouping."""
    q = parse_search(' {AWS/Lambda,FunctionName} MetricName="Errors" OR (MetricName="Invocations" '
                     'AND (ProjectA OR ProjectB)) ')
    assert q.matches("AWS/Lambda", "Errors", {"FunctionName": "any"})
    assert q.matches("AWS/Lambda", "Invocations", {"FunctionName": "ProjectB-handler"})
    assert not q.matches("AWS/Lambda", "Invocations", {"FunctionName": "other"})
    custom = parse_search("NOT Namespace=AWS ")
    assert custom.matches("MyApp", "Latency", {}) and not custom.matches("AWS/EC2", "CPUUtilization", {})
    cpu = parse_search(' {AWS/EC2,InstanceId} MetricName="CPUUtilization" NOT i-1234567890123456 ')
    assert cpu.matches("AWS/EC2", "CPUUtilization", {"InstanceId": "i-0abc"})
    assert not cpu.matches("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1234567890123456"})
    reads = parse_search(" (EC2 OR EBS) MetricName=ReadOps ")
    assert reads.matches("AWS/EBS", "VolumeReadOps", {}) and not reads.matches("AWS/RDS", "ReadOps", {})
    assert parse_search("InstanceType=micro").matches("AWS/EC2", "CPU", {"InstanceType": "t2.micro"})
    assert parse_search(' InstanceType="t2.micro" Namespace="AWS/EC2" ').matches(
        "AWS/EC2", "CPU", {"InstanceType": "t2.micro"})


def test_search_limits_and_errors():
    """UG:search-expression-syntax: at most 1024 characters; a schema or a term is required."""
    for bad in ["", "   ", "{", "(a", "a AND", "NOT", "x" * 1025]:
        assert error_of(lambda: parse_search(bad)).code == "ValidationError", bad


def test_results_fit_botocores_output_shape():
    """API:GetMetricData: MetricDataResults items are {Id, Label, Timestamps, Values,
    StatusCode, Messages}, timestamps as datetimes — checked against botocore's model."""
    import botocore.session

    from awslab.shapes import check_shape

    model = botocore.session.get_session().get_service_model("cloudwatch")
    output = model.operation_model("GetMetricData").output_shape
    queries = [stat("m1"), {"Id": "e1", "Expression": "METRICS() / m1", "Label": "${LABEL} per"}]
    results = evaluate_queries(queries, context(2, m1=series("m1", [0, 2])))
    check_shape(output, {"MetricDataResults": results, "Messages": []})
    assert results[1]["Messages"][0]["Code"] == "ArithmeticError"


def test_labels_with_label_placeholders():
    """UG:graph-dynamic-labels: ${LABEL} is the default label — a metric's name, an
    expression's Id."""
    queries = [stat("m1", Label="${LABEL} (max ${MAX})"), {"Id": "e1", "Expression": "m1 * 2", "Label": "${LABEL}!"}]
    results = evaluate_queries(queries, context(2, m1=series("CPUUtilization", [1, 2])))
    assert [r["Label"] for r in results] == ["CPUUtilization (max 2)", "e1!"]


def test_sub_second_timestamps_survive():
    """UG:cloudwatch_concepts: high-resolution metrics have periods down to 1 second."""
    moments = [T0 + timedelta(milliseconds=500 * i) for i in range(3)]
    ctx = MathContext(start=T0, end=T0 + timedelta(seconds=2), period=1,
                      metric_data={"m1": Series("m1", moments, [1, 2, 3], period=1)})
    [result] = evaluate_queries([{"Id": "m1", "MetricStat": {"Period": 1}}], ctx)
    assert result["Timestamps"] == moments


def test_alarm_queries():
    """API:MetricDataQuery for PutMetricAlarm: up to 20 queries, up to 10 of them metrics,
    exactly one returning data; UG:using-metric-math: no alarm on a SEARCH expression."""
    ok = [stat("m1", ReturnData=False), {"Id": "e1", "Expression": "m1 * 2"}]
    assert set(validate_queries(ok, for_alarm=True)) == {"e1"}
    assert error_of(lambda: validate_queries([stat("m1"), {"Id": "e1", "Expression": "m1"}],
                                             for_alarm=True)).code == "ValidationError"
    too_many = [stat(f"m{i}", ReturnData=False) for i in range(11)] + [{"Id": "e1", "Expression": "SUM(METRICS())"}]
    assert error_of(lambda: validate_queries(too_many, for_alarm=True)).code == "ValidationError"
    search = [{"Id": "e1", "Expression": "SEARCH('{AWS/EC2,InstanceId} CPU', 'Average', 300)"}]
    assert "SEARCH" in error_of(lambda: validate_queries(search, for_alarm=True)).message


def test_anomaly_band_accepts_pandas_bounds():
    """The anomaly model's ``band`` gives pandas Series (lower, upper); the engine takes them as they are."""
    import pandas as pd

    def band(source, stddevs):
        index = pd.DatetimeIndex(source.datetimes())
        return (pd.Series(source.values - stddevs, index=index, name="lower"),
                pd.Series(source.values + stddevs, index=index, name="upper"))

    ctx = MathContext(start=T0, end=at(2), metric_data={"m1": series("m1", [10, 20])}, anomaly_band=band)
    upper, lower = evaluate_expression("ANOMALY_DETECTION_BAND(m1, 1)", ctx)
    assert (upper.values.tolist(), lower.values.tolist()) == ([11, 21], [9, 19])
    assert "not negative" in error_of(lambda: evaluate_expression("ANOMALY_DETECTION_BAND(m1, -1)", ctx)).message
