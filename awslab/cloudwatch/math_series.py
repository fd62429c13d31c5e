"""The values metric math works on: time series, and the scope an expression sees.

A time series (``TS`` in UG:using-metric-math) is a label plus ascending, unique UTC
timestamps and their values; a missing value is an absent timestamp. Scalars (``S``) are
plain floats and arrays of time series (``TS[]``) plain lists of :class:`Series`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from awslab.errors import AWSError
from awslab.cloudwatch.math_search import SearchQuery

NS_PER_SECOND = 1_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: The most data points GetMetricData returns (API:GetMetricData); a non-sparse series
#: (TIME_SERIES, FILL, MINUTE...) longer than this is refused rather than built.
MAX_GRID_POINTS = 100_800


class MathError(AWSError):
    """An expression that parses but cannot be evaluated (wrong types, unknown Id...)."""

    def __init__(self, detail: str):
        super().__init__("ValidationError", detail)
        self.detail = detail


def _to_ns(timestamps: Any) -> np.ndarray:
    """Any timestamps (datetimes, strings, datetime64) as int64 nanoseconds since the epoch, UTC."""
    if isinstance(timestamps, np.ndarray) and timestamps.dtype == np.dtype("datetime64[ns]"):
        return timestamps.view("int64")
    if isinstance(timestamps, np.ndarray) and timestamps.dtype == np.int64:
        return timestamps
    if len(timestamps) == 0:
        return np.empty(0, dtype=np.int64)
    index = pd.to_datetime(pd.Index(list(timestamps)), utc=True).as_unit("ns")
    return index.asi8.astype(np.int64)


def to_ns(moment: Any) -> int:
    """One moment (datetime, ISO string, datetime64) as nanoseconds since the epoch, UTC."""
    return int(_to_ns([moment])[0])


@dataclass(eq=False)
class Series:
    """One time series: a label, ascending unique timestamps (UTC) and their values.

    ``period`` is the series' period in seconds when known (metric data, and series derived
    from it); ``properties`` carries what dynamic labels may show (MetricName, Namespace,
    Stat, Dim.<name>...). Missing data is simply an absent timestamp.

    >>> Series("m", ["2026-01-01T00:00Z", "2026-01-01T00:01Z"], [1, 2], period=60).values
    array([1., 2.])
    """

    label: str
    timestamps: Any
    values: Any
    period: int | None = None
    properties: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        stamps = _to_ns(self.timestamps)
        values = np.asarray(self.values, dtype=np.float64).reshape(-1)
        if len(stamps) != len(values):
            raise ValueError("a Series needs as many values as timestamps")
        if len(stamps) > 1 and not np.all(np.diff(stamps) > 0):
            order = np.argsort(stamps, kind="stable")
            stamps, values = stamps[order], values[order]
            keep = np.concatenate(([True], np.diff(stamps) > 0))
            stamps, values = stamps[keep], values[keep]
        self.timestamps = stamps.view("datetime64[ns]")
        self.values = values

    @property
    def ns(self) -> np.ndarray:
        """The timestamps as int64 nanoseconds since the epoch."""
        return self.timestamps.view("int64")

    def __len__(self) -> int:
        return len(self.values)

    def derive(self, ns: np.ndarray, values: np.ndarray, label: str | None = None) -> Series:
        """A new series with this one's label, period and properties."""
        return Series(self.label if label is None else label, ns.view("datetime64[ns]"), values,
                      self.period, self.properties)

    def datetimes(self) -> list[datetime]:
        """The timestamps as timezone-aware UTC datetimes, as boto3 returns them."""
        return [_EPOCH + timedelta(microseconds=int(ns) // 1000) for ns in self.ns]

    def __repr__(self) -> str:
        points = ", ".join(f"{str(ts)[:19]}={value:g}" for ts, value in zip(self.timestamps, self.values))
        return f"Series({self.label!r}, [{points}])"


Value = Any  # float | Series | list[Series] | str | Keyword node


@dataclass
class Scope:
    """What an expression can see while it is evaluated (built by ``math.evaluate_queries``)."""

    start_ns: int
    end_ns: int
    period: int
    resolve: Callable[[str], Series | list[Series]]
    metrics: Callable[[str | None], list[Series]]
    metric_period: Callable[[str], int | None]
    search: Callable[[SearchQuery, str, int], list[Series]] | None = None
    anomaly_band: Callable[[Series, float], tuple[Series, Series]] | None = None

    def grid(self, period: int | None) -> np.ndarray:
        """Every period start from StartTime (inclusive) to EndTime (exclusive)."""
        step = (period or self.period) * NS_PER_SECOND
        if step <= 0 or self.end_ns <= self.start_ns:
            return np.empty(0, dtype=np.int64)
        count = -(-(self.end_ns - self.start_ns) // step)
        if count > MAX_GRID_POINTS:
            # the wording of AWS's answer to GetMetricStatistics asking for too many points
            raise MathError(f"You have requested up to {count} datapoints, which exceeds the limit of "
                            f"{MAX_GRID_POINTS}. You may reduce the datapoints requested by increasing "
                            "Period, or decreasing the time range.")
        return np.arange(self.start_ns, self.end_ns, step, dtype=np.int64)


def kind_of(value: Value) -> str:
    if isinstance(value, float):
        return "a scalar"
    if isinstance(value, Series):
        return "a time series"
    if isinstance(value, list):
        return "an array of time series"
    if isinstance(value, str):
        return "a string"
    return f"the keyword {value}"
