"""SNS: topics and subscriptions (email with an inbox, sqs, lambda), Publish with AWS's envelope.

https://docs.aws.amazon.com/sns/latest/api/Welcome.html
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html

Email subscriptions start "pending confirmation": the inbox receives AWS's confirmation
message with its token, and ConfirmSubscription confirms (as on AWS). SQS and Lambda endpoints
in the lab's account are confirmed at once. Deliveries to SQS and Lambda are made through the
lab's API as ``sns.amazonaws.com``; email lands in ``sns_inbox`` (read it with ``lab.inbox()``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from typing import Any

from ..errors import AWSError
from ..gateway import Call
from ..service import Service

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sns_topics (
        region VARCHAR NOT NULL, account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, arn VARCHAR PRIMARY KEY,
        attributes JSON NOT NULL, created TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sns_subscriptions (
        arn VARCHAR PRIMARY KEY, topic_arn VARCHAR NOT NULL, protocol VARCHAR NOT NULL, endpoint VARCHAR NOT NULL,
        confirmed BOOLEAN NOT NULL, token VARCHAR NOT NULL, attributes JSON NOT NULL, owner VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sns_inbox (
        address VARCHAR NOT NULL, received TIMESTAMPTZ NOT NULL, subject VARCHAR, body VARCHAR NOT NULL,
        topic_arn VARCHAR, message_id VARCHAR, token VARCHAR, seq BIGINT NOT NULL)""",
]

PROTOCOLS = {"email", "email-json", "sqs", "lambda", "http", "https", "sms", "application", "firehose"}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SIGNING_CERT = "https://sns.{region}.amazonaws.com/SimpleNotificationService-awslab.pem"


def _not_found(what: str = "Topic") -> AWSError:
    return AWSError("NotFound", f"{what} does not exist", 404)


def _invalid(message: str) -> AWSError:
    return AWSError("InvalidParameter", f"Invalid parameter: {message}")


class SNSService(Service):
    answers = ("sns",)

    def setup(self) -> None:
        for statement in SCHEMA:
            self.lab.db.execute(statement)

    def tables(self) -> dict[str, str]:
        return {"sns_topics": "one row per SNS topic",
                "sns_subscriptions": "one row per subscription: protocol, endpoint, confirmed or pending",
                "sns_inbox": "every email SNS sent to an email or email-json subscriber (read with lab.inbox())"}

    # ------------------------------------------------------------------ lab-level helpers
    def inbox(self, address: str | None = None) -> list[dict[str, Any]]:
        """Emails delivered, oldest first: to, time, subject, body (and token for confirmations)."""
        self.lab.flush()
        rows = self.lab.db.execute(
            "SELECT address, received, subject, body, topic_arn, token FROM sns_inbox "
            "WHERE ? IS NULL OR address = ? ORDER BY seq", [address, address]).fetchall()
        return [{"to": a, "time": t, "subject": s, "body": b, "topic_arn": topic, "token": token}
                for a, t, s, b, topic, token in rows]

    def _topic(self, call: Call, arn: str) -> dict[str, Any]:
        row = call.db.execute("SELECT name, arn, attributes, region FROM sns_topics WHERE arn = ? AND account_id = ?",
                              [arn, call.account_id]).fetchone()
        if row is None or row[3] != call.region:
            raise _not_found()
        return {"name": row[0], "arn": row[1], "attributes": json.loads(row[2]), "region": row[3]}

    def _mail(self, call: Call, address: str, subject: str | None, body: str, topic_arn: str, message_id: str | None,
              token: str | None = None) -> None:
        seq = call.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM sns_inbox").fetchone()[0]
        call.db.execute("INSERT INTO sns_inbox VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [address, call.time, subject, body, topic_arn, message_id, token, seq])

    # ------------------------------------------------------------------ topics
    def create_topic(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if not _NAME.match(name) or name.endswith(".fifo"):
            raise _invalid("Topic Name")
        arn = f"arn:aws:sns:{call.region}:{call.account_id}:{name}"
        if not call.db.execute("SELECT 1 FROM sns_topics WHERE arn = ?", [arn]).fetchone():
            attributes = {"DisplayName": "", **(params.get("Attributes") or {})}
            call.db.execute("INSERT INTO sns_topics VALUES (?, ?, ?, ?, ?, ?)",
                            [call.region, call.account_id, name, arn, json.dumps(attributes), call.time])
        return {"TopicArn": arn}

    def delete_topic(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        call.db.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", [params["TopicArn"]])
        call.db.execute("DELETE FROM sns_topics WHERE arn = ?", [params["TopicArn"]])
        return {}

    def list_topics(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        rows = call.db.execute("SELECT arn FROM sns_topics WHERE region = ? AND account_id = ? ORDER BY arn",
                               [call.region, call.account_id]).fetchall()
        return {"Topics": [{"TopicArn": r[0]} for r in rows]}

    def get_topic_attributes(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(call, params["TopicArn"])
        counts = call.db.execute("SELECT count(*) FILTER (WHERE confirmed), count(*) FILTER (WHERE NOT confirmed) "
                                 "FROM sns_subscriptions WHERE topic_arn = ?", [topic["arn"]]).fetchone()
        return {"Attributes": {**topic["attributes"], "TopicArn": topic["arn"], "Owner": call.account_id,
                               "SubscriptionsConfirmed": str(counts[0]), "SubscriptionsPending": str(counts[1]),
                               "SubscriptionsDeleted": "0"}}

    def set_topic_attributes(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(call, params["TopicArn"])
        topic["attributes"][params["AttributeName"]] = params.get("AttributeValue", "")
        call.db.execute("UPDATE sns_topics SET attributes = ? WHERE arn = ?", [json.dumps(topic["attributes"]), topic["arn"]])
        return {}

    # ------------------------------------------------------------------ subscriptions
    def subscribe(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(call, params["TopicArn"])
        protocol, endpoint = params["Protocol"], params.get("Endpoint", "")
        if protocol not in PROTOCOLS:
            raise _invalid("Invalid protocol type: " + protocol)
        if protocol in ("email", "email-json") and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", endpoint):
            raise _invalid("Email address")
        if protocol in ("sqs", "lambda") and not endpoint.startswith(f"arn:aws:{protocol}:"):
            raise _invalid(f"{protocol.upper()} endpoint ARN")
        existing = call.db.execute("SELECT arn, confirmed FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? "
                                   "AND endpoint = ?", [topic["arn"], protocol, endpoint]).fetchone()
        if existing:
            return {"SubscriptionArn": existing[0] if existing[1] and params.get("ReturnSubscriptionArn", True)
                    else "pending confirmation" if not existing[1] else existing[0]}
        arn = f"{topic['arn']}:{uuid.UUID(bytes=hashlib.sha256(call.event_id.encode()).digest()[:16], version=4)}"
        token = hashlib.sha256(f"token/{call.event_id}".encode()).hexdigest()
        confirmed = protocol not in ("email", "email-json", "http", "https")
        call.db.execute("INSERT INTO sns_subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [arn, topic["arn"], protocol, endpoint, confirmed, token,
                         json.dumps(params.get("Attributes") or {}), call.account_id])
        if not confirmed:
            self._mail(call, endpoint, "AWS Notification - Subscription Confirmation",
                       f"You have chosen to subscribe to the topic:\n{topic['arn']}\n\nTo confirm this subscription, "
                       f"call ConfirmSubscription with this token:\n{token}\n", topic["arn"], None, token)
        show_arn = confirmed or params.get("ReturnSubscriptionArn", False)
        return {"SubscriptionArn": arn if show_arn else "pending confirmation"}

    def confirm_subscription(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = call.db.execute("SELECT arn FROM sns_subscriptions WHERE topic_arn = ? AND token = ?",
                              [params["TopicArn"], params["Token"]]).fetchone()
        if row is None:
            raise _invalid("Token")
        call.db.execute("UPDATE sns_subscriptions SET confirmed = true WHERE arn = ?", [row[0]])
        return {"SubscriptionArn": row[0]}

    def unsubscribe(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        call.db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", [params["SubscriptionArn"]])
        return {}

    def _listed(self, rows: list[tuple]) -> dict[str, Any]:
        return {"Subscriptions": [{"SubscriptionArn": arn if confirmed else "PendingConfirmation", "Owner": owner,
                                   "Protocol": protocol, "Endpoint": endpoint, "TopicArn": topic}
                                  for arn, owner, protocol, endpoint, topic, confirmed in rows]}

    def list_subscriptions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._listed(call.db.execute(
            "SELECT s.arn, s.owner, s.protocol, s.endpoint, s.topic_arn, s.confirmed FROM sns_subscriptions s JOIN "
            "sns_topics t ON s.topic_arn = t.arn WHERE t.region = ? AND t.account_id = ? ORDER BY s.arn",
            [call.region, call.account_id]).fetchall())

    def list_subscriptions_by_topic(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(call, params["TopicArn"])
        return self._listed(call.db.execute(
            "SELECT arn, owner, protocol, endpoint, topic_arn, confirmed FROM sns_subscriptions WHERE topic_arn = ? "
            "ORDER BY arn", [topic["arn"]]).fetchall())

    def get_subscription_attributes(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        row = call.db.execute("SELECT arn, topic_arn, protocol, endpoint, confirmed, attributes, owner FROM "
                              "sns_subscriptions WHERE arn = ?", [params["SubscriptionArn"]]).fetchone()
        if row is None:
            raise _not_found("Subscription")
        return {"Attributes": {**json.loads(row[5]), "SubscriptionArn": row[0], "TopicArn": row[1],
                               "Protocol": row[2], "Endpoint": row[3], "Owner": row[6],
                               "PendingConfirmation": "false" if row[4] else "true",
                               "ConfirmationWasAuthenticated": "true" if row[4] else "false"}}

    # ------------------------------------------------------------------ publishing
    def publish(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        topic_arn = params.get("TopicArn") or params.get("TargetArn")
        if not topic_arn:
            raise _invalid("TopicArn or TargetArn Reason: no value for required parameter")
        topic = self._topic(call, topic_arn)
        message, subject = params["Message"], params.get("Subject")
        if len(message.encode()) > 262144:
            raise _invalid("Message too long")
        if subject is not None and (len(subject) > 100 or not subject.strip()):
            raise _invalid("Subject")
        per_protocol: dict[str, str] = {}
        if params.get("MessageStructure") == "json":
            # one message per protocol, "default" for the rest (as alarms publish their notifications)
            try:
                per_protocol = json.loads(message)
            except ValueError:
                raise _invalid("Message Structure - JSON message body failed to parse") from None
            if not isinstance(per_protocol, dict) or "default" not in per_protocol:
                raise _invalid("Message Structure - No default entry in JSON message body")
        message_id = str(uuid.UUID(bytes=hashlib.sha256(f"msg/{call.event_id}".encode()).digest()[:16], version=4))
        subscribers = call.db.execute("SELECT arn, protocol, endpoint, attributes FROM sns_subscriptions WHERE "
                                      "topic_arn = ? AND confirmed ORDER BY arn", [topic["arn"]]).fetchall()
        for sub_arn, protocol, endpoint, attributes in subscribers:
            if per_protocol:
                message = per_protocol.get(protocol, per_protocol["default"])
            envelope = self.envelope(topic, message_id, message, subject, call)
            raw = json.loads(attributes).get("RawMessageDelivery") == "true"
            body = json.dumps({**envelope, "UnsubscribeURL": self._unsubscribe_url(call, sub_arn)}, indent=2)
            if protocol == "email":
                self._mail(call, endpoint, subject or "AWS Notification Message", message + _EMAIL_FOOTER.format(
                    arn=sub_arn, url=self._unsubscribe_url(call, sub_arn)), topic["arn"], message_id)
            elif protocol == "email-json":
                self._mail(call, endpoint, subject or "AWS Notification Message", body, topic["arn"], message_id)
            elif protocol == "sqs":
                region, account, name = endpoint.split(":")[3:6]
                self.lab.service_client("sqs", "sns.amazonaws.com", region).send_message(
                    QueueUrl=f"https://sqs.{region}.amazonaws.com/{account}/{name}",
                    MessageBody=message if raw else body)
            elif protocol == "lambda":
                event = {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub_arn,
                                      "Sns": {**envelope, "UnsubscribeUrl": self._unsubscribe_url(call, sub_arn),
                                              "MessageAttributes": {}}}]}
                self.lab.service_client("lambda", "sns.amazonaws.com", endpoint.split(":")[3]).invoke(
                    FunctionName=endpoint, InvocationType="Event", Payload=json.dumps(event).encode())
        return {"MessageId": message_id}

    def _unsubscribe_url(self, call: Call, subscription_arn: str) -> str:
        return (f"https://sns.{call.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}")

    def envelope(self, topic: dict[str, Any], message_id: str, message: str, subject: str | None,
                 call: Call) -> dict[str, Any]:
        """The JSON SNS delivers to SQS, Lambda and email-json: AWS's notification format.
        The signature is the lab's own (base64 of a SHA-256), not verifiable against AWS's certificate."""
        envelope: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic["arn"]}
        if subject is not None:
            envelope["Subject"] = subject
        envelope.update({
            "Message": message,
            "Timestamp": call.time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "SignatureVersion": "1",
            "Signature": base64.b64encode(hashlib.sha256(f"{message_id}{message}".encode()).digest()).decode(),
            "SigningCertURL": SIGNING_CERT.format(region=call.region),
        })
        return envelope


_EMAIL_FOOTER = ("\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the "
                 "link below to unsubscribe:\n{url}\n")
