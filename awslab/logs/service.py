"""The CloudWatch Logs service: operation handlers over the ``logs_*`` tables, ingestion from other services,
and the jobs that enforce retention, run export tasks and ship the simulated agents' logs.

Every way events arrive (PutLogEvents, CloudTrail's delivery on the hub topic ``log_events``, the simulated
CloudWatch agent, :meth:`LogsService.ingest`) goes through :meth:`LogsService._ingest`: one INSERT for the
batch, then one ``metric_data`` fact that publishes every metric filter's datapoints for it.

CloudTrail: PutLogEvents is not logged; GetLogEvents and FilterLogEvents are data events (not in event history,
logged by a trail only when its selectors ask for CloudWatch Logs data events). The archived "Logging Amazon
CloudWatch Logs API Calls in AWS CloudTrail" page (LG:logging_cw_api_calls_cwl) lists every other operation
the lab answers as a management event; which of the read operations AWS counts as data events is a *choice*.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..gateway import Call
from ..service import Service
from . import agent, events, export, groups, metric_filters, queries
from .patterns import test_metric_filter

MAX_TEST_MESSAGES = 50


class LogsService(agent.AgentMixin, Service):
    answers = ("logs",)
    not_logged = frozenset({"PutLogEvents"})
    data_events = frozenset({"GetLogEvents", "FilterLogEvents", "GetLogRecord", "StartLiveTail"})

    def setup(self) -> None:
        db = self.lab.db
        for statement in (*groups.CREATE, events.CREATE, metric_filters.CREATE, export.CREATE, queries.CREATE,
                          *agent.CREATE):
            db.execute(statement)
        self.lab.hub.subscribe("log_events", self._on_log_events)
        self.lab.hub.subscribe("ec2_instance_state_changed", self._on_instance_state)
        self.lab.hub.subscribe("resource_changed", self._on_resource_changed)
        self.lab.hub.subscribe("resource_inventory", self._on_inventory)
        self._expiry: datetime | None = None
        self._expiry_known = False
        self.lab.scheduler.keep_up("logs agents", self._ship_agents, order=40)
        self.lab.scheduler.keep_up("logs export tasks", self._run_exports, order=60)
        self.lab.scheduler.keep_up("logs retention", self._keep_retention, order=70)

    def tables(self) -> dict[str, str]:
        return {**groups.TABLES, **events.TABLES, **metric_filters.TABLES, **export.TABLES, **queries.TABLES,
                **agent.TABLES}

    # ------------------------------------------------------------------ ingestion (every source)
    def _ingest(self, region: str, account_id: str, group: str, stream: str, timestamps_ms: list[int],
                messages: list[str], ingestion_time: datetime, call: Call | None = None,
                ingested_ms: list[int] | None = None) -> events.Batch:
        batch = events.store(self.lab.db, region, account_id, group, stream, timestamps_ms, messages, ingestion_time,
                             ingested_ms)
        self._publish_datapoints(batch, call)
        return batch

    def _publish_datapoints(self, batch: events.Batch, call: Call | None = None) -> None:
        self._expiry_known = False  # new events may expire before anything stored
        fact = metric_filters.datapoints_fact(self.lab.db, batch)
        if fact is None:
            return
        if call is not None:
            call.publish("metric_data", fact)
        else:
            self.lab.hub.publish("metric_data", fact)

    def ingest(self, log_group: str, log_stream: str, log_events: Any, *, region: str | None = None,
               create: bool = True) -> int:
        """Bulk path beside PutLogEvents: store many events at once (metric filters apply), return how many.

        ``log_events`` is a DataFrame (or list of dicts) with ``timestamp`` (epoch ms, or datetimes) and
        ``message``. PutLogEvents' batch limits do not apply, its age limits do (too old, too new or expired
        events are dropped). ``create`` makes the stream if it is missing; the group must exist.

            >>> lab.service_for("logs").ingest("/app/web", "host-1", frame)     # doctest: +SKIP
        """
        import pandas

        region = region or self.lab.region
        db, now, account = self.lab.db, self.lab.now, self.lab.account_id
        frame = pandas.DataFrame(log_events)
        if frame.empty:
            return 0
        stamps = frame["timestamp"]
        if pandas.api.types.is_datetime64_any_dtype(stamps):
            stamps = (pandas.to_datetime(stamps, utc=True) - pandas.Timestamp(0, tz="UTC")) // pandas.Timedelta(
                milliseconds=1)
        frame = pandas.DataFrame({"timestamp": stamps.astype("int64"), "message": frame["message"].astype(str)})
        frame = frame.sort_values("timestamp", kind="stable")
        with self.lab.transaction():
            group = groups.require_group(db, region, account, log_group)
            cutoff = groups.retention_cutoff(group["retention_in_days"], now)
            oldest = groups.to_ms(max(now - events.PAST_LIMIT, cutoff) if cutoff else now - events.PAST_LIMIT)
            frame = frame[(frame["timestamp"] >= oldest)
                          & (frame["timestamp"] <= groups.to_ms(now + events.FUTURE_LIMIT))]
            if create:
                groups.ensure_stream(db, region, account, log_group, log_stream, now)
            elif not groups.find_stream(db, region, account, log_group, log_stream):
                raise groups.stream_not_found()
            batch = self._ingest(region, account, log_group, log_stream, frame["timestamp"].tolist(),
                                 frame["message"].tolist(), now)
        return batch.size

    def _on_log_events(self, fact: dict[str, Any]) -> None:
        """Events another service delivers (CloudTrail to a trail's log group). The stream is created if
        missing; a missing group drops the events, as AWS's delivery fails, and says so on ``log_delivery_failed``."""
        arn = fact["log_group_arn"]
        parts = arn.split(":")
        region, account_id, name = parts[3], parts[4], parts[6]
        db, now = self.lab.db, fact.get("time") or self.lab.now
        group = groups.find_group(db, region, account_id, name)
        if group is None:
            self.lab.hub.publish("log_delivery_failed", {
                "log_group_arn": arn, "log_stream": fact["log_stream"], "source": fact.get("source"),
                "reason": "ResourceNotFoundException: The specified log group does not exist.",
                "region": region, "account_id": account_id, "time": now})
            return
        groups.ensure_stream(db, region, account_id, name, fact["log_stream"], now)
        batch = sorted(fact["events"], key=lambda e: e["timestamp"])
        cutoff = groups.retention_cutoff(group["retention_in_days"], now)
        oldest = groups.to_ms(max(now - events.PAST_LIMIT, cutoff) if cutoff else now - events.PAST_LIMIT)
        newest = groups.to_ms(now + events.FUTURE_LIMIT)
        kept = [e for e in batch if oldest <= e["timestamp"] <= newest
                and events.event_size(e["message"]) <= events.MAX_EVENT_SIZE]
        self._ingest(region, account_id, name, fact["log_stream"], [e["timestamp"] for e in kept],
                     [e["message"] for e in kept], now)

    # ------------------------------------------------------------------ jobs
    def _keep_retention(self, until: datetime) -> None:
        db = self.lab.db
        if not self._expiry_known:
            self._expiry = groups.next_expiry(db)
            self._expiry_known = True
        if self._expiry is not None and self._expiry < until:
            groups.expire_events(db, until)
            self._expiry = groups.next_expiry(db)
        queries.expire_results(db, until)

    def _run_exports(self, until: datetime) -> None:
        if export.pending(self.lab.db):
            export.run_pending(self.lab, until)

    # ------------------------------------------------------------------ AWS Config
    def _group_fact(self, region: str, account_id: str, name: str, status: str, now: datetime) -> dict[str, Any]:
        """The ``resource_changed`` fact for a log group, in the AWS::Logs::LogGroup shape Config records
        (the CloudFormation resource's properties: LogGroupName, Arn, RetentionInDays, KmsKeyId, Tags...)."""
        group = groups.find_group(self.lab.db, region, account_id, name) if status != "deleted" else None
        arn = groups.group_arn(region, account_id, name)
        configuration: dict[str, Any] = {"LogGroupName": name, "Arn": arn}
        tags: dict[str, str] = {}
        created = now
        if group is not None:
            created, tags = group["creation_time"], group["tags"]
            configuration["LogGroupClass"] = group["log_group_class"]
            if group["retention_in_days"] is not None:
                configuration["RetentionInDays"] = group["retention_in_days"]
            if group["kms_key_id"]:
                configuration["KmsKeyId"] = group["kms_key_id"]
            if tags:
                configuration["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        return {"resource_type": "AWS::Logs::LogGroup", "resource_id": name, "resource_name": name, "arn": arn,
                "availability_zone": "Regional", "resource_creation_time": created, "status": status,
                "configuration": configuration, "supplementary_configuration": {}, "tags": tags, "relationships": []}

    def _publish_group(self, call: Call, name: str, status: str) -> None:
        call.publish("resource_changed", self._group_fact(call.region, call.account_id, name, status, call.time))

    def _on_inventory(self, fact: dict[str, Any]) -> None:
        """AWS Config's recorder takes an inventory of the existing log groups when it starts."""
        names = self.lab.db.execute("SELECT log_group FROM logs_groups WHERE region = ? AND account_id = ? "
                                    "ORDER BY log_group", [fact["region"], fact["account_id"]]).fetchall()
        fact["collect"].extend({**self._group_fact(fact["region"], fact["account_id"], name, "created", fact["time"]),
                                "region": fact["region"], "account_id": fact["account_id"], "time": fact["time"]}
                               for (name,) in names)

    # ------------------------------------------------------------------ groups
    def create_log_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups.create_group(call.db, call.region, call.account_id, params["logGroupName"], call.time,
                            tags=params.get("tags"), kms_key_id=params.get("kmsKeyId"),
                            log_group_class=params.get("logGroupClass", "STANDARD"),
                            deletion_protection=bool(params.get("deletionProtectionEnabled", False)))
        self._publish_group(call, params["logGroupName"], "created")
        return {}

    def delete_log_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups.delete_group(call.db, call.region, call.account_id, params["logGroupName"])
        self._publish_group(call, params["logGroupName"], "deleted")
        return {}

    def describe_log_groups(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return groups.describe_groups(call.db, call.region, call.account_id, params)

    def put_retention_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups.put_retention(call.db, call.region, call.account_id, params["logGroupName"], params["retentionInDays"])
        self._expiry_known = False
        self._publish_group(call, params["logGroupName"], "updated")
        return {}

    def delete_retention_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups.delete_retention(call.db, call.region, call.account_id, params["logGroupName"])
        self._expiry_known = False
        self._publish_group(call, params["logGroupName"], "updated")
        return {}

    def _set_tags(self, call: Call, name: str, add: dict[str, str] | None = None, remove: list[str] = ()) -> None:
        group = groups.require_group(call.db, call.region, call.account_id, name)
        tags = {**group["tags"], **(add or {})}
        for key in remove:
            tags.pop(key, None)
        if len(tags) > 50:
            raise groups.constraint_error("{...}", "tags", "Member must have length less than or equal to 50")
        call.db.execute("UPDATE logs_groups SET tags = ? WHERE region = ? AND account_id = ? AND log_group = ?",
                        [json.dumps(tags, sort_keys=True), call.region, call.account_id, name])
        self._publish_group(call, name, "updated")

    def _group_from_resource_arn(self, arn: str) -> str:
        return groups.name_from_identifier(arn)

    def tag_log_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._set_tags(call, params["logGroupName"], add=params["tags"])
        return {}

    def untag_log_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._set_tags(call, params["logGroupName"], remove=params["tags"])
        return {}

    def list_tags_log_group(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": groups.require_group(call.db, call.region, call.account_id, params["logGroupName"])["tags"]}

    def tag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._set_tags(call, self._group_from_resource_arn(params["resourceArn"]), add=params["tags"])
        return {}

    def untag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._set_tags(call, self._group_from_resource_arn(params["resourceArn"]), remove=params["tagKeys"])
        return {}

    def list_tags_for_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = self._group_from_resource_arn(params["resourceArn"])
        return {"tags": groups.require_group(call.db, call.region, call.account_id, name)["tags"]}

    # ------------------------------------------------------------------ streams and events
    def create_log_stream(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups.create_stream(call.db, call.region, call.account_id, params["logGroupName"], params["logStreamName"],
                             call.time)
        return {}

    def describe_log_streams(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return groups.describe_streams(call.db, call.region, call.account_id, params)

    def delete_log_stream(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        groups.delete_stream(call.db, call.region, call.account_id, params["logGroupName"], params["logStreamName"])
        return {}

    def put_log_events(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        db, name, stream = call.db, params["logGroupName"], params["logStreamName"]
        group = groups.require_group(db, call.region, call.account_id, name)
        if not groups.find_stream(db, call.region, call.account_id, name, stream):
            raise groups.stream_not_found()
        log_events = params["logEvents"]
        accepted, rejected = events.check_batch(log_events, call.time, group["retention_in_days"])
        batch = self._ingest(call.region, call.account_id, name, stream, [log_events[i]["timestamp"] for i in accepted],
                             [log_events[i]["message"] for i in accepted], call.time, call)
        response: dict[str, Any] = {"nextSequenceToken": f"{max(batch.last, 0):056d}"}
        if rejected:
            response["rejectedLogEventsInfo"] = rejected
        return response

    def get_log_events(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = groups.group_name_of(params)
        groups.require_group(call.db, call.region, call.account_id, name)
        return events.get_log_events(call.db, call.region, call.account_id, name, params["logStreamName"], params)

    def filter_log_events(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = groups.group_name_of(params)
        groups.require_group(call.db, call.region, call.account_id, name)
        return events.filter_log_events(call.db, call.region, call.account_id, name, params)

    # ------------------------------------------------------------------ metric filters
    def put_metric_filter(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        metric_filters.put_metric_filter(call.db, call.region, call.account_id, params, call.time)
        return {}

    def describe_metric_filters(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return metric_filters.describe_metric_filters(call.db, call.region, call.account_id, params)

    def delete_metric_filter(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        metric_filters.delete_metric_filter(call.db, call.region, call.account_id, params["logGroupName"],
                                            params["filterName"])
        return {}

    def test_metric_filter(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        messages = params["logEventMessages"]
        if len(messages) > MAX_TEST_MESSAGES:
            raise groups.constraint_error("[...]", "logEventMessages",
                                          f"Member must have length less than or equal to {MAX_TEST_MESSAGES}")
        return test_metric_filter(params["filterPattern"], messages)

    # ------------------------------------------------------------------ export
    def create_export_task(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return export.create_export_task(self.lab, call.region, call.account_id, params, call.time, call.event_id)

    def describe_export_tasks(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return export.describe_export_tasks(call.db, call.account_id, call.region, params)

    def cancel_export_task(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        export.cancel_export_task(call.db, call.account_id, call.region, params["taskId"], call.time)
        return {}

    # ------------------------------------------------------------------ Logs Insights
    def start_query(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        query_id = queries.new_query_id(call.event_id)
        return queries.start_query(call.db, call.region, call.account_id, params, call.time, query_id,
                                   call.principal.arn)

    def get_query_results(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return queries.get_query_results(call.db, call.region, call.account_id, params)

    def stop_query(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return queries.stop_query(call.db, call.region, call.account_id, params["queryId"])

    def describe_queries(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return queries.describe_queries(call.db, call.region, call.account_id, params)
