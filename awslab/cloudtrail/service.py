"""The CloudTrail service: records every call, answers the CloudTrail API, delivers trails."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from ..gateway import Call
from ..service import Service
from . import delivery, events, history, trails
from .events import PENDING_TABLE


class CloudTrailService(Service):
    answers = ("cloudtrail",)

    def setup(self) -> None:
        db = self.lab.db
        events.create_tables(db)
        db.execute(trails.CREATE_TRAILS)
        delivery.create_tables(db)
        self.lab.hub.subscribe("api_call", self._on_api_call)
        self.lab.hub.subscribe("cloudtrail_event", self._on_event)
        self.lab.add_flusher(lambda: events.flush(self.lab.db))
        self.lab.hub.subscribe("cloudtrail_logging_ended", self._on_logging_ended)
        self.lab.scheduler.every("cloudtrail log delivery", delivery.LOG_INTERVAL, self._deliver_logs,
                                 is_active=self._any_logging, order=20)
        self.lab.scheduler.every("cloudtrail digest delivery", delivery.DIGEST_INTERVAL, self._deliver_digests,
                                 is_active=self._any_validating, order=30)

    def tables(self) -> dict[str, str]:
        return {"cloudtrail_events": "one row per CloudTrail record: every call the lab answered, "
                                     "sign-ins and service events (or records loaded from real logs)",
                PENDING_TABLE: "CloudTrail records staged by the last calls, normalised into "
                               "cloudtrail_events in one batch before any read (see lab.flush)",
                "cloudtrail_trails": "one row per trail: bucket, regions, validation, selectors, logging state",
                **delivery.TABLES}

    # ------------------------------------------------------------------ recording
    def _on_api_call(self, fact: dict[str, Any]) -> None:
        self._record(fact["record"])

    def _on_event(self, fact: dict[str, Any]) -> None:
        """A record not caused by an API call (ConsoleLogin, AwsServiceEvent) published by a service."""
        self._record(fact["record"])

    def _record(self, record: dict[str, Any]) -> None:
        events.record_event(self.lab.db, record)
        delivery.note_event(self.lab, record)

    def _on_logging_ended(self, fact: dict[str, Any]) -> None:
        """After StopLogging or DeleteTrail is recorded: the final delivery, that call included."""
        delivery.final_delivery(self.lab, fact["trail"], fact["time"])

    # ------------------------------------------------------------------ jobs
    def _any_logging(self) -> bool:
        return delivery.any_logging(self.lab.db)

    def _any_validating(self) -> bool:
        return delivery.any_validating(self.lab.db)

    def _deliver_logs(self, instant) -> None:
        self.lab.flush()
        delivery.deliver_logs(self.lab, instant)

    def _deliver_digests(self, instant) -> None:
        delivery.deliver_digests(self.lab, instant)

    # ------------------------------------------------------------------ trails
    def create_trail(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        delivery.check_bucket(self.lab, params["S3BucketName"], call.region)
        trail = trails.create(call.db, call.account_id, call.region, params, call.time, self.lab.regions)
        delivery.trail_changed(self.lab)
        return trails.creation_response(trail)

    def update_trail(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("S3BucketName"):
            delivery.check_bucket(self.lab, params["S3BucketName"], call.region)
        trail = trails.update(call.db, call.account_id, call.region, params)
        delivery.trail_changed(self.lab)
        return trails.creation_response(trail)

    def delete_trail(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.find(call.db, call.account_id, call.region, params["Name"])
        trails.delete(call.db, call.account_id, call.region, params["Name"])
        if trail["is_logging"]:
            call.publish("cloudtrail_logging_ended", {"trail": trail})
        delivery.trail_changed(self.lab)
        return {}

    def get_trail(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"Trail": trails.describe(trails.find(call.db, call.account_id, call.region, params["Name"]))}

    def describe_trails(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        names = params.get("trailNameList") or []
        shadows = params.get("includeShadowTrails", True)
        shown = []
        for trail in trails.visible_from(call.db, call.account_id, call.region):
            if not shadows and trail["home_region"] != call.region:
                continue
            arn = trails.trail_arn(trail["home_region"], call.account_id, trail["name"])
            if names and trail["name"] not in names and arn not in names:
                continue
            shown.append(trails.describe(trail))
        return {"trailList": shown}

    def list_trails(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"Trails": [{"TrailARN": trails.trail_arn(t["home_region"], call.account_id, t["name"]),
                            "Name": t["name"], "HomeRegion": t["home_region"]}
                           for t in trails.all_trails(call.db, call.account_id)]}

    def get_trail_status(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.find(call.db, call.account_id, call.region, params["Name"])
        return delivery.status(self.lab, trail)

    def start_logging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.set_logging(call.db, call.account_id, call.region, params["Name"], True, call.time)
        delivery.logging_started(self.lab, trail, call.time, call.event_id)
        delivery.trail_changed(self.lab)
        return {}

    def stop_logging(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        before = trails.find(call.db, call.account_id, call.region, params["Name"])
        trail = trails.set_logging(call.db, call.account_id, call.region, params["Name"], False, call.time)
        if before["is_logging"]:
            call.publish("cloudtrail_logging_ended", {"trail": trail})
        delivery.trail_changed(self.lab)
        return {}

    def put_event_selectors(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        response = trails.put_selectors(call.db, call.account_id, call.region, params)
        delivery.trail_changed(self.lab)
        return response

    def get_event_selectors(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        trail = trails.find(call.db, call.account_id, call.region, params["TrailName"])
        basic, advanced = trails.selectors_of(trail)
        response: dict[str, Any] = {"TrailARN": trails.trail_arn(trail["home_region"], call.account_id, trail["name"])}
        if advanced:
            response["AdvancedEventSelectors"] = advanced
        else:
            response["EventSelectors"] = basic or trails.selectors.DEFAULT_SELECTORS
        return response

    def put_insight_selectors(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        from ..errors import AWSError

        raise AWSError("UnsupportedOperationException",
                       "awslab does not simulate CloudTrail Insights: PutInsightSelectors is refused.")

    def list_public_keys(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"PublicKeyList": delivery.public_keys(self.lab, call.region, params.get("StartTime"),
                                                      params.get("EndTime"))}

    # ------------------------------------------------------------------ event history
    def lookup_events(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        events.flush(call.db)
        return history.lookup_events(call.db, call.region, call.time, params)

    def download_event_history(self, path: str | Path, fmt: str = "json", region: str | None = None,
                               **filters: Any) -> Path:
        self.lab.flush()
        return history.download_event_history(self.lab.db, region or self.lab.region, self.lab.now, path, fmt,
                                              **filters)
