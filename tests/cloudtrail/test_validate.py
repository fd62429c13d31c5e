"""Log-file integrity validation, in the lab and offline, as `aws cloudtrail validate-logs` reports.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-cli.html
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from pathlib import Path

from awslab import cloudtrail


def s3_keys(lab, part):
    return sorted(o["Key"] for o in lab.client("s3").list_objects_v2(Bucket="trail-bucket").get("Contents", [])
                  if part in o["Key"])


def activity(lab, hours=2):
    for _ in range(hours):
        lab.client("cloudwatch").put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1}])
        lab.advance(hours=1)


def test_untouched_trail_validates(lab, trail):
    activity(lab)
    report = cloudtrail.validate_logs(lab, trail)
    assert report.ok
    assert len(report.digests) == 6 and len(report.logs) == 2  # 3 regions × 2 hours; 2 log files
    assert "6/6 digest files valid" in report.summary() and "2/2 log files valid" in report.summary()


def test_modified_and_deleted_log_files_are_reported(lab, trail):
    activity(lab)
    s3 = lab.client("s3")
    first, second = s3_keys(lab, "/CloudTrail/us-east-1/")
    records = json.loads(gzip.decompress(s3.get_object(Bucket="trail-bucket", Key=first)["Body"].read()))
    records["Records"][0]["sourceIPAddress"] = "203.0.113.9"
    s3.put_object(Bucket="trail-bucket", Key=first, Body=gzip.compress(json.dumps(records).encode()))
    s3.delete_object(Bucket="trail-bucket", Key=second)
    report = cloudtrail.validate_logs(lab, trail)
    statuses = {f.uri.rsplit("/", 1)[-1]: f.status for f in report.logs}
    assert statuses[first.rsplit("/", 1)[-1]] == "INVALID: hash value doesn't match"
    assert statuses[second.rsplit("/", 1)[-1]] == "INVALID: not found"
    assert not report.ok and "0/2 log files valid, 2/2 log files INVALID" in report.summary()


def test_deleted_and_forged_digests_are_reported(lab, trail):
    activity(lab, hours=3)
    s3 = lab.client("s3")
    oldest, middle, newest = s3_keys(lab, "/CloudTrail-Digest/us-east-1/")
    s3.delete_object(Bucket="trail-bucket", Key=middle)
    digest = json.loads(gzip.decompress(s3.get_object(Bucket="trail-bucket", Key=oldest)["Body"].read()))
    digest["logFiles"] = []  # hide the evidence
    s3.put_object(Bucket="trail-bucket", Key=oldest, Body=gzip.compress(json.dumps(digest).encode()))
    report = cloudtrail.validate_logs(lab, trail)
    statuses = {f.uri.rsplit("/", 1)[-1]: f.status for f in report.digests}
    assert statuses[middle.rsplit("/", 1)[-1]] == "INVALID: not found"
    assert statuses[newest.rsplit("/", 1)[-1]] == "valid"
    assert statuses[oldest.rsplit("/", 1)[-1]] != "valid"


def test_offline_validation_of_a_downloaded_folder(lab, trail, tmp_path):
    activity(lab)
    s3 = lab.client("s3")
    root = tmp_path / "trail-bucket"
    for key in s3_keys(lab, "AWSLogs/"):
        target = root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get_object(Bucket="trail-bucket", Key=key)["Body"].read())
    # CloudTrail signs each region's digests with that region's key: save every region's list
    listing = [k for region in lab.regions
               for k in lab.client("cloudtrail", region_name=region).list_public_keys()["PublicKeyList"]]
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps({"PublicKeyList": [
        {"Fingerprint": k["Fingerprint"], "Value": base64.b64encode(k["Value"]).decode()} for k in listing]}))
    reports = cloudtrail.validate_folder(root, key_file)
    assert len(reports) == 3  # one per region the trail delivered to
    assert all(r.ok for r in reports) and sum(len(r.logs) for r in reports) == 2
    # offline, the newest digest's signature (kept in S3 metadata) cannot be checked; older ones can
    assert {f.status for r in reports for f in r.digests} == {"valid", "valid (signature not checked offline)"}
    log = next(root.rglob("*_CloudTrail_us-east-1_*.json.gz"))
    log.write_bytes(gzip.compress(b'{"Records": []}'))
    statuses = [f.status for r in cloudtrail.validate_folder(root, key_file) for f in r.logs]
    assert statuses.count("INVALID: hash value doesn't match") == 1
    result = subprocess.run([sys.executable, "-m", "awslab.cli", "trail", "validate", str(root),
                             "--public-key", str(key_file)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "INVALID: hash value doesn't match" in result.stdout
