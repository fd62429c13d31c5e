"""Archives and replays, on the lab clock (mixed into the EventBridge service).

API reference: CreateArchive, DescribeArchive, ListArchives, UpdateArchive, DeleteArchive, StartReplay,
DescribeReplay, ListReplays, CancelReplay; user guide "Archiving and replaying events". Messages from
AWS-recorded answers (LocalStack ``test_archive_and_replay.snapshot.json``).

* An archive keeps every event its bus receives that matches its optional pattern (not replayed
  events), for ``RetentionDays`` (0 = for ever) counted from when it was archived. AWS archives with a
  lag of minutes; the lab archives at once.
* A replay puts the archive's events whose time falls in [EventStartTime, EventEndTime) back on the
  archive's own bus, oldest first, with ``replay-name`` in the envelope; ``FilterArns`` limits the
  rules that see them. It answers STARTING, runs one minute later on the lab clock (AWS starts within
  minutes), then is COMPLETED; CancelReplay makes it CANCELLING, then CANCELLED. At most 10 replays
  run at once.
* UpdateArchive of an archive that does not exist is answered, as AWS recorded it, with an
  ``InternalException``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from .buses import paginate
from .patterns import EventPattern, compile_pattern
from .store import archive_arn, bus_name_of, bus_not_found, next_seq, replay_arn, to_json, with_replay_name

REPLAY_DELAY = timedelta(minutes=1)
MAX_ACTIVE_REPLAYS = 10
ACTIVE = ("STARTING", "RUNNING")


def _archive_missing(name: str) -> AWSError:
    return AWSError("ResourceNotFoundException", f"Archive {name} does not exist.")


class ArchiveOperations:
    """Archive and replay handlers and jobs (mixed into EventsService)."""

    lab: Any
    receive: Any
    _replays_changed: Any

    def _init_archives(self) -> None:
        self._archive_cache: dict[str, list[tuple[str, EventPattern | None]]] | None = None

    def _archives_changed(self) -> None:
        self._archive_cache = None

    def _bus_from_arn(self, call: Call, arn: str) -> str:
        name = bus_name_of(arn)
        parts = arn.split(":")
        if len(parts) < 6 or parts[3] != call.region or parts[4] != call.account_id or not \
                call.db.execute("SELECT 1 FROM events_buses WHERE arn = ?", [arn]).fetchone():
            raise bus_not_found(name)
        return name

    def _archive_row(self, call: Call, name: str) -> dict[str, Any]:
        cursor = call.db.execute(
            "SELECT a.*, (SELECT count(*) FROM events_archive_events e WHERE e.archive_arn = a.arn) AS event_count, "
            "(SELECT coalesce(sum(size_bytes), 0) FROM events_archive_events e WHERE e.archive_arn = a.arn) AS size "
            "FROM events_archives a WHERE arn = ?", [archive_arn(call.region, call.account_id, name)])
        row = cursor.fetchone()
        if row is None:
            raise _archive_missing(name)
        return dict(zip([c[0] for c in cursor.description], row))

    @staticmethod
    def _archive_shape(row: dict[str, Any], describe: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if describe:
            out["ArchiveArn"] = row["arn"]
        out.update({"ArchiveName": row["name"], "EventSourceArn": row["event_source_arn"]})
        if describe and row["description"] is not None:
            out["Description"] = row["description"]
        if describe and row["event_pattern"] is not None:
            out["EventPattern"] = row["event_pattern"]
        out.update({"State": row["state"], "RetentionDays": row["retention_days"], "SizeBytes": int(row["size"]),
                    "EventCount": int(row["event_count"]), "CreationTime": row["created"]})
        return out

    # ------------------------------------------------------------------ archives
    def create_archive(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._bus_from_arn(call, params["EventSourceArn"])
        if params.get("EventPattern"):
            compile_pattern(params["EventPattern"])
        name = params["ArchiveName"]
        arn = archive_arn(call.region, call.account_id, name)
        if call.db.execute("SELECT 1 FROM events_archives WHERE arn = ?", [arn]).fetchone():
            raise AWSError("ResourceAlreadyExistsException", f"Archive {name} already exists.")
        call.db.execute("INSERT INTO events_archives VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'ENABLED', ?)",
                        [arn, call.region, call.account_id, name, params["EventSourceArn"], params.get("Description"),
                         params.get("EventPattern") or None, params.get("RetentionDays", 0),
                         params.get("KmsKeyIdentifier"), call.time])
        self._archives_changed()
        return {"ArchiveArn": arn, "State": "ENABLED", "CreationTime": call.time}

    def describe_archive(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._archive_shape(self._archive_row(call, params["ArchiveName"]), describe=True)

    def list_archives(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("EventSourceArn"):
            self._bus_from_arn(call, params["EventSourceArn"])
        names = [n for (n,) in call.db.execute(
            "SELECT name FROM events_archives WHERE region = ? AND account_id = ? AND starts_with(name, ?) "
            "AND (? IS NULL OR event_source_arn = ?) AND (? IS NULL OR state = ?) ORDER BY name",
            [call.region, call.account_id, params.get("NamePrefix") or "", params.get("EventSourceArn"),
             params.get("EventSourceArn"), params.get("State"), params.get("State")]).fetchall()]
        page, token = paginate([self._archive_shape(self._archive_row(call, n), describe=False) for n in names], params)
        return {"Archives": page, **({"NextToken": token} if token else {})}

    def update_archive(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        if not any(params.get(key) is not None for key in ("EventPattern", "RetentionDays", "Description",
                                                            "KmsKeyIdentifier")):
            raise AWSError("ValidationException",
                           "At least one of EventPattern, RetentionDays or Description must be provided.")
        try:
            row = self._archive_row(call, params["ArchiveName"])
        except AWSError:
            raise AWSError("InternalException", "Service encountered unexpected problem. Please try again.", 500,
                           sender_fault=False) from None
        if params.get("EventPattern"):
            compile_pattern(params["EventPattern"])
        call.db.execute("UPDATE events_archives SET description = coalesce(?, description), "
                        "event_pattern = coalesce(?, event_pattern), retention_days = coalesce(?, retention_days), "
                        "kms_key_identifier = coalesce(?, kms_key_identifier) WHERE arn = ?",
                        [params.get("Description"), params.get("EventPattern") or None, params.get("RetentionDays"),
                         params.get("KmsKeyIdentifier"), row["arn"]])
        self._archives_changed()
        return {"ArchiveArn": row["arn"], "State": row["state"], "CreationTime": row["created"]}

    def delete_archive(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self._archive_row(call, params["ArchiveName"])
        call.db.execute("DELETE FROM events_archive_events WHERE archive_arn = ?", [row["arn"]])
        call.db.execute("DELETE FROM events_archives WHERE arn = ?", [row["arn"]])
        self._archives_changed()
        return {}

    def _archive(self, region: str, account_id: str, bus_name: str, event: dict[str, Any], event_at: datetime) -> None:
        """Keep ``event`` in every archive of its bus whose pattern it matches."""
        if self._archive_cache is None:
            cache: dict[str, list[tuple[str, EventPattern | None]]] = {}
            for arn, source, pattern in self.lab.db.execute(
                    "SELECT arn, event_source_arn, event_pattern FROM events_archives "
                    "WHERE state = 'ENABLED'").fetchall():
                cache.setdefault(source, []).append((arn, compile_pattern(pattern) if pattern else None))
            self._archive_cache = cache
        source = f"arn:aws:events:{region}:{account_id}:event-bus/{bus_name}"
        for arn, pattern in self._archive_cache.get(source, ()):
            if pattern is None or pattern.matches(event):
                text = to_json(event)
                self.lab.db.execute("INSERT INTO events_archive_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    [next_seq(self.lab.db), arn, event.get("id"), event_at, self.lab.now,
                                     len(text.encode()), text])

    def expire_archives(self, until: datetime) -> None:
        """RetentionDays: drop what each archive has kept longer than its retention (one SQL statement)."""
        if self._archive_cache is not None and not self._archive_cache:
            return
        self.lab.db.execute(
            "DELETE FROM events_archive_events e USING events_archives a WHERE e.archive_arn = a.arn "
            "AND a.retention_days > 0 AND e.archived_at < ?::TIMESTAMPTZ - to_days(a.retention_days)", [until])

    # ------------------------------------------------------------------ replays
    def _replay_row(self, call: Call, name: str) -> dict[str, Any]:
        cursor = call.db.execute("SELECT * FROM events_replays WHERE arn = ?",
                                 [replay_arn(call.region, call.account_id, name)])
        row = cursor.fetchone()
        if row is None:
            raise AWSError("ResourceNotFoundException", f"Replay {name} does not exist.")
        return dict(zip([c[0] for c in cursor.description], row))

    @staticmethod
    def _replay_shape(row: dict[str, Any], describe: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"ReplayName": row["name"]}
        if describe:
            out["ReplayArn"] = row["arn"]
            if row["description"] is not None:
                out["Description"] = row["description"]
        out["State"] = row["state"]
        if row["state_reason"] is not None:
            out["StateReason"] = row["state_reason"]
        out["EventSourceArn"] = row["archive_arn"]
        if describe:
            destination: dict[str, Any] = {"Arn": row["destination_arn"]}
            if row["filter_arns"]:
                destination["FilterArns"] = json.loads(row["filter_arns"])
            out["Destination"] = destination
        out.update({"EventStartTime": row["event_start"], "EventEndTime": row["event_end"]})
        if row["last_replayed"] is not None:
            out["EventLastReplayedTime"] = row["last_replayed"]
        out["ReplayStartTime"] = row["replay_start"]
        if row["replay_end"] is not None:
            out["ReplayEndTime"] = row["replay_end"]
        return out

    def start_replay(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        source = params["EventSourceArn"]
        archive_name = source.split("/", 1)[-1]
        archive = call.db.execute("SELECT event_source_arn FROM events_archives WHERE arn = ?", [source]).fetchone()
        if archive is None:
            raise AWSError("ValidationException",
                           f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist.")
        name = params["ReplayName"]
        arn = replay_arn(call.region, call.account_id, name)
        if call.db.execute("SELECT 1 FROM events_replays WHERE arn = ?", [arn]).fetchone():
            raise AWSError("ResourceAlreadyExistsException", f"Replay {name} already exists.")
        if params["EventStartTime"] >= params["EventEndTime"]:
            raise AWSError("ValidationException",
                           "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
        destination = params["Destination"]
        self._bus_from_arn(call, destination["Arn"])
        if destination["Arn"] != archive[0]:
            raise AWSError("ValidationException",
                           "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
        active = call.db.execute("SELECT count(*) FROM events_replays WHERE region = ? AND account_id = ? AND "
                                 "state IN ('STARTING', 'RUNNING')", [call.region, call.account_id]).fetchone()[0]
        if active >= MAX_ACTIVE_REPLAYS:
            raise AWSError("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
        call.db.execute("INSERT INTO events_replays VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'STARTING', NULL, ?, NULL, "
                        "NULL, ?)",
                        [arn, call.region, call.account_id, name, params.get("Description"), source, destination["Arn"],
                         to_json(destination["FilterArns"]) if destination.get("FilterArns") else None,
                         params["EventStartTime"], params["EventEndTime"], call.time, call.time + REPLAY_DELAY])
        self._replays_changed()
        return {"ReplayArn": arn, "State": "STARTING", "ReplayStartTime": call.time}

    def describe_replay(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._replay_shape(self._replay_row(call, params["ReplayName"]), describe=True)

    def list_replays(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        cursor = call.db.execute(
            "SELECT * FROM events_replays WHERE region = ? AND account_id = ? AND starts_with(name, ?) "
            "AND (? IS NULL OR state = ?) AND (? IS NULL OR archive_arn = ?) ORDER BY name",
            [call.region, call.account_id, params.get("NamePrefix") or "", params.get("State"), params.get("State"),
             params.get("EventSourceArn"), params.get("EventSourceArn")])
        names = [c[0] for c in cursor.description]
        page, token = paginate([self._replay_shape(dict(zip(names, r)), describe=False) for r in cursor.fetchall()],
                               params)
        return {"Replays": page, **({"NextToken": token} if token else {})}

    def cancel_replay(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = self._replay_row(call, params["ReplayName"])
        if row["state"] not in ACTIVE:
            raise AWSError("IllegalStatusException",
                           f"Replay {row['name']} is not in a valid state for this operation.")
        call.db.execute("UPDATE events_replays SET state = 'CANCELLING' WHERE arn = ?", [row["arn"]])
        return {"ReplayArn": row["arn"], "State": "CANCELLING"}

    def next_replay_due(self) -> datetime | None:
        return self.lab.db.execute("SELECT min(due_at) FROM events_replays WHERE due_at IS NOT NULL").fetchone()[0]

    def run_replays(self, until: datetime) -> None:
        """Run every replay due by ``until``: its window's events back onto its bus, in event-time order."""
        db = self.lab.db
        for arn, region, account, name, source, destination, filters, start, end, state in db.execute(
                "SELECT arn, region, account_id, name, archive_arn, destination_arn, filter_arns, event_start, "
                "event_end, state FROM events_replays WHERE due_at <= ? ORDER BY due_at, arn", [until]).fetchall():
            if state == "CANCELLING":
                db.execute("UPDATE events_replays SET state = 'CANCELLED', replay_end = ?, due_at = NULL WHERE arn = ?",
                           [self.lab.now, arn])
                continue
            last = None
            bus = bus_name_of(destination)
            for event_text, event_at in db.execute(
                    "SELECT event, event_time FROM events_archive_events WHERE archive_arn = ? AND event_time >= ? "
                    "AND event_time < ? ORDER BY event_time, seq", [source, start, end]).fetchall():
                event = json.loads(event_text)
                self.receive(region, account, bus, with_replay_name(event, name),
                             read_only_management=self._read_only(event),
                             replay=(name, json.loads(filters) if filters else []))
                last = event_at
            db.execute("UPDATE events_replays SET state = 'COMPLETED', replay_end = ?, last_replayed = ?, "
                       "due_at = NULL WHERE arn = ?", [self.lab.now, last, arn])
        self._replays_changed()

    def _read_only(self, event: dict[str, Any]) -> bool:  # the service knows CloudTrail's rule
        return False
