"""Anomaly detection: a model of a metric's expected values, and ANOMALY_DETECTION_BAND.

AWS documents what its model does but not how ("Using CloudWatch anomaly detection",
UG:CloudWatch_Anomaly_Detection): it is specific to a metric and a statistic, trains on up to two
weeks of the metric's history (fewer is allowed), models trend and hourly, daily and weekly
patterns, lets you exclude time ranges from training, takes a metric time zone for daylight
saving (PutAnomalyDetector ``MetricTimezone``), keeps the band of a non-negative statistic above
zero and of a percentage between 0 and 100, and draws ``ANOMALY_DETECTION_BAND(m, k)`` wider for a
larger k (default 2).

The lab's model is an open, robust seasonal baseline (explained at length in
docs/anomaly-model.md):

1. **Training data**: the datapoints of the last 14 days before ``trained_until``, minus every
   period that overlaps an excluded time range.
2. **Trend**: a Theil-Sen line through the daily medians (the median of the slopes between every
   pair of days), when at least three days have data; otherwise a flat level (the median).
3. **Seasonality**, on what the trend leaves: the median per hour-of-week (day of week x hour of
   day, in the metric time zone) where that hour has been seen on at least two different days;
   else the median per hour of day where that hour has been seen on two days; else nothing.
4. **Spread**: the robust standard deviation (1.4826 x median absolute deviation) of what trend
   and seasonality leave, per hour of day where that hour has at least 10 residuals from at least
   two days, else over all residuals; never below a floor of 1% of the metric's typical
   magnitude (so a flat metric still has a band).
5. **Band** at time t: expected(t) +/- k x spread(t), clipped at 0 below when every training
   value was non-negative, and to [0, 100] for unit ``Percent``.

``state`` follows DescribeAnomalyDetectors' StateValue: PENDING_TRAINING with no usable data,
TRAINED_INSUFFICIENT_DATA while no hour of the day has been seen twice (only a flat baseline is
possible), TRAINED otherwise (lab choice of thresholds).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

TRAINING_WINDOW = timedelta(days=14)
DEFAULT_STDDEVS = 2.0
MAD_TO_SIGMA = 1.4826
MIN_SEASONAL_DAYS = 2
MIN_SPREAD_POINTS = 10
SPREAD_FLOOR = 0.01

PENDING_TRAINING = "PENDING_TRAINING"
TRAINED_INSUFFICIENT_DATA = "TRAINED_INSUFFICIENT_DATA"
TRAINED = "TRAINED"


@dataclass(frozen=True)
class ExcludedTimeRange:
    """A time range left out of training (PutAnomalyDetector ``Configuration.ExcludedTimeRanges``)."""

    start_time: datetime
    end_time: datetime


@dataclass(frozen=True, eq=False)
class AnomalyModel:
    """A trained model: expected value and spread for any timestamp. Build it with :func:`train`.

    ``weekly`` is a 7 x 24 array of seasonal offsets by (day of week, hour) in the metric time
    zone, ``daily`` a 24-array by hour, ``spread_by_hour`` a 24-array of standard deviations; NaN
    marks a bucket without enough history (the next level down is used).
    """

    period: int
    state: str
    metric_timezone: str = "UTC"
    trained_until: pd.Timestamp | None = None
    origin: pd.Timestamp | None = None
    intercept: float = math.nan
    slope_per_day: float = 0.0
    weekly: np.ndarray = field(default_factory=lambda: np.full((7, 24), np.nan))
    daily: np.ndarray = field(default_factory=lambda: np.full(24, np.nan))
    spread_by_hour: np.ndarray = field(default_factory=lambda: np.full(24, np.nan))
    spread: float = math.nan
    floor: float = 0.0
    lower_limit: float | None = None
    upper_limit: float | None = None
    points: int = 0

    def expected(self, timestamps: Iterable[datetime] | pd.DatetimeIndex) -> pd.Series:
        """The model's expected value at each timestamp (trend + seasonal offset)."""
        index = _utc_index(timestamps)
        if self.state == PENDING_TRAINING:
            return pd.Series(np.nan, index=index, dtype=float)
        dow, hour = _calendar(index, self.metric_timezone)
        seasonal = _seasonal_offset(self.weekly, self.daily, dow, hour)
        return pd.Series(self.intercept + self.slope_per_day * _days(index, self.origin) + seasonal,
                         index=index)

    def spread_at(self, timestamps: Iterable[datetime] | pd.DatetimeIndex) -> pd.Series:
        """The standard deviation the band uses at each timestamp."""
        index = _utc_index(timestamps)
        _, hour = _calendar(index, self.metric_timezone)
        sigma = self.spread_by_hour[hour]
        sigma = np.where(np.isnan(sigma), self.spread, sigma)
        return pd.Series(np.maximum(sigma, self.floor), index=index)

    def band(self, timestamps: Iterable[datetime] | pd.DatetimeIndex,
             stddevs: float = DEFAULT_STDDEVS) -> tuple[pd.Series, pd.Series]:
        """ANOMALY_DETECTION_BAND at the timestamps: (lower, upper), k = ``stddevs``."""
        if isinstance(stddevs, bool) or not isinstance(stddevs, (int, float)) \
                or not math.isfinite(stddevs) or stddevs < 0:
            raise ValueError(f"the number of standard deviations must be a non-negative number, got {stddevs!r}")
        centre = self.expected(timestamps)
        width = stddevs * self.spread_at(centre.index)
        lower, upper = centre - width, centre + width
        if self.lower_limit is not None:
            lower, upper = lower.clip(lower=self.lower_limit), upper.clip(lower=self.lower_limit)
        if self.upper_limit is not None:
            lower, upper = lower.clip(upper=self.upper_limit), upper.clip(upper=self.upper_limit)
        return lower.rename("lower"), upper.rename("upper")


def train(history: pd.Series, period: int, *, excluded_time_ranges: Sequence[ExcludedTimeRange] = (),
          metric_timezone: str = "UTC", unit: str | None = None, trained_until: datetime | None = None,
          training_window: timedelta = TRAINING_WINDOW) -> AnomalyModel:
    """Train a model on a metric's history: one value per period (the statistic's datapoints),
    indexed by period start. Missing periods are simply absent (or NaN)."""
    series = pd.Series(history, dtype=float).dropna()
    series.index = _utc_index(series.index)
    series = series.sort_index()
    step = pd.Timedelta(seconds=period)
    if trained_until is not None:
        end = _utc(trained_until)
    elif len(series):
        end = series.index.max() + step
    else:
        return AnomalyModel(period, PENDING_TRAINING, metric_timezone)
    keep = (series.index >= end - pd.Timedelta(training_window)) & (series.index < end)
    for excluded in excluded_time_ranges:
        start, stop = _utc(excluded.start_time), _utc(excluded.end_time)
        keep &= ~((series.index < stop) & (series.index + step > start))
    series = series[keep]
    if series.empty:
        return AnomalyModel(period, PENDING_TRAINING, metric_timezone, trained_until=end)

    index = series.index
    values = series.to_numpy()
    origin = index.min()
    days = _days(index, origin)
    dow, hour = _calendar(index, metric_timezone)
    date = index.tz_convert(metric_timezone).normalize()

    slope, intercept = _trend(values, days, date)
    residual = values - (intercept + slope * days)
    frame = pd.DataFrame({"r": residual, "dow": dow, "hour": hour, "date": date})
    weekly = np.full((7, 24), np.nan)
    table = _seasonal(frame, ["dow", "hour"])
    weekly[table.index.get_level_values(0), table.index.get_level_values(1)] = table.to_numpy()
    daily = np.full(24, np.nan)
    table = _seasonal(frame, ["hour"])
    daily[table.index.to_numpy()] = table.to_numpy()
    frame["r2"] = residual - _seasonal_offset(weekly, daily, dow, hour)
    by_hour = frame.groupby("hour")
    enough = (by_hour.size() >= MIN_SPREAD_POINTS) & (by_hour["date"].nunique() >= MIN_SEASONAL_DAYS)
    sigmas = by_hour["r2"].agg(_robust_sigma)[enough]
    spread_by_hour = np.full(24, np.nan)
    spread_by_hour[sigmas.index.to_numpy()] = sigmas.to_numpy()
    floor = SPREAD_FLOOR * max(float(np.median(np.abs(values))), 1.0)

    lower_limit = 0.0 if (values.min() >= 0 or unit == "Percent") else None
    upper_limit = 100.0 if unit == "Percent" else None
    state = TRAINED if not np.isnan(daily).all() else TRAINED_INSUFFICIENT_DATA
    return AnomalyModel(period, state, metric_timezone, end, origin, float(intercept), float(slope),
                        weekly, daily, spread_by_hour, _robust_sigma(frame["r2"].to_numpy()), floor,
                        lower_limit, upper_limit, len(series))


def anomaly_detection_band(model: AnomalyModel, timestamps: Iterable[datetime] | pd.DatetimeIndex,
                           stddevs: float = DEFAULT_STDDEVS) -> tuple[pd.Series, pd.Series]:
    """The metric-math function ANOMALY_DETECTION_BAND(m, stddevs) as (lower, upper)."""
    return model.band(timestamps, stddevs)


# --- pieces -----------------------------------------------------------------------------------------

def _utc(ts: datetime | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _utc_index(timestamps: Iterable[datetime] | pd.DatetimeIndex) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(timestamps)
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _days(index: pd.DatetimeIndex, origin: pd.Timestamp | None) -> np.ndarray:
    if origin is None:
        return np.zeros(len(index))
    return ((index - origin) / pd.Timedelta(days=1)).to_numpy(dtype=float)


def _calendar(index: pd.DatetimeIndex, tz: str) -> tuple[np.ndarray, np.ndarray]:
    local = index.tz_convert(tz)
    return local.day_of_week.to_numpy(), local.hour.to_numpy()


def _seasonal_offset(weekly: np.ndarray, daily: np.ndarray, dow: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """Hour-of-week offset where known, else hour-of-day, else 0."""
    offset = weekly[dow, hour]
    offset = np.where(np.isnan(offset), daily[hour], offset)
    return np.where(np.isnan(offset), 0.0, offset)


def _robust_sigma(values: pd.Series | np.ndarray) -> float:
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return math.nan
    mad = float(np.median(np.abs(data - np.median(data))))
    if mad > 0:
        return MAD_TO_SIGMA * mad
    # Over half the residuals are identical (counts, step metrics): use the trimmed spread.
    low, high = np.quantile(data, [0.05, 0.95])
    trimmed = data[(data >= low) & (data <= high)]
    return float(trimmed.std()) if trimmed.size > 1 else 0.0


def _trend(values: np.ndarray, days: np.ndarray, date: pd.DatetimeIndex) -> tuple[float, float]:
    per_day = pd.DataFrame({"v": values, "t": days, "date": date}).groupby("date").median()
    slope = 0.0
    if len(per_day) >= 3:
        t, v = per_day["t"].to_numpy(), per_day["v"].to_numpy()
        i, j = np.triu_indices(len(t), k=1)
        dt = t[j] - t[i]
        usable = dt > 0
        if usable.any():
            slope = float(np.median((v[j] - v[i])[usable] / dt[usable]))
    return slope, float(np.median(values - slope * days))


def _seasonal(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    grouped = frame.groupby(keys)
    return grouped["r"].median()[grouped["date"].nunique() >= MIN_SEASONAL_DAYS].astype(float)
