"""Evaluating metric math: the operators, the function table and the evaluator.

Everything here follows the CloudWatch User Guide, "Using metric math" (UG:using-metric-math):

* Values are scalars (S), time series (TS) or arrays of time series (TS[]).
* Arithmetic ``+ - * / ^`` works between S, TS and TS[] operands; between two series the
  timestamps are aligned and "missing values in a time series are treated as 0"; "if the
  value of a data point causes a function to attempt to divide by zero, the data point is
  dropped" (the lab drops every non-finite result — NaN, ±Infinity — the same way and
  reports AWS's ``ArithmeticError`` message for the query).
* Comparisons give 0/1; where only one series has a value "the function treats the missing
  value in the other time series as 0".
* IF follows the section "Using IF expressions" and its three tables exactly.

Choices where the guide is silent, made plausibly and pinned by tests: ``^`` is
right-associative; STDDEV is the population standard deviation; MIN/MAX/STDDEV of an
array look only at the series that have a value at each timestamp (AVG treats the others
as 0, as documented); DIFF, DIFF_TIME and RATE have no value at a series' first point;
FILL's REPEAT leaves a leading gap and LINEAR leading and trailing gaps unfilled; SORT puts
series without data last.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from awslab.cloudwatch.math_parser import Array, Binary, Call, Keyword, Name, Node, Number, String, Unary
from awslab.cloudwatch.math_search import parse_search
from awslab.cloudwatch.math_series import NS_PER_SECOND, MathError, Scope, Series, Value, kind_of


def _np_op(operator: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if operator == "+":
            return left + right
        if operator == "-":
            return left - right
        if operator == "*":
            return left * right
        if operator == "/":
            return left / right
        if operator == "^":
            return np.power(left, right)
        if operator == "==":
            return (left == right).astype(np.float64)
        if operator == "!=":
            return (left != right).astype(np.float64)
        if operator == "<":
            return (left < right).astype(np.float64)
        if operator == ">":
            return (left > right).astype(np.float64)
        if operator == "<=":
            return (left <= right).astype(np.float64)
        if operator == ">=":
            return (left >= right).astype(np.float64)
        if operator == "AND":
            return ((left != 0) & (right != 0)).astype(np.float64)
        if operator == "OR":
            return ((left != 0) | (right != 0)).astype(np.float64)
    raise MathError(f"Unsupported operator {operator}")


def _matrix(array: Sequence[Series]) -> tuple[np.ndarray, np.ndarray]:
    """Align an array of series: the union of timestamps and a values matrix, NaN = missing."""
    if not array:
        return np.empty(0, dtype=np.int64), np.empty((0, 0))
    union = np.unique(np.concatenate([series.ns for series in array]))
    matrix = np.full((len(array), len(union)), np.nan)
    for row, series in enumerate(array):
        matrix[row, np.searchsorted(union, series.ns)] = series.values
    return union, matrix


class Evaluator:
    """Evaluates expression trees within one :class:`Scope`; remembers dropped points."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.dropped = False

    # ------------------------------------------------------------------ helpers
    def finite(self, series: Series) -> Series:
        keep = np.isfinite(series.values)
        if keep.all():
            return series
        self.dropped = True
        return series.derive(series.ns[keep], series.values[keep])

    def ts(self, value: Value, function: str) -> Series:
        if isinstance(value, list) and len(value) == 1:
            return value[0]
        if not isinstance(value, Series):
            raise MathError(f"{function} expects a time series, not {kind_of(value)}")
        return value

    def array(self, value: Value, function: str) -> list[Series]:
        if isinstance(value, Series):
            return [value]
        if not isinstance(value, list):
            raise MathError(f"{function} expects an array of time series, not {kind_of(value)}")
        return value

    def scalar(self, value: Value, function: str) -> float:
        if not isinstance(value, float):
            raise MathError(f"{function} expects a scalar, not {kind_of(value)}")
        return value

    def whole(self, value: Value, function: str) -> int:
        number = self.scalar(value, function)
        if not np.isfinite(number) or number < 0 or number != int(number):
            raise MathError(f"{function} expects a whole number that is not negative, not {number:g}")
        return int(number)

    def keyword(self, value: Value, function: str, allowed: Sequence[str]) -> str:
        if not isinstance(value, Keyword) or value.word not in allowed:
            raise MathError(f"{function} expects one of {', '.join(allowed)}, not {kind_of(value)}")
        return value.word

    def map(self, value: Value, function: str, operation: Callable[[np.ndarray], np.ndarray]) -> Value:
        """Apply an elementwise operation to a scalar, a series or every series of an array."""
        if isinstance(value, float):
            with np.errstate(all="ignore"):
                return float(operation(np.array([value]))[0])
        if isinstance(value, Series):
            with np.errstate(all="ignore"):
                return self.finite(value.derive(value.ns, operation(value.values)))
        if isinstance(value, list):
            return [self.map(series, function, operation) for series in value]
        raise MathError(f"{function} expects a time series or an array of time series, not {kind_of(value)}")

    # ------------------------------------------------------------------ the tree
    def evaluate(self, node: Node) -> Value:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, String):
            return node.value
        if isinstance(node, Keyword):
            return node
        if isinstance(node, Name):
            return self.scope.resolve(node.id)
        if isinstance(node, Array):
            items: list[Series] = []
            for item in node.items:
                value = self.evaluate(item)
                if isinstance(value, Series):
                    items.append(value)
                elif isinstance(value, list):
                    items.extend(value)
                else:
                    raise MathError(f"An array can hold only time series, not {kind_of(value)}")
            return items
        if isinstance(node, Unary):
            operand = self.evaluate(node.operand)
            if not isinstance(operand, (float, Series, list)):
                raise MathError(f"Unary - cannot apply to {kind_of(operand)}")
            return self.map(operand, "-", np.negative)
        if isinstance(node, Binary):
            return self.binary(node.operator, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, Call):
            return self.call(node)
        raise MathError(f"Cannot evaluate {node}")

    def binary(self, operator: str, left: Value, right: Value) -> Value:
        for value in (left, right):
            if not isinstance(value, (float, Series, list)):
                raise MathError(f"The operator {operator} cannot apply to {kind_of(value)}")
        if isinstance(left, list) and isinstance(right, list):
            raise MathError(f"The operator {operator} cannot combine two arrays of time series")
        if isinstance(left, list):
            return [self.binary(operator, series, right) for series in left]
        if isinstance(right, list):
            return [self.binary(operator, left, series) for series in right]
        if isinstance(left, float) and isinstance(right, float):
            return float(_np_op(operator, np.array([left]), np.array([right]))[0])
        if isinstance(right, float):
            return self.finite(left.derive(left.ns, _np_op(operator, left.values, np.array(right))))
        if isinstance(left, float):
            return self.finite(right.derive(right.ns, _np_op(operator, np.array(left), right.values)))
        union, matrix = _matrix([left, right])
        matrix = np.nan_to_num(matrix, nan=0.0)  # a missing value counts as 0
        result = left.derive(union, _np_op(operator, matrix[0], matrix[1]))
        if result.period is None:
            result.period = right.period
        return self.finite(result)

    def call(self, node: Call) -> Value:
        name = node.function
        if name == "PERIOD":
            return self.period(node)
        handler = FUNCTIONS.get(name)
        if handler is None:
            raise MathError(f"The function {name} is not available in awslab")
        low, high, implementation = handler
        if not low <= len(node.args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            noun = "argument" if expected == "1" else "arguments"
            raise MathError(f"{name} takes {expected} {noun}, not {len(node.args)}")
        return implementation(self, [self.evaluate(arg) for arg in node.args])

    def period(self, node: Call) -> float:
        """PERIOD(m1): the period of a metric query; "valid input is metrics, not the results
        of other expressions" (UG:using-metric-math)."""
        if len(node.args) != 1 or not isinstance(node.args[0], Name):
            raise MathError("PERIOD expects the Id of a metric")
        period = self.scope.metric_period(node.args[0].id)
        if period is None:
            self.scope.resolve(node.args[0].id)  # an unknown Id gets its own message
            raise MathError(f"PERIOD expects the Id of a metric; {node.args[0].id} is an expression")
        return float(period)


# ---------------------------------------------------------------------- the functions

def _aggregate(ev: Evaluator, value: Value, function: str, reduce: Callable[[np.ndarray], float],
               across: Callable[[np.ndarray], np.ndarray]) -> Value:
    """TS → S, or TS[] → TS computed across the series at every timestamp."""
    if isinstance(value, Series):
        return float(reduce(value.values)) if len(value) else float("nan")
    array = ev.array(value, function)
    union, matrix = _matrix(array)
    if not array:
        return Series(function, union, [])
    with np.errstate(all="ignore"):
        return ev.finite(array[0].derive(union, across(matrix), label=function))


def _avg(ev: Evaluator, args: list[Value]) -> Value:
    # "The AVG of an array of time series returns a single time series. Missing values are treated as 0."
    return _aggregate(ev, args[0], "AVG", np.mean, lambda m: np.nan_to_num(m, nan=0.0).mean(axis=0))


def _sum(ev: Evaluator, args: list[Value]) -> Value:
    return _aggregate(ev, args[0], "SUM", np.sum, lambda m: np.nansum(m, axis=0))


def _min(ev: Evaluator, args: list[Value]) -> Value:
    return _aggregate(ev, args[0], "MIN", np.min, lambda m: np.nanmin(m, axis=0))


def _max(ev: Evaluator, args: list[Value]) -> Value:
    return _aggregate(ev, args[0], "MAX", np.max, lambda m: np.nanmax(m, axis=0))


def _stddev(ev: Evaluator, args: list[Value]) -> Value:
    return _aggregate(ev, args[0], "STDDEV", np.std, lambda m: np.nanstd(m, axis=0))


def _datapoint_count(ev: Evaluator, args: list[Value]) -> Value:
    value = args[0]
    if isinstance(value, Series):
        return float(len(value))
    return _aggregate(ev, value, "DATAPOINT_COUNT", len, lambda m: (~np.isnan(m)).sum(axis=0).astype(float))


def _differences(ev: Evaluator, value: Value, function: str,
                 compute: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Value:
    """Apply a previous-point operation (DIFF, DIFF_TIME, RATE) to a TS or each TS of a TS[]."""
    if isinstance(value, list):
        return [_differences(ev, series, function, compute) for series in value]
    series = ev.ts(value, function)
    if len(series) < 2:
        return series.derive(series.ns[:0], series.values[:0])
    seconds = np.diff(series.ns) / NS_PER_SECOND
    with np.errstate(all="ignore"):
        return ev.finite(series.derive(series.ns[1:], compute(np.diff(series.values), seconds)))


def _running_sum(ev: Evaluator, args: list[Value]) -> Value:
    value = args[0]
    if isinstance(value, list):
        return [_running_sum(ev, [series]) for series in value]
    series = ev.ts(value, "RUNNING_SUM")
    return ev.finite(series.derive(series.ns, np.cumsum(series.values)))


def _fill(ev: Evaluator, args: list[Value]) -> Value:
    """FILL(TS|TS[], S | TS | REPEAT | LINEAR) over every period of the requested range."""
    target, filler = args
    if isinstance(target, list):
        return [_fill(ev, [series, filler]) for series in target]
    series = ev.ts(target, "FILL")
    union = np.union1d(ev.scope.grid(series.period), series.ns)
    values = np.full(len(union), np.nan)
    values[np.searchsorted(union, series.ns)] = series.values
    missing = np.isnan(values)
    if isinstance(filler, float):
        values[missing] = filler
    elif isinstance(filler, (Series, list)):
        source = ev.ts(filler, "FILL")
        found = np.isin(union, source.ns) & missing
        values[found] = source.values[np.searchsorted(source.ns, union[found])]
    else:
        mode = ev.keyword(filler, "FILL", ("REPEAT", "LINEAR"))
        present = np.flatnonzero(~missing)
        if len(present) and mode == "REPEAT":
            # the most recent actual value before each gap
            last = np.maximum.accumulate(np.where(~missing, np.arange(len(values)), -1))
            filled = last >= 0
            values[filled] = values[last[filled]]
        elif len(present) and mode == "LINEAR":
            inside = np.arange(present[0], present[-1] + 1)
            values[inside] = np.interp(union[inside].astype(float), union[present].astype(float), values[present])
    keep = ~np.isnan(values)
    return ev.finite(series.derive(union[keep], values[keep]))


def _first_last(index: int, function: str) -> Callable[[Evaluator, list[Value]], Value]:
    def pick(ev: Evaluator, args: list[Value]) -> Value:
        array = ev.array(args[0], function)
        if not array:
            return Series(function, [], [])
        return array[index]
    return pick


def _if(ev: Evaluator, args: list[Value]) -> Value:
    """IF(condition, trueValue[, falseValue]) — UG:using-metric-math, "Using IF expressions"."""
    condition, when_true = args[0], args[1]
    when_false = args[2] if len(args) > 2 else None
    for value in args:
        if isinstance(value, (str, Keyword)) or (isinstance(value, list) and len(value) != 1):
            raise MathError(f"IF cannot take {kind_of(value)}")
    if isinstance(condition, float):
        if condition != 0:
            return when_true
        return when_false if when_false is not None else Series("IF", [], [])
    cond = ev.ts(condition, "IF")
    stamps, chosen = cond.ns, cond.values != 0
    values = np.full(len(stamps), np.nan)
    for branch, mask, missing_value in ((when_true, chosen, 0.0), (when_false, ~chosen, np.nan)):
        if branch is None:
            continue  # an omitted falseValue drops the point
        if isinstance(branch, float):
            values[mask] = branch
            continue
        source = ev.ts(branch, "IF")
        found = np.isin(stamps, source.ns)
        picked = np.full(len(stamps), missing_value)
        picked[found] = source.values[np.searchsorted(source.ns, stamps[found])]
        values[mask] = picked[mask]  # true & no trueValue → 0; false & no falseValue → dropped
    keep = ~np.isnan(values)
    return ev.finite(cond.derive(stamps[keep], values[keep]))


def _calendar(function: str) -> Callable[[Evaluator, list[Value]], Value]:
    """MINUTE, HOUR, DAY, DATE, MONTH, YEAR, EPOCH: a non-sparse series over the period and
    range of the argument, valued from each timestamp (UTC). DAY is 1 = Monday … 7 = Sunday."""
    def compute(ev: Evaluator, args: list[Value]) -> Value:
        series = ev.ts(args[0], function)
        ns = ev.scope.grid(series.period)
        moments = ns.view("datetime64[ns]")
        if function == "MINUTE":
            values = (ns // (60 * NS_PER_SECOND)) % 60
        elif function == "HOUR":
            values = (ns // (3600 * NS_PER_SECOND)) % 24
        elif function == "DAY":
            values = (ns // (86400 * NS_PER_SECOND) + 3) % 7 + 1  # 1970-01-01 was a Thursday
        elif function == "DATE":
            values = (moments.astype("datetime64[D]") - moments.astype("datetime64[M]")).astype(np.int64) + 1
        elif function == "MONTH":
            values = moments.astype("datetime64[M]").astype(np.int64) % 12 + 1
        elif function == "YEAR":
            values = moments.astype("datetime64[Y]").astype(np.int64) + 1970
        else:
            values = ns // NS_PER_SECOND
        return series.derive(ns, values.astype(np.float64), label=function)
    return compute


def _metrics(ev: Evaluator, args: list[Value]) -> Value:
    """METRICS() — every metric (not expression) of the request, optionally those whose Id
    contains the given string."""
    text = None
    if args:
        if not isinstance(args[0], str):
            raise MathError(f"METRICS expects a string, not {kind_of(args[0])}")
        text = args[0]
    return list(ev.scope.metrics(text))


def _search(ev: Evaluator, args: list[Value]) -> Value:
    query, statistic, period = args
    if not isinstance(query, str) or not isinstance(statistic, str):
        raise MathError("SEARCH expects a search expression and a statistic in single quotes, and a period")
    seconds = ev.whole(period, "SEARCH")
    if seconds < 1:
        raise MathError("The period of a SEARCH must be at least 1 second")
    parsed = parse_search(query)
    if ev.scope.search is None:
        raise MathError("SEARCH is not available here")
    return list(ev.scope.search(parsed, statistic, seconds))


def _slice(ev: Evaluator, args: list[Value]) -> Value:
    array = ev.array(args[0], "SLICE")
    start = ev.whole(args[1], "SLICE")
    end = ev.whole(args[2], "SLICE") if len(args) > 2 else len(array)
    return array[start:end]


def _sort(ev: Evaluator, args: list[Value]) -> Value:
    array = ev.array(args[0], "SORT")
    statistic = ev.keyword(args[1], "SORT", ("AVG", "MIN", "MAX", "SUM"))
    order = ev.keyword(args[2], "SORT", ("ASC", "DESC"))
    limit = ev.whole(args[3], "SORT") if len(args) > 3 else len(array)
    reduce = {"AVG": np.mean, "MIN": np.min, "MAX": np.max, "SUM": np.sum}[statistic]
    keyed = [(float(reduce(series.values)) if len(series) else None, index, series)
             for index, series in enumerate(array)]
    with_data = sorted((item for item in keyed if item[0] is not None),
                       key=lambda item: (item[0] if order == "ASC" else -item[0], item[1]))
    without = [item for item in keyed if item[0] is None]
    return [series for _, _, series in with_data + without][:limit]


def _time_series(ev: Evaluator, args: list[Value]) -> Value:
    value = ev.scalar(args[0], "TIME_SERIES")
    grid = ev.scope.grid(None)
    return ev.finite(Series("TIME_SERIES", grid.view("datetime64[ns]"), np.full(len(grid), value), ev.scope.period))


def _anomaly_band(ev: Evaluator, args: list[Value]) -> Value:
    """ANOMALY_DETECTION_BAND(m[, stddevs=2]) → [upper, lower]: the guide's
    ``LAST(ANOMALY_DETECTION_BAND(m1))`` "returns the lower bound of the anomaly prediction band".

    The scope's callback may return the bounds as Series or as pandas Series indexed by
    timestamp (what ``anomaly.AnomalyModel.band`` gives).
    """
    series = ev.ts(args[0], "ANOMALY_DETECTION_BAND")
    stddevs = ev.scalar(args[1], "ANOMALY_DETECTION_BAND") if len(args) > 1 else 2.0
    if not np.isfinite(stddevs) or stddevs < 0:
        raise MathError("ANOMALY_DETECTION_BAND expects a number of standard deviations that is not negative")
    if ev.scope.anomaly_band is None:
        raise MathError("ANOMALY_DETECTION_BAND needs an anomaly detection model, and none is available")
    lower, upper = (_as_series(bound, series, name) for bound, name in
                    zip(ev.scope.anomaly_band(series, stddevs), ("lower", "upper")))
    return [ev.finite(upper), ev.finite(lower)]


def _as_series(bound: object, source: Series, name: str) -> Series:
    if isinstance(bound, Series):
        return bound
    if isinstance(bound, pd.Series):
        label = bound.name if isinstance(bound.name, str) and bound.name not in ("lower", "upper") else source.label
        return Series(label, list(bound.index), bound.to_numpy(dtype=float), source.period, source.properties)
    raise TypeError(f"the anomaly_band callback must return Series, not {type(bound).__name__} for the {name} bound")


def _elementwise(function: str, operation: Callable[[np.ndarray], np.ndarray]):
    return lambda ev, args: ev.map(args[0], function, operation)


def _unsupported(function: str):
    def refuse(ev: Evaluator, args: list[Value]) -> Value:
        raise MathError(f"The function {function} is not available in awslab")
    return refuse


#: name → (fewest arguments, most arguments, implementation)
FUNCTIONS: dict[str, tuple[int, int, Callable[[Evaluator, list[Value]], Value]]] = {
    "ABS": (1, 1, _elementwise("ABS", np.abs)),
    "CEIL": (1, 1, _elementwise("CEIL", np.ceil)),
    "FLOOR": (1, 1, _elementwise("FLOOR", np.floor)),
    "LOG": (1, 1, _elementwise("LOG", np.log)),
    "LOG10": (1, 1, _elementwise("LOG10", np.log10)),
    "AVG": (1, 1, _avg), "SUM": (1, 1, _sum), "MIN": (1, 1, _min), "MAX": (1, 1, _max),
    "STDDEV": (1, 1, _stddev), "DATAPOINT_COUNT": (1, 1, _datapoint_count),
    "DIFF": (1, 1, lambda ev, a: _differences(ev, a[0], "DIFF", lambda dv, dt: dv)),
    "DIFF_TIME": (1, 1, lambda ev, a: _differences(ev, a[0], "DIFF_TIME", lambda dv, dt: dt)),
    "RATE": (1, 1, lambda ev, a: _differences(ev, a[0], "RATE", lambda dv, dt: dv / dt)),
    "RUNNING_SUM": (1, 1, _running_sum),
    "FILL": (2, 2, _fill),
    "FIRST": (1, 1, _first_last(0, "FIRST")), "LAST": (1, 1, _first_last(-1, "LAST")),
    "IF": (2, 3, _if),
    "METRIC_COUNT": (1, 1, lambda ev, a: float(len(ev.array(a[0], "METRIC_COUNT")))),
    "METRICS": (0, 1, _metrics),
    "REMOVE_EMPTY": (1, 1, lambda ev, a: [s for s in ev.array(a[0], "REMOVE_EMPTY") if len(s)]),
    "SEARCH": (3, 3, _search),
    "SLICE": (2, 3, _slice),
    "SORT": (3, 4, _sort),
    "TIME_SERIES": (1, 1, _time_series),
    "ANOMALY_DETECTION_BAND": (1, 2, _anomaly_band),
    "INSIGHT_RULE_METRIC": (0, 99, _unsupported("INSIGHT_RULE_METRIC")),
    "SERVICE_QUOTA": (0, 99, _unsupported("SERVICE_QUOTA")),
    **{name: (1, 1, _calendar(name)) for name in ("MINUTE", "HOUR", "DAY", "DATE", "MONTH", "YEAR", "EPOCH")},
}
