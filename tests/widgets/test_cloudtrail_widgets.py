"""The integrity playground: choosing a tampering and applying it changes the validation report."""

from __future__ import annotations

import json

from awslab import cloudtrail
from awslab.widgets.cloudtrail import integrity_playground


def make_trail(lab):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps(
        cloudtrail.bucket_policy("trail-bucket", lab.account_id, "us-east-1", "main")))
    ct = lab.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName="trail-bucket", EnableLogFileValidation=True)
    ct.start_logging(Name="main")
    for _ in range(3):
        lab.client("cloudwatch").list_metrics()
        lab.advance(hours=1)


def test_playground_reports_each_tampering(lab):
    make_trail(lab)
    box, model = integrity_playground(lab, "main", "trail-bucket")
    assert model.report.ok
    box.action.value = "modify log"
    box.apply.click()
    assert [f.status for f in model.report.invalid()] == ["INVALID: hash value doesn't match"]
    box.action.value = "delete digest"
    box.apply.click()
    assert "INVALID: not found" in {f.status for f in model.report.invalid()}
    assert [a for a, _ in model.tampered] == ["modify log", "delete digest"]
