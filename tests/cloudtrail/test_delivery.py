"""Delivery: gzipped log files within five minutes, hourly signed digests, CloudWatch Logs.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from awslab.cloudtrail import keys


def objects(lab, bucket="trail-bucket", part="/CloudTrail/"):
    listed = lab.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(o["Key"] for o in listed if part in o["Key"])


def body(lab, key, bucket="trail-bucket"):
    return gzip.decompress(lab.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


LOG_KEY = re.compile(r"^AWSLogs/123456789012/CloudTrail/(?P<region>[a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
                     r"123456789012_CloudTrail_(?P=region)_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")


def test_log_files_arrive_within_five_minutes_in_aws_layout(lab, trail):
    lab.advance(minutes=1)
    lab.client("cloudwatch").put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1}])
    lab.advance(minutes=3)
    assert objects(lab) == []
    lab.advance(minutes=1)
    (key,) = objects(lab)
    assert LOG_KEY.match(key) and "_20260101T0005Z_" in key
    records = json.loads(body(lab, key))["Records"]
    assert [r["eventName"] for r in records] == ["StartLogging", "PutMetricData"]  # the trail logs its own start


def test_each_region_gets_its_own_files_and_global_events_land_in_us_east_1(lab, trail):
    lab.client("cloudwatch", region_name="eu-west-1").list_metrics()
    lab.client("iam").create_user(UserName="bob")
    lab.advance(minutes=5)
    keys_by_region = {LOG_KEY.match(k)["region"]: k for k in objects(lab)}
    assert set(keys_by_region) == {"eu-west-1", "us-east-1"}
    east = [r["eventName"] for r in json.loads(body(lab, keys_by_region["us-east-1"]))["Records"]]
    assert "CreateUser" in east


def test_selectors_decide_what_is_delivered(lab, trail):
    lab.client("cloudtrail").put_event_selectors(TrailName=trail, EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    cw = lab.client("cloudwatch")
    cw.list_metrics()
    cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1}])
    lab.advance(minutes=5)
    names = [r["eventName"] for k in objects(lab) for r in json.loads(body(lab, k))["Records"]]
    assert "PutMetricData" in names and "ListMetrics" not in names


def test_stopped_trail_delivers_nothing_more(lab, trail):
    ct = lab.client("cloudtrail")
    ct.stop_logging(Name=trail)
    lab.client("cloudwatch").list_metrics()
    lab.advance(hours=2)
    delivered = [r["eventName"] for k in objects(lab) for r in json.loads(body(lab, k))["Records"]]
    assert "ListMetrics" not in delivered


def test_hourly_digests_chain_and_verify_even_in_quiet_hours(lab, trail):
    lab.client("cloudwatch").list_metrics()
    lab.advance(hours=3)
    digests = objects(lab, part="/CloudTrail-Digest/us-east-1/")
    assert [k.rsplit("_", 1)[-1] for k in digests] == ["20260101T010000Z.json.gz", "20260101T020000Z.json.gz",
                                                       "20260101T030000Z.json.gz"]
    first, second, third = (json.loads(body(lab, k)) for k in digests)
    assert first["previousDigestSignature"] is None and first["previousDigestS3Object"] is None
    assert len(first["logFiles"]) == 1 and second["logFiles"] == [] and second["newestEventTime"] is None
    assert second["previousDigestS3Object"] == digests[0]
    assert second["previousDigestHashValue"] == hashlib.sha256(body(lab, digests[0])).hexdigest()
    assert first["logFiles"][0]["hashValue"] == hashlib.sha256(body(lab, first["logFiles"][0]["s3Object"])).hexdigest()
    assert (first["digestStartTime"], first["digestEndTime"]) == ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")
    assert first["digestSignatureAlgorithm"] == "SHA256withRSA"
    # the newest digest's signature is in the object's metadata and verifies with the region's public key
    meta = lab.client("s3").head_object(Bucket="trail-bucket", Key=digests[2])["Metadata"]
    assert meta["signature-algorithm"] == "SHA256withRSA"
    (public,) = lab.client("cloudtrail").list_public_keys()["PublicKeyList"]
    assert public["Fingerprint"] == third["digestPublicKeyFingerprint"]
    text = keys.string_to_sign(third["digestEndTime"], "trail-bucket", digests[2], body(lab, digests[2]),
                               third["previousDigestSignature"])
    assert keys.verify(public["Value"], text, meta["signature"])
    assert not keys.verify(public["Value"], text + "tampered", meta["signature"])


def test_trail_with_a_log_group_sends_events_on_the_hub(lab, bucket):
    sent = []
    lab.hub.subscribe("log_events", sent.append)
    ct = lab.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName=bucket,
                    CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
                    CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/CloudTrail_CloudWatchLogs_Role")
    ct.start_logging(Name="main")
    lab.client("cloudwatch").list_metrics()
    lab.advance(minutes=5)
    assert sent and sent[0]["log_stream"] == "123456789012_CloudTrail_us-east-1"
    assert [json.loads(e["message"])["eventName"] for e in sent[0]["events"]] == ["StartLogging", "ListMetrics"]
    assert ct.get_trail_status(Name="main")["LatestCloudWatchLogsDeliveryTime"] == lab.now
