"""Replay real exported CloudTrail events through the lab, to see what would have fired.

``lab.replay_trail(events, trail="main")`` walks the events in time order on the lab clock. At
each minute it hands that minute's events to what a logging trail feeds: the trail's CloudWatch
Logs group (so metric filters, such as the CIS ones, publish datapoints and alarms evaluate on
them) and the default EventBridge bus of the event's region (so rules on "AWS API Call via
CloudTrail" match). Replayed records are received by the lab's account (``recipientAccountId``
is rewritten; everything else is kept), and regions the lab does not simulate map to its own. Facts go through the lab's hub, as CloudTrail's own delivery does; nothing
is written to S3 and the events are not added to the lab's own ``cloudtrail_events``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .clock import parse_instant

if TYPE_CHECKING:
    from .lab import Lab

CLOUDWATCH_LOGS_EVENT_LIMIT = 256 * 1024


@dataclass
class ReplaySummary:
    events: int
    to_log_group: int
    to_eventbridge: int
    skipped_oversize: int
    first: datetime | None
    last: datetime | None
    shift: timedelta


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def replay_trail(lab: "Lab", events: Any, *, trail: str | None = None, log_group_arn: str | None = None,
                 shift: bool = False, eventbridge: bool = True) -> ReplaySummary:
    """Feed ``events`` (an ``awslab.trail.Events``, or anything with ``.sql()`` over a
    ``cloudtrail_events`` table) into the lab in time order.

    The log group is the trail's (``trail=``) or ``log_group_arn``. The lab clock must not be
    past the first event; ``shift=True`` moves every event forward by the same amount so the
    first one happens now, keeping their spacing.
    """
    if trail is not None and log_group_arn is None:
        log_group_arn = lab.client("cloudtrail").get_trail(Name=trail)["Trail"].get("CloudWatchLogsLogGroupArn")
    rows = events.sql("SELECT record, event_time FROM cloudtrail_events WHERE event_time IS NOT NULL "
                      "ORDER BY event_time, source_file, source_index").fetchall()
    if not rows:
        return ReplaySummary(0, 0, 0, 0, None, None, timedelta(0))
    first = rows[0][1]
    offset = timedelta(0)
    if first < lab.now:
        if not shift:
            raise ValueError(f"the lab clock ({lab.now.isoformat()}) is past the first event ({first.isoformat()}): "
                             "start the lab earlier (Lab(start=...)) or pass shift=True")
        offset = lab.now - first
    summary = ReplaySummary(len(rows), 0, 0, 0, first + offset, rows[-1][1] + offset, offset)
    batch: list[dict[str, Any]] = []
    batch_minute: datetime | None = None
    for record_text, moment in rows:
        moment = moment + offset
        record = json.loads(record_text) if isinstance(record_text, str) else record_text
        # the lab's account receives the replayed events, whatever account they were recorded in
        record = {**record, "recipientAccountId": lab.account_id}
        if offset:
            record["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        minute = _minute(moment)
        if batch_minute is not None and minute != batch_minute:
            _deliver(lab, batch, batch_minute, log_group_arn, eventbridge, summary)
            batch = []
        batch_minute = minute
        batch.append(record)
    _deliver(lab, batch, batch_minute, log_group_arn, eventbridge, summary)
    return summary


def _deliver(lab: "Lab", records: list[dict[str, Any]], minute: datetime, log_group_arn: str | None,
             eventbridge: bool, summary: ReplaySummary) -> None:
    lab.run_until(max(minute, lab.now))
    by_region: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        region = record.get("awsRegion") if record.get("awsRegion") in lab.regions else lab.region
        by_region.setdefault(region, []).append(record)
        if eventbridge:
            lab.hub.publish("cloudtrail_event_logged", {"record": record, "region": region,
                                                        "account_id": lab.account_id})
            summary.to_eventbridge += 1
    if log_group_arn is None:
        return
    for region, group in by_region.items():
        log_events = []
        for record in group:
            message = json.dumps(record, separators=(",", ":"))
            if len(message.encode()) + 26 > CLOUDWATCH_LOGS_EVENT_LIMIT:
                summary.skipped_oversize += 1
                continue
            moment = parse_instant(record["eventTime"])
            log_events.append({"timestamp": int(moment.timestamp() * 1000), "message": message})
        if log_events:
            lab.hub.publish("log_events", {"log_group_arn": log_group_arn,
                                           "log_stream": f"{lab.account_id}_CloudTrail_{region}",
                                           "events": log_events, "region": lab.region, "account_id": lab.account_id,
                                           "time": lab.now, "source": "cloudtrail.amazonaws.com"})
            summary.to_log_group += len(log_events)
