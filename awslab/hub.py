"""The lab's internal publish/subscribe hub: how services hear about each other's facts.

Services never import each other (DESIGN.md, principle 5). A fact is a topic and a dict.
During an API call, facts are held and delivered only after the call's transaction commits,
so a failed call never leaks a fact; outside a call they are delivered at once.

A subscriber may take facts in batches (``batch=True``): it is called with a list, once for each
run of consecutive facts on its topic that the hub delivers together (all the facts one call
caused), so it can do its table work set-wise. Outside a call, or for a single fact, the list
holds one fact. Use :meth:`Hub.held` to deliver a stretch of facts published outside a call as
one batch.

Topics in use are listed in docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from typing import Any, Callable, Iterator

Subscriber = Callable[[dict[str, Any]], None]
BatchSubscriber = Callable[[list[dict[str, Any]]], None]


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[tuple[Any, bool]]] = defaultdict(list)
        self._held: list[tuple[str, dict[str, Any]]] | None = None

    def subscribe(self, topic: str, subscriber: Subscriber | BatchSubscriber, *, batch: bool = False) -> None:
        """Call ``subscriber(fact)`` for every fact published on ``topic``, in subscription order;
        with ``batch``, ``subscriber(facts)`` once per run of facts delivered together."""
        self._subscribers[topic].append((subscriber, batch))

    def subscribers(self, topic: str) -> list[Subscriber]:
        """Each subscriber of ``topic`` as a one-fact callable (batch subscribers get a list of one)."""
        return [(lambda fact, s=subscriber: s([fact])) if batch else subscriber
                for subscriber, batch in self._subscribers.get(topic, ())]

    def publish(self, topic: str, fact: dict[str, Any]) -> None:
        if self._held is not None:
            self._held.append((topic, fact))
            return
        self._deliver_run(topic, [fact])

    def _deliver_run(self, topic: str, facts: list[dict[str, Any]]) -> None:
        for subscriber, batch in list(self._subscribers.get(topic, ())):
            if batch:
                subscriber(facts)
            else:
                for fact in facts:
                    subscriber(fact)

    # The gateway brackets each call with hold() and release()/discard().
    def hold(self) -> list[tuple[str, dict[str, Any]]] | None:
        previous, self._held = self._held, []
        return previous

    def take_held(self, previous: list[tuple[str, dict[str, Any]]] | None) -> list[tuple[str, dict[str, Any]]]:
        held, self._held = self._held or [], previous
        return held

    def deliver(self, facts: list[tuple[str, dict[str, Any]]]) -> None:
        """Deliver held facts in order, consecutive facts on one topic as one run."""
        if self._held is not None:  # inside an outer call: its commit delivers them
            self._held.extend(facts)
            return
        for topic, run in itertools.groupby(facts, key=lambda held: held[0]):
            self._deliver_run(topic, [fact for _, fact in run])

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the facts published inside the block and deliver them, batched, when it ends."""
        previous = self.hold()
        try:
            yield
        finally:
            held = self.take_held(previous)
        self.deliver(held)
