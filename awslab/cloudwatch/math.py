"""Metric math for GetMetricData: validate the queries, evaluate them in dependency order,
and shape the results as ``MetricDataResult`` structures.

This is the engine only: no API plumbing, no tables. The caller (the CloudWatch service)
fetches the ``MetricStat`` queries' data itself and hands it over in a :class:`MathContext`,
together with callbacks for SEARCH (over the lab's metrics) and anomaly detection bands.

Rules, from the API reference (API:GetMetricData, API:MetricDataQuery) and the User Guide
(UG:using-metric-math):

* at most 500 queries; each ``Id`` unique, starting with a lowercase letter, then letters,
  digits and underscores (at most 255 characters); exactly one of ``MetricStat`` and
  ``Expression`` (at most 2,048 characters); ``ReturnData`` defaults to true;
* an expression may use the Id of metrics and of other expressions; the lab evaluates them
  in dependency order and refuses cycles and unknown Ids;
* the final result of an expression must be a time series or an array of time series;
  an array comes back as one ``MetricDataResult`` per series, all with the query's Id;
* a result's Label is the query's Label; without one, a metric's label is its metric name
  (the caller's series label), an expression's is its Id, and each series of an array keeps
  its own label ("Expression-Label Metric-Label" when the expression has a Label, or the
  Label with ``${LABEL}`` replaced — UG:using-metric-math step 6, UG:graph-dynamic-labels);
* data points dropped for non-numeric results are reported with AWS's
  ``ArithmeticError`` message.

Error messages for bad requests are AWS's where AWS's text is known (the 500-query limit,
a query with neither MetricStat nor Expression); the others keep AWS's shape
(``ValidationError``, "Error in expression <Id>: ...") with wording of the lab's own.

>>> ctx = MathContext(start="2026-01-01T00:00Z", end="2026-01-01T00:03Z", period=60,
...                   metric_data={"m1": Series("Requests", ["2026-01-01T00:00Z", "2026-01-01T00:01Z"], [4, 6])})
>>> queries = [{"Id": "m1", "MetricStat": {"Period": 60}, "ReturnData": False},
...            {"Id": "e1", "Expression": "m1 * 2", "Label": "Doubled"}]
>>> [(r["Id"], r["Label"], r["Values"]) for r in evaluate_queries(queries, ctx)]
[('e1', 'Doubled', [8.0, 12.0])]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from awslab.errors import AWSError, validation_error
from awslab.cloudwatch.math_functions import Evaluator
from awslab.cloudwatch.math_series import MathError, Scope, Series, kind_of, to_ns
from awslab.cloudwatch.math_parser import MathSyntaxError, Node, calls, parse_expression, referenced_ids
from awslab.cloudwatch.math_search import SearchQuery, SearchSyntaxError, parse_search, search_label

__all__ = [
    "MathContext", "Series", "SearchQuery", "evaluate_queries", "evaluate_expression",
    "validate_queries", "expand_label", "check_timezone", "order_datapoints", "paginate_results",
    "parse_expression", "parse_search", "search_label",
    "MAX_QUERIES", "MAX_DATAPOINTS",
]

#: "A single GetMetricData call can include up to 500 MetricDataQuery structures." (API:MetricDataQuery)
MAX_QUERIES = 500
#: Data points GetMetricData returns before paginating (API:GetMetricData, MaxDatapoints default).
MAX_DATAPOINTS = 100_800
#: Queries in one alarm (API:MetricDataQuery: "up to 20 ... as many as 10 ... MetricStat").
MAX_ALARM_QUERIES, MAX_ALARM_METRICS = 20, 10
MAX_EXPRESSION_LENGTH = 2048
MAX_ID_LENGTH = 255

ARITHMETIC_ERROR = {
    "Code": "ArithmeticError",
    "Value": "One or more data-points have been dropped due to non-numeric values (NaN, -Infinite, +Infinite)",
}

_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")

SearchCallback = Callable[[SearchQuery, str, int], Sequence[Series]]
AnomalyBandCallback = Callable[[Series, float], tuple[Any, Any]]  # (lower, upper): Series or pandas Series


@dataclass
class MathContext:
    """Everything an evaluation needs from the outside world.

    ``start``/``end``: the request's StartTime (inclusive, already rounded) and EndTime
    (exclusive). ``period``: the seconds between points of non-sparse series (TIME_SERIES,
    FILL's grid) when nothing more specific is known. ``metric_data``: each MetricStat
    query's result by Id, labelled with its default label (the metric name).
    ``search(query, statistic, period)``: the series of every metric ``query.matches``,
    each labelled (``search_label`` gives AWS's default). ``anomaly_band(series, stddevs)``:
    ``(lower, upper)`` for a series — Series or pandas Series, e.g. from
    ``anomaly.AnomalyModel.band(series.timestamps, stddevs)``. ``label_timezone``:
    GetMetricData's ``LabelOptions.Timezone`` (``+HHMM``/``-HHMM``) for times in dynamic labels.
    """

    start: Any
    end: Any
    period: int = 60
    metric_data: Mapping[str, Series] = field(default_factory=dict)
    search: SearchCallback | None = None
    anomaly_band: AnomalyBandCallback | None = None
    label_timezone: str = "+0000"


# ----------------------------------------------------------------------------- validation

def _member(index: int, name: str, collection: str = "MetricDataQueries") -> str:
    return f"{collection}.member.{index + 1}.{name}"


def validate_queries(queries: Sequence[Mapping[str, Any]], *, for_alarm: bool = False) -> dict[str, Node]:
    """Check the queries' shape and parse every expression; return the trees by Id.

    ``for_alarm`` adds PutMetricAlarm's rules (API:MetricDataQuery): at most 20 queries, at
    most 10 of them metrics, exactly one with ReturnData true, no SEARCH; messages then name
    PutMetricAlarm's ``Metrics`` parameter.
    """
    limit = MAX_ALARM_QUERIES if for_alarm else MAX_QUERIES
    collection = "Metrics" if for_alarm else "MetricDataQueries"

    def member(index: int, name: str) -> str:
        return _member(index, name, collection)

    if len(queries) > limit:
        raise validation_error(f"The collection {collection} must not have a size greater than {limit}.")
    seen: set[str] = set()
    trees: dict[str, Node] = {}
    for index, query in enumerate(queries):
        query_id = query.get("Id")
        if not isinstance(query_id, str) or not query_id:
            raise AWSError("MissingParameter", f"The parameter {member(index, 'Id')} is required.")
        if len(query_id) > MAX_ID_LENGTH or not _ID.fullmatch(query_id):
            raise validation_error(
                f"The value {query_id} for parameter {member(index, 'Id')} is invalid. The first character "
                "must be a lowercase letter, and the others letters, numbers or underscores.")
        if query_id in seen:
            raise validation_error(f"The value {query_id} for parameter {member(index, 'Id')} is not unique.")
        seen.add(query_id)
        has_stat, has_expression = "MetricStat" in query, "Expression" in query
        if has_stat and has_expression:
            raise validation_error(f"The parameters {member(index, 'MetricStat')} and "
                                   f"{member(index, 'Expression')} are mutually exclusive and you have specified both.")
        if not has_stat and not has_expression:
            raise validation_error(f"The parameter {member(index, 'MetricStat')} is required.\n")
        if has_expression:
            text = query["Expression"]
            if not isinstance(text, str) or len(text) > MAX_EXPRESSION_LENGTH:
                raise validation_error(f"The value for parameter {member(index, 'Expression')} must be "
                                       f"1 to {MAX_EXPRESSION_LENGTH} characters long.")
            if text.lstrip()[:6].upper() == "SELECT":
                raise validation_error(f"Error in expression {query_id}: "
                                       "Metrics Insights queries are not supported by awslab")
            trees[query_id] = _parse(query_id, text)
    if for_alarm:
        returning = sum(1 for query in queries if query.get("ReturnData", True))
        if returning != 1:
            raise validation_error("Exactly one element of the metrics list should return data.")
        if sum(1 for query in queries if "MetricStat" in query) > MAX_ALARM_METRICS:
            raise validation_error(f"The metrics list may contain at most {MAX_ALARM_METRICS} metrics.")
        for query_id, tree in trees.items():
            if calls(tree, "SEARCH"):  # "You can't create an alarm based on a SEARCH expression."
                raise validation_error(f"Error in expression {query_id}: SEARCH expressions cannot be used in alarms")
    return trees


def _parse(query_id: str, text: str) -> Node:
    try:
        return parse_expression(text)
    except MathSyntaxError as error:
        raise validation_error(f"Error in expression {query_id}: {error.detail}") from None


def _dependency_order(trees: Mapping[str, Node], metric_ids: Sequence[str]) -> list[str]:
    """Expression Ids so that each comes after those it uses; unknown Ids and cycles are errors."""
    known = set(trees) | set(metric_ids)
    needs: dict[str, list[str]] = {}
    for query_id, tree in trees.items():
        for name in sorted(referenced_ids(tree)):
            if name not in known:
                raise validation_error(f"Error in expression {query_id}: Unrecognized metric or expression id {name}")
        needs[query_id] = sorted(name for name in referenced_ids(tree) if name in trees)
    order: list[str] = []
    state: dict[str, str] = {}
    for root in trees:
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, position = stack.pop()
            if position == 0:
                if state.get(node) == "done":
                    continue
                state[node] = "visiting"
            if position < len(needs[node]):
                stack.append((node, position + 1))
                child = needs[node][position]
                if state.get(child) == "visiting":
                    path = [entry for entry, _ in stack] + [child]
                    cycle = path[path.index(child):]
                    raise validation_error(f"Error in expression {root}: Circular dependency between "
                                           f"expressions {' -> '.join(cycle)}")
                if state.get(child) != "done":
                    stack.append((child, 0))
            else:
                state[node] = "done"
                order.append(node)
    return order


# ----------------------------------------------------------------------------- evaluation

def evaluate_queries(queries: Sequence[Mapping[str, Any]], ctx: MathContext) -> list[dict[str, Any]]:
    """Evaluate a GetMetricData request's queries; return its MetricDataResults.

    Results come in request order, only for queries whose ReturnData is true (the default),
    with timestamps ascending (see :func:`order_datapoints` for ScanBy).
    """
    request = _Request(queries, ctx)
    results: list[dict[str, Any]] = []
    for query in queries:
        if not query.get("ReturnData", True):
            continue
        query_id = query["Id"]
        value = request.value(query_id)
        messages = [dict(ARITHMETIC_ERROR)] if query_id in request.dropped else []
        label = query.get("Label")
        if isinstance(value, Series):
            if "MetricStat" in query:  # already labelled by _Request.metric
                text = value.label
            else:  # an expression's default label is its Id
                text = (expand_label(label, value.derive(value.ns, value.values, label=query_id),
                                     timezone=ctx.label_timezone) if label else query_id)
            results.append(_result(query_id, text, value, messages))
        else:
            for series in value:
                text = expand_label(label, series, array=True, timezone=ctx.label_timezone) if label else series.label
                results.append(_result(query_id, text, series, messages))
    return results


def evaluate_expression(expression: str, ctx: MathContext, *, period: int | None = None) -> Series | list[Series]:
    """Evaluate one expression over ``ctx.metric_data`` (each entry counts as a metric query).

    A convenience for notebooks, tests and alarms:
    ``evaluate_expression("m1 / PERIOD(m1)", ctx)`` returns a Series (or a list for TS[]).
    """
    queries: list[dict[str, Any]] = [
        {"Id": key, "MetricStat": {"Period": series.period or ctx.period}, "ReturnData": False}
        for key, series in ctx.metric_data.items()]
    expression_query: dict[str, Any] = {"Id": "expression", "Expression": expression}
    if period:
        expression_query["Period"] = period
    return _Request([*queries, expression_query], ctx).value("expression")


class _Request:
    """One request's queries evaluated in dependency order; values and dropped-point flags by Id."""

    def __init__(self, queries: Sequence[Mapping[str, Any]], ctx: MathContext):
        trees = validate_queries(queries)
        self.ctx = ctx
        self.by_id = {query["Id"]: query for query in queries}
        self.metric_ids = [query["Id"] for query in queries if "MetricStat" in query]
        self.values: dict[str, Series | list[Series]] = {}
        self.dropped: set[str] = set()
        start_ns, end_ns = to_ns(ctx.start), to_ns(ctx.end)
        for query_id in _dependency_order(trees, self.metric_ids):
            query = self.by_id[query_id]
            scope = Scope(start_ns, end_ns, int(query.get("Period") or ctx.period), self.resolve,
                          self.metrics, self.metric_period, ctx.search, ctx.anomaly_band)
            self.values[query_id] = self.evaluate(query_id, trees[query_id], scope)

    def value(self, query_id: str) -> Series | list[Series]:
        return self.values[query_id] if query_id in self.values else self.metric(query_id)

    def metric(self, query_id: str) -> Series:
        if query_id not in self.ctx.metric_data:
            raise KeyError(f"MathContext.metric_data has no series for the metric query {query_id}")
        series = self.ctx.metric_data[query_id]
        query = self.by_id[query_id]
        label = query.get("Label")
        series = series.derive(series.ns, series.values,
                               label=expand_label(label, series, timezone=self.ctx.label_timezone) if label else None)
        if series.period is None:
            series.period = query.get("MetricStat", {}).get("Period")
        return series

    def resolve(self, query_id: str) -> Series | list[Series]:
        if query_id in self.values:
            return self.values[query_id]
        if query_id in self.by_id and "MetricStat" in self.by_id[query_id]:
            return self.metric(query_id)
        raise MathError(f"Unrecognized metric or expression id {query_id}")

    def metrics(self, text: str | None) -> list[Series]:
        return [self.metric(query_id) for query_id in self.metric_ids if text is None or text in query_id]

    def metric_period(self, query_id: str) -> int | None:
        query = self.by_id.get(query_id)
        if query is None or "MetricStat" not in query:
            return None
        return query["MetricStat"].get("Period") or self.ctx.period

    def evaluate(self, query_id: str, tree: Node, scope: Scope) -> Series | list[Series]:
        evaluator = Evaluator(scope)
        try:
            value = evaluator.evaluate(tree)
        except (MathError, SearchSyntaxError) as error:
            raise validation_error(f"Error in expression {query_id}: {error.detail}") from None
        if evaluator.dropped:
            self.dropped.add(query_id)
        if isinstance(value, (Series, list)):
            return value
        raise validation_error(f"Error in expression {query_id}: The final result of an expression must be "
                               f"a time series or an array of time series, not {kind_of(value)}")


def _result(query_id: str, label: str, series: Series, messages: list[dict[str, str]]) -> dict[str, Any]:
    return {"Id": query_id, "Label": label, "Timestamps": series.datetimes(),
            "Values": [float(value) for value in series.values], "StatusCode": "Complete",
            "Messages": [dict(message) for message in messages]}


# ----------------------------------------------------------------------------- labels

_DYNAMIC = re.compile(r"\$\{(AVG|MIN|MAX|SUM|FIRST|LAST|DATAPOINT_COUNT|LABEL|FIRST_LAST_RANGE|MIN_MAX_RANGE"
                      r"|FIRST_TIME|LAST_TIME|MIN_TIME|MAX_TIME|PROP\('([^']*)'\))\}")
_TIMEZONE = re.compile(r"[+-](?:[01]\d|2[0-3])[0-5]\d")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def check_timezone(text: str) -> timezone:
    """``LabelOptions.Timezone``: ``+`` or ``-`` then four digits, hours and minutes from UTC
    (API:LabelOptions, e.g. ``+0130``). Raises AWS's InvalidParameterValue otherwise."""
    if not isinstance(text, str) or not _TIMEZONE.fullmatch(text):
        raise AWSError("InvalidParameterValue", f"The value {text} for parameter LabelOptions.Timezone is invalid.")
    offset = timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))
    return timezone(-offset if text[0] == "-" else offset)


def expand_label(template: str, series: Series, *, array: bool = False, timezone: str = "+0000") -> str:
    """A query Label with its dynamic values filled in for one series (UG:graph-dynamic-labels).

    Understood: ${LABEL}, ${AVG}, ${MIN}, ${MAX}, ${SUM}, ${FIRST}, ${LAST},
    ${DATAPOINT_COUNT}, ${FIRST_LAST_RANGE}, ${MIN_MAX_RANGE}, ${FIRST_TIME}, ${LAST_TIME},
    ${MIN_TIME}, ${MAX_TIME} and ${PROP('...')} from the series' properties; others stay as
    written. Times are ISO 8601 in ``timezone`` (LabelOptions.Timezone; AWS documents no
    format, so this one is the lab's). For one series of an array, a Label without ${LABEL}
    is put before the series' own label ("Expression-Label Metric-Label", UG:using-metric-math).
    """
    values = series.values
    zone = check_timezone(timezone)

    def at(index: int) -> str:
        return series.datetimes()[index].astimezone(zone).isoformat()

    def fill(match: re.Match[str]) -> str:
        word, prop = match.group(1), match.group(2)
        if word == "LABEL":
            return series.label
        if prop is not None:
            if prop == "Period" and series.period:
                return str(series.period)
            return series.properties.get(prop, match.group(0))
        if word == "DATAPOINT_COUNT":
            return str(len(values))
        if not len(values):
            return ""
        if word.endswith("_TIME"):
            index = {"FIRST_TIME": 0, "LAST_TIME": len(values) - 1, "MIN_TIME": int(np.argmin(values)),
                     "MAX_TIME": int(np.argmax(values))}[word]
            return at(index)
        pick = {"AVG": np.mean, "MIN": np.min, "MAX": np.max, "SUM": np.sum,
                "FIRST": lambda v: v[0], "LAST": lambda v: v[-1],
                "FIRST_LAST_RANGE": lambda v: v[-1] - v[0], "MIN_MAX_RANGE": lambda v: np.max(v) - np.min(v)}[word]
        return _number(float(pick(values)))

    text = _DYNAMIC.sub(fill, template)
    if array and "${LABEL}" not in template:
        return f"{text} {series.label}" if text else series.label
    return text


# ----------------------------------------------------------------------------- ordering

def order_datapoints(result: Mapping[str, Any], scan_by: str = "TimestampDescending") -> dict[str, Any]:
    """The result with its points in ScanBy order; AWS's default is newest first (API:GetMetricData)."""
    ordered = dict(result)
    pairs = sorted(zip(result["Timestamps"], result["Values"]), key=lambda pair: pair[0],
                   reverse=scan_by != "TimestampAscending")
    ordered["Timestamps"] = [stamp for stamp, _ in pairs]
    ordered["Values"] = [value for _, value in pairs]
    return ordered


def paginate_results(results: Sequence[Mapping[str, Any]], *, scan_by: str = "TimestampDescending",
                     max_datapoints: int = MAX_DATAPOINTS, start: int = 0) -> tuple[list[dict[str, Any]], int | None]:
    """One page of results holding at most ``max_datapoints`` points, counted across results
    from ``start`` (an offset into all points, results in order, points in ScanBy order).

    Returns the page and the offset where the next page starts (None when none is left).
    A result cut short is marked ``PartialData``, as GetMetricData does when it paginates.
    """
    page: list[dict[str, Any]] = []
    skip, room, offset = start, max_datapoints, 0
    for result in results:
        ordered = order_datapoints(result, scan_by)
        count = len(ordered["Values"])
        if count == 0:
            if skip == 0:
                page.append(ordered)  # an empty result still answers its query
            continue
        if skip >= count:
            skip -= count
            offset += count
            continue
        take = min(count - skip, room)
        piece = dict(ordered, Timestamps=ordered["Timestamps"][skip:skip + take],
                     Values=ordered["Values"][skip:skip + take])
        if skip + take < count:
            piece["StatusCode"] = "PartialData"
        page.append(piece)
        offset += skip + take
        room -= take
        skip = 0
        if room == 0:
            total = sum(len(r["Values"]) for r in results)
            return page, (offset if offset < total else None)
    return page, None
