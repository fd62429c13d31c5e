"""Scheduled rules firing on the lab clock.

User guide "Creating an Amazon EventBridge rule that runs on a schedule": rate() and cron() expressions,
UTC, one-minute resolution; the "Scheduled Event" shape (source aws.events, resources = the rule ARN,
detail {}). The rate phase (first firing one period after creation) is the lab's documented choice.
"""

from __future__ import annotations

import json

from awslab import Lab

from .conftest import read_queue


def scheduled(events, queue, name: str, expression: str, state: str = "ENABLED") -> str:
    url, arn = queue
    rule = events.put_rule(Name=name, ScheduleExpression=expression, State=state)["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return rule


def test_rate_fires_every_period_from_creation(lab, events, queue):
    rule = scheduled(events, queue, "every-5", "rate(5 minutes)")
    lab.advance(minutes=16)
    fired = read_queue(lab, queue[0])
    assert [e["time"] for e in fired] == ["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z", "2026-01-01T00:15:00Z"]
    assert {(e["source"], e["detail-type"], tuple(e["resources"]), json.dumps(e["detail"])) for e in fired} == {
        ("aws.events", "Scheduled Event", (rule,), "{}")}
    assert len({e["id"] for e in fired}) == 3


def test_cron_fires_at_its_minutes_in_utc(lab, events, queue):
    scheduled(events, queue, "noon", "cron(0 12 * * ? *)")
    lab.advance(days=3)
    assert [e["time"] for e in read_queue(lab, queue[0])] == [
        "2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"]


def test_two_schedules_fire_in_time_order(lab, events, queue):
    scheduled(events, queue, "two", "rate(2 minutes)")
    scheduled(events, queue, "three", "rate(3 minutes)")
    lab.advance(minutes=7)
    fired = [(e["time"][11:16], e["resources"][0].rsplit("/", 1)[1]) for e in read_queue(lab, queue[0])]
    assert fired == [("00:02", "two"), ("00:03", "three"), ("00:04", "two"), ("00:06", "three"), ("00:06", "two")]


def test_target_runs_at_the_firing_instant(lab, events):
    seen = []
    fn = lab.service_for("events").events_target("tick", lambda event: seen.append((event["time"], lab.now)))
    events.put_rule(Name="tick", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="tick", Targets=[{"Id": "fn", "Arn": fn}])
    lab.advance(hours=2, minutes=30)
    assert [(t, now.isoformat()) for t, now in seen] == [("2026-01-01T01:00:00Z", "2026-01-01T01:00:00+00:00"),
                                                          ("2026-01-01T02:00:00Z", "2026-01-01T02:00:00+00:00")]


def test_disabled_schedule_does_not_fire(lab, events, queue):
    scheduled(events, queue, "off", "rate(1 minute)", state="DISABLED")
    lab.advance(minutes=5)
    assert read_queue(lab, queue[0]) == []
    events.enable_rule(Name="off")
    lab.advance(minutes=2)
    assert len(read_queue(lab, queue[0])) == 2


def test_days_of_hourly_firings_in_one_advance(lab, events, queue):
    scheduled(events, queue, "hourly", "rate(1 hour)")
    lab.advance(days=1)
    assert lab.sql("SELECT count(*), min(time), max(time) FROM events_delivered WHERE outcome = 'delivered'"
                   ).fetchall() == [(24, lab.start.replace(hour=1), lab.now)]


def test_a_schedule_without_targets_costs_nothing(lab, events):
    """Its instants do not stop the clock (nothing would be delivered)."""
    events.put_rule(Name="idle", ScheduleExpression="rate(1 minute)")
    assert lab.scheduler.due(lab.now, lab.now.replace(year=2027)) is None or \
        all(job.name != "events schedules, retries and replays" for job in lab.scheduler.due(lab.now, lab.now.replace(
            year=2027))[1])


def test_schedules_survive_reopening_the_lab(tmp_path):
    path = tmp_path / "lab.duckdb"
    lab = Lab(path=path)
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    events = lab.client("events")
    events.put_rule(Name="r", ScheduleExpression="rate(10 minutes)")
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}])
    lab.advance(minutes=15)
    lab.close()
    again = Lab(path=path)
    again.advance(minutes=10)
    assert [e["time"] for e in read_queue(again, url)] == ["2026-01-01T00:10:00Z", "2026-01-01T00:20:00Z"]
    again.close()
