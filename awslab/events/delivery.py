"""What happens to an event on a bus: matched against the bus's rules, sent to their targets, retried
on the lab clock, dead-lettered. Mixed into the EventBridge service (needs ``self.lab``).

Delivery is synchronous in the lab: targets are invoked while the event is put (after the PutEvents
call itself commits), so a learner sees the SQS message or the SNS email at once. AWS delivers
asynchronously, within about half a second. Every attempt is a row of ``events_delivered``.

Retries (user guide, "Event retry policy and using dead-letter queues"): a failure that can be
retried is tried again until ``RetryPolicy.MaximumRetryAttempts`` (default 185) retries were made or
the next try would come after ``MaximumEventAgeInSeconds`` (default 86,400) since EventBridge received
the event. AWS backs off exponentially with random jitter; the lab waits 1, 2, 4, ... seconds, at most
8 minutes between tries, without jitter so runs repeat. Then the event goes to the target's
dead-letter queue with the message attributes AWS documents (RULE_ARN, TARGET_ARN, ERROR_CODE,
ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS), or is dropped when there is none.
A missing target or permission is not retried.

Metrics (CloudWatch, namespace AWS/Events, dimension RuleName, plus EventBusName on a custom bus):
TriggeredRules, Invocations, FailedInvocations, InvocationsSentToDLQ, InvocationsFailedToBeSentToDLQ.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from botocore.exceptions import ClientError

from .patterns import PatternSet, compile_pattern
from .store import DEFAULT_BUS, parse_time, to_json
from .targets import EVENTS_PRINCIPAL, TargetFailure, invoke, log_event, queue_url
from .transform import render_target_input

DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE = 86_400
MAX_BACKOFF = timedelta(minutes=8)
MAX_DEPTH = 8
"""Events caused by deliveries (an SNS Publish recorded by CloudTrail, matched again...) stop here: AWS
would loop for ever; the lab refuses to recurse deeper and logs the delivery as not sent."""
ALL_MANAGEMENT = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def backoff(retry: int) -> timedelta:
    """The wait before the ``retry``-th retry (1-based): 1 s, 2 s, 4 s, ... at most 8 minutes."""
    return min(timedelta(seconds=2 ** min(retry - 1, 20)), MAX_BACKOFF)


class Rule:
    """A rule as routing needs it; ``targets`` are the Target dicts in PutTargets order."""

    __slots__ = ("arn", "name", "bus_name", "region", "account_id", "state", "targets")

    def __init__(self, arn: str, name: str, bus_name: str, region: str, account_id: str, state: str,
                 targets: list[dict[str, Any]]) -> None:
        self.arn, self.name, self.bus_name, self.region, self.account_id = arn, name, bus_name, region, account_id
        self.state, self.targets = state, targets

    def dimensions(self) -> list[dict[str, str]]:
        rule = [{"Name": "RuleName", "Value": self.name}]
        return rule if self.bus_name == DEFAULT_BUS else [{"Name": "EventBusName", "Value": self.bus_name}] + rule


class RouterMixin:
    """Routing and delivery (mixed into EventsService)."""

    lab: Any
    stand_ins: dict[str, Callable[..., Any]]

    def _init_router(self) -> None:
        self._routes: dict[tuple[str, str, str], tuple[PatternSet, dict[str, Rule]]] = {}
        self._rules: dict[str, Rule | None] = {}
        self._depth = 0
        self._batch_depth = 0
        self._metrics: list[tuple[Rule, str, datetime]] = []
        self._log_in_flight: tuple[str, str] | None = None
        self._log_failure: str | None = None
        # The logs of received events and deliveries are written in batches (lab.flush), not row by row.
        self._rows: dict[str, list[list[Any]]] = {"events_received": [], "events_delivered": []}
        self._seq = self.lab.db.execute("SELECT greatest((SELECT max(seq) FROM events_received), "
                                        "(SELECT max(seq) FROM events_delivered), 0)").fetchone()[0]
        self.lab.add_flusher(self._flush_rows)

    def _rules_changed(self) -> None:
        self._routes.clear()
        self._rules.clear()
        self._schedules_changed()

    def _schedules_changed(self) -> None:  # overridden by the service
        pass

    # ------------------------------------------------------------------ the rules of a bus
    def _rule_targets(self, rule_arn: str) -> list[dict[str, Any]]:
        return [json.loads(spec) for (spec,) in self.lab.db.execute(
            "SELECT spec FROM events_targets WHERE rule_arn = ? ORDER BY seq", [rule_arn]).fetchall()]

    def _load_rule(self, arn: str) -> Rule | None:
        if arn not in self._rules:
            row = self.lab.db.execute("SELECT arn, name, bus_name, region, account_id, state FROM events_rules "
                                      "WHERE arn = ?", [arn]).fetchone()
            self._rules[arn] = None if row is None else Rule(*row, targets=self._rule_targets(arn))
        return self._rules[arn]

    def _route(self, region: str, account_id: str, bus_name: str) -> tuple[PatternSet, dict[str, Rule]]:
        key = (region, account_id, bus_name)
        if key not in self._routes:
            patterns: PatternSet[str] = PatternSet()
            rules: dict[str, Rule] = {}
            for arn, name, state, pattern in self.lab.db.execute(
                    "SELECT arn, name, state, event_pattern FROM events_rules WHERE region = ? AND account_id = ? "
                    "AND bus_name = ? AND state <> 'DISABLED' AND event_pattern IS NOT NULL ORDER BY name",
                    [region, account_id, bus_name]).fetchall():
                patterns.add(arn, compile_pattern(pattern))
                rules[arn] = Rule(arn, name, bus_name, region, account_id, state, self._rule_targets(arn))
            self._routes[key] = (patterns, rules)
        return self._routes[key]

    # ------------------------------------------------------------------ an event arrives
    def receive(self, region: str, account_id: str, bus_name: str, event: dict[str, Any], *,
                read_only_management: bool = False, replay: tuple[str, list[str]] | None = None) -> list[str]:
        """Put ``event`` on a bus: record it, archive it, deliver it to every matching rule's targets.
        Returns the ARNs of the rules it matched."""
        with self._batch():
            return self._receive(region, account_id, bus_name, event, read_only_management, replay)

    def _receive(self, region: str, account_id: str, bus_name: str, event: dict[str, Any],
                 read_only_management: bool, replay: tuple[str, list[str]] | None) -> list[str]:
        now = self.lab.now
        patterns, rules = self._route(region, account_id, bus_name)
        matched = patterns.matching(event) if len(patterns) else []
        if read_only_management:
            matched = [arn for arn in matched if rules[arn].state == ALL_MANAGEMENT]
        if replay is not None and replay[1]:
            matched = [arn for arn in matched if arn in replay[1]]
        event_at = parse_time(event["time"]) if isinstance(event.get("time"), str) else None
        self._row("events_received", [now, region, account_id, bus_name, event.get("id"), event_at,
                                      event.get("source"), event.get("detail-type"), replay[0] if replay else None,
                                      len(matched), to_json(event)])
        if replay is None:
            self._archive(region, account_id, bus_name, event, event_at or now)
        for arn in matched:
            rule = rules[arn]
            self._metric(rule, "TriggeredRules")
            for target in rule.targets:
                self.deliver(rule, target, event, now, 0)
        return matched

    def _archive(self, region: str, account_id: str, bus_name: str, event: dict[str, Any],
                 event_at: datetime) -> None:  # overridden by the archives mixin
        pass

    def fire_schedule(self, rule: Rule, event: dict[str, Any]) -> None:
        """A scheduled rule's "Scheduled Event" goes to its own targets only."""
        with self._batch():
            self._metric(rule, "TriggeredRules")
            for target in rule.targets:
                self.deliver(rule, target, event, self.lab.now, 0)

    # ------------------------------------------------------------------ one target
    def deliver(self, rule: Rule, target: dict[str, Any], event: dict[str, Any], ingested_at: datetime,
                retries: int) -> None:
        """Try one delivery now; on failure schedule a retry or dead-letter the event."""
        text = render_target_input(target, event, rule_arn=rule.arn, rule_name=rule.name, ingestion_time=ingested_at)
        if text is None:
            self._log(rule, target, event, retries, "not sent", None, "InputPath found nothing in the event", None)
            return
        if self._depth >= MAX_DEPTH:
            self._log(rule, target, event, retries, "not sent", "LOOP",
                      f"awslab stops deliveries that cause events {MAX_DEPTH} levels deep (an event loop)", text)
            return
        self._depth += 1
        try:
            self._metric(rule, "Invocations")
            invoke(self.lab, target["Arn"], text, event, stand_ins=self.stand_ins, bus_exists=self._bus_exists,
                   send_logs=lambda arn, ev, txt: self._send_logs(arn, ev, txt, "InputTransformer" in target))
        except TargetFailure as failure:
            self._metric(rule, "FailedInvocations")
            self._failed(rule, target, event, ingested_at, retries, failure, text)
        else:
            self._log(rule, target, event, retries, "delivered", None, None, text)
        finally:
            self._depth -= 1

    def _failed(self, rule: Rule, target: dict[str, Any], event: dict[str, Any], ingested_at: datetime,
                retries: int, failure: TargetFailure, text: str) -> None:
        policy = target.get("RetryPolicy") or {}
        max_retries = policy.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        max_age = timedelta(seconds=policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE))
        exhausted = None
        if failure.retriable:
            due = self.lab.now + backoff(retries + 1)
            if retries >= max_retries:
                exhausted = "MaximumRetryAttempts"
            elif due - ingested_at > max_age:
                exhausted = "MaximumEventAgeInSeconds"
            else:
                self.lab.db.execute(
                    "INSERT INTO events_retries VALUES (nextval('events_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [due, rule.region, rule.account_id, rule.arn, target["Id"], to_json(event), ingested_at,
                     retries + 1, failure.code, failure.message])
                self._log(rule, target, event, retries, "retrying", failure.code, failure.message, text)
                self._retries_changed()
                return
        self._dead_letter(rule, target, event, retries, failure, exhausted, text)

    def _dead_letter(self, rule: Rule, target: dict[str, Any], event: dict[str, Any], retries: int,
                     failure: TargetFailure, exhausted: str | None, text: str) -> None:
        dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            self._log(rule, target, event, retries, "dropped", failure.code, failure.message, text)
            return
        attributes = {"RULE_ARN": rule.arn, "TARGET_ARN": target["Arn"], "ERROR_CODE": failure.code,
                      "ERROR_MESSAGE": failure.message[:1000]}
        if exhausted:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        attributes["RETRY_ATTEMPTS"] = str(retries)
        try:
            self.lab.service_client("sqs", EVENTS_PRINCIPAL, dlq.split(":")[3]).send_message(
                QueueUrl=queue_url(dlq), MessageBody=to_json(event),
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})
        except (ClientError, ValueError, IndexError) as error:
            self._metric(rule, "InvocationsFailedToBeSentToDLQ")
            self._log(rule, target, event, retries, "dead-letter failed", failure.code,
                      f"{failure.message} (and the dead-letter queue refused it: {error})", text)
            return
        self._metric(rule, "InvocationsSentToDLQ")
        self._log(rule, target, event, retries, "dead-lettered", failure.code, failure.message, text)

    def _retries_changed(self) -> None:  # overridden by the service
        pass

    def run_retries(self, until: datetime) -> None:
        """Retry every delivery due by ``until``, in time order, with the rule's current target."""
        db = self.lab.db
        due = db.execute("SELECT seq, rule_arn, target_id, event, ingested_at, retries FROM events_retries "
                         "WHERE due_at <= ? ORDER BY due_at, seq", [until]).fetchall()
        if not due:
            return
        db.execute("DELETE FROM events_retries WHERE seq IN (SELECT unnest(?::BIGINT[]))", [[d[0] for d in due]])
        with self._batch():
            for _, rule_arn, target_id, event_text, ingested_at, retries in due:
                rule = self._load_rule(rule_arn)
                target = next((t for t in rule.targets if t["Id"] == target_id), None) if rule else None
                if rule is None or target is None:
                    continue                     # the rule or target is gone: nothing to retry
                self.deliver(rule, target, json.loads(event_text), ingested_at, retries)
        self._retries_changed()

    # ------------------------------------------------------------------ CloudWatch Logs targets
    def _send_logs(self, arn: str, event: dict[str, Any], text: str, transformed: bool) -> None:
        """One log event in a stream named after the event id, through the hub's ``log_events``."""
        key = (":".join(arn.split(":")[:7]), str(event.get("id")))
        self._log_in_flight, self._log_failure = key, None
        try:
            self.lab.hub.publish("log_events", {
                "log_group_arn": key[0], "log_stream": key[1], "events": [log_event(text, event, transformed)],
                "region": arn.split(":")[3], "account_id": arn.split(":")[4], "time": self.lab.now,
                "source": EVENTS_PRINCIPAL})
        finally:
            self._log_in_flight = None
        if self._log_failure is not None:
            raise TargetFailure("NO_RESOURCE", self._log_failure.split(": ", 1)[-1], False)

    def _on_log_delivery_failed(self, fact: dict[str, Any]) -> None:
        if fact.get("source") == EVENTS_PRINCIPAL and (fact.get("log_group_arn"), fact.get("log_stream")) == \
                self._log_in_flight:
            self._log_failure = str(fact.get("reason") or "ResourceNotFoundException")

    # ------------------------------------------------------------------ bookkeeping
    def _bus_exists(self, region: str, account_id: str, name: str) -> bool:
        return self.lab.db.execute("SELECT 1 FROM events_buses WHERE region = ? AND account_id = ? AND name = ?",
                                   [region, account_id, name]).fetchone() is not None

    def _row(self, table: str, values: list[Any]) -> None:
        self._seq += 1
        self._rows[table].append([self._seq, *values])

    def _flush_rows(self) -> None:
        """Write the buffered log rows, a few hundred per INSERT statement."""
        for table, rows in self._rows.items():
            while rows:
                chunk, rows[:] = rows[:200], rows[200:]
                marks = "(" + ", ".join("?" * len(chunk[0])) + ")"
                self.lab.db.execute(f"INSERT INTO {table} VALUES " + ", ".join([marks] * len(chunk)),
                                    [value for row in chunk for value in row])

    def _log(self, rule: Rule, target: dict[str, Any], event: dict[str, Any], attempt: int, outcome: str,
             code: str | None, message: str | None, text: str | None) -> None:
        self._row("events_delivered", [self.lab.now, rule.region, rule.account_id, rule.arn, rule.name, target["Id"],
                                       target["Arn"], event.get("id", ""), attempt, outcome, code, message, text])

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Metrics counted while routing are published together when the outermost routing step ends."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._metrics:
                self._publish_metrics()

    def _metric(self, rule: Rule, name: str) -> None:
        self._metrics.append((rule, name, self.lab.now))

    def _publish_metrics(self) -> None:
        by_place: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rule, name, when in self._metrics:
            by_place.setdefault((rule.region, rule.account_id), []).append(
                {"MetricName": name, "Dimensions": rule.dimensions(), "Value": 1.0, "Unit": "Count", "Timestamp": when})
        self._metrics = []
        for (region, account_id), data in by_place.items():
            for start in range(0, len(data), 1000):
                self.lab.hub.publish("metric_data", {"namespace": "AWS/Events", "region": region,
                                                     "account_id": account_id, "time": self.lab.now,
                                                     "metric_data": data[start:start + 1000]})
