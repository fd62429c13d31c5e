"""The EventBridge service: buses, rules, targets, archives and replays over the events engines, fed by
the other services' facts on the hub.

Where events come from:

* ``PutEvents`` (buses.py), delivered after the call commits (the hub topic ``events_put``);
* ``cloudtrail_event_logged``: CloudTrail logged a record on a logging trail (EventBridge needs a trail);
* ``alarm_state_changed`` / ``alarm_configuration_changed`` from CloudWatch;
* ``ec2_instance_state_changed`` from the lab's EC2;
* ``config_item_changed`` / ``config_compliance_changed`` from AWS Config;
* scheduled rules, fired on the lab clock at each ``rate()``/``cron()`` instant, in time order.

AWS service events go to the default bus of the region they happened in (sources.py has the shapes).
Delivery is synchronous in the lab (delivery.py). Registered Python callables stand in for Lambda
functions: ``lab.events_target(name, fn)`` returns the function ARN to use as a target.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..gateway import Call
from ..scheduler import PeriodicJob
from ..service import Handler, Service
from . import sources
from .archives import ArchiveOperations
from .buses import BusOperations
from .delivery import RouterMixin
from .rules import RuleOperations
from .schedule import Schedule, parse_schedule
from .store import DEFAULT_BUS, SCHEMA, TABLES, as_json_value
from .validation import check_constraints

_MICROSECOND = timedelta(microseconds=1)


FAR_FUTURE = datetime(9999, 1, 1, tzinfo=timezone.utc)


class _DueJob(PeriodicJob):
    """A job due at irregular instants: the next schedule firing, retry or replay, whichever is first.

    The scheduler asks ``next_due(after)``; the lab then sets its clock to that instant and runs the job,
    so each firing happens at its own time, in time order, however far ``lab.advance`` jumps."""

    def __init__(self, name: str, run: Callable[[datetime], None], next_due: Callable[[datetime], datetime | None],
                 is_active: Callable[[], bool], order: int) -> None:
        super().__init__(name, timedelta(minutes=1), run, is_active, order=order)
        self._next = next_due

    def next_due(self, after: datetime) -> datetime:  # type: ignore[override]
        due = self._next(after)
        return due if due is not None else FAR_FUTURE


class EventsService(BusOperations, RuleOperations, ArchiveOperations, RouterMixin, Service):
    answers = ("events",)
    data_events = frozenset({"PutEvents", "PutPartnerEvents"})   # CloudTrail logs PutEvents as a data event

    def setup(self) -> None:
        db = self.lab.db
        for statement in SCHEMA:
            db.execute(statement)
        self._ensure_default_buses()
        self.stand_ins: dict[str, Callable[..., Any]] = {}
        self._init_router()
        self._init_archives()
        self._schedules: list[tuple[str, Schedule, datetime | None]] | None = None
        self._retry_due: datetime | None | bool = False          # False: not known yet
        self._replay_due: datetime | None | bool = False
        hub = self.lab.hub
        hub.subscribe("events_put", self._on_events_put)
        hub.subscribe("cloudtrail_event_logged", self._on_cloudtrail_event)
        hub.subscribe("alarm_state_changed", self._on_alarm_state)
        hub.subscribe("alarm_configuration_changed", self._on_alarm_configuration)
        hub.subscribe("ec2_instance_state_changed", self._on_ec2_state)
        hub.subscribe("config_item_changed", self._on_config_item)
        hub.subscribe("config_compliance_changed", self._on_config_compliance)
        hub.subscribe("log_delivery_failed", self._on_log_delivery_failed)
        scheduler = self.lab.scheduler
        scheduler.periodic.append(_DueJob("events schedules, retries and replays", self._run_due, self._next_due,
                                          self._has_due_work, 35))
        scheduler.periodic.sort(key=lambda job: job.order)
        scheduler.keep_up("events archive retention", self.expire_archives, order=75)

    def tables(self) -> dict[str, str]:
        return dict(TABLES)

    def handler(self, boto3_service: str, operation: str) -> Handler | None:
        """Every handler first applies the model's constraints botocore leaves to the server."""
        method = super().handler(boto3_service, operation)
        if method is None:
            return None

        def checked(call: Call, params: dict[str, Any]) -> dict[str, Any]:
            check_constraints(operation, params)
            return method(call, params)
        return checked

    # ------------------------------------------------------------------ lab-level helpers
    def events_target(self, name: str, fn: Callable[..., Any], region: str | None = None) -> str:
        """Register ``fn`` as the Lambda function ``name`` for rule targets; returns its ARN.

        ``fn(event)`` or ``fn(event, context)`` receives the target input (parsed JSON). An exception is a
        failed invocation: EventBridge retries it per the target's RetryPolicy, then dead-letters it.
        A registered callable takes precedence over a function of the same name in the lab's Lambda service
        (which EventBridge invokes asynchronously, as AWS does). Callables live in memory: a lab reopened
        from a file must register them again.
        """
        arn = f"arn:aws:lambda:{region or self.lab.region}:{self.lab.account_id}:function:{name}"
        self.stand_ins[arn] = fn
        return arn

    def bus_events(self, bus: str = DEFAULT_BUS, region: str | None = None) -> Any:
        """The events a bus received, oldest first, as a DataFrame (``events_received``)."""
        return self.lab.sql("SELECT received_at, event_id, source, detail_type, replay_name, matched_rules, event "
                            "FROM events_received WHERE region = ? AND bus_name = ? ORDER BY seq",
                            [region or self.lab.region, bus]).df()

    # ------------------------------------------------------------------ facts from the hub
    def _on_events_put(self, fact: dict[str, Any]) -> None:
        for region, account, bus, event in fact["events"]:
            if self._bus_exists(region, account, bus):
                self.receive(region, account, bus, event)

    def _default_bus(self, event: dict[str, Any] | None, read_only: bool = False) -> None:
        if event is not None and event.get("region") in self.lab.regions:
            self.receive(event["region"], event["account"], DEFAULT_BUS, as_json_value(event),
                         read_only_management=read_only)

    def _on_cloudtrail_event(self, fact: dict[str, Any]) -> None:
        record = fact["record"]
        event = sources.cloudtrail_event(record, fact.get("account_id") or self.lab.account_id)
        self._default_bus(event, sources.is_read_only_management(record))

    def _read_only(self, event: dict[str, Any]) -> bool:
        return str(event.get("detail-type", "")).endswith("via CloudTrail") and \
            isinstance(event.get("detail"), dict) and sources.is_read_only_management(event["detail"])

    def _on_alarm_state(self, fact: dict[str, Any]) -> None:
        self._default_bus(sources.alarm_state_event(fact))

    def _on_alarm_configuration(self, fact: dict[str, Any]) -> None:
        self._default_bus(sources.alarm_configuration_event(fact))

    def _on_ec2_state(self, fact: dict[str, Any]) -> None:
        self._default_bus(sources.ec2_state_event(fact))

    def _on_config_item(self, fact: dict[str, Any]) -> None:
        self._default_bus(sources.config_item_event(fact))

    def _on_config_compliance(self, fact: dict[str, Any]) -> None:
        self._default_bus(sources.config_compliance_event(fact))

    # ------------------------------------------------------------------ the clock
    def _schedules_changed(self) -> None:
        self._schedules = None

    def _retries_changed(self) -> None:
        self._retry_due = False

    def _replays_changed(self) -> None:
        self._replay_due = False

    def _scheduled_rules(self) -> list[tuple[str, Schedule, datetime | None]]:
        if self._schedules is None:
            # A schedule without targets has nothing to deliver: its instants need not stop the clock.
            rows = self.lab.db.execute(
                "SELECT arn, schedule_expression, schedule_anchor FROM events_rules r WHERE schedule_expression IS NOT "
                "NULL AND state <> 'DISABLED' AND EXISTS (SELECT 1 FROM events_targets t WHERE t.rule_arn = r.arn) "
                "ORDER BY arn").fetchall()
            self._schedules = [(arn, parse_schedule(expression), anchor) for arn, expression, anchor in rows]
        return self._schedules

    def _pending(self) -> tuple[datetime | None, datetime | None]:
        """The earliest retry and replay due, read from the tables once after each change."""
        if self._retry_due is False:
            self._retry_due = self.lab.db.execute("SELECT min(due_at) FROM events_retries").fetchone()[0]
        if self._replay_due is False:
            self._replay_due = self.next_replay_due()
        return self._retry_due, self._replay_due  # type: ignore[return-value]

    def _has_due_work(self) -> bool:
        return bool(self._scheduled_rules()) or any(due is not None for due in self._pending())

    def _next_due(self, after: datetime) -> datetime | None:
        candidates = [schedule.next_fire(after, start=anchor) for _, schedule, anchor in self._scheduled_rules()]
        candidates += list(self._pending())
        due = [c for c in candidates if c is not None]
        if not due:
            return None
        # A retry or replay already due (it was scheduled in the past of ``after``) runs at once.
        return max(min(due), after + _MICROSECOND)

    def _run_due(self, instant: datetime) -> None:
        for arn, schedule, anchor in list(self._scheduled_rules()):
            if schedule.next_fire(instant - _MICROSECOND, start=anchor) == instant:
                rule = self._load_rule(arn)
                if rule is not None:
                    self.fire_schedule(rule, sources.scheduled_event(arn, rule.region, rule.account_id, instant))
        retry_due, replay_due = self._pending()
        if retry_due is not None and retry_due <= instant:
            self.run_retries(instant)
        if replay_due is not None and replay_due <= instant:
            self.run_replays(instant)
