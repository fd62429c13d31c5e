"""A lab with a trail bucket whose policy lets CloudTrail write, as AWS's documentation shows."""

from __future__ import annotations

import json

import pytest

from awslab import cloudtrail


@pytest.fixture
def bucket(lab):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=json.dumps(
        cloudtrail.bucket_policy("trail-bucket", lab.account_id, "us-east-1", "main")))
    return "trail-bucket"


@pytest.fixture
def trail(lab, bucket):
    ct = lab.client("cloudtrail")
    ct.create_trail(Name="main", S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=True)
    ct.start_logging(Name="main")
    return "main"
