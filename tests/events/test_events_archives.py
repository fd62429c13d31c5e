"""Archives and replays on the lab clock.

Recorded answers: LocalStack's AWS-validated test_archive_and_replay.snapshot.json (TestArchive,
TestReplay); user guide "Archiving and replaying events"; API reference CreateArchive, StartReplay.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from .conftest import answer as strip, read_queue

PATTERN = json.dumps({"source": ["core.update-account-command"]})
ENTRY = {"Source": "core.update-account-command", "DetailType": "core.update-account-command",
         "Detail": json.dumps({"command": "update-account"})}
DEFAULT_BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"
ARCHIVE = "arn:aws:events:us-east-1:123456789012:archive/history"


def error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_create_list_describe_update_delete_archive(lab, events):
    """test_create_list_describe_update_delete_archive[default]: the recorded shapes."""
    created = strip(events.create_archive(ArchiveName="history", EventSourceArn=DEFAULT_BUS, EventPattern=PATTERN,
                                          Description="description of the archive", RetentionDays=1))
    assert created == {"ArchiveArn": ARCHIVE, "State": "ENABLED", "CreationTime": lab.now}
    listed = {"ArchiveName": "history", "EventSourceArn": DEFAULT_BUS, "State": "ENABLED", "RetentionDays": 1,
              "SizeBytes": 0, "EventCount": 0, "CreationTime": lab.now}
    assert events.list_archives()["Archives"] == [listed]
    assert strip(events.describe_archive(ArchiveName="history")) == {
        **listed, "ArchiveArn": ARCHIVE, "Description": "description of the archive", "EventPattern": PATTERN}
    assert strip(events.update_archive(ArchiveName="history", RetentionDays=7)) == created
    assert events.describe_archive(ArchiveName="history")["RetentionDays"] == 7
    events.delete_archive(ArchiveName="history")
    assert events.list_archives()["Archives"] == []


def test_archive_errors(events):
    """test_create_archive_error_unknown_event_bus / _duplicate, test_describe/delete/update_archive_error_unknown_archive."""
    missing_bus = "arn:aws:events:us-east-1:123456789012:event-bus/nope"
    assert error(events.create_archive, ArchiveName="a", EventSourceArn=missing_bus) == (
        "ResourceNotFoundException", "Event bus nope does not exist.")
    events.create_archive(ArchiveName="a", EventSourceArn=DEFAULT_BUS)
    assert error(events.create_archive, ArchiveName="a", EventSourceArn=DEFAULT_BUS) == (
        "ResourceAlreadyExistsException", "Archive a already exists.")
    assert error(events.describe_archive, ArchiveName="b") == ("ResourceNotFoundException", "Archive b does not exist.")
    assert error(events.delete_archive, ArchiveName="b") == ("ResourceNotFoundException", "Archive b does not exist.")
    assert error(events.update_archive, ArchiveName="b", RetentionDays=1) == (
        "InternalException", "Service encountered unexpected problem. Please try again.")
    assert error(events.update_archive, ArchiveName="a") == (
        "ValidationException", "At least one of EventPattern, RetentionDays or Description must be provided.")
    assert error(events.list_archives, EventSourceArn=missing_bus)[0] == "ResourceNotFoundException"
    assert error(events.create_archive, ArchiveName="c", EventSourceArn=DEFAULT_BUS,
                 EventPattern='{"source": "x"}')[0] == "InvalidEventPatternException"


def test_archive_keeps_matching_events(lab, events):
    """test_list_archive_with_events: EventCount and SizeBytes grow with the events the pattern matches."""
    events.create_archive(ArchiveName="history", EventSourceArn=DEFAULT_BUS, EventPattern=PATTERN)
    events.put_events(Entries=[ENTRY] * 3 + [{**ENTRY, "Source": "other"}])
    described = events.describe_archive(ArchiveName="history")
    assert described["EventCount"] == 3 and described["SizeBytes"] > 0
    assert events.list_archives(NamePrefix="hist")["Archives"][0]["EventCount"] == 3
    assert events.list_archives(NamePrefix="nope")["Archives"] == []


def test_retention_drops_old_events(lab, events):
    events.create_archive(ArchiveName="history", EventSourceArn=DEFAULT_BUS, RetentionDays=1)
    events.put_events(Entries=[ENTRY])
    lab.advance(hours=23)
    events.put_events(Entries=[ENTRY])
    lab.advance(hours=2)
    assert events.describe_archive(ArchiveName="history")["EventCount"] == 1


def replayable(lab, events, queue):
    """An archive of three events at 00:00, 00:10 and 00:20, and a rule that sends them to the queue."""
    url, arn = queue
    events.create_archive(ArchiveName="history", EventSourceArn=DEFAULT_BUS)
    rule = events.put_rule(Name="r", EventPattern=PATTERN)["RuleArn"]
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    ids = []
    for _ in range(3):
        ids.append(events.put_events(Entries=[ENTRY])["Entries"][0]["EventId"])
        lab.advance(minutes=10)
    read_queue(lab, url)
    return url, rule, ids


def test_replay_a_time_window(lab, events, queue):
    """test_start_list_describe_canceled_replay: STARTING, then the window's events come back with
    replay-name after region, oldest first; the replay is COMPLETED with its times."""
    url, rule, ids = replayable(lab, events, queue)
    start = lab.start + timedelta(minutes=5)
    answer = strip(events.start_replay(ReplayName="again", EventSourceArn=ARCHIVE, EventStartTime=start,
                                       EventEndTime=lab.start + timedelta(minutes=25),
                                       Destination={"Arn": DEFAULT_BUS, "FilterArns": [rule]},
                                       Description="description of the replay"))
    replay_arn = "arn:aws:events:us-east-1:123456789012:replay/again"
    assert answer == {"ReplayArn": replay_arn, "State": "STARTING", "ReplayStartTime": lab.now}
    assert events.describe_replay(ReplayName="again")["State"] == "STARTING"
    started = lab.now
    lab.advance(minutes=1)
    replayed = read_queue(lab, url)
    assert [e["id"] for e in replayed] == ids[1:]
    assert list(replayed[0]) == ["version", "id", "detail-type", "source", "account", "time", "region", "replay-name",
                                 "resources", "detail"]
    assert replayed[0]["replay-name"] == "again"
    assert strip(events.describe_replay(ReplayName="again")) == {
        "ReplayName": "again", "ReplayArn": replay_arn, "Description": "description of the replay",
        "State": "COMPLETED", "EventSourceArn": ARCHIVE, "Destination": {"Arn": DEFAULT_BUS, "FilterArns": [rule]},
        "EventStartTime": start, "EventEndTime": lab.start + timedelta(minutes=25),
        "EventLastReplayedTime": lab.start + timedelta(minutes=20), "ReplayStartTime": started, "ReplayEndTime": lab.now}
    (listed,) = events.list_replays()["Replays"]
    assert listed["State"] == "COMPLETED" and "Destination" not in listed
    # Replayed events are not archived again.
    assert events.describe_archive(ArchiveName="history")["EventCount"] == 3


def test_filter_arns_limit_the_rules(lab, events, queue):
    url, _, _ = replayable(lab, events, queue)
    other = events.put_rule(Name="other", EventPattern=PATTERN)["RuleArn"]
    events.start_replay(ReplayName="only-other", EventSourceArn=ARCHIVE, EventStartTime=lab.start,
                        EventEndTime=lab.now, Destination={"Arn": DEFAULT_BUS, "FilterArns": [other]})
    lab.advance(minutes=1)
    assert read_queue(lab, url) == []


def test_cancel_replay(lab, events, queue):
    replayable(lab, events, queue)
    events.start_replay(ReplayName="stop", EventSourceArn=ARCHIVE, EventStartTime=lab.start, EventEndTime=lab.now,
                        Destination={"Arn": DEFAULT_BUS})
    assert strip(events.cancel_replay(ReplayName="stop")) == {
        "ReplayArn": "arn:aws:events:us-east-1:123456789012:replay/stop", "State": "CANCELLING"}
    lab.advance(minutes=1)
    assert events.describe_replay(ReplayName="stop")["State"] == "CANCELLED"
    assert error(events.cancel_replay, ReplayName="stop") == (
        "IllegalStatusException", "Replay stop is not in a valid state for this operation.")


def test_replay_errors(lab, events, queue):
    """test_start_replay_error_unknown_archive / _duplicate / _invalid_end_time / _unknown_event_bus."""
    replayable(lab, events, queue)
    window = {"EventStartTime": lab.start, "EventEndTime": lab.now}
    missing = "arn:aws:events:us-east-1:123456789012:archive/nope"
    assert error(events.start_replay, ReplayName="x", EventSourceArn=missing, Destination={"Arn": DEFAULT_BUS},
                 **window) == ("ValidationException",
                               "Parameter EventSourceArn is not valid. Reason: Archive nope does not exist.")
    assert error(events.start_replay, ReplayName="x", EventSourceArn=ARCHIVE, Destination={"Arn": DEFAULT_BUS},
                 EventStartTime=lab.now, EventEndTime=lab.start) == (
        "ValidationException", "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
    assert error(events.start_replay, ReplayName="x", EventSourceArn=ARCHIVE,
                 Destination={"Arn": "arn:aws:events:us-east-1:123456789012:event-bus/nope"}, **window) == (
        "ResourceNotFoundException", "Event bus nope does not exist.")
    other = events.create_event_bus(Name="other")["EventBusArn"]
    assert error(events.start_replay, ReplayName="x", EventSourceArn=ARCHIVE, Destination={"Arn": other}, **window) == (
        "ValidationException", "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
    events.start_replay(ReplayName="x", EventSourceArn=ARCHIVE, Destination={"Arn": DEFAULT_BUS}, **window)
    assert error(events.start_replay, ReplayName="x", EventSourceArn=ARCHIVE, Destination={"Arn": DEFAULT_BUS},
                 **window) == ("ResourceAlreadyExistsException", "Replay x already exists.")
    assert error(events.describe_replay, ReplayName="y") == ("ResourceNotFoundException", "Replay y does not exist.")
