"""The lab's anomaly-detection model (docs/anomaly-model.md) against what AWS documents.

Pages: "Using CloudWatch anomaly detection" (UG CloudWatch_Anomaly_Detection.html), "Using math
expressions with CloudWatch metrics" (ANOMALY_DETECTION_BAND), PutAnomalyDetector.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from awslab.cloudwatch.alarm_evaluation import ALARM, OK, AlarmConfig, Datapoint, evaluate_alarm
from awslab.cloudwatch.anomaly import (
    PENDING_TRAINING, TRAINED, TRAINED_INSUFFICIENT_DATA, ExcludedTimeRange, anomaly_detection_band, train,
)

UTC = timezone.utc
START = pd.Timestamp("2026-01-05", tz="UTC")  # a Monday


def truth(index: pd.DatetimeIndex) -> np.ndarray:
    """A daily cycle (peak 12:00), quieter weekends, a slow upward trend."""
    hours = index.hour + index.minute / 60
    days = (index - START) / pd.Timedelta(days=1)
    return np.asarray(100 + 30 * np.sin(2 * np.pi * (hours - 6) / 24) - 40 * (index.day_of_week >= 5)
                      + 0.5 * np.asarray(days), dtype=float)


def history(days: float = 14, noise: float = 3.0, seed: int = 7, period: str = "5min") -> pd.Series:
    index = pd.date_range(START, START + pd.Timedelta(days=days), freq=period, inclusive="left")
    rng = np.random.default_rng(seed)
    return pd.Series(truth(index) + rng.normal(0, noise, len(index)), index=index)


@pytest.fixture(scope="module")
def model():
    return train(history(), 300)


@pytest.fixture(scope="module")
def next_day():
    return pd.date_range(START + pd.Timedelta(days=14), periods=24 * 12, freq="5min")


def test_band_widens_with_the_stddev_argument(model, next_day):
    """ANOMALY_DETECTION_BAND(m, k): "A higher value for the anomaly detection threshold produces a
    thicker band"; default k is 2."""
    widths = []
    for k in (0.5, 1, 2, 3, 5):
        lower, upper = model.band(next_day, k)
        assert (lower <= upper).all()
        widths.append((upper - lower).to_numpy())
    for narrower, wider in zip(widths, widths[1:]):
        assert (wider > narrower).all()
    default = anomaly_detection_band(model, next_day)
    assert np.allclose(default[1] - default[0], widths[2])
    lower, upper = model.band(next_day, 0)
    assert np.allclose(lower, upper)


def test_injected_anomalies_leave_the_band_and_normal_data_stays_in(model, next_day):
    """The band follows the metric's normal behaviour; spikes and dips fall outside it."""
    rng = np.random.default_rng(99)
    observed = truth(next_day) + rng.normal(0, 3.0, len(next_day))
    lower, upper = model.band(next_day, 2)
    inside = (observed >= lower.to_numpy()) & (observed <= upper.to_numpy())
    assert inside.mean() > 0.9
    spikes = [20, 100, 180, 250]
    anomalous = observed.copy()
    anomalous[spikes[:2]] += 60
    anomalous[spikes[2:]] -= 60
    outside = (anomalous < lower.to_numpy()) | (anomalous > upper.to_numpy())
    assert outside[spikes].all()


def test_daily_and_weekly_seasonality_and_trend(model):
    """The model "assesses both trends and hourly, daily, and weekly patterns"."""
    monday = pd.Timestamp("2026-01-19", tz="UTC")
    times = pd.DatetimeIndex([monday + pd.Timedelta(hours=h) for h in (0, 6, 12, 18)] +
                             [monday - pd.Timedelta(days=1) + pd.Timedelta(hours=12)])   # Sunday noon
    expected = model.expected(times).to_numpy()
    assert np.abs(expected - truth(times)).max() < 6
    assert expected[2] - expected[0] > 20              # noon above midnight
    assert expected[2] - expected[4] > 25              # weekday noon above Sunday noon
    assert model.slope_per_day == pytest.approx(0.5, abs=0.3)
    assert model.state == TRAINED


def test_short_history_falls_back(next_day):
    """"You can enable anomaly detection on a metric even if the metric does not have a full two
    weeks of data": with hours of data the band is a flat level, with days an hourly shape."""
    hours = train(history(days=0.25), 300)
    assert hours.state == TRAINED_INSUFFICIENT_DATA
    lower, upper = hours.band(next_day)
    assert np.isfinite(lower).all() and np.ptp(upper - lower) < 1e-9 and np.ptp(hours.expected(next_day)) < 1e-9
    days = train(history(days=3), 300)
    assert days.state == TRAINED
    assert np.isnan(days.weekly).all() and not np.isnan(days.daily).any()
    assert np.ptp(days.expected(next_day)) > 30


def test_no_data_is_pending_training(next_day):
    """DescribeAnomalyDetectors StateValue PENDING_TRAINING until there is data."""
    empty = train(pd.Series([], dtype=float, index=pd.DatetimeIndex([], tz="UTC")), 300)
    assert empty.state == PENDING_TRAINING
    lower, upper = empty.band(next_day)
    assert lower.isna().all() and upper.isna().all()


def test_excluded_time_ranges_are_not_learned():
    """"you can choose to exclude specified time periods of the metric from being used to train the
    model ... deployments or other unusual events"."""
    original = history()
    incident = (original.index >= START + pd.Timedelta(days=13, hours=9)) & \
               (original.index < START + pd.Timedelta(days=13, hours=11))
    data = original.copy()
    data[incident] += 300
    excluded = [ExcludedTimeRange(datetime(2026, 1, 18, 9, tzinfo=UTC), datetime(2026, 1, 18, 11, tzinfo=UTC))]
    sunday_morning = pd.date_range("2026-01-25 09:00", periods=24, freq="5min", tz="UTC")
    clean = train(data, 300, excluded_time_ranges=excluded)
    assert clean.points == len(data) - incident.sum()
    assert np.allclose(clean.expected(sunday_morning), train(original, 300, excluded_time_ranges=excluded)
                       .expected(sunday_morning))
    dirty, baseline = train(data, 300), train(original, 300)
    assert (dirty.expected(sunday_morning) - baseline.expected(sunday_morning) > 50).all()


def test_trains_on_the_last_two_weeks_only():
    """"The algorithm trains on up to two weeks of metric data"."""
    data = history(days=21)
    data[data.index < START + pd.Timedelta(days=7)] += 1000
    recent = train(data, 300)
    assert recent.points == 14 * 24 * 12
    assert recent.intercept < 500


def test_band_stays_in_logical_range():
    """"a band for a statistic that can't be negative will never extend below zero, and a band for
    a percentage metric will stay between 0 and 100"."""
    index = pd.date_range(START, periods=3 * 24 * 12, freq="5min")
    rng = np.random.default_rng(3)
    counts = pd.Series(rng.poisson(1.0, len(index)).astype(float), index=index)
    lower, _ = train(counts, 300).band(index[:50], 5)
    assert (lower >= 0).all()
    cpu = pd.Series(np.clip(95 + rng.normal(0, 4, len(index)), 0, 100), index=index)
    lower, upper = train(cpu, 300, unit="Percent").band(index[:50], 5)
    assert (upper <= 100).all() and (lower >= 0).all()


def test_metric_timezone_moves_the_daily_pattern():
    """PutAnomalyDetector MetricTimezone: seasonality follows local time."""
    index = pd.date_range(START, periods=7 * 24, freq="h")
    local_hour = index.tz_convert("America/New_York").hour
    busy = pd.Series(np.where((local_hour >= 9) & (local_hour < 17), 100.0, 10.0), index=index)
    model = train(busy, 3600, metric_timezone="America/New_York")
    ten_local = pd.DatetimeIndex([pd.Timestamp("2026-01-13 15:00", tz="UTC")])   # 10:00 in New York
    three_local = pd.DatetimeIndex([pd.Timestamp("2026-01-13 08:00", tz="UTC")])  # 03:00 in New York
    assert model.expected(ten_local).iloc[0] == pytest.approx(100, abs=1)
    assert model.expected(three_local).iloc[0] == pytest.approx(10, abs=1)


def test_flat_metric_still_has_a_band():
    flat = pd.Series(42.0, index=pd.date_range(START, periods=2000, freq="5min"))
    lower, upper = train(flat, 300).band(flat.index[:5], 2)
    assert ((upper - lower) > 0).all() and (lower < 42).all() and (upper > 42).all()


def test_stddevs_must_be_a_non_negative_number(model, next_day):
    for bad in (-1, float("nan"), "2"):
        with pytest.raises(ValueError):
            model.band(next_day, bad)


def test_alarm_on_the_band(model, next_day):
    """An alarm with ThresholdMetricId on ANOMALY_DETECTION_BAND and LessThanLowerOrGreaterThanUpperThreshold
    goes to ALARM when the metric leaves the band and back to OK when it returns."""
    lower, upper = model.band(next_day[:5], 2)
    normal = truth(next_day[:5])
    cfg = AlarmConfig("LessThanLowerOrGreaterThanUpperThreshold", 2, 300, datapoints_to_alarm=2)

    def points(values):
        return [Datapoint(t.to_pydatetime(), float(v), None, float(lo), float(up))
                for t, v, lo, up in zip(next_day[:5], values, lower, upper)]

    spiked = normal.copy()
    spiked[3:] += 80
    when = next_day[5].to_pydatetime()
    result = evaluate_alarm(cfg, points(spiked), current_state=OK, evaluation_time=when)
    assert result.state == ALARM and result.reason.startswith("Thresholds Crossed: 2 out of the last 2 datapoints")
    assert evaluate_alarm(cfg, points(normal), current_state=ALARM, evaluation_time=when).state == OK
