"""The relationships between the resources AWS Config records, as a graph to look at.

Every configuration item lists its relationships ("Is attached to Volume", "Is contained in Vpc",
…); Config records them both ways, so the graph is built from the current item of each resource.
When a resource is deleted, or a relationship to it is made or removed, each resource on the
other end of that edge gets a new configuration item of its own: :func:`neighbours` lists them.

https://docs.aws.amazon.com/config/latest/developerguide/config-concepts.html#config-relationships
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import items

Node = tuple[str, str]  # (resource type, resource id)


@dataclass(frozen=True)
class Edge:
    source: Node
    target: Node
    name: str  # the relationship as the source's item names it


@dataclass
class ResourceGraph:
    nodes: dict[Node, str]  # node → a short label
    edges: list[Edge]

    def neighbours(self, node: Node) -> list[tuple[Node, str]]:
        """The resources related to ``node``, with the relationship as ``node``'s item names it."""
        found: dict[Node, str] = {}
        for edge in self.edges:
            if edge.source == node:
                found.setdefault(edge.target, edge.name)
        for edge in self.edges:
            if edge.target == node and edge.source not in found:
                found[edge.source] = f"(named by the other item) {edge.name}"
        return sorted(found.items())


def short_label(resource_type: str, resource_id: str, name: str | None = None) -> str:
    """"Volume vol-0d17…" style: the type's last word and the start of the id (or the name)."""
    kind = resource_type.rsplit("::", 1)[-1]
    shown = name or resource_id
    return f"{kind}\n{shown[:12]}…" if len(shown) > 13 else f"{kind}\n{shown}"


def resource_graph(lab: Any, at: datetime | None = None, region: str | None = None) -> ResourceGraph:
    """The recorded resources of a region and their relationships, as of ``at`` (now by default)."""
    found = items.current(lab.db, lab.account_id, region or lab.region, at)
    nodes = {(r["resource_type"], r["resource_id"]): short_label(
        r["resource_type"], r["resource_id"], r["resource_name"] if r["resource_type"] == "AWS::S3::Bucket" else None)
        for r in found}
    edges: list[Edge] = []
    for r in found:
        for relation in json.loads(r["relationships"] or "[]"):
            target = (relation["resourceType"], relation.get("resourceId") or relation.get("resourceName"))
            if target in nodes:
                edges.append(Edge((r["resource_type"], r["resource_id"]), target, relation["relationshipName"]))
    return ResourceGraph(nodes, edges)


def neighbours(lab: Any, resource_type: str, resource_id: str) -> list[dict[str, str]]:
    """The resources that would get a new item if this one were deleted or its relationships changed."""
    graph = resource_graph(lab)
    return [{"resourceType": t, "resourceId": i, "relationship": name}
            for (t, i), name in graph.neighbours((resource_type, resource_id))]
