"""matplotlib drawings of lab data, labelled the way the CloudWatch console labels its graphs."""

from __future__ import annotations

from typing import Any, Iterable

import matplotlib.pyplot as plt


def plot_metric_data(results: Iterable[dict[str, Any]], *, title: str | None = None,
                     unit: str | None = None, period: int | None = None, ax: Any = None) -> Any:
    """Draw GetMetricData's ``MetricDataResults`` (one line per result, by its Label).

    Returns the matplotlib Axes. ``period`` (seconds) and ``unit`` go into the axis labels as the
    console shows them.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    for result in results:
        points = sorted(zip(result.get("Timestamps", []), result.get("Values", [])))
        if points:
            times, values = zip(*points)
            ax.plot(times, values, marker=".", label=result.get("Label") or result.get("Id"))
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(unit or "value")
    if title or period:
        ax.set_title(" · ".join(filter(None, [title, f"period {period} s" if period else None])))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small")
    ax.figure.autofmt_xdate()
    return ax


def plot_datapoints(datapoints: Iterable[dict[str, Any]], statistic: str, *, unit: str | None = None,
                    period: int | None = None, title: str | None = None, ax: Any = None) -> Any:
    """Draw GetMetricStatistics' ``Datapoints`` for one statistic (e.g. ``Average`` or ``p99``)."""
    points = list(datapoints)
    result = {
        "Label": statistic,
        "Timestamps": [p["Timestamp"] for p in points],
        "Values": [p[statistic] if statistic in p else p.get("ExtendedStatistics", {}).get(statistic) for p in points],
    }
    return plot_metric_data([result], title=title, unit=unit or (points[0].get("Unit") if points else None),
                            period=period, ax=ax)
