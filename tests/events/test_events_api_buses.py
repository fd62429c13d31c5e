"""Event buses and PutEvents through boto3, against AWS-recorded answers.

Recorded answers: LocalStack's AWS-validated snapshots, tests/aws/services/events/test_events.snapshot.json
(TestEvents, TestEventBus); limits: API reference PutEvents and the user guide page "Calculating Amazon
EventBridge PutEvents event entry size".
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings, strategies as st

from .conftest import answer as strip, read_queue

DETAIL = json.dumps({"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}})
ENTRY = {"Source": "core.update-account-command", "DetailType": "core.update-account-command", "Detail": DETAIL}


def error(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def catch_all(lab, events, queue, bus="default"):
    url, arn = queue
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def test_default_bus_exists_and_cannot_be_deleted(events):
    """test_delete_default_event_bus: ValidationException "Cannot delete event bus default."."""
    described = strip(events.describe_event_bus(Name="default"))
    assert described == strip(events.describe_event_bus()) == {
        "Name": "default", "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}
    assert error(events.delete_event_bus, Name="default") == ("ValidationException", "Cannot delete event bus default.")


def test_create_list_describe_delete_custom_bus(lab, events):
    """test_create_list_describe_delete_custom_event_buses: ARN, CreationTime/LastModifiedTime, gone after delete."""
    arn = events.create_event_bus(Name="orders")["EventBusArn"]
    assert arn == "arn:aws:events:us-east-1:123456789012:event-bus/orders"
    listed = events.list_event_buses(NamePrefix="orders")["EventBuses"]
    assert listed == [{"Name": "orders", "Arn": arn, "CreationTime": lab.now, "LastModifiedTime": lab.now}]
    assert events.describe_event_bus(Name=arn)["Name"] == "orders"       # a name or an ARN
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default", "orders"]
    events.delete_event_bus(Name="orders")
    assert events.list_event_buses(NamePrefix="orders")["EventBuses"] == []
    events.delete_event_bus(Name="orders")                                 # deleting a missing bus succeeds


def test_bus_errors(events):
    """test_create_multiple_event_buses_same_name, test_describe_delete_not_existing_event_bus."""
    events.create_event_bus(Name="orders")
    assert error(events.create_event_bus, Name="orders") == ("ResourceAlreadyExistsException",
                                                            "Event bus orders already exists.")
    assert error(events.describe_event_bus, Name="nope") == ("ResourceNotFoundException", "Event bus nope does not exist.")
    assert error(events.create_event_bus, Name="a/b")[0] == "ValidationException"


def test_list_event_buses_pages(events):
    """test_list_event_buses_with_limit: Limit and NextToken page through the buses."""
    for index in range(6):
        events.create_event_bus(Name=f"bus-{index}")
    first = events.list_event_buses(NamePrefix="bus-", Limit=3)
    second = events.list_event_buses(NamePrefix="bus-", Limit=5, NextToken=first["NextToken"])
    assert [b["Name"] for b in first["EventBuses"] + second["EventBuses"]] == [f"bus-{i}" for i in range(6)]
    assert "NextToken" not in second


def test_update_event_bus_and_tags(events):
    """UpdateEventBus, TagResource/ListTagsForResource/UntagResource on a bus (API reference)."""
    arn = events.create_event_bus(Name="orders", Tags=[{"Key": "team", "Value": "shop"}])["EventBusArn"]
    assert strip(events.update_event_bus(Name="orders", Description="the orders")) == {
        "Arn": arn, "Name": "orders", "Description": "the orders"}
    assert events.describe_event_bus(Name="orders")["Description"] == "the orders"
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "lab"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"},
                                                                      {"Key": "env", "Value": "lab"}]
    events.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "lab"}]


# ---------------------------------------------------------------------------------------------
# PutEvents

def test_put_events_envelope(lab, events, queue):
    """test_put_events_with_target_sqs: the delivered event's envelope, keys in AWS's order."""
    url = catch_all(lab, events, queue)
    answer = events.put_events(Entries=[ENTRY])
    assert answer["FailedEntryCount"] == 0
    (body,) = read_queue(lab, url)
    assert list(body) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert body == {"version": "0", "id": answer["Entries"][0]["EventId"], "detail-type": "core.update-account-command",
                    "source": "core.update-account-command", "account": "123456789012",
                    "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
                    "detail": json.loads(DETAIL)}


def test_put_events_time_and_resources(lab, events, queue):
    """test_put_events_time / with_time_field: Time sets the event's time (whole seconds, Z)."""
    url = catch_all(lab, events, queue)
    events.put_events(Entries=[{**ENTRY, "Time": datetime(2025, 6, 1, 12, 30, 5, 123000, tzinfo=timezone.utc),
                                "Resources": ["arn:aws:s3:::b"]}])
    (body,) = read_queue(lab, url)
    assert (body["time"], body["resources"]) == ("2025-06-01T12:30:05Z", ["arn:aws:s3:::b"])


@pytest.mark.parametrize("missing", ["Source", "DetailType", "Detail"])
def test_put_events_missing_member_fails_its_entry(events, missing):
    """test_put_events_without_source / without_detail / without_detail_type: InvalidArgument per entry."""
    entry = {k: v for k, v in ENTRY.items() if k != missing}
    answer = events.put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"] == [{"ErrorCode": "InvalidArgument",
                                  "ErrorMessage": f"Parameter {missing} is not valid. Reason: {missing} is a required argument."}]


@pytest.mark.parametrize("detail", ['"a string"', '["an", "array"]', '{"malformed": json}', json.dumps(DETAIL)])
def test_put_events_malformed_detail(events, detail):
    """test_put_event_malformed_detail[STRING|ARRAY|MALFORMED_JSON|SERIALIZED_STRING]."""
    assert strip(events.put_events(Entries=[{**ENTRY, "Detail": detail}])) == {
        "FailedEntryCount": 1, "Entries": [{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}]}


def test_put_events_mixed_entries_keep_their_order(events):
    """Entries answer in request order; only the bad one fails (API reference, PutEventsResultEntry)."""
    answer = events.put_events(Entries=[ENTRY, {"Source": "x"}, ENTRY])
    assert answer["FailedEntryCount"] == 1
    assert ["EventId" in e for e in answer["Entries"]] == [True, False, True]
    assert answer["Entries"][0]["EventId"] != answer["Entries"][2]["EventId"]


def test_put_events_aws_sources_are_reserved(events):
    """Sources starting with "aws." belong to AWS services: NotAuthorizedForSourceException per entry."""
    answer = events.put_events(Entries=[{**ENTRY, "Source": "aws.ec2"}])
    assert answer["Entries"] == [{"ErrorCode": "NotAuthorizedForSourceException",
                                  "ErrorMessage": "Not authorized for the source."}]


def test_put_events_more_than_ten_entries(events):
    """test_put_events_exceed_limit_ten_entries: the whole call fails, naming every entry."""
    code, message = error(events.put_events, Entries=[{**ENTRY, "EventBusName": "default"}] * 11)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '[PutEventsRequestEntry(time=null, "
                              "source=core.update-account-command, resources=null, detailType=core.update-account-command, "
                              f"detail={DETAIL}, eventBusName=default, traceHeader=null, kmsKeyIdentifier=null, "
                              "internalMetadata=null), ")
    assert message.endswith("' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")


def test_put_events_total_size_limit(events):
    """test_put_event_with_too_big_detail: over 256 KB in total is refused as a whole."""
    big = json.dumps({"data": "x" * (256 * 1024)})
    assert error(events.put_events, Entries=[{**ENTRY, "Detail": big}]) == (
        "ValidationException", "Total size of the entries in the request is over the limit.")
    just_fits = json.dumps({"d": "x" * (256 * 1024 - 2 * 27 - 9)})
    assert events.put_events(Entries=[{**ENTRY, "Detail": just_fits}])["FailedEntryCount"] == 0


def test_put_events_to_missing_bus_is_accepted_and_dropped(lab, events, queue):
    """test_put_events_nonexistent_event_bus: both entries get ids; only the default bus's event arrives."""
    url = catch_all(lab, events, queue)
    answer = events.put_events(Entries=[ENTRY, {**ENTRY, "EventBusName": "no-such-bus"}])
    assert answer["FailedEntryCount"] == 0 and len(answer["Entries"]) == 2
    assert len(read_queue(lab, url)) == 1


def test_put_events_to_custom_bus_reaches_only_its_rules(lab, events, queue):
    """test_put_events_to_default_eventbus_for_custom_eventbus: a bus's rules see only that bus's events."""
    events.create_event_bus(Name="orders")
    url = catch_all(lab, events, queue, bus="orders")
    events.put_events(Entries=[ENTRY])
    assert read_queue(lab, url) == []
    events.put_events(Entries=[{**ENTRY, "EventBusName": "orders"}])
    assert len(read_queue(lab, url)) == 1


def test_put_events_is_a_data_event(lab, events):
    """PutEvents is logged by CloudTrail as a data event (user guide, "Logging ... using AWS CloudTrail")."""
    events.put_events(Entries=[ENTRY])
    rows = lab.sql("SELECT event_category FROM cloudtrail_events WHERE event_name = 'PutEvents'").fetchall()
    assert rows == [("Data",)]


def test_received_events_are_in_a_table(lab, events):
    events.put_events(Entries=[ENTRY])
    frame = lab.service_for("events").bus_events()
    assert list(frame["detail_type"]) == ["core.update-account-command"] and list(frame["matched_rules"]) == [0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(detail=st.text(max_size=60))
def test_fuzzed_details_get_an_aws_answer(lab, detail):
    """Any Detail text gets an EventId or AWS's per-entry error, never a Python exception."""
    answer = lab.client("events").put_events(Entries=[{**ENTRY, "Detail": detail}])
    (entry,) = answer["Entries"]
    assert "EventId" in entry or entry["ErrorCode"] in ("InvalidArgument", "MalformedDetail")
