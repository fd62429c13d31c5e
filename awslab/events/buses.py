"""Event buses and PutEvents (mixed into the EventBridge service).

API reference: CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses, UpdateEventBus, PutEvents,
TagResource, UntagResource, ListTagsForResource. Answers pinned by AWS-recorded responses (LocalStack
``tests/aws/services/events/test_events.snapshot.json``):

* Every region has a ``default`` bus that cannot be deleted (``Cannot delete event bus default.``);
  deleting a bus that does not exist succeeds; a custom bus takes its rules and targets with it.
* PutEvents takes 1-10 entries (more is a ValidationException naming them all) whose total size is at
  most 256 KB, counted as the user guide's "Calculating Amazon EventBridge PutEvents event entry size"
  does (14 bytes for a Time, then the UTF-8 bytes of Source, DetailType, Detail and each Resource).
  Each entry fails on its own (``FailedEntryCount``): a missing Source, DetailType or Detail is
  ``InvalidArgument``, a Detail that is not a JSON object ``MalformedDetail``, and a source starting
  with ``aws.`` from anyone but an AWS service ``NotAuthorizedForSourceException``. An entry for a bus
  that does not exist is accepted and silently dropped, as AWS does.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .store import (
    DEFAULT_BUS, bus_arn, bus_name_of, bus_not_found, derive_id, envelope, rule_not_found, to_json,
)

MAX_REQUEST_BYTES = 256 * 1024


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size by the user guide's rule."""
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        if entry.get(key) is not None:
            size += len(entry[key].encode())
    return size + sum(len(resource.encode()) for resource in entry.get("Resources") or [])


def entry_problem(entry: dict[str, Any], aws_service: bool) -> tuple[str, str] | None:
    """The (ErrorCode, ErrorMessage) PutEvents answers for one entry, or None if it is accepted."""
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
    try:
        detail = json.loads(entry["Detail"])
    except (ValueError, RecursionError):
        detail = None
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    if entry["Source"].startswith("aws.") and not aws_service:
        return "NotAuthorizedForSourceException", "Not authorized for the source."
    return None


def paginate(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    """A page of ``items`` by ``NextToken`` (an offset the lab hands out) and ``Limit``."""
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise AWSError("ValidationException", "The NextToken provided is invalid.") from None
    limit = params.get("Limit") or 100
    page = items[start:start + limit]
    return page, (str(start + limit) if start + limit < len(items) else None)


class BusOperations:
    """Event bus handlers (mixed into EventsService)."""

    lab: Any
    _rules_changed: Any          # the router's cache reset

    def _ensure_default_buses(self) -> None:
        for region in self.lab.regions:
            self.lab.db.execute(
                "INSERT INTO events_buses SELECT ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM events_buses WHERE arn = ?)",
                [bus_arn(region, self.lab.account_id, DEFAULT_BUS), region, self.lab.account_id, DEFAULT_BUS,
                 self.lab.start, self.lab.start, bus_arn(region, self.lab.account_id, DEFAULT_BUS)])

    def _bus(self, call: Call, name_or_arn: str | None) -> dict[str, Any]:
        name = bus_name_of(name_or_arn)
        cursor = call.db.execute("SELECT * FROM events_buses WHERE region = ? AND account_id = ? AND name = ?",
                                 [call.region, call.account_id, name])
        row = cursor.fetchone()
        if row is None:
            raise bus_not_found(name)
        return dict(zip([c[0] for c in cursor.description], row))

    @staticmethod
    def _bus_shape(bus: dict[str, Any], listing: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": bus["name"], "Arn": bus["arn"]}
        if bus["description"] is not None:
            out["Description"] = bus["description"]
        if not listing:
            if bus["kms_key_identifier"] is not None:
                out["KmsKeyIdentifier"] = bus["kms_key_identifier"]
            if bus["dead_letter_arn"] is not None:
                out["DeadLetterConfig"] = {"Arn": bus["dead_letter_arn"]}
            if bus["log_config"] is not None:
                out["LogConfig"] = json.loads(bus["log_config"])
        if bus["name"] != DEFAULT_BUS:      # AWS answers the default bus with its name and ARN only
            out["CreationTime"], out["LastModifiedTime"] = bus["created"], bus["last_modified"]
        return out

    # ------------------------------------------------------------------ buses
    def create_event_bus(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if params.get("EventSourceName"):
            raise AWSError("ResourceNotFoundException", f"Event source {params['EventSourceName']} does not exist.")
        if "/" in name:
            raise AWSError("ValidationException", "Event bus name must not contain '/'.")
        arn = bus_arn(call.region, call.account_id, name)
        if call.db.execute("SELECT 1 FROM events_buses WHERE arn = ?", [arn]).fetchone():
            raise AWSError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
        dead_letter = (params.get("DeadLetterConfig") or {}).get("Arn")
        call.db.execute("INSERT INTO events_buses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [arn, call.region, call.account_id, name, params.get("Description"), dead_letter,
                         params.get("KmsKeyIdentifier"), _json_or_none(params.get("LogConfig")),
                         to_json({t["Key"]: t["Value"] for t in params.get("Tags") or []}), call.time, call.time])
        out: dict[str, Any] = {"EventBusArn": arn}
        for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig"):
            if params.get(key) is not None:
                out[key] = params[key]
        return out

    def describe_event_bus(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._bus_shape(self._bus(call, params.get("Name")))

    def list_event_buses(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        cursor = call.db.execute("SELECT * FROM events_buses WHERE region = ? AND account_id = ? "
                                 "AND starts_with(name, ?) ORDER BY name",
                                 [call.region, call.account_id, params.get("NamePrefix") or ""])
        names = [c[0] for c in cursor.description]
        buses = [self._bus_shape(dict(zip(names, row)), listing=True) for row in cursor.fetchall()]
        page, token = paginate(buses, params)
        return {"EventBuses": page, **({"NextToken": token} if token else {})}

    def update_event_bus(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus(call, params.get("Name"))
        dead_letter = (params.get("DeadLetterConfig") or {}).get("Arn")
        call.db.execute("UPDATE events_buses SET description = ?, kms_key_identifier = ?, dead_letter_arn = ?, "
                        "log_config = ?, last_modified = ? WHERE arn = ?",
                        [params.get("Description"), params.get("KmsKeyIdentifier"), dead_letter,
                         _json_or_none(params.get("LogConfig")), call.time, bus["arn"]])
        out: dict[str, Any] = {"Arn": bus["arn"], "Name": bus["name"]}
        for key in ("KmsKeyIdentifier", "Description", "DeadLetterConfig", "LogConfig"):
            if params.get(key) is not None:
                out[key] = params[key]
        return out

    def delete_event_bus(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if name == DEFAULT_BUS:
            raise AWSError("ValidationException", "Cannot delete event bus default.")
        rules = "SELECT arn FROM events_rules WHERE region = ? AND account_id = ? AND bus_name = ?"
        keys = [call.region, call.account_id, name]
        call.db.execute(f"DELETE FROM events_targets WHERE rule_arn IN ({rules})", keys)
        call.db.execute(f"DELETE FROM events_retries WHERE rule_arn IN ({rules})", keys)
        call.db.execute("DELETE FROM events_rules WHERE region = ? AND account_id = ? AND bus_name = ?", keys)
        call.db.execute("DELETE FROM events_buses WHERE region = ? AND account_id = ? AND name = ?", keys)
        self._rules_changed()
        return {}

    # ------------------------------------------------------------------ PutEvents
    def put_events(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        entries = params["Entries"]
        if sum(entry_size(entry) for entry in entries) > MAX_REQUEST_BYTES:
            raise AWSError("ValidationException", "Total size of the entries in the request is over the limit.")
        aws_service = call.principal.kind == "AWSService"
        results: list[dict[str, Any]] = []
        accepted: list[tuple[str, str, str, dict[str, Any]]] = []
        for index, entry in enumerate(entries):
            problem = entry_problem(entry, aws_service)
            if problem is not None:
                results.append({"ErrorCode": problem[0], "ErrorMessage": problem[1]})
                continue
            region, account, name = call.region, call.account_id, bus_name_of(entry.get("EventBusName"))
            if (entry.get("EventBusName") or "").startswith("arn:"):
                region, account = entry["EventBusName"].split(":")[3:5]
            event_id = derive_id("put-events", call.event_id, index)
            accepted.append((region, account, name, envelope(
                event_id, entry["DetailType"], entry["Source"], account, entry.get("Time") or call.time, region,
                entry.get("Resources") or [], json.loads(entry["Detail"]))))
            results.append({"EventId": event_id})
        if accepted:
            # Targets are invoked once the PutEvents call has committed (see delivery.py).
            call.publish("events_put", {"events": accepted})
        return {"FailedEntryCount": sum(1 for r in results if "ErrorCode" in r), "Entries": results}

    # ------------------------------------------------------------------ tags
    def _tagged(self, call: Call, arn: str) -> tuple[str, str]:
        """(table, arn) of a taggable resource: a rule or an event bus."""
        resource = arn.split(":", 5)[-1]
        table = "events_rules" if resource.startswith("rule/") else "events_buses"
        if not resource.startswith(("rule/", "event-bus/")) or not call.db.execute(
                f"SELECT 1 FROM {table} WHERE arn = ?", [arn]).fetchone():
            if resource.startswith("rule/"):
                parts = resource.split("/")
                raise rule_not_found(parts[-1], parts[1] if len(parts) == 3 else DEFAULT_BUS)
            raise bus_not_found(resource.split("/", 1)[-1])
        return table, arn

    def _tags(self, call: Call, table: str, arn: str) -> dict[str, str]:
        row = call.db.execute(f"SELECT coalesce(tags, '{{}}') FROM {table} WHERE arn = ?", [arn]).fetchone()
        return json.loads(row[0])

    def tag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        table, arn = self._tagged(call, params["ResourceARN"])
        tags = self._tags(call, table, arn) | {t["Key"]: t["Value"] for t in params["Tags"]}
        call.db.execute(f"UPDATE {table} SET tags = ? WHERE arn = ?", [to_json(tags), arn])
        return {}

    def untag_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        table, arn = self._tagged(call, params["ResourceARN"])
        tags = {k: v for k, v in self._tags(call, table, arn).items() if k not in params["TagKeys"]}
        call.db.execute(f"UPDATE {table} SET tags = ? WHERE arn = ?", [to_json(tags), arn])
        return {}

    def list_tags_for_resource(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        table, arn = self._tagged(call, params["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in self._tags(call, table, arn).items()]}


def _json_or_none(value: Any) -> str | None:
    return None if value is None else to_json(value)
