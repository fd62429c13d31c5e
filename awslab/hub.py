"""The lab's internal publish/subscribe hub: how services hear about each other's facts.

Services never import each other (DESIGN.md, principle 5). A fact is a topic and a dict.
During an API call, facts are held and delivered only after the call's transaction commits,
so a failed call never leaks a fact; outside a call they are delivered at once.

Topics in use are listed in docs/architecture.md.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

Subscriber = Callable[[dict[str, Any]], None]


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)
        self._held: list[tuple[str, dict[str, Any]]] | None = None

    def subscribe(self, topic: str, subscriber: Subscriber) -> None:
        """Call ``subscriber(fact)`` for every fact published on ``topic``, in subscription order."""
        self._subscribers[topic].append(subscriber)

    def subscribers(self, topic: str) -> list[Subscriber]:
        return list(self._subscribers.get(topic, ()))

    def publish(self, topic: str, fact: dict[str, Any]) -> None:
        if self._held is not None:
            self._held.append((topic, fact))
            return
        for subscriber in self.subscribers(topic):
            subscriber(fact)

    # The gateway brackets each call with hold() and release()/discard().
    def hold(self) -> list[tuple[str, dict[str, Any]]] | None:
        previous, self._held = self._held, []
        return previous

    def take_held(self, previous: list[tuple[str, dict[str, Any]]] | None) -> list[tuple[str, dict[str, Any]]]:
        held, self._held = self._held or [], previous
        return held

    def deliver(self, facts: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, fact in facts:
            self.publish(topic, fact)
