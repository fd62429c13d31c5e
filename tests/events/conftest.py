"""Fixtures for the EventBridge API tests: a lab (tests/conftest.py), its clients, a queue to read."""

from __future__ import annotations

import json

import pytest

from awslab import cloudtrail


@pytest.fixture
def events(lab):
    return lab.client("events")


@pytest.fixture
def queue(lab):
    """A lab SQS queue: (url, arn)."""
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def answer(response: dict) -> dict:
    """A boto3 response without its ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def read_queue(lab, url: str, limit: int = 10) -> list[dict]:
    """Every message body on the queue, parsed when it is JSON, oldest first (and deleted)."""
    sqs = lab.client("sqs")
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=limit).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            try:
                bodies.append(json.loads(message["Body"]))
            except ValueError:
                bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def trail(lab):
    """A logging multi-region trail: EventBridge gets CloudTrail's events only when a trail logs them."""
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps(
        cloudtrail.bucket_policy("trail-bucket", lab.account_id, "us-east-1", "main")))
    ct = lab.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-bucket", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    return "main"
