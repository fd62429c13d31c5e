"""SNS topics, subscriptions and Publish; SQS queues on the lab clock.

https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
"""

from __future__ import annotations

import json

import botocore.exceptions
import pytest


@pytest.fixture
def topic(lab):
    return lab.client("sns").create_topic(Name="alerts")["TopicArn"]


def test_email_subscription_needs_confirmation(lab, topic):
    sns = lab.client("sns")
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"] == \
        "pending confirmation"
    sns.publish(TopicArn=topic, Message="not yet")
    (confirmation,) = lab.inbox("ops@example.com")
    assert confirmation["subject"] == "AWS Notification - Subscription Confirmation"
    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["token"])["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    sns.publish(TopicArn=topic, Message="disk full", Subject="Alarm")
    mails = lab.inbox("ops@example.com")
    assert [m["subject"] for m in mails] == ["AWS Notification - Subscription Confirmation", "Alarm"]
    assert mails[1]["body"].startswith("disk full")


def test_sqs_subscriber_receives_the_notification_envelope(lab, topic):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lab.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    message_id = lab.client("sns").publish(TopicArn=topic, Message="hello", Subject="Hi")["MessageId"]
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(message["Body"])
    assert body["Type"] == "Notification" and body["MessageId"] == message_id
    assert body["TopicArn"] == topic and body["Message"] == "hello" and body["Subject"] == "Hi"
    assert body["SignatureVersion"] == "1" and "UnsubscribeURL" in body
    assert body["Timestamp"] == "2026-01-01T00:00:00.000Z"


def test_raw_message_delivery(lab, topic):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="raw")["QueueUrl"]
    lab.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:raw",
                                Attributes={"RawMessageDelivery": "true"})
    lab.client("sns").publish(TopicArn=topic, Message="just this")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "just this"


def test_publish_to_a_missing_topic(lab):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:nope", Message="x")
    assert raised.value.response["Error"]["Code"] == "NotFound"


def test_visibility_timeout_on_the_lab_clock(lab):
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="job")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    lab.advance(seconds=61)
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"] and again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    lab.advance(minutes=5)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_missing_queue(lab):
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        lab.client("sqs").send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/none",
                                       MessageBody="x")
    assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_message_structure_json_sends_each_protocol_its_message(lab, topic):
    """https://docs.aws.amazon.com/sns/latest/dg/sns-send-custom-platform-specific-payloads-mobile-devices.html"""
    sns, sqs = lab.client("sns"), lab.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    token = lab.inbox("ops@example.com")[0]["token"]
    sns.confirm_subscription(TopicArn=topic, Token=token)
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "for machines", "email": "for people"}))
    assert lab.inbox("ops@example.com")[-1]["body"].startswith("for people")
    assert json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])["Message"] == "for machines"
    with pytest.raises(botocore.exceptions.ClientError):
        sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"email": "x"}))
