"""matplotlib drawings of lab data, labelled the way the CloudWatch console labels its graphs.

The console graphs a metric as a time series with its label in the legend, the statistic and
period above the graph ("Average · 5 minutes"), the unit on the y axis and UTC times on the x
axis. These functions do the same for GetMetricData and GetMetricStatistics answers:

    >>> import boto3                                                   # doctest: +SKIP
    >>> ax = plot_metric(cw, "AWS/EC2", "CPUUtilization", dimensions={"InstanceId": iid},
    ...                  stat="Average", period=300, start=start, end=end)  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def period_text(period: int) -> str:
    """A period as the console writes it: ``1 minute``, ``5 minutes``, ``1 hour``, ``10 seconds``.

    >>> [period_text(p) for p in (1, 10, 60, 300, 3600, 86400, 90 * 60)]
    ['1 second', '10 seconds', '1 minute', '5 minutes', '1 hour', '1 day', '90 minutes']
    """
    for seconds, name in _UNITS:
        if period % seconds == 0:
            count = period // seconds
            return f"{count} {name}{'s' if count != 1 else ''}"
    return f"{period} seconds"  # pragma: no cover - every integer is a whole number of seconds


def _subtitle(stat: str | None, period: int | None) -> str | None:
    parts = [part for part in (stat, period_text(period) if period else None) if part]
    return " · ".join(parts) or None


def _axes(ax: Any) -> Any:
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    return ax


def _finish(ax: Any, *, title: str | None, subtitle: str | None, unit: str | None) -> Any:
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(unit if unit and unit != "None" else "value")
    heading = "\n".join(part for part in (title, subtitle) if part)
    if heading:
        ax.set_title(heading, fontsize="medium")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M"))
    ax.grid(True, alpha=0.3)
    ax.figure.autofmt_xdate()
    return ax


def plot_metric_data(results: Iterable[Mapping[str, Any]] | Mapping[str, Any], *, title: str | None = None,
                     unit: str | None = None, period: int | None = None, stat: str | None = None,
                     ax: Any = None) -> Any:
    """Draw GetMetricData's answer (the whole response or its ``MetricDataResults``), one line
    per result, by its Label, oldest point first whatever the ScanBy. Returns the Axes."""
    if isinstance(results, Mapping):
        results = results["MetricDataResults"]
    ax = _axes(ax)
    for result in results:
        points = sorted(zip(result.get("Timestamps", []), result.get("Values", [])))
        label = result.get("Label") or result.get("Id")
        if points:
            times, values = zip(*points)
            ax.plot(times, values, marker="." if len(points) < 200 else None, label=label)
        else:
            ax.plot([], [], label=f"{label} (no data)")
    return _finish(ax, title=title, subtitle=_subtitle(stat, period), unit=unit)


def plot_datapoints(datapoints: Iterable[Mapping[str, Any]], statistic: str, *, unit: str | None = None,
                    period: int | None = None, title: str | None = None, ax: Any = None) -> Any:
    """Draw GetMetricStatistics' ``Datapoints`` for one statistic (``Average``, ``p99`` …); the
    datapoints come unordered, as from AWS."""
    points = list(datapoints)
    values = [p[statistic] if statistic in p else p.get("ExtendedStatistics", {}).get(statistic) for p in points]
    kept = [(p["Timestamp"], v) for p, v in zip(points, values) if v is not None]
    result = {"Label": statistic, "Timestamps": [t for t, _ in kept], "Values": [v for _, v in kept]}
    return plot_metric_data([result], title=title, unit=unit or (points[0].get("Unit") if points else None),
                            period=period, stat=statistic, ax=ax)


def plot_metric(cw: Any, namespace: str, metric_name: str, *, start: datetime, end: datetime,
                dimensions: Mapping[str, str] | None = None, stat: str = "Average", period: int = 300,
                unit: str | None = None, label: str | None = None, ax: Any = None) -> Any:
    """Fetch one metric with GetMetricData through the boto3 client ``cw`` and draw it as the
    console does: title = metric name and namespace, subtitle = statistic and period, y = unit."""
    metric: dict[str, Any] = {"Namespace": namespace, "MetricName": metric_name,
                              "Dimensions": [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]}
    metric_stat: dict[str, Any] = {"Metric": metric, "Period": period, "Stat": stat}
    if unit:
        metric_stat["Unit"] = unit
    query: dict[str, Any] = {"Id": "m1", "MetricStat": metric_stat}
    if label:
        query["Label"] = label
    response = cw.get_metric_data(MetricDataQueries=[query], StartTime=start, EndTime=end,
                                  ScanBy="TimestampAscending")
    where = ", ".join(f"{k}={v}" for k, v in (dimensions or {}).items())
    title = f"{metric_name} ({namespace}{': ' + where if where else ''})"
    return plot_metric_data(response, title=title, unit=unit, period=period, stat=stat, ax=ax)
