"""SQS: lab queues whose messages learners (and SNS, EventBridge) send and receive.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/Welcome.html
Standard queues only; visibility timeouts and delays run on the lab clock. Queue policies are
stored but not enforced (documented simplification).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Service

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sqs_queues (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, url VARCHAR NOT NULL,
        arn VARCHAR NOT NULL, attributes JSON NOT NULL, created TIMESTAMPTZ NOT NULL, PRIMARY KEY (arn))""",
    """CREATE TABLE IF NOT EXISTS sqs_messages (
        queue_arn VARCHAR NOT NULL, message_id VARCHAR NOT NULL, body VARCHAR NOT NULL,
        message_attributes JSON, sent_at TIMESTAMPTZ NOT NULL, visible_at TIMESTAMPTZ NOT NULL,
        receive_count INTEGER NOT NULL, receipt_handle VARCHAR, first_received TIMESTAMPTZ,
        sender VARCHAR, seq BIGINT NOT NULL)""",
]

DEFAULTS = {"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600", "DelaySeconds": "0",
            "MaximumMessageSize": "262144", "ReceiveMessageWaitTimeSeconds": "0"}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _no_queue() -> AWSError:
    return AWSError("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")


class SQSService(Service):
    answers = ("sqs",)
    data_events = frozenset({"SendMessage", "ReceiveMessage", "DeleteMessage", "SendMessageBatch",
                             "DeleteMessageBatch", "ChangeMessageVisibility"})

    def setup(self) -> None:
        for statement in SCHEMA:
            self.lab.db.execute(statement)

    def tables(self) -> dict[str, str]:
        return {"sqs_queues": "one row per SQS queue: name, URL, ARN, attributes",
                "sqs_messages": "every message sent to a lab queue, with its visibility on the lab clock; "
                                "deleted messages are removed"}

    # ------------------------------------------------------------------ helpers
    def _queue(self, call: Call, url: str) -> dict[str, Any]:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        row = call.db.execute("SELECT name, url, arn, attributes, created FROM sqs_queues WHERE region = ? AND "
                              "account_id = ? AND name = ?", [call.region, call.account_id, name]).fetchone()
        if row is None:
            raise _no_queue()
        return {"name": row[0], "url": row[1], "arn": row[2], "attributes": json.loads(row[3]), "created": row[4]}

    # ------------------------------------------------------------------ queues
    def create_queue(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["QueueName"]
        if not _NAME.match(name) or name.endswith(".fifo"):
            raise AWSError("InvalidParameterValue",
                           "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
        url = f"https://sqs.{call.region}.amazonaws.com/{call.account_id}/{name}"
        arn = f"arn:aws:sqs:{call.region}:{call.account_id}:{name}"
        attributes = {**DEFAULTS, **(params.get("Attributes") or {})}
        existing = call.db.execute("SELECT attributes FROM sqs_queues WHERE arn = ?", [arn]).fetchone()
        if existing:
            if json.loads(existing[0]) != attributes:
                raise AWSError("QueueAlreadyExists", "A queue already exists with the same name and a different value "
                               "for attribute(s) " + ", ".join(sorted(set(attributes) ^ set(json.loads(existing[0])))))
            return {"QueueUrl": url}
        call.db.execute("INSERT INTO sqs_queues VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [call.region, call.account_id, name, url, arn, json.dumps(attributes), call.time])
        return {"QueueUrl": url}

    def get_queue_url(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return {"QueueUrl": self._queue(call, params["QueueName"])["url"]}

    def list_queues(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("QueueNamePrefix", "")
        urls = [r[0] for r in call.db.execute(
            "SELECT url FROM sqs_queues WHERE region = ? AND account_id = ? AND starts_with(name, ?) ORDER BY name",
            [call.region, call.account_id, prefix]).fetchall()]
        return {"QueueUrls": urls} if urls else {}

    def delete_queue(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(call, params["QueueUrl"])
        call.db.execute("DELETE FROM sqs_messages WHERE queue_arn = ?", [queue["arn"]])
        call.db.execute("DELETE FROM sqs_queues WHERE arn = ?", [queue["arn"]])
        return {}

    def get_queue_attributes(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(call, params["QueueUrl"])
        visible, hidden = call.db.execute(
            "SELECT count(*) FILTER (WHERE visible_at <= ?), count(*) FILTER (WHERE visible_at > ?) "
            "FROM sqs_messages WHERE queue_arn = ?", [call.time, call.time, queue["arn"]]).fetchone()
        everything = {**queue["attributes"], "QueueArn": queue["arn"],
                      "ApproximateNumberOfMessages": str(visible),
                      "ApproximateNumberOfMessagesNotVisible": str(hidden),
                      "CreatedTimestamp": str(int(queue["created"].timestamp()))}
        wanted = params.get("AttributeNames") or []
        if "All" in wanted:
            return {"Attributes": everything}
        return {"Attributes": {k: v for k, v in everything.items() if k in wanted}}

    def set_queue_attributes(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(call, params["QueueUrl"])
        merged = {**queue["attributes"], **params["Attributes"]}
        call.db.execute("UPDATE sqs_queues SET attributes = ? WHERE arn = ?", [json.dumps(merged), queue["arn"]])
        return {}

    def purge_queue(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        call.db.execute("DELETE FROM sqs_messages WHERE queue_arn = ?", [self._queue(call, params["QueueUrl"])["arn"]])
        return {}

    # ------------------------------------------------------------------ messages
    def send_message(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(call, params["QueueUrl"])
        body = params["MessageBody"]
        limit = int(queue["attributes"]["MaximumMessageSize"])
        if len(body.encode()) > limit:
            raise AWSError("InvalidParameterValue",
                           f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes.")
        delay = params.get("DelaySeconds", int(queue["attributes"]["DelaySeconds"]))
        seq = call.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM sqs_messages").fetchone()[0]
        message_id = str(uuid.UUID(bytes=hashlib.sha256(f"{call.event_id}/{seq}".encode()).digest()[:16], version=4))
        call.db.execute("INSERT INTO sqs_messages VALUES (?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?)",
                        [queue["arn"], message_id, body, json.dumps(params.get("MessageAttributes") or {}, default=str),
                         call.time, call.time + timedelta(seconds=delay), call.principal.arn or call.principal.name, seq])
        return {"MD5OfMessageBody": _md5(body), "MessageId": message_id}

    def receive_message(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(call, params["QueueUrl"])
        count = params.get("MaxNumberOfMessages", 1)
        if not 1 <= count <= 10:
            raise AWSError("InvalidParameterValue", f"Value {count} for parameter MaxNumberOfMessages is invalid. "
                           "Reason: Must be between 1 and 10, if provided.")
        timeout = params.get("VisibilityTimeout", int(queue["attributes"]["VisibilityTimeout"]))
        rows = call.db.execute("SELECT message_id, body, sent_at, receive_count, first_received, message_attributes "
                               "FROM sqs_messages WHERE queue_arn = ? AND visible_at <= ? ORDER BY seq LIMIT ?",
                               [queue["arn"], call.time, count]).fetchall()
        messages = []
        for message_id, body, sent_at, received, first, attributes in rows:
            handle = hashlib.sha256(f"{message_id}/{call.event_id}".encode()).hexdigest()
            call.db.execute("UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, "
                            "receipt_handle = ?, first_received = coalesce(first_received, ?) WHERE message_id = ?",
                            [call.time + timedelta(seconds=timeout), handle, call.time, message_id])
            message: dict[str, Any] = {"MessageId": message_id, "ReceiptHandle": handle, "MD5OfBody": _md5(body),
                                       "Body": body}
            wanted = set(params.get("AttributeNames") or []) | set(params.get("MessageSystemAttributeNames") or [])
            if wanted:
                system = {"SentTimestamp": str(int(sent_at.timestamp() * 1000)),
                          "ApproximateReceiveCount": str(received + 1),
                          "ApproximateFirstReceiveTimestamp": str(int((first or call.time).timestamp() * 1000))}
                message["Attributes"] = {k: v for k, v in system.items() if "All" in wanted or k in wanted}
            names = params.get("MessageAttributeNames") or []
            stored = json.loads(attributes or "{}")
            chosen = {k: v for k, v in stored.items() if "All" in names or ".*" in names or k in names}
            if chosen:
                message["MessageAttributes"] = chosen
            messages.append(message)
        return {"Messages": messages} if messages else {}

    def delete_message(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(call, params["QueueUrl"])
        deleted = call.db.execute("DELETE FROM sqs_messages WHERE queue_arn = ? AND receipt_handle = ?",
                                  [queue["arn"], params["ReceiptHandle"]]).fetchone()[0]
        if not deleted:
            raise AWSError("ReceiptHandleIsInvalid",
                           f'The input receipt handle "{params["ReceiptHandle"]}" is not a valid receipt handle.')
        return {}
