"""CloudWatch statistics, computed by DuckDB over datapoint rows.

Basic statistics (SampleCount, Sum, Average, Minimum, Maximum) and the extended statistics:
percentiles ``pNN.NN``, trimmed mean ``TM``, interquartile mean ``IQM``, winsorized mean ``WM``,
percentile rank ``PR``, trimmed count ``TC`` and trimmed sum ``TS``.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html

Rows are multisets of values: a raw value ``v`` published ``c`` times (``Values``/``Counts``)
occupies sorted positions ``(hi - c, hi]`` where ``hi`` is the running count. Extended
statistics need raw values: rows published as a StatisticSet (``value`` null) make them
unavailable for their period, and so does any negative value (as documented).

Percentiles use the nearest-rank definition the page gives ("p99 … is the maximum value of the
remaining 99%"). Percentage bounds select positions ``(lower·N, upper·N]``; absolute bounds
select values with ``lower < v <= upper`` (lower exclusive, upper inclusive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import AWSError

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")

_NUMBER = r"(?:\d+(?:\.\d{1,10})?|\.\d{1,10})"
_SHORT = re.compile(rf"^(p|tm|wm|tc|ts)({_NUMBER})$")
_RANGE = re.compile(rf"^(TM|WM|TC|TS|PR)\(\s*({_NUMBER}%?)?\s*:\s*({_NUMBER}%?)?\s*\)$")


@dataclass(frozen=True)
class ExtendedStatistic:
    """A parsed extended statistic. ``percent`` bounds are fractions of the sample (0–1)."""

    text: str
    kind: str                 # p, TM, WM, TC, TS, PR
    lower: float | None = None
    upper: float | None = None
    percent: bool = True


def _invalid(text: str) -> AWSError:
    return AWSError("InvalidParameterValue",
                    f"The value {text} for parameter ExtendedStatistics is not supported.")


def parse_extended_statistic(text: str) -> ExtendedStatistic:
    """Parse ``p99``, ``p99.9``, ``tm90``, ``TM(10%:90%)``, ``TM(150:1000)``, ``IQM``, ``PR(:300)``, …

    The single-number form is lowercase and gives the upper percentage (``tm90`` = ``TM(:90%)``);
    ranges are uppercase. Raises AWS's InvalidParameterValue for anything else.
    """
    if not isinstance(text, str):
        raise _invalid(str(text))
    if text == "IQM":
        return ExtendedStatistic(text, "TM", 0.25, 0.75, True)
    short = _SHORT.match(text)
    if short:
        kind, number = short.groups()
        value = float(number)
        if not 0 <= value <= 100 or (kind != "p" and value == 0):
            raise _invalid(text)
        if kind == "p":
            return ExtendedStatistic(text, "p", None, value / 100, True)
        return ExtendedStatistic(text, kind.upper(), None, value / 100, True)
    ranged = _RANGE.match(text)
    if not ranged:
        raise _invalid(text)
    kind, low, high = ranged.groups()
    if low is None and high is None:
        raise _invalid(text)
    bounds = [b for b in (low, high) if b is not None]
    percent = bounds[0].endswith("%")
    if any(b.endswith("%") != percent for b in bounds) or (kind == "PR" and percent):
        raise _invalid(text)
    lower = float(low.rstrip("%")) if low is not None else None
    upper = float(high.rstrip("%")) if high is not None else None
    if percent:
        lower = None if lower is None else lower / 100
        upper = None if upper is None else upper / 100
        if any(b is not None and not 0 <= b <= 1 for b in (lower, upper)):
            raise _invalid(text)
    if lower is not None and upper is not None and lower >= upper:
        raise _invalid(text)
    return ExtendedStatistic(text, kind, lower, upper, percent)


def _sql_number(value: float) -> str:
    return repr(float(value))


def extended_sql(stat: ExtendedStatistic) -> str:
    """An aggregate over ``ranked`` rows (v, c, hi) of one period, with ``n`` the period's count."""
    if stat.kind == "p":
        return f"min(v) FILTER (WHERE hi >= greatest(ceil({_sql_number(stat.upper)} * n), 1))"
    if stat.percent:
        low = "0" if stat.lower is None else f"{_sql_number(stat.lower)} * n"
        high = "n" if stat.upper is None else f"{_sql_number(stat.upper)} * n"
        kept = f"greatest(0, least(hi, {high}) - greatest(hi - c, {low}))"
        if stat.kind == "WM":
            low_value = f"min(v) FILTER (WHERE hi > {low})"
            high_value = f"min(v) FILTER (WHERE hi >= {high})"
            return (f"(sum(v * {kept}) + {low_value} * ({low}) + {high_value} * (n - ({high}))) / n")
    else:
        low = "-'infinity'::DOUBLE" if stat.lower is None else _sql_number(stat.lower)
        high = "'infinity'::DOUBLE" if stat.upper is None else _sql_number(stat.upper)
        kept = f"CASE WHEN v > {low} AND v <= {high} THEN c ELSE 0 END"
        if stat.kind == "WM":
            return f"sum(least(greatest(v, {low}), {high}) * c) / n"
        if stat.kind == "PR":
            return f"100.0 * sum({kept}) / n"
    if stat.kind == "TM":
        return f"sum(v * {kept}) / nullif(sum({kept}), 0)"
    if stat.kind == "TC":
        return f"sum({kept})"
    if stat.kind == "TS":
        return f"sum(v * {kept})"
    raise _invalid(stat.text)  # pragma: no cover - parse_extended_statistic admits nothing else


def statistics_sql(source: str, extended: list[ExtendedStatistic]) -> str:
    """SQL computing, per (bucket, unit) of ``source``, the basic statistics and ``extended``.

    ``source`` yields ``bucket, unit, value, count, sample_count, sum, minimum, maximum``.
    Extended statistics come back null where they are unavailable (no raw values, negatives).
    """
    columns = "".join(f",\n       CASE WHEN b.raw_ok THEN e.x{i} END AS x{i}" for i in range(len(extended)))
    aggregates = "".join(f",\n           {extended_sql(stat)} AS x{i}" for i, stat in enumerate(extended))
    return f"""
WITH points AS (SELECT * FROM {source}),
basic AS (
    SELECT bucket, unit, sum(sample_count) AS n, sum(sum) AS total, min(minimum) AS low, max(maximum) AS high,
           bool_and(value IS NOT NULL) AND min(minimum) >= 0 AS raw_ok
    FROM points GROUP BY bucket, unit
),
merged AS (
    SELECT bucket, unit, value AS v, sum(count) AS c FROM points WHERE value IS NOT NULL GROUP BY ALL
),
ranked AS (
    SELECT m.*, sum(c) OVER (PARTITION BY bucket, unit ORDER BY v ROWS UNBOUNDED PRECEDING) AS hi, b.n
    FROM merged m JOIN basic b USING (bucket, unit)
),
ext AS (
    SELECT bucket, unit{aggregates}
    FROM ranked GROUP BY bucket, unit, n
)
SELECT b.bucket, b.unit, b.n AS sample_count, b.total AS sum, b.total / b.n AS average,
       b.low AS minimum, b.high AS maximum{columns}
FROM basic b LEFT JOIN ext e USING (bucket, unit)
ORDER BY b.bucket, b.unit"""
