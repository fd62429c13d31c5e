"""The hub delivers facts only for calls that commit; the scheduler runs due work in time order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import botocore.exceptions
import pytest

from awslab.hub import Hub
from awslab.scheduler import PeriodicJob


def test_hub_delivers_in_subscription_order():
    hub, seen = Hub(), []
    hub.subscribe("t", lambda f: seen.append(("a", f["n"])))
    hub.subscribe("t", lambda f: seen.append(("b", f["n"])))
    hub.publish("t", {"n": 1})
    hub.publish("other", {"n": 2})
    assert seen == [("a", 1), ("b", 1)]


def test_batch_subscribers_get_each_run_of_facts_delivered_together():
    hub, batches, single = Hub(), [], []
    hub.subscribe("t", lambda facts: batches.append([f["n"] for f in facts]), batch=True)
    hub.subscribe("t", lambda f: single.append(f["n"]))
    hub.publish("t", {"n": 0})
    with hub.held():
        for n in (1, 2):
            hub.publish("t", {"n": n})
        hub.publish("other", {"n": 3})
        hub.publish("t", {"n": 4})
        assert batches == [[0]]  # nothing delivered while held
    assert batches == [[0], [1, 2], [4]]
    assert single == [0, 1, 2, 4]
    hub.subscribers("t")[0]({"n": 5})  # a batch subscriber asked directly gets a list of one
    assert batches[-1] == [5]


def test_held_facts_are_dropped_when_the_block_fails():
    hub, seen = Hub(), []
    hub.subscribe("t", seen.append, batch=True)
    with pytest.raises(RuntimeError):
        with hub.held():
            hub.publish("t", {"n": 1})
            raise RuntimeError("the block failed")
    hub.publish("t", {"n": 2})
    assert seen == [[{"n": 2}]]


def test_facts_of_a_failed_call_are_dropped(lab, monkeypatch):
    seen = []
    lab.hub.subscribe("demo_fact", seen.append)
    service = lab.service_for("cloudwatch")
    original = service.put_metric_data

    def publish_then(call, params):
        call.publish("demo_fact", {"namespace": params["Namespace"]})
        return original(call, params)

    monkeypatch.setattr(service, "put_metric_data", publish_then)
    cw = lab.client("cloudwatch")
    with pytest.raises(botocore.exceptions.ClientError):
        cw.put_metric_data(Namespace="AWS/Nope", MetricData=[{"MetricName": "m", "Value": 1}])
    assert seen == []
    cw.put_metric_data(Namespace="Fine", MetricData=[{"MetricName": "m", "Value": 1}])
    assert [f["namespace"] for f in seen] == ["Fine"]
    assert seen[0]["event_id"] == lab.sql(
        "select event_id from cloudtrail_events where error_code is null").fetchall()[0][0]


def test_periodic_grid():
    job = PeriodicJob("j", timedelta(minutes=5), lambda t: None)
    at = datetime(2026, 1, 1, 0, 3, tzinfo=timezone.utc)
    assert job.next_due(at) == datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)
    assert job.next_due(datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)) == datetime(2026, 1, 1, 0, 10, tzinfo=timezone.utc)


def test_advance_runs_due_jobs_in_time_order_with_catch_up_first(lab):
    log = []
    lab.scheduler.every("five", timedelta(minutes=5), lambda t: log.append(("five", lab.now.minute)))
    lab.scheduler.every("two", timedelta(minutes=2), lambda t: log.append(("two", t.minute)))
    lab.scheduler.keep_up("world", lambda until: log.append(("catch", until.minute)))
    lab.advance(minutes=6)
    assert log == [("catch", 2), ("two", 2), ("catch", 4), ("two", 4), ("catch", 5), ("five", 5),
                   ("catch", 6), ("two", 6), ("catch", 6)]


def test_inactive_jobs_let_time_jump(lab):
    calls = []
    lab.scheduler.every("idle", timedelta(minutes=1), calls.append, is_active=lambda: False)
    lab.advance(days=450)
    assert calls == []
    assert lab.now == datetime(2027, 3, 27, tzinfo=timezone.utc)


def test_a_job_failing_rolls_back_its_own_work(lab):
    def failing(t):
        lab.db.execute("insert into lab_state values ('junk', 'x')")
        raise RuntimeError("boom")

    lab.scheduler.every("bad", timedelta(minutes=1), failing)
    with pytest.raises(RuntimeError):
        lab.advance(minutes=1)
    assert lab.sql("select count(*) from lab_state where key = 'junk'").fetchall() == [(0,)]
