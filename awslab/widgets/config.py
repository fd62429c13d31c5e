"""Pictures and widgets for the AWS Config notebooks (40, 41).

* :func:`plot_relationships` — the recorded resources and their relationships, one column per
  type, with a resource and the resources a change to it would touch picked out.
* :func:`point_in_time` — choose a resource and a moment: the configuration item that was current
  then (GetResourceConfigHistory with ``laterTime``, ``limit=1``), as Config answers it.
* :func:`compliance_over_time` — a rule's compliant and non-compliant resources over the lab's time,
  with a slider that shows which resources were which at a chosen moment.

Factories return ``(widget, model)``; tests drive the model (or the widget's controls) directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..config.graph import Node, ResourceGraph, resource_graph
from ..config.lessons import compliance_at, compliance_timeline

TYPE_ORDER = ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::NetworkInterface",
              "AWS::EC2::Instance", "AWS::EC2::Volume", "AWS::EC2::EIP"]


def _layout(graph: ResourceGraph) -> dict[Node, tuple[float, float]]:
    types = sorted({t for t, _ in graph.nodes}, key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER
                                                               else len(TYPE_ORDER), t))
    positions: dict[Node, tuple[float, float]] = {}
    for x, resource_type in enumerate(types):
        column = sorted(n for n in graph.nodes if n[0] == resource_type)
        for y, node in enumerate(column):
            positions[node] = (float(x), (len(column) - 1) / 2 - y)
    return positions


def plot_relationships(lab: Any, focus: Node | None = None, *, types: list[str] | None = None,
                       ax: Any = None) -> Any:
    """Draw the current resources (of ``types``, all by default) and their relationships.

    ``focus`` is drawn red and its neighbours orange: the items a change to its relationships touches.
    """
    graph = resource_graph(lab)
    if types is not None:
        graph = ResourceGraph({n: label for n, label in graph.nodes.items() if n[0] in types},
                              [e for e in graph.edges if e.source[0] in types and e.target[0] in types])
    near = {n for n, _ in graph.neighbours(focus)} if focus else set()
    positions = _layout(graph)
    if ax is None:
        width = 2.2 * (1 + max((p[0] for p in positions.values()), default=0))
        _, ax = plt.subplots(figsize=(max(6.0, width), 4.5))
    drawn: set[frozenset] = set()
    for edge in graph.edges:
        pair = frozenset((edge.source, edge.target))
        if pair in drawn:
            continue  # Config records each relationship from both ends: one line is enough
        drawn.add(pair)
        (x1, y1), (x2, y2) = positions[edge.source], positions[edge.target]
        hot = focus in pair
        ax.plot([x1, x2], [y1, y2], color="tab:red" if hot else "0.75", lw=1.6 if hot else 0.8, zorder=1)
    for node, (x, y) in positions.items():
        colour = "tab:red" if node == focus else "tab:orange" if node in near else "tab:blue"
        ax.scatter([x], [y], s=260, color=colour, zorder=2)
        ax.annotate(graph.nodes[node], (x, y), textcoords="offset points", xytext=(0, -24), ha="center",
                    fontsize=7, zorder=3)
    ax.set_axis_off()
    ax.margins(0.15, 0.25)
    if focus:
        ax.set_title(f"{focus[0]} {focus[1]} (red) and the {len(near)} resources a change to its "
                     "relationships touches (orange)", fontsize=9)
    return ax


@dataclass
class PointInTime:
    """The item current at ``at`` for one resource, asked of Config's API."""

    config: Any
    resources: list[Node]
    at: datetime
    resource: Node | None = None
    item: dict[str, Any] | None = None
    error: str | None = None

    def look(self, resource: Node | None = None, at: datetime | None = None) -> dict[str, Any] | None:
        self.resource, self.at = resource or self.resource or self.resources[0], at or self.at
        self.error = None
        found = self.config.get_resource_config_history(resourceType=self.resource[0], resourceId=self.resource[1],
                                                        laterTime=self.at, limit=1)["configurationItems"]
        self.item = found[0] if found else None
        if self.item is None:
            self.error = f"no configuration item of {self.resource[1]} at or before {self.at:%Y-%m-%d %H:%M}"
        return self.item

    def differences(self) -> dict[str, tuple[Any, Any]]:
        """The configuration keys whose value then differs from the newest item: key → (then, now)."""
        newest = self.config.get_resource_config_history(resourceType=self.resource[0], resourceId=self.resource[1],
                                                         limit=1)["configurationItems"][0]
        then = json.loads(self.item["configuration"]) or {} if self.item else {}
        now = json.loads(newest["configuration"]) or {}
        return {k: (then.get(k), now.get(k)) for k in sorted(set(then) | set(now)) if then.get(k) != now.get(k)}

    def summary(self) -> str:
        if self.item is None:
            return self.error or ""
        item = self.item
        lines = [f"{item['resourceType']} {item['resourceId']} at {self.at:%a %Y-%m-%d %H:%M}: item captured "
                 f"{item['configurationItemCaptureTime']:%a %Y-%m-%d %H:%M} ({item['configurationItemStatus']})"]
        differences = self.differences()
        if not differences:
            lines.append("its configuration then is the same as now")
        for key, (then, now) in differences.items():
            lines.append(f"  {key}: {json.dumps(then, default=str)[:70]}   (now {json.dumps(now, default=str)[:40]})")
        return "\n".join(lines)


def point_in_time(lab: Any, resources: list[Node], start: datetime, end: datetime) -> tuple[Any, PointInTime]:
    """A resource picker and an hour slider from ``start`` to ``end`` (its last position is ``end`` itself)."""
    model = PointInTime(lab.client("config"), resources, end)
    picker = widgets.Dropdown(options=[(f"{t} {i}", (t, i)) for t, i in resources], description="resource")
    hours = int((end - start).total_seconds() // 3600)
    slider = widgets.IntSlider(value=hours, min=0, max=hours, description="hours in",
                               layout=widgets.Layout(width="60%"))
    out = widgets.Output()

    def refresh(_: Any = None) -> None:
        model.look(picker.value, end if slider.value == hours else start + timedelta(hours=slider.value))
        out.clear_output()
        with out:
            print(model.summary())

    picker.observe(refresh, names="value")
    slider.observe(refresh, names="value")
    refresh()
    box = widgets.VBox([picker, slider, out])
    box.picker, box.slider = picker, slider
    return box, model


@dataclass
class ComplianceOverTime:
    """One rule's results over time: counts per evaluation instant, and the resources at a chosen one."""

    lab: Any
    rule: str
    timeline: Any = None
    at: datetime | None = None
    resources: list[tuple[str, str, str]] = field(default_factory=list)

    def show(self, at: datetime) -> list[tuple[str, str, str]]:
        self.at = at
        self.resources = compliance_at(self.lab, self.rule, at)
        return self.resources


def compliance_over_time(lab: Any, rule: str) -> tuple[Any, ComplianceOverTime]:
    """A step chart of a rule's COMPLIANT / NON_COMPLIANT counts and a slider over its evaluations."""
    model = ComplianceOverTime(lab, rule, compliance_timeline(lab, [rule]))
    frame = model.timeline
    moments = list(frame["time"])
    if not moments:
        return widgets.HTML(f"rule {rule} has no results yet: nothing in its scope has been evaluated"), model
    chart = widgets.Output()
    with chart:
        _, ax = plt.subplots(figsize=(8, 2.6))
        for column, colour in (("COMPLIANT", "tab:green"), ("NON_COMPLIANT", "tab:red")):
            ax.step(frame["time"], frame[column], where="post", color=colour, label=column)
        ax.set_ylabel("resources")
        ax.set_title(f"rule {rule}: results over time", fontsize=10)
        ax.legend(loc="upper left", fontsize=8)
        plt.show()
    slider = widgets.SelectionSlider(options=[(f"{m:%a %H:%M}", m) for m in moments], value=moments[-1],
                                     description="at", layout=widgets.Layout(width="70%"))
    out = widgets.Output()

    def refresh(_: Any = None) -> None:
        found = model.show(slider.value)
        out.clear_output()
        with out:
            for resource_type, resource_id, compliance in found:
                print(f"{compliance:15} {resource_type} {resource_id}")

    slider.observe(refresh, names="value")
    refresh()
    box = widgets.VBox([chart, slider, out])
    box.slider = slider
    return box, model
