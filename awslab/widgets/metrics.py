"""Widgets for the CloudWatch metrics notebooks (10–13).

Each factory returns ``(widget, model)``: the model does the work through the lab's boto3
client (or its tables) and keeps what the widget shows, so tests drive it by setting ``.value``
on the controls the widget exposes as attributes.

* :func:`monitoring_explorer` — an instance's AWS/EC2 CPUUtilization at a chosen period and
  statistic (basic vs detailed monitoring, Xen vs Nitro).
* :func:`expiration_explorer` — a clock slider over fifteen months: which resolutions remain for
  a metric, what GetMetricStatistics returns at each period, the table's rows.
* :func:`statistics_explorer` — a metric drawn with a chosen statistic, period and percentile.
* :func:`math_playground` — a metric math expression box with its live graph and parse tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
from botocore.exceptions import ClientError

from ..cloudwatch.math_parser import MathSyntaxError, parse_expression
from ..plots import period_text, plot_metric_data


def _dimensions(dimensions: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]


def _draw(output: widgets.Output, draw) -> None:
    output.clear_output(wait=True)
    with output:
        figure, ax = plt.subplots(figsize=(8, 3))
        draw(ax)
        plt.show()
        plt.close(figure)


def as_table(results: Sequence[Mapping[str, Any]], timestamps: Sequence[datetime] | None = None) -> pd.DataFrame:
    """GetMetricData results as the User Guide prints its tables: one column per timestamp, one
    row per result, ``-`` where a result has no value."""
    stamps = sorted(set(timestamps or [t for r in results for t in r["Timestamps"]]))
    rows = {}
    for result in results:
        found = dict(zip(result["Timestamps"], result["Values"]))
        rows[result.get("Label") or result["Id"]] = [_short(found[t]) if t in found else "-" for t in stamps]
    return pd.DataFrame.from_dict(rows, orient="index", columns=[t.strftime("%H:%M") for t in stamps])


def _short(value: float) -> str:
    return format(round(float(value), 3), "g")


# ---------------------------------------------------------------------------- notebook 10

@dataclass
class MonitoringModel:
    """One instance's CPUUtilization at a period and statistic, with the SampleCount behind each point."""

    cw: Any
    instances: Mapping[str, str]
    start: datetime
    end: datetime
    instance: str = ""
    period: int = 300
    stat: str = "Average"
    points: list[dict[str, Any]] = field(default_factory=list)

    def refresh(self) -> list[dict[str, Any]]:
        answer = self.cw.get_metric_statistics(
            Namespace="AWS/EC2", MetricName="CPUUtilization", StartTime=self.start, EndTime=self.end,
            Period=self.period, Statistics=sorted({self.stat, "SampleCount"}),
            Dimensions=[{"Name": "InstanceId", "Value": self.instances[self.instance]}])
        self.points = sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])
        return self.points

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"Timestamp": p["Timestamp"].strftime("%H:%M"), self.stat: round(p[self.stat], 2),
                              "SampleCount": p["SampleCount"]} for p in self.points])


def monitoring_explorer(cw: Any, instances: Mapping[str, str], *, start: datetime,
                        end: datetime) -> tuple[widgets.Widget, MonitoringModel]:
    """Pick an instance (``{"name": "i-…"}``), a period and a statistic; see the graph and the
    SampleCount of every datapoint."""
    model = MonitoringModel(cw, instances, start, end, instance=next(iter(instances)))
    instance = widgets.Dropdown(options=list(instances), value=model.instance, description="Instance:")
    period = widgets.Dropdown(options=[("1 minute", 60), ("5 minutes", 300)], value=300, description="Period:")
    stat = widgets.Dropdown(options=["Average", "Maximum", "SampleCount"], value="Average", description="Statistic:")
    graph, table = widgets.Output(), widgets.Output()

    def update(_: Any = None) -> None:
        model.instance, model.period, model.stat = instance.value, period.value, stat.value
        model.refresh()
        _draw(graph, lambda ax: plot_metric_data(
            [{"Label": model.instance, "Timestamps": [p["Timestamp"] for p in model.points],
              "Values": [p[model.stat] for p in model.points]}],
            title="CPUUtilization (AWS/EC2)", stat=model.stat, period=model.period, unit="Percent", ax=ax))
        table.clear_output(wait=True)
        with table:
            print(model.table().to_string(index=False))

    for control in (instance, period, stat):
        control.observe(update, names="value")
    update()
    box = widgets.VBox([widgets.HBox([instance, period, stat]), widgets.HBox([graph, table])])
    box.instance, box.period, box.stat = instance, period, stat
    return box, model


# ---------------------------------------------------------------------------- notebook 11

EXPIRATION_STOPS: tuple[tuple[str, timedelta], ...] = (
    ("now", timedelta(hours=2, minutes=30)), ("3 hours", timedelta(hours=3, minutes=5)),
    ("1 day", timedelta(days=1)), ("14 days", timedelta(days=14)), ("15 days", timedelta(days=15, hours=1)),
    ("30 days", timedelta(days=30)), ("62 days", timedelta(days=62)), ("63 days", timedelta(days=63, hours=2)),
    ("6 months", timedelta(days=182)), ("1 year", timedelta(days=365)), ("454 days", timedelta(days=454)),
    ("455 days", timedelta(days=455, hours=2)),
)
"""Ages of the data (from its first timestamp) the expiration slider stops at."""
EXPIRATION_PERIODS = (1, 60, 300, 3600)


@dataclass
class Snapshot:
    """The metric as it stands at one age: its rows per period, per requested period the number
    of datapoints and the total SampleCount GetMetricStatistics returns, and the p99 of its first
    hour (None once CloudWatch no longer has it)."""

    age: str
    now: datetime
    rows: dict[int, int]
    answers: dict[int, tuple[int, float]]
    p99: float | None = None

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"period asked": period_text(p), "datapoints": self.answers[p][0],
                              "SampleCount": int(self.answers[p][1])} for p in EXPIRATION_PERIODS])


@dataclass
class ExpirationModel:
    """Snapshots of one metric taken while the lab clock was advanced through ``EXPIRATION_STOPS``."""

    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    first: datetime
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    current: str = "now"

    @property
    def snapshot(self) -> Snapshot:
        return self.snapshots[self.current]

    def rows(self) -> pd.DataFrame:
        """Rows per period (columns) at every age (index): the table shrinking."""
        frame = pd.DataFrame({age: {period_text(p): n for p, n in snap.rows.items()}
                              for age, snap in self.snapshots.items()}).T
        return frame.reindex(columns=[period_text(p) for p in EXPIRATION_PERIODS]).fillna(0).astype(int)

    def readable(self) -> pd.DataFrame:
        """Datapoints GetMetricStatistics returns per asked period (columns) at every age (index)."""
        return pd.DataFrame({age: {period_text(p): snap.answers[p][0] for p in EXPIRATION_PERIODS}
                             for age, snap in self.snapshots.items()}).T


def take_snapshot(lab: Any, model: ExpirationModel, age: str, span: timedelta) -> Snapshot:
    """Ask GetMetricStatistics for the metric's first ``span`` at every period (the 1-second
    period over its first 20 minutes, to stay under 1,440 datapoints) and count its rows."""
    cw = lab.client("cloudwatch")
    answers = {}
    for period in EXPIRATION_PERIODS:
        window = min(span, timedelta(seconds=1440 * period))
        points = cw.get_metric_statistics(Namespace=model.namespace, MetricName=model.metric_name,
                                          Dimensions=_dimensions(model.dimensions), StartTime=model.first,
                                          EndTime=model.first + window, Period=period,
                                          Statistics=["SampleCount"])["Datapoints"]
        answers[period] = (len(points), sum(p["SampleCount"] for p in points))
    rows = dict(lab.sql("SELECT period, count(*) FROM cloudwatch_datapoints WHERE namespace = ? AND metric_name = ? "
                        "GROUP BY ALL ORDER BY 1", params=[model.namespace, model.metric_name]).fetchall())
    hour = cw.get_metric_statistics(Namespace=model.namespace, MetricName=model.metric_name,
                                    Dimensions=_dimensions(model.dimensions), StartTime=model.first,
                                    EndTime=model.first + timedelta(hours=1), Period=3600,
                                    ExtendedStatistics=["p99"])["Datapoints"]
    p99 = hour[0]["ExtendedStatistics"].get("p99") if hour else None
    return Snapshot(age, lab.now, rows, answers, p99)


def expiration_explorer(lab: Any, namespace: str, metric_name: str, *, first: datetime, span: timedelta,
                        dimensions: Mapping[str, str] | None = None,
                        stops: Sequence[tuple[str, timedelta]] = EXPIRATION_STOPS) -> tuple[widgets.Widget, ExpirationModel]:
    """A slider over the data's age. Building it **advances the lab clock** through every stop
    (the clock only moves forward), keeping a snapshot at each; the slider then shows them."""
    model = ExpirationModel(namespace, metric_name, dict(dimensions or {}), first)
    for age, delta in stops:
        if first + delta > lab.now:
            lab.run_until(first + delta)
        model.snapshots[age] = take_snapshot(lab, model, age, span)
    model.current = stops[0][0]
    slider = widgets.SelectionSlider(options=[age for age, _ in stops], value=model.current,
                                     description="Data age:", continuous_update=False,
                                     layout={"width": "640px"})
    view = widgets.Output()

    def update(_: Any = None) -> None:
        model.current = slider.value
        snap = model.snapshot
        view.clear_output(wait=True)
        with view:
            print(f"lab clock {snap.now:%Y-%m-%d %H:%M} — rows in cloudwatch_datapoints by period: "
                  + (", ".join(f"{period_text(p)}: {n}" for p, n in snap.rows.items()) or "none (expired)"))
            print(snap.table().to_string(index=False))
            print(f"p99 of the first hour at a 1-hour period: {snap.p99 if snap.p99 is not None else 'no data'}")

    slider.observe(update, names="value")
    update()
    box = widgets.VBox([slider, view])
    box.slider = slider
    return box, model


# ---------------------------------------------------------------------------- notebook 12

STATISTIC_CHOICES = ("SampleCount", "Sum", "Average", "Minimum", "Maximum", "percentile", "trimmed mean",
                     "winsorized mean", "IQM")


@dataclass
class StatisticsModel:
    """A metric read with GetMetricData at the chosen statistic and period."""

    cw: Any
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    start: datetime
    end: datetime
    choice: str = "Average"
    percentile: float = 99.0
    period: int = 300
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def stat(self) -> str:
        """The CloudWatch statistic for the choice: ``p99``, ``tm90``, ``wm99.5``, ``IQM``, ``Average`` …"""
        number = f"{self.percentile:g}"
        return {"percentile": f"p{number}", "trimmed mean": f"tm{number}", "winsorized mean": f"wm{number}"}.get(
            self.choice, self.choice)

    def refresh(self) -> dict[str, Any]:
        query = {"Id": "m1", "MetricStat": {"Metric": {"Namespace": self.namespace, "MetricName": self.metric_name,
                                                       "Dimensions": _dimensions(self.dimensions)},
                                            "Period": self.period, "Stat": self.stat}, "Label": self.stat}
        self.result = self.cw.get_metric_data(MetricDataQueries=[query], StartTime=self.start, EndTime=self.end,
                                              ScanBy="TimestampAscending")["MetricDataResults"][0]
        return self.result


def statistics_explorer(cw: Any, namespace: str, metric_name: str, *, start: datetime, end: datetime,
                        dimensions: Mapping[str, str] | None = None,
                        unit: str | None = None) -> tuple[widgets.Widget, StatisticsModel]:
    """Choose a statistic, a percentile (for p, tm, wm) and a period; the graph follows."""
    model = StatisticsModel(cw, namespace, metric_name, dict(dimensions or {}), start, end)
    choice = widgets.Dropdown(options=STATISTIC_CHOICES, value=model.choice, description="Statistic:")
    percentile = widgets.FloatSlider(value=model.percentile, min=50, max=99.9, step=0.1, description="Percent:",
                                     continuous_update=False)
    period = widgets.Dropdown(options=[(period_text(p), p) for p in (60, 300, 900, 3600)], value=model.period,
                              description="Period:")
    graph = widgets.Output()

    def update(_: Any = None) -> None:
        model.choice, model.percentile, model.period = choice.value, percentile.value, period.value
        percentile.disabled = model.choice not in ("percentile", "trimmed mean", "winsorized mean")
        model.refresh()
        _draw(graph, lambda ax: plot_metric_data([model.result], title=f"{metric_name} ({namespace})",
                                                 stat=model.stat, period=model.period, unit=unit, ax=ax))

    for control in (choice, percentile, period):
        control.observe(update, names="value")
    update()
    box = widgets.VBox([widgets.HBox([choice, percentile, period]), graph])
    box.choice, box.percentile, box.period = choice, percentile, period
    return box, model


# ---------------------------------------------------------------------------- notebook 13

@dataclass
class MathModel:
    """The playground's state: the expression, GetMetricData's results for it, its tree, or the error."""

    cw: Any
    metric_queries: list[dict[str, Any]]
    start: datetime
    end: datetime
    expression: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    tree: str = ""
    error: str = ""

    def evaluate(self, expression: str) -> list[dict[str, Any]]:
        """Run ``expression`` (Id ``e1``) beside the metric queries (ReturnData false)."""
        self.expression, self.results, self.tree, self.error = expression, [], "", ""
        try:
            self.tree = parse_expression(expression).pretty()
        except MathSyntaxError as failure:
            self.error = f"ValidationError: {failure.detail}"
            return self.results
        queries = [dict(q, ReturnData=False) for q in self.metric_queries]
        queries.append({"Id": "e1", "Expression": expression})
        try:
            self.results = self.cw.get_metric_data(MetricDataQueries=queries, StartTime=self.start, EndTime=self.end,
                                                   ScanBy="TimestampAscending")["MetricDataResults"]
        except ClientError as failure:
            self.error = f"{failure.response['Error']['Code']}: {failure.response['Error']['Message']}"
        return self.results


def math_playground(cw: Any, metric_queries: list[dict[str, Any]], *, start: datetime, end: datetime,
                    examples: Mapping[str, str] | None = None) -> tuple[widgets.Widget, MathModel]:
    """An expression box (and a menu of examples) over the given metric queries; shows the
    graph, the values as the guide's tables print them, and the parse tree or the error."""
    model = MathModel(cw, list(metric_queries), start, end)
    examples = dict(examples or {})
    first = next(iter(examples.values()), "m1 * 2")
    menu = widgets.Dropdown(options=[("(examples)", "")] + list(examples.items()), value="", description="Example:")
    box_text = widgets.Text(value=first, description="Expression:", continuous_update=False,
                            layout={"width": "640px"})
    graph, details = widgets.Output(), widgets.Output()

    def update(_: Any = None) -> None:
        model.evaluate(box_text.value)
        details.clear_output(wait=True)
        with details:
            if model.error:
                print(model.error)
            else:
                print(as_table(model.results).to_string())
                print()
                print(model.tree)
        _draw(graph, lambda ax: plot_metric_data(model.results, title=model.expression, ax=ax))

    def pick(_: Any) -> None:
        if menu.value:
            box_text.value = menu.value

    menu.observe(pick, names="value")
    box_text.observe(update, names="value")
    update()
    box = widgets.VBox([menu, box_text, widgets.HBox([graph, details])])
    box.menu, box.expression = menu, box_text
    return box, model
