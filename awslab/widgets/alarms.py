"""Widgets for the CloudWatch alarm notebooks (20–21).

Each factory returns ``(widget, model)``; tests drive them by setting ``.value`` on the controls
the widget exposes as attributes.

* :func:`alarm_playground` — draw datapoints (with gaps), set Period, EvaluationPeriods,
  DatapointsToAlarm, the threshold and TreatMissingData, and watch the alarm minute by minute:
  its state, each StateReason and the actions it would take.
* :func:`band_explorer` — a metric and its ANOMALY_DETECTION_BAND for a chosen number of
  standard deviations, with the datapoints that leave the band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..cloudwatch.alarm_evaluation import (INITIAL_REASON, INITIAL_STATE, THRESHOLD_OPERATORS, TREAT_MISSING_DATA,
                                           AlarmConfig, Datapoint, evaluate_alarm, evaluation_windows)

PLAYGROUND_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOPIC = "arn:aws:sns:us-east-1:123456789012:alarm-playground"
STATE_COLOURS = {"OK": "#2e7d32", "ALARM": "#c62828", "INSUFFICIENT_DATA": "#9e9e9e"}
MAX_POINTS = 24


def parse_points(text: str) -> list[float | None]:
    """Datapoints as the user guide writes them, oldest first: numbers, ``-`` for a missing one.

    >>> parse_points("10 - 50 50")
    [10.0, None, 50.0, 50.0]
    """
    points: list[float | None] = []
    for word in text.replace(",", " ").split():
        points.append(None if word in ("-", "_", ".") else float(word))
    if len(points) > MAX_POINTS:
        raise ValueError(f"at most {MAX_POINTS} datapoints")
    return points


@dataclass
class PlaygroundModel:
    """One alarm evaluated minute by minute over drawn datapoints, by the engine the lab's alarm
    job runs (``evaluate_alarm`` on each minute's sliding evaluation range): ``minutes`` holds its
    state at every evaluation, ``changes`` each transition with the StateReason AWS would write
    and the actions that would run. (tests/widgets checks it against a real lab.)"""

    points: list[float | None]
    period: int = 60
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 3
    threshold: float = 40.0
    comparison: str = "GreaterThanThreshold"
    treat: str = "missing"
    minutes: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def run(self) -> list[dict[str, Any]]:
        self.error = None
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            self.error = "DatapointsToAlarm must be less than or equal to EvaluationPeriods"
            self.minutes, self.changes = [], []
            return self.minutes
        config = AlarmConfig(self.comparison, self.evaluation_periods, self.period, threshold=self.threshold,
                             datapoints_to_alarm=self.datapoints_to_alarm, treat_missing_data=self.treat,
                             statistic="Average")
        stamps = [(self.start + timedelta(seconds=self.period * i), v) for i, v in enumerate(self.points)]
        state, reason = INITIAL_STATE, INITIAL_REASON
        self.minutes, self.changes = [], []
        for minute in range(1, (len(self.points) + 2) * self.period // 60 + 1):
            now = self.start + timedelta(minutes=minute)
            windows = evaluation_windows(now, self.period, self.evaluation_periods)
            step = timedelta(seconds=self.period)
            datapoints = []
            for start in windows:
                inside = [v for t, v in stamps if v is not None and start <= t < start + step]
                datapoints.append(Datapoint(start, sum(inside) / len(inside) if inside else None,
                                            float(len(inside)) if inside else None))
            result = evaluate_alarm(config, datapoints, current_state=state, evaluation_time=now)
            if result.changed:
                self.changes.append({"time": now.strftime("%H:%M"), "change": f"from {state} to {result.state}",
                                     "reason": result.reason,
                                     "actions": f"notify {TOPIC.split(':')[-1]} ({result.state})"})
                state, reason = result.state, result.reason
            self.minutes.append({"time": now, "state": state, "changed": result.changed, "reason": reason})
        return self.minutes

    @property
    def start(self) -> datetime:
        """When the first datapoint's period starts: the lab's start time."""
        return PLAYGROUND_START

    def states(self) -> list[str]:
        return [m["state"] for m in self.minutes]

    def table(self) -> pd.DataFrame:
        """The transitions: when, from what to what, the StateReason AWS would write, the actions."""
        return pd.DataFrame(self.changes, columns=["time", "change", "reason", "actions"])

    def draw(self, ax: Any) -> None:
        times = [self.start + timedelta(seconds=self.period * i) for i in range(len(self.points))]
        present = [(t, v) for t, v in zip(times, self.points) if v is not None]
        width = timedelta(seconds=self.period * 0.8)
        if present:
            ax.bar([t for t, _ in present], [v for _, v in present], width=width, align="edge", color="#1565c0",
                   label="datapoints")
        for t, v in zip(times, self.points):
            if v is None:
                ax.annotate("–", (t + width / 2, 0), ha="center", color="#757575")
        ax.axhline(self.threshold, color="#c62828", linestyle="--", label=f"threshold {self.threshold:g}")
        top = max([v for v in self.points if v is not None] + [self.threshold]) * 1.15 or 1
        for minute in self.minutes:
            ax.axvspan(minute["time"] - timedelta(minutes=1), minute["time"], ymin=0.93, ymax=1.0,
                       color=STATE_COLOURS[minute["state"]], linewidth=0)
        ax.set_ylim(0, top)
        ax.set_title("datapoints (bars), threshold (dashed) and the alarm state each minute (top strip)",
                     fontsize=9)
        ax.legend(loc="upper left", fontsize=8)


def alarm_playground(points: str = "10 20 - 50 50 - 50 - - 10", **settings: Any) -> tuple[widgets.Widget, PlaygroundModel]:
    """The missing-data playground of notebook 20 (see the module docstring)."""
    model = PlaygroundModel(parse_points(points), **settings)
    text = widgets.Text(value=points, description="Datapoints:", layout=widgets.Layout(width="60%"),
                        placeholder="numbers, - for a missing one")
    period = widgets.Dropdown(options=[("1 minute", 60), ("5 minutes", 300)], value=model.period, description="Period:")
    n = widgets.IntSlider(value=model.evaluation_periods, min=1, max=6, description="Evaluation periods:",
                          style={"description_width": "initial"})
    m = widgets.IntSlider(value=model.datapoints_to_alarm, min=1, max=6, description="Datapoints to alarm:",
                          style={"description_width": "initial"})
    threshold = widgets.FloatText(value=model.threshold, description="Threshold:")
    comparison = widgets.Dropdown(options=list(THRESHOLD_OPERATORS), value=model.comparison, description="Operator:")
    treat = widgets.Dropdown(options=list(TREAT_MISSING_DATA), value=model.treat, description="Missing data:",
                             style={"description_width": "initial"})
    graph, table, message = widgets.Output(), widgets.Output(), widgets.HTML()

    def update(_: Any = None) -> None:
        try:
            model.points = parse_points(text.value)
        except ValueError as error:
            message.value = f"<b>{error}</b>"
            return
        model.period, model.evaluation_periods = period.value, n.value
        model.datapoints_to_alarm, model.threshold = min(m.value, n.value), threshold.value
        model.comparison, model.treat = comparison.value, treat.value
        model.run()
        message.value = f"<b>{model.error}</b>" if model.error else \
            f"final state: <b style='color:{STATE_COLOURS[model.states()[-1]]}'>{model.states()[-1]}</b>"
        graph.clear_output(wait=True)
        with graph:
            figure, ax = plt.subplots(figsize=(9, 3))
            model.draw(ax)
            plt.show()
            plt.close(figure)
        table.clear_output(wait=True)
        with table:
            with pd.option_context("display.max_colwidth", None):
                print(model.table().to_string(index=False))

    for control in (text, period, n, m, threshold, comparison, treat):
        control.observe(update, names="value")
    update()
    box = widgets.VBox([text, widgets.HBox([period, n, m]), widgets.HBox([threshold, comparison, treat]), message,
                        graph, table])
    box.points, box.period, box.evaluation_periods, box.datapoints_to_alarm = text, period, n, m
    box.threshold, box.comparison, box.treat = threshold, comparison, treat
    return box, model


# ---------------------------------------------------------------------------- notebook 21

@dataclass
class BandModel:
    """A metric and its anomaly band over a window, from GetMetricData."""

    cw: Any
    metric: Mapping[str, Any]
    start: datetime
    end: datetime
    stat: str = "Average"
    period: int = 300
    stddevs: float = 2.0
    timestamps: list[datetime] = field(default_factory=list)
    values: np.ndarray = field(default_factory=lambda: np.empty(0))
    lower: np.ndarray = field(default_factory=lambda: np.empty(0))
    upper: np.ndarray = field(default_factory=lambda: np.empty(0))

    def refresh(self) -> None:
        answer = self.cw.get_metric_data(
            StartTime=self.start, EndTime=self.end, ScanBy="TimestampAscending", MetricDataQueries=[
                {"Id": "m1", "MetricStat": {"Metric": dict(self.metric), "Period": self.period, "Stat": self.stat}},
                {"Id": "ad1", "Expression": f"ANOMALY_DETECTION_BAND(m1, {self.stddevs:g})"}])
        results = answer["MetricDataResults"]
        metric = next(r for r in results if r["Id"] == "m1")
        bounds = [r for r in results if r["Id"] == "ad1"]
        found = [dict(zip(b["Timestamps"], b["Values"])) for b in bounds]
        self.timestamps = list(metric["Timestamps"])
        self.values = np.array(metric["Values"], dtype=float)
        a = np.array([found[0].get(t, np.nan) for t in self.timestamps]) if found else np.full(len(self.values), np.nan)
        b = np.array([found[1].get(t, np.nan) for t in self.timestamps]) if len(found) > 1 else a
        self.lower, self.upper = np.fmin(a, b), np.fmax(a, b)

    def outside(self) -> list[datetime]:
        """Timestamps whose value leaves the band."""
        return [t for t, v, lo, hi in zip(self.timestamps, self.values, self.lower, self.upper) if v < lo or v > hi]

    def draw(self, ax: Any) -> None:
        ax.fill_between(self.timestamps, self.lower, self.upper, color="#90a4ae", alpha=0.4,
                        label=f"ANOMALY_DETECTION_BAND(m1, {self.stddevs:g})")
        ax.plot(self.timestamps, self.values, color="#1565c0", linewidth=1, label=self.metric["MetricName"])
        out = set(self.outside())
        ax.scatter([t for t in self.timestamps if t in out], [v for t, v in zip(self.timestamps, self.values) if t in out],
                   color="#c62828", zorder=3, label="outside the band")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_xlabel("time (UTC)")


def band_explorer(cw: Any, metric: Mapping[str, Any], *, start: datetime, end: datetime, stat: str = "Average",
                  period: int = 300) -> tuple[widgets.Widget, BandModel]:
    """A slider for ANOMALY_DETECTION_BAND's standard deviations over a metric's graph."""
    model = BandModel(cw, metric, start, end, stat, period)
    stddevs = widgets.FloatSlider(value=2.0, min=0.5, max=6.0, step=0.5, description="Std devs:")
    graph, message = widgets.Output(), widgets.HTML()

    def update(_: Any = None) -> None:
        model.stddevs = stddevs.value
        model.refresh()
        message.value = f"{len(model.outside())} datapoint(s) outside the band"
        graph.clear_output(wait=True)
        with graph:
            figure, ax = plt.subplots(figsize=(9, 3))
            model.draw(ax)
            plt.show()
            plt.close(figure)

    stddevs.observe(update, names="value")
    update()
    box = widgets.VBox([stddevs, message, graph])
    box.stddevs = stddevs
    return box, model

