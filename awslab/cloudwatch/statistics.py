"""CloudWatch statistics, computed by DuckDB over datapoint rows.

Basic statistics (SampleCount, Sum, Average, Minimum, Maximum) and the extended statistics:
percentiles ``pNN.NN``, trimmed mean ``TM``, interquartile mean ``IQM``, winsorized mean ``WM``,
percentile rank ``PR``, trimmed count ``TC`` and trimmed sum ``TS``.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html

The values of a period are a multiset: a raw value ``v`` published ``c`` times
(``Values``/``Counts``, or a rolled-up histogram entry) occupies the sorted ranks
``hi - c + 1 … hi``, where ``hi`` is the running count and ``N`` the period's SampleCount
(equal values need not be merged first: they take consecutive ranks either way).

* A percentile ``pq`` is the nearest-rank value: the value at rank ``⌈q·N⌉`` (at least 1).
  The page: "p99 … is the maximum value of the remaining 99%" after dropping the top 1%.
* Percentage bounds ``(a%:b%)`` keep the data points ranked after ``⌈a·N⌉`` and up to
  ``⌈b·N⌉``: the points lying above the ``pa`` point and up to the ``pb`` point, so that
  ``tm99`` is the average of the points whose maximum is ``p99`` (the page's "Percentiles
  versus trimmed mean"). Whole data points are kept or dropped; ranks are computed in exact
  decimal arithmetic, so ``p7`` of 100 values is the 7th, never the 8th.
* Absolute bounds ``(a:b)`` keep values with ``a < v <= b`` (the page's note: the lower bound
  is exclusive, the upper inclusive).
* WM replaces the points below the kept range by its lowest value and those above it by its
  highest ("considered to be equal to the value at the edge of the appropriate boundary");
  with absolute bounds the edge is the bound itself.
* PR is a percentage (0–100) of the period's data points.

Extended statistics need raw values (the page's "Requirements to use percentiles…"): a period
holding any StatisticSet that is not a repeated single value makes them unavailable, and so
does any negative value. They then come back as null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ..errors import AWSError

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

_NUMBER = r"(?:\d+(?:\.\d{1,10})?|\.\d{1,10})"
_SHORT = re.compile(rf"^(p|tm|wm|tc|ts)({_NUMBER})$")
_RANGE = re.compile(rf"^(TM|WM|TC|TS|PR)\(\s*({_NUMBER}%?)?\s*:\s*({_NUMBER}%?)?\s*\)$")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ExtendedStatistic:
    """A parsed extended statistic.

    ``kind`` is ``p``, ``TM``, ``WM``, ``TC``, ``TS`` or ``PR``. With ``percent`` the bounds are
    exact fractions of the sample (0–1); otherwise they are values of the metric.
    """

    text: str
    kind: str
    lower: Decimal | None = None
    upper: Decimal | None = None
    percent: bool = True


def invalid_statistic(text: str, parameter: str = "ExtendedStatistics") -> AWSError:
    return AWSError("InvalidParameterValue", f"The value {text} for parameter {parameter} is not supported.")


def parse_extended_statistic(text: object, parameter: str = "ExtendedStatistics") -> ExtendedStatistic:
    """Parse ``p99``, ``p99.9``, ``tm90``, ``TM(10%:90%)``, ``TM(150:1000)``, ``IQM``, ``PR(:300)``, …

    The single-number form is lowercase and gives the upper percentage (``tm90`` = ``TM(:90%)``);
    ranges are uppercase (UG:Statistics-definitions, "Syntax"). Percentages lie between 0 and
    100 with up to 10 decimal places; PR takes values, not percentages. Anything else gets
    AWS's InvalidParameterValue.
    """
    if not isinstance(text, str):
        raise invalid_statistic(str(text), parameter)
    if text == "IQM":
        return ExtendedStatistic(text, "TM", Decimal("0.25"), Decimal("0.75"), True)
    short = _SHORT.match(text)
    if short:
        kind, number = short.groups()
        value = Decimal(number)
        if value > _HUNDRED or (kind != "p" and value == 0):
            raise invalid_statistic(text, parameter)
        return ExtendedStatistic(text, "p" if kind == "p" else kind.upper(), None, value / _HUNDRED, True)
    ranged = _RANGE.match(text)
    if not ranged:
        raise invalid_statistic(text, parameter)
    kind, low, high = ranged.groups()
    if low is None and high is None:
        raise invalid_statistic(text, parameter)
    bounds = [b for b in (low, high) if b is not None]
    percent = bounds[0].endswith("%")
    if any(b.endswith("%") != percent for b in bounds) or (kind == "PR" and percent):
        raise invalid_statistic(text, parameter)
    lower = None if low is None else Decimal(low.rstrip("%"))
    upper = None if high is None else Decimal(high.rstrip("%"))
    if percent:
        if any(b is not None and b > _HUNDRED for b in (lower, upper)):
            raise invalid_statistic(text, parameter)
        lower = None if lower is None else lower / _HUNDRED
        upper = None if upper is None else upper / _HUNDRED
    if lower is not None and upper is not None and lower >= upper:
        raise invalid_statistic(text, parameter)
    return ExtendedStatistic(text, kind, lower, upper, percent)


def is_statistic(text: object) -> bool:
    """Whether ``text`` names a basic or an extended statistic."""
    if text in BASIC:
        return True
    try:
        parse_extended_statistic(text)
    except AWSError:
        return False
    return True


# --------------------------------------------------------------------------- SQL

def _fraction(value: Decimal) -> str:
    """An exact SQL decimal for a fraction of the sample."""
    return f"CAST('{value}' AS DECIMAL(38,14))"


def _rank(fraction: Decimal | None, default: str) -> str:
    """The rank ``⌈fraction·N⌉`` in exact decimal arithmetic (``default`` when unbounded)."""
    if fraction is None:
        return default
    return f"CAST(ceil({_fraction(fraction)} * CAST(n AS DECIMAL(38,6))) AS DOUBLE)"


def _value(value: Decimal | None, default: str) -> str:
    return default if value is None else repr(float(value))


def rank_columns(extended: list[ExtendedStatistic]) -> str:
    """Per-period rank bounds ``lo{i}``/``hi{i}`` for each percentage-bounded statistic."""
    columns = []
    for i, stat in enumerate(extended):
        if stat.kind == "p":
            columns.append(f"greatest({_rank(stat.upper, 'n')}, 1) AS hi{i}")
        elif stat.percent:
            columns.append(f"{_rank(stat.lower, '0')} AS lo{i}, {_rank(stat.upper, 'n')} AS hi{i}")
    return "".join(f", {column}" for column in columns)


def _ranked(stat: ExtendedStatistic) -> bool:
    """Whether the statistic needs ranks (percentiles and percentage bounds) rather than values."""
    return stat.kind == "p" or stat.percent


def weighted_sql(stat: ExtendedStatistic, i: int) -> str:
    """An aggregate over ``ranked`` rows (v, c, hi, n, lo{i}, hi{i}) of one period: any counts."""
    if stat.kind == "p":
        return f"min(v) FILTER (WHERE hi >= hi{i})"
    kept = f"greatest(0, least(hi, hi{i}) - greatest(hi - c, lo{i}))"
    if stat.kind == "WM":
        low_edge = f"min(v) FILTER (WHERE hi > lo{i})"
        high_edge = f"min(v) FILTER (WHERE hi >= hi{i})"
        return (f"CASE WHEN sum({kept}) > 0 THEN (sum(v * {kept}) + {low_edge} * any_value(lo{i}) "
                f"+ {high_edge} * (any_value(n) - any_value(hi{i}))) / any_value(n) END")
    return _trimmed(stat.kind, kept)


def _trimmed(kind: str, kept: str) -> str:
    if kind == "TM":
        return f"sum(v * {kept}) / nullif(sum({kept}), 0)"
    if kind == "TC":
        return f"sum({kept})"
    return f"sum(v * {kept})"  # TS


def value_sql(stat: ExtendedStatistic, i: int) -> str:
    """An aggregate over a period's (v, c) rows for a statistic with value bounds: no ranks."""
    low = _value(stat.lower, "-'infinity'::DOUBLE")
    high = _value(stat.upper, "'infinity'::DOUBLE")
    kept = f"CASE WHEN v > {low} AND v <= {high} THEN c ELSE 0 END"
    if stat.kind == "WM":
        return f"sum(least(greatest(v, {low}), {high}) * c) / sum(c)"
    if stat.kind == "PR":
        return f"100.0 * sum({kept}) / sum(c)"
    return _trimmed(stat.kind, kept)


def unit_sql(stat: ExtendedStatistic, i: int) -> str:
    """For a period whose every value has count 1, a percentage-bounded statistic from its values
    sorted once (``sorted``): a slice, ranks ``lo{i}+1 … hi{i}``. (Percentiles come from DuckDB's
    ``quantile_disc``, which is nearest rank.) Much faster than a running count over every row."""
    lo, hi = f"CAST(lo{i} AS BIGINT)", f"CAST(hi{i} AS BIGINT)"
    kept = f"list_slice(sorted, {lo} + 1, {hi})"
    if stat.kind == "TM":
        return f"list_avg({kept})"
    if stat.kind == "TC":
        return f"CAST(len({kept}) AS DOUBLE)"
    if stat.kind == "TS":
        return f"coalesce(list_sum({kept}), 0)"
    return (f"CASE WHEN len({kept}) > 0 THEN (list_sum({kept}) + sorted[{lo} + 1] * lo{i} "
            f"+ sorted[{hi}] * (n - hi{i})) / n END")  # WM


def statistics_sql(source: str, extended: list[ExtendedStatistic], keys: tuple[str, ...] = ("bucket", "unit")) -> str:
    """SQL computing, per ``keys`` group of ``source``, the basic statistics and ``extended``.

    ``source`` yields the ``keys`` columns and ``value, count, sample_count, sum, minimum,
    maximum, histogram`` (a rolled-up period's raw values, see retention.py). The result has
    the ``keys`` columns, then ``sample_count, sum, average, minimum, maximum`` and ``x0…``,
    one per extended statistic, null where it is unavailable (no raw values, negatives).

    Statistics with value bounds are plain aggregates. Percentiles and percentage bounds need
    ranks: periods whose values all have count 1 (the common case) use ``quantile_disc`` and
    sorted lists; others (``Counts``, rolled-up histograms) a running count by window function.
    The big CTEs are ``NOT MATERIALIZED`` on purpose: DuckDB then streams the table into the
    aggregates in timestamp order, several times faster than from a materialized copy.
    """
    group = ", ".join(keys)
    if not extended:
        return f"""
WITH period_values AS (SELECT * FROM {source})
SELECT {group}, sum(sample_count) AS sample_count, sum(sum) AS sum, sum(sum) / sum(sample_count) AS average,
       min(minimum) AS minimum, max(maximum) AS maximum
FROM period_values GROUP BY {group}
ORDER BY {group}"""
    qualified = ", ".join(f"b.{k}" for k in keys)
    ranked = [i for i, stat in enumerate(extended) if _ranked(stat)]
    percentiles = [i for i in ranked if extended[i].kind == "p"]
    sliced = [i for i in ranked if extended[i].kind != "p"]
    plain = [f"{value_sql(stat, i)} AS x{i}" if not _ranked(stat) else f"NULL AS x{i}"  # ranked: filled in `plain`
             for i, stat in enumerate(extended)]
    if percentiles:
        fractions = ", ".join(_value(extended[i].upper, "1.0") for i in percentiles)
        plain.append(f"quantile_disc(v, [{fractions}]) AS quantiles")
    if sliced:
        plain.append("list(v ORDER BY v) AS sorted")
    replaced = ", ".join([f"quantiles[{k + 1}] AS x{i}" for k, i in enumerate(percentiles)]
                         + [f"{unit_sql(extended[i], i)} AS x{i}" for i in sliced])
    weighted = "".join(f",\n           {weighted_sql(extended[i], i)} AS x{i}" for i in ranked)
    columns = []
    for i, stat in enumerate(extended):
        picked = f"CASE WHEN b.unit_counts THEN p.x{i} ELSE w.x{i} END" if _ranked(stat) else f"p.x{i}"
        columns.append(f"CASE WHEN b.raw_ok THEN {picked} END AS x{i}")
    plain_sql = ",\n           ".join(plain)
    columns_sql = "".join(f",\n       {column}" for column in columns)
    replace_sql = f" REPLACE ({replaced})" if replaced else ""
    return f"""
WITH period_values AS NOT MATERIALIZED (SELECT * FROM {source}),
basic AS MATERIALIZED (
    SELECT {group}, sum(sample_count) AS n, sum(sum) AS total, min(minimum) AS low, max(maximum) AS high,
           bool_and(value IS NOT NULL OR histogram IS NOT NULL) AND min(minimum) >= 0 AS raw_ok,
           bool_and(histogram IS NULL AND count = 1) AS unit_counts
    FROM period_values GROUP BY {group}
),
raw_values AS NOT MATERIALIZED (
    SELECT {group}, value AS v, count AS c FROM period_values WHERE value IS NOT NULL
    UNION ALL
    SELECT {group}, entry.value AS v, entry.count AS c
    FROM (SELECT {group}, unnest(histogram) AS entry FROM period_values WHERE histogram IS NOT NULL)
),
bounds AS NOT MATERIALIZED (
    SELECT {group}, n, unit_counts{rank_columns(extended)} FROM basic WHERE raw_ok
),
plain_lists AS (
    SELECT {group},
           {plain_sql}
    FROM raw_values GROUP BY {group}
),
plain AS (
    SELECT *{replace_sql} FROM plain_lists JOIN bounds USING ({group})
),
ranked AS (
    SELECT m.*, sum(c) OVER (PARTITION BY {", ".join(f"m.{k}" for k in keys)} ORDER BY v
                             ROWS UNBOUNDED PRECEDING) AS hi, r.* EXCLUDE ({group})
    FROM raw_values m JOIN bounds r USING ({group}) WHERE NOT r.unit_counts
),
weighted AS (
    SELECT {group}{weighted}
    FROM ranked GROUP BY {group}
)
SELECT {qualified}, b.n AS sample_count, b.total AS sum, b.total / b.n AS average,
       b.low AS minimum, b.high AS maximum{columns_sql}
FROM basic b LEFT JOIN plain p USING ({group}) LEFT JOIN weighted w USING ({group})
ORDER BY {qualified}"""
