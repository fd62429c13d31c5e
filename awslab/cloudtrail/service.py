"""The CloudTrail service: records every call the lab answers (more arrives with the CloudTrail issue)."""

from __future__ import annotations

from typing import Any

from ..service import Service
from . import events
from .events import PENDING_TABLE


class CloudTrailService(Service):
    answers = ("cloudtrail",)

    def setup(self) -> None:
        events.create_tables(self.lab.db)
        self.lab.hub.subscribe("api_call", self._on_api_call)
        self.lab.hub.subscribe("cloudtrail_event", self._on_event)
        self.lab.add_flusher(lambda: events.flush(self.lab.db))

    def tables(self) -> dict[str, str]:
        return {"cloudtrail_events": "one row per CloudTrail record: every call the lab answered, "
                                     "sign-ins and service events (or records loaded from real logs)",
                PENDING_TABLE: "CloudTrail records staged by the last calls, normalised into "
                               "cloudtrail_events in one batch before any read (see lab.flush)"}

    def _on_api_call(self, fact: dict[str, Any]) -> None:
        events.record_event(self.lab.db, fact["record"])

    def _on_event(self, fact: dict[str, Any]) -> None:
        """A record not caused by an API call (ConsoleLogin, AwsServiceEvent) published by a service."""
        events.record_event(self.lab.db, fact["record"])
